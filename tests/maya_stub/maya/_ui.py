"""The stub's interactive UI: a tree of named controls under a real (offscreen) main window.

Menus, menu items, shelves and shelf buttons are plain records; the main
window and workspace controls are real QWidgets, so `MQtUtil` pointers and
`shiboken6.wrapInstance` work on them for real. Names follow Maya: a control
created without a name gets `<kind><n>`, creation returns the full path
(`MayaWindow|farmhandMenu`), and queries take the full path or the short name.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

MAIN_WINDOW = "MayaWindow"
SHELF_TOP_LEVEL = "ShelfLayout"
STOCK_SHELVES = ("General", "Rendering")


@dataclass(eq=False)
class Control:
    """One UI element: kind, name, parent, flag values, children, and a QWidget for some."""

    kind: str
    name: str
    parent: Control | None
    props: dict[str, Any] = field(default_factory=dict)
    children: list[Control] = field(default_factory=list)
    widget: Any = None

    @property
    def path(self) -> str:
        """`MayaWindow|farmhandMenu`."""
        return f"{self.parent.path}|{self.name}" if self.parent else self.name


class UIState:
    """Maya's main window with its menu bar and shelf tabs, as the stub models them."""

    def __init__(self) -> None:
        from PySide6 import QtWidgets

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        self.app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        if not isinstance(self.app, QtWidgets.QApplication):
            raise RuntimeError(
                "maya stub: a QGuiApplication exists; Maya's UI needs a QApplication"
            )
        window = QtWidgets.QMainWindow()
        window.setObjectName(MAIN_WINDOW)
        self.root = Control("window", MAIN_WINDOW, None, widget=window)
        shelves = self.add("tabLayout", SHELF_TOP_LEVEL, self.root)
        for name in STOCK_SHELVES:
            self.add("shelfLayout", name, shelves)
        shelves.props["selectTab"] = STOCK_SHELVES[0]
        self.current_parent: Control | None = None  # set while a uiScript runs
        self.dialogs: list[dict[str, Any]] = []
        self.answers: list[str] = []  # what the artist clicks in the next confirm dialogs
        self.jobs: dict[int, tuple[str, Any, str | None]] = {}  # id → (event, callable, parent)
        self._counter = itertools.count(1)

    def walk(self) -> list[Control]:
        """Every control, depth first."""
        out, todo = [], [self.root]
        while todo:
            control = todo.pop()
            out.append(control)
            todo.extend(reversed(control.children))
        return out

    def find(self, name: str, kind: str | None = None) -> Control | None:
        """A control by full path or short name (optionally of one kind)."""
        for control in self.walk():
            if name in (control.path, control.name) and kind in (None, control.kind):
                return control
        return None

    def add(self, kind: str, name: str | None, parent: Control) -> Control:
        """Create a control; Maya refuses a name already in use."""
        if name is None:
            name = f"{kind}{next(self._counter)}"
        elif self.find(name) is not None:
            raise RuntimeError(f"Object's name '{name}' is not unique.")
        control = Control(kind, name, parent)
        parent.children.append(control)
        return control

    def delete(self, control: Control) -> None:
        """Remove a control and everything under it (QWidgets are destroyed at once)."""
        import shiboken6

        if control.parent is None:
            raise RuntimeError("maya stub: the main window cannot be deleted")
        control.parent.children.remove(control)
        subtree, todo = [], [control]
        while todo:
            item = todo.pop()
            subtree.append(item)
            todo.extend(item.children)
        for item in reversed(subtree):
            if item.widget is not None and shiboken6.isValid(item.widget):
                shiboken6.delete(item.widget)
        if control.parent.kind == "tabLayout" and control.parent.props.get("selectTab") == (
            control.name
        ):
            rest = control.parent.children
            control.parent.props["selectTab"] = rest[0].name if rest else None

    def close(self) -> None:
        """Destroy every widget of this UI (the session ends)."""
        import shiboken6

        for control in self.walk():
            if control.widget is not None and shiboken6.isValid(control.widget):
                shiboken6.delete(control.widget)
