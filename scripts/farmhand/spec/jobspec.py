"""The JobSpec: load its JSON Schemas, validate with messages people can act on, read Renderbus.

A JobSpec is the JSON object a client sends to ``POST /api/v1/jobs``; the
server, the submit CLI, the Maya panel and the worker all read it through
this module. Its fields are described in ``docs/jobspec.md`` and enforced by
``schemas/jobspec.schema.json`` (JSON Schema 2020-12) plus the checks here
that a schema cannot express (the frames expression parses, test frames are
frames of the job, tiles fit the image, manifest server paths follow the
rule, renderer options are on the allowlist of :mod:`farmhand.spec.render_options`).
Presets use ``schemas/preset.schema.json``.

``jsonschema`` is imported only when a validator is first needed, so
:func:`server_path` also works on a worker that does not install it.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import resources
from typing import Any, TypeGuard

from farmhand.spec.frames import parse_frames
from farmhand.spec.render_options import renderer_problems
from farmhand.spec.tiles import tile_rects

SCHEMA_NAMES = ("jobspec", "preset")

COMMAND_PLACEHOLDERS = frozenset(
    {
        "frame",  # one frame: the worker runs the argv once per frame of the task
        "start",  # first frame of the task's chunk
        "end",  # last frame of the task's chunk
        "step",  # step of the chunk
        "output",  # the task's output folder on the worker (every file left there is uploaded)
        "scene",  # the scene file on the worker
        "width",  # image width (JobSpec width)
        "height",  # image height (JobSpec height)
        "tile_index",  # tiles: index of the tile, row by row from the top-left
        "tile_x",  # tiles: left pixel column, from the left
        "tile_y",  # tiles: top pixel row, from the top
        "tile_width",  # tiles: width in pixels
        "tile_height",  # tiles: height in pixels
    }
)
"""The ``{name}`` placeholders a ``command`` renderer's ``argv`` and ``outputs`` may use."""

CG_ID_NAMES = {2000: "Maya", 2001: "3ds Max", 2004: "Houdini", 2007: "Cinema 4D", 2013: "Blender"}
"""Renderbus ``cg_id`` → ``cg_name``, used when a task.json gives only the id."""

RENDERBUS_NAMES: dict[str, str | None] = {
    "ram": "hardware.ram_gb",
    "graphics_cards_num": "hardware.gpu_count",
    "hardwareConfigId": "hardware.hardware_config_ids",
    "hardwareConfigIds": "hardware.hardware_config_ids",
    "hardware_config_id": "hardware.hardware_config_ids",
    "task_stop_time": "job_stop_time",
    "pre_frames": "test_frames",
    "input_cg_file": "scene.path",
    "input_project_path": "scene.project_path",
    "software_config": "software",
    "project_name": "project",
    "task_info": None,  # a whole task.json
}
"""Renderbus field names that differ from ours, for hints on unknown fields."""


# --------------------------------------------------------------------------- schemas


def _schema_file(name: str) -> str:
    base = name.removesuffix(".json").removesuffix(".schema")
    if base not in SCHEMA_NAMES:
        raise ValueError(f"no schema named {name!r}; there are {', '.join(SCHEMA_NAMES)}")
    return f"{base}.schema.json"


def load_schema(name: str) -> dict:
    """Read a packaged schema, ``"jobspec"`` or ``"preset"`` (a fresh dict each call).

    >>> load_schema("jobspec")["$id"]
    'https://schemas.farmhand.invalid/jobspec.schema.json'
    """
    text = resources.files(__package__).joinpath("schemas", _schema_file(name)).read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator(name: str) -> Any:
    """A Draft 2020-12 validator for a packaged schema; cross-file ``$ref`` stay offline."""
    import jsonschema
    from referencing import Registry, Resource

    schemas = [load_schema(n) for n in SCHEMA_NAMES]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    return jsonschema.Draft202012Validator(load_schema(name), registry=registry)


# --------------------------------------------------------------------------- messages


def _join(path: Iterable[Any]) -> str:
    """``["manifest", 2, "md5"]`` → ``"manifest[2].md5"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(job spec)"


_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def _show(value: Any) -> str:
    """A short JSON rendering of a value for a message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_field(key: str, allowed: Iterable[str], top_level: bool) -> str:
    if top_level and key in RENDERBUS_NAMES:
        ours = RENDERBUS_NAMES[key]
        what = f"Renderbus's name; ours is {ours}" if ours else "a Renderbus task.json"
        return f"unknown field ({what}: convert with farmhand.spec.renderbus.normalize_renderbus)"
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f"unknown field; did you mean {close[0]}?" if close else "unknown field"


def _required(error: Any) -> list[tuple[list, str]]:
    return [
        ([*error.path, key], "is required")
        for key in error.validator_value
        if key not in error.instance
    ]


def _additional(error: Any) -> list[tuple[list, str]]:
    allowed = error.schema.get("properties", {})
    top_level = not error.path
    return [
        ([*error.path, key], _unknown_field(key, allowed, top_level))
        for key in error.instance
        if key not in allowed
    ]


def _dependent_required(error: Any) -> list[tuple[list, str]]:
    return [
        ([*error.path, key], f"requires {needed}")
        for key, needs in error.validator_value.items()
        if key in error.instance
        for needed in needs
        if needed not in error.instance
    ]


def _unique(error: Any) -> str:
    seen: list[Any] = []
    for item in error.instance:
        if item in seen:
            return f"{_show(item)} is listed more than once"
        seen.append(item)
    return "must not list an item twice"


def _length(error: Any, least: bool, unit: str) -> str:
    limit = error.validator_value
    if least and limit == 1:
        return "must not be empty"
    return f"must have at {'least' if least else 'most'} {limit} {unit}"


_SIMPLE: dict[str, Callable[[Any], str]] = {
    "type": lambda e: (
        f"must be {' or '.join(_TYPE_WORDS.get(t, t) for t in _as_list(e.validator_value))}, "
        f"not {_TYPE_WORDS.get(_json_type(e.instance), _json_type(e.instance))}"
    ),
    "enum": lambda e: (
        f"must be one of {', '.join(_show(v) for v in e.validator_value)}, not {_show(e.instance)}"
    ),
    "const": lambda e: (
        e.schema.get("x-message", f"must be {_show(e.validator_value)}")
        + f", not {_show(e.instance)}"
    ),
    "minimum": lambda e: f"must be at least {e.validator_value}, not {_show(e.instance)}",
    "maximum": lambda e: f"must be at most {e.validator_value}, not {_show(e.instance)}",
    "minLength": lambda e: _length(e, True, "characters"),
    "maxLength": lambda e: _length(e, False, "characters"),
    "minItems": lambda e: _length(e, True, "items"),
    "maxItems": lambda e: _length(e, False, "items"),
    "uniqueItems": _unique,
    "pattern": lambda e: e.schema.get("x-message", f"must match {e.validator_value}"),
    "not": lambda e: e.schema.get("x-message", "is not allowed here"),
}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _describe(error: Any) -> list[tuple[list, str]]:
    """Turn one jsonschema error into ``(path, message)`` pairs."""
    if error.validator == "required":
        return _required(error)
    if error.validator == "additionalProperties" and error.validator_value is False:
        return _additional(error)
    if error.validator == "dependentRequired":
        return _dependent_required(error)
    path = list(error.path)
    schema_path = list(error.schema_path)
    if "dependentSchemas" in schema_path:  # a rule hung on a field: name that field
        path.append(schema_path[schema_path.index("dependentSchemas") + 1])
    describe = _SIMPLE.get(error.validator)
    message = describe(error) if describe else error.message
    if "propertyNames" in schema_path:
        message = f"key {_show(error.instance)} {message}"
    return [(path, message)]


MAX_SCHEMA_ERRORS = 50  # a spec with a million mistakes is judged by its first few


def _schema_messages(name: str, data: Any) -> list[str]:
    errors = itertools.islice(_validator(name).iter_errors(data), MAX_SCHEMA_ERRORS)
    pairs = [pair for error in errors for pair in _describe(error)]
    return [f"{_join(path)}: {message}" for path, message in pairs]


# --------------------------------------------------------------------------- semantic checks


def _frames_of(spec: Mapping) -> tuple[list[int] | None, list[str]]:
    expression = spec.get("frames")
    if not isinstance(expression, str) or not expression:
        return None, []
    try:
        return parse_frames(expression), []
    except ValueError as error:
        return None, [f"frames: {error}"]


def _check_test_frames(spec: Mapping, frames: list[int] | None, whole: bool) -> Iterator[str]:
    chosen = spec.get("test_frames")
    chosen = chosen if isinstance(chosen, dict) else {}
    custom = chosen.get("custom")
    if frames is not None and isinstance(custom, list):
        members = set(frames)
        for i, frame in enumerate(custom):
            if isinstance(frame, int) and frame not in members:
                rendered = spec.get("frames") or "any layer's frames"
                yield (
                    f"test_frames.custom[{i}]: frame {frame} is not one of the job's frames "
                    f"({rendered})"
                )
    picked = any(chosen.get(k) is True for k in ("first", "middle", "last")) or bool(custom)
    if whole and spec.get("stop_after_test") is True and not picked:
        yield "stop_after_test: needs test_frames (first, middle, last or custom frames)"


def _check_tiles(spec: Mapping) -> Iterator[str]:
    count, kind = spec.get("tiles"), spec.get("tiles_type")
    width, height = spec.get("width"), spec.get("height")
    if kind not in ("strip", "block"):
        return
    if _positive_int(count) and _positive_int(width) and _positive_int(height):
        try:
            tile_rects(width, height, count, kind)
        except ValueError as error:
            yield f"tiles: {error}"


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_path(path: Any, where: str) -> tuple[str | None, list[str]]:
    if not isinstance(path, str) or not path:
        return None, []
    try:
        return server_path(path), []
    except ValueError as error:
        return None, [f"{where}: {error}"]


def _check_manifest(spec: Mapping) -> Iterator[str]:
    manifest = spec.get("manifest")
    if not isinstance(manifest, list):
        return
    first_at: dict[str, tuple[int, Any]] = {}
    for i, entry in enumerate(manifest):
        if not isinstance(entry, dict):
            continue
        expected, errors = _check_path(entry.get("path"), f"manifest[{i}].path")
        yield from errors
        given = entry.get("server_path")
        if expected is not None and _looks_like_server_path(given) and given != expected:
            yield (
                f"manifest[{i}].server_path: must be {expected} for {entry['path']} "
                "(C:/x is stored as /C/x)"
            )
        key = given if isinstance(given, str) else expected
        blob = (entry.get("md5"), entry.get("size"))
        if key is None:
            continue
        if key in first_at and first_at[key][1] != blob:
            yield (
                f"manifest[{i}]: {key} is also manifest[{first_at[key][0]}], with different content"
            )
        first_at.setdefault(key, (i, blob))
    yield from _check_scene_in_manifest(spec, first_at)


def _looks_like_server_path(value: Any) -> bool:
    """Shaped like a server path (else the schema's message about it is enough)."""
    return isinstance(value, str) and value.startswith("/") and "\\" not in value


def _well_formed_blob(blob: Any) -> bool:
    """A blob whose md5 and size passed the schema (else its own messages are enough)."""
    if not isinstance(blob, dict):
        return False
    md5, size = blob.get("md5"), blob.get("size")
    md5_ok = isinstance(md5, str) and re.fullmatch(r"[0-9a-f]{32}", md5) is not None
    return md5_ok and isinstance(size, int) and not isinstance(size, bool) and size >= 0


def _check_scene_in_manifest(spec: Mapping, files: Mapping[str, tuple[int, Any]]) -> Iterator[str]:
    scene = spec.get("scene")
    if not isinstance(scene, dict) or not _well_formed_blob(scene.get("blob")):
        return
    key, _ = _check_path(scene.get("path"), "scene.path")
    blob = (scene["blob"]["md5"], scene["blob"]["size"])
    if key is not None and key in files and files[key][1] != blob:
        yield f"scene.blob: differs from manifest[{files[key][0]}], which lists the same file"


def _check_scene(spec: Mapping) -> Iterator[str]:
    scene = spec.get("scene")
    if isinstance(scene, dict):
        yield from _check_path(scene.get("path"), "scene.path")[1]
        yield from _check_path(scene.get("project_path"), "scene.project_path")[1]


def _template_errors(template: str) -> str | None:
    """What is wrong with one ``command`` argv template, or None."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        return f"{error} (write {{{{ and }}}} for literal braces)"
    unknown = sorted({name for name in fields if name not in COMMAND_PLACEHOLDERS})
    if unknown:
        known = " ".join(f"{{{name}}}" for name in sorted(COMMAND_PLACEHOLDERS))
        shown = ", ".join(f"{{{name}}}" for name in unknown)
        return f"unknown placeholder {shown}; known: {known}"
    return None


def _check_command(spec: Mapping) -> Iterator[str]:
    renderer = spec.get("renderer")
    if not isinstance(renderer, dict) or renderer.get("adapter") != "command":
        return
    for key in ("argv", "outputs"):
        templates = renderer.get(key)
        if not isinstance(templates, list):
            continue
        for i, template in enumerate(templates):
            problem = _template_errors(template) if isinstance(template, str) else None
            if problem:
                yield f"renderer.{key}[{i}]: {problem}"


def relative_path_problem(path: str) -> str | None:
    """Why a path may not name a file inside the job's output folder, or None (the rule the
    submit checks and the worker's adapters share).

    >>> relative_path_problem("fg/a.exr"), relative_path_problem("G:/x")
    (None, "must be relative to the job's output folder")
    """
    text = path.replace("\\", "/")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        return "must be relative to the job's output folder"
    if any(part in ("", "..") for part in text.split("/")):
        return "has an empty or '..' folder"
    return None


def _check_group(group: Mapping, where: str, spec: Mapping) -> Iterator[str]:
    """One version 2 layer group: its frames, renderer, prefix, output templates, tiles."""
    from farmhand.scene.renderers import render_flag

    frames, messages = _frames_of({"frames": group.get("frames")})
    for message in messages:
        yield f"{where}.{message}"
    renderer = group.get("renderer")
    if isinstance(renderer, str) and render_flag(renderer) is None:
        yield f"{where}.renderer: {renderer!r} is not a renderer the farm's Maya nodes drive"
    prefix = group.get("output_prefix")
    if isinstance(prefix, str) and prefix and (problem := relative_path_problem(prefix)):
        yield f"{where}.output_prefix: {problem}"
    for i, output in enumerate(group.get("outputs") or []):
        template = output.get("template") if isinstance(output, dict) else None
        if not isinstance(template, str):
            continue
        try:
            fields = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
            sample = template.format(frame=1) if fields <= {"frame"} else None
        except (ValueError, IndexError, KeyError):
            fields, sample = {"?"}, None
        if sample is None:
            yield f"{where}.outputs[{i}].template: only a {{frame}} field is allowed"
        elif problem := relative_path_problem(sample):
            yield f"{where}.outputs[{i}].template: {problem}"
    if frames is not None and spec.get("tiles"):
        yield from (f"{where}.{m}" for m in _check_tiles({**spec, **group}))
        cameras = group.get("cameras")
        if isinstance(cameras, list) and len(cameras) > 1:
            yield (
                f"{where}.cameras: a tiled job renders one camera per layer, this layer has "
                f"{len(cameras)} ({', '.join(map(str, cameras))}): pick one"
            )


def _adapter(spec: Mapping) -> Any:
    renderer = spec.get("renderer")
    return renderer.get("adapter") if isinstance(renderer, dict) else None


def _check_layer_groups(spec: Mapping) -> tuple[list[int] | None, list[str]]:
    """A version 2 spec's groups; and every frame any of them renders (for test frames)."""
    groups = spec.get("layers")
    if spec.get("spec_version") != 2 or not isinstance(groups, list):
        return None, []
    messages: list[str] = []
    frames: set[int] = set()
    seen: dict[str, int] = {}
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        messages.extend(_check_group(group, f"layers[{i}]", spec))
        mine, _ = _frames_of({"frames": group.get("frames")})
        frames.update(mine or [])
        name = group.get("name")
        if isinstance(name, str) and name in seen:
            messages.append(f"layers[{i}].name: {name!r} is also layers[{seen[name]}]")
        seen.setdefault(str(name), i)
    return sorted(frames), messages


def _semantic_messages(spec: Any, whole: bool = True) -> list[str]:
    """Checks a schema cannot express; ``whole`` is false for a preset (a part of a JobSpec)."""
    if not isinstance(spec, dict):
        return []
    if spec.get("spec_version") == 2:
        frames, messages = _check_layer_groups(spec)
    else:
        frames, messages = _frames_of(spec)
        messages.extend(_check_tiles(spec))
        prefix = spec.get("output_prefix")
        if isinstance(prefix, str) and _adapter(spec) == "blender":
            prefix = prefix.removeprefix("//")  # Blender's "relative to the .blend" marker
        if isinstance(prefix, str) and prefix and (problem := relative_path_problem(prefix)):
            messages.append(f"output_prefix: {problem} (the worker writes under it)")
    messages.extend(_check_test_frames(spec, frames, whole))
    messages.extend(_check_scene(spec))
    messages.extend(_check_manifest(spec))
    messages.extend(_check_command(spec))
    messages.extend(renderer_problems(spec.get("renderer")))
    return messages


def _field_order(message: str) -> tuple[list, str]:
    """Sort key: the field a message names (list indexes compared as numbers), then the text."""
    field = message.split(": ", 1)[0]
    # Runs of ASCII digits sit at the odd places of the split ("²" is a digit to `\d`, not `int`).
    parts = re.split(r"([0-9]+)", field)
    return [int(p) if i % 2 else p for i, p in enumerate(parts)], message


def _collect(*groups: list[str]) -> list[str]:
    """All messages, each once, sorted by the field they name."""
    unique = dict.fromkeys(m for group in groups for m in group)
    return sorted(unique, key=_field_order)


def validate_jobspec(data: Any) -> list[str]:
    """Everything wrong with a JobSpec, one message per problem, each naming the field.

    An empty list means valid. Messages look like ``"hardware.ram_gb: must be
    at least 0, not -4"`` or ``"tiles: must not be combined with frames_per_task"``.
    """
    return _collect(_schema_messages("jobspec", data), _semantic_messages(data))


def validate_preset(data: Any) -> list[str]:
    """Everything wrong with a preset (any JobSpec field, all optional, plus name/description)."""
    checks = {k: v for k, v in data.items() if k != "name"} if isinstance(data, dict) else data
    return _collect(_schema_messages("preset", data), _semantic_messages(checks, whole=False))


# --------------------------------------------------------------------------- paths

_DRIVE = re.compile(r"([A-Za-z]):(?=/|$)")


def server_path(client_path: str) -> str:
    r"""Where a client's file lives on the farm: Renderbus's rule.

    A Windows drive becomes a top folder (``C:/Project/a.ma`` → ``/C/Project/a.ma``,
    the letter upper-cased); a UNC path loses its first slash
    (``\\server\share\x`` → ``/server/share/x``); a POSIX path stays as it is.
    Backslashes become slashes, repeated slashes and ``.`` components go, and
    a ``..`` component, a relative path or a drive-relative one (``C:x``) is
    a ValueError.

    >>> server_path("C:/Project/a.ma"), server_path(r"\\server\share\x.exr")
    ('/C/Project/a.ma', '/server/share/x.exr')
    >>> server_path(r"d:\shots\\.\sh010\scene.ma"), server_path("/mnt/proj/a.ma")
    ('/D/shots/sh010/scene.ma', '/mnt/proj/a.ma')
    """
    kind, parts = split_client_path(client_path)
    prefix = ""
    if kind == "drive":
        prefix, parts = "/" + parts[0][0].upper(), parts[1:]
    if not parts and not prefix:
        raise ValueError(f"{client_path!r} names no file or folder")
    return prefix + "".join("/" + part for part in parts)


def split_client_path(text: str) -> tuple[str, list[str]]:
    r"""An absolute client path as its kind and components, cleaned; ValueError otherwise.

    The kind is ``drive`` (the first component is the drive, ``C:``), ``unc``
    (``\\host\share\…``: host first) or ``posix``. Backslashes count as
    slashes, Win32 long-path prefixes go, empty and ``.`` components go; a
    ``..``, a NUL, a relative or a drive-relative path (``C:x``) is refused.

    >>> split_client_path(r"\\?\UNC\nas\lib\.\x.exr"), split_client_path("c:/a//b")
    (('unc', ['nas', 'lib', 'x.exr']), ('drive', ['c:', 'a', 'b']))
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the path is empty")
    if "\0" in text:
        raise ValueError(f"{text!r} contains a NUL character")
    path = text.replace("\\", "/")
    if path.startswith(("//?/", "//./")):  # Win32 long-path prefixes: //?/C:/x, //?/UNC/host/x
        path = path[4:]
        if path[:4].upper() == "UNC/":
            path = "//" + path[4:]
    drive = _DRIVE.match(path)
    if drive:
        kind, head, rest = "drive", [drive[1] + ":"], path[2:]
    elif re.match(r"//[^/]", path):
        kind, head, rest = "unc", [], path[2:]
    elif path.startswith("/"):
        kind, head, rest = "posix", [], path
    elif re.match(r"[A-Za-z]:", path):
        raise ValueError(f"{text!r} is relative to a drive's current folder")
    else:
        raise ValueError(f"{text!r} is a relative path; the farm needs an absolute one")
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{text!r} contains '..'; paths on the farm may not climb")
    return kind, head + parts
