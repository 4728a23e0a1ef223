"""Cutting off credentials: revoke a worker or an enrolment token, disable a user.

Each takes effect in the database at once, and is recorded in `revocations`.
Server processes cache who a token belongs to (`auth_cache_seconds`) and what a
worker can do; they drop those caches when a revocation is recorded: the
process that made it at once, others on PostgreSQL as soon as its NOTIFY
arrives (`AUTH_CHANNEL`, sent at commit), and any process within
`revocation_poll_seconds` by watching the highest revocation id (how a server
on SQLite hears of `farmhand admin` run against its database).

A revoked worker's running attempts are killed and their tasks queued again
(not counted as failures: the task did nothing wrong).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.dispatch.rules import KILLED, RUNNING
from farmhand_server.jobs import states
from farmhand_server.notify import events
from farmhand_server.store import schema as db
from farmhand_server.store.database import WORK_CHANNEL, hold_dispatch

AUTH_CHANNEL = "farmhand_auth"


@dataclass(frozen=True, slots=True)
class Revoked:
    """What revoking a worker did."""

    worker_id: int
    name: str
    revoked_at: float
    requeued: int  # running attempts killed, their tasks queued again


async def _record(conn: AsyncConnection, kind: str, subject_id: int, by_user: int | None) -> None:
    await conn.execute(
        db.revocations.insert().values(
            at=time.time(), kind=kind, subject_id=subject_id, by_user=by_user
        )
    )
    if conn.dialect.name == "postgresql":  # delivered to every listening process at commit
        await conn.execute(sa.text(f"SELECT pg_notify('{AUTH_CHANNEL}', '')"))


async def token_revoked(conn: AsyncConnection, token_id: int, by_user: int | None) -> None:
    """Record that a user's API token was revoked (so other processes drop it from caches)."""
    await _record(conn, "token", token_id, by_user)


async def revoke_worker(conn: AsyncConnection, worker_id: int, by_user: int | None) -> Revoked:
    """Revoke a worker's token and requeue what it was rendering; LookupError if no such worker.

    Revoking a revoked worker again changes nothing (and requeues nothing).
    """
    w = db.workers
    row = (
        await conn.execute(sa.select(w.c.name, w.c.revoked_at).where(w.c.id == worker_id))
    ).first()
    if row is None:
        raise LookupError(f"no worker with id {worker_id}")
    if row.revoked_at is not None:
        return Revoked(worker_id, row.name, row.revoked_at, 0)
    await hold_dispatch(conn, exclusive=True)  # no dispatch round hands it work meanwhile
    now = time.time()
    await conn.execute(
        w.update().where(w.c.id == worker_id).values(revoked_at=now, state="revoked")
    )
    running = await requeue_running(conn, worker_id, now, "worker revoked")
    await events.emit(
        conn, "worker", {"worker_id": worker_id, "name": row.name, "state": "revoked"}
    )
    await _record(conn, "worker", worker_id, by_user)
    return Revoked(worker_id, row.name, now, running)


async def requeue_running(conn: AsyncConnection, worker_id: int, now: float, why: str) -> int:
    """Kill the worker's running attempts and queue their tasks again; how many.

    The worker hears of it at its next heartbeat (409) and stops the render.
    """
    a, t = db.attempts, db.tasks
    running = (
        await conn.execute(
            sa.select(a.c.id, a.c.task_id, t.c.job_id, db.jobs.c.user_id, t.c.frames)
            .join(t, t.c.id == a.c.task_id)
            .join(db.jobs, db.jobs.c.id == t.c.job_id)
            .where(a.c.worker_id == worker_id, a.c.state == RUNNING)
            .order_by(t.c.job_id)
        )
    ).all()
    for attempt in running:
        await conn.execute(
            a.update()
            .where(a.c.id == attempt.id, a.c.state == RUNNING)
            .values(state=KILLED, ended_at=now, message=why, lease_expires=None)
        )
        await conn.execute(
            t.update()
            .where(t.c.id == attempt.task_id, t.c.state == RUNNING)
            .values(state=states.QUEUED, updated_at=now)
        )
        await events.emit(
            conn,
            "task",
            {
                "job_id": attempt.job_id,
                "task_id": attempt.task_id,
                "state": states.QUEUED,
                "frames": attempt.frames,
                "message": f"{why}: queued again",
            },
            attempt.job_id,
            attempt.user_id,
        )
    if running and conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"SELECT pg_notify('{WORK_CHANNEL}', '')"))
    return len(running)


async def revoke_enrolment_token(conn: AsyncConnection, token_id: int, by_user: int | None) -> bool:
    """Revoke an enrolment token; False when there is no such live token."""
    e = db.enrolment_tokens
    done = await conn.execute(
        e.update()
        .where(e.c.id == token_id, e.c.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )
    if done.rowcount != 1:
        return False
    await _record(conn, "enrol", token_id, by_user)
    return True


async def set_user_disabled(
    conn: AsyncConnection, user_id: int, disabled: bool, by_user: int | None
) -> bool:
    """Disable (or enable again) a user: a disabled user's tokens stop working.

    False when there is no such user.
    """
    u = db.users
    done = await conn.execute(
        u.update().where(u.c.id == user_id).values(disabled_at=time.time() if disabled else None)
    )
    if done.rowcount != 1:
        return False
    # Enabling is recorded too (as "enabled"), so every process hears of it the same way.
    await _record(conn, "user" if disabled else "enabled", user_id, by_user)
    return True


async def latest(conn: AsyncConnection) -> int:
    """The id of the newest revocation (0 when none): it grows with every one."""
    query = sa.select(sa.func.coalesce(sa.func.max(db.revocations.c.id), 0))
    return int((await conn.execute(query)).scalar_one())


async def since(conn: AsyncConnection, after: int) -> list[tuple[int, str, int]]:
    """Revocations after id `after`: (id, kind, subject id), oldest first."""
    r = db.revocations
    rows = await conn.execute(
        sa.select(r.c.id, r.c.kind, r.c.subject_id).where(r.c.id > after).order_by(r.c.id)
    )
    return [(row.id, row.kind, row.subject_id) for row in rows]
