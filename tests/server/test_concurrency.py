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
    second, _ = start_server_process(tmp_path / "a", url, free_port())
    try:
        admin = _session(admin_token)
        ref = upload(first, admin, b"scene for two servers")
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


def test_two_servers_long_polls_and_next_each_task_once(postgres, tmp_path: Path) -> None:
    """Reservations, take-overs and batched rounds in two processes: still exactly once."""
    url = postgres.create_database("concurrency_next")
    env = {"FARMHAND_RESERVATION_SECONDS": "2"}  # some lapse mid-run and are reserved again
    first, admin_token = start_server_process(tmp_path / "a", url, free_port(), env)
    second, _ = start_server_process(tmp_path / "a", url, free_port(), env)
    try:
        admin = _session(admin_token)
        ref = upload(first, admin, b"scene for two servers, next")
        jobs = [
            admin.post(first.base + "/jobs", json=job_spec(ref, frames=f"1-{n}", priority=p))
            .json()["id"]
            for n, p in ((300, 40), (100, 60))
        ]  # fmt: skip
        enrol = admin.post(first.base + "/workers/enrolment-tokens", json={"uses": WORKERS}).json()[
            "token"
        ]
        tokens = [
            _session(enrol)
            .post(first.base + "/workers/register",
                  json={"name": f"w{i}", "software": {"blender": {"3.4": {}}}})
            .json()["token"]
            for i in range(WORKERS)
        ]  # fmt: skip
        claimed: list[int] = []
        errors: list[str] = []
        lock = threading.Lock()

        def work(index: int) -> None:
            session = _session(tokens[index])
            bases = (first.base, second.base)
            turn = index
            got = session.post(bases[turn % 2] + "/workers/claim", json={"wait": 1}, timeout=60)
            assignment = got.json() if got.status_code == 200 else None
            while assignment is not None:
                with lock:
                    claimed.append(assignment["task"]["id"])
                turn += 1
                done = session.post(
                    bases[turn % 2] + f"/attempts/{assignment['attempt_id']}/complete",
                    json={"next": True}, timeout=60,
                )  # fmt: skip
                if done.status_code != 200:
                    errors.append(f"complete {done.status_code}: {done.text[:200]}")
                    return
                assignment = done.json()["next"]
                if assignment is None:  # nothing here just now: long-poll the other server
                    turn += 1
                    got = session.post(
                        bases[turn % 2] + "/workers/claim", json={"wait": 1}, timeout=60
                    )
                    assignment = got.json() if got.status_code == 200 else None

        threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        counts = Counter(claimed)
        assert len(counts) == 400 and max(counts.values()) == 1
        for job_id in jobs:
            final = admin.get(second.base + f"/jobs/{job_id}").json()
            assert final["state"] == "completed", final
            tasks = admin.get(first.base + f"/jobs/{job_id}/tasks").json()["tasks"]
            assert all(len(t["attempts"]) == 1 for t in tasks)
    finally:
        first.stop()
        second.stop()
