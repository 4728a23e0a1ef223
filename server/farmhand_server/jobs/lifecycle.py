"""Jobs: creation from a JobSpec, the actions people take on them, and what they read back."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from farmhand.spec.scheduling import Scheduling
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.jobs import states
from farmhand_server.jobs.requirements import (
    JobPlan,
    TaskPlan,
    blob_keys,
    plan_job,
    requirement_keys,
)
from farmhand_server.notify import events
from farmhand_server.store import schema as db
from farmhand_server.store.database import Database, hold_dispatch, inserted_id
from farmhand_server.store.ownership import owned_keys

log = logging.getLogger("farmhand.server")

# Tasks per transaction while a job is created. SQLite has one writer: the others wait for a
# batch. PostgreSQL writers do not wait on it; there a batch bounds what one COPY encodes on
# the event loop.
TASK_BATCH = {"sqlite": 1000, "postgresql": 10_000}
STALE_SUBMISSION = 3600.0  # a job still `submitting` after this long was abandoned (a crash)


class MissingBlobs(Exception):
    """The manifest names blobs the server does not hold for this user."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"{len(keys)} blob(s) missing")
        self.keys = keys


async def create_job(database: Database, user_id: int, spec: dict[str, Any], config: Config) -> int:
    """Insert a job and all its tasks; raises PlanError, MissingBlobs.

    Planning runs in a thread. The job is written first as `submitting` (no
    dispatcher, action or reaper touches it), its tasks follow in transactions of
    `TASK_BATCH` tasks so that claims, heartbeats and other submissions get the
    database in between, and one last transaction makes it `queued`. A failure
    on the way removes what was written.
    """
    with _COLLECTOR.held():
        plan = await asyncio.to_thread(_COLLECTOR.build, plan_job, spec)
        async with database.write() as conn:
            job_id = await _insert_job(
                conn, user_id, spec, config, len(plan.tasks), plan.test_tasks
            )
        try:
            batch = TASK_BATCH["postgresql" if database.is_postgres else "sqlite"]
            for start in range(0, len(plan.tasks), batch):
                async with database.write() as conn:
                    await _insert_tasks(conn, job_id, plan.tasks[start : start + batch])
            async with database.write() as conn:
                await _open(conn, job_id, user_id, spec["name"])
                await database.announce_work(conn)
        except BaseException:
            await asyncio.shield(_discard(database, job_id))
            raise
    return job_id


class _CollectorHold:
    """Keeps Python's cyclic garbage collector off big plans while jobs are created.

    A plan of 200,000 tasks is a million objects; each full collection pass over them is
    one long call that stops the event loop for hundreds of milliseconds, and building
    them sets off several. A plan holds no reference cycles, so the collector is paused
    while any job is being created, and what exists when a plan is built is frozen (left
    out of passes) until the last creation ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self._holders += 1
            gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    gc.unfreeze()
                    gc.enable()

    def build(self, plan: Callable[[dict[str, Any]], JobPlan], spec: dict[str, Any]) -> JobPlan:
        """`plan(spec)`, then its objects frozen (run in a thread, inside `held`)."""
        result = plan(spec)
        gc.freeze()
        return result


_COLLECTOR = _CollectorHold()


async def _insert_job(
    conn: AsyncConnection,
    user_id: int,
    spec: dict[str, Any],
    config: Config,
    total: int,
    tests: int,
) -> int:
    """The job row (`submitting`) and what hangs off it, except its tasks.

    The row holds the spec as it was sent, and the fields the farm acts on as the spec
    reads with the schema's defaults (`farmhand.spec.scheduling`).
    """
    needed = blob_keys(spec)
    await check_blobs(conn, user_id, needed)
    now = time.time()
    how = Scheduling.of(spec)
    hardware = how.hardware
    project_id = await _project_id(conn, spec.get("project"), now)
    stop_time = how.job_stop_time
    result = await conn.execute(
        db.jobs.insert().values(
            user_id=user_id,
            project_id=project_id,
            name=spec["name"],
            state=states.SUBMITTING,
            priority=how.priority,
            spec=spec,
            tasks_total=total,
            tasks_done=0,
            tasks_failed=0,
            test_pending=tests,
            stop_after_test=how.stop_after_test,
            approved=False,
            ram_gb=hardware.ram_gb,
            gpu_count=hardware.gpu_count,
            gpu_memory_gb=hardware.gpu_memory_gb,
            cpu_cores=hardware.cpu_cores,
            time_out=how.time_out or config.task_time_out,  # absent: the farm's own limit
            max_retries=config.max_retries,  # not a JobSpec field: the farm's setting
            deadline=now + stop_time if stop_time else None,
            created_at=now,
            updated_at=now,
        )
    )
    job_id = inserted_id(result)
    if keys := requirement_keys(spec):
        await conn.execute(
            db.job_requirements.insert(), [{"job_id": job_id, "key": k} for k in keys]
        )
    if hardware.config_ids:
        await conn.execute(
            db.job_hardware_configs.insert(),
            [{"job_id": job_id, "config_id": c} for c in hardware.config_ids],
        )
    if needed:
        await conn.execute(
            db.job_blobs.insert(), [{"job_id": job_id, "blob_key": k} for k in needed]
        )
    return job_id


async def _insert_tasks(conn: AsyncConnection, job_id: int, tasks: list[TaskPlan]) -> None:
    now = time.time()
    if conn.dialect.name == "postgresql":
        await _copy_tasks(conn, job_id, tasks, now)
    else:
        rows = [
            {
                "job_id": job_id,
                "seq": t.seq,
                "kind": t.kind,
                "frames": t.frames,
                "tile": t.tile,
                "layer": t.layer,
                "is_test": t.is_test,
                "state": t.state,
                "failures": 0,
                "updated_at": now,
            }
            for t in tasks
        ]
        await conn.execute(db.tasks.insert(), rows)
    await conn.execute(db.jobs.update().where(db.jobs.c.id == job_id).values(updated_at=now))


async def _open(conn: AsyncConnection, job_id: int, user_id: int, name: str) -> None:
    """All tasks are in: the job becomes `queued`, visible to the dispatcher."""
    now = time.time()
    await conn.execute(
        db.jobs.update()
        .where(db.jobs.c.id == job_id, db.jobs.c.state == states.SUBMITTING)
        .values(state=states.QUEUED, updated_at=now)
    )
    await conn.execute(
        db.job_events.insert().values(
            job_id=job_id, at=now, from_state=None, to_state=states.QUEUED, reason="submitted"
        )
    )
    await events.emit(
        conn,
        "job",
        {
            "job_id": job_id,
            "from": None,
            "state": states.QUEUED,
            "reason": "submitted",
            "name": name,
        },
        job_id,
        user_id,
    )


async def _discard(database: Database, job_id: int) -> None:
    try:
        async with database.write() as conn:
            await _remove(conn, job_id)
    except Exception:  # the hourly collection removes it later (`discard_abandoned`)
        log.exception("could not remove the half-created job %s", job_id)


async def discard_abandoned(conn: AsyncConnection, now: float | None = None) -> int:
    """Remove jobs left `submitting` by a server that stopped while creating them; how many."""
    cutoff = (now or time.time()) - STALE_SUBMISSION
    j = db.jobs
    ids = await conn.scalars(
        sa.select(j.c.id).where(j.c.state == states.SUBMITTING, j.c.updated_at < cutoff)
    )
    found = list(ids)
    for job_id in found:
        await _remove(conn, job_id)
    return len(found)


async def _copy_tasks(
    conn: AsyncConnection, job_id: int, tasks: list[TaskPlan], now: float
) -> None:
    """PostgreSQL: tasks with one COPY, inside the transaction SQLAlchemy has begun."""
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None  # None only for a closed connection; this one is in a transaction
    columns = ("job_id", "seq", "kind", "frames", "tile", "layer", "is_test", "state",
               "failures", "updated_at")  # fmt: skip
    records = [
        (
            job_id,
            t.seq,
            t.kind,
            json.dumps(t.frames),
            None if t.tile is None else json.dumps(t.tile),
            t.layer,
            t.is_test,
            t.state,
            0,
            now,
        )
        for t in tasks
    ]
    await raw.copy_records_to_table("tasks", records=records, columns=columns)


async def check_blobs(conn: AsyncConnection, user_id: int, keys: list[str]) -> None:
    """Raise MissingBlobs naming the blobs this user has not uploaded."""
    have = await owned_keys(conn, user_id, keys)
    missing = [k for k in keys if k not in have]
    if missing:
        raise MissingBlobs(missing)


async def _project_id(conn: AsyncConnection, name: str | None, now: float) -> int | None:
    if not name:
        return None
    found = await conn.scalar(sa.select(db.projects.c.id).where(db.projects.c.name == name))
    if found is not None:
        return int(found)
    result = await conn.execute(db.projects.insert().values(name=name, created_at=now))
    return inserted_id(result)


# -- actions ------------------------------------------------------------------------------
async def pause(conn: AsyncConnection, job: Any, kill: bool) -> None:
    """Stop dispatching; with `kill`, running tasks are stopped and go back to the queue."""
    await hold_dispatch(conn, exclusive=True)
    await _move(conn, job, states.PAUSED, "paused" + (" (running tasks killed)" if kill else ""))
    await scheduler.release_reservations(conn, job.id)
    if kill:
        await scheduler.kill_running(conn, job.id, "job paused", requeue=True)


async def resume(conn: AsyncConnection, job: Any) -> None:
    """Dispatch again: back to rendering if anything ran, else queued."""
    if job.state != states.PAUSED:
        raise states.TransitionError(f"a {job.state} job cannot be resumed")
    target = states.RENDERING if job.started_at else states.QUEUED
    await _move(conn, job, target, "resumed")
    await scheduler.settle_job(conn, job.id)


async def cancel(conn: AsyncConnection, job: Any) -> None:
    """Stop for good: running attempts killed, the rest cancelled."""
    states.check(job.state, states.CANCELLED)
    await hold_dispatch(conn, exclusive=True)
    await scheduler.kill_running(conn, job.id, "job cancelled", requeue=False)
    await conn.execute(
        db.tasks.update()
        .where(db.tasks.c.job_id == job.id, db.tasks.c.state.in_(("queued", "waiting", "running")))
        .values(state="cancelled", updated_at=time.time(), reserved_by=None, reserved_until=None)
    )
    await _move(conn, job, states.CANCELLED, "cancelled")


async def approve(conn: AsyncConnection, job: Any) -> None:
    """Let a job that stopped after its test frames render the rest."""
    if job.state != states.AWAITING:
        raise states.TransitionError(
            f"only a job awaiting approval can be approved, not {job.state}"
        )
    await conn.execute(db.jobs.update().where(db.jobs.c.id == job.id).values(approved=True))
    await _move(conn, job, states.RENDERING, "approved")


async def retry(conn: AsyncConnection, job: Any, task_ids: list[int] | None) -> int:
    """Queue failed (or cancelled) tasks again — these (at most a request's 1000), or all of
    the job's; how many. Ids of tasks in another state or job are left alone."""
    t = db.tasks
    where = [t.c.job_id == job.id, t.c.state.in_(("failed", "cancelled"))]
    if task_ids is not None:
        where.append(t.c.id.in_(task_ids))
    rows = (await conn.execute(sa.select(t.c.id, t.c.state, t.c.is_test).where(*where))).all()
    if not rows:
        return 0
    failed = sum(r.state == "failed" for r in rows)
    tests = sum(r.is_test for r in rows)
    now = time.time()
    await conn.execute(
        t.update()
        .where(t.c.id.in_([r.id for r in rows]))
        .values(state=states.QUEUED, failures=0, updated_at=now, retried_at=now)
    )
    # A person asked for another try: workers blocklisted for the job get another chance too.
    await conn.execute(db.blocklist.delete().where(db.blocklist.c.job_id == job.id))
    j = db.jobs
    await conn.execute(
        j.update()
        .where(j.c.id == job.id)
        .values(tasks_failed=j.c.tasks_failed - failed, test_pending=j.c.test_pending + tests)
    )
    if job.state in (states.FAILED, states.COMPLETED, states.CANCELLED):
        await _move(conn, job, states.QUEUED, f"retry of {len(rows)} task(s)")
    return len(rows)


async def set_priority(conn: AsyncConnection, job: Any, priority: int) -> None:
    await conn.execute(
        db.jobs.update()
        .where(db.jobs.c.id == job.id)
        .values(priority=priority, updated_at=time.time())
    )


async def delete(conn: AsyncConnection, job: Any) -> None:
    """Remove a finished (or cancelled) job and everything that hangs off it."""
    if job.state not in states.FINAL:
        raise states.TransitionError("cancel the job before deleting it")
    await _remove(conn, job.id)


async def _remove(conn: AsyncConnection, job_id: int) -> None:
    task_ids = sa.select(db.tasks.c.id).where(db.tasks.c.job_id == job_id)
    await conn.execute(db.outputs.delete().where(db.outputs.c.job_id == job_id))
    attempt_ids = sa.select(db.attempts.c.id).where(db.attempts.c.task_id.in_(task_ids))
    await conn.execute(
        db.worker_uploads.delete().where(db.worker_uploads.c.attempt_id.in_(attempt_ids))
    )
    await conn.execute(db.attempts.delete().where(db.attempts.c.task_id.in_(task_ids)))
    for table in (
        db.tasks,
        db.job_requirements,
        db.job_hardware_configs,
        db.job_blobs,
        db.job_events,
        db.blocklist,
    ):
        await conn.execute(table.delete().where(table.c.job_id == job_id))
    await conn.execute(db.jobs.delete().where(db.jobs.c.id == job_id))


async def _move(conn: AsyncConnection, job: Any, to: str, reason: str) -> None:
    if not await states.move(conn, job.id, job.state, to, reason):
        raise states.TransitionError("the job changed state meanwhile; try again")


# -- reading ------------------------------------------------------------------------------
def job_json(job: Any, running: float = 0.0) -> dict[str, Any]:
    """The summary of a job that lists and the panel show.

    `running` is the summed progress (0..1 each) of its running attempts: a task half
    rendered counts half in `progress`.
    """
    done, total = job.tasks_done, job.tasks_total
    return {
        "id": job.id,
        "name": job.name,
        "user_id": job.user_id,
        "state": job.state,
        "priority": job.priority,
        "tasks_total": total,
        "tasks_done": done,
        "tasks_failed": job.tasks_failed,
        "test_pending": job.test_pending,
        "progress": _percent(done, running, total),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _percent(done: int, running: float, total: int) -> float:
    if not total:
        return 0.0
    return round(min(100.0, 100.0 * (done + max(running, 0.0)) / total), 2)


async def running_progress(conn: AsyncConnection, job_ids: list[int]) -> dict[int, float]:
    """Per job, the summed progress of its running attempts (each clamped to 0..1)."""
    if not job_ids:
        return {}
    a, t = db.attempts, db.tasks
    rows = await conn.execute(
        sa.select(t.c.job_id, a.c.progress)
        .select_from(t.join(a, a.c.task_id == t.c.id))
        .where(t.c.job_id.in_(job_ids), t.c.state == "running", a.c.state == "running")
    )  # one row per busy slot: bounded by the farm's size, not the jobs'
    found: dict[int, float] = {}
    for job_id, progress in rows:
        found[job_id] = found.get(job_id, 0.0) + min(max(progress or 0.0, 0.0), 1.0)
    return found


async def state_reason(conn: AsyncConnection, job_id: int) -> str | None:
    """Why the job is in its state: the reason its last change of state recorded."""
    e = db.job_events
    return await conn.scalar(
        sa.select(e.c.reason).where(e.c.job_id == job_id).order_by(e.c.id.desc()).limit(1)
    )


async def eta_seconds(conn: AsyncConnection, job: Any) -> float | None:
    """Time left, from the median duration of finished tasks and the workers now busy on it.

    None while nothing renders for the job by rule (awaiting approval, paused) or once it
    ended: no time can be promised then.
    """
    if job.state not in states.DISPATCHING:
        return None
    a, t = db.attempts, db.tasks
    rows = await conn.execute(
        sa.select(a.c.started_at, a.c.ended_at, a.c.state)
        .join(t, t.c.id == a.c.task_id)
        .where(t.c.job_id == job.id, a.c.state.in_(("done", "running")))
    )
    durations, running = [], 0
    for r in rows:
        if r.state == "done" and r.ended_at:
            durations.append(r.ended_at - r.started_at)
        elif r.state == "running":
            running += 1
    left = job.tasks_total - job.tasks_done - job.tasks_failed
    if not durations or left <= 0:
        return 0.0 if left <= 0 else None
    return statistics.median(durations) * left / max(running, 1)


async def tasks_with_attempts(
    conn: AsyncConnection, job_id: int, limit: int, after: int | None = None
) -> list[dict[str, Any]]:
    """A page of a job's tasks with their attempts (one row per try), in dispatch order.

    At most `limit` tasks, those whose `seq` comes after `after`. Each has its `retried_at`
    (a person's or the liveness rule's last retry, for `waiting.task_reasons`).
    """
    t, a, w = db.tasks, db.attempts, db.workers
    query = sa.select(t).where(t.c.job_id == job_id).order_by(t.c.seq).limit(limit)
    if after is not None:
        query = query.where(t.c.seq > after)
    tasks = (await conn.execute(query)).all()
    attempts: dict[int, list[dict[str, Any]]] = {}
    rows: Iterable[Any]
    if tasks:
        rows = await conn.execute(
            sa.select(a, w.c.name.label("worker_name"))
            .select_from(a.join(w, w.c.id == a.c.worker_id))
            .where(a.c.task_id.in_([r.id for r in tasks]))
            .order_by(a.c.id)
        )
    else:
        rows = []
    for r in rows:
        attempts.setdefault(r.task_id, []).append(
            {
                "id": r.id,
                "worker_id": r.worker_id,
                "worker": r.worker_name,
                "state": r.state,
                "started_at": r.started_at,
                "ended_at": r.ended_at,
                "exit_code": r.exit_code,
                "peak_memory_mb": r.peak_memory_mb,
                "progress": r.progress,
                "message": r.message,
            }
        )
    return [
        {
            "id": r.id,
            "seq": r.seq,
            "kind": r.kind,
            "frames": r.frames,
            "tile": r.tile,
            "layer": r.layer,
            "is_test": r.is_test,
            "state": r.state,
            "failures": r.failures,
            "message": r.message,
            "attempts": attempts.get(r.id, []),
            "retried_at": r.retried_at,
        }
        for r in tasks
    ]
