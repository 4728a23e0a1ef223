"""Version 2 Maya jobs on the node: one `Render` per layer group, as that layer renders.

The spec comes from the real analysis of `tests/scenes/layers_and_cameras.ma`
(three Render Setup layers: the master on Arnold 1-2, `fg` with its end frame
overridden to 4, `bg` with its width and renderer overridden to Maya
Software; cameras persp and hero renderable), through `build_spec`, the same
code `farmhand submit` runs; the argv goes to the stand-in `Render`
(`standin/Render`), which names files from the argv and the scene's text.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from farmhand.scene import analyze
from farmhand.scene.renderers import RENDER_FLAG
from farmhand.spec.jobspec import validate_jobspec
from farmhand.spec.plan import plan_job
from farmhand.submit.pipeline import Choices, build_spec
from farmhand_worker.adapters import maya
from farmhand_worker.adapters.base import AdapterError, RenderTask

STANDIN = Path(__file__).parent / "standin" / "Render"
SCENE = Path(__file__).parents[1] / "scenes" / "layers_and_cameras.ma"
BLOB = {"md5": "0" * 32, "xxh64": "0" * 16, "size": 1}


def spec_for(choices: Choices | None = None, scene: Path = SCENE) -> dict[str, Any]:
    spec = build_spec(analyze(scene), [], BLOB, choices or Choices())
    assert validate_jobspec(spec) == []
    return spec


def task_for(tmp_path: Path, spec: dict, layer: int, frames: list[int]) -> RenderTask:
    scene = tmp_path / "root" / SCENE.name
    if not scene.exists():
        scene.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCENE, scene)
    return RenderTask(
        job_id=1, task_id=2, attempt_id=3, kind="chunk", frames=frames, scene=scene,
        job_root=scene.parent, output_dir=tmp_path / f"out{layer}", work_dir=tmp_path / "work",
        spec=spec, executable=str(STANDIN), layer=layer,
    )  # fmt: skip


def run_all(argvs: list[list[str]]) -> None:
    for argv in argvs:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def written(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_job_has_one_group_per_layer_with_its_own_settings() -> None:
    spec = spec_for()
    assert spec["spec_version"] == 2
    groups = {g["display_name"]: g for g in spec["layers"]}
    assert {n: (g["renderer"], g["frames"], g["width"]) for n, g in groups.items()} == {
        "masterLayer": ("arnold", "1-2[1]", 64),
        "fg": ("arnold", "1-4[1]", 64),
        "bg": ("mayaSoftware", "1-2[1]", 80),
    }
    plan = plan_job(spec)
    per_layer = {g.display_name: [t.frames for t in plan.tasks if t.layer == g.index]
                 for g in plan.groups}  # fmt: skip
    # Each layer renders its own frames: not 1-4 for all three.
    assert per_layer == {"masterLayer": [[1], [2]], "fg": [[1], [2], [3], [4]], "bg": [[1], [2]]}


def test_each_group_is_its_own_render_call(tmp_path: Path) -> None:
    spec = spec_for()
    bg = next(i for i, g in enumerate(spec["layers"]) if g["display_name"] == "bg")
    task = task_for(tmp_path, spec, bg, [1, 2])
    command = maya.ADAPTER.build(task)
    argv = command.argv
    assert argv[argv.index("-r") + 1] == "sw"  # the layer's renderer, not the scene's arnold
    assert argv[argv.index("-rl") + 1] == "rs_bg"
    assert (argv[argv.index("-x") + 1], argv[argv.index("-y") + 1]) == ("80", "36")
    assert argv[argv.index("-im") + 1] == "<RenderLayer>/<Camera>/<Scene>"
    assert "-cam" not in argv  # every renderable camera in one call
    assert not any(a.startswith("-ai:") for a in argv)
    expected = [p.relative_to(task.output_dir).as_posix() for p in command.expected]
    assert sorted(expected) == [
        "bg/hero/layers_and_cameras.001.png", "bg/hero/layers_and_cameras.002.png",
        "bg/persp/layers_and_cameras.001.png", "bg/persp/layers_and_cameras.002.png",
    ]  # fmt: skip


def test_the_standin_writes_exactly_the_expected_files(tmp_path: Path) -> None:
    spec = spec_for()
    for index, group in enumerate(spec["layers"]):
        frames = [1, 2, 3] if group["display_name"] == "fg" else [2]
        task = task_for(tmp_path, spec, index, frames)
        command = maya.ADAPTER.build(task)
        run_all([command.argv, *command.then])
        wanted = sorted(p.relative_to(task.output_dir).as_posix() for p in command.expected)
        assert written(task.output_dir) == wanted, group["display_name"]


def test_a_camera_pick_renders_each_camera_with_cam(tmp_path: Path) -> None:
    spec = spec_for(Choices(layer_cameras={"rs_fg": ["hero"]}))
    fg = next(i for i, g in enumerate(spec["layers"]) if g["name"] == "rs_fg")
    assert spec["layers"][fg]["pick_cameras"] is True
    task = task_for(tmp_path, spec, fg, [1])
    command = maya.ADAPTER.build(task)
    assert command.then == [] and command.argv[command.argv.index("-cam") + 1] == "hero"
    run_all([command.argv])
    # The folder stays: the layer has two renderable cameras, so names do not change.
    assert written(task.output_dir) == ["fg/hero/layers_and_cameras.001.png"]
    others = [g for g in spec["layers"] if g["name"] != "rs_fg"]
    assert all("pick_cameras" not in g for g in others)


def test_cameras_for_every_layer_and_two_picks_make_two_runs(tmp_path: Path) -> None:
    spec = spec_for(Choices(cameras=["persp", "heroShape"]))
    # Both renderable cameras picked: the same as no pick (one call, no -cam).
    assert all("pick_cameras" not in g for g in spec["layers"])
    spec = spec_for(Choices(cameras=["top", "persp"]))
    task = task_for(tmp_path, spec, 0, [1])
    command = maya.ADAPTER.build(task)
    cams = [argv[argv.index("-cam") + 1] for argv in [command.argv, *command.then]]
    assert cams == ["top", "persp"]


def test_a_still_renders_without_a_frame_range(tmp_path: Path) -> None:
    still = tmp_path / "still.ma"
    text = SCENE.read_text(encoding="utf-8").replace('\tsetAttr ".an" yes;\n', "")
    still.write_text(text.replace("//Name: layers_and_cameras.ma", "//Name: still.ma"), "utf-8")
    spec = spec_for(scene=still)
    master = spec["layers"][0]
    assert master["animation"] is False and master["frames"] == "1"
    command = maya.ADAPTER.build(task_for(tmp_path, spec, 0, [1]))
    assert "-s" not in command.argv and "-e" not in command.argv
    names = [p.name for p in command.expected]
    assert names == ["still.png", "still.png"]  # persp and hero, no frame number
    # A frame override turns animation on: -s/-e are passed and the names are numbered.
    spec = spec_for(Choices(frames="5"), scene=still)
    command = maya.ADAPTER.build(task_for(tmp_path, spec, 0, [5]))
    assert command.argv[command.argv.index("-s") + 1] == "5"
    assert [p.name for p in command.expected] == ["still.005.png", "still.005.png"]


def test_a_resolution_override_applies_to_every_layer() -> None:
    spec = spec_for(Choices(resolution=(320, 180)))
    assert {(g["width"], g["height"]) for g in spec["layers"]} == {(320, 180)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"renderer": "mentalRay"}, "not one the maya adapter drives"),
        ({"outputs": [{"template": "../../x.png"}]}, "inside the output"),
        ({"output_prefix": "G:/renders/<Scene>"}, "relative"),
        ({"name": "rs_fg;evil"}, "not a Maya node name"),
        ({"cameras": ["-rd"], "pick_cameras": True}, "not a Maya node name"),
    ],
)
def test_the_node_refuses_a_bad_group(tmp_path: Path, change: dict, message: str) -> None:
    spec = spec_for()
    spec["layers"][0].update(change)
    with pytest.raises(AdapterError, match=message):
        maya.ADAPTER.build(task_for(tmp_path, spec, 0, [1]))


def test_a_task_of_a_group_the_job_lacks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="no layer group 9"):
        maya.ADAPTER.build(task_for(tmp_path, spec_for(), 9, [1]))


def test_every_renderer_the_analysis_accepts_is_one_the_adapter_drives() -> None:
    for name, flag in RENDER_FLAG.items():
        assert maya.ALIASES.get(name, name) in maya.RENDERERS, name
        assert flag in maya.RENDERERS, flag


@pytest.mark.parametrize("setting", [True, False])
def test_the_artists_light_setting_reaches_the_node(tmp_path: Path, setting: bool) -> None:
    """Read live (a file does not hold it), carried by the spec, set in the render's env."""
    analysis = analyze(SCENE)
    assert analysis.render_setup_include_all_lights is None  # offline: the node's own
    assert "include_all_lights" not in spec_for()["renderer"]
    analysis.render_setup_include_all_lights = setting
    spec = build_spec(analysis, [], BLOB, Choices())
    assert validate_jobspec(spec) == [] and spec["renderer"]["include_all_lights"] is setting
    env = maya.ADAPTER.build(task_for(tmp_path, spec, 0, [1])).env
    assert env["MAYA_RENDER_SETUP_INCLUDE_ALL_LIGHTS"] == ("1" if setting else "0")
