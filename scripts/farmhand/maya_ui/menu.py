"""The "Farmhand" menu in Maya's main menu bar.

Menus are not saved with Maya's prefs, so the menu is simply built on load
(replacing any left from an earlier load) and deleted on unload.
"""

from __future__ import annotations

from typing import Any

from farmhand.maya_ui import names

OPEN_LABEL = "Submission Panel"
"""The item that opens the panel."""

CLOSE_LABEL = "Close Panel"
"""The item that closes it."""


def main_window_name() -> str:
    """Maya's main window UI name (the `$gMainWindow` MEL global, `MayaWindow`)."""
    from maya import mel

    return mel.eval("$farmhandTmp = $gMainWindow")


def build() -> str:
    """(Re)create the menu and its items; returns the menu's full name."""
    from maya import cmds

    remove()
    menu = cmds.menu(names.MENU, label=names.MENU_LABEL, parent=main_window_name(), tearOff=True)
    cmds.menuItem(
        label=OPEN_LABEL,
        annotation="Open the Farmhand panel: what the scene renders and needs; submit it",
        image=names.ICON,
        command=_open_panel,
        parent=menu,
    )
    cmds.menuItem(
        label=CLOSE_LABEL,
        annotation="Close the Farmhand panel",
        command=_close_panel,
        parent=menu,
    )
    return menu


def remove() -> bool:
    """Delete the menu; False when there was none."""
    from maya import cmds

    if not cmds.menu(names.MENU, exists=True):
        return False
    cmds.deleteUI(names.MENU, menu=True)
    return True


def _open_panel(*_: Any) -> None:
    # Through the command, so the menu, the shelf and scripts share one entry point.
    from maya import cmds

    getattr(cmds, names.COMMAND)()


def _close_panel(*_: Any) -> None:
    from maya import cmds

    getattr(cmds, names.COMMAND)(close=True)
