"""A local cache of file hashes (SQLite), so an unchanged 800 MB scene is not read again on
the next submission.

A row is keyed by the file's absolute path and is valid while the file's size and
``st_mtime_ns`` are the ones it was hashed with. The database is
``$FARMHAND_CACHE_DIR/hashes.sqlite3``, else the user's cache directory
(``%LOCALAPPDATA%\\farmhand`` on Windows, ``$XDG_CACHE_HOME/farmhand`` or
``~/.cache/farmhand`` elsewhere), or any path given to :class:`HashCache`.

Concurrency: one connection per :class:`HashCache`, shared by its threads under a lock (each
statement is short); several processes (two Maya sessions, the CLI) share the file through
SQLite's WAL journal and a busy timeout. The cache is only an optimisation: a database that
is not one (corrupt, or from elsewhere) is moved aside and recreated, and if the file cannot
be opened at all the cache lives in memory for the process, with a warning in the log.

Trust: :meth:`HashCache.hash_with_cache` stores a hash only if the file had the same size
and mtime before and after it was read, and only if its mtime is older than the start of the
call by more than ``racy_window_ns`` (2 s): a file written in the same timestamp tick as it was
read (FAT keeps 2 s, ext4 a few ms) could change again without changing its mtime, so its
hash is returned but not cached (the "racily clean" rule of Git's index). A file that keeps
changing while it is read fails with :class:`~farmhand.transfer.changes.FileChanged`, the
error the uploader raises for a file that changed after it was hashed
(`farmhand.transfer.changes` holds that rule).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any

from farmhand.transfer.changes import WHILE_HASHING, FileChanged, StatKey, stat_key
from farmhand.transfer.hashing import (
    Cancelled,
    FileHash,
    HashError,
    PathLike,
    ProgressCallback,
    hash_files,
)

__all__ = [
    "CACHE_DIR_ENV",
    "RACY_WINDOW_NS",
    "HashCache",
    "cache_key",
    "default_cache_path",
]

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "FARMHAND_CACHE_DIR"
CACHE_FILE = "hashes.sqlite3"
SCHEMA_VERSION = 1
RACY_WINDOW_NS = 2_000_000_000
BUSY_TIMEOUT_S = 30.0
CHANGE_RETRIES = 2  # extra rounds for files that change while they are hashed

Hasher = Callable[..., dict[Any, FileHash]]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hashes (
        path      TEXT PRIMARY KEY,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        md5       TEXT NOT NULL,
        xxh64     TEXT NOT NULL,
        hashed_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS hashes_hashed_at ON hashes (hashed_at)",
)


def default_cache_path() -> Path:
    """The cache database: ``$FARMHAND_CACHE_DIR/hashes.sqlite3``, else under the user's
    cache directory (see the module docstring)."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser() / CACHE_FILE
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "farmhand" / CACHE_FILE
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "farmhand" / CACHE_FILE


def cache_key(path: PathLike) -> str:
    """The row key of PATH: absolute, normalised (case-folded on Windows), not resolved
    through symlinks."""
    return os.path.normcase(os.path.abspath(os.fspath(path)))


def _stat_or_none(path: PathLike) -> StatKey | None:
    try:
        return stat_key(path)
    except OSError:
        return None


class HashCache:
    """File hashes cached in SQLite, keyed by absolute path and valid for a size + mtime_ns.

    ``path``: the database file (default :func:`default_cache_path`; ``":memory:"`` for a
    private in-memory cache). ``racy_window_ns``: see the module docstring.
    ``max_age_days``: rows hashed longer ago are dropped when the cache is opened (they are
    re-hashed at most once per period if still used); None keeps them forever.

    Safe to share between threads; several processes may use the same file at once. Use it
    as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        path: PathLike | None = None,
        *,
        timeout: float = BUSY_TIMEOUT_S,
        racy_window_ns: int = RACY_WINDOW_NS,
        max_age_days: float | None = 180.0,
    ) -> None:
        self.path = default_cache_path() if path is None else Path(os.fspath(path))
        self.timeout = timeout
        self.racy_window_ns = racy_window_ns
        self._lock = threading.RLock()
        self._conn = self._open()
        if max_age_days is not None:
            self.prune(max_age_days)

    # ------------------------------------------------------------------ connection

    def _open(self) -> sqlite3.Connection:
        if str(self.path) == ":memory:":
            return self._connect(":memory:")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                return self._connect(str(self.path))
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):
                    raise  # locked for longer than the timeout, unwritable...: not corrupt
                aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
                log.warning("hash cache %s is unreadable (%s); moved to %s", self.path, exc, aside)
                os.replace(self.path, aside)
                return self._connect(str(self.path))
        except (OSError, sqlite3.Error) as exc:
            log.warning("hash cache %s cannot be used (%s); caching in memory", self.path, exc)
            return self._connect(":memory:")

    def _connect(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(
            target, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if target != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")  # stays as it was if unsupported
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version not in (0, SCHEMA_VERSION):  # another layout: it is only a cache
                    conn.execute("DROP TABLE IF EXISTS hashes")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HashCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM hashes").fetchone()[0]

    # ------------------------------------------------------------------ rows

    def lookup(self, path: PathLike, key: StatKey) -> FileHash | None:
        """The cached hash of PATH if its row matches KEY (a size and mtime_ns), else None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT size, mtime_ns, md5, xxh64 FROM hashes WHERE path = ?",
                (cache_key(path),),
            ).fetchone()
        if row is None or (row[0], row[1]) != tuple(key):
            return None
        return FileHash(row[2], row[3], row[0])

    def get(self, path: PathLike) -> FileHash | None:
        """The cached hash of PATH, or None when there is none or the file's current size or
        mtime_ns differ from the row's (or the file cannot be stat'ed)."""
        key = _stat_or_none(path)
        return None if key is None else self.lookup(path, key)

    def put(self, path: PathLike, file_hash: FileHash, size: int, mtime_ns: int) -> None:
        """Store FILE_HASH for PATH as valid while the file has SIZE and MTIME_NS."""
        self.put_many([(path, file_hash, size, mtime_ns)])

    def put_many(self, rows: Iterable[tuple[PathLike, FileHash, int, int]]) -> None:
        """Store several ``(path, file_hash, size, mtime_ns)`` in one transaction."""
        now = time.time()
        values = []
        for path, fh, size, mtime_ns in rows:
            if fh.size != size:
                raise ValueError(f"{os.fspath(path)}: hash of {fh.size} bytes, stat {size}")
            values.append((cache_key(path), size, mtime_ns, fh.md5, fh.xxh64, now))
        if not values:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO hashes (path, size, mtime_ns, md5, xxh64, hashed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    values,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def forget(self, path: PathLike) -> None:
        """Drop the row of PATH, if any."""
        with self._lock:
            self._conn.execute("DELETE FROM hashes WHERE path = ?", (cache_key(path),))

    def prune(self, max_age_days: float) -> int:
        """Drop rows hashed more than MAX_AGE_DAYS ago; the number dropped."""
        cutoff = time.time() - max_age_days * 86400.0
        with self._lock:
            return self._conn.execute("DELETE FROM hashes WHERE hashed_at < ?", (cutoff,)).rowcount

    # ------------------------------------------------------------------ hashing

    def hash_with_cache(
        self,
        paths: Iterable[PathLike],
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        hasher: Hasher = hash_files,
    ) -> dict[Any, FileHash]:
        """``{path: FileHash}`` for PATHS (keyed as given), reading only the files whose
        cached row does not match their current size and mtime_ns; those are hashed in
        parallel by HASHER (:func:`~farmhand.transfer.hashing.hash_files`, or anything with its
        signature and exceptions) and stored. See :meth:`hash_and_stat` for the details."""
        stamped = self.hash_and_stat(paths, workers, progress, cancel, hasher=hasher)
        return {path: fh for path, (fh, _) in stamped.items()}

    def hash_and_stat(
        self,
        paths: Iterable[PathLike],
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        hasher: Hasher = hash_files,
    ) -> dict[Any, tuple[FileHash, StatKey]]:
        """Like :meth:`hash_with_cache`, with the ``StatKey`` each hash is valid for, which the
        upload checks (:func:`~farmhand.transfer.changes.check_unchanged`).

        A file hashed here counts only if it had the same size and mtime before and after
        its read; one that changed meanwhile is hashed again (twice at most, then it fails
        with :class:`~farmhand.transfer.changes.FileChanged` among the ``HashError``'s
        errors).

        ``progress(done_files, total_files, done_bytes, total_bytes)`` counts all PATHS: one
        call from the calling thread once the cache has been consulted (cached files are
        done), then the hasher's calls from its threads, offset by the cached files. Files
        hashed again because they changed are not reported.

        Raises :class:`~farmhand.transfer.hashing.Cancelled` or
        :class:`~farmhand.transfer.hashing.HashError` like
        :func:`~farmhand.transfer.hashing.hash_files`, after storing what was hashed; their
        ``results`` include the cached files.
        """
        started_ns = time.time_ns()
        unique: list[Any] = list(dict.fromkeys(paths))
        done: dict[Any, tuple[FileHash, StatKey]] = {}
        before: dict[Any, StatKey | None] = {}
        for path in unique:
            key = before[path] = _stat_or_none(path)
            hit = None if key is None else self.lookup(path, key)
            if hit is not None and key is not None:
                done[path] = (hit, key)
        pending = [path for path in unique if path not in done]
        hit_bytes = sum(fh.size for fh, _ in done.values())
        if progress is not None:
            miss_bytes = sum(key.size for p in pending if (key := before[p]) is not None)
            progress(len(done), len(unique), hit_bytes, hit_bytes + miss_bytes)

        report: ProgressCallback | None = None
        if progress is not None:
            hits = len(done)

            def shifted(df: int, tf: int, db: int, tb: int) -> None:
                progress(hits + df, hits + tf, hit_bytes + db, hit_bytes + tb)

            report = shifted

        errors: dict[Any, OSError] = {}
        for attempt in range(1 + CHANGE_RETRIES):
            if not pending:
                break
            try:
                got = hasher(pending, workers=workers, progress=report, cancel=cancel)
                interrupted: BaseException | None = None
            except (HashError, Cancelled) as exc:
                got, interrupted = exc.results, exc
                if isinstance(exc, HashError):
                    errors.update(exc.errors)
            pending = self._keep(got, before, done, started_ns)
            if isinstance(interrupted, Cancelled):
                raise Cancelled(
                    "hashing cancelled", {p: fh for p, (fh, _) in done.items()}
                ) from None
            if attempt == 0:
                report = None  # files hashed again are not reported
        for path in pending:
            errors[path] = FileChanged(path, WHILE_HASHING)
        if errors:
            results = {p: done[p][0] for p in unique if p in done}
            raise HashError({p: errors[p] for p in unique if p in errors}, results)
        return {path: done[path] for path in unique}

    def _keep(
        self,
        got: dict[Any, FileHash],
        before: dict[Any, StatKey | None],
        done: dict[Any, tuple[FileHash, StatKey]],
        started_ns: int,
    ) -> list[Any]:
        """Move the hashes in GOT whose file did not change into DONE, store the ones that
        are not racy; return the paths that changed (BEFORE updated for another round)."""
        changed: list[Hashable] = []
        rows = []
        racy_after = started_ns - self.racy_window_ns
        for path, fh in got.items():
            after = _stat_or_none(path)
            if after is None or after != before.get(path) or fh.size != after.size:
                before[path] = after
                changed.append(path)
                continue
            done[path] = (fh, after)
            if after.mtime_ns < racy_after:
                rows.append((path, fh, after.size, after.mtime_ns))
        self.put_many(rows)
        return changed
