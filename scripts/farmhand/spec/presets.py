"""Presets: JSON files that set JobSpec fields, layered field by field.

A preset is looked up by name (its file stem) in layers, lowest first: the
studio folders (`FARMHAND_PRESETS`, several joined with the OS path separator),
the presets the farm server publishes (`GET /presets`, when a client is given),
then the user's folder (`~/.config/farmhand/presets`). Presets of the same name
*layer*: each field comes from the highest layer that sets it, and the preset
says for each field where its value came from (`origins`) and which lower
values it hides (`hidden`). A file named on the command line (`--preset
x.json`) and then the artist's own choices go over all of them.

A file that cannot be read or breaks `preset.schema.json` is skipped and
reported (`PresetList.problems`); it never hides the other presets. Applying
presets merges their fields over a JobSpec top-level field by field (a later
`hardware` replaces an earlier one whole), except `software`, merged key by key
so a preset can set only its `accept` policy; `name` and `description` describe
the preset itself and are not copied.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.spec.jobspec import validate_preset
from farmhand.user_dirs import config_path

_META = ("name", "description")
LAYERS = ("studio", "server", "user")
"""The scopes presets of one name layer in, lowest first (then a file, then choices)."""
INTERNAL = ("analysis", "manifest", "scene", "spec_version")
"""Fields the submission fills in from the scene; a preset editor does not offer them."""
# A layer that chooses one of these drops what lower layers set for the other.
EXCLUSIVE = {"tiles": ("frames_per_task",), "frames_per_task": ("tiles", "tiles_type")}


@dataclass(frozen=True, slots=True)
class Preset:
    """A preset: where it came from and what it sets.

    A layered preset (several files of one name) has the `scope` and `path` of its
    highest layer, `origins` (field → the scope its value came from) and `hidden`
    (field → the lower `(scope, value)` pairs its value hides).
    """

    name: str
    path: Path
    scope: str  # studio | server | user | file
    fields: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    hidden: dict[str, list[tuple[str, Any]]] = field(default_factory=dict, compare=False)
    layers: tuple[Preset, ...] = field(default=(), compare=False)

    @property
    def description(self) -> str:
        """What the preset is for, as its file says."""
        return str(self.fields.get("description", ""))

    @property
    def layered_from(self) -> str:
        """Its layers for a person, highest first: `user over studio`, or its scope."""
        scopes = [p.scope for p in reversed(self.layers)] or [self.scope]
        return " over ".join(scopes)


class PresetError(ValueError):
    """A preset that cannot be read or breaks the schema; the message names file and field."""


@dataclass
class PresetList:
    """Every preset by name (layered), and the files that could not be used (with why)."""

    presets: dict[str, Preset] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # name → why its file was skipped


def folders() -> list[tuple[str, Path]]:
    """(scope, folder) in lookup order: studio folders, then the user's."""
    found = [
        ("studio", Path(p)) for p in os.environ.get("FARMHAND_PRESETS", "").split(os.pathsep) if p
    ]
    found.append(("user", config_path().parent / "presets"))
    return found


def check_fields(fields: Any) -> list[str]:
    """What is wrong with a preset's fields, each naming its field; [] when valid.

    >>> check_fields([1, 2])
    ['(preset): a preset is a JSON object of JobSpec fields, e.g. {"priority": 60}; this is a list']
    """
    if not isinstance(fields, dict):
        kind = {list: "a list", str: "a string", type(None): "null"}.get(
            type(fields), type(fields).__name__
        )
        return [
            f'(preset): a preset is a JSON object of JobSpec fields, e.g. {{"priority": 60}}; '
            f"this is {kind}"
        ]
    return validate_preset(fields)


def load(path: Path, scope: str = "file") -> Preset:
    """Read and check one preset file."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PresetError(f"{path}: cannot read the preset: {exc}") from None
    problems = check_fields(fields)
    if problems:
        raise PresetError(f"{path}: " + "; ".join(problems))
    return Preset(str(fields.get("name") or path.stem), path, scope, fields)


def layer(parts: list[Preset]) -> Preset:
    """One preset from several of one name, lowest layer first, field by field."""
    if len(parts) == 1:
        only = parts[0]
        scopes = {k: only.scope for k in only.fields if k not in _META}
        return Preset(only.name, only.path, only.scope, only.fields, scopes, {}, (only,))
    fields: dict[str, Any] = {}
    origins: dict[str, str] = {}
    hidden: dict[str, list[tuple[str, Any]]] = {}

    def hide(key: str, value: Any) -> None:
        if key in origins:
            hidden.setdefault(key, []).insert(0, (origins.pop(key), value))

    for part in parts:
        for key, value in part.fields.items():
            if key == "software" and isinstance(value, dict):  # key by key, as `apply` does
                base = fields.get(key)
                base = base if isinstance(base, dict) else {}
                for sub in value:
                    if sub in base:
                        hide(f"software.{sub}", base[sub])
                    origins[f"software.{sub}"] = part.scope
                fields[key] = {**base, **value}
                continue
            for other in EXCLUSIVE.get(key, ()):
                if other in fields:
                    hide(other, fields.pop(other))
            if key in fields and key not in _META:
                hide(key, fields[key])
            fields[key] = value
            if key not in _META:
                origins[key] = part.scope
    top = parts[-1]
    return Preset(top.name, top.path, top.scope, fields, origins, hidden, tuple(parts))


def collect(client: Any = None) -> PresetList:
    """Every preset, layered: studio folders, then the server's, then the user's.

    A broken file or server preset is left out and reported; the others stand.
    Server errors (no answer, refused) propagate: the caller says it cannot reach it.
    """
    found = PresetList()
    by_name: dict[str, list[Preset]] = {}
    local = folders()
    sources: list[tuple[str, Any]] = [s for s in local if s[0] == "studio"]
    if client is not None:
        sources.append(("server", client))
    sources += [s for s in local if s[0] == "user"]
    for scope, where in sources:
        if scope == "server":
            for item in where.json("GET", "/presets").get("presets", []):
                name, fields = str(item.get("name")), item.get("fields")
                problems = check_fields(fields)
                if problems:
                    found.problems.append(f"server preset {name}: {problems[0]}")
                    found.broken.setdefault(name, found.problems[-1])
                    continue
                url = Path(f"{where.server}/presets/{name}")
                by_name.setdefault(name, []).append(Preset(name, url, "server", fields))
            continue
        if not where.is_dir():
            continue
        for path in sorted(where.glob("*.json")):
            try:
                preset = load(path, scope)
            except PresetError as exc:
                found.problems.append(str(exc))
                found.broken.setdefault(path.stem, str(exc))
                continue
            by_name.setdefault(path.stem, []).append(preset)
    for name, parts in by_name.items():
        merged = layer(parts)
        problems = validate_preset(merged.fields)
        if problems:  # layers valid alone that clash together: the highest one alone
            found.problems.append(
                f"preset {name}: its layers clash ({problems[0]}); "
                f"using the {parts[-1].scope} one alone"
            )
            merged = layer(parts[-1:])
        found.presets[name] = merged
    return found


def available(client: Any = None, warn: Callable[[str], None] | None = None) -> dict[str, Preset]:
    """Every preset by name, layered (see `collect`); each skipped file told to `warn`."""
    found = collect(client)
    for problem in found.problems:
        if warn is not None:
            warn(problem)
    return found.presets


def find(
    name_or_path: str, client: Any = None, warn: Callable[[str], None] | None = None
) -> Preset:
    """A preset by name (server presets too when a client is given), or a file by path.

    Broken files are told to `warn` and skipped; when the name has no usable layer at
    all, its broken file is the error.
    """
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        return load(path)
    found = collect(client)
    for problem in found.problems:
        if warn is not None:
            warn(problem)
    if name_or_path in found.presets:
        return found.presets[name_or_path]
    if name_or_path in found.broken:
        raise PresetError(found.broken[name_or_path])
    known = ", ".join(sorted(found.presets)) or "none"
    raise PresetError(f"no preset named {name_or_path!r} (available: {known})")


def apply(spec: dict[str, Any], *presets: Preset) -> dict[str, Any]:
    """The spec with each preset's fields laid over it in turn."""
    merged = dict(spec)
    for preset in presets:
        for key, value in preset.fields.items():
            if key == "software" and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}  # e.g. only `accept`: keep the version
            elif key not in _META:
                merged[key] = value
    return merged
