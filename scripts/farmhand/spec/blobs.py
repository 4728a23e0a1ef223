"""The blob key: how the farm names a file's content, `<md5>-<size>`.

One rule for the artist's upload, the server's store and the worker's cache: a blob is
its MD5 (32 lowercase hex digits) and its size in bytes (at most 16 digits: the API caps
sizes at 2**53), joined by a hyphen. Never a path. The xxh64 that travels with a blob
verifies its bytes; it is not part of the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["KEY_PATTERN", "blob_key", "key_of", "parse_blob_key"]

KEY_PATTERN = re.compile(r"([0-9a-f]{32})-([0-9]{1,16})")  # the whole key: fullmatch


def blob_key(md5: str, size: int) -> str:
    """The key of the blob with this MD5 and size.

    >>> blob_key("d41d8cd98f00b204e9800998ecf8427e", 0)
    'd41d8cd98f00b204e9800998ecf8427e-0'
    """
    return f"{md5}-{int(size)}"


def key_of(blob: Mapping[str, Any]) -> str:
    """The key of a blob reference (anything with ``md5`` and ``size``: a JobSpec ``blob`` or
    manifest entry, a row of ``POST /blobs/missing``).

    >>> key_of({"md5": "0cc175b9c0f1b6a831c399e269772661", "xxh64": "…", "size": 1})
    '0cc175b9c0f1b6a831c399e269772661-1'
    """
    return blob_key(blob["md5"], blob["size"])


def parse_blob_key(key: str) -> tuple[str, int]:
    """(md5, size) of a key; ValueError when it is not one (a path, upper-case hex, a size
    of more than 16 digits).

    >>> parse_blob_key("0cc175b9c0f1b6a831c399e269772661-1")
    ('0cc175b9c0f1b6a831c399e269772661', 1)
    >>> parse_blob_key("../../etc/passwd")
    Traceback (most recent call last):
    ...
    ValueError: not a blob key: '../../etc/passwd'
    >>> parse_blob_key("0" * 32 + "-" + "9" * 17)
    Traceback (most recent call last):
    ...
    ValueError: not a blob key: '00000000000000000000000000000000-99999999999999999'
    """
    m = KEY_PATTERN.fullmatch(key)
    if m is None:
        raise ValueError(f"not a blob key: {key!r}")
    return m.group(1), int(m.group(2))
