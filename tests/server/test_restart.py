"""A server killed with SIGKILL mid-job and started again loses no job, task or result."""

from __future__ import annotations

from pathlib import Path

import requests
from farm import job_spec, upload
from server_harness import free_port, start_server_process


class Api:
    """Just enough of the HTTP API, against a server process that may move between runs."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            return self.s.request(method.upper(), self.base + path, timeout=30, **kwargs)

        return call


def test_sigkill_mid_job_then_restart(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {"FARMHAND_LEASE_SECONDS": "2", "FARMHAND_REAP_INTERVAL": "0.2"}
    server, token = start_server_process(data, database_url, port, env)
    try:
        admin = Api(server.base, token)
        user_id = admin.post("/users", json={"name": "ann"}).json()["id"]
        ann = Api(server.base, admin.post(f"/users/{user_id}/tokens", json={}).json()["token"])
        scene = upload(server, ann.s, b"the scene bytes")
        job_id = ann.post("/jobs", json=job_spec(scene, frames="1-4")).json()["id"]
        enrol = admin.post("/workers/enrolment-tokens", json={}).json()["token"]
        registration = {"name": "n1", "software": {"blender": {"3.4": {}}}}
        worker = Api(server.base, Api(server.base, enrol).post(
            "/workers/register", json=registration).json()["token"])  # fmt: skip
        done = worker.post("/workers/claim", json={"wait": 0}).json()
        assert worker.post(f"/attempts/{done['attempt_id']}/complete", json={}).status_code == 200
        running = worker.post("/workers/claim", json={"wait": 0}).json()
        server.kill()

        server, first_token = start_server_process(data, database_url, port, env)
        assert first_token == ""  # not a first start: no new admin
        # Everything is still there: the job, the finished task, the running attempt.
        state = ann.get(f"/jobs/{job_id}").json()
        assert state["state"] == "rendering" and state["tasks_done"] == 1
        assert ann.get(f"/blobs/{scene['md5']}-{scene['size']}").content == b"the scene bytes"
        # The worker that was mid-task carries on with its lease, and finishes.
        beat = worker.post(f"/attempts/{running['attempt_id']}/heartbeat")
        assert beat.status_code == 200
        assert (
            worker.post(f"/attempts/{running['attempt_id']}/complete", json={}).status_code == 200
        )
        while (nxt := worker.post("/workers/claim", json={"wait": 0})).status_code == 200:
            assert worker.post(f"/attempts/{nxt.json()['attempt_id']}/complete",
                               json={}).status_code == 200  # fmt: skip
        final = ann.get(f"/jobs/{job_id}").json()
        assert final["state"] == "completed" and final["tasks_done"] == 4
    finally:
        server.stop()


def test_restart_requeues_a_task_whose_worker_vanished(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {"FARMHAND_LEASE_SECONDS": "1", "FARMHAND_REAP_INTERVAL": "0.2"}
    server, token = start_server_process(data, database_url, port, env)
    try:
        admin = Api(server.base, token)
        scene = upload(server, admin.s, b"scene")
        job_id = admin.post("/jobs", json=job_spec(scene, frames="7")).json()["id"]
        enrol = admin.post("/workers/enrolment-tokens", json={"uses": 2}).json()["token"]
        registration = {"name": "n", "software": {"blender": {"3.4": {}}}}
        gone, alive = (
            Api(server.base, Api(server.base, enrol).post(
                "/workers/register", json=registration).json()["token"])
            for _ in range(2)
        )  # fmt: skip
        assert gone.post("/workers/claim", json={"wait": 0}).status_code == 200
        server.kill()
        server, _ = start_server_process(data, database_url, port, env)
        # The vanished worker never heartbeats: after its lease, the task is handed out again.
        again = alive.post("/workers/claim", json={"wait": 10})
        assert again.status_code == 200 and again.json()["task"]["frames"] == [7]
        alive.post(f"/attempts/{again.json()['attempt_id']}/complete", json={})
        assert admin.get(f"/jobs/{job_id}").json()["state"] == "completed"
    finally:
        server.stop()
