"""Jobs that always end, with real workers: the liveness rule (docs/server.md).

A frame longer than its time limit on one or two Blender nodes, a job whose every node is
blocklisted, and the studio's `retry_on_failed_nodes`, through the command adapter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from blender_scenes import make_scene
from cli_support import farm_env, run_cli
from farmhand.transfer.client import FarmClient
from test_farm_blender import blend_spec, stop_all, workers
from worker_support import command_spec, start_worker, upload_files, wait_for, wait_job


@pytest.fixture
def artist(farm):
    server, token = farm
    return server, token, FarmClient(server.base.removesuffix("/api/v1"), token)


def farmhand(server, token: str, tmp_path: Path, *args: str, timeout: float = 240):
    """The `farmhand` command line as the artist."""
    return run_cli(*args, env=farm_env(tmp_path, server, token), timeout=timeout)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_frame_longer_than_its_time_out_fails_the_job(artist, tmp_path, count):
    """Issue 12: each node kills the frame at time_out; the job ends, saying why."""
    server, token, client = artist
    slow = make_scene(tmp_path / "late" / "late.blend", frames=(1, 1), width=640, height=480,
                      samples=4096)  # fmt: skip
    job = client.submit_job(blend_spec(client, slow, frames="1", width=640, height=480,
                                       time_out=3))  # fmt: skip
    nodes = workers(server, tmp_path, count)
    try:
        waited = farmhand(server, token, tmp_path, "status", str(job["id"]), "--wait")
    finally:
        stop_all(nodes)
    assert waited.returncode == 1, waited.stdout + waited.stderr
    names = ", ".join(f"node{i} (killed after exceeding time_out (3 s))"
                      for i in range(1, count + 1))  # fmt: skip
    want = f"failed: 1 task(s) failed; frame 1: failed on every node able to run it: {names}"
    assert want in waited.stdout, waited.stdout
    finished = client.job(job["id"])
    attempts = client.tasks(job["id"])[0]["attempts"]
    assert len(attempts) == count and len({a["worker_id"] for a in attempts}) == count
    assert finished["finished_at"] - max(a["ended_at"] for a in attempts) < 30
    status = farmhand(server, token, tmp_path, "status", str(job["id"]))
    assert want in status.stdout


@pytest.mark.parametrize("count", [2, 3])
def test_a_job_blocklisted_on_every_node_fails(artist, tmp_path, count):
    server, _, client = artist
    server.config.blocklist_after = 1
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    argv = [sys.executable, "-c", "import sys; print('no licence'); sys.exit(3)"]
    nodes = [start_worker(server, tmp_path / f"w{i}", name=f"w{i}") for i in range(1, count + 1)]
    try:
        # Every node online before the job exists: the first failure must not find fewer.
        admin = server.session()
        wait_for(lambda: len(admin.get(server.url("/workers")).json()["workers"]) == count, 30)
        job = client.submit_job(command_spec(scene, ref, argv, frames="1-4"))
        finished = wait_job(client, job["id"], states=("failed",), timeout=120)
    finally:
        stop_all(nodes)
    assert finished["tasks_failed"] == 4
    reason = client.job(job["id"])["state_reason"]
    names = ", ".join(f"w{i}" for i in range(1, count + 1))
    assert f"every online node able to run it is blocklisted for this job: {names}" in reason
    tried = [a for t in client.tasks(job["id"]) for a in t["attempts"]]
    assert len(tried) == count  # one failure each, then nobody was left to try


def test_with_the_studio_setting_the_node_that_failed_it_renders_it(artist, tmp_path):
    server, _, client = artist
    server.config.retry_on_failed_nodes = True
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    marker = tmp_path / "tries"
    # Fails on its first try; renders on the next, on the same (only) node.
    program = (
        "import pathlib, sys; m = pathlib.Path(sys.argv[1]); n = len(m.read_text()) "
        "if m.exists() else 0; m.write_text('x' * (n + 1)); "
        "sys.exit(1) if n == 0 else pathlib.Path(sys.argv[2], 'frame_0001.txt').write_text('ok')"
    )
    argv = [sys.executable, "-c", program, str(marker), "{output}"]
    job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
    node = start_worker(server, tmp_path / "w1", name="w1")
    try:
        wait_job(client, job["id"], timeout=60)
    finally:
        stop_all([node])
    attempts = client.tasks(job["id"])[0]["attempts"]
    assert [a["state"] for a in attempts] == ["failed", "done"]
    assert attempts[0]["worker_id"] == attempts[1]["worker_id"]


def test_a_job_for_software_no_node_has_says_so(artist, tmp_path):
    server, token, client = artist
    scene = make_scene(tmp_path / "maya" / "shot.blend", frames=(1, 1), width=64, height=48)
    spec = blend_spec(client, scene, frames="1", software={"cg_name": "maya",
                                                           "cg_version": "2025"})  # fmt: skip
    job = client.submit_job(spec)
    nodes = workers(server, tmp_path, 1)
    try:
        wait_for(lambda: client.job(job["id"])["waiting_reason"] != "no worker is online", 30)
        status = farmhand(server, token, tmp_path, "status", str(job["id"]))
    finally:
        stop_all(nodes)
    assert ("waiting: no online worker has Maya ≥ 2025 (online: Blender 3.4 on 1 worker)"
            in status.stdout), status.stdout  # fmt: skip
    assert client.job(job["id"])["state"] == "queued"
