"""Work for render nodes: claim a task (long-poll), keep its lease, report how it ended."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server import duties
from farmhand_server.accounts.auth import Principal
from farmhand_server.api import holds
from farmhand_server.config import Config
from farmhand_server.dispatch import liveness
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.errors import ApiError, conflict
from farmhand_server.jobs import lifecycle as jobs
from farmhand_server.keys import (
    BODY,
    CONFIG,
    DB,
    DISPATCHER,
    LIVENESS,
    PARAMS,
    PRINCIPAL,
    STORE,
    WAKE,
    WORKER_CACHE,
)
from farmhand_server.store import collect as gc

log = logging.getLogger("farmhand.server")
_WORKER_CACHE_SECONDS = 30.0
_HELD_WAIT_SECONDS = 5.0


async def _worker_info(request: web.Request, worker_id: int) -> scheduler.WorkerInfo:
    cache = request.app[WORKER_CACHE]
    now = time.monotonic()
    hit = cache.get(worker_id)
    if hit is None or hit[1] < now:
        async with request.app[DB].read() as conn:
            info = await scheduler.load_worker(conn, worker_id)
        wall = time.time()
        stale = min(_WORKER_CACHE_SECONDS, request.app[CONFIG].online_seconds / 4)
        if info.last_seen is None or info.last_seen < wall - stale:
            async with request.app[DB].write() as conn:  # keeps an idle worker online
                await scheduler.seen(conn, worker_id, wall)
        hit = cache[worker_id] = (info, now + _WORKER_CACHE_SECONDS)
    return hit[0]


async def claim_task(request: web.Request) -> web.Response:
    """The worker's best task, from the dispatcher; a long-poll of up to `wait` seconds."""
    worker: Principal = request[PRINCIPAL]
    config = request.app[CONFIG]
    wait = min(float(request[BODY].get("wait", config.claim_wait_seconds)), 60.0)
    if await holds.is_held(request, worker.id):  # drained or disabled by an admin
        await asyncio.sleep(min(wait, _HELD_WAIT_SECONDS))  # still a long-poll, not a spin
        return web.Response(status=204)
    info = await _worker_info(request, worker.id)
    assignment = await request.app[DISPATCHER].claim(info, wait)
    if assignment is None:
        return web.Response(status=204)
    return web.json_response(_assignment_json(assignment, config))


# What `_attempt_action` runs in its transaction: (conn, worker id, attempt id) → (the JSON
# answer, None for `{"ok": true}`; whether work may have appeared).
AttemptAction = Callable[[AsyncConnection, int, int], Awaitable[tuple[dict[str, Any] | None, bool]]]


def _stale(attempt_id: int) -> ApiError:
    return conflict(
        "stale_attempt",
        f"attempt {attempt_id} is no longer yours (lease lost, killed or finished): stop it",
    )


async def _attempt_action(request: web.Request, action: AttemptAction) -> web.Response:
    worker: Principal = request[PRINCIPAL]
    attempt_id = request[PARAMS]["attempt_id"]
    database = request.app[DB]
    try:
        async with database.write() as conn:
            result, new_work = await action(conn, worker.id, attempt_id)
            if new_work:
                await database.announce_work(conn)
    except scheduler.StaleAttempt:
        raise _stale(attempt_id) from None
    if new_work:
        request.app[WAKE].notify()
    return web.json_response(result or {"ok": True})


async def heartbeat(request: web.Request) -> web.Response:
    """Renew the lease, in the dispatcher's next round (one transaction for many heartbeats)."""
    worker: Principal = request[PRINCIPAL]
    attempt_id = request[PARAMS]["attempt_id"]
    progress = request[BODY].get("progress")
    try:
        expires = await request.app[DISPATCHER].heartbeat(worker.id, attempt_id, progress)
    except scheduler.StaleAttempt:
        raise _stale(attempt_id) from None
    return web.json_response({"lease_expires": expires})


async def complete_attempt(request: web.Request) -> web.Response:
    """Record success; with `next`, hand the worker its next task in the same transaction.

    A busy render node then makes one request per task instead of two.
    """
    body = request[BODY]
    attempt_id = request[PARAMS]["attempt_id"]
    then_claim = bool(body.get("next"))
    worker: Principal = request[PRINCIPAL]
    info = await _worker_info(request, worker.id)
    try:
        assignment = await request.app[DISPATCHER].complete(
            info, attempt_id, body.get("peak_memory_mb"), body.get("outputs") or [], then_claim
        )
    except scheduler.StaleAttempt:
        raise _stale(attempt_id) from None
    if not then_claim:
        return web.json_response({"ok": True})
    config = request.app[CONFIG]
    following = None if assignment is None else _assignment_json(assignment, config)
    return web.json_response({"ok": True, "next": following})


def _assignment_json(assignment: scheduler.Assignment, config: Config) -> dict:
    """The answer a worker gets: its attempt, the task (an assembly's with its tiles), the job."""
    return {
        "attempt_id": assignment.attempt_id,
        "lease_expires": assignment.lease_expires,
        "lease_seconds": config.lease_seconds,
        "task": assignment.task,
        "job": assignment.job,
    }


async def fail_attempt(request: web.Request) -> web.Response:
    body = request[BODY]
    config = request.app[CONFIG]

    async def failed(
        conn: AsyncConnection, worker_id: int, attempt_id: int
    ) -> tuple[dict[str, Any] | None, bool]:
        job_id = await scheduler.job_of_attempt(conn, attempt_id)
        state = scheduler.LOST if body.get("lost") else scheduler.FAILED
        requeued = await scheduler.fail(
            conn,
            worker_id,
            attempt_id,
            body.get("exit_code"),
            body.get("message", ""),
            config.max_retries,
            config.blocklist_after,
            state=state,
        )
        assert job_id is not None  # an unknown attempt raised StaleAttempt in fail()
        decided = await liveness.check(conn, config, [job_id])
        return None, requeued or decided.retried > 0

    response = await _attempt_action(request, failed)
    # A blocklist or a soft fail changes who may take what, work or not: the dispatcher looks again.
    request.app[DISPATCHER].work_changed()
    return response


async def reap_once(app: web.Application) -> int:
    """Requeue lapsed leases, fail timed-out attempts and overdue jobs; how many changed."""
    config = app[CONFIG]
    now = time.time()
    changed = 0
    async with app[DB].write() as conn:
        if not await duties.claim(conn, "reap", config.reap_interval, now):
            return 0  # another server process runs this round
        failed_jobs = set()
        for row in await scheduler.expired_attempts(conn, now):
            state = scheduler.LOST if row.lease_expires < now else scheduler.TIMEOUT
            reason = (
                "lease expired"
                if state == scheduler.LOST
                else f"killed after exceeding time_out ({row.time_out} s)"
            )
            try:
                requeued = await scheduler.fail(
                    conn,
                    row.worker_id,
                    row.id,
                    None,
                    reason,
                    config.max_retries,
                    config.blocklist_after,
                    state=state,
                )
                changed += 1
                failed_jobs.add(row.job_id)
                if requeued:
                    await app[DB].announce_work(conn)
            except scheduler.StaleAttempt:
                continue  # another server got there first
        if failed_jobs:
            decided = await liveness.check(conn, config, failed_jobs)
            if decided.retried:
                await app[DB].announce_work(conn)
        for job_id in await scheduler.overdue_jobs(conn, now):
            await scheduler.fail_job(conn, job_id, "job_stop_time reached")
            changed += 1
    if changed:
        app[WAKE].notify()
    return changed


async def check_liveness(app: web.Application, once: bool = False) -> liveness.Outcome:
    """The liveness rule over every dispatching job (see `liveness`).

    `once`: only if no server process on the database ran it within `liveness_interval`.
    """
    async with app[DB].write() as conn:
        if once and not await duties.claim(conn, "liveness", app[CONFIG].liveness_interval):
            return liveness.Outcome()
        decided = await liveness.check(conn, app[CONFIG], clock=app[LIVENESS])
        if decided.retried:
            await app[DB].announce_work(conn)
    if decided.changed:
        app[WAKE].notify()
    return decided


async def collect_garbage(app: web.Application, once: bool = False) -> dict:
    """One round of blob and abandoned-upload collection (see `gc`), after removing abandoned
    half-created jobs.

    `once`: only if no server process on the database ran it within `gc_interval_seconds`.
    """
    config = app[CONFIG]
    retention = config.blob_retention_days * 86400
    async with app[DB].write() as conn:
        if once and not await duties.claim(conn, "collect", config.gc_interval_seconds):
            return {"blobs": 0, "uploads": 0, "abandoned_jobs": 0, "skipped": True}
        abandoned = await jobs.discard_abandoned(conn)
        found = await gc.collect(conn, app[STORE], retention, config.upload_abandon_hours * 3600)
        return {**found, "abandoned_jobs": abandoned}


async def reaper(app: web.Application) -> AsyncIterator[None]:
    """Background loop of `reap_once`, and of collection every `gc_interval_seconds`.

    Each round runs in one server process of those sharing the database (`duties`).
    """

    async def loop() -> None:
        last_gc = last_liveness = time.monotonic()
        while True:
            await asyncio.sleep(app[CONFIG].reap_interval)
            try:
                await reap_once(app)
                if time.monotonic() - last_liveness >= app[CONFIG].liveness_interval:
                    last_liveness = time.monotonic()
                    await check_liveness(app, once=True)
                if time.monotonic() - last_gc > app[CONFIG].gc_interval_seconds:
                    last_gc = time.monotonic()
                    await collect_garbage(app, once=True)
            except Exception:  # keep reaping; the next round retries
                log.exception("reaper round failed")

    task = asyncio.create_task(loop())
    yield
    task.cancel()


HANDLERS = {f.__name__: f for f in (claim_task, heartbeat, complete_attempt, fail_attempt)}
