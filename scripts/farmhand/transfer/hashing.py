"""MD5 and xxh64 of files in one read: large buffers, a reader thread per file stream, files
in parallel.

Renderbus's pair: MD5 identifies a blob (with its size), xxh64 verifies it on arrival and on
download. Both digests come from a single read of each file.

How it is fast (numbers from ``bench/transfer.py`` on a 2-core machine):

* MD5 is the expensive part (about 700 MB/s with OpenSSL); xxh64 runs at over 10 GB/s and
  reading from the page cache at a few GB/s. So the reading and the xxh64 go to a *reader*
  thread and MD5 gets a *digest* thread of its own: while MD5 digests block N, the reader reads
  block N+1 into another buffer and runs xxh64 over it. Both ``hashlib``'s MD5 (OpenSSL,
  inputs of 2 KiB or more) and python-xxhash's ``update`` (inputs over 64 KiB in 4.x, any input
  in 3.x) release the GIL while they hash, and ``readinto`` releases it while it reads, so the
  two threads really run at once. A file stream costs about what MD5 alone costs: less than
  ``md5sum``, which reads and digests one after the other.
* Each stream owns three preallocated buffers of ``block`` bytes (4 MiB by default) that it
  fills with ``readinto`` and hands back and forth: no allocation per block.
* :func:`hash_files` runs ``workers`` such streams (default ``min(4, cpu count)``), the largest
  files first, and each stream goes straight from one file to the next, so small files keep
  both stages busy too.

Threads, not processes: the work happens in C with the GIL released, so threads scale, and
Maya's embedded Python cannot spawn worker interpreters in any case. Only the standard library
and ``xxhash`` are needed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Union

import xxhash

from farmhand.spec.blobs import blob_key

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "Cancelled",
    "FileHash",
    "HashError",
    "PathLike",
    "ProgressCallback",
    "default_workers",
    "hash_file",
    "hash_files",
]

PathLike = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[int, int, int, int], None]

DEFAULT_BLOCK_SIZE = 4 << 20  # 4 MiB: see bench/transfer.py --blocks; 1-8 MiB are within noise
BUFFERS_PER_STREAM = 3  # one being read, one being digested, one spare to absorb jitter
MIN_BLOCK_SIZE = 64 << 10  # below this python-xxhash 4.x keeps the GIL while it hashes


@dataclass(frozen=True)
class FileHash:
    """The digests of one file's content: lowercase hex MD5 (32 digits), xxh64 (16 digits)
    and the size in bytes. MD5 and size identify the blob, xxh64 verifies it."""

    md5: str
    xxh64: str
    size: int

    @property
    def key(self) -> str:
        """The blob key, ``<md5>-<size>`` (:func:`farmhand.spec.blobs.blob_key`)."""
        return blob_key(self.md5, self.size)

    def as_blob(self) -> dict[str, Any]:
        """The JobSpec ``blob`` object: ``{"md5", "xxh64", "size"}``."""
        return {"md5": self.md5, "xxh64": self.xxh64, "size": self.size}


class Cancelled(Exception):
    """Work stopped because a ``cancel`` event was set (hashing here; the upload uses it too).

    From hashing, ``results`` holds the files that were completely hashed before it stopped,
    so a caller (the hash cache) can keep that work.
    """

    def __init__(
        self, message: str = "cancelled", results: dict[Any, FileHash] | None = None
    ) -> None:
        super().__init__(message)
        self.results: dict[Any, FileHash] = dict(results or {})


class HashError(OSError):
    """One or more files could not be read. ``errors`` maps each such path (as given) to its
    ``OSError``; ``results`` holds every file that was hashed. ``filename`` is the first
    failed path, and the message names all of them (up to ten)."""

    def __init__(self, errors: dict[Any, OSError], results: dict[Any, FileHash]) -> None:
        first_path, first = next(iter(errors.items()))
        lines = [f"{os.fspath(p)}: {e.strerror or e}" for p, e in list(errors.items())[:10]]
        if len(errors) > 10:
            lines.append(f"... and {len(errors) - 10} more")
        what = "1 file" if len(errors) == 1 else f"{len(errors)} files"
        super().__init__(first.errno, f"cannot hash {what}: " + "; ".join(lines))
        self.filename = os.fspath(first_path)
        self.errors = errors
        self.results = results


def default_workers() -> int:
    """Parallel file streams by default: ``min(4, cpu count)``."""
    return max(1, min(4, os.cpu_count() or 1))


def hash_file(
    path: PathLike,
    block: int = DEFAULT_BLOCK_SIZE,
    *,
    cancel: threading.Event | None = None,
) -> FileHash:
    """MD5, xxh64 and size of one file, in one read of ``block``-sized buffers.

    A file of at most one block is hashed in the calling thread; a larger one streams through
    a reader thread and the calling thread (see the module docstring). Raises the ``OSError``
    of the failed open or read, with ``filename`` set to ``path``, and :class:`Cancelled` if
    ``cancel`` gets set.
    """
    block = _check_block(block)
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _named(exc, path) from None
    if size > block:
        try:
            return hash_files([path], workers=1, cancel=cancel, block=block)[path]
        except HashError as exc:
            raise exc.errors[path] from None
    if cancel is not None and cancel.is_set():
        raise Cancelled("hashing cancelled")
    view = memoryview(bytearray(size + 1))  # one read and the EOF read (more if it grows)
    md5, xxh, total = hashlib.md5(), xxhash.xxh64(), 0
    try:
        with open(path, "rb", buffering=0) as f:
            while n := _fill(f, view):
                data = view[:n]
                xxh.update(data)
                md5.update(data)
                total += n
    except OSError as exc:
        raise _named(exc, path) from None
    return FileHash(md5.hexdigest(), xxh.hexdigest(), total)


def hash_files(
    paths: Iterable[PathLike],
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    block: int = DEFAULT_BLOCK_SIZE,
) -> dict[Any, FileHash]:
    """Hash many files in parallel; return ``{path: FileHash}`` keyed by the paths as given,
    in the order given (a path given twice is hashed once).

    ``workers`` file streams (default :func:`default_workers`) each use a reader thread and a
    digest thread; the largest files start first so that a big scene does not finish last.
    ``workers=1`` hashes one file after the other (still with the reader/digest overlap).

    ``progress(done_files, total_files, done_bytes, total_bytes)`` is called from the digest
    threads after each block, never from two threads at once (a lock serialises the calls),
    with counts that never go down. The totals come from ``os.stat`` before hashing; a file
    counts towards ``done_bytes`` with at most its size at that time and, once finished (or
    failed), with exactly that size, so the last call has ``done == total`` for both (files
    that cannot even be stat'ed count as done from the start; if no file can, there is no
    call at all). Keep the
    callback short and thread-safe (a Qt panel should emit a signal or post to its main
    thread); an exception it raises stops the hashing and is re-raised here.

    ``cancel``: when this event is set, every stream stops within one block and
    :class:`Cancelled` is raised; its ``results`` hold the files finished until then.

    Errors are collected, not raised at the first one: files that cannot be opened or read
    are skipped, the others are hashed, and then one :class:`HashError` (an ``OSError``)
    names every failed path and carries the results of the rest, so a cache can keep them and
    the user sees all unreadable files at once.
    """
    block = _check_block(block)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    run = _Run(progress, cancel)
    jobs: list[_Job] = []
    seen: dict[PathLike, None] = {}  # the paths in the order given, once each
    for path in paths:
        if path in seen:
            continue
        seen[path] = None
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            run.errors[path] = _named(exc, path)
            continue
        jobs.append(_Job(path, size))
    run.total_files = len(seen)
    run.total_bytes = sum(job.expected for job in jobs)
    run.done_files = len(run.errors)
    jobs.sort(key=lambda job: job.expected, reverse=True)
    run.todo = iter(jobs)
    if jobs:
        streams = [_Stream(run, block, i) for i in range(min(workers, len(jobs)))]
        try:
            for stream in streams:
                stream.start()
            for stream in streams:
                stream.join()
        except BaseException:  # KeyboardInterrupt in the caller: stop the threads first
            run.abort.set()
            for stream in streams:
                stream.join()
            raise
    if run.failure is not None:
        raise run.failure
    results = {path: run.results[path] for path in seen if path in run.results}
    if run.cancelled():
        raise Cancelled("hashing cancelled", results)
    if run.errors:
        raise HashError({path: run.errors[path] for path in seen if path in run.errors}, results)
    return results


# ----------------------------------------------------------------------------- internals


def _check_block(block: int) -> int:
    block = int(block)
    if block < MIN_BLOCK_SIZE:
        raise ValueError(f"block must be at least {MIN_BLOCK_SIZE} bytes, got {block}")
    return block


def _named(exc: OSError, path: PathLike) -> OSError:
    """EXC with ``filename`` set to PATH (a new exception of the same errno if needed)."""
    if exc.filename is None:
        exc = type(exc)(exc.errno, exc.strerror or str(exc), os.fspath(path))
    return exc


def _fill(f: Any, view: memoryview) -> int:
    """Read into VIEW until it is full or the file ends; the number of bytes read."""
    n = f.readinto(view)
    if not n:
        return 0
    while n < len(view):  # short reads: pipes, network file systems, signals
        more = f.readinto(view[n:])
        if not more:
            break
        n += more
    return n


def _advise_sequential(f: Any) -> None:
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)


class _Job:
    """One file on its way through a stream."""

    __slots__ = ("expected", "md5", "path", "reported", "size", "xxh64")

    def __init__(self, path: Any, expected: int) -> None:
        self.path = path
        self.expected = expected  # size from os.stat before hashing: the progress share
        self.reported = 0  # bytes of this file already counted in done_bytes
        self.md5 = hashlib.md5()
        self.xxh64 = ""  # hex digest, set by the reader with the last block
        self.size = 0  # bytes actually read


class _Run:
    """State shared by the streams of one hash_files call."""

    def __init__(self, progress: ProgressCallback | None, cancel: threading.Event | None):
        self.progress = progress
        self.cancel = cancel
        self.abort = threading.Event()  # a thread failed or the caller was interrupted
        self.lock = threading.Lock()  # guards everything below and serialises progress
        self.todo: Any = iter(())
        self.results: dict[Any, FileHash] = {}
        self.errors: dict[Any, OSError] = {}
        self.failure: BaseException | None = None
        self.total_files = self.total_bytes = self.done_files = self.done_bytes = 0

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def stopping(self) -> bool:
        return self.abort.is_set() or self.cancelled()

    def next_job(self) -> _Job | None:
        with self.lock:
            return next(self.todo, None)

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if self.failure is None:
                self.failure = exc
        self.abort.set()

    def advance(self, job: _Job, nbytes: int, finished: bool, error: OSError | None) -> None:
        """Count NBYTES more of JOB (and the job itself when FINISHED); call progress."""
        with self.lock:
            share = job.expected if finished else min(job.expected, job.reported + nbytes)
            self.done_bytes += share - job.reported
            job.reported = share
            if finished:
                self.done_files += 1
                if error is not None:
                    self.errors[job.path] = error
                else:
                    self.results[job.path] = FileHash(job.md5.hexdigest(), job.xxh64, job.size)
            if self.progress is not None:
                self.progress(self.done_files, self.total_files, self.done_bytes, self.total_bytes)


# Messages from a reader to its digest thread: (job, buffer, nbytes, last, error); the data
# is buffer[:nbytes]. buffer is None for messages without data (the end of a file that ended
# on a block boundary, an error, the end of the stream: job None).
_Message = tuple[Any, Any, int, bool, Any]


class _Stream:
    """One file stream: a reader thread (read + xxh64) feeding a digest thread (MD5)."""

    def __init__(self, run: _Run, block: int, index: int) -> None:
        self.run = run
        self.full: queue.SimpleQueue[_Message] = queue.SimpleQueue()
        self.free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        for _ in range(BUFFERS_PER_STREAM):
            self.free.put(memoryview(bytearray(block)))
        self.threads = [
            threading.Thread(target=self._read, name=f"farmhand-hash-read-{index}", daemon=True),
            threading.Thread(target=self._digest, name=f"farmhand-hash-md5-{index}", daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _read(self) -> None:
        run, send = self.run, self.full.put
        try:
            while not run.stopping() and (job := run.next_job()) is not None:
                self._read_file(job)
        except BaseException as exc:  # a bug, MemoryError...: stop every stream
            run.fail(exc)
        finally:
            send((None, None, 0, True, None))  # end of stream

    def _read_file(self, job: _Job) -> None:
        run, send, free = self.run, self.full.put, self.free
        try:
            f = open(job.path, "rb", buffering=0)  # noqa: SIM115 - closed below, in all cases
        except OSError as exc:
            send((job, None, 0, True, _named(exc, job.path)))
            return
        xxh = xxhash.xxh64()
        with f:
            _advise_sequential(f)
            while not run.stopping():
                buf = free.get()
                try:
                    n = _fill(f, buf)
                    if n:
                        xxh.update(buf[:n])
                except OSError as exc:
                    free.put(buf)
                    send((job, None, 0, True, _named(exc, job.path)))
                    return
                except BaseException:
                    free.put(buf)
                    raise
                if n == 0:  # the file ended exactly at a block boundary (or is empty)
                    free.put(buf)
                    job.xxh64 = xxh.hexdigest()
                    send((job, None, 0, True, None))
                    return
                last = n < len(buf)  # a short block is the last one: saves a read
                if last:
                    job.xxh64 = xxh.hexdigest()
                send((job, buf, n, last, None))
                if last:
                    return

    def _digest(self) -> None:
        run, receive, free = self.run, self.full.get, self.free.put
        while True:
            job, buf, n, last, error = receive()
            if job is None:
                return
            try:
                if buf is not None:
                    try:
                        if not run.stopping():
                            job.md5.update(buf[:n])
                            job.size += n
                    finally:
                        free(buf)
                if not run.stopping():
                    run.advance(job, n, last, error)
            except BaseException as exc:  # the progress callback raised: stop everything
                run.fail(exc)
