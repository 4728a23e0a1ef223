"""From a JobSpec to the tasks the farm runs: the one planner.

The server (`farmhand_server.jobs.lifecycle`), `farmhand submit --dry-run` and the
panel's preview all call :func:`plan_job`, so the task count an artist sees
is the count the server creates. Pure functions, no I/O.

A job is one or more **layer groups**. A version 2 spec lists them (one per
Maya render layer, each with its renderer, frames, size, prefix, cameras and
predicted outputs); a version 1 spec is one group made of its top-level
fields. Within each group, test frames become single-frame tasks and the
other frames are cut into chunks of `frames_per_task`, or, for a tiled job,
into one task per tile of each frame plus an assembly task that waits for
that frame's tiles. Every group's test tasks come first (lowest `seq`), then
each group's other tasks, group by group.

Each entry point (`layer_groups`, `group_of`, `plan_job`, `count`) reads the spec with the
schema's defaults (`farmhand.spec.defaults`): its scheduling fields (frames per task, tiles,
test frames) as a `farmhand.spec.scheduling.Scheduling`, its layer groups (animation, camera
pick) as `LayerGroup`s; whoever calls (the server, the dry run, the panel, a worker) gets the
same cut.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from farmhand.spec.defaults import with_defaults
from farmhand.spec.frames import (
    MAX_FRAMES,
    _parse_part,
    _runs,
    chunks,
    format_frames,
    parse_frames,
)
from farmhand.spec.scheduling import Scheduling, Tiling
from farmhand.spec.tiles import block_grid, tile_rects

QUEUED, WAITING = "queued", "waiting"


class PlanError(ValueError):
    """A spec that passes the schema but cannot be split (bad frames, tiles without a size)."""


@dataclass(slots=True)
class LayerGroup:
    """One render layer of a job, as every task of it renders."""

    index: int | None  # position in a version 2 spec's `layers`; None for a version 1 spec
    name: str | None  # Render -rl; None: the scene's renderable layers (version 1)
    display_name: str
    renderer: str | None
    expression: str
    frames: list[int]
    width: int | None = None
    height: int | None = None
    cameras: list[str] = field(default_factory=list)
    pick_cameras: bool = False
    animation: bool = True
    output_prefix: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class TaskPlan:
    """One task to insert: its dispatch order, kind, frames, tile and layer group."""

    seq: int
    kind: str  # chunk | tile | assemble
    frames: list[int]
    is_test: bool = False
    tile: dict[str, Any] | None = None
    state: str = QUEUED
    layer: int | None = None


@dataclass(slots=True)
class JobPlan:
    """All tasks of a job, and its layer groups."""

    groups: list[LayerGroup] = field(default_factory=list)
    tasks: list[TaskPlan] = field(default_factory=list)

    @property
    def test_tasks(self) -> int:
        """How many tasks are test tasks (dispatched first)."""
        return sum(t.is_test for t in self.tasks)

    @property
    def frames(self) -> int:
        """Frames rendered, summed over the layer groups."""
        return sum(len(g.frames) for g in self.groups)


def layer_groups(spec: dict[str, Any], frames: bool = True) -> list[LayerGroup]:
    """The job's layer groups (see the module doc); PlanError when a frame expression is bad.

    With `frames` false the expressions are not expanded (`LayerGroup.frames` is empty): what
    a worker needs to render one task of a group.
    """
    spec = with_defaults(spec)
    if spec["spec_version"] == 2:
        layers = spec.get("layers") or []
        return [_group(spec, i, layer, frames) for i, layer in enumerate(layers)]
    layers = spec.get("layers") or []
    expanded = _frames(spec.get("frames"), "frames") if frames else []
    return [
        LayerGroup(
            index=None,
            name=",".join(layers) or None,
            display_name=", ".join(layers),
            renderer=(spec.get("renderer") or {}).get("name"),
            expression=str(spec.get("frames")),
            frames=expanded,
            width=spec.get("width"),
            height=spec.get("height"),
            cameras=list(spec.get("cameras") or []),
            pick_cameras=bool(spec.get("cameras")),
            output_prefix=spec.get("output_prefix"),
        )
    ]


def _group(spec: dict[str, Any], index: int, layer: dict[str, Any], frames: bool) -> LayerGroup:
    where = f"layers[{index}]"
    return LayerGroup(
        index=index,
        name=layer["name"],
        display_name=layer.get("display_name") or layer["name"],
        renderer=layer.get("renderer") or (spec.get("renderer") or {}).get("name"),
        expression=str(layer["frames"]),
        frames=_frames(layer.get("frames"), f"{where}.frames") if frames else [],
        width=layer.get("width", spec.get("width")),
        height=layer.get("height", spec.get("height")),
        cameras=list(layer.get("cameras") or []),
        pick_cameras=layer["pick_cameras"],
        animation=layer["animation"],
        output_prefix=layer.get("output_prefix"),
        outputs=list(layer.get("outputs") or []),
    )


def _frames(expression: Any, where: str) -> list[int]:
    try:
        frames = parse_frames(str(expression))
    except ValueError as exc:
        raise PlanError(f"{where}: {exc}") from None
    if not frames:
        raise PlanError(f"{where}: the expression names no frame")
    return frames


def group_of(spec: dict[str, Any], layer: int | None) -> LayerGroup:
    """The layer group a task belongs to (its `layer`; None: a version 1 spec's only group)."""
    groups = layer_groups(spec, frames=False)
    if layer is None:
        return groups[0]
    if not 0 <= layer < len(groups):
        raise PlanError(f"the job has no layer group {layer}")
    return groups[layer]


def plan_job(spec: dict[str, Any]) -> JobPlan:
    """The tasks of a job, in dispatch order."""
    how = Scheduling.of(spec)
    plan = JobPlan(groups=layer_groups(spec))
    choice = how.test_frames
    tests: dict[int, list[int]] = {}
    # Big jobs: no set or sort of a million frames in one C call (it would hold the GIL and
    # stall the server's event loop while a job is planned in a thread).
    custom = set(choice.custom)
    rendered = {f for g in plan.groups for f in custom if _has(g.frames, f)}
    if strays := sorted(custom - rendered):
        raise PlanError(f"test_frames: frame(s) {strays} are not frames of the job")
    for position, group in enumerate(plan.groups):
        # A custom test frame is a test in each layer group that renders it.
        mine = replace(choice, custom=_members(choice.custom, group.frames))
        try:
            tests[position] = mine.frames(group.frames)
        except ValueError as exc:
            raise PlanError(f"test_frames: {exc}") from None
    for position, group in enumerate(plan.groups):
        for frame in tests[position]:
            _add_frame(how, plan, group, [frame], is_test=True)
    for position, group in enumerate(plan.groups):
        excluded = set(tests[position])
        rest = [f for f in group.frames if f not in excluded]  # frames are sorted
        if how.tiles:
            for frame in rest:
                _add_frame(how, plan, group, [frame], is_test=False)
        else:
            for chunk in chunks(rest, how.frames_per_task):
                _add_frame(how, plan, group, chunk.frames, is_test=False)
    return plan


def count(spec: dict[str, Any]) -> tuple[int, int]:
    """(frames, tasks) of a job, as `plan_job` would cut it, without making a task.

    A tiled group has `tiles + 1` tasks per frame (its tiles and an assembly), a
    group of one frame per task one per frame: both by arithmetic on the frame
    ranges when they do not overlap, so a 4-billion-task request is counted at
    once. Chunks of more frames are counted on the parsed frames (at most
    `farmhand.spec.frames.MAX_FRAMES` per group). Raises PlanError as `plan_job` does.

    >>> count({"frames": "1-1000000", "tiles": 4096, "width": 8192, "height": 8192})
    (1000000, 4097000000)
    >>> count({"frames": "1-10,20,30-38[2]", "frames_per_task": 3,
    ...        "test_frames": {"first": True}})
    (16, 7)
    """
    how = Scheduling.of(spec)
    choice, per_task = how.test_frames, how.frames_per_task
    frames = tasks = 0
    for group in layer_groups(spec, frames=False):
        if per_task == 1:
            n = _frame_count(group.expression, _where(group))
            frames += n
            tasks += n * (_tile_count(how.tiles, group) + 1) if how.tiles else n
            continue
        parsed = _frames(group.expression, f"{_where(group)}frames")
        mine = replace(choice, custom=_members(choice.custom, parsed))
        try:
            tests = mine.frames(parsed)
        except ValueError as exc:
            raise PlanError(f"test_frames: {exc}") from None
        excluded = set(tests)  # the rest is cut as `chunks` cuts it: its runs, counted
        rest = [f for f in parsed if f not in excluded]
        frames += len(parsed)
        tasks += len(tests) + sum(
            -(-len(range(a, b + 1, s)) // per_task) for a, b, s in _runs(rest)
        )
    return frames, tasks


def _members(custom: tuple[int, ...], frames: list[int]) -> tuple[int, ...]:
    """The custom test frames a layer group renders (its frames are sorted)."""
    return tuple(f for f in custom if _has(frames, f))


def _has(frames: list[int], frame: int) -> bool:
    at = bisect.bisect_left(frames, frame)
    return at < len(frames) and frames[at] == frame


def count_tasks(spec: dict[str, Any]) -> int:
    """How many tasks `plan_job(spec)` would make (`count`), without making them."""
    return count(spec)[1]


def _where(group: LayerGroup) -> str:
    return "" if group.index is None else f"layers[{group.index}]."


def _frame_count(expression: str, where: str) -> int:
    """The number of frames of an expression: added up when its parts do not overlap."""
    try:
        parts = [_parse_part(part) for part in expression.split(",")]
    except ValueError:
        parts = []  # `_frames` says what is wrong
    spans = sorted((min(r.start, r.end), max(r.start, r.end), len(r)) for r in parts)
    total = sum(n for _, _, n in spans)
    apart = all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    if parts and apart and total <= MAX_FRAMES:
        return total
    return len(_frames(expression, f"{where}frames"))


def _add_frame(
    how: Scheduling, plan: JobPlan, group: LayerGroup, frames: list[int], is_test: bool
) -> None:
    """One chunk task, or one frame's tiles and its assembly task."""
    if how.tiles is None:
        plan.tasks.append(TaskPlan(len(plan.tasks), "chunk", frames, is_test, layer=group.index))
        return
    rects = _tiles(how.tiles, group)
    for rect in rects:
        tile = {**rect.to_dict(), "count": len(rects), "image_width": group.width,
                "image_height": group.height}  # fmt: skip
        plan.tasks.append(
            TaskPlan(len(plan.tasks), "tile", frames, is_test, tile, layer=group.index)
        )
    plan.tasks.append(
        TaskPlan(
            len(plan.tasks),
            "assemble",
            frames,
            is_test,
            {"count": len(rects)},
            WAITING,
            group.index,
        )
    )


def _tiles(tiling: Tiling, group: LayerGroup) -> list[Any]:
    if not group.width or not group.height:
        raise PlanError("tiles: a tiled job needs width and height")
    try:
        return tile_rects(int(group.width), int(group.height), tiling.count, tiling.kind)
    except ValueError as exc:
        raise PlanError(f"tiles: {exc}") from None


def _tile_count(tiling: Tiling, group: LayerGroup) -> int:
    """Tiles per frame, without making them (a block grid of thousands is counted)."""
    if not group.width or not group.height:
        raise PlanError("tiles: a tiled job needs width and height")
    try:
        if tiling.kind == "block":
            rows, cols = block_grid(int(group.width), int(group.height), tiling.count)
            return rows * cols
    except ValueError as exc:
        raise PlanError(f"tiles: {exc}") from None
    return len(_tiles(tiling, group))


def expected_outputs(group: LayerGroup, frames: list[int]) -> list[str]:
    """The files a chunk of a layer group must leave, relative to the task's output folder.

    Empty when the group predicts none (version 1 specs, renderers whose names are not
    known): the worker then checks that each frame left at least one file.

    >>> g = LayerGroup(0, "rs_fg", "fg", "arnold", "1-2", [1, 2],
    ...                outputs=[{"camera": "persp", "template": "fg/shot.{frame:04d}.exr"}])
    >>> expected_outputs(g, [1, 2])
    ['fg/shot.0001.exr', 'fg/shot.0002.exr']
    """
    paths = []
    for frame in frames:
        for output in group.outputs:
            paths.append(str(output["template"]).format(frame=frame))
    return list(dict.fromkeys(paths))


def frames_label(task: dict[str, Any]) -> str:
    """Its frames, and which tile or the assembly of tiles it is.

    >>> frames_label({"frames": [1, 2, 3], "kind": "chunk"})
    '1-3'
    >>> frames_label({"frames": [4], "kind": "tile", "tile": {"index": 1, "count": 4}})
    '4 tile 2/4'
    >>> frames_label({"frames": [4], "kind": "assemble", "tile": {"count": 4}})
    '4 assemble'
    """
    text = format_frames(task.get("frames") or [])
    tile = task.get("tile") or {}
    if task.get("kind") == "tile" and "index" in tile:
        return f"{text} tile {tile['index'] + 1}/{tile.get('count', '?')}"
    if task.get("kind") == "assemble":
        return f"{text} assemble"
    return text
