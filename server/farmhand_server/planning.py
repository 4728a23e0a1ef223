"""From a JobSpec to the tasks the scheduler hands out, and what a worker must have.

Pure functions: no database here. Test frames become single-frame tasks
dispatched first (lowest `seq`); the other frames are cut into chunks of
`frames_per_task`, or, for a tiled job, into one task per tile of each frame
plus an assembly task that waits for that frame's tiles.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from farmhand.frames import MAX_FRAMES, TestFrameChoice, _parse_part, _runs, chunks, parse_frames
from farmhand.tiles import block_grid, tile_rects

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
    excluded = set(tests)
    rest = [f for f in frames if f not in excluded]  # frames are sorted: no set of them to sort
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


def count_tasks(spec: dict[str, Any]) -> int:
    """How many tasks `plan_job(spec)` would make, without making them.

    A tiled job has `tiles + 1` tasks per frame (its tiles and an assembly),
    a job of one frame per task one per frame: both by arithmetic on the frame
    ranges when they do not overlap. Chunks of more frames are counted on the
    parsed frames (at most `farmhand.frames.MAX_FRAMES`), tasks are never built.
    Raises PlanError as `plan_job` does.

    >>> count_tasks({"frames": "1-1000000", "tiles": 4096, "width": 8192, "height": 8192})
    4097000000
    >>> count_tasks({"frames": "1-10,20,30-38[2]", "frames_per_task": 3,
    ...              "test_frames": {"first": True}})
    7
    """
    expression = str(spec["frames"])
    per_task = int(spec.get("frames_per_task") or 1)
    if spec.get("tiles") or per_task == 1:
        frames = _frame_count(expression)
        return frames * (_tile_count(spec) + 1) if spec.get("tiles") else frames
    frames = _parsed(expression)
    try:
        tests = TestFrameChoice.from_dict(spec.get("test_frames") or {}).frames(frames)
    except ValueError as exc:
        raise PlanError(f"test_frames: {exc}") from None
    excluded = set(tests)  # the rest is cut as `chunks` cuts it: its runs, counted not built
    rest = [f for f in frames if f not in excluded]
    return len(tests) + sum(-(-len(range(a, b + 1, s)) // per_task) for a, b, s in _runs(rest))


def _frame_count(expression: str) -> int:
    """The number of frames of an expression: added up when its parts do not overlap."""
    try:
        parts = [_parse_part(part) for part in expression.split(",")]
    except ValueError:
        parts = []  # `_parsed` says what is wrong
    spans = sorted((min(r.start, r.end), max(r.start, r.end), len(r)) for r in parts)
    total = sum(n for _, _, n in spans)
    apart = all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    if parts and apart and total <= MAX_FRAMES:
        return total
    return len(_parsed(expression))


def _parsed(expression: str) -> list[int]:
    try:
        frames = parse_frames(expression)
    except ValueError as exc:
        raise PlanError(f"frames: {exc}") from None
    if not frames:
        raise PlanError("frames: the expression names no frame")
    return frames


def _tile_count(spec: dict[str, Any]) -> int:
    width, height = spec.get("width"), spec.get("height")
    if not width or not height:
        raise PlanError("tiles: a tiled job needs width and height")
    count, kind = int(spec["tiles"]), spec.get("tiles_type", "strip")
    try:
        if kind == "block":
            rows, cols = block_grid(int(width), int(height), count)
            return rows * cols
        return len(tile_rects(int(width), int(height), count, kind))
    except ValueError as exc:
        raise PlanError(f"tiles: {exc}") from None


def requirement_keys(spec: dict[str, Any]) -> list[str]:
    """What a worker must offer to take the job's tasks, as capability keys.

    >>> requirement_keys({"software": {"cg_name": "Maya", "cg_version": "2025",
    ...     "plugins": {"mtoa": "5.4.1"}}, "hardware": {"tags": ["linux"]}})
    ['plugin:mtoa:5.4.1', 'software:maya:2025', 'tag:linux']
    """
    keys = set()
    software = spec.get("software") or {}
    if software.get("cg_name"):
        name = software["cg_name"].lower()
        version = software.get("cg_version")
        keys.add(f"software:{name}:{version}" if version else f"software:{name}")
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
    for name, versions in (worker.get("software") or {}).items():
        keys.add(f"software:{name.lower()}")
        for version, details in (versions or {}).items():
            keys.add(f"software:{name.lower()}:{version}")
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
