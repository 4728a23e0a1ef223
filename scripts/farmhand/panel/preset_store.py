"""Presets for the panel: list them all (a broken file does not hide the others) and save new ones.

Lookup follows `farmhand.spec.presets`: the studio folders (`$FARMHAND_PRESETS`),
the server's published presets, then the user's folder, layered field by field
by name. A preset is saved only when `check_fields` finds nothing wrong and it
sets no field the submission fills in (`INTERNAL`); otherwise `PresetError`
names the field. An existing file is replaced only when asked
(`overwrite=True`, after the panel's confirmation): `PresetExists` otherwise.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from farmhand.spec.presets import INTERNAL, PresetError, PresetList, check_fields, collect

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class PresetExists(PresetError):
    """The preset file is there already; saving again needs `overwrite=True`."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists; replacing it needs confirmation")
        self.path = path


def internal_fields(fields: dict[str, Any]) -> list[str]:
    """A problem per field the submission fills in from the scene (a preset may not set it).

    >>> internal_fields({"priority": 1, "manifest": []})
    ['manifest: filled in from the scene at submission; a preset cannot set it']
    """
    return [
        f"{k}: filled in from the scene at submission; a preset cannot set it"
        for k in INTERNAL
        if k in fields
    ]


def list_presets(client: Any = None) -> PresetList:
    """Studio presets, then the server's (when a client is given), then the user's, layered
    by name (`farmhand.spec.presets.collect`); broken files are listed in `problems`."""
    return collect(client)


def save_preset(folder: Path, name: str, fields: dict[str, Any], overwrite: bool = False) -> Path:
    """Check a preset and write it as `<folder>/<name>.json`; PresetError names the field,
    PresetExists when the file is there and `overwrite` is not given."""
    if not NAME.match(name):
        raise PresetError(
            "name: a preset name is 1-80 letters, digits, '.', '_' or '-' (it is the file name)"
        )
    if not isinstance(fields, dict):
        raise PresetError(check_fields(fields)[0])
    body = {"name": name, **{k: v for k, v in fields.items() if k != "name"}}
    problems = check_fields(body) + internal_fields(body)
    if problems:
        raise PresetError("; ".join(problems))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    if path.exists() and not overwrite:
        raise PresetExists(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
