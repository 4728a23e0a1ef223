"""A production-style scene saved on Windows, for the path tests (issue 18).

``shot.ma`` names everything by studio paths (``P:/show/…``, one typed with
backslashes): a character rig by reference (``char_rig.ma``, saved with CRLF
line ends) that references a body in turn, a reference edit that re-paths a
texture of the rig, a UDIM set, an image sequence, and an XGen collection
(``shot__hairColl.xgen`` beside the scene) with absolute data and project
paths. None of ``P:/`` exists here: every file is in a library folder laid out
differently, found by ``--search-path``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

TEMPLATE = Path(__file__).parents[1] / "scenes" / "time_pal.ma"

REFERENCES = (
    'file -rdi 1 -ns "char" -rfn "charRN" -op "v=0;" -typ "mayaAscii" '
    '"P:/show/assets/char/char_rig.ma";\n'
    'file -rdi 2 -ns "body" -rfn "char:bodyRN" -op "v=0;" -typ "mayaAscii" '
    '"P:/show/assets/char/char_body.ma";\n'
    'file -r -ns "char" -dr 1 -rfn "charRN" -op "v=0;" -typ "mayaAscii" '
    '"P:/show/assets/char/char_rig.ma";\n'
)

NODES = r"""createNode file -n "skinFile";
	setAttr ".ftn" -type "string" "P:/show/tex/skin.1001.png";
	setAttr ".uvt" 3;
createNode file -n "fireFile";
	setAttr ".ftn" -type "string" "P:\\show\\fx\\fire.0001.png";
	setAttr ".ufe" yes;
createNode xgmPalette -n "hairColl";
	setAttr ".xfn" -type "string" "shot__hairColl.xgen";
	setAttr ".xpp" -type "string" "P:/show/";
createNode reference -n "charRN";
	setAttr ".ed" -type "dataReferenceEdits"
		"charRN"
		"charRN" 1
		2 "char:rigTex" "fileTextureName" " -type \"string\" \"P:/show/tex/rig_edited.png\"";
"""

RIG = (
    "//Maya ASCII 2025ff03 scene\n//Name: char_rig.ma\n//Codeset: 1252\n"
    'file -rdi 1 -ns "body" -rfn "bodyRN" -op "v=0;" -typ "mayaAscii" '
    '"P:/show/assets/char/char_body.ma";\n'
    'file -r -ns "body" -dr 1 -rfn "bodyRN" -op "v=0;" -typ "mayaAscii" '
    '"P:/show/assets/char/char_body.ma";\n'
    'requires maya "2025ff03";\n'
    'createNode file -n "rigTex";\n'
    '\tsetAttr ".ftn" -type "string" "P:/show/tex/rig_original.png";\n'
    'createNode reference -n "bodyRN";\n'
    '\tsetAttr ".ed" -type "dataReferenceEdits" \n\t\t"bodyRN"\n\t\t"bodyRN" 0;\n'
).replace("\n", "\r\n")

BODY = (
    "//Maya ASCII 2025ff03 scene\n//Name: char_body.ma\n//Codeset: 1252\n"
    'requires maya "2025ff03";\n'
    'createNode file -n "bodyTex";\n'
    '\tsetAttr ".ftn" -type "string" "P:/show/tex/body.png";\n'
)

XGEN = (
    "# XGen Collection File\n#\nFileVersion 18\n\nPalette\n"
    "\tname\t\t\thairColl\n"
    "\txgDataPath\t\tP:/show/xgen/collections/hairColl\n"
    "\txgProjectPath\t\tP:/show/\n"
    "\tendAttrs\n\nDescription\n\tname\t\t\thairDesc\n\tendAttrs\n\n"
    "SplinePrimitive\n\tname\t\t\tSplinePrimitive\n"
    "\tcacheFileName\t\t${DESC}/cache/hair.abc\n\tendAttrs\n"
)

LIBRARY_FILES = {
    "rigs/char_rig.ma": RIG,
    "rigs/char_body.ma": BODY,
    "caches/hair.abc": "alembic stand-in bytes",
}
IMAGES = {
    "maps/body.png": (10, 200, 10),
    "maps/rig_edited.png": (200, 10, 200),
    "maps/skin.1001.png": (200, 150, 100),
    "maps/skin.1002.png": (190, 140, 90),
    "seq/fire.0001.png": (250, 100, 0),
    "seq/fire.0002.png": (250, 110, 0),
    "seq/fire.0003.png": (250, 120, 0),
}

CLIENT_PATHS = {
    "P:/show/assets/char/char_rig.ma": "rigs/char_rig.ma",
    "P:/show/assets/char/char_body.ma": "rigs/char_body.ma",
    "P:/show/tex/body.png": "maps/body.png",
    "P:/show/tex/rig_edited.png": "maps/rig_edited.png",
    "P:/show/tex/skin.1001.png": "maps/skin.1001.png",
    "P:/show/tex/skin.1002.png": "maps/skin.1002.png",
    "P:/show/fx/fire.0001.png": "seq/fire.0001.png",
    "P:/show/fx/fire.0002.png": "seq/fire.0002.png",
    "P:/show/fx/fire.0003.png": "seq/fire.0003.png",
    "P:/show/xgen/collections/hairColl/hairDesc/cache/hair.abc": "caches/hair.abc",
}
"""Each studio path the scene names (directly or through its files) → where it is here."""


def windows_show(root: Path) -> tuple[Path, Path]:
    """Write the show under `root`: (the scene, the library folder to search)."""
    library = root / "library"
    for name, text in LIBRARY_FILES.items():
        path = library / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("cp1252"))
    for name, colour in IMAGES.items():
        path = library / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), colour).save(path)
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace('setAttr -k on ".ef" 50;', 'setAttr -k on ".ef" 2;')
    text = text.replace("//Codeset: 1252\n", "//Codeset: 1252\n" + REFERENCES, 1)
    text = text.replace("select -ne :time1;", NODES + "select -ne :time1;", 1)
    scene = root / "artist" / "scenes" / "shot.ma"
    scene.parent.mkdir(parents=True)
    scene.write_bytes(text.encode("cp1252"))
    (scene.parent / "shot__hairColl.xgen").write_bytes(XGEN.encode("utf-8"))
    return scene, library
