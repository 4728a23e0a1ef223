"""`maya.OpenMayaUI` (stub): MQtUtil, the bridge from Maya UI names to Qt widgets.

Pointers are plain ints of real QWidgets (what `int(ptr)` gives in Maya), so
`shiboken6.wrapInstance(int(ptr), QWidget)` works on them.
"""

from __future__ import annotations

from ._session import current


def _pointer(widget: object) -> int:
    import shiboken6

    return int(shiboken6.getCppPointer(widget)[0])


class MQtUtil:
    """Maya's main window and controls as Qt pointers."""

    @staticmethod
    def mainWindow() -> int | None:
        """The main window; None in batch mode."""
        ui = current().ui
        return _pointer(ui.root.widget) if ui is not None else None

    @staticmethod
    def findControl(name: str) -> int | None:
        """A control's widget, by Maya name or by Qt object name under the main window."""
        from PySide6 import QtWidgets

        ui = current().ui
        if ui is None:
            return None
        control = ui.find(name)
        if control is not None and control.widget is not None:
            return _pointer(control.widget)
        found = ui.root.widget.findChild(QtWidgets.QWidget, name.rpartition("|")[2])
        return _pointer(found) if found is not None else None

    @staticmethod
    def getCurrentParent() -> int | None:
        """The layout a uiScript builds into (the workspace control being built)."""
        ui = current().ui
        if ui is None or ui.current_parent is None:
            return None
        return _pointer(ui.current_parent.widget)

    @staticmethod
    def addWidgetToMayaLayout(widget: int, parent: int) -> None:
        """Put a Qt widget into a Maya layout (a workspace control's)."""
        import shiboken6
        from PySide6 import QtWidgets

        child = shiboken6.wrapInstance(int(widget), QtWidgets.QWidget)
        holder = shiboken6.wrapInstance(int(parent), QtWidgets.QWidget)
        if holder.layout() is None:
            raise RuntimeError("addWidgetToMayaLayout: the parent is not a Maya layout")
        holder.layout().addWidget(child)
