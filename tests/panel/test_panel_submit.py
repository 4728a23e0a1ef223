"""Submitting from the panel to a real server, and following the job in My jobs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from farmhand.spec.frames import parse_frames
from panel_support import RenderNode, copy_shot, open_panel, wait_for


def ready_shot(root: Path) -> Path:
    """The example shot with its missing poster put back, so nothing blocks."""
    scene = copy_shot(root)
    poster = scene.parent.parent / "sourceimages" / "decals" / "poster_v002.png"
    poster.parent.mkdir(parents=True)
    poster.write_bytes(os.urandom(2000))
    return scene


def log_in(qtbot, panel, server, token: str) -> None:
    """Fill the login form on the Submit page, as an artist does."""
    form = panel.show_section("submit").login_form
    assert form.isVisible()
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText(token)
    form.connect_button.click()
    wait_for(qtbot, lambda: panel.state.login.usable)
    wait_for(qtbot, lambda: panel.state.farm_loads >= 1)


def test_submit_follow_act_and_download(qtbot, farm, tmp_path: Path) -> None:
    server, token = farm
    server.session().put(server.url("/hardware-configs/418"), json={
        "name": "Arnold CPU", "ram_gb": 64, "cpu_cores": 24})  # fmt: skip
    scene = ready_shot(tmp_path)
    panel = open_panel(qtbot, scene)
    # A bad token is refused with a reason, and nothing is saved.
    form = panel.show_section("submit").login_form
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText("fhu_not_a_token")
    form.connect_button.click()
    wait_for(qtbot, lambda: "did not accept the token" in form.status.text())
    assert not panel.state.login.usable
    log_in(qtbot, panel, server, token)
    assert not form.isVisible()

    # One layer: the frame grid has one square per frame, whatever layer renders it.
    panel.state.update(layers=["rs_beauty"])
    job_page = panel.show_section("job")
    assert job_page.hw_configs.itemData(0) == "418"
    assert job_page.hw_configs.itemText(0) == "Arnold CPU (24 cores, 64 GB)"
    job_page.hw_config.setChecked(True)
    job_page.fpt.setValue(4)
    job_page.test_first.setChecked(True)
    spec = panel.state.preview().spec
    assert spec["hardware"] == {"hardware_config_ids": ["418"]}

    events = []
    page = panel.submit_page
    page.hash_row.bar.valueChanged.connect(lambda v: events.append(("hash", v)))
    page.upload_row.bar.valueChanged.connect(lambda v: events.append(("upload", v)))
    assert panel.submit()
    assert not panel.submit_button.isEnabled()  # one submission at a time
    wait_for(qtbot, lambda: page.result is not None or page.error, timeout=60)
    assert page.error == ""
    job = page.result.job
    report = page.result.upload
    assert ("hash", 1000) in events and ("upload", 1000) in events
    assert f"sent {report.files_sent} file(s)" in page.upload_row.detail.text()
    assert page.outcome.isVisible() and f"Job {job['id']} submitted" in page.outcome_text.text()
    assert page.result.url in page.outcome_text.text()
    admin = server.session()
    stored = admin.get(server.url(f"/jobs/{job['id']}")).json()
    assert stored["spec"]["layers"] == spec["layers"]
    assert stored["spec"]["frames_per_task"] == 4
    assert stored["spec"]["hardware"] == {"hardware_config_ids": ["418"]}
    # The grid has a square per frame any layer renders.
    layers = stored["spec"]["layers"]
    frames = sorted({f for layer in layers for f in parse_frames(layer["frames"])})
    blobs = {(e["md5"], e["size"]) for e in stored["spec"]["manifest"]}
    assert (report.files_sent, report.files_skipped) == (len(blobs), 0)  # a fresh farm

    # My jobs shows the job with a square per frame, every task queued.
    page.open_button.click()
    jobs = panel.jobs_page
    assert panel.current_section() == "jobs"
    wait_for(qtbot, lambda: jobs.job is not None and len(jobs.grid.frames) == len(frames))
    assert [f.frame for f in jobs.grid.frames] == frames
    assert jobs.grid.counts() == {"queued": len(frames)}
    assert jobs.grid.frames[0].is_test
    assert jobs.title.text() == f"#{job['id']}  {job['name']}"
    assert jobs.model.rowCount() == 1
    assert not jobs.download_button.isEnabled()  # nothing rendered yet

    # A render node finishes two tasks (with previews) and is busy with a third.
    node = RenderNode(server, stored["spec"]["software"], hardware_config_id="418")
    first = node.claim()
    assert first and first["task"]["is_test"], "the test frame goes first"
    node.finish(first, "#c8553d")
    second = node.claim()
    node.finish(second, "#2a9d8f")
    third = node.claim()
    assert third, "the node could not claim the job's tasks"
    done_frames = len(first["task"]["frames"]) + len(second["task"]["frames"])
    wait_for(qtbot, lambda: jobs.grid.counts().get("done") == done_frames
             and len(jobs.previews) == done_frames, timeout=30)  # fmt: skip
    assert jobs.grid.counts()["running"] == len(third["task"]["frames"])
    assert jobs.thumbs.count() == done_frames and jobs.thumbs.isVisible()
    assert jobs.download_button.isEnabled()

    # Download what is finished: the files land under their output names, verified.
    dest = tmp_path / "downloads"
    jobs.download_to(dest)
    wait_for(qtbot, lambda: jobs.downloaded is not None)
    got = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.exr"))
    want = sorted(f"beauty/shot.{f:04d}.exr" for a in (first, second) for f in a["task"]["frames"])
    assert got == want
    assert f"{len(want)} file(s) fetched" in jobs.download_status.text()

    # Pause, resume and cancel act on the server; the buttons follow the state.
    assert jobs.action_buttons["pause"].isEnabled()
    assert not jobs.action_buttons["resume"].isEnabled()
    jobs.action_buttons["pause"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "paused")
    assert jobs.action_buttons["resume"].isEnabled()
    jobs.action_buttons["resume"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] in ("queued", "rendering"))
    jobs.confirm = lambda title, text: True  # the artist says yes when asked
    jobs.action_buttons["cancel"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "cancelled")
    assert admin.get(server.url(f"/jobs/{job['id']}")).json()["state"] == "cancelled"
    assert not jobs.action_buttons["cancel"].isEnabled()


def test_cancel_stops_the_submission_and_nothing_is_submitted(qtbot, farm, tmp_path) -> None:
    server, token = farm
    scene = ready_shot(tmp_path)
    big = scene.parent.parent / "sourceimages" / "set" / "wall_diffuse.png"
    big.write_bytes(os.urandom(48 * 1024 * 1024))
    panel = open_panel(qtbot, scene)
    log_in(qtbot, panel, server, token)
    page = panel.submit_page
    assert page.start()
    page.cancel()
    wait_for(qtbot, lambda: not page.running, timeout=60)
    assert page.result is None
    assert page.error.startswith("Submission cancelled")
    assert page.submit_button.isEnabled()
    listed = server.session(token).get(server.url("/jobs")).json()["jobs"]
    assert listed == []


def test_my_jobs_polls_in_the_background(qtbot, farm, tmp_path) -> None:
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    jobs = panel.show_section("jobs")
    wait_for(qtbot, lambda: jobs.polls >= 1)
    assert jobs.title.text() == "No jobs yet"
    # A poll in flight is not doubled; its result arrives on the GUI thread later.
    wait_for(qtbot, lambda: not jobs._in_flight)
    before = jobs.polls
    assert jobs.poll() is True
    assert jobs.poll() is False
    assert jobs.polls == before
    wait_for(qtbot, lambda: jobs.polls == before + 1)
    assert jobs.model.rowCount() == 0


def submit_and_wait(qtbot, panel) -> dict:
    """Submit from the panel; the job the server created."""
    assert panel.submit()
    page = panel.submit_page
    wait_for(qtbot, lambda: not page.running, timeout=60)
    assert page.error == "" and page.result is not None
    return page.result.job


def test_approve_after_test_frames_and_retry_a_failed_one(qtbot, farm, tmp_path) -> None:
    server, token = farm
    panel = open_panel(qtbot, ready_shot(tmp_path))
    log_in(qtbot, panel, server, token)
    panel.state.update(layers=["rs_beauty"])  # one layer: one test frame
    job_page = panel.show_section("job")
    job_page.test_first.setChecked(True)
    job_page.stop_after_test.setChecked(True)
    job_page.fpt.setValue(8)
    first_job = submit_and_wait(qtbot, panel)
    software = panel.state.preview().spec["software"]
    node = RenderNode(server, software)
    test = node.claim()
    assert test["task"]["is_test"] and test["job"]["id"] == first_job["id"]
    node.finish(test)

    jobs = panel.show_section("jobs")
    jobs.show_job(first_job["id"])
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "awaiting_approval")
    assert jobs.action_buttons["approve"].isEnabled()
    wait_for(qtbot, lambda: jobs.grid.counts().get("done") == 1)
    assert [f.frame for f in jobs.grid.frames if f.state == "done"] == test["task"]["frames"]
    jobs.confirm = lambda title, text: True  # the artist says yes when asked
    jobs.action_buttons["approve"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] in ("queued", "rendering"))
    assert not jobs.action_buttons["approve"].isEnabled()
    jobs.action_buttons["cancel"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "cancelled")

    # A second job whose test frame fails: the job fails, its frame shows red, Retry
    # failed queues it again.
    job_page.stop_after_test.setChecked(False)
    second_job = submit_and_wait(qtbot, panel)
    test = node.claim()
    assert test["job"]["id"] == second_job["id"]
    node.fail(test)
    jobs = panel.show_section("jobs")
    wait_for(qtbot, lambda: jobs.selected_id == second_job["id"])
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "failed")
    assert jobs.grid.counts().get("failed") == 1
    assert jobs.model.rowCount() == 2
    assert jobs.action_buttons["retry"].isEnabled()
    jobs.action_buttons["retry"].click()
    wait_for(qtbot, lambda: jobs.job and jobs.job["state"] == "queued")
    wait_for(qtbot, lambda: "failed" not in jobs.grid.counts())
