"""The Qt binding Maya ships (PySide6 + shiboken6 since Maya 2025), in one place.

Only this module names the binding, so a PySide2 fallback for older Maya
would be added here. Imports happen inside the functions.
"""

from __future__ import annotations

from typing import Any


def wrap(pointer: Any) -> Any:
    """The QWidget at a pointer Maya hands out (`MQtUtil.mainWindow()`, `findControl`)."""
    import shiboken6
    from PySide6 import QtWidgets

    return shiboken6.wrapInstance(int(pointer), QtWidgets.QWidget)


def pointer(widget: Any) -> int:
    """A widget's C++ address, for the `MQtUtil` functions that take one."""
    import shiboken6

    return int(shiboken6.getCppPointer(widget)[0])


def alive(widget: Any) -> bool:
    """False once Qt has destroyed the widget (a closed workspace control takes its panel)."""
    import shiboken6

    return widget is not None and shiboken6.isValid(widget)
