"""Eligibility: the in-memory rules and their SQL form decide alike, on generated farms.

Each case is a farm written straight into a real database (SQLite and PostgreSQL): jobs in
every state, with test tasks pending or not, hardware needs and configs, blocklists; tasks in
every state, failed or not by each worker before or after a retry; workers of several sizes,
some held or revoked. Memory decides through the dispatcher's own view (`View.reload`, then
`View.grow` holding every queued task it may) and `eligibility.allows_job`/`allows_task`;
SQL through `eligibility.guard` over every (task, worker) pair. Software needs are left out:
versions are compared in Python only (the rule has no SQL form).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from farmhand.spec.versions import Offers
from farmhand_server.config import Config
from farmhand_server.dispatch import eligibility
from farmhand_server.dispatch.rules import DONE, FAILED, KILLED, LOST, TIMEOUT, WorkerInfo
from farmhand_server.dispatch.sql import Statements
from farmhand_server.dispatch.view import RESERVE_MAX, View
from farmhand_server.jobs import states
from farmhand_server.store import schema as db
from farmhand_server.store.database import Database

JOB_STATES = [states.QUEUED, states.RENDERING, states.QUEUED, states.RENDERING, states.PAUSED,
              states.AWAITING, states.COMPLETED, states.FAILED, states.CANCELLED,
              states.SUBMITTING]  # fmt: skip
TASK_STATES = ["queued", "queued", "queued", "running", "done", "waiting", "failed", "cancelled"]
ATTEMPT_STATES = [FAILED, TIMEOUT, LOST, DONE, KILLED]
T0 = 1_000_000.0


def _farm(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Rows of one generated farm, by table."""
    rows: dict[str, list[dict[str, Any]]] = {
        "users": [{"id": 1, "name": "ann", "role": "artist", "created_at": T0}],
        "workers": [], "jobs": [], "tasks": [], "attempts": [], "blocklist": [],
        "job_hardware_configs": [],
    }  # fmt: skip
    for w in range(1, 9):
        rows["workers"].append({
            "id": w, "name": f"w{w}", "token_hash": f"h{w}", "registered_at": T0, "last_seen": T0,
            "ram_gb": rng.choice([8.0, 16.0, 32.0]), "cpu_cores": rng.choice([4, 8, 16]),
            "gpu_count": rng.choice([0, 1, 2]), "gpu_memory_gb": rng.choice([0.0, 4.0, 8.0]),
            "hardware_config_id": rng.choice([None, "a", "b"]),
            "hold": "drain" if w == 7 else None, "revoked_at": T0 if w == 8 else None,
        })  # fmt: skip
    task_id = attempt_id = 0
    for j in range(1, 41):
        pending = rng.choice([0, 0, 1, 2])
        rows["jobs"].append({
            "id": j, "user_id": 1, "name": f"j{j}", "state": rng.choice(JOB_STATES),
            "priority": rng.choice([10, 50, 90]), "spec": {}, "test_pending": pending,
            "ram_gb": rng.choice([0.0, 0.0, 16.0]), "cpu_cores": rng.choice([0, 0, 8, 16]),
            "gpu_count": rng.choice([0, 0, 1, 2]), "gpu_memory_gb": rng.choice([0.0, 0.0, 4.0]),
            "time_out": 3600, "max_retries": 3, "tasks_total": 5, "created_at": T0,
            "updated_at": T0,
        })  # fmt: skip
        for config in rng.sample(["a", "b"], rng.choice([0, 0, 1, 2])):
            rows["job_hardware_configs"].append({"job_id": j, "config_id": config})
        for w in rng.sample(range(1, 9), rng.choice([0, 0, 1, 3])):
            rows["blocklist"].append({"job_id": j, "worker_id": w, "created_at": T0})
        for seq in range(1, 6):
            task_id += 1
            retried_at = rng.choice([None, None, T0 + 50])
            failed_since = 0
            for w in rng.sample(range(1, 9), rng.choice([0, 0, 1, 2])):
                attempt_id += 1
                state, started = rng.choice(ATTEMPT_STATES), T0 + rng.choice([10, 100])
                rows["attempts"].append({
                    "id": attempt_id, "task_id": task_id, "worker_id": w, "state": state,
                    "started_at": started, "ended_at": started + 1, "cores": 1, "message": "",
                })  # fmt: skip
                failed_since += state in (FAILED, TIMEOUT, LOST) and started > (retried_at or 0)
            rows["tasks"].append({
                "id": task_id, "job_id": j, "seq": seq, "kind": "chunk", "frames": [seq],
                "is_test": seq <= max(pending, 1) and rng.random() < 0.8,
                "state": rng.choice(TASK_STATES), "failures": failed_since + rng.choice([0, 1]),
                "updated_at": T0, "retried_at": retried_at,
            })  # fmt: skip
    return rows


async def _write(database: Database, rows: dict[str, list[dict[str, Any]]]) -> None:
    async with database.write() as conn:
        for table in ("users", "workers", "jobs", "job_hardware_configs", "blocklist", "tasks",
                      "attempts"):  # fmt: skip
            if rows[table]:
                await conn.execute(db.metadata.tables[table].insert(), rows[table])
        if database.is_postgres:  # ids were given: move the sequences past them
            for table in ("users", "workers", "jobs", "tasks", "attempts"):
                await conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"))  # fmt: skip


def _info(row: dict[str, Any]) -> WorkerInfo:
    hardware = (row["ram_gb"], row["cpu_cores"], row["gpu_count"], row["gpu_memory_gb"])
    return WorkerInfo(row["id"], *hardware, Offers.of([]), row["hardware_config_id"] or "")


async def _decisions(database: Database, workers: list[dict[str, Any]]) -> tuple[set, set, set]:
    """(memory's, SQL's for active workers, SQL's for held or revoked ones) (task, worker)
    pairs a task may go to."""
    view = View(Statements(database.is_postgres), "eligibility-test", 600.0)
    active = [w for w in workers if w["hold"] is None and w["revoked_at"] is None]
    stopped = [w["id"] for w in workers if w not in active]
    pairs = Statements(database.is_postgres).rows(worker_id="int")
    every_rule = eligibility.guard("t", "v.worker_id", rechecked_only=False)
    sql = sa.text(
        f"SELECT t.id, v.worker_id FROM tasks t CROSS JOIN {pairs} AS v WHERE {every_rule}"
    )
    async with database.write() as conn:
        await view.reload(conn)
        for job in view.jobs.values():
            await view.grow(conn, job, RESERVE_MAX)
        memory = {
            (task.id, w.id)
            for w in map(_info, active)
            for job in view.jobs.values()
            if eligibility.allows_job(job, w)
            for task in job.tasks
            if eligibility.allows_task(job, task, w)
        }
        by_sql = {
            tuple(r) for r in await conn.execute(sql, {"rows": _ids([w["id"] for w in active])})
        }
        refused = {tuple(r) for r in await conn.execute(sql, {"rows": _ids(stopped)})}
    return memory, by_sql, refused


def _ids(ids: list[int]) -> str:
    return "[" + ",".join(str(i) for i in ids) + "]"


@pytest.mark.parametrize("seed", range(6))
def test_memory_and_sql_decide_alike(database_url: str, tmp_path: Path, seed: int) -> None:
    rows = _farm(random.Random(seed))

    async def run() -> tuple[set, set, set]:
        engine = db.create_engine(Config(data_dir=tmp_path, database_url=database_url).db_url)
        try:
            await db.migrate(engine)
            database = Database(engine)
            await _write(database, rows)
            return await _decisions(database, rows["workers"])
        finally:
            await engine.dispose()

    started = time.monotonic()
    memory, by_sql, refused = asyncio.run(run())
    pairs = len(rows["tasks"]) * 6
    assert 0 < len(memory) < pairs / 4, "the cases must allow some pairs and refuse most"
    print(f"{len(memory)} of {pairs} pairs allowed")
    assert memory == by_sql, (sorted(memory - by_sql)[:10], sorted(by_sql - memory)[:10])
    assert refused == set()  # a held or revoked worker gets nothing
    assert time.monotonic() - started < 60
