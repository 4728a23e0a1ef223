"""The stub's one Maya session: its scene, UI, plug-ins, fileInfo and selection."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ._scene import StubScene


@dataclass(eq=False)
class PluginRecord:
    """A plug-in file the session knows about."""

    name: str
    path: Path
    module: ModuleType | None = None
    loaded: bool = False
    autoload: bool = False
    vendor: str = ""
    version: str = ""


@dataclass(eq=False)
class Session:
    """Everything one stub Maya session holds."""

    scene: StubScene
    batch: bool = False
    version: str = "2025"
    codeset: str = "UTF-8"
    workspace: str = ""
    user_app_dir: str = ""
    file_info: dict[str, str] = field(default_factory=dict)
    selection: list[str] = field(default_factory=list)
    ui: Any = None  # _ui.UIState in an interactive session
    plugins: dict[str, PluginRecord] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)  # command → plug-in name
    deferred: list[Callable[[], Any]] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    result: Any = None  # what the last plug-in command set with setResult
    option_vars: dict[str, Any] = field(default_factory=dict)  # Maya's preferences (optionVar)
    saved_autoload: list[str] | None = None  # plug-ins pluginPrefs.mel loads; None: never saved
    modified: bool = False  # unsaved changes (`file -q -modified`)
    saves: int = 0  # how many times the scene was saved (`file -save`)

    def message(self, level: str, text: str) -> None:
        """Record a line Maya would print in the Script Editor (and print it to stderr)."""
        self.messages.append((level, text))
        print(f"# {level.capitalize()}: {text}", file=sys.stderr)


_current: Session | None = None


def current() -> Session:
    """The open session; tests start one with `maya.stub.stub_open` or `maya.standalone`."""
    if _current is None:
        raise RuntimeError(
            "maya stub: no session is open; call maya.stub.stub_open(path) "
            "or maya.standalone.initialize() first"
        )
    return _current


def replace(session: Session | None) -> None:
    """Make `session` the open one (None: close)."""
    global _current
    _current = session
