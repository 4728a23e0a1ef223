"""Colours, fonts and small drawn icons that read well on Maya's dark theme.

Inside Maya the panel inherits Maya's palette; outside it `apply_dark_palette`
gives the application the same greys, so screenshots and the standalone
panel look like the docked one. Status colours are chosen to stay legible on
both the panel background (#444) and the field background (#2b2b2b).
"""

from __future__ import annotations

from functools import cache

from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets

# Maya 2025's own greys.
WINDOW = "#444444"
BASE = "#2b2b2b"
ALT_BASE = "#333333"
BUTTON = "#5d5d5d"
TEXT = "#dddddd"
MUTED = "#a0a4a8"
HIGHLIGHT = "#5285a6"

ERROR = "#f2545b"
WARNING = "#f0b429"
NOTICE = "#6cb4ee"
OK = "#4cc38a"
ACCENT = "#4a90d9"

SEVERITY_COLOURS = {"error": ERROR, "warning": WARNING, "notice": NOTICE}

TASK_COLOURS = {
    "done": OK,
    "running": "#6cb4ee",
    "queued": "#6b7079",
    "waiting": "#50545b",
    "failed": ERROR,
    "cancelled": "#383a3e",
}
"""Frame-grid colours by task state (server task states)."""

JOB_COLOURS = {
    "queued": "#9aa0a6",
    "rendering": "#6cb4ee",
    "awaiting_approval": WARNING,
    "paused": "#c9a0dc",
    "completed": OK,
    "failed": ERROR,
    "cancelled": "#7d8288",
}
"""Job state colours."""

STYLE = f"""
QWidget[farmhandPanel="true"] QLabel[role="title"] {{ font-size: 15px; font-weight: bold; }}
QWidget[farmhandPanel="true"] QLabel[role="heading"] {{ font-size: 13px; font-weight: bold;
    padding-top: 4px; }}
QWidget[farmhandPanel="true"] QLabel[role="muted"] {{ color: {MUTED}; }}
QWidget[farmhandPanel="true"] QLabel[role="error"] {{ color: {ERROR}; }}
QWidget[farmhandPanel="true"] QLabel[role="ok"] {{ color: {OK}; }}
QWidget[farmhandPanel="true"] QLabel[role="warning"] {{ color: {WARNING}; }}
QWidget[farmhandPanel="true"] QFrame[role="card"] {{ background: {ALT_BASE}; border-radius: 6px; }}
QWidget[farmhandPanel="true"] QFrame[role="callout"] {{ background: {ALT_BASE}; border-radius: 6px;
    border: 2px solid {WARNING}; }}
QWidget[farmhandPanel="true"] QFrame[role="banner"] {{ background: #3b4a58; border-radius: 6px; }}
QWidget[farmhandPanel="true"] QFrame[role="bar"] {{ background: #3a3a3a; }}
QWidget[farmhandPanel="true"] QListWidget#sections {{ background: #3a3a3a; border: none;
    outline: 0; padding-top: 6px; }}
QWidget[farmhandPanel="true"] QListWidget#sections::item {{ padding: 7px 10px; border-radius: 4px;
    margin: 1px 6px; }}
QWidget[farmhandPanel="true"] QListWidget#sections::item:selected {{ background: {HIGHLIGHT};
    color: white; }}
QWidget[farmhandPanel="true"] QPushButton[role="primary"] {{ background: {ACCENT}; color: white;
    font-weight: bold; border: none; border-radius: 4px; padding: 6px 18px; }}
QWidget[farmhandPanel="true"] QPushButton[role="primary"]:disabled {{ background: #555a60;
    color: #9a9a9a; }}
QWidget[farmhandPanel="true"] QLineEdit[invalid="true"], QWidget[farmhandPanel="true"]
    QSpinBox[invalid="true"] {{ border: 1px solid {ERROR}; }}
QWidget[farmhandPanel="true"] QPlainTextEdit[role="code"] {{ font-family: monospace; }}
QWidget[farmhandPanel="true"] QTreeView::item, QWidget[farmhandPanel="true"] QTableView::item,
    QWidget[farmhandPanel="true"] QListWidget::item {{ padding: 2px 0px; }}
QWidget[farmhandPanel="true"] QProgressBar {{ border: 1px solid #2a2a2a; border-radius: 4px;
    background: {BASE}; text-align: center; min-height: 18px; }}
QWidget[farmhandPanel="true"] QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QWidget[farmhandPanel="true"] QProgressBar[done="true"]::chunk {{ background: {OK}; }}
"""
"""The panel's stylesheet, scoped by a property so Maya's own widgets are untouched."""


def apply_dark_palette(app: QtWidgets.QApplication) -> None:
    """Give a standalone application Maya's dark greys (never called inside Maya)."""
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    group = QtGui.QPalette.ColorGroup
    for r, colour in (
        (role.Window, WINDOW),
        (role.WindowText, TEXT),
        (role.Base, BASE),
        (role.AlternateBase, ALT_BASE),
        (role.ToolTipBase, "#202020"),
        (role.ToolTipText, TEXT),
        (role.Text, TEXT),
        (role.Button, BUTTON),
        (role.ButtonText, TEXT),
        (role.BrightText, "#ffffff"),
        (role.Highlight, HIGHLIGHT),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#8cc8ff"),
        (role.PlaceholderText, "#8a8a8a"),
        (role.Mid, "#3a3a3a"),
        (role.Dark, "#262626"),
        (role.Light, "#5a5a5a"),
        (role.Shadow, "#1a1a1a"),
    ):
        palette.setColor(r, QtGui.QColor(colour))
    for r in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(group.Disabled, r, QtGui.QColor("#8f8f8f"))
    palette.setColor(group.Disabled, role.Button, QtGui.QColor("#4d4d4d"))
    palette.setColor(group.Disabled, role.Base, QtGui.QColor("#333333"))
    app.setPalette(palette)


def colour(name: str) -> QtGui.QColor:
    """A QColor from a `#rrggbb` string."""
    return QtGui.QColor(name)


def _icon_canvas(size: int) -> tuple[QtGui.QPixmap, QtGui.QPainter]:
    """A transparent square pixmap and an antialiased painter on it, with no outline."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    return pixmap, painter


@cache
def dot_icon(hex_colour: str, size: int = 12) -> QtGui.QIcon:
    """A filled circle: the status marker used in lists and the sidebar."""
    pixmap, painter = _icon_canvas(size)
    painter.setBrush(QtGui.QColor(hex_colour))
    painter.drawEllipse(QtCore.QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QtGui.QIcon(pixmap)


@cache
def severity_icon(severity: str, size: int = 16) -> QtGui.QIcon:
    """A drawn icon per severity: a cross (error), a triangle (warning), an `i` (notice)."""
    pixmap, painter = _icon_canvas(size)
    painter.setBrush(QtGui.QColor(SEVERITY_COLOURS.get(severity, MUTED)))
    s = float(size)
    if severity == "warning":
        painter.drawPolygon(
            QtGui.QPolygonF(
                [
                    QtCore.QPointF(s / 2, 1),
                    QtCore.QPointF(s - 1, s - 1.5),
                    QtCore.QPointF(1, s - 1.5),
                ]
            )
        )
    else:
        painter.drawEllipse(QtCore.QRectF(1, 1, s - 2, s - 2))
    pen = QtGui.QPen(QtGui.QColor("#1e1e1e" if severity == "warning" else "#ffffff"))
    pen.setWidthF(max(1.6, s / 9))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    if severity == "error":
        m = s * 0.32
        painter.drawLine(QtCore.QPointF(m, m), QtCore.QPointF(s - m, s - m))
        painter.drawLine(QtCore.QPointF(s - m, m), QtCore.QPointF(m, s - m))
    elif severity == "warning":
        painter.drawLine(QtCore.QPointF(s / 2, s * 0.38), QtCore.QPointF(s / 2, s * 0.62))
        painter.drawPoint(QtCore.QPointF(s / 2, s * 0.78))
    else:
        painter.drawLine(QtCore.QPointF(s / 2, s * 0.45), QtCore.QPointF(s / 2, s * 0.74))
        painter.drawPoint(QtCore.QPointF(s / 2, s * 0.28))
    painter.end()
    return QtGui.QIcon(pixmap)


def standard_icon(widget: QtWidgets.QWidget, name: str) -> QtGui.QIcon:
    """One of Qt's standard icons by its StandardPixmap name (e.g. `SP_BrowserReload`)."""
    pixmap = getattr(QtWidgets.QStyle.StandardPixmap, name)
    return widget.style().standardIcon(pixmap)


class WrapLabel(QtWidgets.QLabel):
    """A word-wrapped label that asks for the height its text needs at its width (a plain
    one in a grid or a card is given one line's height and cut)."""

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        """Qt: claim the wrapped height for the new width."""
        super().resizeEvent(event)
        self._fit()

    def setText(self, text: str) -> None:
        """Qt: new text, and the height it needs."""
        super().setText(text)
        self._fit()

    def _fit(self) -> None:
        if self.width() <= 0:
            return
        frame = self.height() - self.contentsRect().height()
        need = (self.heightForWidth(self.contentsRect().width()) + frame) if self.text() else 0
        if need > 0 and self.minimumHeight() != need:
            self.setMinimumHeight(need)


def label(text: str = "", role: str | None = None, wrap: bool = False) -> QtWidgets.QLabel:
    """A QLabel with a style role (`title`, `heading`, `muted`, `error`, `warning`, `ok`);
    a wrapped one is a `WrapLabel`."""
    widget = WrapLabel(text) if wrap else QtWidgets.QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    return widget


def ask(parent: QtWidgets.QWidget, title: str, text: str) -> bool:
    """A yes/no question; True for yes (No is the default button)."""
    buttons = QtWidgets.QMessageBox.StandardButton
    answer = QtWidgets.QMessageBox.question(
        parent, title, text, buttons.Yes | buttons.No, buttons.No
    )
    return answer == buttons.Yes


def card(parent: QtWidgets.QWidget | None = None) -> QtWidgets.QFrame:
    """A slightly lighter rounded frame that groups related information."""
    frame = QtWidgets.QFrame(parent)
    frame.setProperty("role", "card")
    return frame


def set_invalid(widget: QtWidgets.QWidget, problem: str | None) -> None:
    """Mark a field red with the problem as its tooltip (or clear the mark)."""
    widget.setProperty("invalid", "true" if problem else "false")
    widget.setToolTip(problem or widget.property("plainTip") or "")
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def human_size(size: int | float | None) -> str:
    """Bytes for people: `0 B`, `12.3 KiB`, `4.1 GiB` (see `farmhand.units.size`).

    >>> human_size(0), human_size(1536), human_size(5 * 2**30)
    ('0 B', '1.5 KiB', '5.0 GiB')
    """
    from farmhand.units import size as _size

    return _size(size)


def human_duration(seconds: float | None) -> str:
    """Seconds for people: `45 s`, `3 min 20 s`, `2 h 05 min`; "" when unknown.

    >>> human_duration(45), human_duration(200), human_duration(7500), human_duration(None)
    ('45 s', '3 min 20 s', '2 h 05 min', '')
    """
    if seconds is None:
        return ""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"
