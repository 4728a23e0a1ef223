"""The panel in Maya follows the scene: it submits what is saved, and File > Open / New
reload its choices.

The stub session keeps `file -q -modified` (set by setAttr, fileInfo, reference loads),
`file -save` (counted), confirm dialogs (answered as a test says) and script jobs that
fire on `maya.stub.open_scene` and die with their parent control.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from maya_session import maya_stub_fixture  # noqa: F401 - the maya_stub fixture
from panel_support import copy_shot, wait_for

pytest.importorskip("farmhand.panel.window", reason="the panel widgets are not in this checkout")

SCENES = Path(__file__).resolve().parents[1] / "scenes"
SAVE_PREF = "farmhandSaveBeforeSubmit"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def _scene(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "scenes" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCENES / name, path)
    return path


def _ready_shot(root: Path) -> Path:
    """The example shot with its missing poster put back, so nothing blocks."""
    scene = copy_shot(root)
    poster = scene.parent.parent / "sourceimages" / "decals" / "poster_v002.png"
    poster.parent.mkdir(parents=True)
    poster.write_bytes(os.urandom(2000))
    return scene


def _log_in(qtbot, panel, server, token: str) -> None:
    form = panel.show_section("submit").login_form
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText(token)
    form.connect_button.click()
    wait_for(qtbot, lambda: panel.state.login.usable)
    wait_for(qtbot, lambda: panel.state.farm_loads >= 1)


# --------------------------------------------------------------------------- save first


def test_an_unmodified_scene_goes_as_it_is(maya_stub, config):
    from farmhand.maya_ui.host import MayaHost

    session = maya_stub.stub_open(_scene(config, "legacy_layers.ma"))
    assert MayaHost().prepare_submit()
    assert maya_stub.dialogs() == [] and session.saves == 0


def test_a_modified_scene_is_saved_when_the_artist_says_so(maya_stub, config):
    from farmhand.maya_ui.host import MayaHost
    from maya import cmds

    session = maya_stub.stub_open(_scene(config, "legacy_layers.ma"))
    cmds.setAttr("defaultResolution.w", 999)  # e.g. a re-path or a change in Maya
    maya_stub.answer_next("Cancel")
    assert not MayaHost().prepare_submit()  # nothing is submitted
    assert session.saves == 0 and cmds.file(query=True, modified=True)
    [asked] = maya_stub.dialogs()
    assert "unsaved changes" in asked["message"]
    assert asked["button"] == ["Save and submit", "Always save", "Cancel"]
    maya_stub.answer_next("Save and submit")
    assert MayaHost().prepare_submit()
    assert session.saves == 1 and not cmds.file(query=True, modified=True)
    assert not cmds.optionVar(exists=SAVE_PREF)  # asked again next time


def test_always_save_becomes_the_preference(maya_stub, config):
    from farmhand.maya_ui.host import MayaHost
    from maya import cmds

    session = maya_stub.stub_open(_scene(config, "legacy_layers.ma"))
    cmds.setAttr("defaultResolution.w", 999)
    maya_stub.answer_next("Always save")
    assert MayaHost().prepare_submit()
    assert cmds.optionVar(query=SAVE_PREF) == "always"
    cmds.setAttr("defaultResolution.w", 998)
    assert MayaHost().prepare_submit()
    assert len(maya_stub.dialogs()) == 1 and session.saves == 2  # saved without asking


def test_the_panel_submits_only_after_saving(maya_stub, config, farm, qtbot):
    """Through the real panel and a real farm: Cancel submits nothing; Save saves, then
    submits the saved file."""
    from farmhand.maya_ui import dock
    from maya import cmds

    server, token = farm
    session = maya_stub.stub_open(_ready_shot(config / "shot"))
    panel = dock.show_panel()
    _log_in(qtbot, panel, server, token)
    cmds.setAttr("defaultResolution.w", 640)
    maya_stub.answer_next("Cancel")
    assert not panel.submit()
    assert session.saves == 0 and not panel.submit_page.running
    assert server.session(token).get(server.url("/jobs")).json()["jobs"] == []
    maya_stub.answer_next("Save and submit")
    assert panel.submit()
    assert session.saves == 1
    page = panel.submit_page
    wait_for(qtbot, lambda: page.result is not None or page.error, timeout=60)
    assert panel.submit_page.error == ""
    dock.close_panel()


# --------------------------------------------------------------------------- open / new


def test_the_panel_follows_file_open_and_new(maya_stub, config):
    """Scene A's pending choices are not written into scene B; B's own are loaded."""
    from farmhand.maya_ui import dock
    from maya import cmds

    scene_a = _scene(config, "legacy_layers.ma")
    scene_b = _scene(config, "layers_and_cameras.ma")
    maya_stub.stub_open(scene_a)
    panel = dock.show_panel()
    assert Path(panel.state.analysis.scene_file) == scene_a
    panel.state.update(frames="1-3")  # waits on a timer to be saved into A's fileInfo
    maya_stub.open_scene(scene_b)
    assert Path(panel.state.analysis.scene_file) == scene_b
    assert panel.state.choices.frames != "1-3"
    assert "rs_fg" in panel.state.analysis.scene_info_render
    panel.state.flush_choices()
    assert "1-3" not in (cmds.fileInfo("farmhandChoices", query=True) or [""])[0]
    maya_stub.open_scene(None)  # File > New
    assert panel.state.analysis.scene_file.endswith("untitled")
    dock.close_panel()


def test_scene_jobs_die_with_the_control_and_are_not_duplicated(maya_stub, config):
    from farmhand.maya_ui import dock

    session = maya_stub.stub_open(_scene(config, "legacy_layers.ma"))
    dock.show_panel()
    dock._follow_scene_changes()
    jobs = session.ui.jobs
    assert sorted(event for event, _, _ in jobs.values()) == ["NewSceneOpened", "SceneOpened"]
    assert {parent for _, _, parent in jobs.values()} == {"farmhandWorkspaceControl"}
    dock.close_panel()
    maya_stub.open_scene(_scene(config, "layers_and_cameras.ma"))  # no panel: nothing runs
    assert session.ui.jobs == {}
