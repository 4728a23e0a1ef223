"""The liveness rule: a queued task that no online worker may ever take does not wait forever.

A worker is never given a task it failed (since the task's last retry) nor a task of a job
that blocklisted it, and a task fails for good only past its retries; so with few workers a
task can be left that nobody online may take. Such a task is decided here, by the workers
online now (`online.online_workers`) that meet the job's needs (`online.able`, the rule the
waiting reasons use):

* every able online worker is blocklisted for the job: its queued tasks fail, naming them;
* every able online worker that is not blocklisted has failed the task: it fails, naming
  each of them with its last message — or, where the studio allows it
  (`retry_on_failed_nodes`) and the task has retries left, it is offered again to the
  workers that failed it (`tasks.retried_at`, as a person's retry, its failures kept);
* no online worker meets the job's needs for `unmatched_grace_seconds`: its queued tasks
  fail with the waiting reason. With no worker online at all nothing is decided (a farm
  switched off is not a job's fault).

A failed tile takes its frame's assembly with it (`scheduler.fail_for_good`), and the job
then settles as always: failed once every task has ended and one failed. Workers that are
offline are not waited for. `check` runs in the transaction that records a failed attempt
(for that job) and every `liveness_interval` seconds from the reaper (all dispatching jobs,
and the grace period's clock); it reads only dispatching jobs, the online workers and the
queued tasks that failed somewhere (a partial index).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.dispatch import online
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.jobs import states
from farmhand_server.notify import events
from farmhand_server.store import schema as db

_MESSAGE_SHOWN = 200  # characters of each worker's last message a reason quotes


@dataclass(slots=True)
class Clock:
    """Per server process: since when each dispatching job has had no online worker able to
    run it (the grace period's clock; a restarted process starts it again)."""

    unmatched_since: dict[int, float] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """What one check changed."""

    failed: int = 0  # tasks failed for good
    retried: int = 0  # tasks offered again to workers that failed them

    @property
    def changed(self) -> bool:
        return bool(self.failed or self.retried)


async def check(
    conn: AsyncConnection,
    config: Config,
    job_ids: Iterable[int] | None = None,
    clock: Clock | None = None,
) -> Outcome:
    """Apply the rule to these dispatching jobs (all of them when None).

    The grace period is judged only with a `clock` (the reaper's); without one a job no
    online worker can run is left alone.
    """
    now = time.time()
    outcome = Outcome()
    j = db.jobs
    query = sa.select(
        j.c.id, j.c.ram_gb, j.c.cpu_cores, j.c.gpu_count, j.c.gpu_memory_gb, j.c.max_retries
    ).where(j.c.state.in_(states.DISPATCHING))
    if job_ids is not None:
        query = query.where(j.c.id.in_(list(job_ids)))
    jobs = (await conn.execute(query)).all()
    if clock is not None and job_ids is None:
        live = {job.id for job in jobs}
        for gone in [i for i in clock.unmatched_since if i not in live]:
            del clock.unmatched_since[gone]
    if not jobs:
        return outcome
    workers = await online.online_workers(conn, config.online_seconds)
    if not workers:
        if clock is not None:
            clock.unmatched_since.clear()
        return outcome
    ids = [job.id for job in jobs]
    needs = await scheduler.job_needs(conn, ids)
    blocked = await online.blocklists(conn, ids)
    open_jobs: dict[int, tuple[Any, list[online.Online]]] = {}
    for job in jobs:
        keys, configs = needs[job.id]
        fits = online.able(job, keys, configs, workers)
        if not fits:
            if clock is not None:
                outcome.failed += await _unmatched(
                    conn, config, clock, job, keys, configs, blocked[job.id], workers, now
                )
            continue
        if clock is not None:
            clock.unmatched_since.pop(job.id, None)
        free = [w for w in fits if w.id not in blocked[job.id]]
        if not free:
            names = ", ".join(w.name for w in fits)
            reason = f"every online node able to run it is blocklisted for this job: {names}"
            outcome.failed += await scheduler.fail_for_good(conn, job.id, reason)
            continue
        open_jobs[job.id] = (job, free)
    if open_jobs:
        await _failed_everywhere(conn, config, open_jobs, now, outcome)
    return outcome


async def _unmatched(
    conn: AsyncConnection,
    config: Config,
    clock: Clock,
    job: Any,
    keys: Iterable[str],
    configs: Any,
    blocked: Any,
    workers: list[online.Online],
    now: float,
) -> int:
    since = clock.unmatched_since.setdefault(job.id, now)
    grace = config.unmatched_grace_seconds
    if grace <= 0 or now - since < grace:
        return 0
    del clock.unmatched_since[job.id]
    why = online.explain(job, sorted(keys), configs, blocked, workers)
    reason = f"no online node could run it for {grace:g} s: {why}"
    return await scheduler.fail_for_good(conn, job.id, reason)


async def _failed_everywhere(
    conn: AsyncConnection,
    config: Config,
    open_jobs: dict[int, tuple[Any, list[online.Online]]],
    now: float,
    outcome: Outcome,
) -> None:
    """Queued tasks that every able, unblocked online worker has failed: fail or offer again."""
    t, a = db.tasks, db.attempts
    rows = await conn.execute(
        sa.select(t.c.id, t.c.job_id, t.c.failures, a.c.worker_id, a.c.message)
        .join(a, a.c.task_id == t.c.id)
        .where(
            t.c.job_id.in_(list(open_jobs)),
            # Spelled as the partial index's predicate, so that PostgreSQL uses it.
            sa.text("tasks.state = 'queued' AND tasks.failures > 0"),
            a.c.state.in_(scheduler.WORKER_FAILED),
            a.c.started_at > sa.func.coalesce(t.c.retried_at, 0.0),
        )
        .order_by(a.c.id)
    )
    failed_by: dict[int, dict[int, str]] = {}  # task → worker → its last message
    task_of: dict[int, tuple[int, int]] = {}  # task → (job, failures)
    for r in rows:
        failed_by.setdefault(r.id, {})[r.worker_id] = r.message or ""
        task_of[r.id] = (r.job_id, r.failures)
    retry: list[int] = []
    for task_id, by in failed_by.items():
        job_id, failures = task_of[task_id]
        job, free = open_jobs[job_id]
        if any(w.id not in by for w in free):
            continue  # someone online may still take it
        retries = job.max_retries if job.max_retries is not None else config.max_retries
        if config.retry_on_failed_nodes and failures <= retries:
            retry.append(task_id)
            continue
        named = ", ".join(f"{w.name} ({_short(by[w.id])})" for w in free)
        reason = f"failed on every node able to run it: {named}"
        outcome.failed += await scheduler.fail_for_good(conn, job_id, reason, task_ids=[task_id])
    if retry:
        again = await conn.execute(
            t.update()
            .where(t.c.id.in_(retry), t.c.state == states.QUEUED)
            .values(retried_at=now, reserved_by=None, reserved_until=None)
            .returning(t.c.id, t.c.job_id)
        )
        for task_id, job_id in again:
            outcome.retried += 1
            await events.emit(
                conn,
                "task",
                {
                    "job_id": job_id,
                    "task_id": task_id,
                    "state": states.QUEUED,
                    "message": "every node able to run it has failed it: offered to them again",
                },
                job_id,
            )


def _short(message: str) -> str:
    message = " ".join(message.split()) or "no message"
    return message if len(message) <= _MESSAGE_SHOWN else message[: _MESSAGE_SHOWN - 1] + "…"
