"""Core-hours per attempt, job and user, and a cost estimate from hardware config prices."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db


def _usage_columns(now: float) -> list[Any]:
    a, hc = db.attempts, db.hardware_configs
    hours = (sa.func.coalesce(a.c.ended_at, now) - a.c.started_at) / 3600.0
    return [
        sa.func.coalesce(sa.func.sum(hours * a.c.cores), 0.0).label("core_hours"),
        sa.func.coalesce(
            sa.func.sum(hours * sa.func.coalesce(hc.c.price_per_hour, 0.0)), 0.0
        ).label("cost"),
        sa.func.count(a.c.id).label("attempts"),
    ]


def _joined() -> sa.Join:
    a, t, j, w, hc = db.attempts, db.tasks, db.jobs, db.workers, db.hardware_configs
    return (
        a.join(t, t.c.id == a.c.task_id)
        .join(j, j.c.id == t.c.job_id)
        .join(w, w.c.id == a.c.worker_id)
        .outerjoin(hc, hc.c.id == w.c.hardware_config_id)
    )


async def job_usage(conn: AsyncConnection, job_id: int) -> dict[str, float]:
    """Core-hours and estimated cost of every attempt of a job (running ones up to now)."""
    row = (
        await conn.execute(
            sa.select(*_usage_columns(time.time()))
            .select_from(_joined())
            .where(db.tasks.c.job_id == job_id)
        )
    ).one()
    return {"core_hours": round(row.core_hours, 6), "cost": round(row.cost, 4)}


async def user_usage(conn: AsyncConnection, user_id: int | None) -> list[dict[str, Any]]:
    """Per user: core-hours, cost, attempts (`user_id` None: every user)."""
    query = (
        sa.select(db.jobs.c.user_id, db.users.c.name, *_usage_columns(time.time()))
        .select_from(_joined().join(db.users, db.users.c.id == db.jobs.c.user_id))
        .group_by(db.jobs.c.user_id, db.users.c.name)
        .order_by(db.jobs.c.user_id)
    )
    if user_id is not None:
        query = query.where(db.jobs.c.user_id == user_id)
    return [
        {
            "user_id": r.user_id,
            "name": r.name,
            "core_hours": round(r.core_hours, 6),
            "cost": round(r.cost, 4),
            "attempts": r.attempts,
        }
        for r in await conn.execute(query)
    ]
