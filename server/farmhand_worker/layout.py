"""A job's files on this node: fetched into the cache, linked under the job root by mapped path."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .cache import BlobCache, Fetch


class Mapper(Protocol):
    """Turns a client path into the local path the renderer will read."""

    def to_local(self, client_path: str) -> Path: ...


@dataclass(slots=True)
class LaidOut:
    """The job's files on disk: client path → local path, and the blobs pinned for the task."""

    files: dict[str, Path]
    pinned: list[dict[str, Any]]


def lay_out(
    manifest: list[dict[str, Any]],
    mapper: Mapper,
    cache: BlobCache,
    fetch: Fetch,
    cancelled: Callable[[], bool] = lambda: False,
) -> LaidOut:
    """Fetch each manifest entry (once per blob) and place it at its mapped path."""
    files: dict[str, Path] = {}
    pinned: list[dict[str, Any]] = []
    try:
        for entry in manifest:
            if cancelled():
                raise InterruptedError("task stopped while fetching its files")
            local = mapper.to_local(entry["path"])
            cached = cache.get(entry, fetch)
            pinned.append(entry)
            place(cached, local)
            files[entry["path"]] = local
    except BaseException:
        for blob in pinned:
            cache.release(blob)
        raise
    return LaidOut(files, pinned)


def place(cached: Path, local: Path) -> None:
    """Put a cached blob at `local`: a hard link when possible, else a copy.

    The file takes its name by rename, so two slots placing the same file at
    once, or a renderer reading it meanwhile, never see it missing or half written.
    """
    with contextlib.suppress(OSError):
        if os.path.samefile(cached, local):
            return
    local.parent.mkdir(parents=True, exist_ok=True)
    staged = local.with_name(f".{local.name}.{uuid.uuid4().hex[:8]}")
    try:
        try:
            os.link(cached, staged)
        except OSError:  # another file system, or links not allowed: copy instead
            shutil.copyfile(cached, staged)
        os.replace(staged, local)
    finally:
        staged.unlink(missing_ok=True)
