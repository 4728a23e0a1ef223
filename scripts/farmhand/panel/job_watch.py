"""Tells the artist when one of their jobs finishes, fails or awaits approval, without their
watching it: `JobWatch` reads `GET /jobs` in the background while logged in (and whatever
My jobs polls anyway) and emits a `Notice` for each job that moved into one of those states
since it last looked. My jobs marks the job's row until it is opened; inside Maya the
notice is also shown in the viewport (`farmhand.maya_ui.job_messages`).

>>> before = {1: "rendering", 2: "queued"}
>>> [n.text for n in changes(before, [{"id": 1, "name": "sh010", "state": "failed"},
...                                     {"id": 2, "name": "sh020", "state": "rendering"}])]
['Job #1 sh010 failed']
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from farmhand.panel.connection import Login
from farmhand.panel.qt import QtCore, Signal
from farmhand.panel.state import PanelState

NOTIFY = {"completed": "finished", "failed": "failed", "awaiting_approval": "awaits approval"}
WATCH_MS = 10_000  # how often the farm is asked when nothing else asked lately


@dataclass(frozen=True, slots=True)
class Notice:
    """A job that moved into a state worth telling."""

    job_id: int
    name: str
    state: str
    text: str  # "Job #12 shot010 failed"


def changes(before: dict[int, str], jobs: list[dict[str, Any]]) -> list[Notice]:
    """Notices for the jobs whose state moved into one of `NOTIFY` since `before`.

    A job not in `before` (submitted since) is told when it got there already.
    """
    found = []
    for job in jobs:
        job_id, state = job.get("id"), str(job.get("state"))
        if not isinstance(job_id, int) or state not in NOTIFY or before.get(job_id) == state:
            continue
        name = str(job.get("name") or "")
        found.append(Notice(job_id, name, state, f"Job #{job_id} {name} {NOTIFY[state]}"))
    return found


def fetch_jobs(login: Login) -> list[dict[str, Any]]:
    """The artist's jobs (`GET /jobs`)."""
    return login.client().jobs()


class JobWatch(QtCore.QObject):
    """Polls the artist's jobs and emits `notice` for each that finished, failed or awaits
    approval; `unseen` keeps them until `seen(job_id)`."""

    notice = Signal(object)  # a Notice

    def __init__(self, state: PanelState, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.states: dict[int, str] = {}
        self.looked = False
        self.unseen: dict[int, Notice] = {}
        self._last = 0.0
        self._in_flight = False
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(WATCH_MS)
        self.timer.timeout.connect(self.poll)
        state.login_changed.connect(self._login_changed)
        self._login_changed()

    def _login_changed(self) -> None:
        self.states, self.looked, self.unseen = {}, False, {}
        if self.state.login.usable:
            self.timer.start()
            self.poll()
        else:
            self.timer.stop()

    def poll(self) -> None:
        """Ask the farm in the background, unless someone did within the interval."""
        recent = time.monotonic() - self._last < WATCH_MS / 1000 * 0.8 and self.looked
        if self._in_flight or recent or not self.state.login.usable:
            return
        self._in_flight = True
        self.state.background.run(
            fetch_jobs, self.state.login, on_done=self._polled, on_error=self._failed
        )

    def _polled(self, jobs: list[dict[str, Any]]) -> None:
        self._in_flight = False
        self.saw(jobs)

    def _failed(self, _exc: BaseException) -> None:
        self._in_flight = False  # the next round asks again

    def saw(self, jobs: list[dict[str, Any]]) -> list[Notice]:
        """Compare with what was seen last; emit and keep a notice per change."""
        self._last = time.monotonic()
        found = changes(self.states, jobs) if self.looked else []
        self.states = {j["id"]: str(j.get("state")) for j in jobs if isinstance(j.get("id"), int)}
        self.looked = True
        for notice in found:
            self.unseen[notice.job_id] = notice
            self.notice.emit(notice)
        return found

    def seen(self, job_id: int) -> None:
        """The artist opened the job: its notice is read."""
        self.unseen.pop(job_id, None)
