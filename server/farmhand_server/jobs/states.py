"""Job states and the transitions between them; every change is checked and recorded.

    queued ──► rendering ──► completed
       │  ╲        │  ╲──► awaiting_approval ──► rendering (approve)
       │   ╲       ├──► paused ──► queued / rendering (resume)
       ▼    ▼      ▼
    cancelled    failed

A job is `submitting` while its tasks are being written (`jobs.create_job`):
no transition leaves it but to `queued`, once all of them are in.

A change is an UPDATE guarded by the state it leaves, so two servers (or two
requests) cannot both move a job; the loser sees it did not happen.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.notify import events
from farmhand_server.store import schema as db

QUEUED, RENDERING, AWAITING, PAUSED = "queued", "rendering", "awaiting_approval", "paused"
COMPLETED, FAILED, CANCELLED = "completed", "failed", "cancelled"
SUBMITTING = "submitting"
FINAL = frozenset({COMPLETED, FAILED, CANCELLED})
DISPATCHING = (QUEUED, RENDERING)

TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RENDERING, PAUSED, CANCELLED, FAILED, AWAITING, COMPLETED}),
    RENDERING: frozenset({COMPLETED, FAILED, CANCELLED, PAUSED, AWAITING}),
    AWAITING: frozenset({RENDERING, CANCELLED, FAILED, PAUSED}),
    PAUSED: frozenset({QUEUED, RENDERING, CANCELLED, FAILED}),
    COMPLETED: frozenset({QUEUED}),  # retry of a task re-opens a finished job
    FAILED: frozenset({QUEUED}),
    CANCELLED: frozenset(),
}


class TransitionError(ValueError):
    """A change of state the job's current state does not allow."""


def check(from_state: str, to_state: str) -> None:
    """Raise TransitionError unless `from_state → to_state` is allowed."""
    if to_state not in TRANSITIONS.get(from_state, frozenset()):
        raise TransitionError(f"a {from_state} job cannot become {to_state}")


async def move(
    conn: AsyncConnection, job_id: int, from_state: str, to_state: str, reason: str = ""
) -> bool:
    """Change a job's state if it is still `from_state`; records the event. False if it moved."""
    check(from_state, to_state)
    now = time.time()
    values: dict = {"state": to_state, "updated_at": now}
    if to_state == RENDERING:
        values["started_at"] = sa.func.coalesce(db.jobs.c.started_at, now)
    if to_state in FINAL:
        values["finished_at"] = now
    elif from_state in FINAL:
        values["finished_at"] = None
    result = await conn.execute(
        db.jobs.update()
        .where(db.jobs.c.id == job_id, db.jobs.c.state == from_state)
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    await conn.execute(
        db.job_events.insert().values(
            job_id=job_id, at=now, from_state=from_state, to_state=to_state, reason=reason[:500]
        )
    )
    await events.emit(
        conn,
        "job",
        {"job_id": job_id, "from": from_state, "state": to_state, "reason": reason},
        job_id,
    )
    return True
