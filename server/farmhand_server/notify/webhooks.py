"""Webhooks: a JSON POST to each URL an admin configured when a job finishes, fails or
awaits approval (`webhook_urls`, `webhook_events`; docs/server.md, "Notifications").

Nothing here is on the scheduler's path. A background task reads the job events that
every change of state already records (`events`, written in the change's transaction),
every `webhook_poll_seconds`; the batch it takes is claimed by moving a shared cursor
(`webhook_cursor`) with a compare-and-set, so with several server processes on one
database each event is sent by one of them. The deliveries wait in a bounded queue
(`webhook_queue`; when full, the newest are dropped and logged) for a few sender tasks,
each POST with a time limit and, on a network error, a 429 or a 5xx, tried again after
`webhook_backoff_seconds` doubling each time, at most `webhook_tries` times. A receiver
that refuses (any other 4xx) is not asked again. Delivery is at most once: an event
claimed by a process that stops before sending it is not sent.

The body: `{"event": "job.failed", "at": …, "job": {"id", "name", "state", "from",
"reason", "user", "url"}, "text": "Job 12 shot010 failed: …"}` (`text` is what chat tools
such as Slack or Mattermost show). With `webhook_secret`, `X-Farmhand-Signature` is
`sha256=` and the HMAC-SHA256 of the body with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.keys import CONFIG, DB
from farmhand_server.notify import events
from farmhand_server.store import schema as db

log = logging.getLogger("farmhand.webhooks")
BATCH = 200  # events read per poll
SENDERS = 4  # deliveries in flight at once
REASON_SHOWN = 500  # characters of a state's reason a body carries
GAP_SECONDS = 3.0  # how long a gap in event ids is waited for (see `events.GapWatch`)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST to make: where, and the body."""

    url: str
    body: bytes
    event: str


def body_of(event: Any, job: Any, user: str | None, config: Config) -> dict[str, Any]:
    """The JSON a receiver gets for one job event (`event` a row of `events`)."""
    data = event.data or {}
    state = str(data.get("state"))
    reason = str(data.get("reason") or "")[:REASON_SHOWN]
    name = job.name if job is not None else str(data.get("name") or "")
    job_id = event.job_id
    words = state.replace("_", " ")
    text = f"Job {job_id} {name} {words}" + (f": {reason}" if reason else "")
    return {
        "event": f"job.{state}",
        "at": event.at,
        "job": {
            "id": job_id,
            "name": name,
            "state": state,
            "from": data.get("from"),
            "reason": reason,
            "user": user,
            "url": f"{config.base_url}/api/v1/jobs/{job_id}",
        },
        "text": text,
    }


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: the HMAC-SHA256 of the body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _cursor(conn: AsyncConnection) -> int:
    c = db.webhook_cursor
    found = await conn.scalar(sa.select(c.c.last_event_id).where(c.c.id == 1))
    if found is None:  # first start: from now on, not the history
        latest = await events.latest_id(conn)
        await conn.execute(c.insert().values(id=1, last_event_id=latest))
        return latest
    return int(found)


async def take(app: web.Application, gaps: events.GapWatch | None = None) -> list[Delivery]:
    """Claim the job events since the shared cursor; the deliveries they make (may be []).

    `gaps` holds the cursor at a gap in event ids until the late event commits (PostgreSQL
    commits out of id order; `events.GapWatch`), so an event is never stepped over.
    """
    config = app[CONFIG]
    e, j, u, c = db.events, db.jobs, db.users, db.webhook_cursor
    async with app[DB].write() as conn:
        last = await _cursor(conn)
        rows = (
            await conn.execute(sa.select(e).where(e.c.id > last).order_by(e.c.id).limit(BATCH))
        ).all()
        if gaps is not None:
            rows = await gaps.ready(conn, last, rows)
        if not rows:
            return []
        moved = await conn.execute(
            c.update()
            .where(c.c.id == 1, c.c.last_event_id == last)
            .values(last_event_id=rows[-1].id)
        )
        if moved.rowcount != 1:
            return []  # another process took them
        wanted = set(config.webhook_events)
        chosen = [
            r
            for r in rows
            if r.kind == "job" and (r.data or {}).get("state") in wanted and r.job_id is not None
        ]
        if not chosen:
            return []
        ids = list({r.job_id for r in chosen})
        jobs = {
            r.id: r
            for r in await conn.execute(
                sa.select(j.c.id, j.c.name, u.c.name.label("user"))
                .select_from(j.join(u, u.c.id == j.c.user_id))
                .where(j.c.id.in_(ids))
            )
        }
    out: list[Delivery] = []
    for row in chosen:
        job = jobs.get(row.job_id)
        body = json.dumps(body_of(row, job, job.user if job else None, config)).encode()
        out.extend(
            Delivery(url, body, f"job.{row.data.get('state')}") for url in config.webhook_urls
        )
    return out


async def deliver(session: aiohttp.ClientSession, config: Config, item: Delivery) -> int:
    """POST one delivery, tried again as configured; how many tries it took (0: gave up)."""
    headers = {"Content-Type": "application/json", "User-Agent": "farmhand-webhook/1",
               "X-Farmhand-Event": item.event}  # fmt: skip
    if config.webhook_secret:
        headers["X-Farmhand-Signature"] = sign(item.body, config.webhook_secret)
    timeout = aiohttp.ClientTimeout(total=config.webhook_timeout_seconds)
    delay = config.webhook_backoff_seconds
    tries = max(config.webhook_tries, 1)
    for attempt in range(1, tries + 1):
        why = ""
        try:
            post = session.post(
                item.url, data=item.body, headers=headers, timeout=timeout, allow_redirects=False
            )
            async with post as response:
                await response.read()
                if response.status < 300:
                    return attempt
                why = f"HTTP {response.status}"
                if 400 <= response.status < 500 and response.status != 429:
                    log.warning("webhook %s refused %s: %s; not retried", item.url, item.event, why)
                    return 0
        except (aiohttp.ClientError, TimeoutError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        if attempt < tries:
            await asyncio.sleep(delay)
            delay *= 2
        else:
            log.warning(
                "webhook %s: %s not delivered after %d tries (%s)", item.url, item.event, tries, why
            )
    return 0


async def watch(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the poller and the senders, for the app's lifetime (when URLs are set)."""
    config = app[CONFIG]
    if not config.webhook_urls:
        yield
        return
    queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=max(config.webhook_queue, 1))
    session = aiohttp.ClientSession()

    gaps = events.GapWatch(GAP_SECONDS if app[DB].is_postgres else 0.0)

    async def poll() -> None:
        while True:
            try:
                for item in await take(app, gaps):
                    try:
                        queue.put_nowait(item)
                    except asyncio.QueueFull:
                        log.warning("webhook queue full: %s to %s dropped", item.event, item.url)
            except Exception:  # keep polling; the next round retries
                log.exception("webhook poll failed")
            await asyncio.sleep(config.webhook_poll_seconds)

    async def send() -> None:
        while True:
            item = await queue.get()
            try:
                await deliver(session, config, item)
            except Exception:
                log.exception("webhook delivery to %s failed", item.url)
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(poll())] + [asyncio.create_task(send()) for _ in range(SENDERS)]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await session.close()
