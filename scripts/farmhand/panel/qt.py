"""The one place the panel imports its Qt binding from (PySide6, as Maya 2025+ ships).

Keeping the imports here means a PySide2 fallback could be added in one
file; the panel uses only API that PySide6 6.5 has.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

__all__ = ["Qt", "QtCore", "QtGui", "QtWidgets", "Signal", "child_items", "top_items"]


def top_items(tree: QtWidgets.QTreeWidget) -> list[QtWidgets.QTreeWidgetItem]:
    """A tree's top-level items, in order."""
    items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in items if item is not None]


def child_items(item: QtWidgets.QTreeWidgetItem) -> list[QtWidgets.QTreeWidgetItem]:
    """An item's children, in order."""
    children = (item.child(i) for i in range(item.childCount()))
    return [child for child in children if child is not None]
