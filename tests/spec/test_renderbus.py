"""Renderbus task.json read with Renderbus's units and meanings (`farmhand.spec.renderbus`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from farmhand.spec import jobspec as js
from farmhand.spec.plan import plan_job
from farmhand.spec.renderbus import MAX_NOTES, normalize_renderbus, read_task_json
from farmhand.spec.renderbus_layers import camera_transform
from farmhand.spec.renderbus_time import reminder_seconds

HERE = Path(__file__).resolve().parents[1] / "renderbus"
BLOB = {"md5": "6e57efc1fb88700dfc4820e160348f07", "xxh64": "61716a1c2b3d4e5f", "size": 1}


def task_file(name: str) -> dict[str, Any]:
    """One of the task.json files of tests/renderbus (README.md says what each carries)."""
    return json.loads((HERE / name).read_text("utf-8"))


def public_example(renderer: str = "arnold", **task_info: Any) -> dict[str, Any]:
    """The Maya configuration document's example; its layers on `renderer` (theirs: mentalRay)."""
    task = task_file("maya_two_layers.task.json")
    for layer in task["scene_info_render"].values():
        layer["common"]["renderer"] = renderer
    task["task_info"].update(task_info)
    return task


def completed(spec: dict[str, Any]) -> dict[str, Any]:
    """What the caller adds to a mapped task.json before it is a JobSpec."""
    return {**spec, "name": "demo", "scene": {**spec["scene"], "blob": BLOB}}


# --------------------------------------------------------------------------- the public example


def test_public_example_gives_one_layer_group_per_layer_with_its_own_cameras() -> None:
    spec = read_task_json(public_example()).spec
    assert spec["spec_version"] == 2
    assert spec["renderer"] == {"adapter": "maya", "image_format": "exr"}
    assert spec["layers"] == [
        {"name": "defaultRenderLayer", "display_name": "masterLayer", "renderer": "arnold",
         "frames": "1-10[1]", "width": 960, "height": 540, "cameras": ["camera1"],
         "pick_cameras": True},
        {"name": "mut", "renderer": "arnold", "frames": "1-10[1]", "width": 960, "height": 540,
         "cameras": ["camera1", "stereoCameraLeft"], "pick_cameras": True},
    ]  # fmt: skip
    for old in ("cameras", "frames", "width", "height"):
        assert old not in spec  # nothing flattened
    assert js.validate_jobspec(completed(spec)) == []
    plan = plan_job(completed(spec))
    assert [(g.name, g.cameras, len(g.frames)) for g in plan.groups] == [
        ("defaultRenderLayer", ["camera1"], 10),
        ("mut", ["camera1", "stereoCameraLeft"], 10),
    ]
    assert len(plan.tasks) == 20 and {t.layer for t in plan.tasks} == {0, 1}


def test_public_example_time_fields_keep_renderbus_meanings() -> None:
    read = read_task_json(public_example())
    spec = read.spec
    # time_out "12": "Timeout period unit:hour" -> a twelve-hour limit per task.
    assert spec["time_out"] == 43200
    (warning,) = [w for w in read.warnings if w.startswith("task_info.time_out")]
    assert "read as hours: 12 h (43200 s) per task" in warning
    # task_stop_time: "major task stops due to timeout unit: second" -> the whole job's.
    assert spec["job_stop_time"] == 86400
    # job_stop_time: "Minor task stops due to timeout" (per frame): kept in notes, said so.
    assert spec["notes"]["task_info.job_stop_time"].startswith("28800 s")
    assert any(w.startswith("task_info.job_stop_time 28800") for w in read.warnings)


def test_client_traffic_form_43200_gives_the_same_twelve_hours() -> None:
    hours = read_task_json(public_example())
    seconds = read_task_json(public_example(time_out="43200"))
    assert hours.spec.keys() == seconds.spec.keys()
    for key in ("time_out", "job_stop_time"):
        assert hours.spec[key] == seconds.spec[key]
    assert seconds.spec["time_out"] == 43200
    assert any("task_info.time_out 43200 read as seconds: 12 h (43200 s)" in w
               for w in seconds.warnings)  # fmt: skip
    assert reminder_seconds(12) == (43200, "hours")
    assert reminder_seconds(43200) == (43200, "seconds")


def test_client_traffic_file() -> None:
    read = read_task_json(task_file("client_traffic.task.json"))
    spec = read.spec
    assert spec["time_out"] == 43200  # time_out "43200": twelve hours a task
    assert "job_stop_time" not in spec  # task_stop_time "0": unlimited
    assert spec["test_frames"] == {"first": True, "middle": False, "last": False, "custom": []}
    assert spec["stop_after_test"] is True
    assert spec["hardware"] == {"ram_gb": 64, "hardware_config_ids": ["418"]}
    assert spec["layers"][0]["output_prefix"] == "wolf_v32/wolf_v32"
    assert spec["notes"]["software_config.cg_inst_dir"] == "C:/Program Files/Autodesk/Maya2024/bin"
    assert spec["notes"]["task_info.job_id_alias"] == "1G300000001"
    assert js.validate_jobspec(completed(spec)) == []


@pytest.mark.parametrize(
    ("pre_frames", "stop", "test_frames", "stop_after_test"),
    [
        ("000", "2", None, False),  # the example's own values
        ("000:1,3-4[1]", "1", {"first": False, "middle": False, "last": False,
                               "custom": [1, 3, 4]}, True),  # the document's pre_frames example
        ("000: 1,3-4 [1]", "2", {"first": False, "middle": False, "last": False,
                                 "custom": [1, 3, 4]}, False),  # as its English docs space it
        ("100", "1", {"first": True, "middle": False, "last": False, "custom": []}, True),
    ],
)  # fmt: skip
def test_priority_frames_and_stop_after_test(
    pre_frames: str, stop: str, test_frames: dict | None, stop_after_test: bool
) -> None:
    spec = read_task_json(public_example(pre_frames=pre_frames, stop_after_test=stop)).spec
    assert spec.get("test_frames") == test_frames
    assert spec["stop_after_test"] is stop_after_test
    if test_frames:
        plan = plan_job(completed(spec))
        tests = [(t.layer, t.frames) for t in plan.tasks if t.is_test]
        picked = [1, 3, 4] if test_frames["custom"] else [1]
        assert tests == [(layer, [f]) for layer in (0, 1) for f in picked]


def test_stop_after_test_without_priority_frames_is_a_warning_not_a_refusal() -> None:
    read = read_task_json(public_example(pre_frames="000", stop_after_test="1"))
    assert "stop_after_test" not in read.spec
    assert any("nothing to pause after" in w for w in read.warnings)
    assert js.validate_jobspec(completed(read.spec)) == []


def test_the_example_s_mental_ray_is_refused_naming_each_layer() -> None:
    with pytest.raises(ValueError) as error:
        read_task_json(task_file("maya_two_layers.task.json"))
    message = str(error.value)
    assert "scene_info_render.defaultRenderLayer.common.renderer: 'mentalRay'" in message
    assert "scene_info_render.mut.common.renderer: 'mentalRay'" in message
    assert "not a renderer the farm's Maya nodes drive" in message


def test_unknown_fields_are_kept_in_notes_and_the_spec_is_valid() -> None:
    task = public_example()
    task["task_info"]["mystery_flag"] = {"a": [1, 2]}
    task["scene_info_render"]["mut"]["common"]["extra"] = "x" * 5000
    read = read_task_json(task)
    notes = read.spec["notes"]
    assert notes["task_info.mystery_flag"] == '{"a": [1, 2]}'
    assert notes["task_info.os_name"] == "1" and notes["task_info.platform"] == "2"
    assert notes["scene_info_render.mut.common.renumber_frames"] == "False"
    assert len(notes["scene_info_render.mut.common.extra"]) == 1000
    assert any(w.startswith("task_info.os_name '1' (Windows") for w in read.warnings)
    assert js.validate_jobspec(completed(read.spec)) == []


def test_notes_are_bounded() -> None:
    task = public_example()
    task["task_info"].update({f"f{i}": str(i) for i in range(400)})
    read = read_task_json(task)
    assert len(read.spec["notes"]) == MAX_NOTES
    assert any(w.startswith("notes: ") and "not kept" in w for w in read.warnings)


def test_a_layer_that_is_not_renderable_is_left_out() -> None:
    task = public_example()
    task["scene_info_render"]["mut"]["renderable"] = "0"
    spec = read_task_json(task).spec
    assert [g["name"] for g in spec["layers"]] == ["defaultRenderLayer"]
    assert spec["notes"]["scene_info_render.mut.renderable"] == "0"
    for layer in task["scene_info_render"].values():
        layer["renderable"] = "0"
    with pytest.raises(ValueError, match="no layer is renderable"):
        read_task_json(task)


def test_animation_off_with_one_frame_renders_a_still() -> None:
    task = public_example()
    task["scene_info_render"]["mut"]["common"]["frames"] = "5"
    read = read_task_json(task)
    assert read.spec["layers"][1]["animation"] is False
    assert "animation" not in read.spec["layers"][0]  # 10 frames: an animation, and said so
    assert any("defaultRenderLayer.common.animation" in w for w in read.warnings)


def test_layers_differ_in_format_and_size() -> None:
    task = public_example()
    common = task["scene_info_render"]["mut"]["common"]
    common.update(image_format="png", width="1920", height="1080", frames="", start="5",
                  end="9", by_frame="2", image_file_prefix="<RenderLayer>/<Scene>")  # fmt: skip
    read = read_task_json(task)
    assert read.spec["renderer"] == {"adapter": "maya"}  # no one -of for both
    assert any("image_format differs" in w for w in read.warnings)
    mut = read.spec["layers"][1]
    assert (mut["width"], mut["height"], mut["frames"]) == (1920, 1080, "5-9[2]")
    assert mut["output_prefix"] == "<RenderLayer>/<Scene>"


@pytest.mark.parametrize(
    ("name", "transform"),
    [
        ("cameraShape1", "camera1"),
        ("stereoCameraLeftShape", "stereoCameraLeft"),
        ("perspShape", "persp"),
        ("shot:heroShape12", "shot:hero12"),
        ("|rig|hero|heroShape", "|rig|hero"),
        ("hero", "hero"),
        ("Shape", "Shape"),
    ],
)
def test_camera_shapes_are_read_as_transforms(name: str, transform: str) -> None:
    assert camera_transform(name) == transform


def test_our_fields_override_every_layer_group() -> None:
    body = public_example()
    body.update(name="demo", frames="1-4", width=1280, layers=["mut"], priority=70)
    spec = read_task_json(body).spec
    assert [g["name"] for g in spec["layers"]] == ["mut"]
    assert spec["layers"][0]["frames"] == "1-4" and spec["layers"][0]["width"] == 1280
    assert "frames" not in spec and "width" not in spec and spec["priority"] == 70
    with pytest.raises(ValueError, match=r"layers: \['nope'\] are not renderable layers"):
        read_task_json({**public_example(), "layers": ["nope"]})
    with pytest.raises(ValueError, match=r"cameras: with a Maya task\.json"):
        read_task_json({**public_example(), "cameras": ["camera1"]})


# --------------------------------------------------------------------------- fields


def renderbus_task() -> dict[str, Any]:
    """A task.json shaped like the Renderbus client's (values from the analysed capture)."""
    return {
        "software_config": {
            "cg_name": "Maya",
            "cg_version": "2024",
            "cg_inst_dir": "C:/Program Files/Autodesk/Maya2022/bin",
            "plugins": {"mtoa": "5.5.1"},
        },
        "task_info": {
            "frames_per_task": "1",
            "pre_frames": "100",
            "test_frames": "100",
            "stop_after_test": "1",
            "job_stop_time": "86400",
            "task_stop_time": "0",
            "time_out": "43200",
            "tiles": "1",
            "tiles_type": "strip",
            "ram": "64",
            "hardwareConfigId": "418",
            "graphics_cards_num": "2",
            "input_cg_file": "C:/Project/scenes/wolf_fur_refV33.ma",
            "input_project_path": "C:/Project",
            "cg_id": "2000",
            "project_name": "default",
        },
        "scene_info_render": {
            "defaultRenderLayer": {
                "renderable": "1",
                "common": {
                    "image_format": "exr",
                    "frames": "1-3[1]",
                    "width": "2048",
                    "height": "1152",
                    "image_file_prefix": "wolf_v32/wolf_v32",
                    "render_camera": ["cameraShape1"],
                    "renderer": "arnold",
                },
            },
            "hidden": {"renderable": "0", "common": {"frames": "100-200[1]"}},
        },
    }


def test_tiles_replace_chunking_and_default_to_block() -> None:
    task = renderbus_task()
    task["task_info"].update(tiles="4", tiles_type="", frames_per_task="3", job_stop_time="600")
    spec = normalize_renderbus(task)
    assert (spec["tiles"], spec["tiles_type"]) == (4, "block")  # Renderbus's default
    assert "frames_per_task" not in spec
    assert spec["time_out"] == 43200  # the base task.json's time_out "43200": per task, tiles too
    assert js.validate_jobspec(completed(spec)) == []


def test_the_per_frame_stop_is_kept_in_notes() -> None:
    task = renderbus_task()
    task["task_info"].update(frames_per_task="3", job_stop_time="600", time_out="2")
    read = read_task_json(task)
    assert read.spec["time_out"] == 7200
    assert read.spec["notes"]["task_info.job_stop_time"].startswith("600 s")
    assert any("a task of 3 frame(s) is limited by time_out's 2 h per task" in w
               for w in read.warnings)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"stop_after_test": "2"}, {"stop_after_test": False}),
        ({"time_out": "0", "job_stop_time": 0, "task_stop_time": "0"}, {}),
        ({"time_out": "43200"}, {"time_out": 43200}),
        ({"task_stop_time": "259200"}, {"job_stop_time": 259200}),
        ({"pre_frames": "000:1,3-4[1]"}, {"test_frames": {"first": False, "middle": False,
                                                           "last": False, "custom": [1, 3, 4]}}),
        ({"pre_frames": "000"}, {}),
        ({"test_frames": "011"}, {"test_frames": {"first": False, "middle": True, "last": True,
                                                  "custom": []}}),
        ({"ram": "15.5"}, {"hardware": {"ram_gb": 15.5}}),
        ({"hardwareConfigIds": ["418", 419, "418"]},
         {"hardware": {"hardware_config_ids": ["418", "419"]}}),
        ({"hardware_config_id": "419", "hardwareConfigId": ""},
         {"hardware": {"hardware_config_ids": ["419"]}}),
        ({"cg_id": 2000}, {"software": {"cg_name": "Maya"}}),
        ({"cg_id": "2013", "cg_version": 3.4}, {"software": {"cg_name": "Blender",
                                                             "cg_version": "3.4"}}),
        ({"input_cg_file": "D:/shots/a.ma", "project_name": "ads"},
         {"scene": {"path": "D:/shots/a.ma"}, "project": "ads"}),
        ({"tiles": "3"}, {"tiles": 3, "tiles_type": "block"}),
        ({"tiles": "3", "tiles_type": "strip"}, {"tiles": 3, "tiles_type": "strip"}),
        ({"os_name": "0", "is_distribute_render": "0"},
         {"notes": {"task_info.os_name": "0", "task_info.is_distribute_render": "0"}}),
    ],
)  # fmt: skip
def test_task_info_fields(changes: dict, expected: dict) -> None:
    assert normalize_renderbus({"task_info": changes}) == expected


def test_our_fields_are_kept_and_they_win() -> None:
    body = renderbus_task()
    body.update(name="wolf", scene={"blob": BLOB}, priority=80,
                hardware={"ram_gb": 128, "tags": ["fur"]}, tiles=4, tiles_type="block",
                time_out=600)  # fmt: skip
    spec = normalize_renderbus(body)
    assert spec["scene"] == {
        "path": "C:/Project/scenes/wolf_fur_refV33.ma",
        "project_path": "C:/Project",
        "blob": BLOB,
    }
    assert spec["hardware"] == {
        "ram_gb": 128,
        "gpu_count": 2,
        "hardware_config_ids": ["418"],
        "tags": ["fur"],
    }
    assert (spec["name"], spec["priority"], spec["tiles"], spec["time_out"]) == (
        "wolf", 80, 4, 600
    )  # fmt: skip
    assert "frames_per_task" not in spec  # the caller chose tiles
    assert js.validate_jobspec(spec) == []


def test_shared_names_written_as_strings_are_renderbus() -> None:
    spec = normalize_renderbus(
        {"test_frames": "001", "stop_after_test": "2", "frames_per_task": "3",
         "time_out": "12", "job_stop_time": "60"}
    )  # fmt: skip
    assert spec["test_frames"] == {"first": False, "middle": False, "last": True, "custom": []}
    assert (spec["stop_after_test"], spec["frames_per_task"]) == (False, 3)
    assert spec["time_out"] == 43200  # "12": hours
    assert "job_stop_time" not in spec


def test_other_software_keeps_the_flat_form() -> None:
    task = {
        "software_config": {"cg_name": "Blender", "cg_version": "3.4"},
        "scene_info_render": {
            "a": {"renderable": "1", "common": {"frames": "1-10[1]", "width": "960",
                                                "render_camera": ["c1"]}},
            "b": {"renderable": True, "common": {"frames": "20-30[5]", "width": "1920",
                                                 "render_camera": ["c2", "c1"]}},
        },
    }  # fmt: skip
    spec = normalize_renderbus(task)
    assert spec["layers"] == ["a", "b"] and "spec_version" not in spec
    assert spec["frames"] == "1-10,20-30[5]"
    assert spec["cameras"] == ["c1", "c2"]
    assert "width" not in spec  # the layers disagree: left for the caller


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ram": "lots"}, r"task_info.ram: 'lots' is not a number"),
        ({"ram": "nan"}, r"task_info.ram: 'nan' is not a number"),
        ({"frames_per_task": "1.5"}, r"task_info.frames_per_task: '1.5' is not a whole number"),
        ({"stop_after_test": "yes"}, r"task_info.stop_after_test: 'yes' is not 1 \(wait\)"),
        ({"pre_frames": "2"}, r"pre_frames '2': expected three 0/1 flags"),
        ({"time_out": "-1"}, r"task_info.time_out: -1 is negative"),
        ({"job_stop_time": "1e12"}, r"task_info.job_stop_time: 1e\+12 s is more than"),
    ],
)
def test_bad_values_name_the_field(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_renderbus({"task_info": changes})


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ([], r"scene_info_render.x: must be an object"),
        ({"common": []}, r"scene_info_render.x.common: must be an object"),
        ({"common": {}}, r"scene_info_render.x.common.frames: missing"),
        ({"common": {"frames": "1", "width": "wide"}}, r"common.width: 'wide' is not a number"),
        ({"common": {"frames": "1", "render_camera": "cam"}}, r"render_camera: must be a list"),
        ({"common": {"frames": {"a": 1}}}, r"common.frames: .* is not a text or a number"),
    ],
)
def test_bad_layers_name_the_field(layer: Any, message: str) -> None:
    task = {"software_config": {"cg_name": "Maya"}, "scene_info_render": {"x": layer}}
    with pytest.raises(ValueError, match=message):
        normalize_renderbus(task)


def test_output_is_json_and_the_input_is_not_changed() -> None:
    task = public_example()
    before = copy.deepcopy(task)
    spec = normalize_renderbus(task)
    assert json.loads(json.dumps(spec)) == spec
    assert task == before
