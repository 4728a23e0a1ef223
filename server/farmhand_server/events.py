"""Changes people watch live: job states, task progress, workers coming and going.

Every change is a row in `events`, written in the same transaction as the
change itself, so any server process sharing the database can stream it and
a client that reconnects resumes from the last id it saw (`Last-Event-ID`).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from . import db


async def emit(
    conn: AsyncConnection, kind: str, data: dict[str, Any], job_id: int | None = None,
    user_id: int | None = None,
) -> None:  # fmt: skip
    """Record an event; with a job and no user, the job's owner may see it."""
    if job_id is not None and user_id is None:
        user_id = await conn.scalar(sa.select(db.jobs.c.user_id).where(db.jobs.c.id == job_id))
    await conn.execute(
        db.events.insert().values(
            at=time.time(), kind=kind, user_id=user_id, job_id=job_id, data=data
        )
    )


async def since(
    conn: AsyncConnection, last_id: int, user_id: int | None, limit: int = 500
) -> list[Any]:
    """Events after `last_id` that a user may see (`user_id` None: everything, for admins)."""
    query = sa.select(db.events).where(db.events.c.id > last_id).order_by(db.events.c.id)
    if user_id is not None:
        query = query.where(db.events.c.user_id == user_id)
    return list(await conn.execute(query.limit(limit)))


async def latest_id(conn: AsyncConnection) -> int:
    """The newest event id (0 when there is none)."""
    return int(await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(db.events.c.id), 0))))
