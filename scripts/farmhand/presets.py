"""Presets: JSON files that set JobSpec fields, layered server → studio → user.

A preset is looked up by name (its file stem): first those the farm server
publishes (`GET /presets`, when a client is given), then the studio folders
(`FARMHAND_PRESETS`, several joined with the OS path separator), then the
user's folder (`~/.config/farmhand/presets`); a later one of the same name
overrides an earlier one. Each preset is checked against `preset.schema.json`.
Applying presets merges their fields over a JobSpec top-level field by field
(a later `hardware` replaces an earlier one whole), except `software`, merged key by
key so a preset can set only its `accept` policy; `name` and `description`
describe the preset itself and are not copied.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .client import config_path
from .jobspec import validate_preset

_META = ("name", "description")


@dataclass(frozen=True, slots=True)
class Preset:
    """A preset file: where it came from and what it sets."""

    name: str
    path: Path
    scope: str  # studio | user | file
    fields: dict[str, Any]

    @property
    def description(self) -> str:
        return str(self.fields.get("description", ""))


class PresetError(ValueError):
    """A preset that cannot be read or breaks the schema; the message names file and field."""


def folders() -> list[tuple[str, Path]]:
    """(scope, folder) in lookup order: studio folders, then the user's."""
    found = [("studio", Path(p)) for p in os.environ.get("FARMHAND_PRESETS", "").split(os.pathsep)
             if p]  # fmt: skip
    found.append(("user", config_path().parent / "presets"))
    return found


def load(path: Path, scope: str = "file") -> Preset:
    """Read and check one preset file."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PresetError(f"{path}: cannot read the preset: {exc}") from None
    problems = validate_preset(fields)
    if problems:
        raise PresetError(f"{path}: " + "; ".join(problems))
    return Preset(str(fields.get("name") or path.stem), path, scope, fields)


def available(client: Any = None) -> dict[str, Preset]:
    """Every preset by name (server, then studio, then user: later ones override)."""
    presets: dict[str, Preset] = {}
    if client is not None:
        for item in client.json("GET", "/presets")["presets"]:
            fields = item["fields"]
            if not validate_preset(fields):
                url = Path(f"{client.server}/presets/{item['name']}")
                presets[item["name"]] = Preset(item["name"], url, "server", fields)
    for scope, folder in folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            preset = load(path, scope)
            presets[path.stem] = preset
    return presets


def find(name_or_path: str, client: Any = None) -> Preset:
    """A preset by name (server presets too when a client is given), or a file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        return load(path)
    presets = available(client)
    if name_or_path not in presets:
        known = ", ".join(sorted(presets)) or "none"
        raise PresetError(f"no preset named {name_or_path!r} (available: {known})")
    return presets[name_or_path]


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
