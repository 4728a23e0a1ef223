"""Each server process drops its cached credentials as soon as one is revoked anywhere.

See `revocation`: the process that revokes clears its own caches at once;
on PostgreSQL the others hear the NOTIFY sent at commit; and every process
also watches the newest revocation id every `revocation_poll_seconds` (the
only way a server on SQLite hears of `farmhand admin` run on its database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from farmhand_server.accounts import revocation
from farmhand_server.keys import CONFIG, DB, DISPATCHER, TOKEN_CACHE, WAKE, WORKER_CACHE

log = logging.getLogger("farmhand.server")


@contextlib.asynccontextmanager
async def revoking(app: web.Application) -> AsyncIterator[None]:
    """Around a revocation's transaction: on exit (after the commit) this process's caches
    are gone, and on PostgreSQL every other process has heard of it (`Watcher.echoed`)."""
    watcher = app.get(WATCHER)
    mark = watcher.heard if watcher is not None else 0
    yield
    app[TOKEN_CACHE].clear()
    app[WORKER_CACHE].clear()
    if watcher is not None:
        await watcher.echoed(mark)


class Watcher:
    """Follows the `revocations` table for one process."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.seen = 0
        self.heard = 0  # NOTIFYs received (PostgreSQL)
        self.listening = False
        self._check = asyncio.Event()
        self._echo = asyncio.Event()

    def notified(self) -> None:
        """A revocation was committed somewhere: drop the caches now, read what it was next."""
        self._forget()
        self.heard += 1
        self._echo.set()
        self._echo = asyncio.Event()
        self._check.set()

    async def echoed(self, mark: int, timeout: float = 2.0) -> None:
        """Wait until a NOTIFY after `mark` (a `heard` read before a revocation) arrived here.

        PostgreSQL delivers a NOTIFY to every listening process at once, a few milliseconds
        after the commit; a revocation answers only after its own echo, so that when the
        caller is told "revoked", the other processes have heard it too.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while self.listening and self.heard <= mark:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning("no echo of a revocation's NOTIFY within %.1f s", timeout)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._echo.wait(), left)

    def _forget(self) -> None:
        self.app[TOKEN_CACHE].clear()
        self.app[WORKER_CACHE].clear()

    async def check(self) -> None:
        """Read revocations newer than the last seen; drop caches and revoked workers' claims."""
        async with self.app[DB].read() as conn:
            found = await revocation.since(conn, self.seen)
        if not found:
            return
        self._forget()
        self.seen = found[-1][0]
        dispatcher = self.app[DISPATCHER]
        for _, kind, subject_id in found:
            if kind == "worker":
                dispatcher.forget_worker(subject_id)
        dispatcher.work_changed()  # a revoked worker's tasks may be queued again

    async def run(self) -> None:
        async with self.app[DB].read() as conn:
            self.seen = await revocation.latest(conn)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._check.wait(), self.app[CONFIG].revocation_poll_seconds)
            self._check.clear()
            try:
                await self.check()
            except Exception:  # keep watching; the next round retries
                log.exception("checking for revocations failed")


WATCHER = web.AppKey("revocation_watcher", Watcher)


async def watch(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: run a `Watcher` for the app's lifetime (after the database opened)."""
    watcher = app[WATCHER] = Watcher(app)
    watcher.listening = await app[WAKE].relay(revocation.AUTH_CHANNEL, watcher.notified)
    task = asyncio.create_task(watcher.run(), name="farmhand-revocations")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
