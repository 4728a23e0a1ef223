"""The Farm page's figures for admins (`GET /farm/stats`), and none of them for artists."""

from __future__ import annotations

from worker_support import upload_files, wait_for

from .test_dashboard_jobs_list import _spec
from .test_dashboard_retry_selection import _fail_every_task


def test_the_farm_page_shows_the_farms_figures(farm, page, sign_in, tmp_path):
    scene = tmp_path / "farm.blend"
    scene.write_bytes(b"a scene for the farm page test")
    ref = upload_files(farm.ann.client, [scene])[scene]
    farm.ann.client.submit_job({**_spec(ref, scene, "failed once"), "project": "forest"})
    _fail_every_task(farm.server, 1)  # an attempt of ann's: core-hours for her and forest
    farm.ann.client.submit_job({**_spec(ref, scene, "queued for the farm page"), "frames": "1-5"})
    sign_in(page, farm.admin)
    page.goto(f"{farm.root}/#/farm")
    page.wait_for_selector("#farm-figures #stat-tasks-queued")
    assert page.inner_text("#stat-tasks-queued .value") == "5"
    assert page.inner_text("#stat-storage .value") == "30 bytes"  # the one scene blob
    assert page.locator("#farm-spark").get_attribute("aria-label").startswith("0 tasks")
    users = page.locator("#farm-hours-user tbody td:first-child").all_inner_texts()
    assert users == ["ann"]
    projects = page.locator("#farm-hours-project tbody td:first-child").all_inner_texts()
    assert projects == ["forest"]
    page.select_option("#farm-period", "3600")
    wait_for(lambda: "the last hour" in page.inner_text("#farm-figures"), timeout=10)
    assert page.errors == []


def test_an_artist_sees_no_farm_figures(farm, page, sign_in):
    sign_in(page, farm.ann)
    page.goto(f"{farm.root}/#/farm")
    page.wait_for_selector("#farm-stats .stat")
    assert page.locator("#farm-figures").count() == 0
