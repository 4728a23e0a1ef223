"""`GET /events`: a server-sent-events stream of what the caller may see."""

from __future__ import annotations

import contextlib
import json
import time

from aiohttp import web

from farmhand_server.accounts.auth import Principal
from farmhand_server.keys import DB, PARAMS, PRINCIPAL, WAKE
from farmhand_server.notify import events
from farmhand_server.store.database import Database

_POLL_SECONDS = 0.5  # also picks up events other server processes wrote
_KEEPALIVE_SECONDS = 15.0
# On PostgreSQL event ids come from a sequence when the row is written, not when it commits:
# a transaction that began first may commit after a later id is visible. A gap in the ids is
# waited for this long before it is taken for a rolled-back write and skipped; otherwise
# the stream would step past the late event and never send it.
GAP_SECONDS = 3.0


async def stream_events(request: web.Request) -> web.StreamResponse:
    user: Principal = request[PRINCIPAL]
    owner = None if user.is_admin else user.id
    database = request.app[DB]
    last = _start_id(request)
    if last is None:
        async with database.read() as conn:
            last = await events.latest_id(conn)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionResetError):  # the client went away
        await _pump(request, response, database, last, owner)
    return response


async def _pump(
    request: web.Request,
    response: web.StreamResponse,
    database: Database,
    last: int,
    owner: int | None,
) -> None:
    await response.write(b": farmhand events\n\n")
    quiet_since = time.monotonic()
    max_seconds = request[PARAMS].get("max_seconds", 0.0)
    ends = time.monotonic() + max_seconds if max_seconds > 0 else None
    gaps = events.GapWatch(GAP_SECONDS if database.is_postgres else 0.0)
    while ends is None or time.monotonic() < ends:
        async with database.read() as conn:
            rows = await events.since(conn, last, owner)
            rows = await gaps.ready(conn, last, rows)
        for row in rows:
            payload = json.dumps({"id": row.id, "at": row.at, **row.data})
            await response.write(f"id: {row.id}\nevent: {row.kind}\ndata: {payload}\n\n".encode())
            last = row.id
            quiet_since = time.monotonic()
        if time.monotonic() - quiet_since > _KEEPALIVE_SECONDS:
            await response.write(b": keep-alive\n\n")
            quiet_since = time.monotonic()
        if not rows:
            left = _POLL_SECONDS if ends is None else min(_POLL_SECONDS, ends - time.monotonic())
            await request.app[WAKE].wait(max(left, 0.0))


def _start_id(request: web.Request) -> int | None:
    """Resume after `Last-Event-ID` (or `?since=`); None: only what happens from now on."""
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        return request[PARAMS].get("since")
    try:
        return min(max(int(raw), 0), 2**31 - 1)
    except ValueError:
        return None


HANDLERS = {"stream_events": stream_events}
