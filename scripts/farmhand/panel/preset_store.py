"""Presets for the panel: list them all (a broken file does not hide the others) and save new ones.

Lookup follows `farmhand.presets`: the server's published presets, then the
studio folders (`$FARMHAND_PRESETS`), then the user's folder; a later one of
the same name wins. A preset is saved only when `validate_preset` finds
nothing wrong; otherwise `PresetError` names the field.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.jobspec import validate_preset
from farmhand.presets import Preset, PresetError, folders, load

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass
class PresetList:
    """Every preset by name, and the files that could not be used (with why)."""

    presets: dict[str, Preset] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def list_presets(client: Any = None) -> PresetList:
    """Server presets (when a client is given), then studio, then user presets."""
    found = PresetList()
    if client is not None:
        for item in client.json("GET", "/presets").get("presets", []):
            fields = item.get("fields") or {}
            problems = validate_preset(fields)
            if problems:
                found.problems.append(f"server preset {item.get('name')}: {problems[0]}")
                continue
            url = Path(f"{client.server}/presets/{item['name']}")
            found.presets[item["name"]] = Preset(item["name"], url, "server", fields)
    for scope, folder in folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                found.presets[path.stem] = load(path, scope)
            except PresetError as exc:
                found.problems.append(str(exc))
    return found


def save_preset(folder: Path, name: str, fields: dict[str, Any]) -> Path:
    """Check a preset and write it as `<folder>/<name>.json`; PresetError names the field."""
    if not NAME.match(name):
        raise PresetError(
            "name: a preset name is 1-80 letters, digits, '.', '_' or '-' (it is the file name)"
        )
    if not isinstance(fields, dict):
        raise PresetError("(preset): a preset is a JSON object of JobSpec fields")
    body = {"name": name, **{k: v for k, v in fields.items() if k != "name"}}
    problems = validate_preset(body)
    if problems:
        raise PresetError("; ".join(problems))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
