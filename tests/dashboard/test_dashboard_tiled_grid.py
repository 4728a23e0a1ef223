"""The frame grid of a tiled job: one cell per frame holding its tiles and its assembly,
pages that end with whole frames, each tile a button of its own. A job of frame chunks
keeps one tile per task."""

from __future__ import annotations

from worker_support import upload_files, wait_for

from .test_dashboard_jobs_list import _spec
from .test_dashboard_retry_selection import _fail_every_task

TILES = 6  # 7 tasks a frame: the dashboard's 500-task page ends inside frame 72


def _cells(page) -> list[str]:
    return page.eval_on_selector_all(
        "#frame-grid .frame-cell", "cs => cs.map(c => c.dataset.frame)"
    )


def test_a_tiled_job_shows_one_cell_per_frame_across_pages(farm, page, sign_in, tmp_path):
    scene = tmp_path / "tiled.blend"
    scene.write_bytes(b"a scene for the tiled grid test")
    client = farm.ann.client
    ref = upload_files(client, [scene])[scene]
    spec = {**_spec(ref, scene, "tiled <b>shot</b>"), "frames": "1-80", "tiles": TILES,
            "tiles_type": "block", "width": 640, "height": 360}  # fmt: skip
    job = client.submit_job(spec)
    _fail_every_task(farm.server, 1)  # the first tile of frame 1 fails (and its assembly)
    tasks = client.json("GET", f"/jobs/{job['id']}/tasks", params={"limit": 10000})["tasks"]
    assert len(tasks) == 80 * (TILES + 1)
    sign_in(page, farm.ann)
    page.goto(f"{farm.root}/#/jobs/{job['id']}")
    page.wait_for_selector("#frame-grid .frame-cell")

    assert _cells(page) == [str(f) for f in range(1, 73)]  # frame 72 whole, not cut at 500
    assert page.locator("#frame-grid .tile").count() == 0  # no task-per-tile tiles
    for frame in ("1", "72"):
        cell = page.locator(f'#frame-grid .frame-cell[data-frame="{frame}"]')
        assert cell.locator(".tile-mark:not(.assemble)").count() == TILES
        assert cell.locator(".tile-mark.assemble").count() == 1
    assert page.inner_text("#tasks-shown").strip() == f"tasks 1–504 of {len(tasks)}"

    first = page.locator('#frame-grid .frame-cell[data-frame="1"]')
    assert first.get_attribute("aria-label") == (
        f"Frame 1: failed, 0 of {TILES} tiles done, assembly failed"
    )
    assert "state-failed" in first.get_attribute("class")
    assert first.locator(".cell-state").inner_text() == "failed"  # a word, not colour alone
    failed_tile = first.locator(".tile-mark.state-failed:not(.assemble)")
    assert failed_tile.count() == 1
    assert failed_tile.get_attribute("aria-label") == f"Frame 1, tile 0 of {TILES}: failed"
    assert failed_tile.inner_text().startswith("✕")
    waiting = page.locator('#frame-grid .frame-cell[data-frame="2"] .tile-mark.assemble')
    assert waiting.get_attribute("aria-label") == "Frame 2, assembly: waiting"

    # A tile is a button: focused and opened with the keyboard.
    tile = page.locator('#frame-grid .frame-cell[data-frame="3"] .tile-mark').nth(2)
    tile.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#task-detail h2")
    assert page.inner_text("#task-detail h2") == "Tile of frame 3 t2"

    page.click("#tasks-next")
    wait_for(lambda: _cells(page) == [str(f) for f in range(73, 81)], timeout=10)
    for frame in range(73, 81):
        cell = page.locator(f'#frame-grid .frame-cell[data-frame="{frame}"]')
        assert cell.locator(".tile-mark").count() == TILES + 1
    assert page.inner_text("#tasks-shown").strip() == f"tasks 505–{len(tasks)} of {len(tasks)}"
    assert page.locator("#tasks-next").is_disabled()
    page.click("#tasks-prev")
    wait_for(lambda: len(_cells(page)) == 72, timeout=10)
    assert page.errors == []


def test_a_job_of_chunks_keeps_one_tile_per_task(farm, page, sign_in, tmp_path):
    scene = tmp_path / "chunks.blend"
    scene.write_bytes(b"a scene for the chunk grid test")
    client = farm.ann.client
    ref = upload_files(client, [scene])[scene]
    job = client.submit_job({**_spec(ref, scene, "chunks"), "frames": "1-9", "frames_per_task": 3})
    sign_in(page, farm.ann)
    page.goto(f"{farm.root}/#/jobs/{job['id']}")
    page.wait_for_selector("#frame-grid .tile")
    assert page.locator("#frame-grid .tile").all_inner_texts() == ["○\n1–3", "○\n4–6", "○\n7–9"]
    assert page.locator("#frame-grid .frame-cell").count() == 0
    assert page.errors == []
