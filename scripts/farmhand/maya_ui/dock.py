"""The docked panel: one Maya workspace control holding the Farmhand panel.

`show_panel()` creates the control (floating the first time, dockable, not
retained: closing it deletes it) or brings the open one to the front.
Maya runs the control's uiScript, `restore()`, when it builds the control:
at once, and again when it restores a saved layout at start-up, so the panel
comes back after a restart. `close_panel()` deletes the control and its panel.
The panel is closed (so it saves its choices) before its control goes, also
when the artist closes the control. After File > Open or File > New the panel
reloads its choices from the new scene and reads it again (script jobs on
`SceneOpened` / `NewSceneOpened`, parented to the control so they die with it).
"""

from __future__ import annotations

from typing import Any

from farmhand.maya_ui import names, qt

UI_SCRIPT = "import farmhand.maya_ui.dock\nfarmhand.maya_ui.dock.restore()"
"""What Maya runs to build the control's contents (Python)."""

LABEL = "Farmhand"
"""The control's title (tab text when docked)."""

# Maya quirk: a widget only Maya's layout holds can lose its Python wrapper;
# keeping a reference here keeps the panel and its signal connections alive.
_panel: Any = None


def show_panel() -> Any:
    """Open the panel (or raise the open one) and return its widget; RuntimeError in batch mode."""
    from maya import cmds

    if cmds.about(batch=True):
        raise RuntimeError("the Farmhand panel needs an interactive Maya session")
    if cmds.workspaceControl(names.CONTROL, query=True, exists=True):
        cmds.workspaceControl(names.CONTROL, edit=True, restore=True)
    else:
        cmds.workspaceControl(
            names.CONTROL,
            label=LABEL,
            retain=False,
            floating=True,
            uiScript=UI_SCRIPT,
            initialWidth=460,
            initialHeight=720,
        )
    panel = current_panel()
    if panel is not None:
        return panel
    # The uiScript did not build it (Maya may defer it, or it failed and said why):
    # build it here so a failure reaches the caller, and leave no empty window behind.
    try:
        return _fill(_control_widget())
    except Exception:
        close_panel()
        raise


def close_panel() -> bool:
    """Close the panel and delete its workspace control; False when it was not open."""
    from maya import cmds

    if cmds.about(batch=True):
        return False
    _close_widget()
    existed = bool(cmds.workspaceControl(names.CONTROL, query=True, exists=True))
    if existed:
        cmds.deleteUI(names.CONTROL)
    return existed


def current_panel() -> Any:
    """The open panel widget, or None."""
    return _panel if qt.alive(_panel) else None


def restore() -> None:
    """The control's uiScript: build the panel into the control Maya is building.

    Runs at Maya start-up too, so it reports a failure in the Script Editor
    instead of raising.
    """
    import maya.OpenMayaUI as omui

    try:
        parent = omui.MQtUtil.getCurrentParent()
        if not parent:
            raise RuntimeError("Maya is not building a workspace control")
        _fill(qt.wrap(parent))
    except Exception as exc:
        from maya.api.OpenMaya import MGlobal

        MGlobal.displayError(f"Farmhand: the panel could not be opened: {exc}")


def _close_widget(*_: Any) -> None:
    """Close the panel widget (its closeEvent saves the choices); the control's closeCommand."""
    global _panel
    panel = current_panel()
    _panel = None
    if panel is not None:
        panel.close()


def main_window() -> Any:
    """Maya's main window as a QWidget (None in batch mode)."""
    import maya.OpenMayaUI as omui

    window = omui.MQtUtil.mainWindow()
    return qt.wrap(window) if window else None


def _control_widget() -> Any:
    import maya.OpenMayaUI as omui

    found = omui.MQtUtil.findControl(names.CONTROL)
    if not found:
        raise RuntimeError(f"Maya has no workspace control {names.CONTROL}")
    return qt.wrap(found)


def _fill(control: Any) -> Any:
    """Put a new panel into the control (once: an existing panel there is returned)."""
    global _panel
    import maya.OpenMayaUI as omui

    from farmhand.maya_ui.host import MayaHost
    from farmhand.panel import create_panel

    existing = current_panel()
    holder = existing.parentWidget() if existing is not None else None
    if holder is not None and qt.pointer(holder) == qt.pointer(control):
        return existing
    panel = create_panel(MayaHost(), control)
    panel.setObjectName(names.PANEL_OBJECT)
    omui.MQtUtil.addWidgetToMayaLayout(qt.pointer(panel), qt.pointer(control))
    panel.show()  # a child added to a visible parent stays hidden until shown
    if existing is not None:
        existing.close()
        existing.deleteLater()
    _panel = panel
    # Set on every build (a restored control has only its uiScript): Maya deletes an
    # unretained control when the artist closes it, without closing the widgets inside.
    from maya import cmds

    cmds.workspaceControl(names.CONTROL, edit=True, closeCommand=_close_widget)
    _follow_scene_changes()
    return panel


# Script jobs that tell the panel about File > Open / New; parented to the control, so
# Maya kills them with it. Kept to replace them when the panel is built again.
_jobs: list[int] = []

SCENE_EVENTS = ("SceneOpened", "NewSceneOpened")
"""Maya's scriptJob events after File > Open and File > New."""


def _follow_scene_changes() -> None:
    from maya import cmds

    for job in _jobs:
        if cmds.scriptJob(exists=job):
            cmds.scriptJob(kill=job, force=True)
    _jobs[:] = [
        cmds.scriptJob(event=[event, scene_changed], parent=names.CONTROL) for event in SCENE_EVENTS
    ]


def scene_changed() -> None:
    """Another scene is open: the panel drops the old scene's choices and reads the new one."""
    panel = current_panel()
    if panel is not None:
        panel.state.reload_scene()
