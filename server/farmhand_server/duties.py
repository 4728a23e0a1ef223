"""Periodic duties that must run once across server processes sharing a database.

Lease expiry, time limits and deadlines (`reap`), the liveness rule (`liveness`) and
collection (`collect`) are each due every so often. Every process loops over them, but a
round runs only in the process that claims it: one compare-and-set on the duty's row in
`duties` (`last_run` older than the interval moves to now), so of N processes one runs it
per interval, and a process that dies leaves nothing to take over — the next due round is
claimed by whoever asks first. Works the same on SQLite (one process) and PostgreSQL.
Times are each process's wall clock: hosts sharing a database keep it in step (NTP).
"""

from __future__ import annotations

import os
import socket
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db
from farmhand_server.store.database import insert_or_skip

NAMES = ("reap", "liveness", "collect")
# A round may be claimed a little early: processes loop on their own phase, and waiting a
# whole extra interval for a few milliseconds would halve the rate.
_SLACK = 0.9


def owner() -> str:
    """This process, as the `duties.owner` column names it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


async def ensure(conn: AsyncConnection) -> None:
    """Create the duties' rows (never run) when missing; safe to race with other processes."""
    table = db.duties
    have = set((await conn.execute(sa.select(table.c.name))).scalars())
    for name in NAMES:
        if name in have:
            continue
        await conn.execute(
            insert_or_skip(conn.dialect.name, table, name=name, last_run=0.0, owner="")
        )


async def claim(
    conn: AsyncConnection, name: str, interval: float, now: float | None = None
) -> bool:
    """True when this process runs the duty's round now (and has recorded that it does)."""
    now = time.time() if now is None else now
    table = db.duties
    moved = await conn.execute(
        table.update()
        .where(table.c.name == name, table.c.last_run <= now - interval * _SLACK)
        .values(last_run=now, owner=owner())
    )
    return moved.rowcount == 1
