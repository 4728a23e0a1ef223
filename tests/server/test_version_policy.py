"""Version policy on the farm: who may take a job, and what a job nobody can take says."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from farm import claim, job, new_user, new_worker, submit
from server_harness import RunningServer, start_server


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


def _reason(server: RunningServer, session, job_id: int) -> str | None:
    return job(server, session, job_id)["waiting_reason"]


def test_a_job_nobody_online_can_take_says_why(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", **_maya("2023"))
    assert _reason(server, ann, created["id"]) == "no worker is online"
    for i in range(3):
        _node(server, f"old{i}", "2022")
    new_worker(server, "blender")  # Blender 3.4 only
    assert _reason(server, ann, created["id"]) == (
        "no online worker has Maya ≥ 2023 (online: Maya 2022 on 3 workers)"
    )
    listed = ann.get(server.url("/jobs")).json()["jobs"]
    assert listed[0]["waiting_reason"] == _reason(server, ann, created["id"])
    _node(server, "m2025", "2025")
    assert _reason(server, ann, created["id"]) is None
    assert ann.get(server.url("/jobs")).json()["jobs"][0]["waiting_reason"] is None


def test_the_reason_names_hardware_tags_and_configs(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    hardware = {"ram_gb": 64, "tags": ["gpu"], "hardware_config_ids": ["418"]}
    created = submit(server, ann, frames="1", **_maya("2023", accept="exact"), hardware=hardware)
    _node(server, "a", "2025", ram_gb=16, hardware_config_id="419")
    assert _reason(server, ann, created["id"]) == (
        "no online worker has 64 GB of RAM (online: 16 GB on 1 worker); "
        "no online worker has Maya 2023 (online: Maya 2025 on 1 worker); "
        "no online worker has tag gpu; "
        "no online worker has hardware config 418 (online: 419 on 1 worker)"
    )
    _node(server, "b", "2023", ram_gb=128, tags=["gpu"])
    _node(server, "c", "2025", ram_gb=16, hardware_config_id="418")
    assert _reason(server, ann, created["id"]) == (
        "no single online worker has all of: 64 GB of RAM, Maya 2023, tag gpu, hardware config 418"
    )
    _node(server, "d", "2023", ram_gb=64, tags=["gpu"], hardware_config_id="418")
    assert _reason(server, ann, created["id"]) is None


def test_the_farm_software_an_artist_may_read(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    _node(server, "a", "2022", "2025")
    _node(server, "b", "2025")
    new_worker(server, "c")
    farm = ann.get(server.url("/farm/software"))
    assert farm.status_code == 200, farm.text
    assert farm.json()["workers_online"] == 3
    assert farm.json()["software"] == [
        {"name": "blender", "version": "3.4", "workers": 1},
        {"name": "Maya", "version": "2022", "workers": 1},
        {"name": "Maya", "version": "2025", "workers": 2},
    ]
    assert "name" not in str(farm.json()).replace("'name': 'Maya'", "").replace(
        "'name': 'blender'", ""
    )  # no worker identities
    assert server.session().get(server.url("/farm/software")).status_code == 200  # admin
    assert ann.get(server.url("/workers")).status_code == 403  # the worker list stays admin's


def test_workers_not_seen_lately_are_offline_and_claiming_keeps_them_online(
    database_url: str, tmp_path: Path
) -> None:
    running = start_server(tmp_path / "data", database_url, online_seconds=1.0)
    try:
        ann = new_user(running, "ann")
        created = submit(running, ann, frames="1", **_maya("2023"))
        node = _node(running, "m2022", "2022")
        assert ann.get(running.url("/farm/software")).json()["workers_online"] == 1
        time.sleep(1.2)
        assert ann.get(running.url("/farm/software")).json()["workers_online"] == 0
        assert _reason(running, ann, created["id"]) == "no worker is online"
        assert claim(running, node) is None  # an idle claim: seen again
        assert ann.get(running.url("/farm/software")).json()["workers_online"] == 1
        assert _reason(running, ann, created["id"]).startswith("no online worker has Maya ≥ 2023")
    finally:
        running.stop()
