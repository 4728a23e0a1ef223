"""A job's frames as a grid of small squares coloured by the state of the tasks that render them.

A frame rendered in tiles is done when its assembly is; it shows failed or
running as soon as one of its tiles is. Test frames carry a white corner. A click
selects a frame (Ctrl adds or removes one, Shift a range): `selection_changed` tells
the page, which opens its tasks (`task_detail`).

>>> states = frame_states([{"frames": [1, 2], "state": "done", "is_test": False},
...                        {"frames": [3], "state": "running", "is_test": True}])
>>> [(f.frame, f.state, f.is_test) for f in states]
[(1, 'done', False), (2, 'done', False), (3, 'running', True)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmhand.panel import theme
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets, Signal

CELL = 16  # a square per frame when there are many
LABELLED = (42, 24)  # a numbered cell per frame when they fit
LABEL_LIMIT = 400
GAP = 3
LEGEND = ("done", "running", "queued", "waiting", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class FrameState:
    """One frame of a job: its overall state, whether it is a test frame, how many tasks."""

    frame: int
    state: str
    is_test: bool
    tasks: int


def _overall(states: list[str]) -> str:
    if "failed" in states:
        return "failed"
    if "running" in states:
        return "running"
    if all(s == "done" for s in states):
        return "done"
    if all(s == "cancelled" for s in states):
        return "cancelled"
    if "queued" in states:
        return "queued"
    return "waiting"


def frame_states(tasks: list[dict[str, Any]]) -> list[FrameState]:
    """Per-frame states from `GET /jobs/{id}/tasks`, in frame order."""
    by_frame: dict[int, list[dict[str, Any]]] = {}
    for task in tasks:
        for frame in task.get("frames") or []:
            by_frame.setdefault(int(frame), []).append(task)
    result = []
    for frame in sorted(by_frame):
        rows = by_frame[frame]
        assembly = [t for t in rows if t.get("kind") == "assemble"]
        states = [str(t.get("state")) for t in rows]
        state = _overall(states)
        if assembly and state == "waiting":
            state = "queued"
        if assembly and all(t.get("state") == "done" for t in assembly):
            state = "done"
        is_test = any(bool(t.get("is_test")) for t in rows)
        result.append(FrameState(frame, state, is_test, len(rows)))
    return result


class FrameGrid(QtWidgets.QWidget):
    """Squares for frames, wrapping to the widget's width; hover for the frame's details,
    click to select."""

    selection_changed = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames: list[FrameState] = []
        self.selected: list[int] = []  # frames, in the order they were picked
        self._anchor: int | None = None  # the frame a Shift-click extends from
        self.setMouseTracking(True)
        policy = QtWidgets.QSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred
        )
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_tasks(self, tasks: list[dict[str, Any]]) -> None:
        """Show these tasks' frames (a selection keeps the frames that are still there)."""
        self.frames = frame_states(tasks)
        present = {f.frame for f in self.frames}
        kept = [f for f in self.selected if f in present]
        if kept != self.selected:
            self.selected = kept
            self.selection_changed.emit()
        self.updateGeometry()
        self.update()

    def select(self, frames: list[int]) -> None:
        """Select these frames (those the grid shows), as clicks would."""
        present = {f.frame for f in self.frames}
        self.selected = list(dict.fromkeys(f for f in frames if f in present))
        self._anchor = self.selected[-1] if self.selected else None
        self.update()
        self.selection_changed.emit()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        """Qt: a click selects its frame; Ctrl toggles one, Shift takes the range."""
        cell = self.cell_at(event.position().toPoint())
        if event.button() != Qt.MouseButton.LeftButton or cell is None:
            super().mousePressEvent(event)
            return
        modifiers = event.modifiers()
        order = [f.frame for f in self.frames]
        if modifiers & Qt.KeyboardModifier.ShiftModifier and self._anchor in order:
            a, b = sorted((order.index(self._anchor), order.index(cell.frame)))
            self.selected = order[a : b + 1]
        elif modifiers & Qt.KeyboardModifier.ControlModifier:
            if cell.frame in self.selected:
                self.selected = [f for f in self.selected if f != cell.frame]
            else:
                self.selected = [*self.selected, cell.frame]
            self._anchor = cell.frame
        else:
            self.selected, self._anchor = [cell.frame], cell.frame
        self.update()
        self.selection_changed.emit()

    def counts(self) -> dict[str, int]:
        """How many frames are in each state."""
        counts: dict[str, int] = {}
        for f in self.frames:
            counts[f.state] = counts.get(f.state, 0) + 1
        return counts

    def labelled(self) -> bool:
        """True when each cell shows its frame number (few, short frame numbers)."""
        return len(self.frames) <= LABEL_LIMIT and all(
            -9999 <= f.frame <= 99999 for f in self.frames
        )

    def cell_size(self) -> tuple[int, int]:
        """(width, height) of one cell."""
        return LABELLED if self.labelled() else (CELL, CELL)

    def _columns(self, width: int) -> int:
        return max(1, (width + GAP) // (self.cell_size()[0] + GAP))

    def hasHeightForWidth(self) -> bool:
        """Qt: the grid's height depends on its width."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Qt: the height the frames need at this width."""
        rows = -(-len(self.frames) // self._columns(width)) if self.frames else 1
        return rows * (self.cell_size()[1] + GAP)

    def sizeHint(self) -> QtCore.QSize:
        """Qt: a comfortable size."""
        return QtCore.QSize(400, self.heightForWidth(400))

    def minimumSizeHint(self) -> QtCore.QSize:
        """Qt: the smallest useful size."""
        return QtCore.QSize(CELL * 4, CELL)

    def cell_at(self, pos: QtCore.QPoint) -> FrameState | None:
        """The frame under a point, if any."""
        columns = self._columns(self.width())
        w, h = self.cell_size()
        col, row = pos.x() // (w + GAP), pos.y() // (h + GAP)
        if col >= columns:
            return None
        index = row * columns + col
        return self.frames[index] if 0 <= index < len(self.frames) else None

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """Qt: draw the cells."""
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        columns = self._columns(self.width())
        if not self.frames:
            painter.setPen(theme.colour(theme.MUTED))
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft), "No frames yet")
            painter.end()
            return
        w, h = self.cell_size()
        labelled = self.labelled()
        chosen = set(self.selected)
        outline = QtGui.QPen(QtGui.QColor("#ffffff"), 2)
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        for i, f in enumerate(self.frames):
            row, col = divmod(i, columns)
            rect = QtCore.QRectF(col * (w + GAP), row * (h + GAP), w, h)
            fill = theme.colour(theme.TASK_COLOURS.get(f.state, theme.MUTED))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            if labelled:
                light = fill.lightness() > 140
                painter.setPen(QtGui.QColor("#1b1b1b" if light else "#e8e8e8"))
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), str(f.frame))
                painter.setPen(Qt.PenStyle.NoPen)
            if f.is_test:
                painter.setBrush(QtGui.QColor("#ffffff"))
                corner = QtGui.QPolygonF([rect.topLeft(), rect.topLeft() + QtCore.QPointF(7, 0),
                                          rect.topLeft() + QtCore.QPointF(0, 7)])  # fmt: skip
                painter.drawPolygon(corner)
            if f.frame in chosen:
                painter.setPen(outline)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 3, 3)
                painter.setPen(Qt.PenStyle.NoPen)
        painter.end()

    def event(self, event: QtCore.QEvent) -> bool:
        """Qt: a tooltip names the frame under the mouse."""
        if event.type() == QtCore.QEvent.Type.ToolTip:
            cell = self.cell_at(event.pos())  # type: ignore[attr-defined]
            if cell is None:
                QtWidgets.QToolTip.hideText()
            else:
                note = " (test frame)" if cell.is_test else ""
                tasks = f", {cell.tasks} tasks" if cell.tasks > 1 else ""
                QtWidgets.QToolTip.showText(
                    event.globalPos(),  # type: ignore[attr-defined]
                    f"frame {cell.frame}: {cell.state}{note}{tasks}",
                    self,
                )
            return True
        return super().event(event)


def legend() -> QtWidgets.QWidget:
    """A row of coloured dots naming the task states."""
    widget = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(12)
    for state in LEGEND:
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(4)
        dot = QtWidgets.QLabel()
        dot.setPixmap(theme.dot_icon(theme.TASK_COLOURS[state], 10).pixmap(10, 10))
        row.addWidget(dot)
        row.addWidget(theme.label(state, "muted"))
        layout.addLayout(row)
    test = theme.label("◤ test frame", "muted")
    layout.addWidget(test)
    layout.addStretch(1)
    return widget
