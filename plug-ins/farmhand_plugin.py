"""Farmhand's Maya plug-in: the `farmhand` command, the Farmhand menu and the shelf button.

A thin file: the work is done by the `farmhand.maya_ui` package (the module's
`scripts/` folder). Load it with `cmds.loadPlugin("farmhand_plugin")`;
unloading removes the command, the menu, the button and the panel.
"""

import maya.api.OpenMaya as om

VENDOR = "Farmhand"
VERSION = "0.1.0"


def maya_useNewAPI():
    """Tells Maya this plug-in uses the Python API 2.0."""


def initializePlugin(mobject):
    """Maya calls this on load."""
    plugin = om.MFnPlugin(mobject, VENDOR, VERSION, "Any")
    try:
        from farmhand.maya_ui import plugin as farmhand_plugin
    except ImportError as exc:
        _cannot_import(exc)
        raise
    farmhand_plugin.initialize(plugin)


def uninitializePlugin(mobject):
    """Maya calls this on unload."""
    from farmhand.maya_ui import plugin as farmhand_plugin

    farmhand_plugin.uninitialize(om.MFnPlugin(mobject))


def _cannot_import(exc):
    from maya import cmds

    message = (
        f"Farmhand's Python package cannot be imported ({exc}). "
        "Install the Farmhand module (drag maya_module/install.py into Maya) "
        "so that its scripts/ folder is on PYTHONPATH."
    )
    om.MGlobal.displayError(message)
    if not cmds.about(batch=True):
        cmds.confirmDialog(title="Farmhand", message=message, button=["OK"], icon="critical")
