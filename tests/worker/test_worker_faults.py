"""The worker when things go wrong around it: the server away mid-task, hung renders, huge logs."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
import requests
from farmhand.transfer.client import FarmClient
from farmhand_worker.adapters import LineEvent, RenderCommand
from farmhand_worker.farm_client import WorkerClient
from farmhand_worker.run import process
from farmhand_worker.run.logs import LogStream
from server_harness import free_port, start_server_process
from worker_support import (
    child_running,
    command_spec,
    download,
    ensure_render_user,
    pid_alive,
    reachable_dir,
    start_worker,
    start_worker_process,
    upload_files,
    wait_for,
    wait_job,
)


def _as_running(proc, admin_token: str):
    """What the worker helpers need of a server, for a server in its own process."""

    def session(token: str | None = None) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token or admin_token}"
        return s

    return SimpleNamespace(base=proc.base, url=proc.url, session=session)


def _server_process_with_a_scene(tmp_path: Path, port: int):
    """A server in its own process, an artist's client, and one uploaded scene file."""
    server, admin_token = start_server_process(tmp_path / "server", "", port)
    running = _as_running(server, admin_token)
    admin = running.session()
    user_id = admin.post(server.url("/users"), json={"name": "ann"}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    return server, running, client, scene, upload_files(client, [scene])[scene]


def test_a_server_killed_mid_task_loses_nothing_the_worker_did(tmp_path):
    port, data = free_port(), tmp_path / "server"
    server, running, client, scene, ref = _server_process_with_a_scene(tmp_path, port)
    started, go = tmp_path / "started", tmp_path / "go"
    # Renders frame 1 once the test says go, printing while the server is down.
    program = (
        "import pathlib, sys, time; out, started, go = sys.argv[1:4]; "
        "pathlib.Path(started).write_text('x'); "
        "[time.sleep(0.05) for _ in iter(lambda: pathlib.Path(go).exists(), True)]; "
        "[print('line while the server was away', i, flush=True) for i in range(50)]; "
        "pathlib.Path(out, 'frame_0001.txt').write_text('rendered')"
    )
    argv = [sys.executable, "-c", program, "{output}", str(started), str(go)]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
    worker = start_worker(running, tmp_path / "w1")
    try:
        wait_for(started.exists, 60)
        server.kill()
        go.write_text("go")
        # The render finishes and its report waits; then the server comes back.
        wait_for(lambda: "frame_0001.txt" in str(list((tmp_path / "w1").rglob("*.txt"))), 30)
        server, _ = start_server_process(data, "", port)
        wait_job(client, job["id"], timeout=90)
        outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
        assert [download(client, o["blob"]) for o in outputs] == [b"rendered"]
        attempt = client.tasks(job["id"])[0]["attempts"][0]
        log = client.request("GET", f"/attempts/{attempt['id']}/log").text
        assert "line while the server was away 49" in log
    finally:
        worker.stop()
        worker.join(10)
        server.stop()


def test_the_result_is_downloadable_after_a_server_restart(tmp_path):
    port, data = free_port(), tmp_path / "server"
    server, running, client, scene, ref = _server_process_with_a_scene(tmp_path, port)
    program = "import pathlib, sys; pathlib.Path(sys.argv[1], 'frame_0001.txt').write_text('ok')"
    job = client.submit_job(command_spec(scene, ref, [sys.executable, "-c", program, "{output}"],
                                         frames="1"))  # fmt: skip
    worker = start_worker(running, tmp_path / "w1")
    try:
        wait_job(client, job["id"])
    finally:
        worker.stop()
        worker.join(10)
    server.kill()
    server, _ = start_server_process(data, "", port)
    try:
        outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
        assert download(client, outputs[0]["blob"]) == b"ok"
        attempt = client.tasks(job["id"])[0]["attempts"][0]
        assert "exit code 0" in client.request("GET", f"/attempts/{attempt['id']}/log").text
    finally:
        server.stop()


def _command(argv: list[str], cwd: Path) -> RenderCommand:
    return RenderCommand(argv=argv, cwd=cwd)


def test_a_render_that_prints_nothing_is_ended_as_hung(tmp_path):
    lines: list[str] = []
    program = "import time; print('start', flush=True); time.sleep(60)"
    result = process.run(_command([sys.executable, "-c", program], tmp_path), lines.append,
                         lambda _: None, threading.Event(),
                         process.Limits(hung_after=1.0, kill_grace=1.0))  # fmt: skip
    assert result.ended_by == process.HUNG and not result.ok
    assert lines == ["start\n"]
    assert result.seconds < 30


def test_a_fatal_line_ends_the_render_even_if_it_would_carry_on(tmp_path):
    program = "import time; print('LICENSE FAILURE', flush=True); time.sleep(60)"

    def parse(line: str) -> LineEvent | None:
        return LineEvent(fatal=line) if "LICENSE" in line else None

    result = process.run(_command([sys.executable, "-c", program], tmp_path), lambda _: None,
                         parse, threading.Event(), process.Limits(kill_grace=1.0))  # fmt: skip
    assert result.ended_by == process.FATAL and result.fatal == "LICENSE FAILURE"


def test_progress_and_exit_code_come_through(tmp_path):
    seen: list[float] = []
    program = "import sys; [print(f'{p}% done', flush=True) for p in (10, 50, 100)]; sys.exit(3)"

    def parse(line: str) -> LineEvent | None:
        return LineEvent(progress=int(line.split("%")[0]) / 100) if "% done" in line else None

    command = _command([sys.executable, "-c", program], tmp_path)
    result = process.run(command, lambda _: None, parse, threading.Event(), process.Limits(),
                         on_progress=seen.append)  # fmt: skip
    assert seen == [0.1, 0.5, 1.0]
    assert result.exit_code == 3 and result.ended_by is None and not result.ok


def test_a_log_over_the_cap_is_cut_with_a_note(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    program = (
        "import pathlib, sys; [print('x' * 99, flush=False) for _ in range(2000)]; "
        "pathlib.Path(sys.argv[1], 'frame_0001.txt').write_text('ok')"
    )
    job = client.submit_job(command_spec(scene, ref, [sys.executable, "-c", program, "{output}"],
                                         frames="1"))  # fmt: skip
    worker = start_worker(server, tmp_path / "w1", log_cap_bytes=20_000)
    try:
        wait_job(client, job["id"])
    finally:
        worker.stop()
        worker.join(10)
    attempt = client.tasks(job["id"])[0]["attempts"][0]
    log = client.request("GET", f"/attempts/{attempt['id']}/log").text
    assert len(log.encode()) < 21_000
    assert "[farmhand] log truncated:" in log


def test_log_text_waits_while_the_server_is_away(tmp_path):
    # A port nobody listens on: every send fails as "unreachable", so the text is kept.
    client = WorkerClient(f"http://127.0.0.1:{free_port()}", "fhw_test", timeout=1)
    stream = LogStream(client, attempt_id=1, batch_bytes=10, batch_seconds=0.05)
    stream.write("first line\n")
    stream.write("second line\n")
    stream.close(timeout=0.5)
    assert stream.sent == 0
    assert "".join(stream._pending) == "first line\nsecond line\n"


# A render that starts a child of its own, then both wait: the whole group must go.
FAMILY = (
    "import subprocess, sys, time; marker = sys.argv[1]; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', marker]); "
    "print('rendering', flush=True); time.sleep(300)"
)


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if marker in (p.info["cmdline"] or []) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
    return found


@pytest.mark.parametrize("as_user", [False, True], ids=["worker-user", "render-user"])
def test_a_killed_worker_takes_its_render_along_and_its_restart_hands_the_task_on(
    farm, tmp_path, as_user
):
    """Issue 12: kill -9 of the worker ends the render's whole group within 2 s; the
    restarted worker reports the attempt lost at once (the lease is 60 s)."""
    server, token = farm
    extra = ["--render-user", ensure_render_user()] if as_user else []
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    marker = f"render-{uuid.uuid4().hex}"
    python = "/usr/bin/python3" if as_user else sys.executable  # the render user can run it
    job = client.submit_job(command_spec(scene, ref, [python, "-c", FAMILY, marker], frames="1"))
    with reachable_dir() as data:
        doomed = start_worker_process(server, data / "node", "node", extra, log=tmp_path / "1.log")
        second = None
        try:
            wait_for(lambda: len(_marked(marker)) == 2, 60)
            guard = child_running(doomed.pid, "guard.py")
            assert guard is not None
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            wait_for(lambda: not _marked(marker), timeout=2.0, every=0.05)
            wait_for(lambda: not pid_alive(guard.pid), timeout=2.0, every=0.05)
            second = start_worker_process(server, data / "node", "node", extra,
                                          log=tmp_path / "2.log")  # fmt: skip

            def handed_on():
                attempts = client.tasks(job["id"])[0]["attempts"]
                return len(attempts) == 2 and attempts

            lost, again = wait_for(handed_on, 20)
            # Its render guard says so at once; else the restart would (`_report_orphans`).
            assert lost["state"] == "lost" and ("render guard reported it" in lost["message"]
                                                or "restarted" in lost["message"])  # fmt: skip
            assert again["state"] == "running"
        finally:
            client.job_action(job["id"], "cancel")
            for node in (doomed, second):
                if node is not None and node.poll() is None:
                    node.terminate()
                    node.wait(30)
        wait_for(lambda: not _marked(marker), 30)


def test_a_killed_worker_s_task_is_rendering_on_another_node_within_5_s(farm, tmp_path):
    """Issue 12: kill -9 of the worker mid-frame, no restart: its render guard ends the
    render within 2 s and reports the attempt lost, so another node has it within 5 s."""
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    marker = f"render-{uuid.uuid4().hex}"
    job = client.submit_job(command_spec(scene, ref, [sys.executable, "-c", FAMILY, marker],
                                         frames="1"))  # fmt: skip
    nodes = []
    try:
        with reachable_dir() as data:
            doomed = start_worker_process(server, data / "a", "node-a", log=tmp_path / "a.log")
            nodes.append(doomed)
            wait_for(lambda: len(_marked(marker)) == 2, 60)
            first = {p.pid for p in _marked(marker)}
            other = start_worker_process(server, data / "b", "node-b", log=tmp_path / "b.log")
            nodes.append(other)
            admin = server.session()
            wait_for(lambda: len(admin.get(server.url("/workers")).json()["workers"]) == 2, 30)
            doomed.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            doomed.wait(10)
            # node-b may start the same argv again: the first render's processes must go.
            wait_for(lambda: not any(pid_alive(pid) for pid in first), timeout=2.0, every=0.05)

            def on_the_other_node():
                attempts = client.tasks(job["id"])[0]["attempts"]
                return len(attempts) == 2 and attempts[1]["state"] == "running" and attempts

            lost, again = wait_for(on_the_other_node, 5.0, every=0.1)
            assert time.monotonic() - killed < 5.0
            assert lost["state"] == "lost" and "render guard reported it" in lost["message"]
            assert lost["worker"] == "node-a" and again["worker"] == "node-b"
    finally:
        client.job_action(job["id"], "cancel")
        for node in nodes:
            if node.poll() is None:
                node.terminate()
                node.wait(30)
    wait_for(lambda: not _marked(marker), 30)
