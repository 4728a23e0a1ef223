"""Maya tiles end to end on the node: adapter argv → stand-in Render → the worker's reading
of what came out → assembly, per renderer and format, against the stand-in's full frame.

The stand-in (`standin/Render`) follows the renderer table
(`farmhand_worker/adapters/maya_renderers.py`) in its own process: Arnold's `-reg` rows
count from the top and its PNG tiles are cropped, its EXR tiles are full size with the
region as data window; Maya Software counts from the bottom and writes full images. Its
picture is a pattern of the pixel's position, so a tile in the wrong place changes the
assembled frame.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from farmhand.spec.tiles import tile_rects
from farmhand_worker.adapters import maya, maya_renderers
from farmhand_worker.adapters.base import RenderCommand, RenderTask, TileJob
from farmhand_worker.outputs import results
from farmhand_worker.outputs.assemble import AssemblyError, TileImage, assemble
from farmhand_worker.outputs.images import read_image, read_info

STANDIN = Path(__file__).parent / "standin" / "Render"
WIDTH, HEIGHT = 41, 29  # odd sides: the tiles differ in size


def _scene(root: Path) -> Path:
    scene = root / "shot.ma"
    scene.parent.mkdir(parents=True, exist_ok=True)
    scene.write_text('//Maya ASCII 2025 scene\nselect -ne :defaultRenderGlobals;\n'
                     '\tsetAttr ".an" yes;\n\tsetAttr ".pff" yes;\n\tsetAttr ".ep" 4;\n',
                     encoding="utf-8")  # fmt: skip
    return scene


def _task(tmp_path: Path, name: str, renderer: str, fmt: str, tile=None) -> RenderTask:
    root = tmp_path / "root"
    task = RenderTask(
        job_id=1, task_id=2, attempt_id=3, kind="tile" if tile else "chunk", frames=[5],
        scene=_scene(root), job_root=root, output_dir=tmp_path / name, work_dir=tmp_path / "work",
        spec={"renderer": {"adapter": "maya", "name": renderer, "image_format": fmt},
              "width": WIDTH, "height": HEIGHT},
        executable=str(STANDIN),
    )  # fmt: skip
    if tile is not None:
        task.tile = TileJob(tile, 4, WIDTH, HEIGHT)
    return task


def _run(command: RenderCommand) -> None:
    command.cwd.mkdir(parents=True, exist_ok=True)
    for argv in [command.argv, *command.then]:
        done = subprocess.run(argv, cwd=command.cwd, env={**os.environ, **command.env},
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def _render_tiles(tmp_path: Path, renderer: str, fmt: str) -> list[TileImage]:
    """Each tile of a 2x2 grid rendered and read back as the worker does (results.describe)."""
    images = []
    for tile in tile_rects(WIDTH, HEIGHT, 4, "block"):
        task = _task(tmp_path, f"tile{tile.index}", renderer, fmt, tile)
        command = maya.ADAPTER.build(task)
        _run(command)
        files = results.check_expected(task.output_dir, command.expected, task.frames)
        (produced,) = results.describe(task.output_dir, files, "tile", task.frames,
                                       command.tile_mode, command.tile_modes)  # fmt: skip
        images.append(TileImage(produced.path, tile, produced.tile_mode))
    return images


def _full_frame(tmp_path: Path, renderer: str, fmt: str) -> Path:
    task = _task(tmp_path, "full", renderer, fmt)
    _run(maya.ADAPTER.build(task))
    (image,) = task.output_dir.iterdir()
    return image


CASES = [("arnold", "png"), ("arnold", "exr"), ("sw", "png"), ("sw", "exr")]


@pytest.mark.parametrize(("renderer", "fmt"), CASES)
def test_a_2x2_tile_job_assembles_to_the_full_frame(tmp_path: Path, renderer: str, fmt: str):
    tiles = _render_tiles(tmp_path, renderer, fmt)
    rule = maya_renderers.RENDERERS[renderer].region
    for item in tiles:  # each tile is written as the table says
        info = read_info(item.path)
        expected = rule.tile_mode(fmt)
        assert item.mode == expected
        if expected == "cropped":
            assert (info.width, info.height) == (item.tile.width, item.tile.height)
        else:
            assert info.display_size == (WIDTH, HEIGHT)
    frame = assemble(tiles, WIDTH, HEIGHT, tmp_path / f"frame.{fmt}")
    full = read_image(_full_frame(tmp_path, renderer, fmt))
    got = read_image(frame)
    assert set(got.channels) == set(full.channels) and len(full.channels) >= 3
    for name, pixels in full.channels.items():
        assert pixels.shape == (HEIGHT, WIDTH)
        np.testing.assert_array_equal(got.channels[name], pixels, err_msg=name)


def test_arnold_tiles_sent_with_softwares_rows_come_out_flipped(tmp_path, monkeypatch):
    """The assembled frame catches an origin mix-up: the adapter counting Arnold's rows from
    the bottom (as it did before) while Arnold counts from the top."""
    wrong = dataclasses.replace(maya_renderers.RENDERERS["arnold"].region,
                                origin=maya_renderers.BOTTOM_LEFT)  # fmt: skip
    arnold = dataclasses.replace(maya_renderers.RENDERERS["arnold"], region=wrong)
    monkeypatch.setitem(maya.RENDERERS, "arnold", arnold)
    tiles = _render_tiles(tmp_path, "arnold", "png")
    frame = read_image(assemble(tiles, WIDTH, HEIGHT, tmp_path / "frame.png"))
    full = read_image(_full_frame(tmp_path, "arnold", "png"))
    assert not np.array_equal(frame.channels["R"], full.channels["R"])
    # An EXR tile's data window shows the mix-up before any pixel is read.
    exr_tiles = _render_tiles(tmp_path / "exr", "arnold", "exr")
    with pytest.raises(AssemblyError, match="do not hold the tile's rectangle"):
        assemble(exr_tiles, WIDTH, HEIGHT, tmp_path / "frame.exr")


def test_cropped_arnold_tiles_read_as_full_frames_fail_to_assemble(tmp_path, monkeypatch):
    """Expecting full frames from Arnold's PNG tiles (as the adapter did before) fails."""
    wrong = dataclasses.replace(maya_renderers.RENDERERS["arnold"].region, written={})
    arnold = dataclasses.replace(maya_renderers.RENDERERS["arnold"], region=wrong)
    monkeypatch.setitem(maya.RENDERERS, "arnold", arnold)
    tiles = _render_tiles(tmp_path, "arnold", "png")
    assert {t.mode for t in tiles} == {"full"}
    with pytest.raises(AssemblyError, match="the full tile is 21x15, the frame 41x29"):
        assemble(tiles, WIDTH, HEIGHT, tmp_path / "frame.png")
