"""Figures of the whole farm for its admins: throughput, queue, core-hours, blob storage."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.jobs import states
from farmhand_server.store import schema as db

MAX_PERIOD = 366 * 86400  # the furthest back `since` may reach; openapi.yaml says the same
THROUGHPUT_MINUTES = 60


async def farm_stats(conn: AsyncConnection, since: float, now: float | None = None) -> dict:
    """The farm's figures: tasks finished per minute over the last hour (oldest minute first),
    the queue, core-hours by user and by project within [since, now], storage used by blobs.
    """
    now = time.time() if now is None else now
    return {
        "now": now,
        "since": since,
        "tasks_per_minute": await _per_minute(conn, now),
        "queue": await _queue(conn),
        "core_hours_by_user": await _core_hours(conn, since, now, "user"),
        "core_hours_by_project": await _core_hours(conn, since, now, "project"),
        "storage": await _storage(conn),
    }


async def _per_minute(conn: AsyncConnection, now: float) -> list[int]:
    a = db.attempts
    start = now - THROUGHPUT_MINUTES * 60
    counts = [0] * THROUGHPUT_MINUTES
    ended = await conn.execute(
        sa.select(a.c.ended_at).where(
            a.c.state == "done", a.c.ended_at > start, a.c.ended_at <= now
        )
    )
    for (at,) in ended:
        counts[min(int((at - start) // 60), THROUGHPUT_MINUTES - 1)] += 1
    return counts


async def _queue(conn: AsyncConnection) -> dict[str, int]:
    t, j = db.tasks, db.jobs
    row = (
        await conn.execute(
            sa.select(
                sa.func.count().filter(t.c.state == "queued").label("queued"),
                sa.func.count().filter(t.c.state == "running").label("running"),
            )
            .select_from(t.join(j, j.c.id == t.c.job_id))
            .where(j.c.state.in_(states.DISPATCHING), t.c.state.in_(("queued", "running")))
        )
    ).one()
    return {"tasks_queued": int(row.queued or 0), "tasks_running": int(row.running or 0)}


async def _core_hours(conn: AsyncConnection, since: float, now: float, by: str) -> list[dict]:
    """Core-hours of attempts within [since, now] (a running one counts up to now)."""
    a, t, j, u, p = db.attempts, db.tasks, db.jobs, db.users, db.projects
    end = sa.func.coalesce(a.c.ended_at, now)
    start = sa.case((a.c.started_at < since, since), else_=a.c.started_at)
    hours = sa.func.sum((end - start) * a.c.cores / 3600.0).label("core_hours")
    joined = a.join(t, t.c.id == a.c.task_id).join(j, j.c.id == t.c.job_id)
    if by == "user":
        key, name = j.c.user_id, u.c.name
        joined = joined.join(u, u.c.id == j.c.user_id)
    else:
        key, name = j.c.project_id, p.c.name
        joined = joined.outerjoin(p, p.c.id == j.c.project_id)
    query = (
        sa.select(key.label("id"), name.label("name"), hours)
        .select_from(joined)
        .where(end > since, a.c.started_at <= now)
        .group_by(key, name)
        .order_by(sa.desc("core_hours"))
    )
    return [
        {"id": r.id, "name": r.name, "core_hours": round(float(r.core_hours or 0.0), 6)}
        for r in await conn.execute(query)
    ]


async def _storage(conn: AsyncConnection) -> dict[str, int]:
    b = db.blobs
    row = (
        await conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(b.c.size), 0)))
    ).one()
    return {"blobs": int(row[0]), "bytes": int(row[1])}
