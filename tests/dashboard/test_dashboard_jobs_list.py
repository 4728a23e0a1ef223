"""The jobs page sorts and searches on the server, across more jobs than one page shows."""

from __future__ import annotations

from pathlib import Path

from worker_support import upload_files, wait_for

PAGE = 100  # jobs per page in the dashboard's list


def _spec(ref: dict, scene: Path, name: str, priority: int = 50) -> dict:
    return {
        "name": name,
        "priority": priority,
        "scene": {"path": scene.as_posix(), "blob": ref},
        "software": {"cg_name": "blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender"},
        "frames": "1",
    }


def _names(page) -> list[str]:
    return page.locator("#jobs-table tbody td.name").all_inner_texts()


def _wait_drawn(page, after: str) -> None:
    """Until the list is drawn again (polled from here: the page's CSP forbids eval)."""
    wait_for(lambda: page.eval_on_selector("#main", "m => m.dataset.loaded") != after, timeout=10)


def test_sort_and_search_reach_jobs_beyond_the_first_page(farm, page, sign_in, tmp_path):
    scene = tmp_path / "list.blend"
    scene.write_bytes(b"a scene for the list test")
    ref = upload_files(farm.ann.client, [scene])[scene]
    # The oldest job: the default (newest-first) first page does not hold it.
    farm.ann.client.submit_job(_spec(ref, scene, "aaa oldest 100%", priority=99))
    for n in range(PAGE + 4):
        farm.ann.client.submit_job(_spec(ref, scene, f"shot {n:03d}"))
    sign_in(page, farm.ann)
    assert "aaa oldest 100%" not in _names(page)
    assert page.locator("#jobs-table thead th", has_text="ETA").count() == 1

    loaded = page.eval_on_selector("#main", "m => m.dataset.loaded")
    page.click('[data-key="sort-name"]')  # ascending by name, over every job
    _wait_drawn(page, loaded)
    assert _names(page)[0] == "aaa oldest 100%"
    assert page.locator('th[aria-sort="ascending"]', has_text="Name").count() == 1

    loaded = page.eval_on_selector("#main", "m => m.dataset.loaded")
    page.click('[data-key="sort-priority"]')  # the highest priority first
    _wait_drawn(page, loaded)
    assert _names(page)[0] == "aaa oldest 100%"

    loaded = page.eval_on_selector("#main", "m => m.dataset.loaded")
    page.fill("#filter-text", "100%")  # a LIKE wildcard is searched for as itself
    _wait_drawn(page, loaded)
    assert _names(page) == ["aaa oldest 100%"]

    loaded = page.eval_on_selector("#main", "m => m.dataset.loaded")
    page.fill("#filter-text", "no such job")
    _wait_drawn(page, loaded)
    assert page.locator("#jobs-table td.empty").inner_text() == "No job matches the search."
    assert page.errors == []
