"""An admin's hold on a render node: drain it, disable it, enable it again.

A held worker is handed no task: its claims answer 204, and the dispatcher's hand-out
checks the hold again in the database, so no server process gives it work once the hold
is written. Draining lets what it runs finish; disabling also stops that now (the tasks
are queued again and the worker hears it at its next heartbeat).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from aiohttp import web

from farmhand_server.accounts.revocation import requeue_running
from farmhand_server.errors import not_found
from farmhand_server.keys import DB, DISPATCHER, PARAMS, WAKE
from farmhand_server.notify import events
from farmhand_server.store import schema as db
from farmhand_server.store.database import hold_dispatch

DRAIN, DISABLE = "drain", "disable"


async def _set_hold(request: web.Request, hold: str | None) -> web.Response:
    worker_id = request[PARAMS]["worker_id"]
    w = db.workers
    requeued = 0
    async with request.app[DB].write() as conn:
        await hold_dispatch(conn, exclusive=True)  # a round under way commits first
        row = (
            await conn.execute(
                w.update().where(w.c.id == worker_id).values(hold=hold).returning(w.c.name)
            )
        ).first()
        if row is None:
            raise not_found("worker")
        if hold == DISABLE:
            requeued = await requeue_running(conn, worker_id, time.time(), "worker disabled")
        state = {DRAIN: "draining", DISABLE: "disabled", None: "enabled"}[hold]
        await events.emit(
            conn, "worker", {"worker_id": worker_id, "name": row.name, "state": state}
        )
    if hold is not None:
        request.app[DISPATCHER].forget_worker(worker_id)  # its waiting claims end now
    if requeued or hold is None:
        request.app[WAKE].notify()
    return web.json_response(
        {"id": worker_id, "name": row.name, "hold": hold, "requeued": requeued}
    )


async def drain_worker(request: web.Request) -> web.Response:
    """Finish what the worker runs, then hand it nothing more."""
    return await _set_hold(request, DRAIN)


async def disable_worker(request: web.Request) -> web.Response:
    """Hand the worker nothing more, and queue again what it runs now."""
    return await _set_hold(request, DISABLE)


async def enable_worker(request: web.Request) -> web.Response:
    """Lift a drain or a disable: the worker takes work again."""
    return await _set_hold(request, None)


async def is_held(request: web.Request, worker_id: int) -> bool:
    """True while an admin holds the worker (read fresh: a hold takes effect at once)."""
    async with request.app[DB].read() as conn:
        hold = await conn.scalar(sa.select(db.workers.c.hold).where(db.workers.c.id == worker_id))
    return hold is not None


HANDLERS = {f.__name__: f for f in (drain_worker, disable_worker, enable_worker)}
