"""API errors: one JSON shape, `{"error": {code, message, details}}`, with a fitting status."""

from __future__ import annotations

import errno
import json
import logging
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("farmhand.server")


class ApiError(Exception):
    """An error a client caused or must handle; carries the HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def bad_request(message: str, details: Any = None) -> ApiError:
    return ApiError(400, "bad_request", message, details)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def conflict(code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(409, code, message, details)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def error_response(status: int, code: str, message: str, details: Any = None) -> web.Response:
    """The JSON error body every failing request gets."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return web.json_response(body, status=status, dumps=json.dumps)


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    416: "range_not_satisfiable", 422: "unprocessable", 424: "failed_dependency",
    503: "unavailable", 507: "insufficient_storage",
}  # fmt: skip
# Headers of aiohttp's own errors a client needs (a 405 names the methods it may use).
_KEPT_HEADERS = ("Allow",)


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def disk_full(exc: BaseException) -> bool:
    """True for an error that means a disk (of a file or of the database) is full."""
    if isinstance(exc, OSError):
        return exc.errno in DISK_FULL_ERRNOS
    if isinstance(exc, sa.exc.DBAPIError):
        code = getattr(exc.orig, "sqlstate", None)  # PostgreSQL: disk_full, out_of_memory
        text = str(exc.orig).lower()
        return code in ("53100", "53200") or "disk is full" in text or "no space left" in text
    return False


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiError, aiohttp's HTTP errors and crashes into the JSON error shape."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        response = error_response(exc.status, code, exc.reason or code)
        for name in _KEPT_HEADERS:
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception as exc:
        if disk_full(exc):  # the server's disk (or its database's) filled up: not a bug
            log.warning("disk full in %s %s: %s", request.method, request.path, exc)
            return error_response(507, "insufficient_storage", "the server's disk is full")
        # A bug: log it, never leak a traceback to the client.
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal", "internal server error")
