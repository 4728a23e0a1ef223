"""The aiohttp application: `create_app(config)` wires the database, blob store and routes."""

from __future__ import annotations

import logging

from aiohttp import web

from . import auth, db
from .api import HANDLERS
from .blobstore import BlobStore
from .config import Config
from .contract import build_routes
from .errors import error_middleware
from .keys import CONFIG, ENGINE, STORE

log = logging.getLogger("farmhand.server")
FIRST_ADMIN_TOKEN = web.AppKey("first_admin_token", str)
MAX_JSON_BODY = 32 * 1024 * 1024


async def authenticate(request: web.Request) -> auth.Principal | None:
    """The principal of the request's `Authorization: Bearer …` token, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    async with request.app[ENGINE].connect() as conn:
        return await auth.authenticate(conn, token.strip())


async def _start(app: web.Application) -> None:
    config = app[CONFIG]
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.create_engine(config.db_url)
    app[ENGINE] = engine
    await db.migrate(engine)
    async with engine.begin() as conn:
        token = await auth.ensure_admin(conn)
    if token:
        app[FIRST_ADMIN_TOKEN] = token


async def _stop(app: web.Application) -> None:
    await app[ENGINE].dispose()


def create_app(config: Config) -> web.Application:
    """The server application for a configuration (the database is opened on startup)."""
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=max(MAX_JSON_BODY, config.upload_chunk_max + 1024),
    )
    app[CONFIG] = config
    app[STORE] = BlobStore(config.blob_dir, config.upload_dir)
    app.add_routes(build_routes(HANDLERS, authenticate))
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    return app
