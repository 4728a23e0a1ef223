"""How a job is cut and scheduled: the JobSpec fields the planner and the server act on, typed.

:meth:`Scheduling.of` reads them once from a spec, through
`farmhand.spec.defaults.with_defaults`, so a field left out has the schema's default and
each field is read in this one place: `farmhand.spec.plan` cuts the tasks by it and
`farmhand_server.jobs.lifecycle` writes the job row from it. The rest of a spec (layers,
renderer, files) is read where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmhand.spec.defaults import with_defaults
from farmhand.spec.frames import TestFrameChoice


@dataclass(frozen=True, slots=True)
class Hardware:
    """What a worker must have to take the job's tasks; 0 or empty: no requirement."""

    ram_gb: float
    gpu_count: int
    gpu_memory_gb: float
    cpu_cores: int
    config_ids: tuple[str, ...] = ()  # hardware_config_ids, each once, in order


@dataclass(frozen=True, slots=True)
class Tiling:
    """How each frame of a tiled job is cut (`farmhand.spec.tiles`)."""

    count: int  # tiles per frame
    kind: str  # strip | block


@dataclass(frozen=True, slots=True)
class Scheduling:
    """The fields of a JobSpec that decide its tasks and when they run."""

    priority: int
    test_frames: TestFrameChoice
    stop_after_test: bool
    frames_per_task: int  # 1 for a tiled job
    tiles: Tiling | None  # None: the job is not tiled
    hardware: Hardware
    time_out: int | None  # seconds per attempt; None: the farm's own limit
    job_stop_time: int | None  # seconds for the whole job; None: no limit

    @classmethod
    def of(cls, spec: dict[str, Any]) -> Scheduling:
        """The fields of a spec (valid or not yet checked: a wrong type raises TypeError or
        ValueError, a missing required field KeyError).

        >>> s = Scheduling.of({"frames": "1-10", "tiles": 4, "tiles_type": "block"})
        >>> s.priority, s.frames_per_task, s.tiles, s.hardware.ram_gb
        (50, 1, Tiling(count=4, kind='block'), 0.0)
        """
        spec = with_defaults(spec)
        tiles = spec.get("tiles")  # absent: not tiled
        hardware = spec["hardware"]
        configs = hardware.get("hardware_config_ids") or ()  # absent: any configuration
        return cls(
            priority=int(spec["priority"]),  # JSON Schema's integers include 50.0
            test_frames=TestFrameChoice.from_dict(spec["test_frames"]),
            stop_after_test=bool(spec["stop_after_test"]),
            frames_per_task=1 if tiles else int(spec["frames_per_task"]),
            tiles=Tiling(int(tiles), str(spec["tiles_type"])) if tiles else None,
            hardware=Hardware(
                ram_gb=float(hardware["ram_gb"]),
                gpu_count=int(hardware["gpu_count"]),
                gpu_memory_gb=float(hardware["gpu_memory_gb"]),
                cpu_cores=int(hardware["cpu_cores"]),
                config_ids=tuple(dict.fromkeys(str(c) for c in configs)),
            ),
            time_out=_seconds(spec.get("time_out")),
            job_stop_time=_seconds(spec.get("job_stop_time")),
        )


def _seconds(value: Any) -> int | None:
    """A time limit in seconds, or None when the spec gives none."""
    return int(value) if value else None
