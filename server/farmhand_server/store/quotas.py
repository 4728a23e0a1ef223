"""Room for uploads: per-user quotas, the free-space reserve, and disk errors as clear answers.

Uploads are the one thing a client can grow on the server's disk at will, so
they alone are held to limits: a declared size at most `upload_max_bytes`;
per user at most `quota_uploading_bytes` declared in open uploads and
`quota_stored_bytes` stored plus in flight (0: no limit); and no new upload or
chunk once the uploads' filesystem would keep less than the reserve free
(`disk_reserve_bytes`, or `disk_reserve_percent` of the filesystem if more).
Everything else the server writes (the database, render logs) stays clear of
those checks, and the reserve is what keeps their room.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.errors import DISK_FULL_ERRNOS, ApiError
from farmhand_server.store import schema as db

_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
_GIB = 1024**3


def reserve_bytes(config: Config, folder: Path) -> int:
    """The free space uploads must leave on `folder`'s filesystem."""
    percent = 0
    if config.disk_reserve_percent > 0:
        percent = int(shutil.disk_usage(folder).total * config.disk_reserve_percent / 100)
    return max(config.disk_reserve_bytes, percent)


def _size(n: int) -> str:
    return f"{n / _GIB:.2f} GiB" if n >= _GIB / 10 else f"{n} bytes"


def check_room(config: Config, folder: Path, needed: int) -> None:
    """Raise 507 unless writing `needed` bytes into `folder` leaves the reserve free."""
    with storage_errors(folder):
        free = shutil.disk_usage(folder).free
    reserve = reserve_bytes(config, folder)
    if free - needed < reserve:
        raise ApiError(
            507,
            "insufficient_storage",
            f"the server is low on disk space ({_size(free)} free, {_size(reserve)} kept in "
            f"reserve): uploads are refused until an administrator frees space",
            {"free": free, "reserve": reserve, "needed": needed},
        )


def folder_error(exc: OSError, folder: Path) -> ApiError:
    """The answer for a failed read or write in one of the server's folders."""
    if exc.errno in DISK_FULL_ERRNOS:
        message = f"the server's storage for {folder.name} is full: {exc.strerror}"
        return ApiError(507, "insufficient_storage", message)
    if exc.errno in _READ_ONLY:
        return ApiError(
            507,
            "storage_read_only",
            f"the server cannot write its {folder.name} folder ({folder}): {exc.strerror}; "
            "an administrator must make it writable",
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not folder.is_dir():
        return ApiError(
            503,
            "storage_missing",
            f"the server's {folder.name} folder ({folder}) is missing (is its share mounted?); "
            "try again once an administrator restored it",
        )
    return ApiError(503, "storage_error", f"the server's {folder.name} storage failed: {exc}")


@contextmanager
def storage_errors(folder: Path) -> Iterator[None]:
    """Turn an OSError about `folder` into a precise 507/503 answer instead of a crash."""
    try:
        yield
    except OSError as exc:
        raise folder_error(exc, folder) from exc


def create_empty(path: Path) -> None:
    """Create an upload's file (empty), so a 0-byte blob has bytes to verify and store."""
    with storage_errors(path.parent):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.close(fd)


async def check_quota(conn: AsyncConnection, config: Config, user_id: int, size: int) -> None:
    """Raise 413 if a new upload of `size` bytes would take this user over a quota."""
    u, b, o = db.uploads, db.blobs, db.blob_owners
    uploading = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(u.c.size), 0)).where(u.c.user_id == user_id)
    )
    uploading = int(uploading or 0)
    if config.quota_uploading_bytes and uploading + size > config.quota_uploading_bytes:
        raise ApiError(
            413,
            "quota_exceeded",
            f"uploads in progress would reach {_size(uploading + size)}, over your quota of "
            f"{_size(config.quota_uploading_bytes)}: finish or delete (DELETE /uploads/{{id}}) "
            "some first",
            {"uploading": uploading, "size": size, "quota": config.quota_uploading_bytes},
        )
    if not config.quota_stored_bytes:
        return
    stored = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(b.c.size), 0))
        .select_from(b.join(o, o.c.blob_key == b.c.key))
        .where(o.c.user_id == user_id)
    )
    total = int(stored or 0) + uploading + size
    if total > config.quota_stored_bytes:
        raise ApiError(
            413,
            "quota_exceeded",
            f"your stored and uploading files would reach {_size(total)}, over your quota of "
            f"{_size(config.quota_stored_bytes)}: delete old jobs or ask an administrator",
            {
                "stored": int(stored or 0),
                "uploading": uploading,
                "size": size,
                "quota": config.quota_stored_bytes,
            },
        )


def check_size(config: Config, size: int) -> None:
    """Raise 413 for a declared size over `upload_max_bytes`."""
    if config.upload_max_bytes and size > config.upload_max_bytes:
        raise ApiError(
            413,
            "too_large",
            f"a blob may be at most {_size(config.upload_max_bytes)}; this one declares "
            f"{_size(size)}",
            {"size": size, "max": config.upload_max_bytes},
        )
