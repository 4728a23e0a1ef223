"""LiveScene (maya.cmds) against the offline reader: same scene, same analysis.

Each scene is opened in the stub Maya (its answers come from the real `.ma`
file through our parser, with Maya's own habits: long attribute names in
`listConnections`, referenced nodes in `ls`, MEL-escaped fileInfo), and the
analysis through `LiveScene` must equal `analyze(path)` field for field.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import SCENES, corpus_root
from farmhand.scene import analyze, analyze_query
from maya_session import (  # noqa: F401 - the maya_stub fixture
    as_offline,
    maya_stub_fixture,
    without_binary_notices,
)

CORPUS = corpus_root()


def corpus_scenes() -> list[str]:
    """Every scene INDEX.tsv lists (empty when the corpus is absent)."""
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    lines = index.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines if line.strip()]


HANDWRITTEN = sorted(
    str(p.relative_to(SCENES)) for p in SCENES.rglob("*.ma") if p.name != "malformed_truncated.ma"
)


def live_analysis(stub, path: Path, **kwargs):
    from farmhand.scene.live import LiveScene

    stub.stub_open(path, **kwargs)
    return analyze_query(LiveScene())


@pytest.mark.parametrize("relative", corpus_scenes() or ["(corpus absent)"])
def test_corpus_scene_same_analysis_live_and_offline(maya_stub, corpus_dir, relative):
    path = corpus_dir / relative
    offline = without_binary_notices(analyze(path).to_dict())
    live = as_offline(live_analysis(maya_stub, path, batch=True).to_dict())
    assert live == offline
    json.dumps(live)  # and it is the JSON contract, not just equal objects


@pytest.mark.parametrize("relative", HANDWRITTEN)
def test_handwritten_scene_same_analysis_live_and_offline(maya_stub, relative):
    path = SCENES / relative
    offline = analyze(path).to_dict()
    live = as_offline(live_analysis(maya_stub, path, batch=True).to_dict())
    assert live == offline


def test_interactive_session_gives_the_same_analysis(maya_stub):
    path = SCENES / "render_setup_overrides.ma"
    live = as_offline(live_analysis(maya_stub, path).to_dict())
    assert live == analyze(path).to_dict()
    assert set(live["scene_info_render"]) == {"defaultRenderLayer", "rs_layerShort",
                                              "rs_layerCam", "rs_layerOff"}  # fmt: skip


def test_referenced_nodes_are_left_to_the_reference_reader(maya_stub):
    from farmhand.scene.live import LiveScene
    from maya import cmds

    maya_stub.stub_open(SCENES / "ref_edits.ma")
    # Maya lists the referenced file node; the adapter leaves it out, because the
    # scanner reads the referenced file itself (and applies the reference edits).
    assert "prop:crate_FILE" in cmds.ls(exactType="file")
    assert "prop:crate_FILE" not in LiveScene().nodes("file")
    deps = {d.node: d for d in analyze_query(LiveScene()).asset if d.kind == "texture"}
    assert deps["prop:crate_FILE"].path == "textures/prop/crate_edited.png"
    assert deps["prop:crate_FILE"].from_reference_edit


def test_textures_inside_a_binary_reference_are_collected_in_maya(maya_stub, tmp_path):
    # Offline an `.mb` reference cannot be read (a notice says so); inside Maya its nodes are
    # loaded, edits applied, so their files are listed. The stub loads a reference with its
    # parser, so the referenced file here is Maya ASCII text under an `.mb` name.
    import shutil

    from farmhand.scene.live import LiveScene

    shutil.copytree(SCENES / "textures", tmp_path / "textures")
    (tmp_path / "ref_edits_assets").mkdir()
    prop = (SCENES / "ref_edits_assets" / "prop.ma").read_text(encoding="utf-8")
    label = (
        'createNode file -n "label_FILE";\n'
        '\tsetAttr ".ftn" -type "string" "textures/prop/crate_orig.png";\n'
    )
    (tmp_path / "ref_edits_assets" / "prop.mb").write_text(
        prop.replace(
            'createNode file -n "crate_FILE";', label + 'createNode file -n "crate_FILE";'
        ),
        encoding="utf-8",
    )
    text = (SCENES / "ref_edits.ma").read_text(encoding="utf-8")
    scene = tmp_path / "binary_ref.ma"
    scene.write_text(
        text.replace(
            '"mayaAscii" "ref_edits_assets/prop.ma"', '"mayaBinary" "ref_edits_assets/prop.mb"'
        ),
        encoding="utf-8",
    )
    offline = analyze(scene)
    assert "binary-reference" in {d.code for d in offline.diagnostics}
    assert "prop:label_FILE" not in {d.node for d in offline.asset if d.kind == "texture"}
    maya_stub.stub_open(scene)
    live = analyze_query(LiveScene())
    assert "binary-reference" not in {d.code for d in live.diagnostics}
    textures = {d.node: d for d in live.asset if d.kind == "texture"}
    # The reference edit's path, applied by Maya, is the node's value.
    assert textures["prop:crate_FILE"].path == "textures/prop/crate_edited.png"
    assert textures["prop:crate_FILE"].exists
    assert textures["prop:label_FILE"].path == "textures/prop/crate_orig.png"


def test_connections_come_back_with_short_names(maya_stub):
    from farmhand.scene.live import LiveScene
    from maya import cmds

    maya_stub.stub_open(SCENES / "legacy_layers.ma")
    raw = cmds.listConnections("renderLayerManager", connections=True, plugs=True)
    assert any(".renderLayerId[" in plug for plug in raw)  # Maya reports long names
    pairs = LiveScene().connections("renderLayerManager")
    assert ("renderLayerManager.rlmi[0]", "defaultRenderLayer.rlid") in pairs
    assert all(".renderLayerId" not in src + dst for src, dst in pairs)


def test_nested_references_in_file_order(maya_stub):
    from farmhand.scene.live import LiveScene
    from farmhand.scene.maya_ascii import read_scene

    path = SCENES / "refs_nested" / "scenes" / "shot.ma"
    maya_stub.stub_open(path)
    live = [dataclasses.asdict(r) for r in LiveScene().references()]
    offline = [dataclasses.asdict(r) for r in read_scene(str(path)).references()]
    assert live == offline
    assert [(r["node"], r["depth"], r["loaded"], r["parent"]) for r in live] == [
        ("aRN", 1, True, None),
        ("a:bRN", 2, True, "assets/a.ma"),
        ("cRN", 1, False, None),
    ]


def test_second_load_of_one_file_gets_a_copy_number(maya_stub, corpus_dir):
    from farmhand.scene.live import LiveScene

    maya_stub.stub_open(corpus_dir / "zclongpop123/asset_exporter/example/test_scene2.ma")
    refs = LiveScene().references()
    assert [(r.node, r.copy_number) for r in refs] == [("rigRN", None), ("rigRN1", 1)]
    assert refs[0].path == refs[1].path == "D:/work/asset_exporter/example/ball.ma"


def test_header_from_the_saved_file_and_the_session(maya_stub):
    from farmhand.scene.live import LiveScene

    # The session is Maya 2026 in a UTF-8 locale; the file on disk was saved by 2022 in GBK.
    maya_stub.stub_open(SCENES / "codeset_936.ma", version="2026", codeset="UTF-8")
    header = LiveScene().header
    assert (header.maya_version, header.codeset) == ("2022", "936")  # lines 1 and 4
    maya_stub.stub_open(SCENES / "time_ntsc.ma", version="2026", codeset="UTF-8")
    header = LiveScene().header
    assert (header.maya_version, header.codeset) == ("2025ff03", "1252")
    assert header.time_unit == "ntsc"
    assert header.linear_unit == "centimeter"  # fullName, not `cm`
    assert header.file_info["version"] == "2025"


def test_untitled_scene_sits_in_the_project_and_uses_the_session(maya_stub, tmp_path):
    from farmhand.scene.live import UNTITLED, LiveScene

    maya_stub.stub_new(project=tmp_path, version="2026", codeset="1252")
    scene = LiveScene()
    assert not scene.saved
    assert scene.scene_path == str(tmp_path / UNTITLED)
    assert (scene.header.maya_version, scene.header.codeset) == ("2026", "1252")
    result = analyze_query(scene)
    assert result.scene_file == str(tmp_path / UNTITLED)
    assert result.asset == []


def test_missing_nodes_and_attributes_give_the_default(maya_stub):
    from farmhand.scene.live import LiveScene

    maya_stub.stub_open(SCENES / "time_pal.ma")
    scene = LiveScene()
    assert scene.get_attr("noSuchNode", "ftn", "fallback") == "fallback"
    assert scene.get_attr("defaultRenderGlobals", "notWritten", 7) == 7
    assert scene.node_type("noSuchNode") is None
    assert scene.parent("perspShape") == "persp"
    assert scene.parent("noSuchNode") is None
    assert scene.connections("noSuchNode") == []
    assert scene.attr_indices("noSuchNode", "adjs") == []
