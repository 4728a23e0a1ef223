"""The `.ma` reader statement by statement, on small scenes written here."""

from __future__ import annotations

from pathlib import Path

import pytest
from farmhand.scene.attributes import canonical
from farmhand.scene.errors import BinarySceneError, SceneError
from farmhand.scene.maya_ascii import read_scene
from farmhand.scene.timeunits import fps

HEADER = "//Maya ASCII 2024ff02 scene\n//Name: t.ma\n//Codeset: UTF-8\n"


def _read(tmp_path: Path, body: str, **kwargs):
    path = tmp_path / "t.ma"
    path.write_text(HEADER + body, encoding="utf-8")
    return read_scene(str(path), **kwargs)


def test_header_requires_units_and_file_info(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'requires maya "2024";\n'
        'requires -nodeType "aiOptions" -nodeType "aiAOVDriver"\n\t\t "mtoa" "5.3.4.1";\n'
        "currentUnit -linear meter -angle radian -time ntscf;\n"
        'fileInfo "version" "2024";\nfileInfo "osv" "Linux 5.15\\n";\n',
    )
    header = scene.header
    assert header.maya_version == "2024ff02" and header.codeset == "UTF-8"
    assert header.requires == {"maya": "2024", "mtoa": "5.3.4.1"}
    assert (header.linear_unit, header.angle_unit, header.time_unit) == ("meter", "radian", "ntscf")
    assert header.file_info == {"version": "2024", "osv": "Linux 5.15\n"}


def test_create_node_forms_and_parents(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode transform -s -n "persp";\n'
        'createNode camera -s -n "perspShape" -p "persp";\n'
        'createNode transform -name "grp";\n'
        'createNode transform -name "cam" -parent "grp";\n'
        'createNode camera -name "camShape" -parent "|grp|cam" -shared;\n',
    )
    assert scene.nodes("camera") == ["perspShape", "camShape"]
    assert scene.parent("camShape") == "cam" and scene.parent("cam") == "grp"
    assert scene.node_type("grp") == "transform" and scene.node_type("nothing") is None


def test_set_attr_values_flags_and_booleans(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode unknownThing -n "n";\n'
        '\tsetAttr -k on ".a" yes;\n\tsetAttr -l on ".b" off;\n\tsetAttr -cb on ".c" true;\n'
        '\tsetAttr ".d" no;\n\tsetAttr -av ".e" -3.5e+02;\n'
        '\tsetAttr -s 4 ".ktv[0:3]"  1 0 5 1.5 10 2\n\t\t 20 0;\n'
        '\tsetAttr ".t" -type "double3" 1 2 3 ;\n'
        '\tsetAttr ".names" -type "stringArray" 2 "a b" "c"  ;\n'
        '\tsetAttr -k on ".onlyflags";\n',
    )
    get = scene.get_attr
    assert (get("n", "a"), get("n", "b"), get("n", "c"), get("n", "d")) == (
        True,
        False,
        True,
        False,
    )
    assert get("n", "e") == -350.0
    assert get("n", "ktv[0:3]") == [1, 0, 5, 1.5, 10, 2, 20, 0]
    assert scene.attr_indices("n", "ktv") == [0, 1, 2, 3]
    assert get("n", ".t") == [1, 2, 3]
    assert get("n", "names") == ["a b", "c"]
    assert get("n", "onlyflags", "unset") == "unset"  # flags alone set no value


def test_select_default_nodes_and_long_names(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        "select -ne :defaultRenderGlobals;\n"
        '\tsetAttr ".ren" -type "string" "arnold";\n'
        'select -noExpand :defaultResolution;\n\tsetAttr ".width" 2048;\n',
    )
    assert scene.node_type("defaultRenderGlobals") == "renderGlobals"
    assert scene.get_attr("defaultRenderGlobals", "currentRenderer") == "arnold"
    # `.width` was written long; both spellings reach it.
    assert scene.get_attr("defaultResolution", "w") == 2048
    assert scene.get_attr("defaultResolution", "width") == 2048
    assert canonical("adjustments[2].value") == "adjs[2].val"


def test_rename_both_forms(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode file -n "file1";\n\trename -uid "AB-CD";\n\trename "tex";\n'
        '\tsetAttr ".ftn" -type "string" "a.png";\n'
        'createNode file -n "file2";\nrename "file2" "other";\n',
    )
    assert scene.nodes("file") == ["tex", "other"]
    assert scene.get_attr("tex", "fileTextureName") == "a.png"


def test_add_attr_default_value(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode absOverride -n "o";\n'
        '\taddAttr -ci true -sn "atv" -ln "attrValue" -dv 7 -at "long";\n'
        'createNode absOverride -n "p";\n'
        '\taddAttr -ci true -sn "atv" -ln "attrValue" -dv 7 -at "long";\n\tsetAttr ".atv" 3;\n',
    )
    assert scene.get_attr("o", "attrValue") == 7 and scene.get_attr("o", "atv") == 7
    assert scene.get_attr("p", "atv") == 3


def test_references_tree_copy_numbers_and_unloaded(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'file -rdi 1 -ns "a" -rfn "aRN" -op "v=0;" -typ "mayaAscii" "assets/a.ma";\n'
        'file -rdi 2 -ns "b" -rfn "a:bRN" -typ "mayaAscii" "assets/b.ma";\n'
        'file -rdi 1 -ns "a1" -dr 1 -rfn "aRN1" -op "v=0;" -typ "mayaAscii" "assets/a.ma{1}";\n'
        'file -r -ns "a" -dr 1 -rfn "aRN" -op "v=0;" -typ "mayaAscii" "assets/a.ma";\n'
        'file -r -ns "a1" -dr 1 -rfn "aRN1" -op "v=0;" -typ "mayaAscii" "assets/a.ma{1}";\n',
    )
    refs = {(r.node, r.path): r for r in scene.references()}
    assert set(refs) == {("aRN", "assets/a.ma"), ("a:bRN", "assets/b.ma"), ("aRN1", "assets/a.ma")}
    assert refs[("aRN", "assets/a.ma")].loaded and refs[("aRN", "assets/a.ma")].depth == 1
    nested = refs[("a:bRN", "assets/b.ma")]
    assert nested.depth == 2 and nested.parent == "assets/a.ma"
    copy = refs[("aRN1", "assets/a.ma")]
    assert copy.copy_number == 1 and not copy.loaded


def test_reference_edits_are_read(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode reference -n "aRN";\n'
        '\tsetAttr ".ed" -type "dataReferenceEdits" \n\t\t"aRN"\n\t\t"aRN" 0\n'
        '\t\t"aRN" 2\n\t\t2 "|a:grp" "visibility" " 0"\n'
        '\t\t2 "a:file1" "fileTextureName" " -type \\"string\\" \\"D:/tex/w;ood.png\\""\n'
        '\t\t5 4 "aRN" "|a:grp.drawOverride" "aRN.placeHolderList[1]";\n',
    )
    assert scene.reference_edits("aRN") == [
        ("|a:grp", "visibility", " 0"),
        ("a:file1", "fileTextureName", ' -type "string" "D:/tex/w;ood.png"'),
    ]


def test_connections_touching_a_node(tmp_path: Path) -> None:
    scene = _read(
        tmp_path,
        'createNode renderLayer -n "bg";\ncreateNode camera -n "camShape";\n'
        'connectAttr "camShape.rnd" "bg.adjs[0].plg";\n'
        'connectAttr ":defaultRenderGlobals.msg" ":defaultRenderingList1.rendering" -na;\n',
    )
    assert scene.connections("bg") == [("camShape.rnd", "bg.adjs[0].plg")]
    assert scene.connections("defaultRenderGlobals") == [
        ("defaultRenderGlobals.msg", "defaultRenderingList1.rendering")
    ]


def test_binary_scene_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "b.mb"
    path.write_bytes(b"FOR4\x00\x00\x00\x10Maya" + b"VERS\x00\x00\x00\x042019" + b"\x00" * 32)
    with pytest.raises(BinarySceneError) as err:
        read_scene(str(path))
    assert err.value.maya_version == "2019" and "Maya 2019" in str(err.value)


def test_not_a_scene(tmp_path: Path) -> None:
    path = tmp_path / "x.ma"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(SceneError, match="not a Maya ASCII scene"):
        read_scene(str(path))


@pytest.mark.parametrize(
    ("unit", "rate"),
    [("game", 15), ("film", 24), ("pal", 25), ("ntsc", 30), ("show", 48), ("palf", 50),
     ("ntscf", 60), ("sec", 1), ("millisec", 1000), ("23.976fps", 23.976), ("80fps", 80)],
)  # fmt: skip
def test_time_unit_rates(unit: str, rate: float) -> None:
    assert fps(unit) == pytest.approx(rate)


def test_unknown_time_unit() -> None:
    with pytest.raises(ValueError, match="unknown Maya time unit"):
        fps("lightyears")
