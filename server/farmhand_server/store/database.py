"""The database handle the handlers use: reads, and writes that never trip over each other.

SQLite has one writer at a time; a transaction that reads and then writes
fails outright if another writer committed in between. So on SQLite every
write transaction of this process takes one asyncio lock first (the
embedded deployment is one server process). PostgreSQL needs no lock: the
scheduler uses row locks (`FOR UPDATE SKIP LOCKED`) and guarded updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    import asyncpg

WORK_CHANNEL = "farmhand_work"
_DISPATCH_LOCK = 864202  # a PostgreSQL advisory lock key (864201 is the migrations')


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The integer primary key a single-row INSERT (without RETURNING) just made."""
    key = result.inserted_primary_key
    if key is None:
        raise ValueError("the statement was not a single-row INSERT")
    return int(key[0])


def insert_or_skip(dialect: str, table: sa.Table, **values: Any) -> sa.Insert:
    """An INSERT of one row that does nothing when the row's key exists (PostgreSQL, SQLite)."""
    if dialect == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    return sqlite.insert(table).values(**values).on_conflict_do_nothing()


async def hold_dispatch(conn: AsyncConnection, exclusive: bool) -> None:
    """Take the dispatch lock for the rest of the transaction (PostgreSQL; SQLite needs none).

    The dispatcher's rounds hold it shared; a change that stops a job's dispatching (pause,
    cancel, fail) holds it exclusive, taken before it writes anything. So a round that hands
    out a task of the job commits before the change starts (and a kill sees its attempt), or
    starts after the change committed (and its guard sees the job stopped). SQLite writes of
    the one server process are serialised already.
    """
    if conn.dialect.name == "postgresql":
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await conn.execute(sa.text(f"SELECT {lock}({_DISPATCH_LOCK})"))


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

    def read(self) -> AsyncConnection:
        """A connection for reading (`async with db.read() as conn`)."""
        return self.engine.connect()

    async def announce_work(self, conn: AsyncConnection) -> None:
        """Inside a transaction that made work dispatchable: tell other server processes.

        PostgreSQL delivers the notification when the transaction commits; this
        process wakes its own claims with `Notifier.notify` after the commit.
        """
        if self.is_postgres:
            await conn.execute(sa.text(f"SELECT pg_notify('{WORK_CHANNEL}', '')"))


class Notifier:
    """Wakes long-polling claims when work may have appeared.

    Within a process, `notify()` is called after a commit that made work. On
    PostgreSQL `listen()` also relays the notifications other server
    processes send (`Database.announce_work`).
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._subscribers: list[Callable[[], None]] = []

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback` on every `notify()`, besides waking `wait()`."""
        self._subscribers.append(callback)

    async def listen(self, postgres_url: str) -> None:
        """Relay PostgreSQL NOTIFY on the work channel to `notify()`."""
        import asyncpg

        self._listener = await asyncpg.connect(postgres_url)
        await self._listener.add_listener(WORK_CHANNEL, lambda *_: self.notify())

    async def relay(self, channel: str, callback: Callable[[], None]) -> bool:
        """After `listen()`: call `callback` on each NOTIFY on another channel too.

        False when there is nothing to relay from (SQLite: `listen()` was not called).
        """
        if self._listener is None:
            return False
        await self._listener.add_listener(channel, lambda *_: callback())
        return True

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()
        for callback in self._subscribers:
            callback()

    async def wait(self, timeout: float) -> bool:
        """True when notified before `timeout` seconds passed."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
