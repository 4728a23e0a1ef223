"""Send the farm only what it lacks: ask which blobs are missing, upload those, resumably.

Uploads go in chunks, several files at once, each chunk retried with backoff.
The server keeps what it received, so a client that was cut off (or killed
and started again) asks where the upload stands and continues from there.
Before and after a file is sent it is checked against the size and mtime it was
hashed with (`farmhand.transfer.changes`); a file that changed since is never
sent under the old hash: the other files are sent, then `FileChanged` is raised
for it, or, with ``report_changed``, it is listed in the report's ``changed``.
A blob the server refuses on completion (the bytes did not match the hashes,
e.g. corrupted on the way) is sent again from the start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

from farmhand.spec.blobs import key_of
from farmhand.transfer.changes import FileChanged, StatKey, check_unchanged
from farmhand.transfer.client import FarmError
from farmhand.transfer.hashing import Cancelled, FileHash

CHUNK = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file to send: where it is, its hashes, and the stat they were taken at."""

    path: Path
    hash: FileHash
    mtime_ns: int

    @property
    def ref(self) -> dict:
        """The JobSpec ``blob`` object of the file."""
        return self.hash.as_blob()

    @property
    def key(self) -> str:
        """The blob key (`farmhand.spec.blobs`)."""
        return self.hash.key

    @property
    def stat(self) -> StatKey:
        """The size and mtime the hashes hold for."""
        return StatKey(self.hash.size, self.mtime_ns)


@dataclass(slots=True)
class Progress:
    """Upload progress for a callback: files and bytes done/total, rate (B/s) and ETA (s)."""

    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    rate: float = 0.0
    eta: float | None = None


@dataclass(slots=True)
class UploadReport:
    """What one upload round did."""

    files_sent: int = 0
    bytes_sent: int = 0  # bytes that went over the wire (a resumed upload sends only the rest)
    files_skipped: int = 0  # the server had them
    retries: int = 0
    seconds: float = 0.0
    changed: list[Path] = field(default_factory=list)  # files not sent: they changed


class BlobSink(Protocol):
    """Where an `Uploader` sends blobs: the farm's upload calls.

    `farmhand.transfer.client.FarmClient` is one (an artist's uploads); the worker's
    `AttemptUploads` is another (a render's outputs, owned by the job's owner)."""

    def missing_blobs(self, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The refs among `refs` whose blobs the farm lacks."""
        ...

    def start_upload(self, ref: dict[str, Any]) -> dict[str, Any]:
        """Start (or resume) the upload of one blob: its id and the offset received."""
        ...

    def put_chunk(self, upload_id: str, offset: int, data: bytes) -> dict[str, Any]:
        """Send `data` at `offset`; the server's answer."""
        ...

    def complete_upload(self, upload_id: str) -> dict[str, Any]:
        """Finish an upload: the server checks the blob's hashes and stores it."""
        ...


class Uploader:
    """Uploads the missing blobs of a set of files; progress by callback, cancel by event.

    A file that changed after it was hashed is not sent; once the others are, `upload` raises
    `FileChanged` for the first such file, or, with ``report_changed``, lists them all in the
    report's ``changed`` (the submission hashes them again and uploads once more)."""

    def __init__(
        self,
        client: BlobSink,
        chunk_size: int = CHUNK,
        parallel: int = 4,
        retries: int = 6,
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        report_changed: bool = False,
    ) -> None:
        self.client = client
        self.report_changed = report_changed
        self.chunk_size = chunk_size
        self.parallel = parallel
        self.retries = retries
        self.on_progress = progress
        self.cancel = cancel or threading.Event()
        self._lock = threading.Lock()
        self._progress = Progress()
        self._started = 0.0
        self._sent: dict[str, int] = {}  # blob key → bytes the server has
        self._wire = 0

    def upload(self, files: list[LocalFile]) -> UploadReport:
        """Send what the server lacks of `files` (one copy per distinct blob)."""
        self._started = time.monotonic()
        unique = {f.key: f for f in files}
        missing = {key_of(m) for m in self.client.missing_blobs([f.ref for f in unique.values()])}
        to_send = [f for k, f in unique.items() if k in missing]
        report = UploadReport(files_skipped=len(unique) - len(to_send))
        self._progress = Progress(
            files_total=len(to_send), bytes_total=sum(f.hash.size for f in to_send)
        )
        self._emit()
        with ThreadPoolExecutor(max_workers=max(1, self.parallel)) as pool:
            futures = {pool.submit(self._send, f): f for f in to_send}
            for future in as_completed(futures):
                try:
                    retries = future.result()  # re-raises Cancelled, FarmError, ...
                except FileChanged:
                    report.changed.append(futures[future].path)
                    continue
                report.files_sent += 1
                report.retries += retries
        report.bytes_sent = self._wire
        report.seconds = time.monotonic() - self._started
        if report.changed and not self.report_changed:
            raise FileChanged(report.changed[0])
        return report

    # -- one file ---------------------------------------------------------------------------
    def _send(self, local: LocalFile) -> int:
        retries = 0
        while True:
            self._check_cancel()
            try:
                self._send_once(local)
                return retries
            except FarmError as exc:
                if exc.status == 422 and exc.code == "hash_mismatch" and retries < self.retries:
                    retries += 1  # the bytes were damaged on the way: send them again
                    self._set_sent(local, 0)
                    continue
                raise
            except (requests.ConnectionError, requests.Timeout):
                if retries >= self.retries:
                    raise
                retries += 1
                time.sleep(min(0.2 * 2**retries, 10.0))

    def _send_once(self, local: LocalFile) -> None:
        check_unchanged(local.path, local.stat)
        upload = self.client.start_upload(local.ref)
        if upload.get("complete"):
            self._count(local, local.hash.size)
            return
        offset = int(upload["offset"])
        self._set_sent(local, offset)
        with open(local.path, "rb") as f:
            f.seek(offset)
            while offset < local.hash.size:
                self._check_cancel()
                data = f.read(min(self.chunk_size, local.hash.size - offset))
                if not data:
                    raise FileChanged(local.path)
                try:
                    answer = self.client.put_chunk(upload["id"], offset, data)
                    with self._lock:
                        self._wire += len(data)
                    offset = int(answer["offset"])
                except FarmError as exc:
                    if exc.status != 409 or "offset" not in (exc.details or {}):
                        raise
                    offset = int(exc.details["offset"])  # the server knows best: go from there
                    f.seek(offset)
                self._set_sent(local, offset)
        check_unchanged(local.path, local.stat)
        self.client.complete_upload(upload["id"])
        self._count(local, local.hash.size)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("upload cancelled")

    # -- progress ---------------------------------------------------------------------------
    def _set_sent(self, local: LocalFile, offset: int) -> None:
        with self._lock:
            delta = offset - self._sent.get(local.key, 0)
            self._sent[local.key] = offset
        self._add_bytes(delta)

    def _count(self, local: LocalFile, size: int) -> None:
        self._set_sent(local, size)
        with self._lock:
            self._progress.files_done += 1
        self._emit()

    def _add_bytes(self, delta: int) -> None:
        with self._lock:
            p = self._progress
            p.bytes_done += delta
            elapsed = max(time.monotonic() - self._started, 1e-6)
            p.rate = p.bytes_done / elapsed
            left = p.bytes_total - p.bytes_done
            p.eta = left / p.rate if p.rate > 0 else None
        self._emit()

    def _emit(self) -> None:
        if self.on_progress is not None:
            with self._lock:
                snapshot = Progress(**{k: getattr(self._progress, k) for k in Progress.__slots__})
            self.on_progress(snapshot)
