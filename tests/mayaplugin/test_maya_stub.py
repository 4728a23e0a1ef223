"""The stub Maya itself: it answers from the file and refuses what it does not implement."""

from __future__ import annotations

from pathlib import Path

import pytest
from maya_session import maya_stub_fixture  # noqa: F401 - the maya_stub fixture

SCENES = Path(__file__).resolve().parents[1] / "scenes"


def test_unimplemented_flags_are_named(maya_stub):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", batch=True)
    with pytest.raises(NotImplementedError, match="'long'"):
        cmds.ls(exactType="camera", long=True)
    with pytest.raises(NotImplementedError, match="'allDescendents'"):
        cmds.listRelatives("persp", allDescendents=True)
    with pytest.raises(NotImplementedError, match=r"mel\.eval"):
        __import__("maya.mel").mel.eval("polySphere")


def test_unknown_names_raise_as_maya_does(maya_stub):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma")
    with pytest.raises(ValueError, match=r"No object matches name: nothing\.tx"):
        cmds.getAttr("nothing.tx")
    with pytest.raises(ValueError, match="No object matches name"):
        cmds.getAttr("defaultRenderGlobals.notWrittenByTheFile")
    with pytest.raises(RuntimeError, match="Object 'noMenu' not found"):
        cmds.deleteUI("noMenu", menu=True)
    with pytest.raises(RuntimeError, match="not found on MAYA_PLUG_IN_PATH"):
        cmds.loadPlugin("no_such_plugin")


def test_answers_come_from_the_file(maya_stub):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_ntsc.ma")
    assert cmds.getAttr("defaultRenderGlobals.startFrame") == 101
    assert cmds.getAttr("defaultRenderGlobals.fs") == 101
    assert cmds.currentUnit(query=True, time=True) == "ntsc"
    assert cmds.currentUnit(query=True, linear=True) == "cm"
    assert cmds.listRelatives("perspShape", parent=True) == ["persp"]
    assert cmds.listRelatives("persp", parent=True) is None
    assert cmds.file(query=True, sceneName=True) == (SCENES / "time_ntsc.ma").as_posix()


def test_file_info_comes_back_escaped(maya_stub):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma")
    cmds.fileInfo("note", 'say "hi" \\ bye')
    assert cmds.fileInfo("note", query=True) == ['say \\"hi\\" \\\\ bye']
    assert cmds.fileInfo("absent", query=True) == []


def test_ui_commands_fail_in_batch_mode(maya_stub):
    import maya.OpenMayaUI as omui
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", batch=True)
    with pytest.raises(RuntimeError, match="batch mode"):
        cmds.shelfLayout("Farmhand", exists=True)
    assert omui.MQtUtil.mainWindow() is None
    assert cmds.about(batch=True) is True


def test_no_session_no_answers(maya_stub):
    from maya import cmds

    maya_stub.close()
    with pytest.raises(RuntimeError, match="no session is open"):
        cmds.ls(exactType="camera")


def test_standalone_starts_a_batch_session(maya_stub):
    import maya.standalone
    from maya import cmds

    maya.standalone.initialize(name="python")
    assert cmds.about(batch=True) is True
    assert cmds.file(query=True, sceneName=True) == ""
    maya.standalone.uninitialize()
