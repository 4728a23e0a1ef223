"""A job's files on this node: fetched into the cache, linked under the job root by mapped path."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from farmhand.transfer.client import FarmError

from farmhand_worker.farm_client import BlobCorrupt
from farmhand_worker.files.cache import BlobCache, Fetch


class Mapper(Protocol):
    """Turns a client path into the local path the renderer will read."""

    def to_local(self, client_path: str) -> Path: ...


class Rewriter(Protocol):
    """Rewrites some files as they are placed (``remap.JobRewriter``)."""

    def wants(self, local: Path) -> bool: ...

    def __call__(self, client: str, local: Path, source: Path, dest: Path) -> bool: ...


@dataclass(slots=True)
class LaidOut:
    """The job's files on disk: client path → local path, the blobs pinned for the task, and
    the client paths whose blobs the server no longer has or sent damaged (with why)."""

    files: dict[str, Path]
    pinned: list[dict[str, Any]]
    unavailable: dict[str, str] = field(default_factory=dict)


def unavailable_blob(exc: BaseException) -> str | None:
    """Why a fetch error means the blob is not to be had (gone from the server, damaged), or
    None for an error worth retrying (the server unreachable)."""
    if isinstance(exc, FarmError) and exc.status in (404, 410):
        return f"the server does not have its blob ({exc.message})"
    if isinstance(exc, BlobCorrupt):
        return f"its blob arrived damaged ({exc})"
    return None


def lay_out(
    manifest: list[dict[str, Any]],
    mapper: Mapper,
    cache: BlobCache,
    fetch: Fetch,
    cancelled: Callable[[], bool] = lambda: False,
    rewriter: Rewriter | None = None,
) -> LaidOut:
    """Fetch each manifest entry (once per blob) and place it at its mapped path.

    An entry whose blob cannot be had (:func:`unavailable_blob`) is left out and listed in
    ``unavailable``, so the check before the render can name it with the others. Files the
    `rewriter` wants are placed last, rewritten, once every other file and every folder is
    where it goes (the rewrite maps a path only when it leads somewhere).
    """
    files: dict[str, Path] = {}
    pinned: list[dict[str, Any]] = []
    unavailable: dict[str, str] = {}
    locals_ = [(entry, mapper.to_local(entry["path"])) for entry in manifest]
    later = [(e, loc) for e, loc in locals_ if rewriter is not None and rewriter.wants(loc)]
    if later and rewriter is not None:
        locals_ = [(e, loc) for e, loc in locals_ if not rewriter.wants(loc)]
    try:
        for index, (entry, local) in enumerate([*locals_, *later]):
            if cancelled():
                raise InterruptedError("task stopped while fetching its files")
            if index == len(locals_):
                for _, text in later:
                    text.parent.mkdir(parents=True, exist_ok=True)
            try:
                cached = cache.get(entry, fetch)
            except Exception as exc:
                why = unavailable_blob(exc)
                if why is None:
                    raise
                unavailable[entry["path"]] = why
                continue
            pinned.append(entry)
            if index >= len(locals_) and rewriter is not None:
                client = entry["path"]
                place(cached, local, functools.partial(rewriter, client, local))
            else:
                place(cached, local)
            files[entry["path"]] = local
    except BaseException:
        for blob in pinned:
            cache.release(blob)
        raise
    return LaidOut(files, pinned, unavailable)


def place(cached: Path, local: Path, rewrite: Callable[[Path, Path], bool] | None = None) -> None:
    """Put a cached blob at `local`: a hard link when possible, else a copy.

    The file takes its name by rename, so two slots placing the same file at
    once, or a renderer reading it meanwhile, never see it missing or half written.
    With `rewrite(source, dest)`, the bytes `rewrite` writes to `dest` (when it returns
    True) take the name instead, in the same one rename.
    """
    with contextlib.suppress(OSError):
        if rewrite is None and os.path.samefile(cached, local):
            return
    local.parent.mkdir(parents=True, exist_ok=True)
    staged = local.with_name(f".{local.name}.{uuid.uuid4().hex[:8]}")
    rewritten = local.with_name(f".{local.name}.{uuid.uuid4().hex[:8]}.rw")
    try:
        try:
            os.link(cached, staged)
        except OSError:  # another file system, or links not allowed: copy instead
            shutil.copyfile(cached, staged)
        final = staged
        if rewrite is not None and rewrite(staged, rewritten):
            os.chmod(rewritten, staged.stat().st_mode & 0o777)
            final = rewritten
        with contextlib.suppress(OSError):
            if final is staged and os.path.samefile(cached, local):
                return
        os.replace(final, local)
    finally:
        staged.unlink(missing_ok=True)
        rewritten.unlink(missing_ok=True)
