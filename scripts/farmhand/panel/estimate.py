"""What the rest of a job will take, measured on its test frames.

Once the test frames have rendered (the job awaits approval), their measured
render time per frame × the frames left gives the render time still to come;
the job's usage so far (`usage.core_hours`, and `usage.cost` from the
hardware prices the admin set) scaled the same way gives core-hours and cost.
A tile task counts as one unit instead of a frame (its frame's other tiles
are other tasks).

>>> tasks = [
...     {"is_test": True, "state": "done", "kind": "frames", "frames": [1],
...      "attempts": [{"state": "done", "started_at": 100.0, "ended_at": 130.0}]},
...     {"is_test": False, "state": "queued", "kind": "frames", "frames": [2, 3, 4, 5],
...      "attempts": []},
... ]
>>> e = estimate({"usage": {"core_hours": 0.2, "cost": 0.5}}, tasks)
>>> (e.units_tested, e.seconds_per_unit, e.units_left, e.render_seconds, e.core_hours, e.cost)
(1, 30.0, 4, 120.0, 0.8, 2.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmhand.panel import theme


@dataclass(frozen=True, slots=True)
class Estimate:
    """The measured test frames and what the rest would take at their pace."""

    units_tested: int
    seconds_per_unit: float
    units_left: int
    render_seconds: float  # on one node; more nodes share it
    core_hours: float | None  # None: the farm reported no usage
    cost: float | None  # None: no price set for the machines that rendered
    unit: str  # "frame" or "tile"

    def text(self) -> str:
        """One sentence for the approval call-out."""
        unit = self.unit + ("" if self.units_left == 1 else "s")
        parts = [
            f"{_duration(self.seconds_per_unit)} per {self.unit} in the test × "
            f"{self.units_left:,} {unit} left ≈ {_duration(self.render_seconds)} of rendering "
            "on one node"
        ]
        if self.core_hours is not None:
            hours = f"{self.core_hours:,.2f}" if self.core_hours >= 0.005 else "under 0.01"
            parts.append(f"{hours} core-hours")
        if self.cost is not None:
            parts.append(f"about {self.cost:,.2f} at the farm's prices")
        return "Estimate: " + ", ".join(parts) + "."


def _duration(seconds: float) -> str:
    return "under 1 s" if seconds < 0.5 else theme.human_duration(seconds)


def _units(task: dict[str, Any]) -> int:
    if task.get("kind") == "tile":
        return 1
    frames = task.get("frames")
    return len(frames) if isinstance(frames, list) else 1


def _seconds(task: dict[str, Any]) -> float | None:
    for attempt in reversed(task.get("attempts") or []):
        start, end = attempt.get("started_at"), attempt.get("ended_at")
        if (
            attempt.get("state") == "done"
            and isinstance(start, (int, float))
            and isinstance(end, (int, float))
            and end >= start
        ):
            return float(end - start)
    return None


def estimate(job: dict[str, Any], tasks: list[dict[str, Any]]) -> Estimate | None:
    """The estimate from a job's finished test tasks; None before any has finished."""
    tested = units = 0
    seconds = 0.0
    for task in tasks:
        if task.get("is_test") and task.get("state") == "done":
            took = _seconds(task)
            if took is not None:
                tested += 1
                units += _units(task)
                seconds += took
    if not tested or not units:
        return None
    left = sum(_units(t) for t in tasks if not t.get("is_test") and t.get("state") != "done")
    usage = job.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    core_hours = usage.get("core_hours")
    cost = usage.get("cost")
    scale = left / units
    tiled = any(t.get("kind") == "tile" for t in tasks)
    return Estimate(
        units_tested=units,
        seconds_per_unit=seconds / units,
        units_left=left,
        render_seconds=seconds / units * left,
        core_hours=round(core_hours * scale, 6)
        if isinstance(core_hours, (int, float)) and core_hours > 0
        else None,
        cost=round(cost * scale, 4) if isinstance(cost, (int, float)) and cost > 0 else None,
        unit="tile" if tiled else "frame",
    )
