"""The database handle the handlers use: reads, and writes that never trip over each other.

SQLite has one writer at a time; a transaction that reads and then writes
fails outright if another writer committed in between. So on SQLite every
write transaction of this process takes one asyncio lock first (the
embedded deployment is one server process). PostgreSQL needs no lock: the
scheduler uses row locks (`FOR UPDATE SKIP LOCKED`) and guarded updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Database:
    """An engine plus the write discipline its dialect needs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._write_lock = None if self.is_postgres else asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; committed on exit, rolled back on error."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    def read(self):
        """A connection for reading (`async with db.read() as conn`)."""
        return self.engine.connect()


class Notifier:
    """Wakes long-polling claims when work may have appeared (in this process)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """True when notified before `timeout` seconds passed."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
