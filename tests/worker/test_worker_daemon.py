"""The worker daemon against a real server: files, runs, outputs, logs, stops and failures.

Renders here go through the `command` adapter running small Python programs,
so each behaviour of the daemon is shown quickly; real Blender renders are in
test_farm_blender.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import time

import psutil
import pytest
from farmhand.transfer.client import FarmClient
from worker_support import (
    command_spec,
    download,
    pid_alive,
    running_worker,
    start_worker,
    start_worker_process,
    upload_files,
    wait_for,
    wait_job,
)

# Writes <output>/frame_NNNN.txt holding the scene's text and the frame number.
WRITE_FRAME = (
    "import pathlib, sys; frame, out, scene = sys.argv[1:4]; "
    "print('rendering', frame, flush=True); "
    "pathlib.Path(out, 'frame_%04d.txt' % int(frame)).write_text("
    "pathlib.Path(scene).read_text() + frame)"
)


@pytest.fixture
def artist(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "artist" / "shot 01 é.txt"
    scene.parent.mkdir()
    scene.write_text("scene-text:")
    refs = upload_files(client, [scene])
    return server, client, scene, refs[scene]


def test_a_job_renders_on_a_worker_and_its_outputs_come_back(artist, tmp_path):
    server, client, scene, ref = artist
    argv = [sys.executable, "-c", WRITE_FRAME, "{frame}", "{output}", "{scene}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1-4", frames_per_task=2))
    with running_worker(server, tmp_path / "w1") as worker:
        wait_job(client, job["id"])
    outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
    assert [o["frame"] for o in outputs] == [1, 2, 3, 4]
    for o in outputs:
        assert o["name"] == f"frame_{o['frame']:04d}.txt"
        assert download(client, o["blob"]) == f"scene-text:{o['frame']}".encode()
    assert worker.cache.downloads == 1  # two tasks, one scene blob: fetched once
    # The job's folder goes once no task of it runs; the cache keeps the blob for next time.
    assert list((tmp_path / "w1" / "jobs").glob("job-*")) == []
    assert len(list((tmp_path / "w1" / "cache").iterdir())) == 1
    tasks = client.tasks(job["id"])
    attempt = tasks[0]["attempts"][0]
    log = client.request("GET", f"/attempts/{attempt['id']}/log").text
    assert "rendering 1" in log and "rendering 2" in log and "exit code 0" in log
    assert attempt["peak_memory_mb"] > 0


def test_missing_output_fails_the_task(artist, tmp_path):
    server, client, scene, ref = artist
    argv = [sys.executable, "-c", "print('did nothing')"]
    spec = command_spec(
        scene,
        ref,
        argv,
        frames="1",
        renderer={"adapter": "command", "argv": argv, "outputs": ["{output}/frame_{frame}.txt"]},
    )
    server.config.max_retries = 0  # one worker could not retry it anyway (soft fail)
    job = client.submit_job(spec)
    with running_worker(server, tmp_path / "w1"):
        wait_job(client, job["id"], states=("failed",))
    attempts = [a for t in client.tasks(job["id"]) for a in t["attempts"]]
    assert attempts and all("did not write" in a["message"] for a in attempts)


def test_cancel_kills_the_whole_process_group(artist, tmp_path):
    server, client, scene, ref = artist
    pids = tmp_path / "pids"
    # The "renderer" starts a child that would outlive it, records both pids, then waits.
    program = (
        "import subprocess, sys, time, pathlib; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); "
        "import os; "
        f"pathlib.Path({str(pids)!r}).write_text('%d %d' % (os.getpid(), child.pid)); "
        "print('started', flush=True); time.sleep(300)"
    )
    job = client.submit_job(command_spec(scene, ref, [sys.executable, "-c", program], frames="1"))
    worker = start_worker(server, tmp_path / "w1", name="w1")
    try:
        wait_for(lambda: pids.exists() and pids.read_text().strip(), 60)
        parent, child = (int(p) for p in pids.read_text().split())
        assert pid_alive(parent) and pid_alive(child)
        client.job_action(job["id"], "cancel")
        wait_for(lambda: not pid_alive(parent) and not pid_alive(child), 30)
        wait_for(lambda: not worker.running, 30)
    finally:
        worker.stop()
        worker.join(10)
    assert client.job(job["id"])["state"] == "cancelled"


def test_time_out_kills_and_retries(artist, tmp_path):
    server, client, scene, ref = artist
    marker = tmp_path / "tries"
    # Sleeps on its first try (and is killed at time_out); renders at once on the next.
    program = (
        "import pathlib, sys, time; m = pathlib.Path(sys.argv[1]); n = int(m.read_text() or 0) "
        "if m.exists() else 0; m.write_text(str(n + 1)); "
        "time.sleep(60) if n == 0 else None; "
        "pathlib.Path(sys.argv[2], 'frame_0001.txt').write_text('late')"
    )
    argv = [sys.executable, "-c", program, str(marker), "{output}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1", time_out=2))
    workers = [start_worker(server, tmp_path / f"w{i}", name=f"w{i}") for i in (1, 2)]
    try:
        wait_job(client, job["id"], timeout=90)
    finally:
        for w in workers:
            w.stop()
        for w in workers:
            w.join(10)
    attempts = client.tasks(job["id"])[0]["attempts"]
    assert [a["state"] for a in attempts][-1] == "done"
    assert any(a["state"] in ("timeout", "failed") for a in attempts[:-1])
    assert marker.read_text() == "2"


def test_a_worker_killed_mid_frame_loses_nothing(artist, tmp_path):
    server, client, scene, ref = artist
    server.config.lease_seconds = 3.0  # the lease of the killed worker lapses quickly
    started = tmp_path / "started"
    # Frame 2 blocks on its first try (so the worker can be killed in the middle of it).
    program = (
        "import pathlib, sys, time; frame, out, mark = sys.argv[1:4]; m = pathlib.Path(mark); "
        "first = frame == '2' and not m.exists(); m.write_text('x') if first else None; "
        "time.sleep(120) if first else None; "
        "pathlib.Path(out, 'frame_%04d.txt' % int(frame)).write_text(frame)"
    )
    argv = [sys.executable, "-c", program, "{frame}", "{output}", str(started)]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1-3"))
    doomed = start_worker_process(server, tmp_path / "doomed", "doomed")
    try:
        wait_for(started.exists, 60)
        renders = psutil.Process(doomed.pid).children()
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        for render in renders:  # its own session outlives the worker (a restart would reap it)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(render.pid, signal.SIGKILL)
        survivor = start_worker(server, tmp_path / "survivor", name="survivor")
        try:
            wait_job(client, job["id"], timeout=90)
        finally:
            survivor.stop()
            survivor.join(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
    assert sorted(o["frame"] for o in outputs) == [1, 2, 3]  # nothing missing or twice
    assert [download(client, o["blob"]) for o in outputs] == [b"1", b"2", b"3"]


def test_path_with_spaces_and_non_ascii_reaches_the_renderer(artist, tmp_path):
    server, client, scene, ref = artist
    argv = [sys.executable, "-c", WRITE_FRAME, "{frame}", "{output}", "{scene}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="7"))
    with running_worker(server, tmp_path / "w1", keep_jobs=True):
        wait_job(client, job["id"])
    laid = list((tmp_path / "w1" / "jobs").rglob("shot 01 é.txt"))
    assert laid and laid[0].read_text() == "scene-text:"
    assert os.stat(laid[0]).st_nlink >= 2  # hard-linked from the cache, not copied


def test_the_command_adapter_is_opt_in(artist, tmp_path):
    server, client, scene, ref = artist
    server.config.max_retries = 0
    argv = [sys.executable, "-c", WRITE_FRAME, "{frame}", "{output}", "{scene}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
    with running_worker(server, tmp_path / "w1", adapters=["maya", "blender"]):
        wait_job(client, job["id"], states=("failed",))
    message = client.tasks(job["id"])[0]["attempts"][0]["message"]
    assert "does not run the 'command' adapter" in message


def test_pause_with_kill_stops_the_render_and_resume_finishes_the_job(artist, tmp_path):
    server, client, scene, ref = artist
    pids, go = tmp_path / "pids", tmp_path / "go"
    # Blocks until `go` exists (the first try is killed by the pause), then renders.
    program = (
        "import os, pathlib, sys, time; out, pids, go = sys.argv[1:4]; "
        "pathlib.Path(pids).open('a').write('%d\\n' % os.getpid()); "
        "[time.sleep(0.05) for _ in iter(lambda: pathlib.Path(go).exists(), True)]; "
        "pathlib.Path(out, 'frame_0001.txt').write_text('done')"
    )
    argv = [sys.executable, "-c", program, "{output}", str(pids), str(go)]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
    worker = start_worker(server, tmp_path / "w1")
    try:
        wait_for(lambda: pids.exists() and pids.read_text().strip(), 60)
        first = int(pids.read_text().split()[0])
        client.json("POST", f"/jobs/{job['id']}/pause", {"kill": True})
        wait_for(lambda: not pid_alive(first), 30)
        assert client.job(job["id"])["state"] == "paused"
        go.write_text("go")
        client.job_action(job["id"], "resume")
        wait_job(client, job["id"])
    finally:
        worker.stop()
        worker.join(10)
    attempts = client.tasks(job["id"])[0]["attempts"]
    assert [a["state"] for a in attempts] == ["killed", "done"]


def test_progress_reaches_the_server_while_the_frame_renders(artist, tmp_path):
    server, client, scene, ref = artist
    go = tmp_path / "go"
    program = (
        "import pathlib, sys, time; out, go = sys.argv[1:3]; print('40% done', flush=True); "
        "[time.sleep(0.05) for _ in iter(lambda: pathlib.Path(go).exists(), True)]; "
        "pathlib.Path(out, 'frame_0001.txt').write_text('done')"
    )
    job = client.submit_job(command_spec(scene, ref, [sys.executable, "-c", program, "{output}",
                                                      str(go)], frames="1"))  # fmt: skip
    worker = start_worker(server, tmp_path / "w1")
    try:

        def progress():
            attempts = client.tasks(job["id"])[0]["attempts"]
            return attempts and attempts[0]["progress"]

        assert wait_for(progress, 30) == 0.4
        go.write_text("go")
        wait_job(client, job["id"])
    finally:
        worker.stop()
        worker.join(10)


def test_a_busy_worker_completes_and_claims_in_one_request(artist, tmp_path, caplog):
    """Each finished task's completion brings the next: one claim for the first task only,
    counted in the server's own access log."""
    server, client, scene, ref = artist
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    argv = [sys.executable, "-c", WRITE_FRAME, "{frame}", "{output}", "{scene}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1-5", frames_per_task=1))
    with running_worker(server, tmp_path / "w1") as worker:
        wait_job(client, job["id"])
    served = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    claimed = [m for m in served if re.search(r'"POST /api/v1/workers/claim [^"]*" 200 ', m)]
    completed = [m for m in served if re.search(r'"POST /api/v1/attempts/\d+/complete ', m)]
    assert len(completed) == 5 and all('" 200 ' in m for m in completed)
    assert len(claimed) == 1  # the first task; the four others came with a completion
    assert [o.ok for o in worker.outcomes] == [True] * 5
    assert [o.next is not None for o in worker.outcomes] == [True] * 4 + [False]
    outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
    assert [o["frame"] for o in outputs] == [1, 2, 3, 4, 5]


def test_a_drained_worker_s_completion_brings_no_next_task(artist, tmp_path):
    """Drained by an admin mid-task: it finishes that task, and its completion claims nothing."""
    server, client, scene, ref = artist
    argv = [sys.executable, "-c", "import time; time.sleep(1.5); " + WRITE_FRAME,
            "{frame}", "{output}", "{scene}"]  # fmt: skip
    job = client.submit_job(command_spec(scene, ref, argv, frames="1-3", frames_per_task=1))
    worker = start_worker(server, tmp_path / "w1")
    admin = server.session()
    try:
        wait_for(lambda: worker.running)
        drained = admin.post(server.url(f"/workers/{worker.worker_id}/drain"), json={})
        assert drained.status_code == 200, drained.text
        wait_for(lambda: worker.outcomes, timeout=30)
        time.sleep(1.0)  # a next task, had it come, would be running by now
        assert sorted(_states(client, job["id"])) == ["done", "queued", "queued"]
        assert [o.ok for o in worker.outcomes] == [True] and worker.outcomes[0].next is None
    finally:
        worker.stop()
        worker.join(10)


def _states(client, job_id):
    return [t["state"] for t in client.tasks(job_id)]
