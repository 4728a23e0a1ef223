"""Run slow work (HTTP, hashing, upload, folder searches) off the GUI thread.

`Background.run(fn, ...)` calls `fn` in a thread pool and delivers its result,
its exception or its progress reports back on the GUI thread through Qt
signals (queued across threads), so a callback may touch widgets. Maya's
`maya.cmds` is main-thread only: nothing run here may call it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from farmhand.panel.qt import QtCore, Signal

Callback = Callable[[Any], None] | None


class Background(QtCore.QObject):
    """A small thread pool whose results come back as GUI-thread callbacks."""

    _finished = Signal(object, object)  # callback, value
    _progress = Signal(object, object)  # callback, value

    def __init__(self, parent: QtCore.QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="farmhand-panel")
        self._closed = False
        self._busy = 0
        self._lock = threading.Lock()
        self._finished.connect(self._deliver)
        self._progress.connect(self._deliver)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callback = None,
        on_error: Callback = None,
        on_progress: Callback = None,
        progress_interval: float = 0.05,
        **kwargs: Any,
    ) -> Future:
        """Call `fn(*args, **kwargs)` in the pool; `on_done(result)` or `on_error(exc)` follow.
        After `shutdown` nothing is called (a cancelled future is returned).

        With `on_progress`, `fn` gets a `progress` keyword: a thread-safe function whose
        calls reach `on_progress` at most every `progress_interval` seconds (the last
        call before the end always arrives).
        """
        if self._closed:  # the panel is closing: nothing more starts, and nobody waits
            dropped: Future = Future()
            dropped.cancel()
            return dropped
        if on_progress is not None:
            kwargs["progress"] = _Throttled(self, on_progress, progress_interval)

        def task() -> None:
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # delivered to on_error on the GUI thread
                if on_progress is not None:
                    kwargs["progress"].flush()
                self._emit(self._finished, on_error, exc)
                if on_error is None:
                    raise
                return
            finally:
                with self._lock:
                    self._busy -= 1
            if on_progress is not None:
                kwargs["progress"].flush()
            self._emit(self._finished, on_done, result)

        with self._lock:
            self._busy += 1
        return self._pool.submit(task)

    @property
    def busy(self) -> int:
        """How many calls are queued or running."""
        with self._lock:
            return self._busy

    def shutdown(self, wait: bool = False) -> None:
        """Stop accepting work; queued calls are dropped, running ones finish unseen."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _emit(self, signal: Any, callback: Callback, value: Any) -> None:
        if self._closed or callback is None:
            return
        # The panel may be gone by the time a slow call ends; that is not an error.
        with contextlib.suppress(RuntimeError):
            signal.emit(callback, value)

    def _deliver(self, callback: Callback, value: Any) -> None:
        if callback is not None and not self._closed:
            callback(value)


class _Throttled:
    """A progress function for worker threads that forwards at most every `interval` s."""

    def __init__(self, owner: Background, callback: Callback, interval: float) -> None:
        self._owner = owner
        self._callback = callback
        self._interval = interval
        self._last = 0.0
        self._pending: Any = None
        self._has_pending = False
        self._lock = threading.Lock()

    def __call__(self, *value: Any) -> None:
        item = value[0] if len(value) == 1 else value
        now = time.monotonic()
        with self._lock:
            if now - self._last < self._interval:
                self._pending, self._has_pending = item, True
                return
            self._last, self._has_pending = now, False
        self._owner._emit(self._owner._progress, self._callback, item)

    def flush(self) -> None:
        """Forward the last value held back by the throttle."""
        with self._lock:
            if not self._has_pending:
                return
            item, self._has_pending = self._pending, False
        self._owner._emit(self._owner._progress, self._callback, item)
