"""The names Farmhand gives its things inside Maya (one place, so install and removal agree)."""

PLUGIN = "farmhand_plugin"
"""The plug-in's name (`farmhand_plugin.py` on MAYA_PLUG_IN_PATH)."""

COMMAND = "farmhand"
"""The command: `farmhand` opens the panel, `farmhand -close` closes it, `-analyse` returns JSON."""

MENU = "farmhandMenu"
"""The "Farmhand" menu in Maya's main menu bar."""

MENU_LABEL = "Farmhand"
"""The menu's title."""

SHELF = "Farmhand"
"""The shelf tab holding the button (created when missing, never rebuilt)."""

BUTTON_LABEL = "Farmhand"
"""The shelf button's label: how the button is found again to be updated in place."""

CONTROL = "farmhandWorkspaceControl"
"""The workspace control (dockable window) that holds the panel."""

PANEL_OBJECT = "farmhandPanel"
"""The panel widget's Qt object name."""

ICON = "farmhand.svg"
"""The icon, found through XBMLANGPATH (the module's `icons/` folder)."""

CHOICES_KEY = "farmhandChoices"
"""The fileInfo key holding the panel's per-scene choices (JSON)."""

SAVE_BEFORE_SUBMIT = "farmhandSaveBeforeSubmit"
"""The optionVar: ``always`` saves a modified scene before submitting without asking."""
