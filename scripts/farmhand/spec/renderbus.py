"""Renderbus's `task.json` read as a JobSpec, with Renderbus's units and meanings.

`docs/jobspec.md` ("Renderbus task.json") has the mapping table and the
source of each row: the Renderbus SDK's Maya configuration document and the
client traffic in `renderbus-client-analysis.md`. Fields already under our
names win, so a body may mix both spellings. What has no equivalent is kept
in the job's `notes`; what needed an interpretation is said in warnings.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farmhand.spec.defaults import default_of
from farmhand.spec.frames import parse_pre_frames
from farmhand.spec.jobspec import CG_ID_NAMES, load_schema
from farmhand.spec.renderbus_layers import flat_layers, layer_groups
from farmhand.spec.renderbus_time import TimeLimits, time_limits

MAX_NOTES = 256
"""Notes a job keeps from a task.json; what is beyond is counted in a warning."""
MAX_NOTE = 1000
"""Characters of one note's value (longer values are cut, marked with …)."""
MAX_WARNINGS = 50
"""Warnings in one response; what is beyond is counted in the last one."""

_READ = frozenset(
    {"tiles", "tiles_type", "frames_per_task", "pre_frames", "test_frames", "stop_after_test",
     "time_out", "job_stop_time", "task_stop_time", "ram", "graphics_cards_num",
     "hardwareConfigId", "hardwareConfigIds", "hardware_config_id", "cg_id", "cg_name",
     "cg_version", "input_cg_file", "input_project_path", "project_name"}
)  # fmt: skip
"""The task_info fields mapped onto JobSpec fields; the others go to the job's notes."""

_SHARED_NAMES = frozenset(
    {"frames_per_task", "tiles", "test_frames", "stop_after_test", "time_out", "job_stop_time"}
)  # fmt: skip
"""Names both vocabularies use; Renderbus writes them as strings ("1"), we as numbers/objects."""

_OS_NAMES = {"0": "Linux", "1": "Windows"}
"""Renderbus ``os_name``: the render nodes' operating system."""

_GROUP_OVERRIDES = ("frames", "width", "height", "output_prefix")
"""Our top-level fields that, given with a Maya task.json, apply to every layer group."""


@dataclass(slots=True)
class RenderbusJob:
    """A task.json read: the (possibly partial) JobSpec, and what the reading wants said."""

    spec: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)  # gathered, then bounded into spec


def _flat_fields(task_json: Mapping) -> dict:
    """Renderbus keeps fields both at the top and in ``task_info``: one flat view of them."""
    info = task_json.get("task_info")
    flat = {k: v for k, v in task_json.items() if not isinstance(v, dict | list)}
    if isinstance(info, dict):
        flat.update(info)
    return flat


def _number(fields: Mapping, key: str, kind: type = int) -> int | float | None:
    """A Renderbus number (often a string, ``"64"``) as ``kind``; None when absent or empty."""
    value = fields.get(key)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool | dict | list):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"task_info.{key}: {str(value)[:40]!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"task_info.{key}: {value!r} is not a number")
    if number.is_integer():
        return int(number)
    if kind is int:
        raise ValueError(f"task_info.{key}: {value!r} is not a whole number")
    return number


def _stop_after_test(value: Any) -> bool:
    """Renderbus ``stop_after_test``: 1 pauses after the priority frames, 2 (or 0) goes on."""
    if isinstance(value, bool):
        return value
    mapping = {"1": True, "2": False, "0": False}
    if str(value).strip() not in mapping:
        raise ValueError(f"task_info.stop_after_test: {value!r} is not 1 (wait) or 2 (continue)")
    return mapping[str(value).strip()]


def _scheduling(fields: Mapping, warnings: list[str]) -> dict:
    spec: dict = {}
    tiles = _number(fields, "tiles")
    if tiles is not None and tiles > 1:
        spec["tiles"] = tiles
        spec["tiles_type"] = str(fields.get("tiles_type") or "block")  # Renderbus's default
    else:
        frames_per_task = _number(fields, "frames_per_task")
        if frames_per_task is not None:
            spec["frames_per_task"] = frames_per_task
    pre_frames = fields.get("pre_frames")
    if pre_frames in (None, ""):
        pre_frames = fields.get("test_frames")
    if pre_frames not in (None, ""):
        choice = parse_pre_frames(str(pre_frames))
        if choice:
            spec["test_frames"] = choice.to_dict()
    if fields.get("stop_after_test") not in (None, ""):
        stop = _stop_after_test(fields["stop_after_test"])
        if stop and "test_frames" not in spec:
            warnings.append(
                f"task_info.stop_after_test {fields['stop_after_test']!r} (pause after the "
                "priority frames) with no priority frames (pre_frames): nothing to pause after"
            )
        elif "test_frames" in spec or not stop:
            spec["stop_after_test"] = stop
    return spec


def _times(fields: Mapping, scheduling: Mapping) -> TimeLimits:
    # A task.json's frames_per_task of "0" or none reads as the JobSpec's default.
    per_task = 1 if scheduling.get("tiles") else scheduling.get("frames_per_task")
    per_task = per_task or default_of("frames_per_task")
    return time_limits(
        _number(fields, "time_out", float),
        _number(fields, "job_stop_time"),
        _number(fields, "task_stop_time"),
        per_task if isinstance(per_task, int) and not isinstance(per_task, bool) else 1,
    )


def _hardware(fields: Mapping) -> dict:
    hardware: dict = {}
    ram = _number(fields, "ram", float)
    if ram is not None:
        hardware["ram_gb"] = ram
    gpus = _number(fields, "graphics_cards_num")
    if gpus is not None:
        hardware["gpu_count"] = gpus
    ids: list[str] = []
    for key in ("hardwareConfigIds", "hardwareConfigId", "hardware_config_id"):
        value = fields.get(key)
        values = value if isinstance(value, list) else [value]
        ids.extend(str(v).strip() for v in values if v not in (None, "") and str(v).strip())
    if ids:
        hardware["hardware_config_ids"] = list(dict.fromkeys(ids))
    return {"hardware": hardware} if hardware else {}


def _software(task_json: Mapping, fields: Mapping) -> dict:
    config = task_json.get("software_config")
    config = config if isinstance(config, dict) else {}
    software: dict = {}
    name = config.get("cg_name") or fields.get("cg_name")
    if not name and fields.get("cg_id") not in (None, ""):
        cg_id = _number(fields, "cg_id")  # a whole number (kind=int)
        name = CG_ID_NAMES.get(int(cg_id)) if cg_id is not None else None
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


def _ours(task_json: Mapping) -> dict:
    """The body's fields that already have our names (a string in a shared name is Renderbus's)."""
    return {
        key: copy.deepcopy(value)
        for key, value in task_json.items()
        if key in _jobspec_fields() and not (key in _SHARED_NAMES and isinstance(value, str))
    }


def _with_ours(mapped: dict, ours: dict) -> dict:
    """Fields already named as ours win over mapped ones (objects are merged one level deep)."""
    if "tiles" in ours or "frames_per_task" in ours:  # chunking or tiles, as the caller chose
        for key in ("tiles", "tiles_type", "frames_per_task"):
            mapped.pop(key, None)
    for key, value in ours.items():
        if isinstance(value, dict) and isinstance(mapped.get(key), dict):
            value = {**mapped[key], **value}
        mapped[key] = value
    return mapped


def _apply_to_groups(spec: dict, ours: dict) -> None:
    """Our `layers` (names), `frames`, size and prefix given with a Maya task.json, per group."""
    groups = spec["layers"]
    names = ours.pop("layers", None)
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        known = {g["name"]: g for g in groups}
        if missing := [n for n in names if n not in known]:
            raise ValueError(f"layers: {missing} are not renderable layers of scene_info_render")
        spec["layers"] = groups = [known[n] for n in dict.fromkeys(names)]
    elif names is not None:
        spec["layers"] = names  # whole layer groups of ours: checked as a JobSpec
        return
    if "cameras" in ours:
        raise ValueError(
            "cameras: with a Maya task.json each layer renders its own cameras "
            "(scene_info_render.<layer>.common.render_camera); set them there"
        )
    for key in _GROUP_OVERRIDES:
        if key in ours:
            value = ours.pop(key)
            for group in groups:
                group[key] = value
                if key == "frames":
                    group.pop("animation", None)  # a frame override renders an animation


def _is_maya(software: Mapping) -> bool:
    return str(software.get("software", {}).get("cg_name", "")).lower() == "maya"


def _layers(task_json: Mapping, software: dict, ours: dict, out: RenderbusJob) -> dict:
    layers = task_json.get("scene_info_render")
    if not isinstance(layers, dict) or not layers:
        return {}
    if not _is_maya(software) or ours.get("spec_version") == 1:
        return flat_layers(layers, software.get("software", {}).get("cg_name"))
    read = layer_groups(layers)
    out.warnings.extend(read.warnings)
    out.notes.update(read.notes)
    renderer: dict[str, Any] = {"adapter": "maya"}
    if read.image_format:
        renderer["image_format"] = read.image_format
    spec = {"spec_version": 2, "renderer": renderer, "layers": read.groups}
    _apply_to_groups(spec, ours)
    return spec


def _bounded_notes(notes: Mapping[str, Any]) -> tuple[dict[str, str], int]:
    """Notes as text, at most `MAX_NOTES` of at most `MAX_NOTE` characters; and how many were
    left out. Empty values say nothing and are skipped."""
    kept: dict[str, str] = {}
    dropped = 0
    for key, value in notes.items():
        if value in (None, "", [], {}):
            continue
        if len(kept) >= MAX_NOTES:
            dropped += 1
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        kept[key[:256]] = text if len(text) <= MAX_NOTE else text[: MAX_NOTE - 1] + "…"
    return kept, dropped


def _unread(task_json: Mapping, fields: Mapping) -> dict[str, Any]:
    """The task.json's fields no mapping reads (they become notes)."""
    ours = _jobspec_fields()
    info = task_json.get("task_info")
    info = info if isinstance(info, dict) else {}
    unread: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in _READ and key not in ours:
            unread[f"task_info.{key}" if key in info else key] = value
    config = task_json.get("software_config")
    if isinstance(config, dict):
        for key, value in config.items():
            if key not in ("cg_name", "cg_version", "plugins"):
                unread[f"software_config.{key}"] = value
    for key, value in task_json.items():
        if (
            isinstance(value, dict | list)
            and key not in ours
            and key not in ("task_info", "software_config", "scene_info_render")
        ):
            unread[key] = value
    return unread


def read_task_json(task_json: Mapping) -> RenderbusJob:
    """A JobSpec from a Renderbus ``task.json``, mapped field by field, and warnings.

    Reads ``task_info`` (and the same names at the top level), ``software_config``
    and ``scene_info_render``; the table is in ``docs/jobspec.md``. A Maya task.json
    becomes a version 2 spec, one layer group per renderable layer. Fields that
    already have our names are kept and win (objects such as ``scene`` or ``hardware``
    are merged one level deep); with a Maya task.json our ``layers`` (names) choose
    groups and our ``frames``, ``width``, ``height`` and ``output_prefix`` apply to
    each. Renderbus carries no ``name``, scene blob or manifest: unless the input has
    them under our names, the spec is partial and the caller completes it before
    validating. Fields without an equivalent are kept in ``notes`` (text, bounded).
    A value that cannot be read is a ValueError naming it.

    >>> read_task_json({"task_info": {"time_out": "12", "job_stop_time": "28800"}}).spec
    {'time_out': 43200, 'notes': {'task_info.job_stop_time': "28800 s: Renderbus's per-frame \
stop (8 h)"}}
    """
    if not isinstance(task_json, Mapping):
        raise ValueError("a task.json is a JSON object")
    for part in ("task_info", "software_config", "scene_info_render"):
        if part in task_json and not isinstance(task_json[part], dict | type(None)):
            raise ValueError(f"{part}: must be an object")
    fields = _flat_fields(task_json)
    out = RenderbusJob(spec={})
    ours = _ours(task_json)
    spec = out.spec
    spec.update(_scene(fields, fields.get("project_name")))
    software = _software(task_json, fields)
    spec.update(software)
    spec.update(_layers(task_json, software, ours, out))
    scheduling = _scheduling(fields, out.warnings)
    spec.update(scheduling)
    limits = _times(fields, {**scheduling, **ours})
    spec.update(limits.spec)
    out.warnings.extend(limits.warnings)
    spec.update(_hardware(fields))
    if str(fields.get("os_name", "")).strip() in _OS_NAMES:
        out.warnings.append(
            f"task_info.os_name {fields['os_name']!r} ({_OS_NAMES[str(fields['os_name']).strip()]}"
            " render nodes on Renderbus): Farmhand does not choose nodes by operating system; "
            "kept in notes"
        )
    notes, dropped = _bounded_notes({**out.notes, **limits.notes, **_unread(task_json, fields)})
    if notes:
        spec["notes"] = notes
    if dropped:
        out.warnings.append(f"notes: {dropped} more field(s) not kept (at most {MAX_NOTES})")
    out.spec = _with_ours(spec, ours)
    if len(out.warnings) > MAX_WARNINGS:
        more = len(out.warnings) - MAX_WARNINGS + 1
        out.warnings[MAX_WARNINGS - 1 :] = [f"… and {more} more warning(s)"]
    return out


@functools.cache
def _jobspec_fields() -> frozenset[str]:
    return frozenset(load_schema("jobspec")["properties"])


def normalize_renderbus(task_json: Mapping) -> dict:
    """The JobSpec of :func:`read_task_json`, without its warnings.

    >>> normalize_renderbus({"task_info": {"ram": "64", "pre_frames": "100",
    ...     "stop_after_test": "1", "tiles": "1", "frames_per_task": "2"}})
    {'frames_per_task': 2, 'test_frames': {'first': True, 'middle': False, 'last': False, \
'custom': []}, 'stop_after_test': True, 'hardware': {'ram_gb': 64}}
    """
    return read_task_json(task_json).spec
