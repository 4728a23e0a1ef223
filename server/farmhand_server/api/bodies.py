"""Bounds on JSON request bodies, checked on the raw bytes before anything parses them.

A body is refused (413) when it is longer than its operation allows, or when
it holds more values than its size can honestly need (each value costs the
parser tens of bytes of memory: 2 MB of `{},` would be 700,000 dicts); it is
refused (400) when it nests deeper than `MAX_DEPTH`, before the recursive
parser, schema validation or any walk over it.
"""

from __future__ import annotations

import re

from aiohttp import web

from farmhand_server.errors import ApiError, bad_request

MAX_DEPTH = 64
"""Nesting levels a JSON body may have (the deepest legitimate body, a JobSpec, has 6)."""

DEFAULT_MAX_BODY = 256 * 1024
"""Bytes of JSON an operation accepts unless openapi.yaml says otherwise (`x-farmhand-max-body`)."""

BYTES_PER_VALUE = 16
"""A body may hold one value (`,`, `{` or `[`) per this many bytes of its operation's limit."""

_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, refusing (413) one longer than `limit` bytes before reading it all."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(f"the body has {declared:,} bytes; this operation takes at most {limit:,}")
    data = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise too_large(f"the body is longer than this operation's {limit:,} bytes")
    return bytes(data)


def check_shape(raw: bytes, limit: int, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a body with more values than `limit` bytes warrant (413), or nested too deep (400).

    Both are counted on the bytes: commas and brackets inside strings count
    too, which only over-counts values, so a body that passes holds no more.
    """
    values = raw.count(b",") + raw.count(b"{") + raw.count(b"[")
    most = max(limit // BYTES_PER_VALUE, 1000)
    if values > most:
        raise too_large(
            f"the body holds about {values:,} values; this operation takes at most {most:,}"
        )
    if depth_exceeds(raw, max_depth):
        raise bad_request(f"the body nests deeper than {max_depth} levels")


def depth_exceeds(raw: bytes, max_depth: int) -> bool:
    """True when the JSON text nests arrays and objects deeper than `max_depth`.

    Escapes go (`\\\\` pairs first, then `\\"`), then every byte but quotes and
    brackets, then the strings; of the brackets left, innermost pairs are removed
    `max_depth` times. Each step is one C-speed pass; what remains nests deeper.
    Text that is not balanced JSON may answer either way: the parser refuses it.

    >>> depth_exceeds(b'{"a": [1, {"b": "[[[["}]}', 3), depth_exceeds(b'[[[]]]', 2)
    (False, True)
    """
    if raw.count(b"{") + raw.count(b"[") <= max_depth:
        return False
    bare = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = _STRING.sub(b"", bare).translate(_AS_PARENS)
    for _ in range(max_depth):
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    return b"(" in brackets


def too_large(message: str) -> ApiError:
    """A 413 in the error envelope."""
    return ApiError(413, "too_large", message)
