"""The plug-in file loaded by the stub Maya: command, menu and shelf button come and go."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from maya_session import PLUGIN_DIR, maya_stub_fixture  # noqa: F401 - the maya_stub fixture

SCENES = Path(__file__).resolve().parents[1] / "scenes"
needs_panel = pytest.mark.skipif(
    importlib.util.find_spec("farmhand.panel.window") is None,
    reason="the panel widgets (farmhand.panel.window) are not in this checkout",
)


@pytest.fixture
def session(maya_stub, tmp_path, monkeypatch):
    """An interactive stub session on a small scene; the panel's prefs go to tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return maya_stub.stub_open(SCENES / "time_pal.ma")


def load(stub) -> None:
    from maya import cmds

    assert cmds.loadPlugin("farmhand_plugin") == ["farmhand_plugin"]
    stub.process_idle()  # the menu and shelf are built when Maya is idle


def farmhand_buttons() -> list[str]:
    from maya import cmds

    children = cmds.shelfLayout("Farmhand", query=True, childArray=True) or []
    return [c for c in children if cmds.shelfButton(c, query=True, label=True) == "Farmhand"]


def ui_paths(session) -> list[str]:
    return sorted(c.path for c in session.ui.walk())


def test_load_registers_command_menu_and_shelf_button(maya_stub, session):
    from maya import cmds

    load(maya_stub)
    assert cmds.pluginInfo("farmhand_plugin", query=True, command=True) == ["farmhand"]
    assert callable(cmds.farmhand)
    assert cmds.menu("farmhandMenu", exists=True)
    labels = [cmds.menuItem(i, query=True, label=True)
              for i in cmds.menu("farmhandMenu", query=True, itemArray=True)]  # fmt: skip
    assert labels == ["Submission Panel", "Close Panel"]
    [button] = farmhand_buttons()
    assert cmds.shelfButton(button, query=True, sourceType=True) == "python"
    assert cmds.shelfButton(button, query=True, image1=True) == "farmhand.svg"
    # the artist's selected shelf tab stays selected
    assert cmds.tabLayout("ShelfLayout", query=True, selectTab=True) == "General"


@needs_panel
def test_unload_removes_everything_it_added(maya_stub, session):
    from maya import cmds

    before = ui_paths(session)
    load(maya_stub)
    cmds.farmhand()
    assert cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)
    cmds.unloadPlugin("farmhand_plugin")
    assert not hasattr(cmds, "farmhand")
    assert not cmds.menu("farmhandMenu", exists=True)
    assert not cmds.shelfLayout("Farmhand", exists=True)
    assert not cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)
    assert ui_paths(session) == before


def test_loading_again_duplicates_nothing(maya_stub, session):
    from farmhand.maya_ui import plugin
    from maya import cmds

    load(maya_stub)
    first = ui_paths(session)
    plugin.build_ui()  # a second build (a second deferred call) changes nothing
    assert len(farmhand_buttons()) == 1
    assert [p.rsplit("|", 1)[0] for p in ui_paths(session)] == [p.rsplit("|", 1)[0] for p in first]
    cmds.unloadPlugin("farmhand_plugin")
    load(maya_stub)
    assert len(farmhand_buttons()) == 1
    assert [p.rsplit("|", 1)[0] for p in ui_paths(session)] == [
        p.rsplit("|", 1)[0] for p in first
    ]  # same controls in the same places (menu item names are counters)


def test_a_saved_farmhand_shelf_is_updated_in_place(maya_stub, session):
    from farmhand.maya_ui.shelf import BUTTON_COMMAND
    from maya import cmds

    # What Maya restores from the user's prefs: the Farmhand shelf from last time,
    # with an old Farmhand button and a button the artist added.
    cmds.shelfLayout("Farmhand", parent="ShelfLayout")
    old = cmds.shelfButton(parent="Farmhand", label="Farmhand", command="print('old')",
                           sourceType="python", image1="old.png")  # fmt: skip
    mine = cmds.shelfButton(parent="Farmhand", label="My tool", command="print('mine')",
                            sourceType="python")  # fmt: skip
    load(maya_stub)
    assert farmhand_buttons() == [old.rpartition("|")[2]]
    assert cmds.shelfButton(old, query=True, command=True) == BUTTON_COMMAND
    assert cmds.shelfButton(old, query=True, image1=True) == "farmhand.svg"
    assert cmds.shelfButton(mine, query=True, command=True) == "print('mine')"
    cmds.unloadPlugin("farmhand_plugin")
    assert cmds.shelfLayout("Farmhand", query=True, childArray=True) == [mine.rpartition("|")[2]]


def test_other_shelves_and_their_buttons_survive(maya_stub, session):
    from maya import cmds

    tool = cmds.shelfButton(parent="Rendering", label="Farmhand", command="print(1)",
                            sourceType="python")  # fmt: skip
    cmds.tabLayout("ShelfLayout", edit=True, selectTab="Rendering")
    load(maya_stub)
    cmds.unloadPlugin("farmhand_plugin")
    assert cmds.shelfLayout("Rendering", query=True, childArray=True) == [tool.rpartition("|")[2]]
    assert cmds.tabLayout("ShelfLayout", query=True, selectTab=True) == "Rendering"


@needs_panel
def test_shelf_button_and_menu_open_and_close_the_panel(maya_stub, session):
    from maya import cmds

    load(maya_stub)
    [button] = farmhand_buttons()
    maya_stub.click(button)
    assert cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)
    items = cmds.menu("farmhandMenu", query=True, itemArray=True)
    maya_stub.click(items[1])  # Close Panel
    assert not cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)
    maya_stub.click(items[0])  # Submission Panel
    assert cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)


@needs_panel
def test_shelf_button_loads_the_plugin_when_it_is_not_loaded(maya_stub, session):
    from maya import cmds

    load(maya_stub)
    [button] = farmhand_buttons()
    command = cmds.shelfButton(button, query=True, command=True)
    cmds.unloadPlugin("farmhand_plugin")
    # the button is saved with the shelf; pressed in a session without the plug-in:
    exec(compile(command, "<shelf button>", "exec"), {})
    assert cmds.pluginInfo("farmhand_plugin", query=True, loaded=True)
    assert cmds.workspaceControl("farmhandWorkspaceControl", query=True, exists=True)


def test_batch_mode_registers_only_the_command(maya_stub):
    from maya import cmds

    maya_stub.stub_open(SCENES / "time_pal.ma", batch=True)
    cmds.loadPlugin("farmhand_plugin")
    assert maya_stub.process_idle() == 0  # no UI work queued
    result = json.loads(cmds.farmhand(analyse=True))
    assert result["scene_file"] == str(SCENES / "time_pal.ma")
    with pytest.raises(RuntimeError, match="interactive"):
        cmds.farmhand()
    with pytest.raises(RuntimeError, match="batch mode"):
        cmds.menu("farmhandMenu", exists=True)  # there is no UI at all
    cmds.unloadPlugin("farmhand_plugin")
    assert not hasattr(cmds, "farmhand")


def test_command_flags(maya_stub, session):
    from maya import cmds

    load(maya_stub)
    assert json.loads(cmds.farmhand(a=True))["time_unit"] == "pal"
    with pytest.raises(RuntimeError, match="cannot be combined"):
        cmds.farmhand(close=True, analyse=True)
    with pytest.raises(TypeError, match="Invalid flag"):
        cmds.farmhand(open=True)


def test_load_failure_shows_a_dialog_raises_and_leaves_nothing(maya_stub, session, tmp_path):
    from maya import cmds

    # Another plug-in already owns the `farmhand` command.
    rival = tmp_path / "rival_plugin.py"
    rival.write_text(
        "import maya.api.OpenMaya as om\n"
        "class Rival(om.MPxCommand):\n"
        "    def doIt(self, args): pass\n"
        "def maya_useNewAPI(): pass\n"
        "def initializePlugin(m): om.MFnPlugin(m).registerCommand('farmhand', Rival)\n"
        "def uninitializePlugin(m): om.MFnPlugin(m).deregisterCommand('farmhand')\n",
        encoding="utf-8",
    )
    cmds.loadPlugin(str(rival))
    with pytest.raises(RuntimeError, match=re.escape("initializePlugin function failed")):
        cmds.loadPlugin("farmhand_plugin")
    [dialog] = maya_stub.dialogs()
    assert dialog["title"] == "Farmhand"
    assert "Farmhand could not load" in dialog["message"]
    assert "farmhand exists" in dialog["message"]
    assert not cmds.pluginInfo("farmhand_plugin", query=True, loaded=True)
    assert maya_stub.process_idle() == 0
    assert not cmds.menu("farmhandMenu", exists=True)
    assert any("Farmhand could not load" in text for level, text in maya_stub.session().messages)


def test_missing_package_is_reported_by_the_plugin_file(maya_stub, session, monkeypatch):
    import sys

    from maya import cmds

    # A Maya without the module's scripts/ folder on PYTHONPATH.
    monkeypatch.setitem(sys.modules, "farmhand.maya_ui", None)
    with pytest.raises(RuntimeError):
        cmds.loadPlugin("farmhand_plugin")
    [dialog] = maya_stub.dialogs()
    assert "cannot be imported" in dialog["message"]
    assert "install.py" in dialog["message"]


def test_plugin_version_is_the_package_version(maya_stub, session):
    import farmhand
    from maya import cmds

    load(maya_stub)
    assert cmds.pluginInfo("farmhand_plugin", query=True, version=True) == farmhand.__version__
    assert (PLUGIN_DIR / "farmhand_plugin.py").is_file()


def test_removing_the_shelf_forgets_it_as_delete_shelf_tab_does(maya_stub, session):
    """Maya saved the Farmhand shelf at exit (its file and optionVars): unloading the plug-in
    must remove them too, or the empty shelf comes back at the next start."""
    from maya import cmds

    load(maya_stub)
    shelves = ["General", "Farmhand", "Rendering"]
    for i, name in enumerate(shelves, 1):
        cmds.optionVar(stringValue=(f"shelfName{i}", name))
        cmds.optionVar(stringValue=(f"shelfFile{i}", f"shelf_{name}"))
        cmds.optionVar(intValue=(f"shelfLoad{i}", 1))
        cmds.optionVar(stringValue=(f"shelfAlign{i}", "left"))
    cmds.optionVar(intValue=("numShelves", 3))
    folder = Path(cmds.internalVar(userShelfDir=True))
    folder.mkdir(parents=True, exist_ok=True)
    for name in shelves:
        (folder / f"shelf_{name}.mel").write_text("global proc shelf() {}\n", encoding="utf-8")
    cmds.unloadPlugin("farmhand_plugin")
    assert not cmds.shelfLayout("Farmhand", exists=True)
    assert sorted(p.name for p in folder.iterdir()) == ["shelf_General.mel", "shelf_Rendering.mel"]
    options = maya_stub.session().option_vars
    assert {k: v for k, v in options.items() if k.startswith("shelf")} == {
        "shelfName1": "General", "shelfFile1": "shelf_General", "shelfLoad1": 1,
        "shelfAlign1": "left", "shelfName2": "Rendering", "shelfFile2": "shelf_Rendering",
        "shelfLoad2": 1, "shelfAlign2": "left",
    }  # fmt: skip
    assert options["numShelves"] == 2
