"""Chaos: two servers on PostgreSQL, simulated workers, random kill -9 of workers and a server.

A job of many one-frame tasks runs on two `farmhand server` processes sharing one PostgreSQL
database and one blob folder, rendered by simulated workers (`bench/simworkers.py`) that know
both addresses. During the run some workers are killed (no report; some come back and report
what they held as lost, others never do) and one server process gets SIGKILL. At the end every
task is done exactly once and every attempt the server recorded is accounted for: done by the
worker that reported it, or ended (lost) with no task left running. The time from the server's
kill to its workers' tasks running again through the other process is printed (target < 10 s).

CI size: 40 workers, 400 tasks (about 30 s). By hand, at full size (200 workers, 5,000
tasks): `FARMHAND_CHAOS_FULL=1 pytest tests/chaos/test_chaos.py -s`.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import Counter

import chaos_support
from farmhand.transfer.client import FarmClient
from server_harness import free_port, start_server_process
from worker_support import upload_files

LEASE = 5

# Fixtures (see chaos_support).
postgres = chaos_support.postgres
simworkers = chaos_support.simworkers


def _size() -> dict:
    if os.environ.get("FARMHAND_CHAOS_FULL") == "1":
        return {"workers": 200, "tasks": 5000, "render": "uniform:0.5:2", "timeout": 900}
    return {"workers": 40, "tasks": 400, "render": "uniform:0.5:1.5", "timeout": 150}


def test_chaos_every_task_once_every_attempt_accounted(postgres, tmp_path, simworkers):
    size = _size()
    sim = simworkers
    url = postgres.create_database("chaos")
    env = {"FARMHAND_LEASE_SECONDS": str(LEASE), "FARMHAND_RESERVATION_SECONDS": "5"}
    data = tmp_path / "shared"
    first, admin_token = start_server_process(data, url, free_port(), env)
    second, _ = start_server_process(data, url, free_port(), env)
    roots = [p.base.removesuffix("/api/v1") for p in (first, second)]
    admin = FarmClient(",".join(roots), admin_token)
    try:
        scene = tmp_path / "scene.blend"
        scene.write_bytes(b"chaos scene")
        ref = upload_files(admin, [scene])[scene]
        spec = {
            "name": "chaos", "scene": {"path": "C:/proj/chaos.blend", "blob": ref},
            "software": {"cg_name": "blender", "cg_version": "3.4"},
            "renderer": {"adapter": "blender"}, "frames": f"1-{size['tasks']}",
        }  # fmt: skip
        job = admin.submit_job(spec)
        enrol = admin.json("POST", "/workers/enrolment-tokens", {"uses": size["workers"]})
        report = asyncio.run(_run(sim, roots, enrol["token"], first, size, admin, job["id"]))
        print(
            f"\nchaos: {size['workers']} workers, {size['tasks']} tasks in "
            f"{report['seconds']:.0f} s;"
            f" killed {report['killed_workers']} workers; server killed at "
            f"{report['server_killed_at']:.1f} s; its workers running again after: max "
            f"{report['recovery_max']:.1f} s, median {report['recovery_median']:.1f} s "
            f"({report['recovered']} workers)"
        )
        done = admin.job(job["id"])
        assert done["state"] == "completed", done
        tasks = admin.tasks(job["id"])
        assert len(tasks) == size["tasks"]
        attempts = {a["id"]: (t["id"], a) for t in tasks for a in t["attempts"]}
        states = Counter(a["state"] for _, a in attempts.values())
        print(f"chaos: attempts by state {dict(states)}")
        for task in tasks:
            ended = [a["state"] for a in task["attempts"]]
            assert ended.count("done") == 1, (task["id"], ended)  # exactly once
            assert "running" not in ended
        done_ids = {i for i, (_, a) in attempts.items() if a["state"] == "done"}
        completed = {attempt for attempt, _ in report["completed"]}
        received = report["received"]
        # Every completion a worker was told of is a done attempt, and every done attempt went
        # to a worker; attempts no worker saw (a claim answered as its server died) are lost.
        assert completed <= done_ids
        assert done_ids <= set(received)
        unseen = {i: a["state"] for i, (_, a) in attempts.items() if i not in received}
        assert set(unseen.values()) <= {"lost"}, unseen
        assert len(unseen) <= size["workers"]
        # Each attempt a worker got is the task the server says it was for.
        assert all(attempts[i][0] == task for i, (_, task) in received.items() if i in attempts)
        assert report["recovery_max"] < 10.0, report
    finally:
        first.stop()
        second.stop()


async def _run(sim, roots, enrol: str, victim, size: dict, admin, job_id: int) -> dict:
    rng = random.Random(16)
    async with sim.SimFarm(roots, size["render"], heartbeat=1.0, claim_wait=5.0) as farm:
        await farm.enrol(size["workers"], enrol)
        farm.start()
        started = time.monotonic()
        tasks = size["tasks"]
        killed_workers = 0
        server_killed_at = None
        on_victim: list = []
        deadline = started + size["timeout"]
        kill_points = {int(tasks * f) for f in (0.1, 0.2, 0.45, 0.6)}
        checked = 0.0
        while True:  # until the server says the job is done (an answer may be lost in a kill)
            assert time.monotonic() < deadline, f"only {len(farm.completed)} of {tasks} done"
            await asyncio.sleep(0.1)
            if time.monotonic() - checked > 0.5:
                checked = time.monotonic()
                if (await asyncio.to_thread(admin.job, job_id))["state"] == "completed":
                    break
            progress = len(farm.completed)
            due = [k for k in kill_points if progress >= k]
            for point in due:  # kill a worker mid-render; every other one comes back
                kill_points.discard(point)
                busy = [w for w in farm.workers if w.holding is not None and not w.task.done()]
                if busy:
                    worker = rng.choice(busy)
                    held = worker.kill()
                    killed_workers += 1
                    if killed_workers % 2:
                        farm.restart(worker, held)
            if server_killed_at is None and progress >= tasks * 0.3:
                victim_base = victim.base
                # Its workers with a task in hand: how soon their leases are renewed elsewhere.
                on_victim = [w for w in farm.workers if w.last_ok_base == victim_base
                             and w.holding is not None and not w.task.done()]  # fmt: skip
                victim.kill()
                server_killed_at = time.monotonic()
        seconds = time.monotonic() - started
        recovery = [
            min(t for t in w.switched_at if t > server_killed_at) - server_killed_at
            for w in on_victim
            if any(t > server_killed_at for t in w.switched_at)
        ]
        return {
            "seconds": seconds,
            "killed_workers": killed_workers,
            "server_killed_at": (server_killed_at or started) - started,
            "recovered": f"{len(recovery)} of {len(on_victim)}",
            "recovery_max": max(recovery, default=0.0),
            "recovery_median": statistics.median(recovery) if recovery else 0.0,
            "completed": list(farm.completed),
            "received": dict(farm.received),
        }
