"""The aiohttp application: `create_app(config)` wires the database, blob store and routes."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from farmhand_server import dashboard, duties
from farmhand_server.accounts import auth, credentials
from farmhand_server.api import HANDLERS
from farmhand_server.api.contract import build_routes
from farmhand_server.api.work import reaper
from farmhand_server.config import Config
from farmhand_server.dispatch.liveness import Clock
from farmhand_server.dispatch.queue import Dispatcher
from farmhand_server.dispatch.rules import JobCache
from farmhand_server.errors import error_middleware
from farmhand_server.keys import (
    CONFIG,
    DB,
    DISPATCHER,
    JOB_CACHE,
    LIVENESS,
    STORE,
    TOKEN_CACHE,
    WAKE,
    WORKER_CACHE,
)
from farmhand_server.notify import webhooks
from farmhand_server.store import schema as db
from farmhand_server.store import shared_folder as storage_check
from farmhand_server.store.blobs import BlobStore
from farmhand_server.store.database import Database, Notifier

log = logging.getLogger("farmhand.server")
FIRST_ADMIN_TOKEN = web.AppKey("first_admin_token", str)
MAX_JSON_BODY = 32 * 1024 * 1024


async def authenticate(request: web.Request) -> auth.Principal | None:
    """The principal of the request's `Authorization: Bearer …` token, if any.

    Answers are kept for `auth_cache_seconds` (workers call several times a
    second); a revocation anywhere clears the cache (`credentials`).
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    cache = request.app[TOKEN_CACHE]
    now = time.monotonic()
    hit = cache.get(token)
    if hit is not None and hit[1] > now:
        return hit[0]
    async with request.app[DB].read() as conn:
        principal = await auth.authenticate(conn, token)
    if principal is not None and principal.kind != "enrol":  # enrolment tokens get used up
        if len(cache) > 10_000:
            cache.clear()
        cache[token] = (principal, now + request.app[CONFIG].auth_cache_seconds)
    return principal


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Open the database (migrating it) for the app's lifetime; first start makes an admin."""
    config = app[CONFIG]
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.create_engine(config.db_url)
    app[DB] = Database(engine)
    app[WAKE] = Notifier()
    await db.migrate(engine)
    if app[DB].is_postgres:
        await app[WAKE].listen(config.db_url.replace("postgresql+asyncpg://", "postgresql://"))
    async with app[DB].write() as conn:  # the shared blob folder, before anything is served
        await storage_check.check(conn, [app[STORE].blob_dir, app[STORE].upload_dir])
        await duties.ensure(conn)
    async with app[DB].write() as conn:
        token = await auth.ensure_admin(conn)
    if token:
        app[FIRST_ADMIN_TOKEN] = token
    dispatcher = app[DISPATCHER] = Dispatcher(app[DB], config, app[JOB_CACHE])
    app[WAKE].subscribe(dispatcher.work_changed)
    dispatcher.start()
    yield
    await dispatcher.stop()
    await app[WAKE].close()
    await engine.dispose()


async def _answer_long_polls(app: web.Application) -> None:
    """On shutdown, before open requests are waited for: waiting claims end now (204)."""
    if DISPATCHER in app:
        app[DISPATCHER].drain()


def create_app(config: Config) -> web.Application:
    """The server application for a configuration (the database is opened on startup)."""
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=max(MAX_JSON_BODY, config.upload_chunk_max + 1024),
    )
    app[CONFIG] = config
    app[STORE] = BlobStore(config.blob_dir, config.upload_dir)
    app[TOKEN_CACHE] = {}
    app[WORKER_CACHE] = {}
    app[JOB_CACHE] = JobCache()
    app[LIVENESS] = Clock()
    app.add_routes(build_routes(HANDLERS, authenticate))
    app.add_routes(dashboard.routes())
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(reaper)
    app.cleanup_ctx.append(credentials.watch)
    app.cleanup_ctx.append(webhooks.watch)
    app.on_shutdown.append(_answer_long_polls)
    return app
