"""Plug-in commands of the stub: load and unload Python API 2.0 plug-in files for real."""

from __future__ import annotations

import importlib.util
import os
import traceback
from pathlib import Path
from typing import Any

from ._flags import parse
from ._session import PluginRecord, current


def _locate(name: str) -> Path | None:
    """A plug-in file: a path, or a name looked up on MAYA_PLUG_IN_PATH (`.py` optional)."""
    given = Path(name)
    if given.is_absolute() or given.parent != Path("."):
        return given if given.is_file() else None
    names = [name] if name.endswith(".py") else [name, name + ".py"]
    for folder in os.environ.get("MAYA_PLUG_IN_PATH", "").split(os.pathsep):
        for candidate in names:
            if folder and (Path(folder) / candidate).is_file():
                return Path(folder) / candidate
    return None


def _record(name: str, *, must_exist: bool) -> PluginRecord | None:
    session = current()
    key = Path(name).stem if name.endswith(".py") or "/" in name else name
    record = session.plugins.get(key)
    if record is not None or not must_exist:
        return record
    path = _locate(name)
    if path is None:
        raise RuntimeError(f'Plug-in, "{name}", was not found on MAYA_PLUG_IN_PATH.')
    record = PluginRecord(path.stem, path)
    session.plugins[record.name] = record
    return record


def loadPlugin(name: str, **kwargs: Any) -> list[str]:
    """Import the plug-in file and call its initializePlugin; a loaded plug-in is left alone."""
    from .api.OpenMaya import MObject

    parse("loadPlugin", kwargs, {"quiet": "qt"})
    record = _record(name, must_exist=True)
    if record.loaded:
        return [record.name]
    spec = importlib.util.spec_from_file_location(f"_maya_stub_plugin_{record.name}", record.path)
    module = importlib.util.module_from_spec(spec)
    session = current()
    try:
        spec.loader.exec_module(module)
        if not hasattr(module, "maya_useNewAPI"):
            raise NotImplementedError("maya stub: only Python API 2.0 plug-ins can be loaded")
        record.module = module
        module.initializePlugin(MObject(record.name))
    except Exception as exc:
        session.message("error", traceback.format_exc())
        record.module = None
        raise RuntimeError(f"initializePlugin function failed ({record.name})") from exc
    record.loaded = True
    return [record.name]


def unloadPlugin(name: str, **kwargs: Any) -> list[str]:
    """Call the plug-in's uninitializePlugin; it stays loaded when that fails."""
    from .api.OpenMaya import MObject

    parse("unloadPlugin", kwargs, {"force": "f"})
    record = _record(name, must_exist=False)
    if record is None or not record.loaded:
        raise RuntimeError(f"Plug-in {name} is not loaded.")
    try:
        record.module.uninitializePlugin(MObject(record.name))
    except Exception as exc:
        current().message("error", traceback.format_exc())
        raise RuntimeError(f"uninitializePlugin function failed ({record.name})") from exc
    record.loaded = False
    record.module = None
    return [record.name]


def pluginInfo(*args: str, **kwargs: Any) -> Any:
    """Plug-in queries (loaded, autoload, path, list, in use, commands), -e -autoload and
    -savePluginPrefs (recorded in `Session.saved_autoload`)."""
    flags = parse(
        "pluginInfo",
        kwargs,
        {
            "query": "q", "edit": "e", "loaded": "l", "autoload": "a", "path": "p",
            "listPlugins": "ls", "pluginsInUse": "pu", "command": "c", "version": "v",
            "savePluginPrefs": "spp",
        },
    )  # fmt: skip
    session = current()
    if flags.get("savePluginPrefs"):  # what Maya writes to pluginPrefs.mel (on exit, or now)
        session.saved_autoload = sorted(r.name for r in session.plugins.values() if r.autoload)
        return None
    if flags.get("query") and not args:
        if flags.get("listPlugins"):
            return [r.name for r in session.plugins.values() if r.loaded] or None
        if flags.get("pluginsInUse"):
            requires = session.scene.header.requires
            missing = session.scene.missing_plugins
            return [x for k, v in requires.items() if k != "maya" and k not in missing
                    for x in (k, v)] or None  # fmt: skip
        raise NotImplementedError(f"maya stub: pluginInfo {sorted(flags)} without a plug-in")
    if len(args) != 1:
        raise NotImplementedError("maya stub: pluginInfo needs one plug-in name")
    record = _record(args[0], must_exist=False)
    if flags.get("edit"):
        if record is None:
            raise RuntimeError(f'Plug-in, "{args[0]}", was not found.')
        if "autoload" not in flags:
            raise NotImplementedError(f"maya stub: pluginInfo -e {sorted(flags)}")
        record.autoload = bool(flags["autoload"])
        return None
    if not flags.get("query"):
        raise NotImplementedError("maya stub: pluginInfo without query or edit")
    if flags.get("loaded"):
        return bool(record and record.loaded)
    if record is None:
        raise RuntimeError(f'Plug-in, "{args[0]}", was not found.')
    if flags.get("autoload"):
        return record.autoload
    if flags.get("path"):
        return record.path.as_posix()
    if flags.get("version"):
        return record.version
    if flags.get("command"):
        return [c for c, owner in session.commands.items() if owner == record.name] or None
    raise NotImplementedError(f"maya stub: pluginInfo query {sorted(flags)}")


def unknownPlugin(*args: str, **kwargs: Any) -> Any:
    """`unknownPlugin -q -list`: the plug-ins a scene requires that the session lacks
    (`stub_open(missing_plugins=…)`), or None; `unknownPlugin NAME -q -version`."""
    flags = parse("unknownPlugin", kwargs, {"query": "q", "list": "l", "version": "v"})
    missing = current().scene.missing_plugins
    if args and flags.get("query") and flags.get("version"):
        return current().scene.header.requires.get(args[0], "")
    if args or not (flags.get("query") and flags.get("list")):
        raise NotImplementedError("maya stub: unknownPlugin only implements q=True, list=True")
    return list(missing) or None
