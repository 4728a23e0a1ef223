"""My jobs' frame grid opens a frame's tasks: attempts, why it waits, the log's tail (live
while it renders) and a retry of that frame alone; against a real server."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from farmhand.panel.frame_grid import GAP
from panel_support import RenderNode, open_panel, wait_for
from PySide6.QtCore import QPoint, Qt
from test_panel_submit import log_in, ready_shot, submit_and_wait


def click_frame(qtbot, grid, frame: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click a frame's square as a person does."""
    index = [f.frame for f in grid.frames].index(frame)
    columns = grid._columns(grid.width())
    w, h = grid.cell_size()
    row, col = divmod(index, columns)
    point = QPoint(col * (w + GAP) + w // 2, row * (h + GAP) + h // 2)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, modifier, point)


def rows(detail) -> list[list[str]]:
    tree = detail.attempts
    return [[tree.topLevelItem(i).text(c) for c in range(tree.columnCount())]
            for i in range(tree.topLevelItemCount())]  # fmt: skip


def test_a_frame_opens_its_attempts_log_and_retry(qtbot, farm, tmp_path) -> None:
    server, token = farm
    server.config.blocklist_after = 100
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    panel.show_section("job").fpt.setValue(1)
    job = submit_and_wait(qtbot, panel)
    node = RenderNode(server, panel.state.preview().spec["software"])
    first = node.claim()
    log = server.url(f"/attempts/{first['attempt_id']}/log")
    node.session.post(log, data=b"Fra:1 Mem:12M | Syncing\nerror: out of licences\n")
    node.fail(first)  # the only node failed it: it fails at once, saying why
    running = node.claim()
    frame_one, frame_two = first["task"]["frames"][0], running["task"]["frames"][0]

    jobs = panel.show_section("jobs")
    jobs.show_job(job["id"])
    wait_for(qtbot, lambda: jobs.grid.counts().get("failed") == 1
             and jobs.grid.counts().get("running") == 1)  # fmt: skip
    detail = jobs.detail
    assert not detail.isVisible()
    click_frame(qtbot, jobs.grid, frame_one)
    assert jobs.grid.selected == [frame_one] and detail.isVisible()
    assert detail.title.text() == f"Frame {frame_one} · 1 task"
    wait_for(qtbot, lambda: "out of licences" in detail.log.toPlainText())
    (row,) = rows(detail)
    assert row[:3] == [str(frame_one), "1", "node01"] and row[5] == "1"
    assert row[6] == "failed: render crashed"
    assert "failed on every node able to run it: node01 (render crashed)" in detail.waiting.text()
    assert detail.retry_button.isEnabled() and detail.retry_button.text() == "Retry frame"

    # The running frame: its log is followed as the node writes it.
    click_frame(qtbot, jobs.grid, frame_two)
    log = server.url(f"/attempts/{running['attempt_id']}/log")
    node.session.post(log, data=b"Fra:2 Sample 1/16\n")
    wait_for(qtbot, lambda: "Sample 1/16" in detail.log.toPlainText())
    assert rows(detail)[0][6] == "running" and not detail.retry_button.isEnabled()
    node.session.post(log, data=b"Fra:2 Sample 8/16\n")
    wait_for(qtbot, lambda: "Sample 8/16" in detail.log.toPlainText(), timeout=10)
    assert detail.log.toPlainText().count("Sample 1/16") == 1  # appended, not read again

    # The queued frames say why they wait: the only node renders frame two.
    queued = next(f.frame for f in jobs.grid.frames if f.state == "queued")
    click_frame(qtbot, jobs.grid, queued)
    assert detail.waiting.text().startswith(
        f"{queued}: waiting: the only online node able to run it is busy, "
    )
    assert detail.log_title.text() == "No attempt yet: nothing has rendered it."

    # Retry of the failed frame alone.
    click_frame(qtbot, jobs.grid, frame_one)
    detail.retry_button.click()
    wait_for(qtbot, lambda: "1 task(s) queued again" in detail.status.text())
    wait_for(qtbot, lambda: "failed" not in jobs.grid.counts())
    tasks = {t["frames"][0]: t for t in jobs.tasks}
    assert tasks[frame_one]["state"] == "queued" and tasks[frame_two]["state"] == "running"


def test_ctrl_and_shift_clicks_select_several_frames(qtbot, farm, tmp_path) -> None:
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    panel.show_section("job").fpt.setValue(1)
    job = submit_and_wait(qtbot, panel)
    jobs = panel.show_section("jobs")
    jobs.show_job(job["id"])
    wait_for(qtbot, lambda: len(jobs.grid.frames) >= 4)
    frames = [f.frame for f in jobs.grid.frames]
    click_frame(qtbot, jobs.grid, frames[0])
    click_frame(qtbot, jobs.grid, frames[3], Qt.KeyboardModifier.ShiftModifier)
    assert jobs.grid.selected == frames[:4]
    click_frame(qtbot, jobs.grid, frames[1], Qt.KeyboardModifier.ControlModifier)
    assert jobs.grid.selected == [frames[0], frames[2], frames[3]]
    assert jobs.detail.title.text() == "3 frames · 3 tasks"
    assert not jobs.detail.retry_button.isEnabled()  # nothing failed
    jobs.show_job(job["id"])  # the same job again keeps the selection
    assert jobs.grid.selected == [frames[0], frames[2], frames[3]]
