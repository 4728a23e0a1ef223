"""The docked panel: one workspace control, restored by its uiScript, closed cleanly.

The panel inside is the real one (`farmhand.panel.create_panel`) with a
`MayaHost` reading the stub scene.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from maya_session import maya_stub_fixture  # noqa: F401 - the maya_stub fixture

pytest.importorskip("farmhand.panel.window", reason="the panel widgets are not in this checkout")

SCENES = Path(__file__).resolve().parents[1] / "scenes"
CONTROL = "farmhandWorkspaceControl"


@pytest.fixture
def session(maya_stub, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return maya_stub.stub_open(SCENES / "legacy_layers.ma")


def controls(session) -> list:
    return [c for c in session.ui.walk() if c.kind == "workspaceControl"]


def test_show_creates_one_floating_control_restored_by_its_ui_script(session):
    from farmhand.maya_ui import dock
    from farmhand.maya_ui.host import MayaHost
    from maya import cmds

    panel = dock.show_panel()
    [control] = controls(session)
    assert control.name == CONTROL
    assert control.props["retain"] is False
    assert control.props["floating"] is True
    assert "farmhand.maya_ui.dock.restore()" in cmds.workspaceControl(
        CONTROL, query=True, uiScript=True
    )
    assert panel.objectName() == "farmhandPanel"
    assert isinstance(panel.host, MayaHost)
    assert panel.isVisible()


def test_panel_lives_in_the_control_under_maya_main_window(session):
    import maya.OpenMayaUI as omui
    from farmhand.maya_ui import dock, qt

    panel = dock.show_panel()
    holder = qt.wrap(omui.MQtUtil.findControl(CONTROL))
    assert qt.pointer(panel.parentWidget()) == qt.pointer(holder)
    assert holder.layout().indexOf(panel) >= 0
    main = dock.main_window()
    ancestors = []
    widget = panel
    while widget is not None:
        ancestors.append(qt.pointer(widget))
        widget = widget.parentWidget()
    assert qt.pointer(main) in ancestors


def test_second_show_raises_the_same_panel(session):
    from farmhand.maya_ui import dock

    first = dock.show_panel()
    first.parentWidget().hide()
    second = dock.show_panel()
    assert second is first
    assert len(controls(session)) == 1
    assert second.parentWidget().isVisible()


def test_close_deletes_the_control_and_closes_the_panel(session):
    from farmhand.maya_ui import dock, qt
    from maya import cmds

    panel = dock.show_panel()
    closed = []
    panel.destroyed.connect(lambda *_: closed.append(True))
    assert dock.close_panel() is True
    assert not cmds.workspaceControl(CONTROL, query=True, exists=True)
    assert dock.current_panel() is None
    assert not qt.alive(panel)
    assert closed == [True]
    assert dock.close_panel() is False  # nothing left to close


def test_closing_the_control_saves_the_choices(session):
    from farmhand.maya_ui import dock
    from maya import cmds

    panel = dock.show_panel()
    panel.state.choices.search_paths = ["/mnt/library"]
    cmds.workspaceControl(CONTROL, edit=True, close=True)  # the artist closes the window
    assert not cmds.workspaceControl(CONTROL, query=True, exists=True)
    assert dock.current_panel() is None
    stored = cmds.fileInfo("farmhandChoices", query=True)
    assert stored and "/mnt/library" in stored[0]


def test_maya_restoring_the_layout_rebuilds_the_panel(session):
    from farmhand.maya_ui import dock, names
    from maya import cmds

    # At start-up Maya recreates the saved control and runs its uiScript.
    cmds.workspaceControl(names.CONTROL, label="Farmhand", uiScript=dock.UI_SCRIPT)
    panel = dock.current_panel()
    assert panel is not None
    assert dock.show_panel() is panel
    assert len(controls(session)) == 1


def test_restore_reports_instead_of_raising(session):
    from farmhand.maya_ui import dock

    dock.restore()  # not called by Maya: there is no control being built
    [(level, text)] = [m for m in session.messages if "Farmhand" in m[1]]
    assert level == "error"
    assert "not building a workspace control" in text


def test_batch_mode_has_no_panel(maya_stub):
    from farmhand.maya_ui import dock

    maya_stub.stub_open(SCENES / "legacy_layers.ma", batch=True)
    with pytest.raises(RuntimeError, match="interactive"):
        dock.show_panel()
    assert dock.close_panel() is False
