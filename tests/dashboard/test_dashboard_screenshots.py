"""Screenshots of every dashboard page on a real farm: jobs in each state, a Blender job
rendered by a real worker (thumbnails, a task's attempts and log), workers, farm, admin.

`FARMHAND_SCREENSHOTS=docs/screenshots pytest tests/dashboard/test_dashboard_screenshots.py`
regenerates the images docs/dashboard.md and the README show; without it they go to tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

from worker_support import wait_for, wait_job

from .test_dashboard_browser import HOSTILE, blend_spec, shot, worker  # noqa: F401 - fixtures

VIEWPORT = {"width": 1360, "height": 900}


def _tiled_job(farm, spec: dict) -> int:
    """A tiled job (12 frames of 4 tiles and an assembly) worked on by a render node over the
    API, so its grid shows each state: frames assembled, tiles done, one failed (its frame's
    assembly with it), one running at 40 %, the rest queued and assemblies waiting."""
    server, admin = farm.server, farm.server.session()
    admin.put(server.url("/hardware-configs/tile-demo"), json={"name": "tile demo"})
    job = farm.ann.client.submit_job({
        **spec, "name": "sq030_sh010_matte_tiled", "frames": "1-12", "tiles": 4,
        "tiles_type": "block", "priority": 90, "hardware": {"hardware_config_ids": ["tile-demo"]},
    })["id"]  # fmt: skip
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
    body = {"name": "node7", "cpu_cores": 16, "ram_gb": 64, "hardware_config_id": "tile-demo",
            "software": {"blender": {"3.4": {}}}}  # fmt: skip
    node = server.session(
        server.session(enrol).post(server.url("/workers/register"), json=body).json()["token"]
    )

    def claim() -> int:
        got = node.post(server.url("/workers/claim"), json={"wait": 0})
        assert got.status_code == 200, got.text
        assert got.json()["job"]["id"] == job, got.json()
        return got.json()["attempt_id"]

    def end(attempt: int, how: str) -> None:
        report = (
            {"peak_memory_mb": 900}
            if how == "complete"
            else {"exit_code": 1, "message": "out of memory"}
        )
        answer = node.post(server.url(f"/attempts/{attempt}/{how}"), json=report)
        assert answer.status_code == 200, answer.text

    for _ in range(2 * 5):  # frames 1 and 2: four tiles, then the assembly they released
        end(claim(), "complete")
    end(claim(), "complete")  # frame 3: tile 0 done,
    retries, server.config.max_retries = server.config.max_retries, 0
    end(claim(), "fail")  # tile 1 failed for good (and the frame's assembly),
    server.config.max_retries = retries
    end(claim(), "complete")  # tile 2 done
    end(claim(), "complete")  # tile 3 done
    running = claim()  # frame 4: tile 0 rendering
    node.post(server.url(f"/attempts/{running}/heartbeat"), json={"progress": 0.4})
    return job


def test_screenshots_of_every_page(farm, worker, shot, browser, tmp_path):  # noqa: F811
    out = Path(os.environ.get("FARMHAND_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    client = farm.ann.client
    spec = blend_spec(client, shot)
    done = client.submit_job({**spec, "name": "sq010_sh020_lighting_v004"})["id"]
    wait_job(client, done, timeout=180)
    held = client.submit_job({**spec, "name": "sq010_sh030_fx_v002", "priority": 70})["id"]
    client.json("POST", f"/jobs/{held}/pause")
    farm.bob.client.submit_job({**blend_spec(farm.bob.client, shot), "name": "sq020_sh010_anim"})
    hostile = client.submit_job({**spec, "name": HOSTILE})["id"]
    client.json("POST", f"/jobs/{hostile}/cancel")
    client.submit_job({**spec, "name": "sq010_sh040_comp_v001", "frames_per_task": 2})
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    shots = []

    def snap(name: str, full: bool = True) -> None:
        path = out / f"dashboard-{name}.png"
        page.screenshot(path=str(path), full_page=full)
        shots.append(path)

    page.goto(farm.root + "/")
    page.locator("#token").wait_for()
    snap("signin", full=False)
    page.fill("#token", farm.admin.token)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#jobs-table tbody tr")
    page.locator("#jobs-table .state-rendering").first.wait_for(timeout=60_000)
    page.locator(f'tr[data-job="{held}"] input[type=checkbox]').check()
    snap("jobs", full=False)
    # The finished job: thumbnails and a task's attempts and whole log.
    page.goto(f"{farm.root}/#/jobs/{done}")
    page.locator("#outputs img.thumb").first.wait_for()
    thumbs = "[...document.querySelectorAll('#outputs img.thumb')]"
    loaded = f"{thumbs}.every(i => i.complete && i.naturalWidth)"
    wait_for(lambda: page.evaluate(loaded), timeout=30)
    page.locator("#frame-grid .tile").nth(1).click()
    page.locator("#task-log").wait_for()
    wait_for(lambda: len(page.locator("#task-log").text_content() or "") > 200, timeout=30)
    snap("job")
    # Frames selected for a retry (selection mode: tiles toggle).
    page.locator("#task-detail button", has_text="Close").click()
    page.click("#grid-select")
    for n in (0, 2):
        page.locator("#frame-grid .tile").nth(n).click()
    page.locator("#frame-grid").scroll_into_view_if_needed()
    snap("job-select", full=False)
    # A job while it renders: the running task's live log.
    page.goto(f"{farm.root}/#/jobs")
    running = page.locator("#jobs-table tr", has=page.locator(".state-rendering")).first
    running.locator("td.name a").click()
    tile = page.locator("#frame-grid .tile.state-running").first
    tile.wait_for(timeout=60_000)
    tile.click()
    wait_for(lambda: len(page.locator("#task-log").text_content() or "") > 0, timeout=30)
    page.locator("#task-log").scroll_into_view_if_needed()
    snap("job-rendering", full=False)
    # A tiled job: one cell per frame, its tiles and its assembly.
    tiled = _tiled_job(farm, spec)
    page.goto(f"{farm.root}/#/jobs/{tiled}")
    page.locator("#frame-grid .frame-cell .tile-mark.state-running").wait_for()
    page.locator('#frame-grid .frame-cell[data-frame="3"] .tile-mark.state-failed').first.click()
    page.locator("#attempts tbody tr").first.wait_for()
    page.mouse.wheel(0, 470)  # the grid and the chosen tile's attempts
    page.wait_for_timeout(500)
    snap("job-tiled", full=False)
    page.goto(f"{farm.root}/#/workers")
    page.locator("#workers-table tbody tr").first.wait_for()
    snap("workers", full=False)
    page.goto(f"{farm.root}/#/farm")
    page.locator("#farm-stats .stat").first.wait_for()
    page.locator("#farm-usage tbody tr").first.wait_for()
    page.locator("#farm-hours-user tbody tr").first.wait_for()
    snap("farm")
    admin = farm.server.session()
    for config_id, config in (
        ("418", {"name": "CPU 24 cores", "cpu_cores": 24, "ram_gb": 128, "price_per_hour": 1.2}),
        ("419", {"name": "GPU 2× RTX A6000", "cpu_cores": 32, "ram_gb": 256, "gpu_count": 2,
                 "gpu_model": "RTX A6000", "price_per_hour": 3.5}),
    ):  # fmt: skip
        admin.put(farm.server.url(f"/hardware-configs/{config_id}"), json=config)
    preset = {"description": "Final quality, 4 tiles a frame", "priority": 60, "tiles": 4,
              "width": 1920, "height": 1080}  # fmt: skip
    admin.put(farm.server.url("/presets/final_4tiles"), json=preset)
    page.goto(f"{farm.root}/#/admin")
    page.locator("#users tbody tr").first.wait_for()
    page.locator('#hardware tr[data-config="419"]').get_by_role("button", name="Edit").click()
    page.fill("#preset-name", "draft")
    page.fill(
        "#preset-fields",
        '{\n  "description": "Quick look",\n  "frames_per_task": "4",\n  "sample": 16\n}',
    )
    page.click("#preset-save")
    page.locator("#preset-errors li").first.wait_for()
    page.click(f'[data-key="tokens-{farm.ann.client.json("GET", "/me")["id"]}"]')
    page.locator("#user-tokens-table tbody tr").first.wait_for()
    page.click("#enrol-form button[type=submit]")
    page.locator("#issued-token").wait_for()
    snap("admin")
    context.close()
    assert errors == []
    for path in shots:
        assert path.stat().st_size > 10_000, path
