"""The artist learns that a job finished, failed or awaits approval without watching it:
My jobs marks the job's row (and says so) until it is opened; against a real server."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from farmhand.panel import job_watch
from panel_support import RenderNode, open_panel, wait_for
from PySide6.QtCore import Qt
from test_panel_submit import log_in, ready_shot, submit_and_wait


def test_jobs_that_end_or_wait_for_approval_are_told_and_marked(
    qtbot, farm, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(job_watch, "WATCH_MS", 200)
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    job_page = panel.show_section("job")
    job_page.fpt.setValue(100)  # one task
    first = submit_and_wait(qtbot, panel)
    job_page.test_first.setChecked(True)
    job_page.stop_after_test.setChecked(True)
    job_page.fpt.setValue(4)
    second = submit_and_wait(qtbot, panel)
    panel.show_section("job")  # away from My jobs: only the watch asks the farm
    watch = panel.jobs_page.watch
    told: list = []
    watch.notice.connect(told.append)
    wait_for(qtbot, lambda: watch.looked and first["id"] in watch.states)
    node = RenderNode(server, panel.state.preview().spec["software"])
    node.finish(node.claim())  # the first job, one task: finished
    test = node.claim()
    assert test["job"]["id"] == second["id"] and test["task"]["is_test"]
    node.finish(test)  # the second job now awaits approval
    wait_for(qtbot, lambda: len(told) == 2, timeout=10)
    assert {(n.job_id, n.state) for n in told} == {
        (first["id"], "completed"), (second["id"], "awaiting_approval")}  # fmt: skip
    by_job = {n.job_id: n.text for n in told}
    assert by_job[first["id"]].endswith(" finished")
    assert by_job[second["id"]].endswith(" awaits approval")

    jobs = panel.show_section("jobs")
    assert jobs.selected_id == second["id"]  # the job submitted last is the one shown
    wait_for(qtbot, lambda: jobs.model.row_of(first["id"]) >= 0)
    # The job on screen is read once its news is shown; the other stays marked.
    wait_for(qtbot, lambda: second["id"] not in watch.unseen)
    row = jobs.model.index(jobs.model.row_of(first["id"]), 0)
    assert row.data(Qt.ItemDataRole.FontRole).bold()
    assert row.data(Qt.ItemDataRole.ToolTipRole) == by_job[first["id"]]
    other = jobs.model.index(jobs.model.row_of(second["id"]), 0)
    assert other.data(Qt.ItemDataRole.FontRole) is None
    jobs.show_job(first["id"])  # opened: read
    row = jobs.model.index(jobs.model.row_of(first["id"]), 0)
    assert row.data(Qt.ItemDataRole.FontRole) is None and not watch.unseen
    # Nothing is told twice.
    qtbot.wait(600)
    assert len(told) == 2
