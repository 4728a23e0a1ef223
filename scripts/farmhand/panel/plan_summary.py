"""What a JobSpec will do, per layer, in the words the panel shows (no Qt here).

`layer_plans` counts each layer group's frames and tasks with the shared
planner (`farmhand.spec.plan`), so the Job section's per-layer figures add up to
the count the server makes. `written_files` names, per layer, the files the
first frame writes (`farmhand.scene.outputs` predicted them; the spec's
layer groups carry them for the cameras the artist picked), or why they are
not predicted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from farmhand.scene import Analysis
from farmhand.spec import plan
from farmhand.spec.frames import format_frames, parse_frames


@dataclass(slots=True)
class LayerPlan:
    """One layer group as the Job section lists it."""

    name: str
    renderer: str
    frames: str  # the canonical expression
    frame_count: int
    tasks: int
    size: str  # "1920 × 1080", or "scene size"
    cameras: list[str]
    picked: bool  # the artist narrowed the cameras (`Render -cam`)


@dataclass(slots=True)
class LayerFiles:
    """The files one layer writes for its first frame, or why they are not known."""

    layer: str
    frame: int | None
    frames: str
    paths: list[str] = field(default_factory=list)  # shown relative to `base` when under it
    note: str = ""


def layer_plans(spec: dict[str, Any]) -> list[LayerPlan]:
    """Each layer group with its frames and task count (PlanError on bad frames or tiles)."""
    groups = plan.layer_groups(spec)
    rows = []
    for group in groups:
        one = spec if group.index is None else {**spec, "layers": [spec["layers"][group.index]]}
        frame_count, tasks = plan.count(one)
        size = f"{group.width} × {group.height}" if group.width and group.height else "scene size"
        rows.append(
            LayerPlan(
                name=group.display_name or "(the scene's layers)",
                renderer=group.renderer or "scene",
                frames=format_frames(group.frames),
                frame_count=frame_count,
                tasks=tasks,
                size=size,
                cameras=list(group.cameras),
                picked=group.pick_cameras,
            )
        )
    return rows


def layer_names(spec: dict[str, Any]) -> list[str]:
    """The layers a spec renders, as Render Setup shows them (a version 1 spec: their nodes)."""
    if spec.get("spec_version") != 2:
        return [str(name) for name in spec.get("layers") or []]
    return [str(layer.get("display_name") or layer.get("name")) for layer in spec["layers"]]


def job_frames(spec: dict[str, Any]) -> str:
    """The job's frames: one expression when every layer renders the same, else ""."""
    if spec.get("spec_version") != 2:
        return str(spec.get("frames") or "")
    frames = {_canonical(str(layer.get("frames"))) for layer in spec.get("layers") or []}
    return frames.pop() if len(frames) == 1 else ""


def _canonical(expression: str) -> str:
    try:
        return format_frames(parse_frames(expression))
    except ValueError:
        return expression


def job_size(spec: dict[str, Any]) -> str:
    """The image size when every layer renders the same one ("1920×1080"), else ""."""
    layers = (spec.get("layers") or []) if spec.get("spec_version") == 2 else [spec]
    sizes = {(layer.get("width"), layer.get("height")) for layer in layers}
    if len(sizes) != 1:
        return ""
    width, height = sizes.pop()
    return f"{width}×{height}" if width and height else ""


def output_base(analysis: Analysis) -> str:
    """The folder the Scene section names written files from: the project, else the
    scene's folder."""
    return analysis.project or str(PurePath(analysis.scene_file).parent)


def written_files(spec: dict[str, Any], analysis: Analysis) -> list[LayerFiles]:
    """Per layer group of a version 2 spec, the first frame's files (see the module doc)."""
    if spec.get("spec_version") != 2:
        return []
    base = output_base(analysis)
    result = []
    for group in plan.layer_groups(spec):
        shown = LayerFiles(
            group.display_name,
            group.frames[0] if group.frames else None,
            format_frames(group.frames),
        )
        layer = analysis.scene_info_render.get(group.name or "")
        outputs = layer.outputs if layer is not None else None
        if outputs is None:
            shown.note = "the analysis predicts no file names for this layer"
        elif not outputs.predicted:
            shown.note = outputs.note
        elif not group.outputs:
            shown.note = "no camera renders in this layer"
        else:
            root = _relative(outputs.root, base)
            for output in group.outputs:
                name = str(output["template"]).format(frame=shown.frame or 0)
                shown.paths.append(f"{root}/{name}" if root else name)
        result.append(shown)
    return result


def _relative(path: str, base: str) -> str:
    """`path` relative to `base` when it is under it (forward slashes), else as it is."""
    path = path.replace("\\", "/").rstrip("/")
    base = base.replace("\\", "/").rstrip("/")
    if path == base:
        return ""
    if base and path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return path
