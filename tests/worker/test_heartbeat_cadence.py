"""The worker's heartbeats keep their own cadence, whatever the server's answers take.

The server answers the heartbeats of one dispatch round together; a node that waited its
interval from each answer would line up with every other node answered in that round, and the
bursts would grow round after round (`docs/reliability.md`, Load).
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from farmhand_worker.config import WorkerConfig
from farmhand_worker.task import TaskRun

SLOW_ANSWER = 0.3  # seconds each heartbeat's answer takes
EVERY = 0.5  # the node's heartbeat interval


class SlowServer:
    """Answers heartbeats after SLOW_ANSWER seconds and notes when each was sent."""

    def __init__(self) -> None:
        self.sent: list[float] = []

    def heartbeat(self, attempt_id: int, progress: float | None = None) -> dict[str, Any]:
        self.sent.append(time.monotonic())
        time.sleep(SLOW_ANSWER)
        return {"lease_expires": time.time() + 60}


def test_heartbeats_come_every_interval_not_every_interval_after_the_answer(
    tmp_path: Path,
) -> None:
    server = SlowServer()
    config = WorkerConfig(data_dir=tmp_path, heartbeat_seconds=EVERY)
    assignment = {"attempt_id": 7, "lease_seconds": 60, "task": {}, "job": {"id": 3}}
    run = TaskRun(assignment, server, config, None, threading.Event())  # type: ignore[arg-type]
    started = time.monotonic()
    beat = threading.Thread(target=run._heartbeat, daemon=True)
    beat.start()
    time.sleep(EVERY * 6 + 0.1)
    run.stop.set()
    beat.join(timeout=5)
    assert not beat.is_alive()
    offsets = [round(t - started, 2) for t in server.sent]
    # On a fixed cadence: at 0.5, 1.0, … 3.0 s (six), not at 0.5, 1.3, 2.1, 2.9 (four). A late
    # one (a busy machine) is followed by an early one: the mean gap stays the interval.
    assert len(offsets) >= 5, offsets
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert abs(sum(gaps) / len(gaps) - EVERY) < 0.1, offsets
    assert abs(offsets[0] - EVERY) < 0.2, offsets
