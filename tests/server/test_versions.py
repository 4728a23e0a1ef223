"""Version policy on the farm: who may take a job, and what a job nobody can take says."""

from __future__ import annotations

from typing import Any

from farm import claim, new_user, new_worker, submit
from server_harness import RunningServer


def _maya(version: str = "2023", **software: Any) -> dict[str, Any]:
    return {"software": {"cg_name": "Maya", "cg_version": version, **software},
            "renderer": {"adapter": "maya"}}  # fmt: skip


def _node(server: RunningServer, name: str, *versions: str, **caps: Any):
    return new_worker(server, name, software={"Maya": {v: {} for v in versions}}, **caps)


def test_a_maya_2023_scene_renders_on_a_maya_2025_node(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", **_maya("2023"))
    older = _node(server, "m2022", "2022")
    assert claim(server, older) is None
    newer = _node(server, "m2025", "2025")
    assert claim(server, newer)["job"]["id"] == created["id"]


def test_an_exact_job_waits_for_its_own_version(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", **_maya("2023", accept="exact"))
    newer = _node(server, "m2025", "2025")
    assert claim(server, newer) is None
    same = _node(server, "m2023", "2023.3")  # Maya compares the year
    assert claim(server, same)["job"]["id"] == created["id"]


def test_a_list_takes_any_of_its_versions_and_no_other(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", **_maya("2023", accept=["2024", "2026"]))
    for name, version in (("m2023", "2023"), ("m2025", "2025")):
        assert claim(server, _node(server, name, version)) is None
    assert claim(server, _node(server, "m2026", "2026"))["job"]["id"] == created["id"]


def test_plugins_still_match_exactly(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    submit(server, ann, frames="1", **_maya("2023", plugins={"mtoa": "5.3.0"}))
    newer_plugin = new_worker(
        server, "n", software={"Maya": {"2025": {"plugins": {"mtoa": "5.4"}}}}
    )
    assert claim(server, newer_plugin) is None
    right = new_worker(server, "r", software={"Maya": {"2025": {"plugins": {"mtoa": "5.3.0"}}}})
    assert claim(server, right) is not None
