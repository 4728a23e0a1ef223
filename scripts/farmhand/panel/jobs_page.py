"""My jobs: the artist's jobs, live (polled in the background), a frame grid of the selected
job coloured by task state whose frames open their tasks' attempts, log and retry
(`task_detail`), previews of finished frames when the server offers them, and the job
actions (pause, resume, cancel, approve, retry failed)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.panel import theme
from farmhand.panel.connection import Login, LoginForm, describe_error
from farmhand.panel.estimate import estimate
from farmhand.panel.flow import FlowLayout
from farmhand.panel.frame_grid import FrameGrid, legend
from farmhand.panel.job_watch import JobWatch, Notice
from farmhand.panel.jobs_model import ROLE_JOB, JobsModel, ProgressDelegate
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets
from farmhand.panel.state import PanelState
from farmhand.panel.task_detail import TaskDetail
from farmhand.spec.defaults import default_of
from farmhand.transfer.client import FarmError
from farmhand.transfer.download import DownloadReport, download_job

POLL_MS = 2500
THUMB = 220  # previews wide enough to judge a test frame
FINAL = ("completed", "failed", "cancelled")
ACTIONS = (("pause", "Pause", "SP_MediaPause"), ("resume", "Resume", "SP_MediaPlay"),
           ("approve", "Approve", "SP_DialogApplyButton"),
           ("retry", "Retry failed", "SP_BrowserReload"),
           ("cancel", "Cancel job", "SP_DialogCancelButton"))  # fmt: skip
DOWNLOAD_TIP = "Fetch the finished frames into a folder (verified; files already there are kept)"


@dataclass
class FarmSnapshot:
    """What one poll brought back: the jobs, and the selected job's details, tasks and outputs."""

    jobs: list[dict[str, Any]]
    job: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    previews: dict[int, bytes] = field(default_factory=dict)  # frame → preview image bytes


def preview_keys(outputs: list[dict[str, Any]]) -> dict[int, str]:
    """Frame → blob key of its preview, from `GET /jobs/{id}/outputs` (first output wins).

    >>> preview_keys([{"frame": 3, "preview": {"key": "ab-1"}}, {"frame": 4, "preview": None}])
    {3: 'ab-1'}
    """
    keys: dict[int, str] = {}
    for output in outputs:
        preview = output.get("preview")
        frame = output.get("frame")
        if isinstance(preview, dict) and preview.get("key") and frame is not None:
            keys.setdefault(int(frame), str(preview["key"]))
    return keys


def fetch(
    login: Login, job_id: int | None, known: Collection[int] = (), max_previews: int = 48
) -> FarmSnapshot:
    """One poll: `GET /jobs`; for the selected job, the job, its tasks, its outputs and the
    previews not fetched yet (`known` frames are skipped)."""
    client = login.client()
    snapshot = FarmSnapshot(client.jobs())
    if job_id is None or not any(j.get("id") == job_id for j in snapshot.jobs):
        return snapshot
    snapshot.job = client.job(job_id)
    snapshot.tasks = client.tasks(job_id)
    try:
        snapshot.outputs = client.outputs(job_id)
    except FarmError as exc:
        if exc.status != 404:  # a server without outputs yet: the grid alone
            raise
    wanted = [(f, k) for f, k in sorted(preview_keys(snapshot.outputs).items()) if f not in known][
        :max_previews
    ]
    for frame, key in wanted:
        snapshot.previews[frame] = client.request("GET", f"/blobs/{key}").content
    return snapshot


def download_outputs(
    login: Login, job_id: int, dest: Path, progress: Callable[[str], None] | None = None
) -> DownloadReport:
    """Fetch the job's finished outputs into `dest` (verified; files already there are kept)."""

    def on_file(path: Path, fetched: bool) -> None:
        if progress is not None:
            progress(f"{'fetched' if fetched else 'already there'}: {path.name}")

    return download_job(login.client(), job_id, dest, follow=False, on_file=on_file)


def job_action(login: Login, job_id: int, action: str) -> dict[str, Any]:
    """Run a job action on the server."""
    body = {"kill": True} if action == "pause" else None
    return login.client().job_action(job_id, action, body)


def set_priority(login: Login, job_id: int, priority: int) -> dict[str, Any]:
    """Change a job's priority on the server (`PATCH /jobs/{id}`)."""
    return login.client().json("PATCH", f"/jobs/{job_id}", {"priority": priority})


CONFIRM = {
    "cancel": ("Cancel job?", "Cancel job #{id} ({name})? Its running tasks stop and its "
               "queued tasks will not render. Finished frames are kept."),
    "approve": ("Approve the test frames?", "Approve job #{id} ({name})? The remaining "
                "{rest} task(s) will render on the farm. Check the test frames' previews first."),
}  # fmt: skip
"""The actions that ask first: (title, question) by action."""


class JobsPage(QtWidgets.QWidget):
    """The list of jobs and the selected job's frames, previews and actions."""

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.selected_id: int | None = None
        self.job: dict[str, Any] | None = None
        self.tasks: list[dict[str, Any]] = []
        self.outputs: list[dict[str, Any]] = []
        self.downloaded: DownloadReport | None = None
        self.previews: dict[int, QtGui.QPixmap] = {}
        self.polls = 0
        self._in_flight = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        self.login_form = LoginForm(state.background)
        self.login_form.logged_in.connect(lambda login, _me: state.set_login(login))
        layout.addWidget(self.login_form)

        head = QtWidgets.QHBoxLayout()
        head.addWidget(theme.label("My jobs", "heading"))
        head.addStretch(1)
        self.status = theme.label("", "muted")
        head.addWidget(self.status)
        self.refresh_button = QtWidgets.QToolButton()
        self.refresh_button.setIcon(theme.standard_icon(self, "SP_BrowserReload"))
        self.refresh_button.setToolTip("Refresh now (the list refreshes itself every few seconds)")
        self.refresh_button.clicked.connect(self.poll)
        head.addWidget(self.refresh_button)
        layout.addLayout(head)

        splitter = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.model = JobsModel(self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setItemDelegateForColumn(2, ProgressDelegate(self.table))
        self.table.setMinimumHeight(90)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 150), (2, 180), (3, 120), (4, 110)):
            header.resizeSection(col, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        splitter.addWidget(self.table)

        details = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(details)
        rl.setContentsMargins(0, 8, 0, 0)
        rl.setSpacing(8)
        top = QtWidgets.QHBoxLayout()
        self.title = theme.label("Select a job", "title")
        top.addWidget(self.title)
        top.addSpacing(12)
        self.facts = theme.label("", "muted", wrap=True)  # a waiting reason can be long
        top.addWidget(self.facts, 1)
        rl.addLayout(top)
        # A job waiting for its test frames to be approved: say so loudly, with the button.
        self.approval = theme.card()
        self.approval.setProperty("role", "callout")
        approval = QtWidgets.QVBoxLayout(self.approval)
        approval.setContentsMargins(12, 10, 12, 10)
        self.approval_text = theme.label("", wrap=True)
        approval.addWidget(self.approval_text)
        self.approve_now = QtWidgets.QPushButton("Approve and render the rest")
        self.approve_now.setProperty("role", "primary")
        self.approve_now.setIcon(theme.standard_icon(self, "SP_DialogApplyButton"))
        self.approve_now.clicked.connect(lambda: self.act("approve"))
        approval.addWidget(self.approve_now, 0, Qt.AlignmentFlag.AlignLeft)
        self.approval.setVisible(False)
        rl.addWidget(self.approval)
        buttons = FlowLayout(spacing=6)
        self.action_buttons: dict[str, QtWidgets.QPushButton] = {}
        for action, text, icon in ACTIONS:
            button = QtWidgets.QPushButton(text)
            button.setToolTip(text)
            button.setIcon(theme.standard_icon(self, icon))
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            self.action_buttons[action] = button
            buttons.addWidget(button)
        self.priority = QtWidgets.QSpinBox()
        self.priority.setRange(0, 100)
        self.priority.setPrefix("priority ")
        self.priority.setToolTip("0 lowest to 100 highest; the farm takes the change at once")
        self.priority.setKeyboardTracking(False)
        self.priority.valueChanged.connect(self._priority_changed)
        buttons.addWidget(self.priority)
        self.download_button = QtWidgets.QPushButton("Download outputs…")
        self.download_button.setIcon(theme.standard_icon(self, "SP_ArrowDown"))
        self.download_button.setEnabled(False)
        self.download_button.setToolTip(DOWNLOAD_TIP)
        self.download_button.clicked.connect(self._ask_download)
        buttons.addWidget(self.download_button)
        rl.addLayout(buttons)
        self.download_status = theme.label("", "muted", wrap=True)
        rl.addWidget(self.download_status)
        frames_head = QtWidgets.QHBoxLayout()
        frames_head.addWidget(theme.label("Frames", "heading"))
        frames_head.addStretch(1)
        self.legend = legend()
        frames_head.addWidget(self.legend)
        rl.addLayout(frames_head)
        self.grid = FrameGrid()
        grid_scroll = QtWidgets.QScrollArea()
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        grid_scroll.setWidget(self.grid)
        grid_scroll.setMinimumHeight(2 * 27 + 4)  # two rows of numbered squares
        rl.addWidget(grid_scroll, 1)
        self.grid_scroll = grid_scroll
        self.detail = TaskDetail(state)
        self.grid.selection_changed.connect(self._frames_picked)
        self.detail.retried.connect(lambda job: self._acted("retry", job))
        rl.addWidget(self.detail, 2)
        rl.addWidget(theme.label("Previews", "heading"))
        self.thumbs = QtWidgets.QListWidget()
        self.thumbs.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.thumbs.setFlow(QtWidgets.QListView.Flow.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setIconSize(QtCore.QSize(THUMB, THUMB * 9 // 16))
        self.thumbs.setMovement(QtWidgets.QListView.Movement.Static)
        self.thumbs.setSpacing(4)
        self.thumbs.setFixedHeight(THUMB * 9 // 16 + 52)
        self.thumbs.setToolTip("Click a preview to see it large")
        self.thumbs.itemClicked.connect(self._open_preview)
        self.thumbs_note = theme.label("", "muted", wrap=True)
        rl.addWidget(self.thumbs)
        rl.addWidget(self.thumbs_note)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([170, 470])

        self.watch = JobWatch(state, self)
        self.watch.notice.connect(self._notice)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        state.login_changed.connect(self._login_changed)
        state.job_submitted.connect(lambda job: self.show_job(int(job["id"])))
        self._login_changed()
        self._show_job()

    def set_compact(self, compact: bool) -> None:
        """Narrow (a slim Maya dock): the buttons show their icons (the text as a tooltip),
        and the legend gives way (a square's tooltip names its state)."""
        for action, text, _ in ACTIONS:
            self.action_buttons[action].setText("" if compact else text)
        self.download_button.setText("" if compact else "Download outputs…")
        self.legend.setVisible(not compact)
        # The job's name needs the room: Tasks and Submitted give way (in its tooltip).
        for column in (3, 4):
            self.table.setColumnHidden(column, compact)
        header = self.table.horizontalHeader()
        header.resizeSection(1, 140 if compact else 150)
        header.resizeSection(2, 80 if compact else 180)

    # -- polling ----------------------------------------------------------------------------------
    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Qt: start polling while the section is shown."""
        super().showEvent(event)
        if self.state.login.usable:
            self.timer.start()
            self.poll()

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        """Qt: stop polling when the section is hidden."""
        super().hideEvent(event)
        self.timer.stop()

    def _login_changed(self) -> None:
        usable = self.state.login.usable
        self.login_form.setVisible(not usable)
        if usable and self.isVisible():
            self.timer.start()
            self.poll()

    def poll(self) -> bool:
        """Ask the farm for the jobs (and the selected job's tasks) in the background."""
        if self._in_flight or not self.state.login.usable:
            return False
        self._in_flight = True
        self.state.background.run(
            fetch,
            self.state.login,
            self.selected_id,
            set(self.previews),
            on_done=self._polled,
            on_error=self._poll_failed,
        )
        return True

    def _polled(self, snapshot: FarmSnapshot) -> None:
        self._in_flight = False
        self.polls += 1
        self.model.set_jobs(snapshot.jobs)
        self.watch.saw(snapshot.jobs)
        self._reselect()
        self.status.setText(f"{len(snapshot.jobs)} job(s) · updated {_clock()}")
        if snapshot.job is not None and snapshot.job.get("id") == self.selected_id:
            self.job, self.tasks = snapshot.job, snapshot.tasks
            self.outputs = snapshot.outputs
            for frame, data in snapshot.previews.items():
                pixmap = QtGui.QPixmap()
                if pixmap.loadFromData(data):
                    self.previews[frame] = pixmap
            self._show_job()

    def _notice(self, notice: Notice) -> None:
        if notice.job_id == self.selected_id and self.isVisible():
            self.watch.seen(notice.job_id)  # the artist is looking at it
        self.model.set_notices({i: n.text for i, n in self.watch.unseen.items()})
        self.status.setText(notice.text)

    def _poll_failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self.status.setText(f"Could not reach the farm: {describe_error(exc)}")

    # -- selection --------------------------------------------------------------------------------
    def show_job(self, job_id: int) -> None:
        """Select a job (e.g. the one just submitted) and fetch its frames."""
        if job_id != self.selected_id:
            self.selected_id, self.job, self.tasks, self.previews = job_id, None, [], {}
            self.outputs = []
            self.download_status.setText("")
            self.grid.select([])
        self._reselect()
        self._show_job()
        self.poll()

    def _reselect(self) -> None:
        row = self.model.row_of(self.selected_id) if self.selected_id is not None else -1
        current = self.table.selectionModel().selectedRows()
        if row >= 0 and (not current or current[0].row() != row):
            self.table.blockSignals(True)
            self.table.selectRow(row)
            self.table.blockSignals(False)

    def _selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        job = rows[0].data(ROLE_JOB)
        if job and job.get("id") != self.selected_id:
            self.show_job(int(job["id"]))

    def _show_job(self) -> None:
        if self.selected_id in self.watch.unseen and self.isVisible():
            self.watch.seen(self.selected_id)
            self.model.set_notices({i: n.text for i, n in self.watch.unseen.items()})
        job = self.job
        if job is None:
            listed = (
                self.model.jobs[self.model.row_of(self.selected_id)]
                if self.selected_id is not None and self.model.row_of(self.selected_id) >= 0
                else None
            )
            job = listed
        for button in self.action_buttons.values():
            button.setEnabled(False)
        self.download_button.setEnabled(bool(self.outputs))
        self.approval.setVisible(False)
        self.priority.setEnabled(False)
        if job is None:
            if self.selected_id is not None:  # chosen, its details not fetched yet
                self.title.setText(f"Job #{self.selected_id}")
            else:
                self.title.setText("Select a job" if self.model.jobs else "No jobs yet")
            self.facts.setText("Jobs you submit appear here with their frames.")
            self.grid.set_tasks([])
            self._show_previews()
            return
        state = str(job.get("state"))
        self.title.setText(f"#{job.get('id')}  {job.get('name', '')}")
        done = f"{job.get('tasks_done', 0)} of {job.get('tasks_total', 0)} tasks done"
        facts = [state.replace("_", " "), done]
        if job.get("tasks_failed"):
            facts.append(f"{job['tasks_failed']} failed")
        if job.get("test_pending"):
            facts.append(f"{job['test_pending']} test task(s) pending")
        eta = job.get("eta_seconds")
        if eta and eta >= 1 and state not in FINAL:
            facts.append(f"about {theme.human_duration(eta)} left")
        if job.get("waiting_reason"):
            facts.append(f"waiting: {job['waiting_reason']}")
        self.facts.setText(" · ".join(facts))
        enabled = {
            "pause": state in ("queued", "rendering", "awaiting_approval"),
            "resume": state == "paused",
            "approve": state == "awaiting_approval",
            "retry": bool(job.get("tasks_failed")) and state != "cancelled",
            "cancel": state not in FINAL,
        }
        for action, on in enabled.items():
            self.action_buttons[action].setEnabled(on)
        if state == "awaiting_approval":
            rest = int(job.get("tasks_total", 0)) - int(job.get("tasks_done", 0))
            self.approval_text.setText(
                f"<b>Your approval is needed.</b> The test frames of job #{job.get('id')} are "
                f"done: check their previews below, then approve to render the remaining "
                f"{rest} task(s), or cancel the job."
                + (f"<br>{found.text()}" if (found := estimate(job, self.tasks)) else "")
            )
            self.approval.setVisible(True)
        self.priority.blockSignals(True)
        self.priority.setValue(int(job.get("priority", default_of("priority"))))
        self.priority.blockSignals(False)
        self.priority.setEnabled(state not in FINAL)
        self.grid.set_tasks(self.tasks)
        self._frames_picked()
        self._show_previews()

    def _frames_picked(self) -> None:
        self.detail.show_frames(self.selected_id, self.tasks, self.grid.selected)

    def _show_previews(self) -> None:
        self.thumbs.clear()
        for frame, pixmap in sorted(self.previews.items()):
            icon = QtGui.QIcon(
                pixmap.scaled(
                    THUMB,
                    THUMB * 9 // 16,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            item = QtWidgets.QListWidgetItem(icon, self.preview_label(frame))
            item.setData(Qt.ItemDataRole.UserRole, frame)
            item.setToolTip(f"{self.preview_label(frame)}: click to see it large")
            self.thumbs.addItem(item)
        if self.previews:
            self.thumbs_note.setText("")
        elif self.outputs:
            self.thumbs_note.setText("The finished frames came without previews.")
        else:
            self.thumbs_note.setText("Previews of finished frames appear here as they render.")
        self.thumbs.setVisible(bool(self.previews))

    def preview_label(self, frame: int) -> str:
        """`layer · frame N` (the layer of the task that rendered it, when there are layers)."""
        spec = (self.job or {}).get("spec") or {}
        layers = spec.get("layers") if isinstance(spec, dict) else None
        for task in self.tasks:
            if frame in (task.get("frames") or []) and task.get("layer") is not None:
                index = int(task["layer"])
                if isinstance(layers, list) and 0 <= index < len(layers):
                    layer = layers[index]
                    name = (
                        layer.get("display_name") or layer.get("name")
                        if isinstance(layer, dict)
                        else str(layer)
                    )
                    return f"{name} · frame {frame}"
        return f"frame {frame}"

    def _open_preview(self, item: QtWidgets.QListWidgetItem) -> None:
        frame = item.data(Qt.ItemDataRole.UserRole)
        pixmap = self.previews.get(frame)
        if pixmap is None:
            return
        title = f"#{self.selected_id} {self.preview_label(frame)}"
        self.preview_dialog = PreviewDialog(pixmap, title, self)
        self.preview_dialog.show()

    def _priority_changed(self, value: int) -> None:
        if self.selected_id is None or self.job is None:
            return
        job_id = self.selected_id
        self.status.setText(f"priority of job {job_id} → {value}…")
        self.state.background.run(
            set_priority,
            self.state.login,
            job_id,
            value,
            on_done=lambda job: self._acted("priority", job),
            on_error=lambda exc: self._act_failed("change the priority", exc),
        )

    # -- downloads -------------------------------------------------------------------------------
    def _ask_download(self) -> None:
        if self.selected_id is None:
            return
        start = str(Path.home() / f"job-{self.selected_id}")
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Download the outputs to", start)
        if folder:
            self.download_to(Path(folder))

    def download_to(self, dest: Path) -> None:
        """Fetch the selected job's finished outputs into `dest` in the background."""
        if self.selected_id is None:
            return
        self.download_button.setEnabled(False)
        self.download_status.setText(f"downloading to {dest}…")
        self.state.background.run(
            download_outputs,
            self.state.login,
            self.selected_id,
            dest,
            on_progress=self.download_status.setText,
            on_done=lambda report: self._downloaded(dest, report),
            on_error=lambda exc: self._download_failed(exc),
        )

    def _downloaded(self, dest: Path, report: DownloadReport) -> None:
        self.downloaded = report
        self.download_button.setEnabled(bool(self.outputs))
        self.download_status.setText(
            f"{len(report.fetched)} file(s) fetched ({theme.human_size(report.bytes)}), "
            f"{len(report.skipped)} already there, in {dest}"
        )

    def _download_failed(self, exc: BaseException) -> None:
        self.download_button.setEnabled(bool(self.outputs))
        self.download_status.setText(f"Download failed: {describe_error(exc)}")

    # -- actions ---------------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """Run a job action on the selected job in the background, then refresh; cancelling
        and approving ask first."""
        if self.selected_id is None:
            return
        job_id = self.selected_id
        if action in CONFIRM:
            job = self.job or {"id": job_id}
            title, text = CONFIRM[action]
            rest = int(job.get("tasks_total", 0)) - int(job.get("tasks_done", 0))
            question = text.format(id=job_id, name=job.get("name", ""), rest=rest)
            if not self.confirm(title, question):
                self.status.setText(f"{action}: not done")
                return
        for button in self.action_buttons.values():
            button.setEnabled(False)
        self.status.setText(f"{action} job {job_id}…")
        self.state.background.run(
            job_action,
            self.state.login,
            job_id,
            action,
            on_done=lambda job: self._acted(action, job),
            on_error=lambda exc: self._act_failed(action, exc),
        )

    def confirm(self, title: str, text: str) -> bool:
        """Ask the user (a test replaces this)."""
        return theme.ask(self, title, text)

    def _acted(self, action: str, job: dict[str, Any]) -> None:
        affected = f" ({job['affected']} task(s))" if "affected" in job else ""
        self.status.setText(f"{action}: job {job.get('id')} is {job.get('state')}{affected}")
        self.poll()

    def _act_failed(self, action: str, exc: BaseException) -> None:
        self.status.setText(f"Could not {action}: {describe_error(exc)}")
        self._show_job()


class PreviewDialog(QtWidgets.QDialog):
    """A finished frame's preview, large, in a window of its own."""

    def __init__(self, pixmap: QtGui.QPixmap, title: str, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QtWidgets.QVBoxLayout(self)
        self.image = QtWidgets.QLabel()
        screen = parent.screen().availableGeometry() if parent.screen() else None
        limit = (
            QtCore.QSize(screen.width() * 3 // 4, screen.height() * 3 // 4)
            if screen
            else QtCore.QSize(1280, 720)
        )
        shown = (
            pixmap
            if pixmap.width() <= limit.width() and pixmap.height() <= limit.height()
            else pixmap.scaled(
                limit,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.image.setPixmap(shown)
        layout.addWidget(self.image)
        layout.addWidget(theme.label(title, "muted"))


def _clock() -> str:
    return QtCore.QTime.currentTime().toString("HH:mm:ss")
