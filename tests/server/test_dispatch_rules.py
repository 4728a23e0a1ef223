"""A busy random farm, then its history checked against the scheduler's rules.

Workers claim, render for a few milliseconds, complete (some with `next`) or fail; an
artist pauses (with and without kill), resumes, reprioritises and approves meanwhile.
Afterwards every task's attempts must tell a lawful story: never two at once, one done at
most, never again on a worker that failed it, nothing for a worker after its blocklisting,
nothing while its job was paused or before its test frames were done and approved, no
assembly before its tiles; and the job counters match the tasks.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests
from farm import job_spec, upload
from server_harness import RunningServer, free_port, start_server_process

WORKERS = 12
FAILING = 0.12  # the share of non-test tasks a worker reports as failed
BLOCKLIST_AFTER = 3  # the server's default
EPSILON = 1e-3  # timestamps are floats written by one machine's clock


class Api:
    """Requests to one of the farm's server processes."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return self.base + path

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.s.request(method, self.base + path, timeout=60, **kwargs)


def run_farm(bases: list[str], admin_token: str, seed: int) -> dict[int, dict[str, Any]]:
    """Run the random farm against these servers; each job's tasks and events at the end."""
    rnd = random.Random(seed)
    admin = Api(bases[0], admin_token)
    user_id = admin.call("POST", "/users", json={"name": "ann"}).json()["id"]
    token = admin.call("POST", f"/users/{user_id}/tokens", json={}).json()["token"]
    ann = Api(bases[0], token)
    scene = upload(ann, ann.s, b"a scene for the random farm")
    specs = {
        "tests": job_spec(scene, frames="1-40", test_frames={"first": True, "last": True},
                          stop_after_test=True),
        "tiles": job_spec(scene, frames="1-3", tiles=4, tiles_type="strip", width=64, height=32,
                          priority=60),
        "plain": job_spec(scene, frames="1-100", priority=40),
    }  # fmt: skip
    jobs = {}
    for name, spec in specs.items():
        created = ann.call("POST", "/jobs", json=spec)
        assert created.status_code == 201, created.text
        jobs[name] = created.json()["id"]
    enrol = admin.call("POST", "/workers/enrolment-tokens", json={"uses": WORKERS}).json()["token"]
    tokens = [
        Api(bases[0], enrol).call("POST", "/workers/register", json={
            "name": f"w{i}", "software": {"blender": {"3.4": {}}}}).json()["token"]
        for i in range(WORKERS)
    ]  # fmt: skip
    stop = threading.Event()
    errors: list[str] = []

    def worker(index: int) -> None:
        own = random.Random(seed * 100 + index)
        apis = [Api(base, tokens[index]) for base in bases]
        assignment = None
        while not stop.is_set():
            api = own.choice(apis)
            if assignment is None:
                got = api.call("POST", "/workers/claim", json={"wait": 0.3})
                if got.status_code == 204:
                    continue
                if got.status_code != 200:
                    errors.append(f"claim {got.status_code} {got.text[:200]}")
                    return
                assignment = got.json()
            time.sleep(own.random() * 0.01)
            path = f"/attempts/{assignment['attempt_id']}"
            if not assignment["task"]["is_test"] and own.random() < FAILING:
                answer = api.call("POST", path + "/fail", json={"exit_code": 1, "message": "x"})
                following = None
            else:
                body = {"next": True} if own.random() < 0.5 else {}
                answer = api.call("POST", path + "/complete", json=body)
                following = answer.json().get("next") if answer.status_code == 200 else None
            if answer.status_code not in (200, 409):  # 409: killed by a pause meanwhile
                errors.append(f"report {answer.status_code} {answer.text[:200]}")
                return
            assignment = following

    def attempt_states(job_id: int) -> set[str]:
        tasks = ann.call("GET", f"/jobs/{job_id}/tasks").json()["tasks"]
        return {a["state"] for t in tasks for a in t["attempts"]}

    def pause_killing_a_render(job_id: int) -> None:
        # A pause that kills must meet a running attempt: on a busy machine the workers may
        # not have claimed yet, or may finish first, so try until one attempt was killed.
        for _ in range(500):
            if stop.is_set() or "killed" in attempt_states(job_id):
                return
            if "running" in attempt_states(job_id):
                ann.call("POST", f"/jobs/{job_id}/pause", json={"kill": True})
                if "killed" in attempt_states(job_id):
                    return
                ann.call("POST", f"/jobs/{job_id}/resume")
            time.sleep(0.01)

    def artist() -> None:
        # Each of these at least once, whatever the dice say afterwards.
        pause_killing_a_render(jobs["plain"])
        time.sleep(0.05)
        ann.call("POST", f"/jobs/{jobs['tiles']}/pause", json={"kill": False})
        while not stop.is_set():
            time.sleep(0.02 + rnd.random() * 0.06)
            name = rnd.choice(["plain", "tiles", "tests"])
            job_id = jobs[name]
            state = ann.call("GET", f"/jobs/{job_id}").json()["state"]
            if state == "awaiting_approval":
                ann.call("POST", f"/jobs/{job_id}/approve")
            elif state == "paused":
                ann.call("POST", f"/jobs/{job_id}/resume")
            elif state in ("queued", "rendering"):
                action = rnd.random()
                if action < 0.3:
                    ann.call("POST", f"/jobs/{job_id}/pause", json={"kill": rnd.random() < 0.5})
                elif action < 0.6:
                    ann.call("PATCH", f"/jobs/{job_id}", json={"priority": rnd.randint(1, 99)})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    threads.append(threading.Thread(target=artist))
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and not errors:
            states = {ann.call("GET", f"/jobs/{j}").json()["state"] for j in jobs.values()}
            if states <= {"completed", "failed"}:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors[:5]
    history = {}
    for name, job_id in jobs.items():
        history[job_id] = {
            "name": name,
            "job": ann.call("GET", f"/jobs/{job_id}").json(),
            "tasks": ann.call("GET", f"/jobs/{job_id}/tasks").json()["tasks"],
            "events": ann.call("GET", f"/jobs/{job_id}/events").json()["events"],
        }
    return history


def check_rules(history: dict[int, dict[str, Any]]) -> None:
    """Every rule the history must obey (see the module docstring)."""
    # The run did what it is for: pauses, kills and failures happened.
    events = [e for h in history.values() for e in h["events"]]
    ends = {a["state"] for h in history.values() for t in h["tasks"] for a in t["attempts"]}
    assert any(e["to"] == "paused" for e in events) and {"failed", "killed"} <= ends
    for h in history.values():
        job, tasks, events = h["job"], h["tasks"], h["events"]
        assert job["state"] in ("completed", "failed"), (h["name"], job["state"])
        attempts = [a for t in tasks for a in t["attempts"]]
        assert all(a["state"] != "running" for a in attempts), h["name"]
        for t in tasks:
            done = [a for a in t["attempts"] if a["state"] == "done"]
            assert len(done) == (1 if t["state"] == "done" else 0), t
            ordered = sorted(t["attempts"], key=lambda a: a["started_at"])
            for before, after in itertools.pairwise(ordered):
                assert before["ended_at"] <= after["started_at"] + EPSILON, t  # never two at once
            failed_by: set[int] = set()
            for a in ordered:
                assert a["worker_id"] not in failed_by, t  # not again where it failed
                if a["state"] in ("failed", "timeout"):
                    failed_by.add(a["worker_id"])
        assert job["tasks_done"] == sum(t["state"] == "done" for t in tasks), h["name"]
        assert job["tasks_failed"] == sum(t["state"] == "failed" for t in tasks), h["name"]
        # Blocklisted after BLOCKLIST_AFTER failures in the job: nothing new there afterwards.
        by_worker: dict[int, list[dict]] = defaultdict(list)
        for a in sorted(attempts, key=lambda a: a["started_at"]):
            by_worker[a["worker_id"]].append(a)
        for mine in by_worker.values():
            failures = [a for a in mine if a["state"] in ("failed", "timeout")]
            if len(failures) >= BLOCKLIST_AFTER:
                blocked_at = failures[BLOCKLIST_AFTER - 1]["ended_at"]
                assert all(a["started_at"] <= blocked_at + EPSILON for a in mine), h["name"]
        # Nothing starts while the job is paused (or, once approval is asked, before it is).
        stopped_since = None
        for e in events:
            if e["to"] in ("paused", "awaiting_approval"):
                stopped_since = e["at"]
            elif stopped_since is not None:
                assert not [
                    a for a in attempts if stopped_since + EPSILON < a["started_at"] < e["at"]
                ], (h["name"], e)
                stopped_since = None
        # Test frames first: nothing else starts before every test task is done.
        tests = [t for t in tasks if t["is_test"]]
        if tests and all(t["state"] == "done" for t in tests):
            tests_done = max(a["ended_at"] for t in tests for a in t["attempts"] if a["ended_at"])
            others = [a for t in tasks if not t["is_test"] for a in t["attempts"]]
            assert all(a["started_at"] + EPSILON >= tests_done for a in others), h["name"]
        # An assembly starts only once every tile of its frame is done.
        for t in tasks:
            if t["kind"] != "assemble" or not t["attempts"]:
                continue
            tiles = [u for u in tasks if u["kind"] == "tile" and u["frames"] == t["frames"]]
            tiles_done = max(
                a["ended_at"] for u in tiles for a in u["attempts"] if a["state"] == "done"
            )
            assert all(a["started_at"] + EPSILON >= tiles_done for a in t["attempts"]), t


def test_a_random_farm_keeps_the_rules(server: RunningServer) -> None:
    check_rules(run_farm([server.base], server.admin_token, seed=7))


def test_a_random_farm_on_two_servers_keeps_the_rules(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("random_farm")
    env = {"FARMHAND_RESERVATION_SECONDS": "1"}  # reservations lapse and change hands
    first, token = start_server_process(tmp_path / "a", url, free_port(), env)
    second, _ = start_server_process(tmp_path / "a", url, free_port(), env)
    try:
        # Both share the database and the blob folder.
        check_rules(run_farm([first.base, second.base], token, seed=11))
    finally:
        first.stop()
        second.stop()
