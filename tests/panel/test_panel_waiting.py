"""My jobs says why a job waits when no online render node can take it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from panel_support import open_panel, wait_for
from test_panel_submit import log_in, ready_shot, submit_and_wait


def test_my_jobs_shows_why_a_job_waits(qtbot, farm, tmp_path) -> None:
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    job = submit_and_wait(qtbot, panel)
    jobs = panel.show_section("jobs")
    jobs.show_job(int(job["id"]))
    wait_for(qtbot, lambda: "waiting: no worker is online" in jobs.facts.text(), timeout=30)
