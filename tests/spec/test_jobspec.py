"""JobSpec schemas, validation messages and the server path rule (Renderbus: test_renderbus.py)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from farmhand.spec import jobspec as js
from hypothesis import given
from hypothesis import strategies as st

MD5 = "6e57efc1fb88700dfc4820e160348f07"
XXH = "61716a1c2b3d4e5f"


def blob(md5: str = MD5, size: int = 841968626) -> dict:
    return {"md5": md5, "xxh64": XXH, "size": size}


def entry(path: str, server: str, md5: str = MD5, size: int = 1) -> dict:
    return {"path": path, "server_path": server, "md5": md5, "xxh64": XXH, "size": size}


def full_spec() -> dict[str, Any]:
    """A JobSpec using every field."""
    return {
        "spec_version": 1,
        "name": "wolf_fur v33",
        "project": "default",
        "scene": {
            "path": "C:/Project/scenes/wolf_fur_refV33.ma",
            "project_path": "C:/Project",
            "blob": blob(),
        },
        "manifest": [
            entry("C:/Project/scenes/wolf_fur_refV33.ma", "/C/Project/scenes/wolf_fur_refV33.ma",
                  size=841968626),
            entry("Y:/Render_Test/wolf/wolf_fur_v02.xgen", "/Y/Render_Test/wolf/wolf_fur_v02.xgen",
                  md5="0" * 32),
            entry("//nas/tex/fur 毛发.tx", "/nas/tex/fur 毛发.tx", md5="1" * 32),
        ],
        "software": {"cg_name": "Maya", "cg_version": "2024", "plugins": {"mtoa": "5.5.1"}},
        "renderer": {"adapter": "maya", "name": "arnold", "image_format": "exr",
                     "extra_args": ["-ai:lve", "2"]},
        "layers": ["defaultRenderLayer", "rs_fur"],
        "cameras": ["cameraShape1"],
        "frames": "1-100[2],150,200-210",
        "frames_per_task": 5,
        "test_frames": {"first": True, "middle": True, "last": False, "custom": [150]},
        "stop_after_test": True,
        "priority": 60,
        "hardware": {"ram_gb": 64, "gpu_count": 2, "gpu_memory_gb": 24, "cpu_cores": 16,
                     "tags": ["arnold", "linux"], "hardware_config_ids": ["418"]},
        "time_out": 43200,
        "job_stop_time": 86400,
        "output_prefix": "<RenderLayer>/<Scene>",
        "path_mapping": [{"from": "Y:/", "to": "/mnt/projects/"}],
        "width": 2048,
        "height": 1152,
        "analysis": {"asset_num": 33},
    }  # fmt: skip


def minimal_spec() -> dict[str, Any]:
    return {
        "name": "shot",
        "scene": {"path": "/home/ann/shot.blend", "blob": blob(size=10)},
        "software": {"cg_name": "Blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender"},
        "frames": "1-10",
    }


def tiled_spec(**changes: Any) -> dict[str, Any]:
    spec = minimal_spec()
    spec.update({"tiles": 4, "tiles_type": "block", "width": 1920, "height": 1080, **changes})
    return spec


def with_(spec: dict, path: str, value: Any) -> dict:
    """A copy of ``spec`` with the dotted ``path`` set (or removed when value is ...)."""
    spec = copy.deepcopy(spec)
    *parents, last = path.split(".")
    target = spec
    for key in parents:
        target = target[int(key)] if key.isdigit() else target.setdefault(key, {})
    if value is ...:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return spec


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("name", ["jobspec", "preset", "jobspec.schema.json"])
def test_schemas_load_and_are_valid_2020_12(name: str) -> None:
    schema = js.load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_load_schema_returns_a_fresh_copy() -> None:
    js.load_schema("jobspec")["properties"].clear()
    assert "frames" in js.load_schema("jobspec")["properties"]


def test_unknown_schema_name() -> None:
    with pytest.raises(ValueError, match="no schema named 'task'"):
        js.load_schema("task")


def test_schema_files_are_package_resources() -> None:
    folder = resources.files("farmhand.spec").joinpath("schemas")
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == [
        "jobspec.schema.json",
        "preset.schema.json",
    ]


def test_preset_schema_offers_every_jobspec_field() -> None:
    jobspec_fields = set(js.load_schema("jobspec")["properties"])
    preset_fields = set(js.load_schema("preset")["properties"])
    assert preset_fields == jobspec_fields | {"description"}
    assert "required" not in js.load_schema("preset")


# --------------------------------------------------------------------------- valid specs


def test_full_spec_is_valid() -> None:
    assert js.validate_jobspec(full_spec()) == []


def test_minimal_spec_is_valid() -> None:
    assert js.validate_jobspec(minimal_spec()) == []


def test_tiled_spec_is_valid() -> None:
    assert js.validate_jobspec(tiled_spec()) == []


def test_command_renderer_is_valid() -> None:
    spec = with_(
        minimal_spec(),
        "renderer",
        {
            "adapter": "command",
            "argv": ["render", "--frame", "{frame:04d}", "{scene}", "-o", "{output}", "{{x}}"],
            "outputs": ["{output}.{frame:04d}.png"],
        },
    )
    assert js.validate_jobspec(spec) == []


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("name", ..., "name: is required"),
        ("name", "", "name: must not be empty"),
        ("priority", 101, "priority: must be at most 100, not 101"),
        ("priority", -1, "priority: must be at least 0, not -1"),
        ("priority", "high", 'priority: must be a whole number, not a string'),
        ("priority", True, "priority: must be a whole number, not true or false"),
        ("hardware.ram_gb", -4, "hardware.ram_gb: must be at least 0, not -4"),
        ("hardware.gpus", 2, "hardware.gpus: unknown field"),
        ("hardware.tagz", [], "hardware.tagz: unknown field; did you mean tags?"),
        ("hardware.tags", ["a", "a"], 'hardware.tags: "a" is listed more than once'),
        ("bogus", 1, "bogus: unknown field"),
        ("frame", "1-3", "frame: unknown field; did you mean frames?"),
        ("spec_version", 3, "spec_version: must be one of 1, 2, not 3"),
        ("scene.blob.md5", "ABC", "scene.blob.md5: must be an MD5 digest: 32 lowercase hex digits"),
        ("scene.blob.xxh64", "123", "scene.blob.xxh64: must be an xxh64 digest: 16 lowercase hex "
                                    "digits"),
        ("scene.blob.size", -1, "scene.blob.size: must be at least 0, not -1"),
        ("scene.blob", ..., "scene.blob: is required"),
        ("scene.path", "shots/a.ma", "scene.path: 'shots/a.ma' is a relative path; the farm needs "
                                     "an absolute one"),
        ("scene.path", "C:/a/../b.ma", "scene.path: 'C:/a/../b.ma' contains '..'; paths on the "
                                       "farm may not climb"),
        ("software.cg_version", 2024, "software.cg_version: must be a string, not a whole number"),
        ("software.plugins", {"mtoa": 5}, "software.plugins.mtoa: must be a string, not a whole "
                                          "number"),
        ("software.accept", "newest", 'software.accept: must be one of "minimum", "exact", '
                                      'not "newest"'),
        ("software.accept", [], "software.accept: must not be empty"),
        ("renderer.adapter", "houdini", 'renderer.adapter: must be one of "maya", "blender", '
                                        '"command", not "houdini"'),
        ("renderer.engine", "CYCLES", "renderer.engine: unknown field"),  # a blender option on maya
        ("frames", "1-10,1-x", "frames: '1-x' is not a frame, a range a-b or a stepped range "
                               "a-b[s] / a-bxs (in '1-10,1-x')"),
        ("frames", "", "frames: must not be empty"),
        ("frames_per_task", 0, "frames_per_task: must be at least 1, not 0"),
        ("tiles_type", "strip", "tiles_type: requires tiles"),
        ("test_frames.custom", [999], "test_frames.custom[0]: frame 999 is not one of the job's "
                                      "frames (1-100[2],150,200-210)"),
        ("test_frames.first", "yes", "test_frames.first: must be true or false, not a string"),
        ("test_frames", {}, "stop_after_test: needs test_frames (first, middle, last or custom "
                            "frames)"),
        ("time_out", 0, "time_out: must be at least 1, not 0"),
        ("path_mapping", [{"from": "Y:/"}], "path_mapping[0].to: is required"),
        ("width", 0, "width: must be at least 1, not 0"),
        ("analysis", [], "analysis: must be an object, not a list"),
        ("manifest.2.server_path", "/Nas/tex/fur 毛发.tx",
         "manifest[2].server_path: must be /nas/tex/fur 毛发.tx for //nas/tex/fur 毛发.tx (C:/x is "
         "stored as /C/x)"),
        ("manifest.1.server_path", "Y:\\x", "manifest[1].server_path: must be an absolute path "
                                            "with forward slashes, e.g. /C/Project/a.ma"),
        ("manifest.1.md5", ..., "manifest[1].md5: is required"),
        ("manifest.0.md5", "f" * 32, "scene.blob: differs from manifest[0], which lists the same "
                                     "file"),
    ],
)  # fmt: skip
def test_one_problem_one_message(path: str, value: Any, message: str) -> None:
    assert js.validate_jobspec(with_(full_spec(), path, value)) == [message]


def test_tiles_and_frames_per_task_are_exclusive() -> None:
    spec = tiled_spec(frames_per_task=2)
    assert js.validate_jobspec(spec) == ["tiles: must not be combined with frames_per_task"]


def test_tiles_need_type_and_size() -> None:
    spec = minimal_spec()
    spec["tiles"] = 4
    assert js.validate_jobspec(spec) == [
        "tiles: requires height",
        "tiles: requires tiles_type",
        "tiles: requires width",
    ]


def test_tiles_must_fit_the_image() -> None:
    spec = tiled_spec(tiles=20, tiles_type="strip", height=10)
    assert js.validate_jobspec(spec) == ["tiles: 20 strips do not fit an image 10 pixels high"]


def test_tiles_bounds() -> None:
    assert js.validate_jobspec(tiled_spec(tiles=1)) == ["tiles: must be at least 2, not 1"]


def test_renderbus_name_gets_a_hint() -> None:
    spec = minimal_spec()
    spec["ram"] = "64"
    (message,) = js.validate_jobspec(spec)
    assert message == (
        "ram: unknown field (Renderbus's name; ours is hardware.ram_gb: convert with "
        "farmhand.spec.renderbus.normalize_renderbus)"
    )
    spec = minimal_spec()
    spec["task_info"] = {}
    assert js.validate_jobspec(spec) == [
        "task_info: unknown field (a Renderbus task.json: convert with "
        "farmhand.spec.renderbus.normalize_renderbus)"
    ]


def test_command_argv_placeholders_are_checked() -> None:
    spec = with_(
        minimal_spec(),
        "renderer",
        {"adapter": "command", "argv": ["r", "{fram}", "{", "{frame.real}"], "outputs": ["{x}"]},
    )
    messages = js.validate_jobspec(spec)
    assert messages[0].startswith("renderer.argv[1]: unknown placeholder {fram}; known: {end}")
    assert messages[1].startswith("renderer.argv[2]: Single '{' encountered")
    assert messages[2].startswith("renderer.argv[3]: unknown placeholder {frame.real}")
    assert messages[3].startswith("renderer.outputs[0]: unknown placeholder {x}")
    assert len(messages) == 4


def test_command_needs_argv() -> None:
    spec = with_(minimal_spec(), "renderer", {"adapter": "command", "argv": []})
    assert js.validate_jobspec(spec) == ["renderer.argv: must not be empty"]
    spec = with_(minimal_spec(), "renderer", {"adapter": "command"})
    assert js.validate_jobspec(spec) == ["renderer.argv: is required"]


def test_manifest_conflicting_duplicates() -> None:
    spec = full_spec()
    # c:/ and C:/ name the same server path, with different content: the farm cannot hold both.
    spec["manifest"].append(
        entry("y:/Render_Test/wolf/wolf_fur_v02.xgen", "/Y/Render_Test/wolf/wolf_fur_v02.xgen")
    )
    assert js.validate_jobspec(spec) == [
        "manifest[3]: /Y/Render_Test/wolf/wolf_fur_v02.xgen is also manifest[1], with different "
        "content"
    ]
    spec["manifest"][3]["md5"] = "0" * 32  # the same file listed twice is harmless
    assert js.validate_jobspec(spec) == []


def test_messages_are_sorted_with_numeric_indexes() -> None:
    spec = full_spec()
    spec["manifest"] = [entry(f"C:/f{i}", f"/C/f{i}") for i in range(12)]
    spec["manifest"][2]["size"] = -1
    spec["manifest"][10]["size"] = -1
    spec["priority"] = 500
    assert js.validate_jobspec(spec) == [
        "manifest[2].size: must be at least 0, not -1",
        "manifest[10].size: must be at least 0, not -1",
        "priority: must be at most 100, not 500",
    ]


def test_not_an_object() -> None:
    assert js.validate_jobspec(["name"]) == ["(job spec): must be an object, not a list"]


def test_many_problems_are_all_reported() -> None:
    messages = js.validate_jobspec({"name": 5, "priority": 1000, "frames": "1-"})
    assert messages == [
        "frames: '1-' is not a frame, a range a-b or a stepped range a-b[s] / a-bxs",
        "name: must be a string, not a whole number",
        "priority: must be at most 100, not 1000",
        "renderer: is required",
        "scene: is required",
        "software: is required",
    ]


@given(st.integers(-1000, 1000))
def test_priority_range(priority: int) -> None:
    messages = js.validate_jobspec(with_(minimal_spec(), "priority", priority))
    assert (messages == []) == (0 <= priority <= 100)


@given(st.text(max_size=30))
def test_any_frames_text_gives_a_frames_message_or_none(text: str) -> None:
    messages = js.validate_jobspec(with_(minimal_spec(), "frames", text))
    assert all(m.startswith("frames: ") for m in messages)
    try:
        js.parse_frames(text)
        valid = True
    except ValueError:
        valid = False
    assert (messages == []) == valid


# --------------------------------------------------------------------------- presets


def test_preset_valid() -> None:
    preset = {
        "name": "arnold-farm",
        "description": "Arnold, 64 GB, strips of 8",
        "tiles": 8,
        "tiles_type": "strip",
        "priority": 70,
        "hardware": {"ram_gb": 64},
        "software": {"cg_name": "Maya", "cg_version": "2024", "plugins": {"mtoa": "5.5.1"}},
        "path_mapping": [{"from": "Y:/", "to": "/mnt/projects/"}],
        "stop_after_test": True,  # its test frames may come from another layer
    }
    assert js.validate_preset(preset) == []
    assert js.validate_preset({}) == []


@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ({"tiles": 4, "frames_per_task": 2}, "tiles: must not be combined with frames_per_task"),
        ({"priority": 101}, "priority: must be at most 100, not 101"),
        ({"name": ""}, "name: must not be empty"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"frames": "1-x"}, "frames: '1-x' is not a frame, a range a-b or a stepped range a-b[s] "
                            "/ a-bxs"),
        ({"software": {"accept": ["2024", "2024"]}}, 'software.accept: "2024" is listed more '
                                                     "than once"),
        ({"frames": "1-10", "test_frames": {"custom": [11]}},
         "test_frames.custom[0]: frame 11 is not one of the job's frames (1-10)"),
    ],
)  # fmt: skip
def test_preset_errors(preset: dict, message: str) -> None:
    assert message in js.validate_preset(preset)


# --------------------------------------------------------------------------- server paths


@pytest.mark.parametrize(
    ("client", "server"),
    [
        ("C:/Project/a.ma", "/C/Project/a.ma"),
        ("C:\\Project\\a.ma", "/C/Project/a.ma"),
        ("c:/Project/a.ma", "/C/Project/a.ma"),  # drive letters are case-insensitive
        ("D:/a/b", "/D/a/b"),
        ("\\\\server\\share\\x", "/server/share/x"),  # UNC loses its first slash
        ("//server/share/x", "/server/share/x"),
        ("\\\\?\\C:\\long\\path.exr", "/C/long/path.exr"),
        ("\\\\?\\UNC\\server\\share\\x", "/server/share/x"),
        ("/mnt/proj/a.ma", "/mnt/proj/a.ma"),
        ("/C/Project/a.ma", "/C/Project/a.ma"),
        ("C:/a//b/./c/", "/C/a/b/c"),
        ("C:/", "/C"),
        ("C:/Program Files/Autodesk/Maya2022/config.ocio", "/C/Program Files/Autodesk/Maya2022/"
                                                           "config.ocio"),
        ("Y:/项目/贴图 01.png", "/Y/项目/贴图 01.png"),
        ("C:/a/...b/c..", "/C/a/...b/c.."),  # only '..' itself climbs
    ],
)  # fmt: skip
def test_server_path(client: str, server: str) -> None:
    assert js.server_path(client) == server


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ("C:/a/../b", r"contains '\.\.'"),
        ("..\\x", "relative path"),
        ("/mnt/../etc/passwd", r"contains '\.\.'"),
        ("a/b.ma", "relative path"),
        ("C:a.ma", "relative to a drive"),
        ("", "empty"),
        ("   ", "empty"),
        ("/", "names no file"),
        ("C:/a\0b", "NUL"),
    ],
)
def test_server_path_rejects(client: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        js.server_path(client)


path_parts = st.lists(
    st.text(st.characters(blacklist_characters="/\\\0"), min_size=1, max_size=8),
    min_size=1,
    max_size=6,
)


@given(st.sampled_from(["C:/", "z:\\", "//host/", "\\\\host\\", "/"]), path_parts)
def test_server_path_properties(root: str, parts: list[str]) -> None:
    client = root + "\\".join(parts) if "\\" in root else root + "/".join(parts)
    try:
        result = js.server_path(client)
    except ValueError:
        assert ".." in parts or (root == "/" and all(p == "." for p in parts))
        return
    assert result.startswith("/")
    assert "\\" not in result and "//" not in result
    assert ".." not in result.split("/")
    assert js.server_path(result) == result  # a server path maps to itself
    kept = [p for p in parts if p != "."]
    if kept:
        assert result.endswith("/" + "/".join(kept))
    else:  # only `.` after a drive or host: the root's own folder (`C:/.` → `/C`)
        assert result.count("/") == 1 and root != "/"


def test_server_path_does_not_need_jsonschema() -> None:
    code = (
        "import sys; sys.modules['jsonschema'] = None; sys.modules['referencing'] = None\n"
        "from farmhand.spec.jobspec import server_path; print(server_path('C:/a.ma'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "/C/a.ma"


def test_the_documented_example_is_valid() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "jobspec.md").read_text("utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    assert js.validate_jobspec(json.loads(example)) == []


# --------------------------------------------------------------------------- version 2


def v2_spec(**group: Any) -> dict[str, Any]:
    """A version 2 spec with one layer group (fields of `group` added to it)."""
    spec = {k: v for k, v in full_spec().items()
            if k not in ("frames", "layers", "cameras", "width", "height", "output_prefix",
                         "frames_per_task", "test_frames", "stop_after_test")}  # fmt: skip
    spec["spec_version"] = 2
    spec["renderer"] = {"adapter": "maya"}
    spec["layers"] = [{"name": "rs_fg", "frames": "1-10", "renderer": "arnold",
                       "output_prefix": "<RenderLayer>/<Scene>",
                       "outputs": [{"camera": "persp", "template": "fg/a.{frame:04d}.exr"}],
                       **group}]  # fmt: skip
    return spec


def test_a_version_2_spec_is_valid_without_top_level_frames() -> None:
    assert js.validate_jobspec(v2_spec()) == []


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ({"frames": "1-x"}, "layers[0].frames: '1-x' is not a frame"),
        ({"renderer": "mentalRay"}, "layers[0].renderer: 'mentalRay' is not a renderer"),
        ({"output_prefix": "G:/renders/<Scene>"}, "layers[0].output_prefix: must be relative"),
        ({"output_prefix": "../<Scene>"}, "layers[0].output_prefix: has an empty or '..'"),
        ({"outputs": [{"template": "../x.{frame}.exr"}]}, "layers[0].outputs[0].template: has"),
        ({"outputs": [{"template": "x.{scene}.exr"}]}, "only a {frame} field is allowed"),
        ({"pick_cameras": "yes"}, "layers[0].pick_cameras: must be"),
        ({"colour": 1}, "layers[0].colour: unknown field"),
    ],
)
def test_a_bad_layer_group_is_named(group: dict, message: str) -> None:
    problems = js.validate_jobspec(v2_spec(**group))
    assert any(message in p for p in problems), problems


def test_version_2_cross_checks() -> None:
    spec = v2_spec()
    spec["layers"].append({**spec["layers"][0], "frames": "20-30"})
    assert js.validate_jobspec(spec) == ["layers[1].name: 'rs_fg' is also layers[0]"]
    spec["layers"][1]["name"] = "rs_bg"
    spec["test_frames"] = {"custom": [25, 15]}
    assert js.validate_jobspec(spec) == [
        "test_frames.custom[1]: frame 15 is not one of the job's frames (any layer's frames)"
    ]
    blender = v2_spec()
    blender["renderer"] = {"adapter": "blender"}
    assert js.validate_jobspec(blender) == [
        'renderer.adapter: must be maya: layer groups are Maya render layers, not "blender"'
    ]
    assert js.validate_jobspec({**v2_spec(), "layers": []}) == ["layers: must not be empty"]


def test_a_key_with_a_unicode_digit_is_reported_not_raised() -> None:
    # "²" is a digit to `\d` and `str.isdigit`, but not to `int()` (issue 11, found by fuzzing).
    problems = js.validate_jobspec({"²": 1, "manifest": [{"path²": 1}]})
    assert problems and all(isinstance(p, str) for p in problems)


def test_a_tiled_version_2_layer_renders_one_camera() -> None:
    spec = v2_spec(cameras=["persp", "hero"], width=64, height=64)
    spec.update(tiles=4, tiles_type="block")
    assert js.validate_jobspec(spec) == [
        "layers[0].cameras: a tiled job renders one camera per layer, this layer has 2 "
        "(persp, hero): pick one"
    ]
    spec["layers"][0]["cameras"] = ["hero"]
    assert js.validate_jobspec(spec) == []


@pytest.mark.parametrize("prefix", ["G:/show/renders/<Scene>", "/mnt/renders/x", "a/../../b"])
def test_a_version_1_prefix_outside_the_output_folder_is_refused_at_submit(prefix: str) -> None:
    problems = js.validate_jobspec({**full_spec(), "output_prefix": prefix})
    assert len(problems) == 1 and problems[0].startswith("output_prefix: ")
    assert "the worker writes under it" in problems[0]


def test_a_blender_prefix_relative_to_the_blend_is_accepted() -> None:
    spec = {**full_spec(), "renderer": {"adapter": "blender"}, "output_prefix": "//beauty/x_####"}
    assert js.validate_jobspec(spec) == []
