"""Run a renderer in its own process group, watch it, and stop all of it when told.

The render is started from an argv list (never a shell), with the
environment and user a :class:`Launch` gives (by default a clean environment,
see ``sandbox.environment``), as the leader of a new session, so SIGTERM and
then SIGKILL reach every process it spawned; its OOM score is raised so the
kernel kills the render, not the worker, when memory runs out. A watcher ends
the run when the task is stopped (cancel, pause with kill, lease lost), when
it passes its `time_out`, when it prints nothing for `hung_after` seconds, or
when the adapter reads a fatal line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from farmhand_worker.adapters import LineEvent, RenderCommand
from farmhand_worker.run import sandbox

STOPPED, TIME_OUT, HUNG, FATAL = "stopped", "time_out", "hung", "fatal"
_POLL = 0.1
_MEMORY_EVERY = 1.0


@dataclass(slots=True)
class RunResult:
    """How a run ended: exit code, why it was ended early (if it was), peak memory."""

    exit_code: int | None
    ended_by: str | None = None  # stopped | time_out | hung | fatal; None: it exited by itself
    fatal: str | None = None
    peak_memory_mb: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every process exited 0 on its own and no fatal line was seen."""
        return self.ended_by is None and self.exit_code == 0


@dataclass(slots=True)
class Limits:
    """When to give up on a run."""

    time_out: float | None = None  # seconds for the whole task
    hung_after: float | None = None  # seconds without output
    kill_grace: float = 10.0  # seconds between SIGTERM and SIGKILL


@dataclass(slots=True)
class Launch:
    """Who the render runs as and its whole environment (the adapter's additions included)."""

    env: dict[str, str]
    user: sandbox.RenderUser | None = None


def run(
    command: RenderCommand,
    on_line: Callable[[str], None],
    parse: Callable[[str], LineEvent | None],
    stop: threading.Event,
    limits: Limits,
    on_progress: Callable[[float], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    launch: Launch | None = None,
) -> RunResult:
    """Run the command (and its `then` argvs, in order, while each succeeds)."""
    launch = launch or Launch(sandbox.environment(command.env))
    write_files(command)
    started = time.monotonic()
    result = RunResult(exit_code=None)
    for argv in [command.argv, *command.then]:
        one = _run_one(
            argv, command, launch, on_line, parse, stop, limits, started, on_progress, on_start
        )
        result.exit_code, result.ended_by, result.fatal = one.exit_code, one.ended_by, one.fatal
        result.peak_memory_mb = max(result.peak_memory_mb, one.peak_memory_mb)
        if not one.ok:
            break
    result.seconds = time.monotonic() - started
    return result


def write_files(command: RenderCommand) -> None:
    """Write the files the adapter wants before the run (scripts, path maps), as UTF-8."""
    for path, text in command.files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")


def _run_one(
    argv: list[str],
    command: RenderCommand,
    launch: Launch,
    on_line: Callable[[str], None],
    parse: Callable[[str], LineEvent | None],
    stop: threading.Event,
    limits: Limits,
    started: float,
    on_progress: Callable[[float], None] | None,
    on_start: Callable[[int], None] | None,
) -> RunResult:
    user = launch.user
    process = subprocess.Popen(
        [str(a) for a in argv],
        cwd=command.cwd,
        env=launch.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        user=user.uid if user else None,
        group=user.gid if user else None,
        extra_groups=[] if user else None,
    )
    _oom_first(process.pid)
    if on_start is not None:
        on_start(process.pid)
    watch = _Watch(parse, on_line, on_progress)
    reader = threading.Thread(target=watch.read, args=(process.stdout,), daemon=True)
    reader.start()
    result = RunResult(exit_code=None)
    next_memory = 0.0
    while process.poll() is None:
        now = time.monotonic()
        if now >= next_memory:
            result.peak_memory_mb = max(result.peak_memory_mb, _tree_rss_mb(process.pid))
            next_memory = now + _MEMORY_EVERY
        reason = _reason_to_end(stop, limits, started, watch, now)
        if reason is not None:
            result.ended_by = reason
            _end_group(process, limits.kill_grace)
            break
        stop.wait(_POLL) if not stop.is_set() else time.sleep(_POLL)
    result.exit_code = process.wait()
    _kill_group(process.pid)  # whatever the renderer left behind goes with it
    reader.join(timeout=5)
    if watch.fatal and result.ended_by is None:
        result.ended_by = FATAL
    result.fatal = watch.fatal
    return result


def _reason_to_end(
    stop: threading.Event, limits: Limits, started: float, watch: _Watch, now: float
) -> str | None:
    if stop.is_set():
        return STOPPED
    if limits.time_out and now - started > limits.time_out:
        return TIME_OUT
    if limits.hung_after and now - watch.last_output > limits.hung_after:
        return HUNG
    if watch.fatal:
        return FATAL
    return None


class _Watch:
    """Reads the renderer's output line by line: log, progress, fatal lines, last output time."""

    def __init__(
        self,
        parse: Callable[[str], LineEvent | None],
        on_line: Callable[[str], None],
        on_progress: Callable[[float], None] | None,
    ) -> None:
        self.parse = parse
        self.on_line = on_line
        self.on_progress = on_progress
        self.last_output = time.monotonic()
        self.fatal: str | None = None

    def read(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.last_output = time.monotonic()
            line = raw.decode("utf-8", errors="replace")
            self.on_line(line)
            event = self.parse(line.rstrip("\r\n"))
            if event is None:
                continue
            if event.fatal and self.fatal is None:
                self.fatal = event.fatal
            if event.progress is not None and self.on_progress is not None:
                self.on_progress(event.progress)
        stream.close()


def _end_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _kill_group(process.pid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _oom_first(pid: int) -> None:
    # Raising a process's own OOM score needs no privilege; children inherit it.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/oom_score_adj").write_text("1000")


def _tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in processes:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / (1024 * 1024)
