"""The three `Render` command lines written out in docs/worker-adapters.md are the adapter's.

Each case is a block under `<!-- argv: NAME -->` in the doc, one argv per line as a shell
would read it (`shlex`); the test builds the same task and compares argv for argv.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from farmhand.spec.tiles import tile_rects
from farmhand_worker.adapters import maya
from farmhand_worker.adapters.base import RenderTask, TileJob

DOC = Path(__file__).parents[2] / "docs" / "worker-adapters.md"
JOB = Path("/farm/jobs/7")


def _task(layer: dict[str, Any], frames: list[int], **renderer: Any) -> RenderTask:
    spec = {"spec_version": 2, "renderer": {"adapter": "maya", **renderer}, "layers": [layer]}
    return RenderTask(
        job_id=7, task_id=31, attempt_id=40, kind="chunk", frames=frames,
        scene=JOB / "C/Project/scenes/shot.ma", job_root=JOB,
        output_dir=Path("/farm/attempts/40/out"), work_dir=Path("/farm/attempts/40/work"),
        spec=spec, executable="Render", project_dir=JOB / "C/Project",
        path_map={"C:/": f"{JOB}/C/"}, layer=0,
    )  # fmt: skip


def render_setup_layer_all_cameras() -> RenderTask:
    """A Render Setup layer (`rs_fg`) on Arnold, every renderable camera in one run."""
    layer = {"name": "rs_fg", "display_name": "fg", "renderer": "arnold", "frames": "1-4",
             "width": 1920, "height": 1080, "cameras": ["persp", "hero"],
             "output_prefix": "<RenderLayer>/<Camera>/<Scene>"}  # fmt: skip
    return _task(layer, [1, 2], include_all_lights=True)


def arnold_tile() -> RenderTask:
    """Tile 3 (bottom-right) of a 2x2 grid of a 1920x1080 Arnold frame, EXR."""
    layer = {"name": "defaultRenderLayer", "display_name": "masterLayer", "renderer": "arnold",
             "frames": "5", "width": 1920, "height": 1080, "cameras": ["shotCam"],
             "output_prefix": "<Scene>"}  # fmt: skip
    task = _task(layer, [5], image_format="exr")
    task.kind = "tile"
    task.tile = TileJob(tile_rects(1920, 1080, 4, "block")[3], 4, 1920, 1080)
    return task


def legacy_software_frames_1_3_and_7() -> RenderTask:
    """A legacy render layer on Maya Software, one task of frames 1-3 and 7."""
    layer = {"name": "beauty", "display_name": "beauty", "renderer": "mayaSoftware",
             "frames": "1-3,7", "width": 960, "height": 540, "cameras": ["persp"],
             "output_prefix": "<RenderLayer>/<Scene>"}  # fmt: skip
    return _task(layer, [1, 2, 3, 7])


CASES = {
    "render-setup-layer-all-cameras": render_setup_layer_all_cameras,
    "arnold-tile": arnold_tile,
    "legacy-software-1-3-and-7": legacy_software_frames_1_3_and_7,
}


def documented(name: str) -> list[list[str]]:
    """The argvs the doc writes for a case: the fenced block after its marker."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- argv: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert match, f"docs/worker-adapters.md has no argv block for {name}"
    return [shlex.split(line) for line in match[1].splitlines() if line.strip()]


@pytest.mark.parametrize("name", CASES)
def test_the_documented_argv_is_the_adapters(name: str) -> None:
    command = maya.ADAPTER.build(CASES[name]())
    assert documented(name) == [command.argv, *command.then]


def test_the_documented_cases_say_what_matters() -> None:
    tile = maya.ADAPTER.build(arnold_tile())
    assert tile.argv[tile.argv.index("-reg") + 1 :][:4] == ["960", "1919", "540", "1079"]
    assert tile.tile_modes["exr"] == "full" and tile.tile_modes["png"] == "cropped"
    legacy = maya.ADAPTER.build(legacy_software_frames_1_3_and_7())
    assert len(legacy.then) == 1 and "-amt" in legacy.argv
    layer = maya.ADAPTER.build(render_setup_layer_all_cameras())
    assert "-cam" not in layer.argv and layer.env["MAYA_RENDER_SETUP_INCLUDE_ALL_LIGHTS"] == "1"


if __name__ == "__main__":  # prints the blocks for the doc
    for case, make in CASES.items():
        built = maya.ADAPTER.build(make())
        print(f"<!-- argv: {case} -->\n```")
        print("\n".join(shlex.join(a) for a in [built.argv, *built.then]))
        print("```")
