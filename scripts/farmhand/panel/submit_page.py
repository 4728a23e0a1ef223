"""Submit: connect to the farm, then hash, upload what the farm lacks and submit — with
progress (files, bytes, rate, ETA), a Cancel button and a link to the job."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from farmhand.panel import theme
from farmhand.panel.connection import Login, LoginForm, describe_error
from farmhand.panel.plan_summary import job_frames, layer_names
from farmhand.panel.qt import Qt, QtWidgets, Signal
from farmhand.panel.state import PanelState
from farmhand.panel.submit_flow import HASHING, SUBMITTING, UPLOADING, SubmitEvent, submit
from farmhand.spec.defaults import with_defaults
from farmhand.submit.pipeline import Blocked, SpecInvalid
from farmhand.submit.send import Submitted
from farmhand.transfer.changes import FileChanged
from farmhand.transfer.hashing import Cancelled, HashError


class StageRow(QtWidgets.QWidget):
    """One step of the submission: a title, a progress bar and a line of numbers."""

    def __init__(self, number: int, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # One column: the title over its bar and numbers, which wrap in a narrow dock.
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setHorizontalSpacing(12)
        layout.setVerticalSpacing(3)
        self.badge = theme.label(str(number), "heading")
        self.badge.setFixedWidth(22)
        self.title = theme.label(title, wrap=True)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.detail = theme.label("waiting", "muted", wrap=True)
        layout.addWidget(self.badge, 0, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.title, 0, 1)
        layout.addWidget(self.bar, 1, 1)
        layout.addWidget(self.detail, 2, 1)
        layout.setColumnStretch(1, 1)

    def reset(self) -> None:
        """Back to waiting."""
        self._mark(False)
        self.bar.setValue(0)
        self.detail.setText("waiting")

    def show_counts(self, event: SubmitEvent, verb: str) -> None:
        """Files and bytes done, rate and time left."""
        fraction = (
            event.bytes_done / event.bytes_total
            if event.bytes_total
            else (event.files_done / event.files_total if event.files_total else 0.0)
        )
        self.bar.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        parts = [
            f"{event.files_done:,} of {event.files_total:,} files",
            f"{theme.human_size(event.bytes_done)} of {theme.human_size(event.bytes_total)}",
        ]
        if event.rate:
            parts.append(f"{theme.human_size(event.rate)}/s")
        if event.eta:
            parts.append(f"{theme.human_duration(event.eta)} left")
        self.detail.setText(f"{verb}: " + " · ".join(parts))

    def finish(self, text: str) -> None:
        """Full bar (green) and a closing note."""
        self._mark(True)
        self.bar.setValue(1000)
        self.detail.setText(text)

    def _mark(self, done: bool) -> None:
        self.bar.setProperty("done", "true" if done else "false")
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)


class SubmitPage(QtWidgets.QWidget):
    """Login when needed, the summary, the progress of a submission and its result."""

    open_job = Signal(int)
    running_changed = Signal(bool)

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.cancel_event: threading.Event | None = None
        self.result: Submitted | None = None
        self.error = ""
        self._uploads_seen = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(10)

        self.login_form = LoginForm(state.background)
        self.login_form.logged_in.connect(self._logged_in)
        layout.addWidget(self.login_form)
        conn = QtWidgets.QHBoxLayout()
        self.connection = theme.label("", "muted")
        self.change_login = QtWidgets.QPushButton("Change…")
        self.change_login.setFlat(True)
        self.change_login.clicked.connect(lambda: self.login_form.setVisible(True))
        conn.addWidget(self.connection)
        conn.addWidget(self.change_login)
        conn.addStretch(1)
        layout.addLayout(conn)

        summary = theme.card()
        sl = QtWidgets.QVBoxLayout(summary)
        sl.setContentsMargins(14, 12, 14, 12)
        sl.setSpacing(4)
        self.summary_title = theme.label("", "title")
        self.summary_text = theme.label("", wrap=True)
        self.blockers = theme.label("", "error", wrap=True)
        sl.addWidget(self.summary_title)
        sl.addWidget(self.summary_text)
        sl.addWidget(self.blockers)
        layout.addWidget(summary)

        buttons = QtWidgets.QHBoxLayout()
        self.submit_button = QtWidgets.QPushButton("Submit to farm")
        self.submit_button.setProperty("role", "primary")
        self.submit_button.setIcon(theme.standard_icon(self, "SP_ArrowUp"))
        self.submit_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.submit_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        stages = QtWidgets.QGroupBox("Progress")
        st = QtWidgets.QVBoxLayout(stages)
        st.setContentsMargins(12, 10, 12, 10)
        self.hash_row = StageRow(1, "Hash files (cached)")
        self.upload_row = StageRow(2, "Upload what the farm lacks")
        self.submit_row = StageRow(3, "Create the job")
        for row in (self.hash_row, self.upload_row, self.submit_row):
            st.addWidget(row)
        layout.addWidget(stages)

        self.outcome = theme.card()
        ol = QtWidgets.QHBoxLayout(self.outcome)
        ol.setContentsMargins(14, 10, 14, 10)
        self.outcome_icon = QtWidgets.QLabel()
        self.outcome_text = theme.label("", wrap=True)
        self.outcome_text.setTextFormat(Qt.TextFormat.RichText)
        self.outcome_text.setOpenExternalLinks(True)
        self.outcome_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.open_button = QtWidgets.QPushButton("Open in My jobs")
        self.open_button.clicked.connect(self._open_job)
        ol.addWidget(self.outcome_icon, 0, Qt.AlignmentFlag.AlignTop)
        ol.addWidget(self.outcome_text, 1)
        ol.addWidget(self.open_button)
        self.outcome.hide()
        layout.addWidget(self.outcome)
        layout.addStretch(1)

        state.analysis_changed.connect(self.refresh)
        state.choices_changed.connect(self.refresh)
        state.login_changed.connect(self.refresh)
        state.farm_data_changed.connect(self.refresh)
        self.refresh()

    last_submitted: tuple[str, int] | None = None  # (what was submitted, its job id)
    _fingerprint = ""
    _current: tuple[Any, Any, str] | None = None  # (preview, scene stamp, fingerprint)

    def fingerprint(self) -> str:
        """What would be submitted now: the scene (path, and its file's stamp) and the spec."""
        preview, stamp = self.state.preview(), scene_stamp(self.state.host)
        cached = self._current
        if cached is None or cached[0] is not preview or cached[1] != stamp:
            fp = submission_fingerprint(self.state.host.scene_path(), preview.spec, stamp)
            self._current = cached = (preview, stamp, fp)
        return cached[2]

    def submitted_as(self) -> int | None:
        """The job id when the scene and settings are those of the last successful submit."""
        if self.last_submitted is None or self.last_submitted[0] != self.fingerprint():
            return None
        return self.last_submitted[1]

    @property
    def running(self) -> bool:
        """True while a submission is in flight."""
        return self.cancel_event is not None

    def refresh(self) -> None:
        """Show the connection and what would be submitted."""
        login = self.state.login
        self.login_form.setVisible(not login.usable)
        self.connection.setVisible(login.usable)
        self.change_login.setVisible(login.usable)
        self.connection.setText(f"Farm: {login.server}")
        preview = self.state.preview()
        path = self.state.host.scene_path()
        self.summary_title.setText(str(preview.spec.get("name") or (path.stem if path else "")))
        if preview.spec:
            spec = with_defaults(preview.spec)  # as the farm reads it
            layers = ", ".join(layer_names(spec)) or "—"
            frames = job_frames(spec) or "per layer"
            if spec.get("tiles"):
                split = f"{spec['tiles']} {spec['tiles_type']} tiles per frame"
            else:
                split = f"{spec['frames_per_task']} frame(s) per task"
            self.summary_text.setText(
                f"Layers: {layers}\n"
                f"Frames {frames} ({preview.frames:,}), {split} → "
                f"{preview.tasks:,} tasks · priority {spec['priority']}\n"
                f"{preview.files:,} files, {theme.human_size(preview.bytes)} "
                "(only what the farm lacks is uploaded)"
            )
        else:
            self.summary_text.setText("")
        self.blockers.setText("\n".join(f"• {p}" for p in preview.problems[:8]))
        self.blockers.setVisible(bool(preview.problems))
        done = self.submitted_as() if preview.ok and login.usable else None
        self.submit_button.setEnabled(
            not self.running and preview.ok and login.usable and done is None
        )
        if done is not None:
            tip = f"Job {done} was submitted with these settings: change the scene or a setting"
        elif preview.ok and login.usable:
            tip = ""
        else:
            tip = "Log in first" if not login.usable else "Fix the problems listed above first"
        self.submit_button.setToolTip(tip)

    def _logged_in(self, login: Login, _me: dict) -> None:
        self.state.set_login(login)

    # -- the submission ---------------------------------------------------------------------------
    def start(self) -> bool:
        """Start hashing, uploading and submitting in the background; False if it cannot."""
        if self.running or self.state.analysis is None:
            return False
        choices, problems = self.state.submission()
        preview = self.state.preview()
        if problems or not preview.ok or not self.state.login.usable:
            self.refresh()
            return False
        fingerprint = self.fingerprint()
        if self.last_submitted is not None and self.last_submitted[0] == fingerprint:
            again = self.confirm(
                "Submit the same job again?",
                f"Job {self.last_submitted[1]} was submitted from this scene with exactly these "
                "settings. Submit an identical second job?",
            )
            if not again:
                self.error = f"not submitted: identical to job {self.last_submitted[1]}"
                return False
        self._fingerprint = fingerprint
        self.state.flush_choices()
        prepare = getattr(self.state.host, "prepare_submit", None)  # Maya: save what is modified
        if prepare is not None and not prepare():
            return False
        self._fingerprint = self.fingerprint()  # a scene saved just now has a new stamp
        self.result, self.error, self._uploads_seen = None, "", False
        for row in (self.hash_row, self.upload_row, self.submit_row):
            row.reset()
        self.outcome.hide()
        self.cancel_event = threading.Event()
        self.running_changed.emit(True)
        self.submit_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.state.background.run(
            submit,
            self.state.login.client(),
            self.state.analysis,
            choices,
            self.cancel_event,
            on_progress=self._progress,
            on_done=self._done,
            on_error=self._failed,
        )
        return True

    def cancel(self) -> None:
        """Stop the submission (hashing or upload stop at the next chunk)."""
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _progress(self, event: SubmitEvent) -> None:
        if event.stage == HASHING:
            if event.note:  # files changed during the upload: hashed again, then sent
                self._uploads_seen = False
            if event.note and not event.files_total:
                self.hash_row.detail.setText(event.note)
            else:
                self.hash_row.show_counts(event, "hashing again" if event.note else "hashing")
        elif event.stage == UPLOADING:
            if not self._uploads_seen:
                self._uploads_seen = True
                self.hash_row.finish(_hashed(event))
            if event.files_total:
                self.upload_row.show_counts(event, "uploading")
            else:
                self.upload_row.detail.setText("asking the farm which files it lacks…")
        elif event.stage == SUBMITTING:
            self.hash_row.finish(_hashed(event))
            self.upload_row.bar.setValue(1000)

    def confirm(self, title: str, text: str) -> bool:
        """Ask the user (a test replaces this)."""
        return theme.ask(self, title, text)

    def _done(self, submitted: Submitted) -> None:
        self.result = submitted
        self.last_submitted = (self._fingerprint, int(submitted.job["id"]))
        self._finish()  # after the above: Submit stays off for what was just submitted
        report = submitted.upload
        self.upload_row.finish(
            f"sent {report.files_sent} file(s), {theme.human_size(report.bytes_sent)}; "
            f"{report.files_skipped} already on the farm"
        )
        job = submitted.job
        self.submit_row.finish(f"job {job['id']} is {job['state']}")
        self.outcome_icon.setPixmap(theme.dot_icon(theme.OK, 16).pixmap(16, 16))
        self.outcome_text.setText(
            f"<b>Job {job['id']} submitted</b> — {job.get('tasks_total', '?')} tasks, "
            f"{job['state']}.<br><a href='{submitted.url}'>{submitted.url}</a>"
        )
        self.open_button.show()
        self.outcome.show()
        self.state.job_submitted.emit(job)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.error = _failure_text(exc)
        self.outcome_icon.setPixmap(
            theme.severity_icon("notice" if isinstance(exc, Cancelled) else "error", 16).pixmap(
                16, 16
            )
        )
        self.outcome_text.setText(self.error.replace("\n", "<br>"))
        self.open_button.hide()
        self.outcome.show()

    def _finish(self) -> None:
        self.cancel_event = None
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.refresh()
        self.running_changed.emit(False)

    def _open_job(self) -> None:
        if self.result is not None:
            self.open_job.emit(int(self.result.job["id"]))


def scene_stamp(host: Any) -> Any:
    """What changes when the scene does: its file's modification time and size, and, in Maya,
    a value never seen twice while the open scene has unsaved changes."""
    modified = getattr(host, "scene_modified", None)
    if modified is not None and modified():
        return f"modified {time.monotonic_ns()}"
    path = host.scene_path()
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st is not None else None


def submission_fingerprint(scene: Any, spec: dict[str, Any], stamp: Any = None) -> str:
    """What makes two submissions the same job: the scene (and its file's `stamp`) and every
    setting of its spec.

    >>> one = submission_fingerprint("a.ma", {"priority": 5})
    >>> one == submission_fingerprint("a.ma", {"priority": 5}), one == submission_fingerprint(
    ...     "a.ma", {"priority": 6})
    (True, False)
    """
    return json.dumps([str(scene), stamp, spec], sort_keys=True, default=str)


def _hashed(event: SubmitEvent) -> str:
    if not event.hashed_files:
        return "hashed"
    return f"{event.hashed_files:,} files hashed ({theme.human_size(event.hashed_bytes)})"


def _failure_text(exc: BaseException) -> str:
    kinds: dict[type, Callable[[BaseException], str]] = {
        Cancelled: lambda e: (
            "Submission cancelled. Nothing was submitted; files already "
            "uploaded stay on the farm, so trying again sends only the rest."
        ),
        Blocked: lambda e: f"Blocked: {e}. See Checks.",
        SpecInvalid: lambda e: (
            "The job spec is not valid:\n" + "\n".join(getattr(e, "problems", [str(e)]))
        ),
        HashError: lambda e: f"Some files could not be read: {e}",
        FileChanged: lambda e: f"Not submitted: {e}.",
    }
    for kind, text in kinds.items():
        if isinstance(exc, kind):
            return text(exc)
    return f"Submission failed: {describe_error(exc)}"
