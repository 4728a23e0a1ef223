"""`maya.api.OpenMaya` (stub): plug-in registration, commands with flags, and messages.

Implemented: MObject (a plug-in handle), MFnPlugin (registerCommand /
deregisterCommand), MPxCommand, MSyntax, MArgList, MArgParser,
MArgDatabase and MGlobal's display functions and mayaState. A registered
command becomes a function of `maya.cmds`, as in Maya: keyword flags are
turned into an MArgList that the command's own MSyntax parses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import cmds as _cmds_module
from .._session import current


class MObject:
    """A handle; for the stub, the handle Maya passes to initializePlugin names the plug-in."""

    def __init__(self, plugin: str | None = None) -> None:
        self._plugin = plugin

    def isNull(self) -> bool:
        """True for a handle to nothing."""
        return self._plugin is None


class MGlobal:
    """Messages to the Script Editor and the session's state."""

    kInteractive = 0
    kBatch = 1

    @staticmethod
    def displayError(text: str) -> None:
        """An error line in the Script Editor."""
        current().message("error", str(text))

    @staticmethod
    def displayWarning(text: str) -> None:
        """A warning line in the Script Editor."""
        current().message("warning", str(text))

    @staticmethod
    def displayInfo(text: str) -> None:
        """An information line in the Script Editor."""
        current().message("info", str(text))

    @staticmethod
    def mayaState() -> int:
        """kBatch or kInteractive."""
        return MGlobal.kBatch if current().batch else MGlobal.kInteractive


@dataclass(frozen=True)
class _Flag:
    short: str
    long: str
    arg_types: tuple[int, ...]


class MSyntax:
    """A command's flags (objects and selection are not implemented)."""

    kNoArg = 1
    kBoolean = 2
    kLong = 3
    kDouble = 4
    kString = 5

    def __init__(self) -> None:
        self._flags: list[_Flag] = []

    def addFlag(self, short_name: str, long_name: str, *arg_types: int) -> MSyntax:
        """Declare `-s/-long` with its argument types (none: a switch)."""
        for name in (short_name, long_name):
            if not name.startswith("-") or self.flag(name) is not None:
                raise RuntimeError(f"MSyntax.addFlag: bad or repeated flag name {name!r}")
        types = tuple(t for t in arg_types if t != MSyntax.kNoArg)
        self._flags.append(_Flag(short_name, long_name, types))
        return self

    def flag(self, name: str) -> _Flag | None:
        """A declared flag by short or long name, with or without its dash."""
        name = name if name.startswith("-") else "-" + name
        return next((f for f in self._flags if name in (f.short, f.long)), None)


class MArgList:
    """The command line arguments a command's doIt receives."""

    def __init__(self, items: list[Any] | None = None) -> None:
        self._items = list(items or [])

    def __len__(self) -> int:
        return len(self._items)

    def asString(self, index: int) -> str:
        """The argument at `index` as text."""
        return str(self._items[index])


class MArgParser:
    """Parses an MArgList against an MSyntax; unknown flags raise as in Maya."""

    def __init__(self, syntax: MSyntax, args: MArgList) -> None:
        self._set: dict[str, list[Any]] = {}
        items = list(args._items)
        while items:
            token = str(items.pop(0))
            flag = syntax.flag(token) if token.startswith("-") else None
            if flag is None:
                raise RuntimeError(f"Invalid flag: {token}")
            if len(items) < len(flag.arg_types):
                raise RuntimeError(f"Flag {token} needs {len(flag.arg_types)} argument(s)")
            self._set[flag.short] = [items.pop(0) for _ in flag.arg_types]
        self._syntax = syntax

    def isFlagSet(self, name: str) -> bool:
        """Whether the flag (short or long name) was given."""
        flag = self._syntax.flag(name)
        return flag is not None and flag.short in self._set

    def flagArgumentString(self, name: str, index: int) -> str:
        """A flag's argument as text."""
        flag = self._syntax.flag(name)
        if flag is None or flag.short not in self._set:
            raise RuntimeError(f"flag {name} is not set")
        return str(self._set[flag.short][index])


class MArgDatabase(MArgParser):
    """MArgParser with the typed accessors (the stub has only the string one)."""


class MPxCommand:
    """Base class of plug-in commands."""

    def __init__(self) -> None:
        self._syntax = MSyntax()

    def syntax(self) -> MSyntax:
        """The syntax the command was created with."""
        return self._syntax

    def doIt(self, args: MArgList) -> None:
        """Run the command (subclasses override)."""
        raise NotImplementedError

    def isUndoable(self) -> bool:
        """Commands are not undoable unless they say so."""
        return False

    @staticmethod
    def setResult(value: Any) -> None:
        """The value the command returns to its caller."""
        current().result = value

    @staticmethod
    def clearResult() -> None:
        """Forget the result set so far."""
        current().result = None


class MFnPlugin:
    """The plug-in a handle names: registers and deregisters its commands."""

    def __init__(
        self,
        mobject: MObject | None = None,
        vendor: str = "Unknown",
        version: str = "Unknown",
        api_version: str = "Any",
    ) -> None:
        if mobject is None or mobject.isNull():
            raise RuntimeError("MFnPlugin: a plug-in handle from initializePlugin is needed")
        self._name = mobject._plugin
        record = current().plugins[self._name]
        if vendor != "Unknown":
            record.vendor, record.version = vendor, version

    def name(self) -> str:
        """The plug-in's name."""
        return self._name

    def loadPath(self) -> str:
        """The folder the plug-in file was loaded from."""
        return current().plugins[self._name].path.parent.as_posix()

    def registerCommand(
        self,
        name: str,
        creator: Callable[[], MPxCommand],
        syntax_creator: Callable[[], MSyntax] | None = None,
    ) -> None:
        """Make `name` a command of `maya.cmds`; a name already in use raises."""
        session = current()
        if name in session.commands or hasattr(_cmds_module, name):
            raise RuntimeError(f"(kFailure): Unexpected Internal Failure: command {name} exists")
        session.commands[name] = self._name
        setattr(_cmds_module, name, _command_function(name, creator, syntax_creator))

    def deregisterCommand(self, name: str) -> None:
        """Remove a command this plug-in registered."""
        session = current()
        if session.commands.get(name) != self._name:
            raise RuntimeError(f"(kFailure): command {name} is not registered by {self._name}")
        del session.commands[name]
        delattr(_cmds_module, name)


def _command_function(
    name: str, creator: Callable[[], MPxCommand], syntax_creator: Callable[[], MSyntax] | None
) -> Callable[..., Any]:
    def run(*objects: Any, **kwargs: Any) -> Any:
        syntax = syntax_creator() if syntax_creator else MSyntax()
        if objects:
            raise NotImplementedError(f"maya stub: {name}() with object arguments")
        args: list[Any] = []
        for key, value in kwargs.items():
            flag = syntax.flag(key)
            if flag is None:
                raise TypeError(f"Invalid flag '{key}'")
            if not flag.arg_types:
                if value:
                    args.append(flag.short)
                continue
            args.append(flag.short)
            args.extend(value if isinstance(value, (list, tuple)) else [value])
        command = creator()
        command._syntax = syntax
        current().result = None
        command.doIt(MArgList(args))
        return current().result

    run.__name__ = name
    return run
