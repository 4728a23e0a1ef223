"""Two server processes on one PostgreSQL, 50 workers: every task is assigned exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import requests
from farm import job_spec, upload
from server_harness import free_port, start_server_process

WORKERS = 50
FRAMES = 400


def _session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def test_two_servers_fifty_workers_each_task_once(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("concurrency")
    first, admin_token = start_server_process(tmp_path / "a", url, free_port())
    second, _ = start_server_process(tmp_path / "b", url, free_port())
    try:
        admin = _session(admin_token)
        ref = upload(first, admin, b"scene for two servers")
        # Both servers share the database but not their blob folders: submit where it was stored.
        spec = job_spec(ref, frames=f"1-{FRAMES}")
        job_id = admin.post(first.base + "/jobs", json=spec).json()["id"]
        enrol = admin.post(first.base + "/workers/enrolment-tokens", json={"uses": WORKERS}).json()[
            "token"
        ]
        tokens = [
            _session(enrol)
            .post(
                first.base + "/workers/register",
                json={"name": f"w{i}", "software": {"blender": {"3.4": {}}}},
            )
            .json()["token"]
            for i in range(WORKERS)
        ]
        claimed: list[int] = []
        errors: list[str] = []
        lock = threading.Lock()

        def work(index: int) -> None:
            session = _session(tokens[index])
            bases = (first.base, second.base)
            turn = index
            while True:
                base = bases[turn % 2]
                turn += 1
                got = session.post(base + "/workers/claim", json={"wait": 0}, timeout=60)
                if got.status_code == 204:
                    return
                if got.status_code != 200:
                    errors.append(f"claim {got.status_code}: {got.text[:200]}")
                    return
                attempt = got.json()
                with lock:
                    claimed.append(attempt["task"]["id"])
                done = session.post(
                    bases[turn % 2] + f"/attempts/{attempt['attempt_id']}/complete",
                    json={},
                    timeout=60,
                )
                if done.status_code != 200:
                    errors.append(f"complete {done.status_code}: {done.text[:200]}")
                    return

        threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        counts = Counter(claimed)
        assert len(counts) == FRAMES and max(counts.values()) == 1
        final = admin.get(second.base + f"/jobs/{job_id}").json()
        assert final["state"] == "completed" and final["tasks_done"] == FRAMES
        tasks = admin.get(first.base + f"/jobs/{job_id}/tasks").json()["tasks"]
        assert all(len(t["attempts"]) == 1 for t in tasks)
    finally:
        first.stop()
        second.stop()
