"""The Farmhand panel: what a scene will render, what it needs, and its jobs on the farm.

The same widget runs docked inside Maya (`farmhand.maya_ui.dock` calls
`create_panel` with a live host) and outside it (`farmhand panel SCENE.ma`
with an `OfflineHost`). Qt is imported only when a panel is created, so
`farmhand.panel.host` stays light.

>>> from farmhand.panel import OfflineHost, create_panel
>>> callable(create_panel)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from farmhand.panel.host import OfflineHost, Repath, SceneHost

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from farmhand.panel.window import Panel

__all__ = ["OfflineHost", "Repath", "SceneHost", "create_panel"]


def create_panel(host: SceneHost, parent: QWidget | None = None) -> Panel:
    """The panel widget for a scene host (a QApplication must exist)."""
    from farmhand.panel.window import Panel

    return Panel(host, parent)
