"""Renders left behind by a worker that died: recorded while they run, stopped on restart.

A render runs in its own session so that cancel can stop all of it; the
price is that it survives a worker killed with SIGKILL unless the render
guard (`guard`) ends it. Each render's process group is therefore also
written down (with the leader's start time, so a reused pid is never
mistaken for it, and the attempt it renders) and a worker starting on the
same data folder kills whatever its predecessor left running and reports
those attempts as lost, so that the server hands their tasks on at once
instead of waiting for their leases to lapse.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True, slots=True)
class Orphan:
    """A render a previous run of the worker recorded and did not see end."""

    pid: int
    attempt_id: int | None  # None: recorded by a worker from before attempts were noted
    stopped: bool  # it was still running, and was killed now


def _folder(data_dir: Path) -> Path:
    return Path(data_dir) / "renders"


def record(data_dir: Path, pid: int, attempt_id: int | None = None) -> None:
    """Note a render's process group (and the attempt it renders) while it runs."""
    folder = _folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(psutil.Error):
        started = psutil.Process(pid).create_time()
        note = {"pid": pid, "started": started, "attempt_id": attempt_id}
        (folder / f"{pid}.json").write_text(json.dumps(note))


def forget(data_dir: Path, pid: int) -> None:
    """The render ended (its group was stopped): drop the note."""
    (_folder(data_dir) / f"{pid}.json").unlink(missing_ok=True)


def reap(data_dir: Path) -> list[Orphan]:
    """SIGKILL every recorded render group still running; every render that was recorded."""
    found = []
    for note in sorted(_folder(data_dir).glob("*.json")):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            entry = json.loads(note.read_text())
            pid = int(entry["pid"])
            stopped = False
            if _same_process(pid, float(entry["started"])):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                    stopped = True
            attempt = entry.get("attempt_id")
            found.append(Orphan(pid, int(attempt) if attempt is not None else None, stopped))
        note.unlink(missing_ok=True)
    return found


def _same_process(pid: int, started: float) -> bool:
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except psutil.Error:
        return False
