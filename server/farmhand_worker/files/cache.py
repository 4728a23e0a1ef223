"""Blobs kept on this node by their hash, within a size limit, least recently used out first.

A blob is downloaded once into `<cache>/<md5>-<size>`, checked (xxh64 and
size) before it takes its name, then hard-linked into job folders. Its
modification time records when it was last used. Blobs a running task holds
(pinned) are never evicted.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farmhand.spec.blobs import key_of, parse_blob_key

Fetch = Callable[[dict[str, Any], Path], None]


def _file_name(blob: dict[str, Any]) -> str:
    """The cache (and server) key of a blob (`farmhand.spec.blobs`), checked to be one: it names
    a file here, and the blob came from the server's answer. ValueError when it is not."""
    key = key_of(blob)
    parse_blob_key(key)
    return key


class BlobCache:
    """A hash-keyed store with a size limit; thread-safe for one process."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pins: dict[str, int] = {}
        self._fetching: dict[str, threading.Event] = {}
        self.downloads = 0  # how many blobs this cache fetched (tests and logs read it)
        for stale in self.root.glob("*.part-*"):  # left by a worker that died mid-download
            stale.unlink(missing_ok=True)

    def path(self, blob: dict[str, Any]) -> Path:
        """Where the blob lives in the cache (it may not be there yet)."""
        return self.root / _file_name(blob)

    def get(self, blob: dict[str, Any], fetch: Fetch) -> Path:
        """The cached file of `blob`, fetched first if missing; pins it until `release`."""
        key = _file_name(blob)
        while True:
            with self._lock:
                self._pins[key] = self._pins.get(key, 0) + 1
                target = self.root / key
                if target.is_file():
                    _touch(target)
                    return target
                waiting = self._fetching.get(key)
                if waiting is None:
                    self._fetching[key] = threading.Event()
            if waiting is not None:  # another slot is fetching it: wait, then look again
                self.release(blob)
                waiting.wait()
                continue
            try:
                self._fetch(blob, target, fetch)
            except BaseException:
                self.release(blob)
                raise
            finally:
                with self._lock:
                    self._fetching.pop(key).set()
            return target

    def _fetch(self, blob: dict[str, Any], target: Path, fetch: Fetch) -> None:
        self.make_room(int(blob["size"]))
        part = target.with_name(f"{target.name}.part-{uuid.uuid4().hex[:8]}")
        try:
            fetch(blob, part)
            os.replace(part, target)
            self.downloads += 1
        finally:
            part.unlink(missing_ok=True)

    def release(self, blob: dict[str, Any]) -> None:
        """Unpin a blob `get` returned."""
        key = _file_name(blob)
        with self._lock:
            left = self._pins.get(key, 0) - 1
            if left > 0:
                self._pins[key] = left
            else:
                self._pins.pop(key, None)

    def size(self) -> int:
        """Bytes held now."""
        return sum(p.stat().st_size for p in self._entries())

    def make_room(self, incoming: int) -> list[str]:
        """Evict least recently used, unpinned blobs until `incoming` more bytes fit."""
        with self._lock:
            entries = sorted(((p, p.stat()) for p in self._entries()), key=lambda e: e[1].st_mtime)
            total = sum(st.st_size for _, st in entries)
            evicted = []
            for entry, st in entries:
                if total + incoming <= self.max_bytes:
                    break
                if self._pins.get(entry.name):
                    continue
                total -= st.st_size
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                evicted.append(entry.name)
            return evicted

    def _entries(self) -> list[Path]:
        return [p for p in self.root.iterdir() if p.is_file() and ".part-" not in p.name]


def _touch(path: Path) -> None:
    now = time.time()
    with contextlib.suppress(OSError):
        os.utime(path, (now, now))
