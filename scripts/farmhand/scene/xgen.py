"""Files an XGen collection (`<scene>__<collection>.xgen`) needs at render time.

The collection file is plain text: sections (`Palette`, `Description`, one
per module) of tab-separated `key value` lines ending with `endAttrs`. Paths
use `${PROJECT}` (the palette's `xgProjectPath`, else the Maya project),
`${DESC}` (the description's data folder) and `${FXMODULE}` (the module's
name); maps hide inside expressions as `map('…')`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MAP_EXPRESSION = re.compile(r"map\(\s*'([^']+)'\s*\)")
"""A map file inside an expression: ``map('${DESC}/paintmaps/length')``."""
PATH_KEYS = frozenset(
    {"cacheFileName", "regionMap", "pointDir", "maskDir", "bakeDir", "archiveFile"}
)
"""Keys of a module's attributes whose value is a file or folder path."""
PALETTE_PATH_KEYS = frozenset({"xgDataPath", "xgProjectPath"})
"""The palette's own path keys (``;``-separated lists)."""


@dataclass
class Collection:
    """What a collection file names: its data path and (attribute, path) pairs."""

    data_path: str = ""
    project_path: str = ""
    descriptions: list[str] = field(default_factory=list)
    paths: list[tuple[str, str]] = field(default_factory=list)


def read_collection(path: Path, maya_project: str | None) -> Collection:
    """Parse a `.xgen` collection; variables expanded where the file defines them."""
    out = Collection()
    section = ""
    description = ""
    module = ""
    raw: list[tuple[str, str, str, str]] = []  # (key, value, description, module)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if not line[0].isspace():
                section = line.split()[0]
                module = ""
                continue
            key, _, value = line.strip().partition("\t")
            value = value.strip()
            if key == "endAttrs":
                continue
            if section == "Palette" and key == "xgDataPath":
                out.data_path = value
            elif section == "Palette" and key == "xgProjectPath":
                out.project_path = value
            elif section == "Description" and key == "name":
                description = value
                out.descriptions.append(value)
            elif key == "name":
                module = value
            elif key in PATH_KEYS and value:
                raw.append((key, value, description, module))
            for found in MAP_EXPRESSION.findall(value):
                raw.append((key, found, description, module))
    # The project saved in the file wins when it exists here; a collection moved
    # with its project (the usual case on another machine) uses the Maya project.
    saved = out.project_path
    project = saved if saved and _is_dir(saved) else (maya_project or saved or "")
    data = out.data_path.replace("${PROJECT}", project).split(";")[0].rstrip("/")
    for key, value, desc, mod in raw:
        expanded = (
            value.replace("${PROJECT}", project)
            .replace("${DESC}", f"{data}/{desc}" if desc else data)
            .replace("${FXMODULE}", mod or "${FXMODULE}")
        )
        if expanded.endswith("/"):
            expanded += "*"  # a folder of maps or points: any file in it
        out.paths.append((f"xgen:{desc}:{key}" if desc else f"xgen:{key}", expanded))
    return out


def _is_dir(path: str) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):  # ValueError: a NUL in a damaged file
        return False
