"""Renders left behind by a worker that died: recorded while they run, stopped on restart.

A render runs in its own session so that cancel can stop all of it; the
price is that it survives a worker killed with SIGKILL. Each render's process
group is therefore written down (with the leader's start time, so a reused
pid is never mistaken for it) and a worker starting on the same data folder
kills whatever its predecessor left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import psutil


def _folder(data_dir: Path) -> Path:
    return Path(data_dir) / "renders"


def record(data_dir: Path, pid: int) -> None:
    """Note a render's process group while it runs."""
    folder = _folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(psutil.Error):
        started = psutil.Process(pid).create_time()
        (folder / f"{pid}.json").write_text(json.dumps({"pid": pid, "started": started}))


def forget(data_dir: Path, pid: int) -> None:
    """The render ended (its group was stopped): drop the note."""
    (_folder(data_dir) / f"{pid}.json").unlink(missing_ok=True)


def reap(data_dir: Path) -> list[int]:
    """SIGKILL every recorded render group still running; the pids that were stopped."""
    stopped = []
    for note in sorted(_folder(data_dir).glob("*.json")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            entry = json.loads(note.read_text())
            pid = int(entry["pid"])
            if _same_process(pid, float(entry["started"])):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                    stopped.append(pid)
        note.unlink(missing_ok=True)
    return stopped


def _same_process(pid: int, started: float) -> bool:
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except psutil.Error:
        return False
