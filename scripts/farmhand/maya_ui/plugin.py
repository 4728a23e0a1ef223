"""What loading and unloading the Farmhand plug-in does (`plug-ins/farmhand_plugin.py` calls it).

Load: register the `farmhand` command; in an interactive session also add
the menu and the shelf button, once Maya is idle (at start-up, autoloaded
plug-ins load before Maya has read the user's shelves). Unload: close the
panel, remove the menu and the button, deregister the command. A failure is
shown in a dialog (interactive sessions), written to the Script Editor, and
raised.
"""

from __future__ import annotations

from typing import Any

from farmhand.maya_ui import command, dock, menu, shelf

# False once unloaded, so a menu/shelf build still queued does nothing.
_loaded = False


def initialize(plugin: Any) -> None:
    """Called by initializePlugin with its MFnPlugin."""
    global _loaded
    try:
        command.register(plugin)
    except Exception as exc:
        report_failure("load", exc)
        raise
    _loaded = True
    if interactive():
        from maya import utils

        utils.executeDeferred(build_ui)


def build_ui() -> None:
    """Add the menu and the shelf button (again: nothing is duplicated)."""
    if not _loaded:
        return
    try:
        menu.build()
        shelf.install()
    except Exception as exc:
        report_failure("add its menu and shelf button", exc)
        raise


def uninitialize(plugin: Any) -> None:
    """Called by uninitializePlugin with its MFnPlugin; undoes everything `initialize` did."""
    global _loaded
    _loaded = False
    errors: list[Exception] = []
    steps = [dock.close_panel, menu.remove, shelf.remove] if interactive() else []
    for step in [*steps, lambda: command.deregister(plugin)]:
        try:
            step()
        except Exception as exc:  # undo the rest before reporting
            errors.append(exc)
    if errors:
        report_failure("unload", errors[0])
        raise errors[0]


def interactive() -> bool:
    """True in a Maya with a UI (not mayabatch, mayapy or Render)."""
    from maya import cmds

    return not cmds.about(batch=True)


def report_failure(action: str, exc: BaseException) -> None:
    """Tell the artist: the Script Editor always, a dialog in an interactive session."""
    import maya.api.OpenMaya as om

    message = f"Farmhand could not {action}: {exc}"
    om.MGlobal.displayError(message)
    if interactive():
        from maya import cmds

        cmds.confirmDialog(
            title="Farmhand",
            message=f"{message}\n\nThe Script Editor has the details.",
            button=["OK"],
            icon="critical",
        )
