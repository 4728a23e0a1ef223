"""The `farmhand` command (a Python API 2.0 MPxCommand).

    farmhand            open the panel docked in Maya, or bring it to the front
    farmhand -close     close the panel
    farmhand -analyse   return the open scene's analysis as JSON (batch mode too)

From Python: `cmds.farmhand()`, `cmds.farmhand(close=True)`,
`json.loads(cmds.farmhand(analyse=True))`. The class is built when the
plug-in registers it, because its base class comes from Maya.
"""

from __future__ import annotations

import json
from typing import Any

from farmhand.maya_ui import names

CLOSE = ("-c", "-close")
"""Flag: close the panel."""

ANALYSE = ("-a", "-analyse")
"""Flag: return the analysis of the open scene as JSON."""


def run(close: bool = False, analyse: bool = False) -> str | None:
    """What the command does; returns the command's result (the JSON for `-analyse`)."""
    from maya import cmds

    from farmhand.maya_ui import dock
    from farmhand.maya_ui.host import MayaHost

    if close and analyse:
        raise RuntimeError(f"{names.COMMAND}: -close and -analyse cannot be combined")
    if analyse:
        return json.dumps(MayaHost().analyse().to_dict())
    if close:
        dock.close_panel()
        return None
    if cmds.about(batch=True):
        raise RuntimeError(
            f"{names.COMMAND}: the panel needs an interactive session; "
            f"use `{names.COMMAND} -analyse` in batch mode"
        )
    dock.show_panel()
    return None


def register(plugin: Any) -> None:
    """Register the command with the plug-in being loaded (an `MFnPlugin`)."""
    import maya.api.OpenMaya as om

    plugin.registerCommand(names.COMMAND, _command_class(om), _syntax_creator(om))


def deregister(plugin: Any) -> None:
    """Remove the command (the plug-in is being unloaded)."""
    plugin.deregisterCommand(names.COMMAND)


def _syntax_creator(om: Any) -> Any:
    def create() -> Any:
        syntax = om.MSyntax()
        syntax.addFlag(*CLOSE)
        syntax.addFlag(*ANALYSE)
        return syntax

    return create


def _command_class(om: Any) -> type:
    class FarmhandCommand(om.MPxCommand):
        """`farmhand [-close | -analyse]`."""

        def __init__(self) -> None:
            super().__init__()

        def doIt(self, args: Any) -> None:
            parsed = om.MArgDatabase(self.syntax(), args)
            result = run(close=parsed.isFlagSet(CLOSE[0]), analyse=parsed.isFlagSet(ANALYSE[0]))
            if result is not None:
                self.setResult(result)

    return FarmhandCommand
