"""The aiohttp application: `create_app(config)` wires the database, blob store and routes."""

from __future__ import annotations

import logging

from aiohttp import web

from . import auth, db
from .api import HANDLERS
from .api.work import reaper
from .blobstore import BlobStore
from .config import Config
from .contract import build_routes
from .database import Database, Notifier
from .errors import error_middleware
from .keys import CONFIG, DB, STORE, WAKE

log = logging.getLogger("farmhand.server")
FIRST_ADMIN_TOKEN = web.AppKey("first_admin_token", str)
MAX_JSON_BODY = 32 * 1024 * 1024


async def authenticate(request: web.Request) -> auth.Principal | None:
    """The principal of the request's `Authorization: Bearer …` token, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    async with request.app[DB].read() as conn:
        return await auth.authenticate(conn, token.strip())


async def _database(app: web.Application):
    """Open the database (migrating it) for the app's lifetime; first start makes an admin."""
    config = app[CONFIG]
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.create_engine(config.db_url)
    app[DB] = Database(engine)
    app[WAKE] = Notifier()
    await db.migrate(engine)
    async with app[DB].write() as conn:
        token = await auth.ensure_admin(conn)
    if token:
        app[FIRST_ADMIN_TOKEN] = token
    yield
    await engine.dispose()


def create_app(config: Config) -> web.Application:
    """The server application for a configuration (the database is opened on startup)."""
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=max(MAX_JSON_BODY, config.upload_chunk_max + 1024),
    )
    app[CONFIG] = config
    app[STORE] = BlobStore(config.blob_dir, config.upload_dir)
    app.add_routes(build_routes(HANDLERS, authenticate))
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(reaper)
    return app
