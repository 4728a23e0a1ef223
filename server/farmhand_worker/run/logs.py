"""An attempt's log, sent to the server in batches (by size or time, whichever comes first).

While the server cannot be reached the text is kept and sent later; past
`cap` bytes the rest is dropped and a note says how much, so a chatty
renderer cannot fill the worker's memory or the server's disk.
"""

from __future__ import annotations

import logging
import threading

from farmhand_worker.farm_client import Stale, WorkerClient, _is_unreachable

log = logging.getLogger("farmhand.worker")


class LogStream:
    """Collects lines for one attempt and ships them from a background thread."""

    def __init__(
        self,
        client: WorkerClient,
        attempt_id: int,
        batch_bytes: int = 64 * 1024,
        batch_seconds: float = 1.0,
        cap: int = 64 * 1024 * 1024,
    ) -> None:
        self.client = client
        self.attempt_id = attempt_id
        self.batch_bytes = batch_bytes
        self.batch_seconds = batch_seconds
        self.cap = cap
        self.accepted = 0  # bytes taken in (under the cap)
        self.dropped = 0  # bytes over the cap
        self.sent = 0
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._stale = False
        self._thread = threading.Thread(target=self._loop, name=f"log-{attempt_id}", daemon=True)
        self._thread.start()

    def write(self, text: str) -> None:
        """Queue text (usually one line) for the server."""
        size = len(text.encode("utf-8"))
        with self._lock:
            if self.accepted + size > self.cap:
                self.dropped += size
                return
            self.accepted += size
            self._pending.append(text)
            self._pending_bytes += size
            full = self._pending_bytes >= self.batch_bytes
        if full:
            self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        """Send what is left (and the truncation note), waiting up to `timeout` seconds."""
        if self.dropped:
            note = f"\n[farmhand] log truncated: {self.dropped} more bytes were not kept\n"
            with self._lock:
                self._pending.append(note)
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self.batch_seconds
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            closing = self._closing.is_set()
            if not self._send_pending() and not closing:
                delay = min(delay * 2, 30.0)  # the server is away: keep the text, back off
                continue
            delay = self.batch_seconds
            if closing:
                with self._lock:
                    empty = not self._pending
                if empty or self._stale:
                    return

    def _send_pending(self) -> bool:
        with self._lock:
            text = "".join(self._pending)
            self._pending, self._pending_bytes = [], 0
        if not text or self._stale:
            return True
        try:
            self.client.append_log(self.attempt_id, text)
            self.sent += len(text.encode("utf-8"))
            return True
        except Stale:
            self._stale = True  # the attempt is over on the server; nobody reads more
            return True
        except Exception as exc:
            if not _is_unreachable(exc):
                log.warning("log of attempt %s refused: %s", self.attempt_id, exc)
                return True
            with self._lock:  # put it back in front of anything newer
                self._pending.insert(0, text)
                self._pending_bytes += len(text.encode("utf-8"))
            return False
