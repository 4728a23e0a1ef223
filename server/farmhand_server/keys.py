"""Typed keys for what the application object carries (aiohttp's `web.AppKey`)."""

from __future__ import annotations

from aiohttp import web

from farmhand_server.accounts.auth import Principal
from farmhand_server.config import Config
from farmhand_server.dispatch.liveness import Clock
from farmhand_server.dispatch.queue import Dispatcher
from farmhand_server.dispatch.rules import JobCache
from farmhand_server.store.blobs import BlobStore
from farmhand_server.store.database import Database, Notifier

CONFIG = web.AppKey("config", Config)
DB = web.AppKey("db", Database)
# Per-process caches: token → (principal, expiry); worker id → (capabilities, expiry); jobs.
TOKEN_CACHE = web.AppKey("token_cache", dict)
WORKER_CACHE = web.AppKey("worker_cache", dict)
JOB_CACHE = web.AppKey("job_cache", JobCache)
WAKE = web.AppKey("wake", Notifier)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
STORE = web.AppKey("store", BlobStore)
LIVENESS = web.AppKey("liveness", Clock)  # the liveness rule's grace-period clock

# What the contract wrapper puts on each request before the handler runs.
PRINCIPAL = web.RequestKey("principal", Principal)
PARAMS = web.RequestKey("params", dict)
BODY = web.RequestKey("body", dict)  # every operation's body schema is an object
