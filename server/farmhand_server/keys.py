"""Typed keys for what the application object carries (aiohttp's `web.AppKey`)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from .auth import Principal
from .blobstore import BlobStore
from .config import Config

CONFIG = web.AppKey("config", Config)
ENGINE = web.AppKey("engine", AsyncEngine)
STORE = web.AppKey("store", BlobStore)

# What the contract wrapper puts on each request before the handler runs.
PRINCIPAL = web.RequestKey("principal", Principal)
PARAMS = web.RequestKey("params", dict)
BODY = web.RequestKey("body", object)
