"""What the farm will do with a JobSpec, task by task, without a server: the dry-run plan.

`farmhand submit --dry-run` prints it and the panel shows it. Each task has
its layer, cameras, frames, renderer, resolution, the expected output paths
(`farmhand.spec.plan.expected_outputs`) and the argv a render node would run,
built by the same worker adapter with placeholder folders (`<job>`,
`<output>`, `<work>`) standing for the node's own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from farmhand.spec.jobspec import server_path
from farmhand.spec.plan import JobPlan, LayerGroup, expected_outputs, plan_job

JOB, OUTPUT, WORK = "<job>", "<output>", "<work>"


@dataclass(slots=True)
class PlannedTask:
    """One task as the dry run shows it."""

    seq: int
    kind: str
    layer: str
    layer_index: int | None
    cameras: list[str]
    frames: list[int]
    renderer: str | None
    resolution: list[int] | None
    is_test: bool
    tile: dict[str, Any] | None
    argv: list[list[str]] = field(default_factory=list)  # one Render run per list
    expected: list[str] = field(default_factory=list)
    note: str = ""


def planned_tasks(
    spec: dict[str, Any], plan: JobPlan | None = None, argv: bool = True
) -> list[PlannedTask]:
    """Every task of the job with its expected files and (with `argv`) its argv (see the
    module doc)."""
    plan = plan or plan_job(spec)
    groups = {g.index: g for g in plan.groups}
    shown = []
    for task in plan.tasks:
        group = groups[task.layer]
        size = [group.width, group.height] if group.width and group.height else None
        item = PlannedTask(
            seq=task.seq,
            kind=task.kind,
            layer=group.display_name or "(scene's layers)",
            layer_index=group.index,
            cameras=list(group.cameras),
            frames=list(task.frames),
            renderer=group.renderer,
            resolution=size,
            is_test=task.is_test,
            tile=task.tile,
        )
        if task.kind == "chunk":
            item.expected = expected_outputs(group, task.frames)
        if argv and task.kind != "assemble":
            item.argv, item.note = _argv(spec, group, task.kind, task.frames, task.tile)
        shown.append(item)
    return shown


def _argv(
    spec: dict[str, Any],
    group: LayerGroup,
    kind: str,
    frames: list[int],
    tile: dict[str, Any] | None,
) -> tuple[list[list[str]], str]:
    """The node's argv for a task, or why it cannot be shown (the worker is not installed,
    or the adapter refuses the task: the node would fail it the same way)."""
    try:
        # The render node's own code, installed with Farmhand (setup.py's worker package).
        from farmhand_worker import adapters
        from farmhand_worker.task import tile_job
    except ImportError:
        return [], "farmhand_worker is not installed here: no argv shown"
    scene = spec.get("scene") or {}
    project = scene.get("project_path")
    render_task = adapters.RenderTask(
        job_id=0,
        task_id=0,
        attempt_id=0,
        kind=kind,
        frames=frames,
        scene=Path(JOB + server_path(str(scene.get("path", "/scene")))),
        job_root=Path(JOB),
        output_dir=Path(OUTPUT),
        work_dir=Path(WORK),
        spec=spec,
        layer=group.index,
        tile=tile_job(tile) if tile else None,
        project_dir=Path(JOB + server_path(project)) if project else None,
    )
    try:
        command = adapters.get(str((spec.get("renderer") or {}).get("adapter"))).build(render_task)
    except adapters.AdapterError as exc:
        return [], f"a render node would refuse this task: {exc}"
    return [[str(a) for a in argv] for argv in [command.argv, *command.then]], ""


def as_json(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec and its plan, as `farmhand submit --dry-run --json` writes them."""
    plan = plan_job(spec)
    return {
        "spec": spec,
        "plan": {
            "frames": plan.frames,
            "tasks": [asdict(t) for t in planned_tasks(spec, plan)],
        },
    }


def summary(spec: dict[str, Any]) -> str:
    """The plan in a few lines per layer group, for a terminal."""
    plan = plan_job(spec)
    lines = [f"{len(plan.tasks)} task(s), {plan.frames} frame(s) over "
             f"{len(plan.groups)} layer group(s)"]  # fmt: skip
    tasks = planned_tasks(spec, plan, argv=False)  # one argv a group is shown, made below
    for group in plan.groups:
        mine = [t for t in tasks if t.layer_index == group.index]
        size = f"{group.width}x{group.height}" if group.width and group.height else "scene size"
        cameras = ", ".join(group.cameras) or "the scene's renderable cameras"
        lines.append(
            f"- {group.display_name or '(scene layers)'}: {group.renderer or 'scene'}"
            f", frames {group.expression}, {size}, cameras {cameras}: "
            f"{len(mine)} task(s)"
        )
        first = next((t for t in mine if t.kind != "assemble"), None)
        if first is not None:
            runs, note = _argv(spec, group, first.kind, first.frames, first.tile)
            lines.append("    " + (" ".join(runs[0]) if runs else note))
        outputs = [o for t in mine for o in t.expected]
        for path in outputs[:4]:
            lines.append(f"    writes {path}")
        if len(outputs) > 4:
            lines.append(f"    … {len(outputs) - 4} more file(s)")
    return "\n".join(lines)
