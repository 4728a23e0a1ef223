"""`farmhand status JOB --tasks` and `farmhand logs` against a real server and a real worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from farmhand.transfer.client import FarmClient
from worker_support import command_spec, start_worker, upload_files, wait_for, wait_job

REPO = Path(__file__).resolve().parents[2]
# Renders frame 1; frame 2 fails with exit code 3 and says why.
PROGRAM = (
    "import pathlib, sys; f = sys.argv[1]; print('rendering', f, flush=True); "
    "f == '2' and print('no licence for frame', f, file=sys.stderr); "
    "f == '2' and sys.exit(3); pathlib.Path(sys.argv[2], 'frame_' + f + '.txt').write_text(f)"
)


@pytest.fixture
def artist(farm, tmp_path):
    """The farm, the artist's client, a scene uploaded, and the environment for the CLI."""
    server, token = farm
    root = server.base.removesuffix("/api/v1")
    client = FarmClient(root, token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    path = os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])
    env = dict(os.environ, PYTHONPATH=path, FARMHAND_SERVER=root, FARMHAND_TOKEN=token,
               COLUMNS="100", XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
    return server, client, scene, ref, env


def farmhand(env, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "farmhand", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def run_job(server, client, scene, ref, tmp_path, **fields) -> dict:
    states = fields.pop("_states", None) or ("failed",)
    argv = [sys.executable, "-c", PROGRAM, "{frame}", "{output}"]
    job = client.submit_job(command_spec(scene, ref, argv, **fields))
    worker = start_worker(server, tmp_path / "w1", name="node-a")
    try:
        return wait_job(client, job["id"], states=states)
    finally:
        worker.stop()
        worker.join(10)


def test_status_tasks_shows_each_task_and_why_it_failed(artist, tmp_path):
    server, client, scene, ref, env = artist
    server.config.max_retries = 0
    job = run_job(server, client, scene, ref, tmp_path, frames="1-2")
    first, second = client.tasks(job["id"])
    shown = farmhand(env, "status", str(job["id"]), "--tasks")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.split()[:2] == ["task", "frames"])
    assert all(len(line) <= 100 for line in lines[heading:]), lines  # the table fits
    done, failed = lines[heading + 1].split(), lines[heading + 2].split()
    assert done[:2] == [str(first["id"]), "1"] and "done" in done and "100%" in done
    assert failed[:2] == [str(second["id"]), "2"] and "failed" in failed
    assert "node-a" in failed and "3" in failed  # the node and the exit code

    as_json = farmhand(env, "status", str(job["id"]), "--tasks", "--json")
    rows = json.loads(as_json.stdout)["tasks"]
    assert [(r["id"], r["state"], r["attempts"], r["node"], r["exit_code"]) for r in rows] == [
        (first["id"], "done", 1, "node-a", 0),
        (second["id"], "failed", 1, "node-a", 3),
    ]
    assert rows[1]["message"] == "renderer exited with code 3" and rows[0]["progress"] == 1.0
    assert rows[1]["task_message"].startswith("failed 1 times (max_retries 0)")


def test_logs_prints_the_latest_attempt_or_the_one_named(artist, tmp_path):
    server, client, scene, ref, env = artist
    server.config.max_retries = 0
    job = run_job(server, client, scene, ref, tmp_path, frames="1-2")
    first, second = client.tasks(job["id"])
    latest = farmhand(env, "logs", str(job["id"]))
    assert latest.returncode == 0, latest.stderr
    assert "rendering 2" in latest.stdout and "no licence for frame 2" in latest.stdout
    assert f"task {second['id']} (frames 2), attempt 1 of 1 on node-a: failed" in latest.stderr
    named = farmhand(env, "logs", str(job["id"]), "--task", str(first["id"]), "--attempt", "1")
    assert "rendering 1" in named.stdout and "rendering 2" not in named.stdout
    too_far = farmhand(env, "logs", str(job["id"]), "--task", str(first["id"]), "--attempt", "2")
    assert too_far.returncode == 1 and "has 1 attempt(s)" in too_far.stderr
    unknown = farmhand(env, "logs", str(job["id"]), "--task", "999999")
    assert unknown.returncode == 1 and "has no task 999999" in unknown.stderr
    alone = farmhand(env, "logs", str(job["id"]), "--attempt", "1")
    assert alone.returncode == 1 and "--attempt needs --task" in alone.stderr


def test_status_promises_no_time_while_awaiting_approval(artist, tmp_path):
    server, client, scene, ref, env = artist
    job = run_job(server, client, scene, ref, tmp_path, frames="1,3", test_frames={"first": True},
                  stop_after_test=True, _states=("awaiting_approval",))  # fmt: skip
    shown = farmhand(env, "status", str(job["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "awaiting_approval, 50%" in shown.stdout and "left" not in shown.stdout
    assert "  waiting: awaiting approval of its test frames: approve it" in shown.stdout
    table = farmhand(env, "status", str(job["id"]), "--tasks").stdout.splitlines()
    queued = next(line for line in table if " queued " in line)
    assert "waiting: its job awaits approval" in queued, table  # cut to 100 columns
    rows = json.loads(farmhand(env, "status", str(job["id"]), "--tasks", "--json").stdout)
    assert [r["waiting_reason"] for r in rows["tasks"]] == [
        None, "its job awaits approval of its test frames"]  # fmt: skip


def test_status_wait_with_tasks_prints_the_end_then_the_table(artist, tmp_path):
    server, client, scene, ref, env = artist
    server.config.max_retries = 0
    job = run_job(server, client, scene, ref, tmp_path, frames="1-2")
    shown = farmhand(env, "status", str(job["id"]), "--wait", "--tasks")
    assert shown.returncode == 1, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"job {job['id']}: failed")
    assert lines[1].startswith("  failed: 1 task(s) failed; frame 2:"), lines
    heading = next(i for i, line in enumerate(lines) if line.split()[:2] == ["task", "frames"])
    assert heading == 2 and "renderer exited with code 3" in lines[heading + 2]


def test_ctrl_c_ends_a_follower_quietly(artist, tmp_path):
    server, client, scene, ref, env = artist
    argv = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
    worker = start_worker(server, tmp_path / "w1", name="node-a")
    follower = None
    try:
        wait_for(lambda: b"started" in _log(client, job["id"]), 60)
        argv = [sys.executable, "-m", "farmhand", "logs", str(job["id"]), "-f"]
        follower = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert follower.stdout.readline().startswith(b"[farmhand] worker node-a")
        assert follower.poll() is None  # still following the running attempt
        follower.send_signal(signal.SIGINT)
        assert follower.wait(30) == 130
        assert b"Traceback" not in follower.stderr.read()
    finally:
        if follower and follower.poll() is None:
            follower.kill()
        client.job_action(job["id"], "cancel")
        worker.stop()
        worker.join(10)


def _log(client: FarmClient, job_id: int) -> bytes:
    """The job's latest attempt's log so far (b"" before any)."""
    tried = [a["id"] for t in client.tasks(job_id) for a in t["attempts"]]
    return client.attempt_log(tried[-1])[0] if tried else b""
