"""The worker's side of the API: register, claim, heartbeat, report, logs, blobs.

Reports that must not be lost (how an attempt ended, its log) go through
`deliver`, which keeps trying while the server cannot be reached and gives up
only on an answer: a 409 means the attempt is no longer ours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from farmhand.spec.blobs import key_of
from farmhand.transfer.client import FarmClient, FarmError
from farmhand.transfer.download import DownloadError, fetch

log = logging.getLogger("farmhand.worker")
T = TypeVar("T")


class Stale(Exception):
    """The server says the attempt is not ours any more (lease lost, killed, cancelled)."""


class BlobCorrupt(Exception):
    """A downloaded blob's bytes do not match its hashes."""


def _is_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    return isinstance(exc, FarmError) and exc.status >= 500


class WorkerClient(FarmClient):
    """FarmClient with a worker token, plus the calls only workers make."""

    def register(self, report: dict[str, Any]) -> dict[str, Any]:
        """Enrol (this client holds an enrolment token): `{id, token}` of the new worker."""
        return self.json("POST", "/workers/register", report)

    def update_self(self, report: dict[str, Any]) -> dict[str, Any]:
        """Report hardware and software again (a registered worker, on every start)."""
        return self.json("PUT", "/workers/me", report)

    def claim(self, wait: float) -> dict[str, Any] | None:
        """An assignment, or None when nothing came within `wait` seconds."""
        response = self.request(
            "POST", "/workers/claim", json={"wait": wait}, timeout=wait + self.timeout
        )
        return response.json() if response.status_code == 200 else None

    def heartbeat(self, attempt_id: int, progress: float | None = None) -> dict[str, Any]:
        """Renew the lease (and say how far the frame is); Stale: the server wants it stopped."""
        body = {} if progress is None else {"progress": round(min(max(progress, 0.0), 1.0), 4)}
        try:
            return self.json("POST", f"/attempts/{attempt_id}/heartbeat", body)
        except FarmError as exc:
            if exc.status == 409:
                raise Stale(exc.message) from None
            raise

    def complete(
        self,
        attempt_id: int,
        outputs: list[dict[str, Any]],
        peak_memory_mb: float | None,
        claim_next: bool = False,
    ) -> dict[str, Any] | None:
        """Report success with the files produced (already uploaded).

        With `claim_next`, the same request claims the worker's next task: the answer is that
        assignment, or None when the server had none (then the worker is idle). Without it,
        None. Raises Stale when the attempt is no longer this worker's.
        """
        body: dict[str, Any] = {"outputs": outputs}
        if peak_memory_mb is not None:
            body["peak_memory_mb"] = round(peak_memory_mb, 1)
        if claim_next:
            body["next"] = True
        answer = self._attempt_call(attempt_id, "complete", body)
        following = answer.get("next") if claim_next else None
        return following if isinstance(following, dict) else None

    def fail(
        self, attempt_id: int, exit_code: int | None, message: str, lost: bool = False
    ) -> dict[str, Any]:
        """Report failure; the server retries the task elsewhere or fails it.

        `lost`: the worker lost the attempt (it died), not the render failing: the task is
        not kept from this worker. Raises Stale when the attempt is no longer this worker's.
        """
        body: dict[str, Any] = {"exit_code": exit_code, "message": message[-100_000:]}
        if lost:
            body["lost"] = True
        return self._attempt_call(attempt_id, "fail", body)

    def append_log(self, attempt_id: int, text: str) -> dict[str, Any]:
        """Add a batch of log text to the attempt's log."""
        try:
            return self.json(
                "POST",
                f"/attempts/{attempt_id}/log",
                data=text.encode("utf-8"),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except FarmError as exc:
            if exc.status in (404, 409):
                raise Stale(exc.message) from None
            raise

    def _attempt_call(self, attempt_id: int, what: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.json("POST", f"/attempts/{attempt_id}/{what}", body)
        except FarmError as exc:
            if exc.status == 409:
                raise Stale(exc.message) from None
            raise

    def download_blob(self, blob: dict[str, Any], dest: Path) -> None:
        """Stream a blob to `dest`, checking its xxh64 and size on the way (BlobCorrupt)."""
        key = blob.get("key") or key_of(blob)
        try:
            fetch(self, {**blob, "key": key}, dest)
        except DownloadError as exc:
            raise BlobCorrupt(f"blob {key}: {exc}") from None

    def for_attempt(self, attempt_id: int) -> AttemptUploads:
        """The upload calls `farmhand.transfer.upload.Uploader` makes, on behalf of one attempt."""
        return AttemptUploads(self, attempt_id)


class AttemptUploads:
    """Uploads of what one attempt produced; the blobs become the job owner's."""

    def __init__(self, client: WorkerClient, attempt_id: int) -> None:
        self.client = client
        self.attempt_id = attempt_id

    def missing_blobs(self, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A worker cannot ask what a user lacks; starting an upload answers `complete` instead.
        return list(refs)

    def start_upload(self, ref: dict[str, Any]) -> dict[str, Any]:
        return self.client.start_upload({**ref, "attempt_id": self.attempt_id})

    def put_chunk(self, upload_id: str, offset: int, data: bytes) -> dict[str, Any]:
        return self.client.put_chunk(upload_id, offset, data)

    def complete_upload(self, upload_id: str) -> dict[str, Any]:
        return self.client.complete_upload(upload_id)


def deliver(call: Callable[[], T], stop: threading.Event | None = None, what: str = "report") -> T:
    """Run `call` until the server answers: retries while it is unreachable (or 5xx).

    Raises the call's own errors for any other answer (Stale for 409). With
    `stop` set, gives up after the current try and re-raises the last error.
    """
    delay = 0.5
    while True:
        try:
            return call()
        except Exception as exc:
            if not _is_unreachable(exc) or (stop is not None and stop.is_set()):
                raise
            log.warning("server unreachable for %s (%s); trying again in %.0f s", what, exc, delay)
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
            delay = min(delay * 2, 30.0)
