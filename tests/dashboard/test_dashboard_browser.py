"""The dashboard in a real browser (Debian's Chromium, driven by Playwright) against a real
server with a real worker rendering a small Blender job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from blender_scenes import make_scene
from farmhand.spec.jobspec import server_path
from farmhand_worker.config import Software
from worker_support import running_worker, upload_files, wait_for, wait_job

GOING = ("queued", "rendering")
BLENDER = Software("blender", "3.4", "blender")
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">&amp; "q"'


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    """Four frames that take a few seconds each (many samples on a small image)."""
    return make_scene(tmp_path_factory.mktemp("shot") / "shot.blend", frames=(1, 4),
                      width=96, height=72, samples=700)  # fmt: skip


@pytest.fixture(scope="module")
def worker(farm, tmp_path_factory):
    """One Blender worker for the module."""
    with running_worker(farm.server, tmp_path_factory.mktemp("node"), name="node1",
                        software=[BLENDER]) as node:  # fmt: skip
        yield node


def blend_spec(client, scene: Path, **fields) -> dict:
    """Upload the scene and its texture; a Blender JobSpec rendering PNG frames of it."""
    files = [scene, *sorted((scene.parent / "textures").glob("*"))]
    refs = upload_files(client, files)
    spec = {
        "name": scene.stem,
        "scene": {"path": scene.as_posix(), "blob": refs[scene]},
        "manifest": [{"path": p.as_posix(), "server_path": server_path(p.as_posix()), **r}
                     for p, r in refs.items()],
        "software": {"cg_name": "Blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender", "image_format": "PNG"},
        "frames": "1-4",
        "width": 96,
        "height": 72,
    }  # fmt: skip
    spec.update(fields)
    return spec


def progress_of(page, job_id: int) -> float:
    """The progress bar's value in the job's row of the list (-1 while the row is absent)."""
    bar = page.locator(f'tr[data-job="{job_id}"] progress')
    return float(bar.get_attribute("value")) if bar.count() else -1.0


def test_a_job_renders_live_in_the_page(farm, worker, shot, page, sign_in):
    sign_in(page, farm.ann)
    page.evaluate("window.__sameDocument = 1")  # gone if the page reloads
    job = farm.ann.client.submit_job(blend_spec(farm.ann.client, shot, name="live shot"))
    job_id = job["id"]
    # The job appears without a reload (the event stream tells the page).
    row = page.locator(f'tr[data-job="{job_id}"]')
    row.wait_for(timeout=20_000)
    assert row.locator("td.name").inner_text() == "live shot"
    # Progress advances in the list while the job renders.
    first = progress_of(page, job_id)
    wait_for(lambda: progress_of(page, job_id) > max(first, 0), timeout=90)
    # The job page: a running task's log grows while it runs.
    row.locator("td.name a").click()
    page.wait_for_selector("#frame-grid .tile")
    log = page.locator("#task-log")
    for _ in range(4):  # a task may end between seeing it run and reading its log: next one
        running = page.locator("#frame-grid .tile.state-running").first
        running.wait_for(timeout=60_000)
        running.click()
        wait_for(lambda: log.get_attribute("data-state") is not None, timeout=30)
        if log.get_attribute("data-state") == "running" and log.text_content():
            break
    assert log.get_attribute("data-state") == "running"
    seen = len(log.text_content())
    wait_for(lambda: len(log.text_content()) > seen, timeout=60)
    # Done tasks turn to ✓ tiles and a thumbnail of a finished frame shows.
    thumb = page.locator("#outputs img.thumb").first
    thumb.wait_for(timeout=90_000)
    loaded = "(img) => img.complete && img.naturalWidth"
    wait_for(lambda: page.evaluate(loaded, thumb.element_handle()), timeout=30)
    assert "blob:" in thumb.get_attribute("src")
    wait_job(farm.ann.client, job_id, timeout=180)
    page.locator("#job-head .state-completed").wait_for(timeout=20_000)
    assert page.locator("#frame-grid .tile.state-done").count() == 4
    assert page.locator("#job-head progress").get_attribute("value") == "100"
    # A larger view opens on click.
    page.locator("#outputs .thumb-button").first.click()
    page.locator("dialog.viewer img.large").wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate("window.__sameDocument") == 1
    assert "fhu_" not in page.url
    assert page.errors == []


def test_pause_resume_priority_and_cancel_from_the_pages(farm, shot, page, sign_in):
    client = farm.ann.client
    spec = blend_spec(client, shot, name="to hold")
    # The module's worker may pick a resumed job up: "going" is queued or rendering.
    ids = [client.submit_job({**spec, "name": f"held {n}"})["id"] for n in (1, 2)]
    sign_in(page, farm.ann)
    for job_id in ids:
        page.locator(f'tr[data-job="{job_id}"] input[type=checkbox]').check()
    assert page.locator("#selected-count").inner_text() == "2 selected"
    page.click("#act-pause")
    wait_for(lambda: all(client.job(i)["state"] == "paused" for i in ids), timeout=10)
    page.locator(f'tr[data-job="{ids[0]}"] .state-paused').wait_for()
    page.fill("#priority-value", "80")
    page.click("#act-priority")
    wait_for(lambda: all(client.job(i)["priority"] == 80 for i in ids), timeout=10)
    # One job from its own page: resume, pause, resume.
    page.goto(f"{farm.root}/#/jobs/{ids[0]}")
    page.locator("#job-head .state-paused").wait_for()
    page.click("#job-resume")
    page.locator("#job-head .state-queued, #job-head .state-rendering").first.wait_for()
    page.click("#job-pause")
    page.locator("#job-head .state-paused").wait_for()
    assert client.job(ids[0])["state"] == "paused"
    page.click("#job-resume")
    wait_for(lambda: client.job(ids[0])["state"] in GOING, timeout=10)
    # Cancel asks first; keeping the job leaves it as it was.
    page.click("#job-cancel")
    page.locator("dialog.confirm").get_by_role("button", name="Keep").click()
    assert client.job(ids[0])["state"] in GOING
    page.click("#job-cancel")
    page.locator("dialog.confirm").get_by_role("button", name="Cancel job").click()
    page.locator("#job-head .state-cancelled").wait_for()
    # The other from the list, by selection.
    page.goto(f"{farm.root}/#/jobs")
    page.locator(f'tr[data-job="{ids[1]}"] input[type=checkbox]').check()
    page.click("#act-cancel")
    page.locator("dialog.confirm").get_by_role("button", name="Cancel job").click()
    wait_for(lambda: client.job(ids[1])["state"] == "cancelled", timeout=10)
    assert "1 job cancelled." in page.locator("#jobs-status").inner_text()
    assert page.errors == []


def test_an_artist_cannot_open_another_users_job(farm, shot, page, sign_in):
    job = farm.ann.client.submit_job(blend_spec(farm.ann.client, shot, name="ann's secret"))
    farm.ann.client.json("POST", f"/jobs/{job['id']}/cancel")
    sign_in(page, farm.bob)
    assert page.locator(f'tr[data-job="{job["id"]}"]').count() == 0
    assert "ann's secret" not in page.content()
    # Typing its address shows nothing of it either.
    page.goto(f"{farm.root}/#/jobs/{job['id']}")
    page.locator("#not-found").wait_for()
    assert "ann's secret" not in page.content()
    # Nor may an artist open the admin pages.
    assert page.locator("#nav-workers").count() == 0
    page.goto(f"{farm.root}/#/workers")
    page.wait_for_selector("text=There is no such page.")
    assert page.locator("#workers-table").count() == 0


def test_a_hostile_job_name_shows_as_text(farm, shot, page, sign_in):
    job = farm.ann.client.submit_job(blend_spec(farm.ann.client, shot, name=HOSTILE))
    farm.ann.client.json("POST", f"/jobs/{job['id']}/cancel")
    sign_in(page, farm.ann)
    link = page.locator(f'tr[data-job="{job["id"]}"] td.name a')
    assert link.inner_text() == HOSTILE
    link.click()
    page.locator("#job-name").wait_for()
    assert page.locator("#job-name").inner_text() == HOSTILE
    time.sleep(0.5)  # an injected image would have failed to load by now
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#main script, #main img[src='x']").count() == 0
    assert page.errors == []


def test_sign_out_forgets_the_token(farm, page, sign_in):
    sign_in(page, farm.ann)
    assert page.evaluate("sessionStorage.getItem('farmhand.token')") == farm.ann.token
    assert page.context.cookies() == []
    page.click("#signout")
    page.locator("#signin").wait_for()
    assert page.evaluate("sessionStorage.getItem('farmhand.token')") is None
    # A wrong token is refused with a message, and nothing is stored.
    page.fill("#token", "fhu_not-a-real-token")
    page.click("#signin button[type=submit]")
    page.locator("#signin-error", has_text="does not accept").wait_for()
    assert page.evaluate("sessionStorage.getItem('farmhand.token')") is None


def test_a_worker_drains_from_the_workers_page(farm, worker, shot, page, sign_in):
    client = farm.ann.client
    job_id = client.submit_job(blend_spec(client, shot, name="drain me"))["id"]
    sign_in(page, farm.admin)
    page.click("#nav-workers")
    row = page.locator("#workers-table tr", has_text="node1")
    row.locator(".state-busy").wait_for(timeout=60_000)
    assert row.locator("a", has_text=f"job {job_id}").count() == 1
    row.get_by_role("button", name="Drain").click()
    row.locator(".state-draining, .state-drained").first.wait_for()
    # The task it renders finishes; then it takes no other, though the job has more.
    row.locator(".state-drained").wait_for(timeout=60_000)
    done = client.job(job_id)["tasks_done"]
    assert 1 <= done < 4
    time.sleep(4)  # two of the worker's claim periods
    assert client.job(job_id)["tasks_done"] == done
    assert client.job(job_id)["state"] == "rendering"
    row.get_by_role("button", name="Enable").click()
    row.locator(".state-busy, .state-idle").first.wait_for(timeout=30_000)
    wait_job(client, job_id, timeout=180)
    assert page.errors == []
