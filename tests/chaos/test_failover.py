"""A worker given two server processes fails over when one is killed, keeping its task.

Two `farmhand server` processes on one PostgreSQL and one blob folder; a real worker daemon
configured with both addresses renders a task that runs well past the lease; the server it
talks to is killed with SIGKILL mid-render. The lease must be renewed through the other
process (else the task would be requeued: a second attempt), and the task complete there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import chaos_support
import requests
from farmhand.transfer.client import FarmClient
from farmhand_worker.config import Software, WorkerConfig
from farmhand_worker.daemon import Worker
from server_harness import free_port, start_server_process
from worker_support import HARDWARE, command_spec, upload_files, wait_for, wait_job

LEASE = 4  # seconds: the render outlives it twice over after the kill

# Fixtures (see chaos_support).
postgres = chaos_support.postgres


def _enrol(base: str, admin_token: str) -> str:
    answer = requests.post(base + "/workers/enrolment-tokens", json={},
                           headers={"Authorization": f"Bearer {admin_token}"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def _artist(base: str, admin_token: str, servers: str) -> FarmClient:
    admin = FarmClient(servers, admin_token)
    user_id = admin.json("POST", "/users", {"name": "ann"})["id"]
    token = admin.json("POST", f"/users/{user_id}/tokens", {})["token"]
    return FarmClient(servers, token)


def test_a_worker_keeps_its_task_when_its_server_is_killed(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("failover")
    env = {"FARMHAND_LEASE_SECONDS": str(LEASE)}
    data = tmp_path / "shared"  # both processes: one blob folder
    first, admin_token = start_server_process(data, url, free_port(), env)
    second, _ = start_server_process(data, url, free_port(), env)
    roots = [p.base.removesuffix("/api/v1") for p in (first, second)]
    servers = ",".join(roots)
    worker = None
    try:
        client = _artist(first.base, admin_token, servers)
        scene = tmp_path / "scene.txt"
        scene.write_text("s")
        ref = upload_files(client, [scene])[scene]
        started, go = tmp_path / "started", tmp_path / "go"
        program = (
            "import pathlib, sys, time; out, started, go = sys.argv[1:4]; "
            "pathlib.Path(started).write_text('x'); "
            "[time.sleep(0.05) for _ in iter(lambda: pathlib.Path(go).exists(), True)]; "
            f"time.sleep({2 * LEASE}); "
            "pathlib.Path(out, 'frame_0001.txt').write_text('rendered')"
        )
        argv = [sys.executable, "-c", program, "{output}", str(started), str(go)]
        job = client.submit_job(command_spec(scene, ref, argv, frames="1"))
        config = WorkerConfig(
            server=servers, token=_enrol(first.base, admin_token), name="node",
            data_dir=tmp_path / "w1", software=[Software("python", "3.11")], claim_wait=2.0,
            log_batch_seconds=0.2, kill_grace=2.0, heartbeat_seconds=0.5,
            adapters=["command"],
        )  # fmt: skip
        worker = Worker(config, HARDWARE)
        worker.start()
        assert worker.client is not None and worker.client.server == roots[0]
        wait_for(started.exists, 60)
        first.kill()  # SIGKILL, mid-render: the worker's server is gone
        go.write_text("go")
        done = wait_job(client, job["id"], timeout=60 + 4 * LEASE)
        assert done["state"] == "completed"
        assert worker.client.server == roots[1]
        attempts = client.tasks(job["id"])[0]["attempts"]
        # One attempt, done: the lease never lapsed although the render outlived it twice.
        assert [a["state"] for a in attempts] == ["done"], attempts
        outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
        assert [o["name"] for o in outputs if o["kind"] != "preview"] == ["frame_0001.txt"]
    finally:
        if worker is not None:
            worker.stop()
            worker.join(10)
        first.stop()
        second.stop()


def test_the_client_fails_over_to_the_next_address(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("client_failover")
    data = tmp_path / "shared"
    first, admin_token = start_server_process(data, url, free_port())
    second, _ = start_server_process(data, url, free_port())
    dead = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    try:
        client = FarmClient(f"{dead}, {second.base.removesuffix('/api/v1')}", admin_token)
        assert client.json("GET", "/me")["name"] == "admin"
        assert client.server == second.base.removesuffix("/api/v1")
        # A POST that never connected is sent to the next address too.
        both = FarmClient(",".join(p.base.removesuffix("/api/v1") for p in (first, second)),
                          admin_token)  # fmt: skip
        first.kill()
        made = both.json("POST", "/users", {"name": "bob"})
        assert made["name"] == "bob"
        assert [u["name"] for u in both.json("GET", "/users")["users"]].count("bob") == 1
    finally:
        first.stop()
        second.stop()


def test_a_server_list_in_the_settings() -> None:
    from farmhand.transfer.client import server_list
    from farmhand_worker.config import _build

    assert server_list("http://a:1/, http://b:2") == ["http://a:1", "http://b:2"]
    assert server_list("") == ["http://127.0.0.1:8642"]
    assert len(server_list(",".join(f"http://h{i}" for i in range(40)))) == 16
    config = _build({"server": ["http://a:1", "http://b:2"]}, "worker.toml")
    assert server_list(config.server) == ["http://a:1", "http://b:2"]
