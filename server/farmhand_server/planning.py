"""From a JobSpec to the tasks the scheduler hands out, and what a worker must have.

Pure functions: no database here. Test frames become single-frame tasks
dispatched first (lowest `seq`); the other frames are cut into chunks of
`frames_per_task`, or, for a tiled job, into one task per tile of each frame
plus an assembly task that waits for that frame's tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farmhand import versions
from farmhand.frames import TestFrameChoice, chunks, parse_frames
from farmhand.tiles import tile_rects

QUEUED, WAITING = "queued", "waiting"


@dataclass(slots=True)
class TaskPlan:
    """One task to insert: its dispatch order, kind, frames and tile."""

    seq: int
    kind: str  # chunk | tile | assemble
    frames: list[int]
    is_test: bool = False
    tile: dict[str, Any] | None = None
    state: str = QUEUED


@dataclass(slots=True)
class JobPlan:
    """All tasks of a job and the facts the scheduler needs about them."""

    tasks: list[TaskPlan] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    test_frames: list[int] = field(default_factory=list)

    @property
    def test_tasks(self) -> int:
        return sum(t.is_test for t in self.tasks)


class PlanError(ValueError):
    """A spec that passes the schema but cannot be split (bad frames, tiles without a size)."""


def plan_job(spec: dict[str, Any]) -> JobPlan:
    """The tasks of a job, in dispatch order."""
    try:
        frames = parse_frames(str(spec["frames"]))
    except ValueError as exc:
        raise PlanError(f"frames: {exc}") from None
    if not frames:
        raise PlanError("frames: the expression names no frame")
    choice = TestFrameChoice.from_dict(spec.get("test_frames") or {})
    try:
        tests = choice.frames(frames)
    except ValueError as exc:
        raise PlanError(f"test_frames: {exc}") from None
    plan = JobPlan(frames=frames, test_frames=tests)
    if spec.get("tiles"):
        _plan_tiles(spec, frames, tests, plan)
    else:
        _plan_chunks(spec, frames, tests, plan)
    return plan


def _plan_chunks(spec: dict[str, Any], frames: list[int], tests: list[int], plan: JobPlan) -> None:
    for frame in tests:
        plan.tasks.append(TaskPlan(len(plan.tasks), "chunk", [frame], is_test=True))
    rest = sorted(set(frames) - set(tests))
    for chunk in chunks(rest, int(spec.get("frames_per_task") or 1)):
        plan.tasks.append(TaskPlan(len(plan.tasks), "chunk", chunk.frames))


def _plan_tiles(spec: dict[str, Any], frames: list[int], tests: list[int], plan: JobPlan) -> None:
    width, height = spec.get("width"), spec.get("height")
    if not width or not height:
        raise PlanError("tiles: a tiled job needs width and height")
    try:
        kind = spec.get("tiles_type", "strip")
        rects = tile_rects(int(width), int(height), int(spec["tiles"]), kind)
    except ValueError as exc:
        raise PlanError(f"tiles: {exc}") from None
    order = tests + [f for f in frames if f not in set(tests)]
    for frame in order:
        is_test = frame in tests
        for rect in rects:
            tile = {**rect.to_dict(), "count": len(rects), "image_width": width,
                    "image_height": height}  # fmt: skip
            plan.tasks.append(TaskPlan(len(plan.tasks), "tile", [frame], is_test, tile))
        plan.tasks.append(
            TaskPlan(len(plan.tasks), "assemble", [frame], is_test, {"count": len(rects)}, WAITING)
        )


def requirement_keys(spec: dict[str, Any]) -> list[str]:
    """What a worker must offer to take the job's tasks, as capability keys.

    The software key follows the job's version policy (`farmhand.versions`); plugins are
    matched exactly.

    >>> requirement_keys({"software": {"cg_name": "Maya", "cg_version": "2025",
    ...     "plugins": {"mtoa": "5.4.1"}}, "hardware": {"tags": ["linux"]}})
    ['plugin:mtoa:5.4.1', 'software:maya>=2025', 'tag:linux']
    """
    keys = set()
    software = spec.get("software") or {}
    if key := versions.requirement_key(software):
        keys.add(key)
    for plugin, version in (software.get("plugins") or {}).items():
        keys.add(f"plugin:{plugin.lower()}:{version}" if version else f"plugin:{plugin.lower()}")
    for tag in (spec.get("hardware") or {}).get("tags") or []:
        keys.add(f"tag:{tag}")
    return sorted(keys)


def capability_keys(worker: dict[str, Any]) -> list[str]:
    """What a registered worker offers, in the same key form as `requirement_keys`.

    `software` is `{cg_name: {version: {"plugins": {name: version}}}}`.

    >>> capability_keys({"tags": ["gpu"], "software": {"Maya": {"2025": {"plugins":
    ...     {"mtoa": "5.4.1"}}}}})
    ['plugin:mtoa', 'plugin:mtoa:5.4.1', 'software:maya', 'software:maya:2025', 'tag:gpu']
    """
    keys = {f"tag:{t}" for t in worker.get("tags") or []}
    for name, installed in (worker.get("software") or {}).items():
        keys.update(versions.capability_keys(name))
        for version, details in (installed or {}).items():
            keys.update(versions.capability_keys(name, version))
            for plugin, plugin_version in ((details or {}).get("plugins") or {}).items():
                keys.add(f"plugin:{plugin.lower()}")
                keys.add(f"plugin:{plugin.lower()}:{plugin_version}")
    return sorted(keys)


def blob_keys(spec: dict[str, Any]) -> list[str]:
    """Every blob a job needs (scene and manifest), as `<md5>-<size>` keys."""
    keys = []
    scene_blob = (spec.get("scene") or {}).get("blob")
    if scene_blob:
        keys.append(f"{scene_blob['md5']}-{scene_blob['size']}")
    for entry in spec.get("manifest") or []:
        keys.append(f"{entry['md5']}-{entry['size']}")
    return list(dict.fromkeys(keys))
