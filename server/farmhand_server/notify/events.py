"""Changes people watch live: job states, task progress, workers coming and going.

Every change is a row in `events`, written in the same transaction as the
change itself, so any server process sharing the database can stream it and
a client that reconnects resumes from the last id it saw (`Last-Event-ID`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db


async def emit(
    conn: AsyncConnection,
    kind: str,
    data: dict[str, Any],
    job_id: int | None = None,
    user_id: int | None = None,
) -> None:
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
    query = sa.select(sa.func.coalesce(sa.func.max(db.events.c.id), 0))
    return int((await conn.execute(query)).scalar_one())


GAP_WINDOW = 2000  # ids below the newest this far are not waited for


class GapWatch:
    """Holds a stream back at a gap in event ids until the gap is filled or old enough.

    Ids are taken when an event is written and become visible when its transaction commits,
    in another order under concurrent writers (PostgreSQL). A reader that stepped past a gap
    would miss the event that fills it; so events are released only up to the first gap,
    until `grace` seconds after the gap was first seen (then it is a rolled-back write).
    Gaps are judged on all events, not only those the reader may see: a user's stream skips
    other users' ids by design.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self._seen: dict[int, float] = {}  # first missing id → when the gap was first seen

    async def ready(self, conn: AsyncConnection, last: int, rows: Sequence[Any]) -> list[Any]:
        """The prefix of `rows` (events after `last`, ascending) that may be sent now."""
        if not rows or self.grace <= 0:
            return list(rows)
        # Only the newest ids can still be filled by a commit; older gaps are rolled back.
        floor = max(last, rows[-1].id - GAP_WINDOW)
        present = set(
            (
                await conn.execute(
                    sa.select(db.events.c.id).where(
                        db.events.c.id > floor, db.events.c.id <= rows[-1].id
                    )
                )
            ).scalars()
        )
        now = time.monotonic()
        released: list[Any] = []
        expected = last + 1
        for row in rows:
            start = max(expected, floor + 1)
            missing = [i for i in range(start, row.id) if i not in present]
            if missing:
                first_seen = self._seen.setdefault(missing[0], now)
                if now - first_seen < self.grace:
                    break
            released.append(row)
            expected = row.id + 1
        for key in [k for k in self._seen if k < expected]:
            del self._seen[key]
        return released
