"""Crash safety on SQLite: kill -9 of the one server during heavy dispatch, restart, nothing lost.

Simulated workers claim and complete short tasks as fast as the server hands them out; the
server process gets SIGKILL mid-stream and is started again on the same data folder and port.
Every completion a worker was answered 200 for must still be a done attempt after the restart
(a completion is durable before its answer), every task ends done exactly once, and the
attempts no worker heard of (answers lost with the server) end lost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import chaos_support
from farmhand.transfer.client import FarmClient
from server_harness import free_port, start_server_process
from worker_support import upload_files

TASKS, WORKERS, LEASE = 300, 30, 4

# Fixtures (see chaos_support).
simworkers = chaos_support.simworkers


def test_sqlite_server_killed_during_dispatch_loses_nothing(tmp_path, simworkers) -> None:
    port, data = free_port(), tmp_path / "server"
    env = {"FARMHAND_LEASE_SECONDS": str(LEASE)}
    server, admin_token = start_server_process(data, "", port, env)
    root = server.base.removesuffix("/api/v1")
    admin = FarmClient(root, admin_token)
    restarted = None
    try:
        scene = tmp_path / "scene.blend"
        scene.write_bytes(b"crash scene")
        ref = upload_files(admin, [scene])[scene]
        job = admin.submit_job({
            "name": "crash", "scene": {"path": "C:/proj/crash.blend", "blob": ref},
            "software": {"cg_name": "blender", "cg_version": "3.4"},
            "renderer": {"adapter": "blender"}, "frames": f"1-{TASKS}",
        })  # fmt: skip
        enrol = admin.json("POST", "/workers/enrolment-tokens", {"uses": WORKERS})["token"]

        async def run() -> dict:
            async with simworkers.SimFarm([root], "uniform:0.01:0.05", heartbeat=1.0,
                                          claim_wait=2.0) as farm:  # fmt: skip
                await farm.enrol(WORKERS, enrol)
                farm.start()
                deadline = time.monotonic() + 120
                nonlocal restarted
                # The server's word: a completion it committed may have had its answer lost.
                checked = 0.0
                while True:
                    assert time.monotonic() < deadline, f"{len(farm.completed)} of {TASKS} done"
                    await asyncio.sleep(0.05)
                    if restarted is not None and time.monotonic() - checked > 0.5:
                        checked = time.monotonic()
                        state = (await asyncio.to_thread(admin.job, job["id"]))["state"]
                        if state == "completed":
                            break
                    if restarted is None and len(farm.completed) >= TASKS // 3:
                        server.kill()
                        told = len(farm.completed)
                        restarted, _ = await asyncio.to_thread(
                            start_server_process, data, "", port, env
                        )
                return {"completed": list(farm.completed), "received": dict(farm.received),
                        "told_before_kill": told}  # fmt: skip

        report = asyncio.run(run())
        tasks = admin.tasks(job["id"])
        attempts = {a["id"]: a["state"] for t in tasks for a in t["attempts"]}
        print(f"\nsqlite crash: {report['told_before_kill']} completions answered before the "
              f"kill; attempts {dict(Counter(attempts.values()))}")  # fmt: skip
        done = {i for i, state in attempts.items() if state == "done"}
        assert {a for a, _ in report["completed"]} <= done  # every answered completion kept
        for task in tasks:
            assert [a["state"] for a in task["attempts"]].count("done") == 1, task
        unseen = {i: s for i, s in attempts.items() if i not in report["received"]}
        assert set(unseen.values()) <= {"lost"}, unseen
        assert admin.job(job["id"])["state"] == "completed"
    finally:
        server.stop()
        if restarted is not None:
            restarted.stop()
