"""Which labels, buttons and headers of a widget tree are cut: narrower or shorter than their
size hint asks (elided, clipped), checked on what is visible on screen."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

TEXT_WIDGETS = (QtWidgets.QLabel, QtWidgets.QAbstractButton)


def _name(widget: QtWidgets.QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    kind = type(widget).__name__
    return f"{kind} {widget.objectName() or ''}{text[:50]!r}"


def _shown(widget: QtWidgets.QWidget) -> bool:
    return widget.isVisibleTo(widget.window()) and widget.isVisible()


def clipped(root: QtWidgets.QWidget) -> list[str]:
    """One line per widget whose geometry is smaller than its text needs."""
    problems: list[str] = []
    for widget in root.findChildren(QtWidgets.QWidget):
        if not _shown(widget) or widget.width() <= 0:
            continue
        if isinstance(widget, QtWidgets.QLabel):
            problems += _label(widget)
        elif isinstance(widget, QtWidgets.QAbstractButton):
            problems += _button(widget)
        elif isinstance(widget, QtWidgets.QHeaderView):
            problems += _header(widget)
        elif isinstance(widget, QtWidgets.QTableView):
            problems += _cells(widget)
    return problems


def _cells(table: QtWidgets.QTableView) -> list[str]:
    """Cells whose text is wider than their column (the first 20 rows)."""
    model = table.model()
    if model is None:
        return []
    problems = []
    for row in range(min(model.rowCount(), 20)):
        for column in range(model.columnCount()):
            if table.isColumnHidden(column) or table.isRowHidden(row):
                continue
            index = model.index(row, column)
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if not isinstance(text, str) or not text:
                continue
            need = table.fontMetrics().horizontalAdvance(text) + 6  # Qt's 3 px margins
            icon = index.data(Qt.ItemDataRole.DecorationRole)
            if icon is not None:
                need += table.iconSize().width() if table.iconSize().width() > 0 else 16
            if need > table.columnWidth(column):
                problems.append(f"cell {text!r}: needs {need} px, has {table.columnWidth(column)}")
    return problems


def _label(label: QtWidgets.QLabel) -> list[str]:
    if not label.text() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    if label.wordWrap():
        need = label.heightForWidth(label.contentsRect().width() + 0)
        if need > label.height() + 1:
            return [f"{_name(label)}: wraps to {need} px high, has {label.height()}"]
        return []
    hint = label.sizeHint()
    if hint.width() > label.width() + 1:
        return [f"{_name(label)}: needs {hint.width()} px wide, has {label.width()}"]
    if hint.height() > label.height() + 1:
        return [f"{_name(label)}: needs {hint.height()} px high, has {label.height()}"]
    return []


def _button(button: QtWidgets.QAbstractButton) -> list[str]:
    if not button.text():
        return []
    hint = button.sizeHint()
    if hint.width() > button.width() + 1:
        return [f"{_name(button)}: needs {hint.width()} px wide, has {button.width()}"]
    return []


def _header(header: QtWidgets.QHeaderView) -> list[str]:
    model = header.model()
    if model is None:
        return []
    problems = []
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        text = model.headerData(section, header.orientation(), Qt.ItemDataRole.DisplayRole)
        if not text:
            continue
        need = header.sectionSizeHint(section)
        if header.orientation() == Qt.Orientation.Horizontal and header.sectionSize(section) < need:
            problems.append(f"header {text!r}: needs {need} px, has {header.sectionSize(section)}")
    return problems
