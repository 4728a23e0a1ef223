"""The scheduler's rules: leases, what a failed attempt changes, and how a job settles.

Which task a worker may get is `eligibility` (each condition once, in memory and in SQL);
jobs are ordered by priority, then age, tasks by their `seq` (`view`). The dispatcher
(`queue`) applies those to claims, completions and heartbeats; this module has the rest:
lapsed leases, failures and retries, blocklists, settling a job's state, killing attempts.

Every assignment is an attempt with a lease; an attempt whose lease lapsed,
or that was killed, is fenced off: its updates get a conflict.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from farmhand.spec.versions import Offers
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.jobs import states
from farmhand_server.jobs.requirements import capability_keys
from farmhand_server.notify import events
from farmhand_server.store import schema as db
from farmhand_server.store.database import hold_dispatch

RUNNING, DONE, FAILED, TIMEOUT, LOST, KILLED = (
    "running", "done", "failed", "timeout", "lost", "killed"
)  # fmt: skip
# Attempt states that mean "this worker could not render this task": not retried there.
WORKER_FAILED = (FAILED, TIMEOUT)
_EVENTS_MAX = 100  # task events one `fail_for_good` writes; the rest as one summary event


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a claim compares against a job's needs."""

    id: int
    ram_gb: float
    cpu_cores: int
    gpu_count: int
    gpu_memory_gb: float
    offers: Offers  # software, plugins, tags (`farmhand.spec.versions`)
    hardware_config_id: str
    last_seen: float | None = None  # when it was loaded


@dataclass(frozen=True, slots=True)
class Assignment:
    """A task handed to a worker: the attempt that carries it, what to render, the job."""

    attempt_id: int
    task: dict[str, Any]
    job: dict[str, Any]
    lease_expires: float


class StaleAttempt(Exception):
    """An update for an attempt the worker no longer holds (lease lost, killed, finished)."""


async def load_worker(conn: AsyncConnection, worker_id: int) -> WorkerInfo:
    """The worker's capabilities, as registered."""
    row = (await conn.execute(sa.select(db.workers).where(db.workers.c.id == worker_id))).one()
    return WorkerInfo(
        id=row.id,
        ram_gb=row.ram_gb,
        cpu_cores=row.cpu_cores,
        gpu_count=row.gpu_count,
        gpu_memory_gb=row.gpu_memory_gb,
        offers=Offers.of(capability_keys({"tags": row.tags, "software": row.software})),
        hardware_config_id=row.hardware_config_id or "",
        last_seen=row.last_seen,
    )


async def seen(conn: AsyncConnection, worker_id: int, now: float) -> None:
    """The worker is alive (an idle worker's long-polls write nothing else about it)."""
    await conn.execute(
        db.workers.update().where(db.workers.c.id == worker_id).values(last_seen=now)
    )


class JobCache:
    """Job name, spec and time limit by id: they never change once a job exists."""

    def __init__(self, size: int = 256) -> None:
        self._items: dict[int, dict[str, Any]] = {}
        self._size = size

    async def get(self, conn: AsyncConnection, job_id: int) -> dict[str, Any]:
        found = self._items.get(job_id)
        if found is None:
            row = (
                await conn.execute(
                    sa.select(db.jobs.c.name, db.jobs.c.spec, db.jobs.c.time_out).where(
                        db.jobs.c.id == job_id
                    )
                )
            ).one()
            found = {"id": job_id, "name": row.name, "spec": row.spec, "time_out": row.time_out}
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[job_id] = found
        return found


@functools.cache
def _attempt_statement() -> sa.Select:
    a, t, j = db.attempts, db.tasks, db.jobs
    return (
        sa.select(a, t.c.job_id, t.c.is_test, t.c.kind, t.c.frames, t.c.failures, j.c.user_id)
        .join(t, t.c.id == a.c.task_id)
        .join(j, j.c.id == t.c.job_id)
        .where(a.c.id == sa.bindparam("attempt_id"))
    )


async def job_of_attempt(conn: AsyncConnection, attempt_id: int) -> int | None:
    """The job an attempt belongs to (None for an unknown attempt)."""
    a, t = db.attempts, db.tasks
    return await conn.scalar(
        sa.select(t.c.job_id).join(a, a.c.task_id == t.c.id).where(a.c.id == attempt_id)
    )


async def attempt_for(conn: AsyncConnection, attempt_id: int, worker_id: int) -> Any:
    """The running attempt this worker holds, or StaleAttempt."""
    row = (await conn.execute(_attempt_statement(), {"attempt_id": attempt_id})).first()
    if row is None or row.worker_id != worker_id or row.state != RUNNING:
        raise StaleAttempt(attempt_id)
    return row


async def fail(
    conn: AsyncConnection,
    worker_id: int,
    attempt_id: int,
    exit_code: int | None,
    message: str,
    max_retries_default: int,
    blocklist_after: int,
    state: str = FAILED,
) -> bool:
    """The task failed on this worker (or timed out, or its lease was lost).

    True when the task went back to the queue (more work to hand out).
    """
    row = await attempt_for(conn, attempt_id, worker_id)
    if row.is_test:  # a failed test frame fails the job: lock before writing (`fail_job`)
        await hold_dispatch(conn, exclusive=True)
    now = time.time()
    await _end_attempt(conn, attempt_id, state, now, exit_code, message, None)
    await _worker_idle(conn, worker_id, now)
    await events.emit(
        conn,
        "task",
        {
            "job_id": row.job_id,
            "task_id": row.task_id,
            "state": state,
            "frames": row.frames,
            "message": (message or "")[:500],
        },
        row.job_id,
        row.user_id,
    )
    return await _task_failed(conn, row, state, message, max_retries_default, blocklist_after)


async def _task_failed(
    conn: AsyncConnection, row: Any, state: str, message: str, default_retries: int, block_at: int
) -> bool:
    now = time.time()
    job = (await conn.execute(sa.select(db.jobs).where(db.jobs.c.id == row.job_id))).one()
    if state in WORKER_FAILED and block_at > 0:
        await _maybe_blocklist(conn, row.job_id, row.worker_id, block_at)
    failures = row.failures + 1
    if row.is_test and state in WORKER_FAILED:
        # A failed test frame stops the job: the rest would fail the same way (a lost one,
        # its worker gone, is no sign of that: it is queued again like any task).
        await conn.execute(
            db.tasks.update()
            .where(db.tasks.c.id == row.task_id)
            .values(
                state="failed",
                failures=failures,
                updated_at=now,
                message=f"test frame failed: {message}"[:4000],
            )
        )
        await conn.execute(
            db.jobs.update()
            .where(db.jobs.c.id == row.job_id)
            .values(tasks_failed=db.jobs.c.tasks_failed + 1, updated_at=now)
        )
        await fail_job(conn, row.job_id, f"test frame {row.frames} failed: {message}"[:500])
        return False
    retries = job.max_retries if job.max_retries is not None else default_retries
    await conn.execute(
        db.tasks.update()
        .where(db.tasks.c.id == row.task_id)
        .values(failures=failures, updated_at=now)
    )
    if failures > retries:
        reason = f"failed {failures} times (max_retries {retries}); the last: {message}"
        await fail_for_good(conn, row.job_id, reason, task_ids=[row.task_id], from_state=RUNNING)
        return False
    await conn.execute(
        db.tasks.update()
        .where(db.tasks.c.id == row.task_id)
        .values(state=states.QUEUED, updated_at=now)
    )
    return True


async def fail_for_good(
    conn: AsyncConnection,
    job_id: int,
    reason: str,
    task_ids: list[int] | None = None,
    from_state: str = states.QUEUED,
) -> int:
    """Fail tasks of one job for good with `reason`: those given, or all its `from_state` ones.

    Only tasks still in `from_state` change (a task a dispatch round took meanwhile stays
    with its worker). A failed tile's assembly, which could never run, fails with it. The
    job's failure count moves and the job settles; how many tasks failed.
    """
    t = db.tasks
    now = time.time()
    where = [t.c.job_id == job_id, t.c.state == from_state]
    if task_ids is not None:
        where.append(t.c.id.in_(task_ids))
    values = {"state": "failed", "updated_at": now, "reserved_by": None, "reserved_until": None}
    rows = (
        await conn.execute(
            t.update()
            .where(*where)
            .values(message=reason[:4000], **values)
            .returning(t.c.id, t.c.kind, t.c.frames, t.c.layer)
        )
    ).all()
    tiles = {(json.dumps(_json(r.frames)), r.layer) for r in rows if r.kind == "tile"}
    failed = [r.id for r in rows]
    if tiles:
        waiting = await conn.execute(
            sa.select(t.c.id, t.c.frames, t.c.layer).where(
                t.c.job_id == job_id, t.c.kind == "assemble", t.c.state == "waiting"
            )
        )
        orphans = [w.id for w in waiting if (json.dumps(_json(w.frames)), w.layer) in tiles]
        if orphans:
            done = await conn.execute(
                t.update()
                .where(t.c.id.in_(orphans), t.c.state == "waiting")
                .values(message=f"a tile of its frame failed: {reason}"[:4000], **values)
                .returning(t.c.id)
            )
            failed += [r.id for r in done]
    if not failed:
        return 0
    j = db.jobs
    user_id = await conn.scalar(
        j.update()
        .where(j.c.id == job_id)
        .values(tasks_failed=j.c.tasks_failed + len(failed), updated_at=now)
        .returning(j.c.user_id)
    )
    for task_id in failed[:_EVENTS_MAX]:
        await events.emit(
            conn,
            "task",
            {"job_id": job_id, "task_id": task_id, "state": "failed", "message": reason[:500]},
            job_id,
            user_id,
        )
    if len(failed) > _EVENTS_MAX:
        await events.emit(
            conn,
            "task",
            {
                "job_id": job_id,
                "state": "failed",
                "tasks": len(failed) - _EVENTS_MAX,
                "message": reason[:500],
            },
            job_id,
            user_id,
        )
    await settle_job(conn, job_id)
    return len(failed)


def _json(value: Any) -> Any:
    """A JSON column's value: drivers hand over text (SQLite) or the parsed value (asyncpg)."""
    return json.loads(value) if isinstance(value, str) else value


async def _maybe_blocklist(
    conn: AsyncConnection, job_id: int, worker_id: int, block_at: int
) -> None:
    a, t = db.attempts, db.tasks
    failed = await conn.scalar(
        sa.select(sa.func.count())
        .select_from(a.join(t, t.c.id == a.c.task_id))
        .where(t.c.job_id == job_id, a.c.worker_id == worker_id, a.c.state.in_(WORKER_FAILED))
    )
    if (failed or 0) >= block_at:  # a count: never None, but the driver's type says it may be
        exists = await conn.scalar(
            sa.select(sa.func.count()).where(
                db.blocklist.c.job_id == job_id, db.blocklist.c.worker_id == worker_id
            )
        )
        if not exists:
            await conn.execute(
                db.blocklist.insert().values(
                    job_id=job_id, worker_id=worker_id, created_at=time.time()
                )
            )


async def _end_attempt(
    conn: AsyncConnection,
    attempt_id: int,
    state: str,
    now: float,
    exit_code: int | None,
    message: str | None,
    peak_memory_mb: int | None,
) -> None:
    await conn.execute(
        db.attempts.update()
        .where(db.attempts.c.id == attempt_id)
        .values(
            state=state,
            ended_at=now,
            exit_code=exit_code,
            message=(message or "")[:4000],
            peak_memory_mb=peak_memory_mb,
            lease_expires=None,
        )
    )


async def _worker_idle(conn: AsyncConnection, worker_id: int, now: float) -> None:
    a, w = db.attempts, db.workers
    await conn.execute(
        w.update()
        .where(
            w.c.id == worker_id,
            ~sa.exists().where(a.c.worker_id == worker_id, a.c.state == RUNNING),
        )
        .values(state="idle", last_seen=now)
    )


async def job_needs(
    conn: AsyncConnection, job_ids: list[int]
) -> dict[int, tuple[set[str], set[str]]]:
    """Each job's requirement keys and hardware configs (written once, at submission)."""
    req, hw = db.job_requirements, db.job_hardware_configs
    needs: dict[int, tuple[set[str], set[str]]] = {i: (set(), set()) for i in job_ids}
    for job_id, key in await conn.execute(
        sa.select(req.c.job_id, req.c.key).where(req.c.job_id.in_(job_ids))
    ):
        needs[job_id][0].add(key)
    for job_id, config_id in await conn.execute(
        sa.select(hw.c.job_id, hw.c.config_id).where(hw.c.job_id.in_(job_ids))
    ):
        needs[job_id][1].add(config_id)
    return needs


async def release_assembly(
    conn: AsyncConnection, job_id: int, frames: list[int], layer: int | None = None
) -> int:
    """When every tile of a frame (of one layer group) is done, its assembly task becomes
    dispatchable; how many."""
    t = db.tasks
    tiles = await conn.execute(
        sa.select(t.c.id, t.c.kind, t.c.state, t.c.frames).where(
            t.c.job_id == job_id,
            t.c.kind.in_(("tile", "assemble")),
            t.c.layer.is_(None) if layer is None else t.c.layer == layer,
        )
    )
    same_frame = [r for r in tiles if r.frames == frames]
    released = 0
    if all(r.state == "done" for r in same_frame if r.kind == "tile"):
        for r in same_frame:
            if r.kind == "assemble" and r.state == "waiting":
                await conn.execute(
                    t.update()
                    .where(t.c.id == r.id, t.c.state == "waiting")
                    .values(state=states.QUEUED, updated_at=time.time())
                )
                released += 1
    return released


_SETTLE_COLUMNS = (
    db.jobs.c.state, db.jobs.c.tasks_done, db.jobs.c.tasks_failed, db.jobs.c.tasks_total,
    db.jobs.c.test_pending, db.jobs.c.stop_after_test, db.jobs.c.approved,
)  # fmt: skip


async def settle_job(conn: AsyncConnection, job_id: int) -> None:
    """Move a job on once its counters say so: awaiting approval, completed or failed."""
    job = (await conn.execute(sa.select(*_SETTLE_COLUMNS).where(db.jobs.c.id == job_id))).one()
    await settle(conn, job_id, job)


async def settle(conn: AsyncConnection, job_id: int, job: Any) -> None:
    """`settle_job` for a job whose `_SETTLE_COLUMNS` were just read (an UPDATE's RETURNING)."""
    if job.state in states.FINAL or job.state == states.PAUSED:
        return
    if job.tasks_done + job.tasks_failed >= job.tasks_total:
        to = states.COMPLETED if job.tasks_failed == 0 else states.FAILED
        reason = (
            "all tasks done" if to == states.COMPLETED else await _failed_reason(conn, job_id, job)
        )
        await states.move(conn, job_id, job.state, to, reason)
    elif (
        job.stop_after_test
        and not job.approved
        and job.test_pending == 0
        and job.state != states.AWAITING
        and await _has_tests(conn, job_id)
    ):
        await states.move(conn, job_id, job.state, states.AWAITING, "test frames done")


async def _failed_reason(conn: AsyncConnection, job_id: int, job: Any) -> str:
    """`N task(s) failed`, and why the first of them did."""
    t = db.tasks
    first = (
        await conn.execute(
            sa.select(t.c.frames, t.c.message)
            .where(t.c.job_id == job_id, t.c.state == "failed", t.c.message.is_not(None))
            .order_by(t.c.seq)
            .limit(1)
        )
    ).first()
    reason = f"{job.tasks_failed} task(s) failed"
    if first is not None:
        frames = _json(first.frames)
        shown = (
            f"frame {frames[0]}"
            if len(frames) == 1
            else f"frames {frames[0]}-{frames[-1]}"
            if frames
            else "a task"
        )
        reason += f"; {shown}: {first.message}"
    return reason


async def _has_tests(conn: AsyncConnection, job_id: int) -> bool:
    return bool(
        await conn.scalar(
            sa.select(sa.func.count()).where(db.tasks.c.job_id == job_id, db.tasks.c.is_test)
        )
    )


async def kill_running(conn: AsyncConnection, job_id: int, reason: str, requeue: bool) -> int:
    """End the job's running attempts (their workers see a conflict on the next update)."""
    a, t = db.attempts, db.tasks
    now = time.time()
    running = (
        await conn.execute(
            sa.select(a.c.id, a.c.task_id, a.c.worker_id)
            .join(t, t.c.id == a.c.task_id)
            .where(t.c.job_id == job_id, a.c.state == RUNNING)
        )
    ).all()
    for attempt in running:
        await _end_attempt(conn, attempt.id, KILLED, now, None, reason, None)
        await _worker_idle(conn, attempt.worker_id, now)
        if requeue:
            await conn.execute(
                t.update()
                .where(t.c.id == attempt.task_id)
                .values(state=states.QUEUED, updated_at=now)
            )
    return len(running)


async def release_reservations(conn: AsyncConnection, job_id: int) -> None:
    """Clear every process's reservations of the job's queued tasks (see `view`)."""
    t = db.tasks
    await conn.execute(
        t.update()
        .where(t.c.job_id == job_id, t.c.state == states.QUEUED, t.c.reserved_by.is_not(None))
        .values(reserved_by=None, reserved_until=None)
    )


async def fail_job(conn: AsyncConnection, job_id: int, reason: str) -> None:
    """Stop a job as failed: running attempts killed, what was left cancelled."""
    await hold_dispatch(conn, exclusive=True)
    current = await conn.scalar(sa.select(db.jobs.c.state).where(db.jobs.c.id == job_id))
    if current is None or current in states.FINAL:  # no such job, or it ended already
        return
    await kill_running(conn, job_id, reason, requeue=False)
    await conn.execute(
        db.tasks.update()
        .where(
            db.tasks.c.job_id == job_id, db.tasks.c.state.in_((states.QUEUED, "waiting", RUNNING))
        )
        .values(state="cancelled", updated_at=time.time(), reserved_by=None, reserved_until=None)
    )
    await states.move(conn, job_id, current, states.FAILED, reason)


async def expired_attempts(conn: AsyncConnection, now: float) -> list[Any]:
    """Running attempts whose lease lapsed or whose job's time limit passed."""
    a, t, j = db.attempts, db.tasks, db.jobs
    rows = await conn.execute(
        sa.select(
            a.c.id, a.c.worker_id, a.c.lease_expires, a.c.started_at, j.c.time_out, t.c.job_id
        )
        .join(t, t.c.id == a.c.task_id)
        .join(j, j.c.id == t.c.job_id)
        .where(a.c.state == RUNNING)
        .where(sa.or_(a.c.lease_expires < now, a.c.started_at + j.c.time_out < now))
    )
    return list(rows)


async def overdue_jobs(conn: AsyncConnection, now: float) -> list[int]:
    """Jobs past their `job_stop_time` deadline that have not finished."""
    rows = await conn.execute(
        sa.select(db.jobs.c.id).where(
            db.jobs.c.deadline.is_not(None),
            db.jobs.c.deadline < now,
            db.jobs.c.state.not_in((*states.FINAL, states.SUBMITTING)),
        )
    )
    return [r.id for r in rows]
