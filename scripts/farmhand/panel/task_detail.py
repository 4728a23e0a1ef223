"""The frames picked in My jobs' grid, opened: each of their tasks' attempts (node, start,
time taken, exit code, message), why a task waits, the log's tail of one attempt (followed
while it runs, through the server's log reads), and a retry of the failed ones.

Everything that reaches the farm runs in the background (`Background`); this module only
draws what comes back.
"""

from __future__ import annotations

import time
from typing import Any

from farmhand.panel import theme
from farmhand.panel.connection import Login, describe_error
from farmhand.panel.qt import Qt, QtCore, QtWidgets, Signal, top_items
from farmhand.panel.state import PanelState
from farmhand.spec.plan import frames_label

LOG_TAIL = 16 * 1024  # bytes of a log shown when it is opened
LOG_KEEP = 200_000  # characters kept while a running log grows
FOLLOW_MS = 1000  # how often a running attempt's log is read
RETRYABLE = ("failed", "cancelled")
COLUMNS = ("Task", "Try", "Node", "Started", "Took", "Exit", "Message")
ROLE_ATTEMPT = int(Qt.ItemDataRole.UserRole) + 1


def tasks_of(tasks: list[dict[str, Any]], frames: list[int]) -> list[dict[str, Any]]:
    """The tasks that render any of these frames, in the job's order.

    >>> [t["id"] for t in tasks_of([{"id": 1, "frames": [1, 2]}, {"id": 2, "frames": [3]}], [2])]
    [1]
    """
    wanted = set(frames)
    return [t for t in tasks if wanted.intersection(t.get("frames") or [])]


def retryable(tasks: list[dict[str, Any]]) -> list[int]:
    """Ids of the tasks a retry queues again (failed or cancelled)."""
    return [int(t["id"]) for t in tasks if t.get("state") in RETRYABLE]


def shown_attempt(tasks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The attempt whose log opens first: a running one, else the latest started."""
    attempts = [a for t in tasks for a in t.get("attempts") or []]
    running = [a for a in attempts if a.get("state") == "running"]
    pool = running or attempts
    return max(pool, key=lambda a: a.get("started_at") or 0) if pool else None


def fetch_log(login: Login, attempt_id: int, offset: int) -> tuple[bytes, int, str | None]:
    """The log from `offset`, or its last `LOG_TAIL` bytes when opened (offset 0)."""
    return login.client().attempt_log(attempt_id, offset, tail=None if offset else LOG_TAIL)


def retry_tasks(login: Login, job_id: int, task_ids: list[int]) -> dict[str, Any]:
    """Queue these tasks of the job again (the server takes at most 1000 at once)."""
    return login.client().job_action(job_id, "retry", {"task_ids": task_ids[:1000]})


def _clock(at: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at)) if at else "-"


def _took(attempt: dict[str, Any]) -> str:
    started, ended = attempt.get("started_at"), attempt.get("ended_at")
    if not started:
        return "-"
    if ended is None:
        progress = attempt.get("progress")
        done = f" · {100 * progress:.0f}%" if progress is not None else ""
        return f"{theme.human_duration(time.time() - started)}…{done}"
    return theme.human_duration(ended - started)


class TaskDetail(QtWidgets.QFrame):
    """The selected frames' tasks, attempts and a log; a Retry button for the failed ones."""

    retried = Signal(dict)  # the job after a retry

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.job_id: int | None = None
        self.frames: list[int] = []
        self.tasks: list[dict[str, Any]] = []
        self.log_attempt: int | None = None  # the attempt whose log is shown
        self.log_size = 0
        self.log_state: str | None = None
        self._chosen: int | None = None  # an attempt the artist clicked
        self._reading = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        head = QtWidgets.QHBoxLayout()
        self.title = theme.label("", "heading")
        head.addWidget(self.title, 1)
        self.retry_button = QtWidgets.QPushButton("Retry frame")
        self.retry_button.setIcon(theme.standard_icon(self, "SP_BrowserReload"))
        self.retry_button.setToolTip("Queue the failed tasks of the selected frames again")
        self.retry_button.clicked.connect(self.retry)
        head.addWidget(self.retry_button)
        layout.addLayout(head)
        self.waiting = theme.label("", "muted", wrap=True)
        self.waiting.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.waiting)
        self.attempts = QtWidgets.QTreeWidget()
        self.attempts.setColumnCount(len(COLUMNS))
        self.attempts.setHeaderLabels(list(COLUMNS))
        self.attempts.setRootIsDecorated(False)
        self.attempts.setUniformRowHeights(True)
        self.attempts.setAlternatingRowColors(True)
        self.attempts.setMinimumHeight(70)
        self.attempts.setMaximumHeight(130)
        header = self.attempts.header()
        header.setStretchLastSection(True)
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.attempts.itemClicked.connect(self._attempt_clicked)
        layout.addWidget(self.attempts)
        self.log_title = theme.label("", "muted")
        layout.addWidget(self.log_title)
        self.log = QtWidgets.QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setProperty("role", "code")
        self.log.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setMaximumBlockCount(5000)
        font = self.log.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.log.setFont(font)
        self.log.setMinimumHeight(80)
        layout.addWidget(self.log, 1)
        self.status = theme.label("", "muted", wrap=True)
        layout.addWidget(self.status)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(FOLLOW_MS)
        self.timer.timeout.connect(self._follow)
        self.setVisible(False)

    # -- what is shown --------------------------------------------------------------------------
    def show_frames(
        self, job_id: int | None, tasks: list[dict[str, Any]], frames: list[int]
    ) -> None:
        """Open these frames of the job (none: close); called again as the job's tasks change."""
        if job_id != self.job_id or frames != self.frames:
            self._chosen = None
            self.status.setText("")
        self.job_id, self.frames = job_id, list(frames)
        self.tasks = tasks_of(tasks, frames) if job_id is not None else []
        self.setVisible(bool(self.tasks))
        if not self.tasks:
            self.timer.stop()
            self.log_attempt = None
            return
        self._fill()

    def _fill(self) -> None:
        frames = self.frames
        what = f"Frame {frames[0]}" if len(frames) == 1 else f"{len(frames)} frames"
        count = len(self.tasks)
        self.title.setText(f"{what} · {count} task{'' if count == 1 else 's'}")
        failed = retryable(self.tasks)
        self.retry_button.setEnabled(bool(failed) and self.state.login.usable)
        self.retry_button.setText(
            "Retry frame" if len(frames) == 1 else f"Retry {len(failed)} failed task(s)"
        )
        reasons = []
        for task in self.tasks:
            why = task.get("waiting_reason")
            if why:
                reasons.append(f"{frames_label(task)}: waiting: {why}")
            elif task.get("state") == "failed" and task.get("message"):
                reasons.append(f"{frames_label(task)}: failed: {task['message']}")
        self.waiting.setText("\n".join(dict.fromkeys(reasons)))
        self.waiting.setVisible(bool(reasons))
        self.attempts.clear()
        for task in self.tasks:
            tries = task.get("attempts") or []
            if not tries:
                row = [frames_label(task), "-", "-", "-", "-", "-", task.get("state", "")]
                self.attempts.addTopLevelItem(QtWidgets.QTreeWidgetItem(row))
            for number, attempt in enumerate(tries, 1):
                exit_code = attempt.get("exit_code")
                message = attempt.get("message") or ""
                said = f"{attempt.get('state')}: {message}" if message else attempt.get("state")
                row = [frames_label(task), str(number), attempt.get("worker") or "-",
                       _clock(attempt.get("started_at")), _took(attempt),
                       "-" if exit_code is None else str(exit_code),
                       " ".join(str(said).split())]  # fmt: skip
                item = QtWidgets.QTreeWidgetItem(row)
                item.setData(0, ROLE_ATTEMPT, attempt)
                item.setToolTip(len(COLUMNS) - 1, message)
                colour = theme.TASK_COLOURS.get(
                    "done"
                    if attempt.get("state") == "done"
                    else "running"
                    if attempt.get("state") == "running"
                    else "failed"
                )
                item.setIcon(0, theme.dot_icon(colour, 10))
                self.attempts.addTopLevelItem(item)
        attempt = self._attempt(self._chosen) or shown_attempt(self.tasks)
        if attempt is None:
            self.log_attempt = None
            self.log_title.setText("No attempt yet: nothing has rendered it.")
            self.log.setPlainText("")
            self.timer.stop()
            return
        if attempt["id"] != self.log_attempt:
            self._open_log(attempt)
        self._mark_selected()

    def _attempt(self, attempt_id: int | None) -> dict[str, Any] | None:
        for task in self.tasks:
            for attempt in task.get("attempts") or []:
                if attempt.get("id") == attempt_id:
                    return attempt
        return None

    def _mark_selected(self) -> None:
        for item in top_items(self.attempts):
            attempt = item.data(0, ROLE_ATTEMPT)
            item.setSelected(bool(attempt) and attempt.get("id") == self.log_attempt)

    def _attempt_clicked(self, item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        attempt = item.data(0, ROLE_ATTEMPT)
        if attempt:
            self._chosen = attempt["id"]
            self._open_log(attempt)

    # -- the log --------------------------------------------------------------------------------
    def _open_log(self, attempt: dict[str, Any]) -> None:
        self.log_attempt, self.log_size, self.log_state = attempt["id"], 0, attempt.get("state")
        self.log.setPlainText("")
        node = attempt.get("worker") or "?"
        self.log_title.setText(f"Log of attempt {attempt['id']} on {node} ({attempt.get('state')})")
        self._reading = False
        self._read()
        self.timer.start()

    def _follow(self) -> None:
        if self.log_attempt is None or not self.isVisible():
            self.timer.stop()
            return
        self._read()

    def _read(self) -> None:
        if self._reading or self.log_attempt is None or not self.state.login.usable:
            return
        self._reading = True
        attempt = self.log_attempt
        self.state.background.run(
            fetch_log,
            self.state.login,
            attempt,
            self.log_size,
            on_done=lambda got: self._log_read(attempt, got),
            on_error=lambda exc: self._log_failed(attempt, exc),
        )

    def _log_read(self, attempt: int, got: tuple[bytes, int, str | None]) -> None:
        self._reading = False
        if attempt != self.log_attempt:
            return
        data, size, state = got
        ended = state is not None and state != "running"
        if data:
            bar = self.log.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            cursor = self.log.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(data.decode("utf-8", "replace"))
            if at_end:
                bar.setValue(bar.maximum())
        self.log_size = size
        if ended and self.log_state != "running":
            self.timer.stop()  # an ended attempt read after it ended: nothing more comes
        self.log_state = state
        if not data and not size:
            self.log.setPlaceholderText("The log is empty so far.")

    def _log_failed(self, attempt: int, exc: BaseException) -> None:
        self._reading = False
        if attempt == self.log_attempt:
            self.status.setText(f"Could not read the log: {describe_error(exc)}")
            self.timer.stop()

    # -- retry ----------------------------------------------------------------------------------
    def retry(self) -> None:
        """Queue the failed tasks of the selected frames again, in the background."""
        ids = retryable(self.tasks)
        if self.job_id is None or not ids:
            return
        self.retry_button.setEnabled(False)
        self.status.setText(f"retrying {len(ids)} task(s)…")
        self.state.background.run(
            retry_tasks,
            self.state.login,
            self.job_id,
            ids,
            on_done=self._retried,
            on_error=self._retry_failed,
        )

    def _retried(self, job: dict[str, Any]) -> None:
        self.status.setText(f"{job.get('affected', 0)} task(s) queued again")
        self.retried.emit(job)

    def _retry_failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not retry: {describe_error(exc)}")
        self.retry_button.setEnabled(bool(retryable(self.tasks)))
