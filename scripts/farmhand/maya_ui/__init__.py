"""Farmhand inside Maya: the `farmhand` command, the menu, the shelf button and the docked panel.

The plug-in file (`plug-ins/farmhand_plugin.py`) only calls `plugin.initialize`
and `plugin.uninitialize`; everything else lives here, one concern a module:
`command` (the MPxCommand), `menu`, `shelf`, `dock` (the workspace control),
`host` (`MayaHost`, the panel's scene in a live session) and `plugin` (what
loading and unloading do). These modules import `maya` inside their
functions, so the package imports (and its docstrings run) without Maya.

>>> from farmhand.maya_ui import names
>>> names.COMMAND, names.CONTROL
('farmhand', 'farmhandWorkspaceControl')
"""
