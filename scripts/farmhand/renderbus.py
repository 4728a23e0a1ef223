"""Renderbus's `task.json` read as a JobSpec: the field names that differ only in name.

`docs/jobspec.md` has the mapping table. Fields already under our names win,
so a body may mix both spellings.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

from .frames import format_frames, parse_frames, parse_pre_frames
from .jobspec import CG_ID_NAMES, load_schema


def _flat_fields(task_json: Mapping) -> dict:
    """Renderbus keeps fields both at the top and in ``task_info``: one flat view of them."""
    info = task_json.get("task_info")
    flat = {k: v for k, v in task_json.items() if not isinstance(v, dict)}
    if isinstance(info, dict):
        flat.update(info)
    return flat


def _number(fields: Mapping, key: str, kind: type = int) -> int | float | None:
    """A Renderbus number (often a string, ``"64"``) as ``kind``; None when absent or empty."""
    value = fields.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"task_info.{key}: {value!r} is not a number") from None
    if number.is_integer():
        return int(number)
    if kind is int:
        raise ValueError(f"task_info.{key}: {value!r} is not a whole number")
    return number


def _stop_after_test(value: Any) -> bool:
    """Renderbus ``stop_after_test``: 1 waits after the test frames, 2 (or 0) goes on."""
    if isinstance(value, bool):
        return value
    mapping = {"1": True, "2": False, "0": False}
    if str(value).strip() not in mapping:
        raise ValueError(f"task_info.stop_after_test: {value!r} is not 1 (wait) or 2 (continue)")
    return mapping[str(value).strip()]


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def _scheduling(fields: Mapping) -> dict:
    spec: dict = {}
    tiles = _number(fields, "tiles")
    if tiles is not None and tiles > 1:
        spec["tiles"] = tiles
        spec["tiles_type"] = str(fields.get("tiles_type") or "strip")
    else:
        frames_per_task = _number(fields, "frames_per_task")
        if frames_per_task is not None:
            spec["frames_per_task"] = frames_per_task
    pre_frames = fields.get("pre_frames") or fields.get("test_frames")
    if pre_frames not in (None, ""):
        choice = parse_pre_frames(str(pre_frames))
        if choice:
            spec["test_frames"] = choice.to_dict()
    if fields.get("stop_after_test") not in (None, ""):
        spec["stop_after_test"] = _stop_after_test(fields["stop_after_test"])
    for key in ("time_out", "job_stop_time"):
        seconds = _number(fields, key)
        if seconds:  # Renderbus writes 0 for "no limit"; we leave the field out
            spec[key] = seconds
    return spec


def _hardware(fields: Mapping) -> dict:
    hardware: dict = {}
    ram = _number(fields, "ram", float)
    if ram is not None:
        hardware["ram_gb"] = ram
    gpus = _number(fields, "graphics_cards_num")
    if gpus is not None:
        hardware["gpu_count"] = gpus
    ids: list[str] = []
    for key in ("hardwareConfigIds", "hardwareConfigId"):
        value = fields.get(key)
        values = value if isinstance(value, list) else [value]
        ids.extend(str(v).strip() for v in values if v not in (None, ""))
    if ids:
        hardware["hardware_config_ids"] = list(dict.fromkeys(ids))
    return {"hardware": hardware} if hardware else {}


def _software(task_json: Mapping, fields: Mapping) -> dict:
    config = task_json.get("software_config")
    config = config if isinstance(config, dict) else {}
    software: dict = {}
    name = config.get("cg_name") or fields.get("cg_name")
    if not name and fields.get("cg_id") not in (None, ""):
        name = CG_ID_NAMES.get(_number(fields, "cg_id"))
    if name:
        software["cg_name"] = str(name)
    version = config.get("cg_version") or fields.get("cg_version")
    if version not in (None, ""):
        software["cg_version"] = str(version)
    plugins = config.get("plugins")
    if isinstance(plugins, dict):
        software["plugins"] = {str(k): str(v) for k, v in plugins.items()}
    return {"software": software} if software else {}


def _scene(fields: Mapping, project: Any) -> dict:
    spec: dict = {}
    scene: dict = {}
    if fields.get("input_cg_file"):
        scene["path"] = str(fields["input_cg_file"])
    if fields.get("input_project_path"):
        scene["project_path"] = str(fields["input_project_path"])
    if scene:
        spec["scene"] = scene
    if project:
        spec["project"] = str(project)
    return spec


def _agreed(values: list[Any]) -> Any:
    """The one value all layers agree on, else None."""
    distinct = {json.dumps(v, sort_keys=True) for v in values if v not in (None, "")}
    return json.loads(distinct.pop()) if len(distinct) == 1 else None


def _layers(task_json: Mapping, cg_name: str | None) -> dict:
    layers = task_json.get("scene_info_render")
    if not isinstance(layers, dict):
        return {}
    chosen = {
        name: info.get("common") or {}
        for name, info in layers.items()
        if isinstance(info, dict) and _truthy(info.get("renderable", True))
    }
    if not chosen:
        return {}
    commons = list(chosen.values())
    spec: dict = {"layers": list(chosen)}
    cameras = [str(c) for common in commons for c in common.get("render_camera") or []]
    if cameras:
        spec["cameras"] = list(dict.fromkeys(cameras))
    frames = [parse_frames(str(c["frames"])) for c in commons if c.get("frames") not in (None, "")]
    if frames:
        spec["frames"] = format_frames(f for layer in frames for f in layer)
    for ours, theirs in (("width", "width"), ("height", "height")):
        value = _agreed([c.get(theirs) for c in commons])
        if value is not None:
            spec[ours] = int(float(value))
    prefix = _agreed([c.get("image_file_prefix") for c in commons])
    if prefix:
        spec["output_prefix"] = str(prefix)
    renderer = _agreed([c.get("renderer") for c in commons])
    if renderer and (cg_name or "").lower() == "maya":
        spec["renderer"] = {"adapter": "maya", "name": str(renderer)}
    return spec


_SHARED_NAMES = frozenset(
    {"frames_per_task", "tiles", "test_frames", "stop_after_test", "time_out", "job_stop_time"}
)
"""Names both vocabularies use; Renderbus writes them as strings ("1"), we as numbers/objects."""


def _with_ours(mapped: dict, task_json: Mapping) -> dict:
    """Fields already named as ours win over mapped ones (objects are merged one level deep)."""
    ours = {
        key: copy.deepcopy(value)
        for key, value in task_json.items()
        if key in _jobspec_fields() and not (key in _SHARED_NAMES and isinstance(value, str))
    }
    if "tiles" in ours or "frames_per_task" in ours:  # chunking or tiles, as the caller chose
        for key in ("tiles", "tiles_type", "frames_per_task"):
            mapped.pop(key, None)
    for key, value in ours.items():
        if isinstance(value, dict) and isinstance(mapped.get(key), dict):
            value = {**mapped[key], **value}
        mapped[key] = value
    return mapped


@functools.cache
def _jobspec_fields() -> frozenset[str]:
    return frozenset(load_schema("jobspec")["properties"])


def normalize_renderbus(task_json: Mapping) -> dict:
    """A JobSpec from a Renderbus ``task.json``, mapped field by field.

    Reads ``task_info`` (and the same names at the top level),
    ``software_config`` and ``scene_info_render``; the table is in
    ``docs/jobspec.md``. Fields that already have our names are kept and win
    (objects such as ``scene`` or ``hardware`` are merged one level deep), so
    a body may mix both. Renderbus carries no ``name``, scene blob or
    manifest: unless the input has them under our names, the result is
    partial and the caller completes it before validating. Renderbus fields
    without an equivalent (``task_stop_time``, ``os_name``,
    ``is_distribute_render`` …) are dropped. A value that cannot be read is a
    ValueError naming it.

    >>> normalize_renderbus({"task_info": {"ram": "64", "pre_frames": "100",
    ...     "stop_after_test": "1", "tiles": "1", "frames_per_task": "2"}})
    {'frames_per_task': 2, 'test_frames': {'first': True, 'middle': False, 'last': False, \
'custom': []}, 'stop_after_test': True, 'hardware': {'ram_gb': 64}}
    """
    fields = _flat_fields(task_json)
    spec: dict = {}
    spec.update(_scene(fields, fields.get("project_name")))
    software = _software(task_json, fields)
    spec.update(software)
    spec.update(_layers(task_json, software.get("software", {}).get("cg_name")))
    spec.update(_scheduling(fields))
    spec.update(_hardware(fields))
    return _with_ours(spec, task_json)
