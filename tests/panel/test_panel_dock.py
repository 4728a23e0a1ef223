"""The panel in Maya's 460-pixel dock (issue 15): every section rendered at 460 px (and at
1,100 px) with no label, button or header cut; a job awaiting approval calls for it; Cancel
and Approve ask first; the priority changes after submit; an identical resubmission warns.

`FARMHAND_SCREENSHOTS=docs/screenshots` also writes each section at both widths there.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from clipping import clipped
from panel_support import RenderNode, dark, open_panel, screenshot, wait_for  # noqa: F401
from test_panel_submit import log_in, ready_shot, submit_and_wait

SECTIONS = ("scene", "assets", "checks", "job", "submit", "jobs", "presets")
WIDTHS = {"dock": (460, 900), "wide": (1100, 760)}


def _settle(qtbot) -> None:
    qtbot.wait(150)


def _awaiting_approval(qtbot, farm, tmp_path):
    """The panel at 460 px, logged in, with a job whose test frame rendered: it awaits approval."""
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path), size=WIDTHS["dock"])
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    job_page = panel.show_section("job")
    job_page.test_first.setChecked(True)
    job_page.stop_after_test.setChecked(True)
    job_page.fpt.setValue(4)
    job = submit_and_wait(qtbot, panel)
    node = RenderNode(server, panel.state.preview().spec["software"])
    node.finish(node.claim())  # the test frame is done: the job awaits approval
    return panel, job


def test_every_section_fits_a_460_pixel_dock_and_a_wide_window(
    qtbot,
    farm,
    tmp_path,
    dark,  # noqa: F811
) -> None:
    panel, job = _awaiting_approval(qtbot, farm, tmp_path)
    jobs = panel.show_section("jobs")
    jobs.show_job(job["id"])
    wait_for(qtbot, lambda: jobs.job is not None and jobs.job["state"] == "awaiting_approval"
             and jobs.previews, timeout=15)  # fmt: skip
    found: dict[str, list[str]] = {}
    for size in WIDTHS.values():
        panel.resize(*size)
        wait_for(qtbot, lambda s=size: panel.compact == (s[0] < 760))
        for section in SECTIONS:
            panel.show_section(section)
            _settle(qtbot)
            problems = clipped(panel)
            if problems:
                found[f"{section} at {size[0]} px"] = problems
            screenshot(panel, f"panel-{section}-{size[0]}", tmp_path)
    assert found == {}


def test_approval_is_called_for_and_cancel_asks_first(qtbot, farm, tmp_path) -> None:
    panel, job = _awaiting_approval(qtbot, farm, tmp_path)
    jobs = panel.show_section("jobs")
    jobs.show_job(job["id"])
    wait_for(qtbot, lambda: jobs.approval.isVisible(), timeout=15)
    assert "Your approval is needed" in jobs.approval_text.text()
    # The estimate from the measured test frame: frames left, render time, core-hours.
    wait_for(qtbot, lambda: "Estimate:" in jobs.approval_text.text(), timeout=10)
    assert "× 23 frames left ≈" in jobs.approval_text.text()
    assert jobs.approve_now.isEnabled()
    asked: list[str] = []
    jobs.confirm = lambda title, text: asked.append(text) or False
    jobs.action_buttons["cancel"].click()
    assert asked and f"Cancel job #{job['id']}" in asked[0]
    jobs.approve_now.click()
    assert "remaining" in asked[1]
    _settle(qtbot)
    client = panel.state.login.client()
    assert client.job(job["id"])["state"] == "awaiting_approval"  # neither was done
    jobs.confirm = lambda title, text: True
    jobs.approve_now.click()
    wait_for(qtbot, lambda: client.job(job["id"])["state"] == "rendering", timeout=10)
    wait_for(qtbot, lambda: not jobs.approval.isVisible(), timeout=10)
    # The priority changes on the farm after submit.
    wait_for(qtbot, lambda: jobs.priority.isEnabled())
    jobs.priority.setValue(85)
    wait_for(qtbot, lambda: client.job(job["id"])["priority"] == 85, timeout=10)


def test_an_identical_resubmission_warns_first(qtbot, farm, tmp_path) -> None:
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    first = submit_and_wait(qtbot, panel)
    page = panel.submit_page
    asked: list[str] = []
    page.confirm = lambda title, text: asked.append(text) or False
    assert page.start() is False
    assert asked and f"Job {first['id']} was submitted" in asked[0]
    assert "identical" in page.error
    panel.state.update(priority=77)  # another setting: another job, no question
    asked.clear()
    second = submit_and_wait(qtbot, panel)
    assert asked == [] and second["id"] != first["id"]


def test_submit_is_off_in_flight_and_after_success_until_something_changes(
    qtbot, farm, tmp_path
) -> None:
    server, token = farm
    scene = ready_shot(tmp_path)
    panel = open_panel(qtbot, scene)
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])
    page = panel.submit_page
    assert panel.submit_button.isEnabled() and page.submit_button.isEnabled()
    assert panel.submit()
    assert not panel.submit_button.isEnabled() and not page.submit_button.isEnabled()
    wait_for(qtbot, lambda: not page.running, timeout=60)
    job = page.result.job
    # Done: both Submit buttons stay off for this scene and these settings, and say why.
    assert not panel.submit_button.isEnabled() and not page.submit_button.isEnabled()
    assert f"Job {job['id']} submitted" in panel.footer_text.text()
    assert f"Job {job['id']} was submitted" in page.submit_button.toolTip()
    # A setting changes: Submit is back; the same settings again: off again.
    panel.state.update(priority=61)
    assert panel.submit_button.isEnabled() and page.submit_button.isEnabled()
    panel.state.update(priority=50)
    assert not panel.submit_button.isEnabled()
    # The scene file changes (saved again): Submit is back once the panel reads it.
    stat = scene.stat()
    os.utime(scene, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    panel.state.reanalyse()
    assert panel.submit_button.isEnabled() and page.submit_button.isEnabled()
