"""The artist's jobs as a table model, with a progress bar drawn in its Progress column."""

from __future__ import annotations

import time
from typing import Any

from farmhand.panel import theme
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets

COLUMNS = ("Job", "State", "Progress", "Tasks", "Submitted")
STATE_WORDS = {"awaiting_approval": "awaiting approval"}
ROLE_JOB = Qt.ItemDataRole.UserRole
ROLE_PROGRESS = Qt.ItemDataRole.UserRole + 1


def ago(timestamp: float | None, now: float | None = None) -> str:
    """A time as 'x ago' for lists.

    >>> ago(100, now=130), ago(100, now=100 + 7200), ago(None)
    ('just now', '2 h ago', '')
    """
    if not timestamp:
        return ""
    seconds = (now if now is not None else time.time()) - float(timestamp)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return time.strftime("%Y-%m-%d", time.localtime(float(timestamp)))


_ROOT = QtCore.QModelIndex()
"""The invisible root index (a default argument of the model methods)."""


class JobsModel(QtCore.QAbstractTableModel):
    """One row per job (newest first, as the server lists them)."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[dict[str, Any]] = []
        self.notices: dict[int, str] = {}  # job id → what changed, until the job is opened

    def set_jobs(self, jobs: list[dict[str, Any]]) -> None:
        """Show these jobs; when the same jobs come back only their cells are refreshed."""
        if [j.get("id") for j in jobs] == [j.get("id") for j in self.jobs]:
            self.jobs = jobs
            if jobs:
                self.dataChanged.emit(self.index(0, 0), self.index(len(jobs) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.jobs = jobs
        self.endResetModel()

    def set_notices(self, notices: dict[int, str]) -> None:
        """Mark these jobs' rows (bold, with the notice as tooltip) until they are opened."""
        self.notices = dict(notices)
        if self.jobs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.jobs) - 1, 0))

    def row_of(self, job_id: int) -> int:
        """The row of a job, or -1."""
        for i, job in enumerate(self.jobs):
            if job.get("id") == job_id:
                return i
        return -1

    def rowCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        """Qt: how many rows under `parent`."""
        return 0 if parent.isValid() else len(self.jobs)

    def columnCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        """Qt: the number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        """Qt: the column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(
        self,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Qt: what a cell shows (text, colour, icon, tooltip, sort key)."""
        if not index.isValid():
            return None
        job = self.jobs[index.row()]
        column = index.column()
        state = str(job.get("state", ""))
        if role == ROLE_JOB:
            return job
        if role == ROLE_PROGRESS:
            return float(job.get("progress") or 0.0), state
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"#{job.get('id')}  {job.get('name', '')}"
            if column == 1:
                return STATE_WORDS.get(state, state)
            if column == 2:
                return f"{float(job.get('progress') or 0):.0f}%"
            if column == 3:
                failed = job.get("tasks_failed") or 0
                text = f"{job.get('tasks_done', 0)}/{job.get('tasks_total', 0)}"
                return text + (f" · {failed} failed" if failed else "")
            if column == 4:
                return ago(job.get("created_at"))
        notice = self.notices.get(job.get("id"))  # type: ignore[arg-type]
        if notice and column == 0:
            if role == Qt.ItemDataRole.FontRole:
                font = QtGui.QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return notice
            if role == Qt.ItemDataRole.DecorationRole:
                return theme.dot_icon(theme.JOB_COLOURS.get(state, theme.MUTED), 8)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return theme.colour(theme.JOB_COLOURS.get(state, theme.MUTED))
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return theme.dot_icon(theme.JOB_COLOURS.get(state, theme.MUTED), 10)
        return None


class ProgressDelegate(QtWidgets.QStyledItemDelegate):
    """Draws a job's progress as a thin bar coloured by its state, with the percentage."""

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        """Qt: draw the progress bar and percentage."""
        value = index.data(ROLE_PROGRESS)
        if value is None:
            super().paint(painter, option, index)
            return
        progress, state = value
        style = option.widget.style() if option.widget else QtWidgets.QApplication.style()
        style.drawPrimitive(
            QtWidgets.QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )
        rect = option.rect.adjusted(6, 0, -6, 0)
        bar = QtCore.QRectF(rect.x(), rect.center().y() - 3, rect.width() - 44, 6)
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(theme.BASE))
        painter.drawRoundedRect(bar, 3, 3)
        done = QtCore.QRectF(bar)
        done.setWidth(bar.width() * max(0.0, min(progress, 100.0)) / 100.0)
        painter.setBrush(theme.colour(theme.JOB_COLOURS.get(state, theme.ACCENT)))
        painter.drawRoundedRect(done, 3, 3)
        painter.setPen(option.palette.color(QtGui.QPalette.ColorRole.Text))
        text_rect = QtCore.QRectF(bar.right() + 4, rect.y(), 40, rect.height())
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, int(align), f"{progress:.0f}%")
        painter.restore()
