"""MayaHost: the panel's scene in a live session (analysis, re-path, selection, choices)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from farmhand.panel.host import SceneHost
from farmhand.scene import analyze
from maya_session import as_offline, maya_stub_fixture  # noqa: F401 - the maya_stub fixture

SCENES = Path(__file__).resolve().parents[1] / "scenes"


@pytest.fixture
def host(maya_stub):
    from farmhand.maya_ui.host import MayaHost

    return MayaHost()


def test_is_a_scene_host(host):
    assert isinstance(host, SceneHost)
    assert host.name == "maya"


def test_scene_path_and_untitled(maya_stub, host):
    maya_stub.stub_open(SCENES / "time_pal.ma")
    assert host.scene_path() == SCENES / "time_pal.ma"
    maya_stub.stub_new()
    assert host.scene_path() is None


def test_analyse_uses_the_session_project_when_the_scene_is_in_it(maya_stub, host):
    shot = SCENES / "refs_nested" / "scenes" / "shot.ma"
    maya_stub.stub_open(shot, project=SCENES / "refs_nested")
    assert as_offline(host.analyse().to_dict()) == analyze(shot).to_dict()
    assert host.analyse().project == str(SCENES / "refs_nested")


def test_analyse_ignores_a_project_the_scene_is_not_in(maya_stub, host, tmp_path):
    scene = SCENES / "file_kinds" / "file_kinds.ma"
    maya_stub.stub_open(scene, project=tmp_path)
    result = host.analyse()
    assert result.project == str(SCENES / "file_kinds")  # found from the scene's folder
    assert as_offline(result.to_dict()) == analyze(scene).to_dict()


def test_analyse_with_search_paths_finds_a_moved_file(maya_stub, host):
    scene = SCENES / "moved_texture" / "scene.ma"
    maya_stub.stub_open(scene)
    library = SCENES / "moved_texture" / "library"
    result = host.analyse([library])
    assert as_offline(result.to_dict()) == analyze(scene, search_paths=[library]).to_dict()
    assert [d.found_by for d in result.asset if d.kind == "texture"] == ["search_path"]


def test_repath_sets_the_attribute_and_the_next_analysis_sees_it(maya_stub, host, tmp_path):
    from maya import cmds

    maya_stub.stub_open(SCENES / "moved_texture" / "scene.ma")
    before = [d for d in host.analyse().asset if d.kind == "texture"]
    assert [d.exists for d in before] == [False]
    moved = SCENES / "moved_texture" / "library" / "wood.png"
    host.repath(before[0].node, before[0].attribute, moved.as_posix())
    assert cmds.getAttr(f"{before[0].node}.{before[0].attribute}") == moved.as_posix()
    after = [d for d in host.analyse().asset if d.kind == "texture"]
    assert (after[0].path, after[0].exists) == (moved.as_posix(), True)


def test_repath_a_reference_reloads_it_from_the_new_file(maya_stub, host, tmp_path):
    from maya import cmds

    maya_stub.stub_open(SCENES / "ref_edits.ma")
    copy = tmp_path / "prop_v2.ma"
    shutil.copy(SCENES / "ref_edits_assets" / "prop.ma", copy)
    host.repath("propRN", "fileNames", copy.as_posix())
    assert cmds.referenceQuery("propRN", filename=True, unresolvedName=True) == copy.as_posix()
    refs = [d for d in host.analyse().asset if d.kind == "reference"]
    assert [(d.path, d.exists) for d in refs] == [(copy.as_posix(), True)]


@pytest.mark.parametrize(
    ("node", "attribute", "path", "message"),
    [
        ("kindsFile", "fileTextureName", "  ", "empty"),
        ("noSuchNode", "fileTextureName", "/x.png", "no node"),
        # a texture an Arnold stand-in names inside its .ass file
        ("rockStandInShape", "dso (rock.ass)", "/x.png", "inside another file"),
    ],
)
def test_repath_refuses_what_it_cannot_do(maya_stub, host, node, attribute, path, message):
    maya_stub.stub_open(SCENES / "file_kinds" / "file_kinds.ma")
    with pytest.raises(ValueError, match=message):
        host.repath(node, attribute, path)


def test_select_replaces_the_selection(maya_stub, host):
    from maya import cmds

    maya_stub.stub_open(SCENES / "legacy_layers.ma")
    host.select("perspShape")
    host.select("persp")
    assert cmds.ls(selection=True) == ["persp"]
    with pytest.raises(ValueError, match="no node"):
        host.select("noSuchNode")


def test_choices_round_trip_through_file_info(maya_stub, host):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma")
    assert host.load_choices() == {}
    choices = {
        "note": 'the "hero" shot \\ take 2',
        "search_paths": ["C:\\textures", "/mnt/bibliothèque"],
        "artist": "Zoë 张",
        "frames": "1-10",
    }
    host.save_choices(choices)
    assert host.load_choices() == choices
    stored = cmds.fileInfo("farmhandChoices", query=True)[0]
    assert stored.startswith('{\\"')  # Maya hands fileInfo back MEL-escaped
    assert stored.isascii()  # safe in a scene saved in any codeset


def test_unreadable_choices_are_empty_and_bad_input_refused(maya_stub, host):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma")
    cmds.fileInfo("farmhandChoices", "not json")
    assert host.load_choices() == {}
    cmds.fileInfo("farmhandChoices", "[1, 2]")
    assert host.load_choices() == {}
    with pytest.raises(TypeError, match="dict"):
        host.save_choices(["not", "a", "dict"])
