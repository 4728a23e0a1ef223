"""Retry of a selection of frames from the job page's grid, chosen with the keyboard."""

from __future__ import annotations

from worker_support import upload_files, wait_for

from .test_dashboard_jobs_list import _spec


def _fail_every_task(server, count: int) -> None:
    """A render node (over the API) that fails each task once: with no retries, for good."""
    server.config.max_retries = 0
    server.config.blocklist_after = 1000
    admin = server.session()
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
    body = {"name": "failing", "ram_gb": 32, "cpu_cores": 8, "software": {"blender": {"3.4": {}}}}
    node = server.session(
        server.session(enrol).post(server.url("/workers/register"), json=body).json()["token"]
    )
    for _ in range(count):
        got = node.post(server.url("/workers/claim"), json={"wait": 0}).json()
        url = server.url(f"/attempts/{got['attempt_id']}/fail")
        assert node.post(url, json={"exit_code": 1, "message": "boom"}).status_code == 200


def test_retry_a_selection_of_frames_chosen_with_the_keyboard(farm, page, sign_in, tmp_path):
    scene = tmp_path / "retry.blend"
    scene.write_bytes(b"a scene for the retry test")
    client = farm.ann.client
    ref = upload_files(client, [scene])[scene]
    job = client.submit_job({**_spec(ref, scene, "retry some frames"), "frames": "1-6"})
    _fail_every_task(farm.server, 6)
    tasks = client.json("GET", f"/jobs/{job['id']}/tasks")["tasks"]
    assert {t["state"] for t in tasks} == {"failed"}
    sign_in(page, farm.ann)
    page.goto(f"{farm.root}/#/jobs/{job['id']}")
    page.wait_for_selector("#frame-grid .tile.state-failed")
    assert page.locator("#grid-retry").is_disabled()

    page.focus("#grid-select")
    page.keyboard.press("Enter")  # selection mode: a tile toggles instead of opening
    assert page.get_attribute("#grid-select", "aria-pressed") == "true"
    chosen = [tasks[1]["id"], tasks[4]["id"]]
    for task_id in chosen:
        page.focus(f'#frame-grid [data-task="{task_id}"]')
        page.keyboard.press("Space")
    page.focus(f'#frame-grid [data-task="{tasks[2]["id"]}"]')
    page.keyboard.press("Space")
    page.keyboard.press("Space")  # twice: selected, then not
    assert page.inner_text("#grid-picked") == "2 selected"
    tile = page.locator(f'#frame-grid [data-task="{chosen[0]}"]')
    assert tile.get_attribute("aria-label").endswith(", selected")  # said, not only drawn
    assert "☑" in tile.inner_text()
    assert page.locator("#task-detail h2").count() == 0  # no tile opened its detail

    page.focus("#grid-retry")
    page.keyboard.press("Enter")
    try:
        wait_for(lambda: "queued again" in page.inner_text("#job-status"), timeout=10)
    except AssertionError:
        raise AssertionError(repr(page.inner_text("#job-status")) + repr(page.errors)) from None
    assert page.inner_text("#job-status").startswith("2 of 2 selected tasks queued again")
    states = {t["id"]: t["state"] for t in client.json("GET", f"/jobs/{job['id']}/tasks")["tasks"]}
    assert [tid for tid, state in states.items() if state == "queued"] == chosen
    assert list(states.values()).count("failed") == 4
    wait_for(lambda: page.locator("#frame-grid .tile.state-queued").count() == 2, timeout=10)
    assert page.errors == []
