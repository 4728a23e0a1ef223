"""Renderbus task.json submitted to the real server: per-layer groups, time units, warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from farm import claim, complete, job, new_user, new_worker, upload
from server_harness import RunningServer

TASKS = Path(__file__).resolve().parents[1] / "renderbus"


def _task(name: str, scene: dict[str, Any], renderer: str | None = "arnold") -> dict[str, Any]:
    """A tests/renderbus task.json with what Renderbus does not carry (name, scene blob)."""
    body = json.loads((TASKS / name).read_text("utf-8"))
    if renderer:
        for layer in body["scene_info_render"].values():
            layer["common"]["renderer"] = renderer
    body["name"] = name
    body["scene"] = {"blob": scene}
    return body


def _maya_node(server: RunningServer) -> requests.Session:
    return new_worker(server, "maya-node", ram_gb=128, software={"Maya": {"2024": {}}})


def test_the_public_example_renders_per_layer_with_renderbus_times(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    body = _task("maya_two_layers.task.json", upload(server, ann, b"two layers"))
    body["task_info"].update(pre_frames="000:1,3-4[1]", stop_after_test="1")
    created = ann.post(server.url("/jobs"), json=body)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["tasks_total"] == 20  # 10 frames in each of two layers
    warnings = answer["warnings"]
    assert any(w.startswith("task_info.time_out 12 read as hours: 12 h (43200 s) per task")
               for w in warnings)  # fmt: skip
    assert any("cameraShape1 → camera1" in w for w in warnings)

    spec = job(server, ann, answer["id"])["spec"]
    assert spec["spec_version"] == 2
    assert [(g["name"], g["cameras"]) for g in spec["layers"]] == [
        ("defaultRenderLayer", ["camera1"]),
        ("mut", ["camera1", "stereoCameraLeft"]),
    ]
    assert (spec["time_out"], spec["job_stop_time"]) == (43200, 86400)  # twelve hours a task
    assert spec["notes"]["task_info.job_stop_time"].startswith("28800 s")

    node = _maya_node(server)
    tests = [claim(server, node) for _ in range(6)]
    assert [(t["task"]["frames"], t["task"]["is_test"]) for t in tests] == [
        ([f], True) for _ in range(2) for f in (1, 3, 4)
    ]
    assert tests[0]["job"]["time_out"] == 43200  # what the node enforces: twelve hours
    assert claim(server, node) is None  # stop_after_test "1": paused after the priority frames
    for t in tests:
        assert complete(server, node, t) == 200
    assert job(server, ann, answer["id"])["state"] == "awaiting_approval"


def test_the_client_traffic_form_gives_the_same_twelve_hours(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"two layers")
    answers = []
    for time_out in ("12", "43200"):
        body = _task("maya_two_layers.task.json", scene)
        body["task_info"]["time_out"] = time_out
        created = ann.post(server.url("/jobs"), json=body)
        assert created.status_code == 201, created.text
        answers.append(created.json())
    hours, seconds = (job(server, ann, a["id"])["spec"] for a in answers)
    assert (hours["time_out"], hours["job_stop_time"]) == (
        seconds["time_out"],
        seconds["job_stop_time"],
    )
    assert hours["time_out"] == 43200
    assert any(w.startswith("task_info.time_out 43200 read as seconds: 12 h (43200 s)")
               for w in answers[1]["warnings"])  # fmt: skip

    traffic = ann.post(server.url("/jobs"), json=_task("client_traffic.task.json", scene))
    assert traffic.status_code == 201, traffic.text
    spec = job(server, ann, traffic.json()["id"])["spec"]
    assert spec["time_out"] == 43200 and "job_stop_time" not in spec  # task_stop_time "0"


def test_a_renderer_the_farm_lacks_is_refused_at_submit(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    body = _task("maya_two_layers.task.json", upload(server, ann, b"mr"), renderer=None)
    refused = ann.post(server.url("/jobs"), json=body)
    assert refused.status_code == 400, refused.text
    message = refused.json()["error"]["message"]
    assert "scene_info_render.defaultRenderLayer.common.renderer: 'mentalRay'" in message
    assert "scene_info_render.mut.common.renderer: 'mentalRay'" in message
    assert ann.get(server.url("/jobs")).json()["jobs"] == []


def test_a_jobspec_gets_an_empty_warnings_list(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"plain")
    spec = {"name": "plain", "scene": {"path": "C:/p/a.blend", "blob": scene},
            "software": {"cg_name": "blender", "cg_version": "3.4"},
            "renderer": {"adapter": "blender"}, "frames": "1-2"}  # fmt: skip
    created = ann.post(server.url("/jobs"), json=spec)
    assert created.status_code == 201 and created.json()["warnings"] == []
