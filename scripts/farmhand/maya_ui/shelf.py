"""The Farmhand shelf button, on a "Farmhand" shelf.

Maya saves shelves in the user's prefs, so the button of an earlier session
comes back by itself: it is found again by its label and updated in place,
never duplicated, and the shelf is never deleted and rebuilt. The user's
other buttons and shelves, and the shelf tab they had selected, are left as
they were.

Removing the shelf (when unloading leaves it empty) does what Autodesk's
`deleteShelfTab.mel` does, or Maya brings the shelf back at the next start:
the shelf's `shelfName/shelfFile/shelfLoad/shelfAlign<N>` optionVars are
removed (the later shelves' move down one, `numShelves` drops by one) and
`shelf_Farmhand.mel` is deleted from the user's shelf folders
(`internalVar -userShelfDir`).
"""

from __future__ import annotations

from farmhand.maya_ui import names

BUTTON_COMMAND = (
    "import maya.cmds as cmds\n"
    f"cmds.loadPlugin({names.PLUGIN!r}, quiet=True)\n"
    f"cmds.{names.COMMAND}()\n"
)
"""The button's Python command (saved with the shelf, so it loads the plug-in if needed)."""

ANNOTATION = "Farmhand: check the scene and submit it to the render farm"
"""The button's tooltip."""


def shelf_top_level() -> str:
    """The tab layout holding the shelves (the `$gShelfTopLevel` MEL global)."""
    from maya import mel

    return mel.eval("$farmhandTmp = $gShelfTopLevel")


def install() -> str:
    """Add the button to the Farmhand shelf (made when missing), or update the one there."""
    from maya import cmds

    top = shelf_top_level()
    selected = cmds.tabLayout(top, query=True, selectTab=True)
    if not cmds.shelfLayout(names.SHELF, exists=True):
        cmds.shelfLayout(names.SHELF, parent=top)
    settings = {
        "label": names.BUTTON_LABEL,
        "annotation": ANNOTATION,
        "image1": names.ICON,
        "imageOverlayLabel": "",
        "command": BUTTON_COMMAND,
        "sourceType": "python",
    }
    found = buttons()
    if found:
        button = found[0]
        cmds.shelfButton(button, edit=True, **settings)
        for extra in found[1:]:  # copies an older version may have left
            cmds.deleteUI(extra, control=True)
    else:
        button = cmds.shelfButton(parent=names.SHELF, **settings)
    if selected:
        cmds.tabLayout(top, edit=True, selectTab=selected)
    return button


def buttons() -> list[str]:
    """The Farmhand buttons on the Farmhand shelf (by label)."""
    from maya import cmds

    if not cmds.shelfLayout(names.SHELF, exists=True):
        return []
    return [
        child
        for child in cmds.shelfLayout(names.SHELF, query=True, childArray=True) or []
        if cmds.objectTypeUI(child) == "shelfButton"
        and cmds.shelfButton(child, query=True, label=True) == names.BUTTON_LABEL
    ]


def remove() -> None:
    """Delete the Farmhand button; the shelf too when nothing else is left on it."""
    from maya import cmds

    for button in buttons():
        cmds.deleteUI(button, control=True)
    if cmds.shelfLayout(names.SHELF, exists=True) and not cmds.shelfLayout(
        names.SHELF, query=True, childArray=True
    ):
        delete_shelf_tab(names.SHELF)


SHELF_VARS = ("shelfName", "shelfFile", "shelfLoad", "shelfAlign")
"""The optionVars Maya keeps per shelf, numbered from 1 in tab order."""


def delete_shelf_tab(shelf: str) -> None:
    """Delete a shelf as Autodesk's `deleteShelfTab` does (without its confirm dialog)."""
    import os

    from maya import cmds

    count = 0
    while cmds.optionVar(exists=f"shelfName{count + 1}"):
        count += 1
    index = next(
        (i for i in range(1, count + 1) if cmds.optionVar(query=f"shelfName{i}") == shelf), None
    )
    if index is not None:
        for i in range(index, count):  # the later shelves move down one
            for var in SHELF_VARS:
                if cmds.optionVar(exists=f"{var}{i + 1}"):
                    _set_option(f"{var}{i}", cmds.optionVar(query=f"{var}{i + 1}"))
                else:
                    cmds.optionVar(remove=f"{var}{i}")
        for var in SHELF_VARS:
            cmds.optionVar(remove=f"{var}{count}")
        if cmds.optionVar(exists="numShelves"):
            cmds.optionVar(intValue=("numShelves", count - 1))
    if cmds.shelfLayout(shelf, exists=True):
        cmds.deleteUI(shelf, layout=True)
    for folder in cmds.internalVar(userShelfDir=True).split(os.pathsep):
        for name in (f"shelf_{shelf}.mel", f"shelf_{shelf}.mel.deleted"):
            path = os.path.join(folder, name)
            if folder and os.path.isfile(path):
                os.remove(path)


def _set_option(name: str, value: object) -> None:
    from maya import cmds

    if isinstance(value, int):
        cmds.optionVar(intValue=(name, value))
    else:
        cmds.optionVar(stringValue=(name, str(value)))
