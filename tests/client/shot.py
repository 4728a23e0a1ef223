"""A small Maya project on disk, written by the tests, with awkward paths on purpose."""

from __future__ import annotations

import os
from pathlib import Path

HEADER = (
    "//Maya ASCII 2025ff03 scene\n//Codeset: UTF-8\n"
    'requires maya "2025ff03";\nrequires "mtoa" "5.4.5";\n'
    "currentUnit -l centimeter -a degree -t film;\n"
    'fileInfo "version" "2025";\n'
)


def _texture(node: str, path: str) -> str:
    return f'createNode file -n "{node}";\n\tsetAttr ".ftn" -type "string" "{path}";\n'


def write_project(root: Path) -> dict[str, Path]:
    """A project whose scene names: two plain textures, one whose name has spaces and Chinese
    characters, and one by a Windows path (`D:/old/…`) that lives in a library folder here."""
    (root / "sourceimages").mkdir(parents=True)
    (root / "scenes").mkdir()
    (root / "workspace.mel").write_text('workspace -fr "sourceImages" "sourceimages";\n')
    files = {
        "wall": root / "sourceimages" / "wall.png",
        "floor": root / "sourceimages" / "floor.png",
        "odd": root / "sourceimages" / "my tex 贴图.png",
        "wood": root / "library" / "wood.png",
    }
    files["wood"].parent.mkdir()
    for path in files.values():
        path.write_bytes(os.urandom(3000))
    body = (
        HEADER
        + 'createNode transform -s -n "persp";\ncreateNode camera -s -n "perspShape" -p "persp";\n'
        + _texture("wall", "sourceimages/wall.png")
        + _texture("floor", "sourceimages/floor.png")
        + _texture("odd", "sourceimages/my tex 贴图.png")
        + _texture("wood", "D:/old/wood.png")
        + 'select -ne :defaultRenderGlobals;\n\tsetAttr ".ren" -type "string" "arnold";\n'
        + '\tsetAttr ".an" yes;\n\tsetAttr ".ef" 4;\n'
        + "// End of shot.ma\n"
    )
    files["scene"] = root / "scenes" / "shot.ma"
    files["scene"].write_text(body, encoding="utf-8")
    return files
