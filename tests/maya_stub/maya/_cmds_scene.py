"""Scene commands of the stub: what a live adapter asks of the open scene."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ._flags import COMMON, no_match, parse
from ._scene import MISSING, short_name
from ._session import current

_UNITS_SHORT = {
    "millimeter": "mm", "centimeter": "cm", "meter": "m", "kilometer": "km",
    "inch": "in", "foot": "ft", "yard": "yd", "mile": "mi",
    "degree": "deg", "radian": "rad",
}  # fmt: skip


def _scene():
    return current().scene


def ls(*objects: str, **kwargs: Any) -> list[str]:
    """`ls -exactType T [-referencedNodes]`, `ls -type T…`, `ls -cameras` and `ls -selection`."""
    flags = parse("ls", kwargs, {"exactType": "et", "referencedNodes": "rn", "selection": "sl",
                                 "cameras": "ca", "type": "typ"})  # fmt: skip
    if objects:
        raise NotImplementedError("maya stub: cmds.ls() with object arguments is not implemented")
    scene = _scene()
    if flags.get("selection"):
        names = list(current().selection)
    elif "exactType" in flags:
        names = scene.nodes_of_type(flags["exactType"])
    elif flags.get("cameras"):
        names = scene.nodes_of_type("camera")
    elif "type" in flags:
        kinds = [flags["type"]] if isinstance(flags["type"], str) else list(flags["type"])
        names = [n for kind in kinds for n in scene.nodes_of_type(kind)]
    else:
        raise NotImplementedError("maya stub: cmds.ls() needs exactType, type, cameras, selection")
    if flags.get("referencedNodes"):
        names = [n for n in names if scene.is_referenced(n)]
    return names


def objExists(name: str) -> bool:
    """A node, or a `node.attr` plug whose value the scene holds."""
    node, dot, attr = name.partition(".")
    scene = _scene()
    if scene.node_type(node) is None:
        return False
    return not dot or scene.get(node, attr) is not MISSING


def nodeType(node: str, **kwargs: Any) -> str:
    """The node's type name."""
    parse("nodeType", kwargs, {})
    found = _scene().node_type(node)
    if found is None:
        raise no_match(node)
    return found


def listRelatives(node: str, **kwargs: Any) -> list[str] | None:
    """`listRelatives -parent`: None when there is none, as Maya answers."""
    flags = parse("listRelatives", kwargs, {"parent": "p"})
    if not flags.get("parent"):
        raise NotImplementedError("maya stub: cmds.listRelatives() only implements parent=True")
    scene = _scene()
    if scene.node_type(node) is None:
        raise no_match(node)
    parent = scene.parent(node)
    return [parent] if parent else None


def getAttr(plug: str, **kwargs: Any) -> Any:
    """An attribute's value as the file writes it (compound values stay flat lists)."""
    flags = parse("getAttr", kwargs, {"multiIndices": "mi"})
    node, dot, attr = plug.partition(".")
    scene = _scene()
    if not dot or scene.node_type(node) is None:
        raise no_match(plug)
    if flags.get("multiIndices"):
        return scene.indices(node, attr) or None
    value = scene.get(node, attr)
    if value is MISSING:
        raise no_match(plug)
    return value


def editRenderLayerGlobals(**kwargs: Any) -> Any:
    """`editRenderLayerGlobals -q -currentRenderLayer` and `-currentRenderLayer NAME` (switch)."""
    flags = parse("editRenderLayerGlobals", kwargs, {"query": "q", "currentRenderLayer": "crl"})
    layers = _scene().layers
    if flags.get("query"):
        if not flags.get("currentRenderLayer"):
            raise NotImplementedError("maya stub: editRenderLayerGlobals -q needs -crl")
        return layers.visible
    if "currentRenderLayer" not in flags:
        raise NotImplementedError("maya stub: editRenderLayerGlobals needs -crl")
    layers.switch(str(flags["currentRenderLayer"]))
    return None


def unknownNode(node: str, **kwargs: Any) -> Any:
    """`unknownNode NODE -q -realClassName | -plugin`: what an unknown node really is."""
    flags = parse("unknownNode", kwargs, {"query": "q", "realClassName": "rcn", "plugin": "p"})
    scene = _scene()
    if scene.node_type(node) != "unknown":
        raise RuntimeError(f"unknownNode: {node} is not an unknown node")
    real = scene.real_type(node)
    if flags.get("realClassName"):
        return real
    if flags.get("plugin"):
        return scene.missing_types().get(real, "")
    raise NotImplementedError("maya stub: unknownNode needs realClassName or plugin")


def optionVar(**kwargs: Any) -> Any:
    """`optionVar -q/-exists NAME`, `-iv/-sv NAME VALUE`, `-remove NAME` on the session's vars."""
    flags = parse("optionVar", kwargs, {"query": "q", "exists": "ex", "intValue": "iv",
                                        "stringValue": "sv", "remove": "rm"})  # fmt: skip
    store = current().option_vars
    if "query" in flags:
        return store.get(flags["query"], 0)  # Maya answers 0 for a variable it does not have
    if "exists" in flags:
        return flags["exists"] in store
    if "remove" in flags:
        store.pop(flags["remove"], None)
        return None
    for key in ("intValue", "stringValue"):
        if key in flags:
            name, value = flags[key]
            store[name] = value
            return None
    raise NotImplementedError(f"maya stub: optionVar {sorted(flags)} is not implemented")


def setAttr(plug: str, *values: Any, **kwargs: Any) -> None:
    """`setAttr plug value` and `setAttr plug "text" -type "string"`."""
    flags = parse("setAttr", kwargs, {"type": "typ"})
    node, dot, attr = plug.partition(".")
    scene = _scene()
    if not dot or scene.node_type(node) is None:
        raise no_match(plug)
    kind = flags.get("type")
    if kind not in (None, "string"):
        raise NotImplementedError(f"maya stub: cmds.setAttr(type={kind!r}) is not implemented")
    if len(values) != 1:
        raise NotImplementedError("maya stub: cmds.setAttr() takes exactly one value")
    value = values[0]
    if kind == "string" and not isinstance(value, str):
        raise RuntimeError(f"setAttr: {plug}: a string value is needed for -type string")
    scene.set(node, attr, value)
    current().modified = True


def listConnections(node: str, **kwargs: Any) -> list[str] | None:
    """`listConnections -c -p [-s] [-d]`: [own plug, other plug, …] in long names, or None."""
    flags = parse(
        "listConnections",
        kwargs,
        {"connections": "c", "plugs": "p", "source": "s", "destination": "d"},
    )
    if not (flags.get("connections") and flags.get("plugs")):
        raise NotImplementedError(
            "maya stub: cmds.listConnections() only implements connections=True, plugs=True"
        )
    if "." in node:
        raise NotImplementedError("maya stub: cmds.listConnections() on a plug is not implemented")
    scene = _scene()
    name = scene.name_of(node)
    if name is None:
        raise no_match(node)
    want_src = flags.get("source", True)
    want_dst = flags.get("destination", True)
    out: list[str] = []
    for src, dst in scene.connections(name):
        if want_dst and src.partition(".")[0] == name:  # outgoing: the other side is a destination
            out += [scene.long_plug(src), scene.long_plug(dst)]
        if want_src and dst.partition(".")[0] == name:  # incoming: the other side is a source
            out += [scene.long_plug(dst), scene.long_plug(src)]
    return out or None


def attributeQuery(attribute: str, **kwargs: Any) -> str:
    """`attributeQuery NAME -node N -shortName|-longName`."""
    flags = parse("attributeQuery", kwargs, {"node": "n", "shortName": "sn", "longName": "ln"})
    node = flags.get("node")
    scene = _scene()
    if node is None or scene.node_type(node) is None:
        raise no_match(str(node))
    short = short_name(scene.node_type(node), attribute)
    if flags.get("shortName"):
        return short
    if flags.get("longName"):
        return scene.long_plug(f"{node}.{short}").partition(".")[2]
    raise NotImplementedError("maya stub: cmds.attributeQuery() needs shortName or longName")


def select(*names: str, **kwargs: Any) -> None:
    """`select NODE…` (replacing the selection) and `select -clear`."""
    flags = parse("select", kwargs, {"replace": "r", "clear": "cl"})
    session = current()
    if flags.get("clear"):
        session.selection = []
        return
    found = []
    for name in names:
        node = session.scene.name_of(name)
        if node is None:
            raise no_match(name)
        found.append(node)
    session.selection = found


def file(*args: str, **kwargs: Any) -> Any:
    """`file -q -sceneName|-reference|-modified`, `file PATH -q -type`, `file PATH
    -loadReference RFN`, `file -save` (clears -modified; fires the SceneSaved jobs)."""
    flags = parse(
        "file",
        kwargs,
        {**COMMON, "sceneName": "sn", "reference": "r", "type": "typ", "loadReference": "lr",
         "modified": "mf", "save": "s"},
    )  # fmt: skip
    scene = _scene()
    session = current()
    if flags.get("save"):
        if scene.path is None:
            raise RuntimeError("file: an untitled scene needs a name (file -rename) to be saved")
        session.modified, session.saves = False, session.saves + 1
        from ._cmds_ui import fire

        fire("SceneSaved")
        return scene.path.as_posix()
    if flags.get("query") and flags.get("modified"):
        return session.modified
    if "loadReference" in flags:
        ref = scene.find_reference(flags["loadReference"])
        if ref is None or len(args) != 1:
            raise RuntimeError(f"Reference node '{flags['loadReference']}' not found.")
        ref.path, ref.copy_number, ref.loaded = args[0], None, True
        session.modified = True
        ref.located = Path(args[0]) if Path(args[0]).is_file() else None
        return args[0]
    if not flags.get("query"):
        raise NotImplementedError(
            "maya stub: cmds.file() only implements queries and loadReference"
        )
    if flags.get("sceneName"):
        return scene.path.as_posix() if scene.path else ""
    if flags.get("reference"):
        if args:
            raise NotImplementedError("maya stub: cmds.file(PATH, q=True, reference=True)")
        return [ref.resolved for ref in scene.references]
    if flags.get("type"):
        if len(args) != 1:
            raise NotImplementedError("maya stub: cmds.file(q=True, type=True) needs a file")
        if scene.path and args[0] == scene.path.as_posix():
            return ["mayaAscii"]
        ref = scene.find_reference(args[0])
        if ref is None:
            raise RuntimeError(f"File not found: {args[0]}")
        return [ref.file_type] if ref.file_type else []
    raise NotImplementedError(f"maya stub: cmds.file() query of {sorted(flags)} is not implemented")


_REFQ = {
    "referenceNode": "rfn", "child": "ch", "parent": "p", "filename": "f",
    "unresolvedName": "un", "withoutCopyNumber": "wcn", "isLoaded": "il",
    "namespace": "ns", "shortName": "shn", "isNodeReferenced": "inr",
    "editStrings": "es", "editCommand": "ec", "failedEdits": "fld",
    "successfulEdits": "scs", "showDagPath": "sdp",
}  # fmt: skip


def referenceQuery(target: str, **kwargs: Any) -> Any:
    """The reference questions a live adapter asks (node, file, children, state, edits)."""
    flags = parse("referenceQuery", kwargs, _REFQ)
    scene = _scene()
    if flags.get("isNodeReferenced"):
        if scene.node_type(target) is None:
            raise no_match(target)
        return scene.is_referenced(target)
    ref = scene.find_reference(target) or scene.reference_of(target)
    if ref is None:
        raise RuntimeError(f"referenceQuery: '{target}' is not a reference, its file or its node")
    if flags.get("child"):
        if not flags.get("referenceNode"):
            raise NotImplementedError("maya stub: referenceQuery(child=True) needs referenceNode")
        return [c.node for c in ref.children] or None
    if flags.get("parent"):
        if not flags.get("referenceNode"):
            raise NotImplementedError("maya stub: referenceQuery(parent=True) needs referenceNode")
        return ref.parent.node if ref.parent else None
    if flags.get("referenceNode"):
        return ref.node
    if flags.get("filename"):
        name = ref.unresolved if flags.get("unresolvedName") else ref.resolved
        return re.sub(r"\{\d+\}$", "", name) if flags.get("withoutCopyNumber") else name
    if flags.get("isLoaded"):
        return ref.loaded
    if flags.get("namespace"):
        return (ref.namespace or "") if flags.get("shortName") else ":" + ref.full_namespace
    if flags.get("editStrings"):
        command = flags.get("editCommand")
        if command != "setAttr":
            raise NotImplementedError("maya stub: referenceQuery edits need editCommand='setAttr'")
        return [f"setAttr {node}.{attr} {value.strip()}" for node, attr, value in scene.edits(ref)]
    raise NotImplementedError(f"maya stub: referenceQuery {sorted(flags)} is not implemented")


def about(**kwargs: Any) -> Any:
    """`about -version`, `-batch`, `-codeset` of the session."""
    flags = parse("about", kwargs, {"version": "v", "batch": "b", "codeset": "cs"})
    session = current()
    if flags.get("version"):
        return session.version
    if flags.get("batch"):
        return session.batch
    if flags.get("codeset"):
        return session.codeset
    raise NotImplementedError(f"maya stub: cmds.about({kwargs}) is not implemented")


def fileInfo(*args: str, **kwargs: Any) -> Any:
    """Get, set and remove fileInfo; queried values come back MEL-escaped, as in Maya."""
    flags = parse("fileInfo", kwargs, {"query": "q", "remove": "rm"})
    info = current().file_info
    if "remove" in flags:
        info.pop(flags["remove"], None)
        return None
    if flags.get("query"):
        if not args:
            return [x for key, value in info.items() for x in (key, mel_escape(value))]
        return [mel_escape(info[args[0]])] if args[0] in info else []
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        raise TypeError("fileInfo: a keyword and a string value are needed")
    if info.get(args[0]) != args[1]:
        current().modified = True
    info[args[0]] = args[1]
    return None


def mel_escape(value: str) -> str:
    """How Maya hands a fileInfo value back to Python: `\\`, `"` and newlines escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def workspace(**kwargs: Any) -> str:
    """`workspace -q -rootDirectory` (with the trailing slash Maya adds)."""
    flags = parse("workspace", kwargs, {"query": "q", "rootDirectory": "rd"})
    if not (flags.get("query") and flags.get("rootDirectory")):
        raise NotImplementedError("maya stub: cmds.workspace() only implements q=True, rd=True")
    return current().workspace.rstrip("/") + "/"


def currentUnit(**kwargs: Any) -> str:
    """`currentUnit -q -time|-linear|-angle [-fullName]` from the scene's `currentUnit` line."""
    flags = parse(
        "currentUnit",
        kwargs,
        {"query": "q", "time": "t", "linear": "l", "angle": "a", "fullName": "f"},
    )
    if not flags.get("query"):
        raise NotImplementedError("maya stub: cmds.currentUnit() only implements queries")
    header = _scene().header
    for key, value in (
        ("time", header.time_unit),
        ("linear", header.linear_unit),
        ("angle", header.angle_unit),
    ):
        if flags.get(key):
            return value if flags.get("fullName") else _UNITS_SHORT.get(value, value)
    raise NotImplementedError("maya stub: cmds.currentUnit() needs time, linear or angle")


def internalVar(**kwargs: Any) -> str:
    """`internalVar -userAppDir` and `-userShelfDir` (`<app dir>/<version>/prefs/shelves/`),
    with Maya's trailing slash."""
    flags = parse("internalVar", kwargs, {"userAppDir": "uad", "userShelfDir": "ush"})
    session = current()
    if flags.get("userShelfDir"):
        return f"{session.user_app_dir.rstrip('/')}/{session.version}/prefs/shelves/"
    if not flags.get("userAppDir"):
        raise NotImplementedError("maya stub: cmds.internalVar() needs userAppDir or userShelfDir")
    return session.user_app_dir.rstrip("/") + "/"
