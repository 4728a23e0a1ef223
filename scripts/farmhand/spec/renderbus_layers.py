"""Renderbus ``scene_info_render``: each render layer as a JobSpec layer group.

A Maya task.json lists its layers under ``scene_info_render.<layer>``, each
with ``renderable`` ("1"/"0") and ``common`` (frames, size, format, prefix,
renderer, ``render_camera``): the Renderbus SDK's Maya configuration document
(docs/jobspec.md has the table and its sources). Each renderable layer becomes
a version 2 layer group (`farmhand.spec.plan`). Other software keeps the version 1
form: one group made of the values the layers agree on (`flat_layers`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from farmhand.scene.renderers import RENDER_FLAG, render_flag
from farmhand.spec.frames import MAX_FRAMES, format_frames, parse_frames

MAX_LAYERS = 1000
"""Layers a task.json may list (the JobSpec's `layers` bound)."""

_SHAPE = re.compile(r"(?P<base>.+?)Shape(?P<number>\d*)")

_COMMON_READ = frozenset(
    {"frames", "start", "end", "by_frame", "width", "height", "image_format",
     "image_file_prefix", "renderer", "render_camera", "animation"}
)  # fmt: skip
"""The ``common`` fields mapped; the others go to the job's notes."""


@dataclass(slots=True)
class Layers:
    """The layer groups of a task.json, and what the mapping kept aside or wants said."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    image_format: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def camera_transform(name: str) -> str:
    """The camera (transform) a Renderbus ``render_camera`` entry names.

    Renderbus lists camera *shapes* (``cameraShape1``); ``Render -cam`` and our layer
    groups take transforms. A name ending in ``Shape`` (before any trailing digits) is
    read by Maya's default naming, which names the shape of ``camera1``
    ``cameraShape1``: a convention, not a certainty (a renamed shape breaks it). In a
    DAG path (``|rig|camShape``) such a shape's transform is its parent. Other names
    are kept.

    >>> camera_transform("cameraShape1"), camera_transform("stereoCameraLeftShape")
    ('camera1', 'stereoCameraLeft')
    >>> camera_transform("ns:perspShape"), camera_transform("|rig|camShape")
    ('ns:persp', '|rig')
    >>> camera_transform("hero"), camera_transform("|rig|hero")
    ('hero', '|rig|hero')
    """
    parent, bar, leaf = name.rpartition("|")
    if bar and parent.strip("|"):
        return parent if _SHAPE.fullmatch(leaf.rpartition(":")[2]) else name
    namespace, _, short = name.rpartition(":")
    match = _SHAPE.fullmatch(short)
    if match is None:
        return name
    return f"{namespace}{':' if namespace else ''}{match['base']}{match['number']}"


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def _text(value: Any, where: str, limit: int = 10_000) -> str:
    if isinstance(value, dict | list) or value is None or isinstance(value, bool):
        raise ValueError(f"{where}: {json.dumps(value)[:80]} is not a text or a number")
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"{where}: longer than {limit} characters")
    return text


def _size(value: Any, where: str) -> int:
    try:
        number = float(_text(value, where, 32))
    except ValueError:
        raise ValueError(f"{where}: {str(value)[:40]!r} is not a number") from None
    if not number.is_integer():
        raise ValueError(f"{where}: {value!r} is not a whole number of pixels")
    return int(number)


def _frames(common: Mapping, where: str) -> str:
    """The layer's frames as Renderbus writes them (`1-10[1]`), else from start/end/by_frame."""
    if common.get("frames") not in (None, ""):
        return _text(common["frames"], f"{where}.frames")
    if common.get("start") in (None, "") or common.get("end") in (None, ""):
        raise ValueError(f"{where}.frames: missing, and no start and end to make them from")
    start, end = (
        _text(common["start"], f"{where}.start", 32),
        _text(common["end"], f"{where}.end", 32),
    )
    step = _text(common.get("by_frame") or "1", f"{where}.by_frame", 32)
    return f"{start}-{end}[{step}]"


def _several_frames(expression: str) -> bool | None:
    """Whether an expression names more than one frame (None: it does not parse; the JobSpec
    check names what is wrong). Stops counting at two frames, however long the range."""
    try:
        parse_frames(expression, limit=1)
    except ValueError as error:
        return True if "more than 1 frames" in str(error) else None
    return False


def _cameras(value: Any, where: str) -> tuple[list[str], list[str]]:
    """The layer's cameras as transforms, and the names read by the naming convention."""
    if value in (None, "", []):
        return [], []
    if not isinstance(value, list):
        raise ValueError(f"{where}: must be a list of camera names")
    cameras, converted = [], []
    for i, entry in enumerate(value[:MAX_LAYERS]):
        name = _text(entry, f"{where}[{i}]", 256)
        transform = camera_transform(name)
        if transform != name:
            converted.append(f"{name} → {transform}")
        cameras.append(transform)
    return list(dict.fromkeys(c for c in cameras if c)), converted


def _renderable(layers: Mapping) -> Iterator[tuple[str, Mapping, Mapping]]:
    for name, info in layers.items():
        if not isinstance(info, dict):
            raise ValueError(f"scene_info_render.{name}: must be an object")
        common = info.get("common")
        common = {} if common is None else common
        if not isinstance(common, dict):
            raise ValueError(f"scene_info_render.{name}.common: must be an object")
        yield str(name), info, common


def layer_groups(layers: Mapping) -> Layers:
    """Each renderable layer of ``scene_info_render`` as a version 2 layer group.

    ValueError names the field when a layer cannot be read, lists every layer whose
    renderer the farm's Maya nodes lack, and refuses a task.json with no renderable layer.
    """
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"scene_info_render: {len(layers)} layers; at most {MAX_LAYERS}")
    result = Layers()
    formats: dict[str, str] = {}
    unknown: list[str] = []
    converted: list[str] = []
    for name, info, common in _renderable(layers):
        where = f"scene_info_render.{name}"
        if not name:
            raise ValueError("scene_info_render: a layer has an empty name")
        _keep(result.notes, where, info, {"renderable", "common"})
        _keep(result.notes, f"{where}.common", common, _COMMON_READ)
        if not _truthy(info.get("renderable", "1")):
            result.notes[f"{where}.renderable"] = str(info.get("renderable"))
            continue
        group, renames = _group(name, common, f"{where}.common", result.warnings)
        converted.extend(renames)
        if group.get("renderer") is not None and render_flag(group["renderer"]) is None:
            unknown.append(f"{where}.common.renderer: {group['renderer']!r}")
        if common.get("image_format") not in (None, ""):
            formats[name] = _text(common["image_format"], f"{where}.common.image_format", 32)
        result.groups.append(group)
    if unknown:
        raise ValueError(
            "; ".join(unknown) + " — not a renderer the farm's Maya nodes drive "
            f"({', '.join(RENDER_FLAG)})"
        )
    if not result.groups:
        raise ValueError('scene_info_render: no layer is renderable ("renderable": "1")')
    result.image_format = _image_format(formats, len(result.groups), result.warnings)
    if converted:
        result.warnings.append(
            "render_camera: camera shapes read as their transforms by Maya's default naming "
            f"({', '.join(dict.fromkeys(converted))}); a renamed shape does not follow it"
        )
    return result


def _group(
    name: str, common: Mapping, where: str, warnings: list[str]
) -> tuple[dict[str, Any], list[str]]:
    frames = _frames(common, where)
    group: dict[str, Any] = {"name": name}
    if name == "defaultRenderLayer":
        group["display_name"] = "masterLayer"  # what Maya shows for it
    if common.get("renderer") not in (None, ""):
        group["renderer"] = _text(common["renderer"], f"{where}.renderer", 64)
    group["frames"] = frames
    animation = common.get("animation")
    if animation not in (None, "") and not _truthy(animation):
        if _several_frames(frames):
            warnings.append(
                f"{where}.animation is {str(animation)!r} but frames {frames!r} name several "
                "frames: rendered as an animation (Render -s/-e), so file names carry frame "
                "numbers"
            )
        else:
            group["animation"] = False
    for key in ("width", "height"):
        if common.get(key) not in (None, ""):
            group[key] = _size(common[key], f"{where}.{key}")
    cameras, converted = _cameras(common.get("render_camera"), f"{where}.render_camera")
    if cameras:
        # Renderbus renders the listed cameras, whatever the scene marks renderable.
        group["cameras"], group["pick_cameras"] = cameras, True
    prefix = common.get("image_file_prefix")
    if prefix not in (None, ""):
        group["output_prefix"] = _text(prefix, f"{where}.image_file_prefix", 1024)
    return group, converted


def _image_format(formats: dict[str, str], groups: int, warnings: list[str]) -> str | None:
    """One `-of` for the job when every layer names the same format."""
    distinct = set(formats.values())
    if len(distinct) == 1 and len(formats) == groups:
        return distinct.pop()
    if len(distinct) > 1:
        shown = ", ".join(f"{layer}: {fmt}" for layer, fmt in formats.items())
        warnings.append(
            f"image_format differs between layers ({shown}): each layer renders with the "
            "format its scene sets (the farm passes one -of per job)"
        )
    return None


def _keep(notes: dict[str, Any], where: str, fields: Mapping, read: frozenset | set) -> None:
    for key, value in fields.items():
        if key not in read:
            notes[f"{where}.{key}"] = value


def flat_layers(layers: Mapping, cg_name: str | None) -> dict:
    """Version 1: the renderable layers as one group (names, cameras, frames merged; size,
    prefix and renderer only when the layers agree). For software other than Maya."""
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"scene_info_render: {len(layers)} layers; at most {MAX_LAYERS}")
    chosen = {
        name: common
        for name, info, common in _renderable(layers)
        if _truthy(info.get("renderable", True))
    }
    if not chosen:
        return {}
    commons = list(chosen.values())
    spec: dict = {"layers": list(chosen)}
    cameras = [str(c) for common in commons for c in _list(common.get("render_camera"))]
    if cameras:
        spec["cameras"] = list(dict.fromkeys(cameras))
    frames: list[int] = []
    for common in commons:
        if common.get("frames") not in (None, ""):
            left = MAX_FRAMES - len(frames)  # all layers together, as one job's frames
            frames.extend(parse_frames(_text(common["frames"], "frames"), limit=max(left, 0)))
    if frames:
        spec["frames"] = format_frames(frames)
    for key in ("width", "height"):
        value = _agreed([c.get(key) for c in commons])
        if value is not None:
            spec[key] = _size(value, f"scene_info_render.*.common.{key}")
    prefix = _agreed([c.get("image_file_prefix") for c in commons])
    if prefix:
        spec["output_prefix"] = str(prefix)
    renderer = _agreed([c.get("renderer") for c in commons])
    if renderer and (cg_name or "").lower() == "maya":
        spec["renderer"] = {"adapter": "maya", "name": str(renderer)}
    return spec


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _agreed(values: list[Any]) -> Any:
    """The one value all layers agree on, else None."""
    distinct = {json.dumps(v, sort_keys=True) for v in values if v not in (None, "")}
    return json.loads(distinct.pop()) if len(distinct) == 1 else None
