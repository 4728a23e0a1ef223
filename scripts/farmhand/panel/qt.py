"""The one place the panel imports its Qt binding from (PySide6, as Maya 2025+ ships).

Keeping the imports here means a PySide2 fallback could be added in one
file; the panel uses only API that PySide6 6.5 has.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

__all__ = ["Qt", "QtCore", "QtGui", "QtWidgets", "Signal"]
