"""`maya.cmds` (stub): the commands Farmhand's Maya code uses, each with the flags it uses.

Scene commands answer from the `.ma` file the session opened; UI commands
work on the session's UI model (and raise in batch mode); plug-in commands
load real plug-in files. A command a loaded plug-in registers appears here
as a function, as in Maya.
"""

from ._cmds_plugin import loadPlugin, pluginInfo, unknownPlugin, unloadPlugin
from ._cmds_scene import (
    about,
    attributeQuery,
    currentUnit,
    editRenderLayerGlobals,
    file,
    fileInfo,
    getAttr,
    internalVar,
    listConnections,
    listRelatives,
    ls,
    nodeType,
    objExists,
    optionVar,
    referenceQuery,
    select,
    setAttr,
    unknownNode,
    workspace,
)
from ._cmds_ui import (
    confirmDialog,
    deleteUI,
    menu,
    menuItem,
    objectTypeUI,
    scriptJob,
    shelfButton,
    shelfLayout,
    tabLayout,
    workspaceControl,
)

__all__ = [
    "about",
    "attributeQuery",
    "confirmDialog",
    "currentUnit",
    "deleteUI",
    "editRenderLayerGlobals",
    "file",
    "fileInfo",
    "getAttr",
    "internalVar",
    "listConnections",
    "listRelatives",
    "loadPlugin",
    "ls",
    "menu",
    "menuItem",
    "nodeType",
    "objExists",
    "objectTypeUI",
    "optionVar",
    "pluginInfo",
    "referenceQuery",
    "scriptJob",
    "select",
    "setAttr",
    "shelfButton",
    "shelfLayout",
    "tabLayout",
    "unknownNode",
    "unknownPlugin",
    "unloadPlugin",
    "workspace",
    "workspaceControl",
]
