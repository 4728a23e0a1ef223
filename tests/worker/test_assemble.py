"""Tile assembly: random frames cut into tiles, assembled back, compared bit for bit."""

from __future__ import annotations

import dataclasses
import tracemalloc
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from farmhand.spec.tiles import Tile, tile_rects
from farmhand_worker.outputs.assemble import AssemblyError, TileImage, assemble, check_cover
from farmhand_worker.outputs.images import EXR, PNG, Image, ImageError, read_image, write_image
from image_samples import assert_same_pixels, cut, random_image

WIDTH, HEIGHT = 67, 41  # odd sizes: the first bands and columns are a pixel larger


@pytest.mark.parametrize("mode", ["cropped", "full"])
@pytest.mark.parametrize(("kind", "count"), [("strip", 5), ("block", 7), ("block", 4)])
@pytest.mark.parametrize("compression", [OpenEXR.ZIP_COMPRESSION, OpenEXR.PIZ_COMPRESSION])
def test_exr_tiles_assemble_into_the_original(
    tmp_path: Path, mode: str, kind: str, count: int, compression
) -> None:
    attributes = {"compression": compression, "Camera": "shotCam"}
    original = random_image(WIDTH, HEIGHT, seed=count, attributes=attributes)
    tiles = cut(original, tile_rects(WIDTH, HEIGHT, count, kind), mode, tmp_path / "tiles", "exr")

    dest = assemble(tiles, WIDTH, HEIGHT, tmp_path / "frame.exr")

    frame = read_image(dest)
    assert dest == tmp_path / "frame.exr"
    assert_same_pixels(frame, original)
    assert frame.attributes["compression"] == compression
    assert frame.attributes["Camera"] == "shotCam"
    assert (frame.origin, frame.display_size) == ((0, 0), (WIDTH, HEIGHT))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.exr", "tiles"]


@pytest.mark.parametrize("mode", ["cropped", "full"])
@pytest.mark.parametrize(
    ("names", "dtype"), [("RGB", np.uint8), ("RGBA", np.uint16), ("Y", np.uint16)]
)
def test_png_tiles_assemble_into_the_original(tmp_path: Path, mode: str, names: str, dtype) -> None:
    original = random_image(WIDTH, HEIGHT, dict.fromkeys(names, dtype), fmt=PNG, seed=8)
    tiles = cut(original, tile_rects(WIDTH, HEIGHT, 6, "block"), mode, tmp_path / "tiles", "png")

    frame = read_image(assemble(tiles, WIDTH, HEIGHT, tmp_path / "frame.png", fmt=PNG))

    assert frame.format == PNG
    assert_same_pixels(frame, original)


def test_tiles_in_any_order_and_a_single_tile(tmp_path: Path) -> None:
    original = random_image(WIDTH, HEIGHT, seed=3)
    tiles = cut(original, tile_rects(WIDTH, HEIGHT, 9, "block"), "cropped", tmp_path / "t", "exr")
    single = cut(original, tile_rects(WIDTH, HEIGHT, 1, "strip"), "full", tmp_path / "one", "exr")

    shuffled = assemble(tiles[::-1], WIDTH, HEIGHT, tmp_path / "shuffled.exr", workers=4)
    whole = assemble(single, WIDTH, HEIGHT, tmp_path / "single.exr", workers=1)

    assert_same_pixels(read_image(shuffled), original)
    assert_same_pixels(read_image(whole), original)


def test_full_tiles_whose_data_window_is_just_the_region(tmp_path: Path) -> None:
    """What some renderers write for a region: the frame's display window, the tile's pixels."""
    original = random_image(WIDTH, HEIGHT, {"R": np.float16, "Z": np.float32}, seed=6)
    display = (np.array([0, 0], np.int32), np.array([WIDTH - 1, HEIGHT - 1], np.int32))
    tiles = []
    for tile in tile_rects(WIDTH, HEIGHT, 4, "block"):
        window = (
            np.array([tile.x, tile.y], np.int32),
            np.array([tile.right - 1, tile.bottom - 1], np.int32),
        )
        planes = {
            n: np.ascontiguousarray(a[tile.y : tile.bottom, tile.x : tile.right])
            for n, a in original.channels.items()
        }
        attributes = {"dataWindow": window, "displayWindow": display}
        path = write_image(Image(planes, EXR, attributes), tmp_path / f"region_{tile.index}.exr")
        tiles.append(TileImage(path, tile, "full"))

    frame = read_image(assemble(tiles, WIDTH, HEIGHT, tmp_path / "frame.exr"))

    assert_same_pixels(frame, original)


def test_cropped_tiles_hold_few_tiles_in_memory_at_once(tmp_path: Path) -> None:
    width, height = 512, 256
    original = random_image(width, height, dict.fromkeys("RGBA", np.float32), seed=1)
    rects = tile_rects(width, height, 32, "block")
    tiles = cut(original, rects, "cropped", tmp_path / "tiles", "exr")
    frame_bytes = sum(a.nbytes for a in original.channels.values())
    tile_bytes = frame_bytes // len(rects)
    del original

    tracemalloc.start()
    try:
        assemble(tiles, width, height, tmp_path / "frame.exr", workers=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # the frame, plus a handful of tiles in flight: far from all 32 tiles at once
    assert peak < frame_bytes + 8 * tile_bytes, (peak, frame_bytes, tile_bytes)


# ----------------------------------------------------------------------------- errors


@pytest.fixture
def block_tiles(tmp_path: Path) -> tuple[Image, list[TileImage]]:
    """A random EXR frame and its 4 cropped block tiles."""
    original = random_image(WIDTH, HEIGHT, seed=11)
    rects = tile_rects(WIDTH, HEIGHT, 4, "block")
    return original, cut(original, rects, "cropped", tmp_path / "tiles", "exr")


def _assemble_fails(tiles: list[TileImage], tmp_path: Path, match: str, **kwargs) -> None:
    dest = tmp_path / "frame.exr"
    with pytest.raises(AssemblyError, match=match):
        assemble(tiles, WIDTH, HEIGHT, dest, **kwargs)
    assert not dest.exists()
    assert not list(tmp_path.glob(".*partial"))


def test_a_missing_tile_file(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    tiles[2].path.unlink()

    _assemble_fails(tiles, tmp_path, r"tile 2 \(.*tile_002\.exr\): the tile's image is missing")


def test_a_cropped_tile_of_the_wrong_size(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    small = random_image(tiles[1].tile.width - 1, tiles[1].tile.height)
    write_image(small, tiles[1].path)

    _assemble_fails(
        tiles,
        tmp_path,
        rf"tile 1 \(.*tile_001\.exr\): the cropped tile is {tiles[1].tile.width - 1}x"
        rf"{tiles[1].tile.height}, its rectangle {tiles[1].tile.width}x{tiles[1].tile.height}",
    )


def test_a_full_tile_that_is_not_the_frame_size(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    tiles[3] = dataclasses.replace(tiles[3], mode="full")  # really a cropped, tile-sized file

    _assemble_fails(
        tiles,
        tmp_path,
        rf"tile 3 \(.*\): the full tile is {tiles[3].tile.width}x{tiles[3].tile.height}, "
        rf"the frame {WIDTH}x{HEIGHT}",
    )


def test_a_full_tile_whose_pixels_miss_the_region(tmp_path: Path) -> None:
    display = (np.array([0, 0], np.int32), np.array([WIDTH - 1, HEIGHT - 1], np.int32))
    window = (np.array([0, 0], np.int32), np.array([9, 9], np.int32))
    image = random_image(10, 10, attributes={"dataWindow": window, "displayWindow": display})
    path = write_image(image, tmp_path / "corner.exr")
    tile = Tile(0, 0, 0, WIDTH, HEIGHT)

    _assemble_fails(
        [TileImage(path, tile, "full")],
        tmp_path,
        rf"tile 0 \(.*corner\.exr\): the image's pixels \(x 0\.\.9, y 0\.\.9\) do not hold "
        rf"the tile's rectangle x 0\.\.{WIDTH - 1}, y 0\.\.{HEIGHT - 1}",
    )


def test_tiles_that_leave_a_gap(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    gone = tiles.pop(1).tile

    _assemble_fails(
        tiles,
        tmp_path,
        rf"the tiles leave {gone.width * gone.height} of the frame's {WIDTH}x{HEIGHT} pixels "
        rf"uncovered, within x {gone.x}\.\.{gone.right - 1}, y {gone.y}\.\.{gone.bottom - 1}",
    )


def test_tiles_that_overlap(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    t = tiles[1].tile
    tiles[1] = dataclasses.replace(tiles[1], tile=dataclasses.replace(t, x=t.x - 1))

    _assemble_fails(tiles, tmp_path, r"tile 0 \(x 0\.\.\d+, y 0\.\.\d+\) overlaps tile 1 \(x ")


def test_tiles_outside_the_frame_twice_or_empty(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    t = tiles[3].tile
    outside = [*tiles[:3], dataclasses.replace(tiles[3], tile=dataclasses.replace(t, x=t.x + 1))]
    twice = [*tiles, dataclasses.replace(tiles[0], tile=dataclasses.replace(t, index=0))]

    _assemble_fails(outside, tmp_path, rf"tile 3 \(.*\) reaches outside the {WIDTH}x{HEIGHT} frame")
    _assemble_fails(twice, tmp_path, r"tile 0 appears twice")
    with pytest.raises(AssemblyError, match=r"tile 5 is empty \(0x3\)"):
        check_cover([Tile(5, 0, 0, 0, 3)], 4, 3)


def test_tiles_with_differing_channels(block_tiles, tmp_path: Path) -> None:
    original, tiles = block_tiles
    rect = tiles[2].tile
    fewer = {n: a for n, a in original.channels.items() if n != "Z"}
    more = dict(original.channels, N=original.channels["Z"])

    for planes, problem in [(fewer, "it lacks Z"), (more, "it has N too")]:
        crop = {
            n: np.ascontiguousarray(a[rect.y : rect.bottom, rect.x : rect.right])
            for n, a in planes.items()
        }
        write_image(Image(crop, EXR), tiles[2].path)
        _assemble_fails(
            tiles,
            tmp_path,
            rf"tile 2 \(.*tile_002\.exr\): the tile's channels differ from "
            rf"tile 0 \(.*\)'s: {problem}",
        )


def test_tiles_with_a_differing_pixel_type(block_tiles, tmp_path: Path) -> None:
    original, tiles = block_tiles
    rect = tiles[3].tile
    crop = {
        n: np.ascontiguousarray(a[rect.y : rect.bottom, rect.x : rect.right])
        for n, a in original.channels.items()
    }
    crop["Z"] = np.zeros(crop["Z"].shape, np.float16)
    write_image(Image(crop, EXR), tiles[3].path)

    _assemble_fails(
        tiles,
        tmp_path,
        r"tile 3 \(.*tile_003\.exr\): channel Z is float16, in tile 0 \(.*\) float32",
    )


def test_a_png_among_exr_tiles_and_a_format_the_tiles_are_not(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    rect = tiles[1].tile
    png = random_image(rect.width, rect.height, dict.fromkeys("RGB", np.uint8), fmt=PNG)
    mixed = [*tiles]
    mixed[1] = TileImage(write_image(png, tmp_path / "odd.png"), rect, "cropped")

    _assemble_fails(
        mixed, tmp_path, r"tile 1 \(.*odd\.png\): the tile is PNG, tile 0 \(.*\) is EXR"
    )
    _assemble_fails(tiles, tmp_path, r"the tiles are EXR, not PNG", fmt=PNG)
    _assemble_fails(tiles, tmp_path, r"cannot write a frame as 'tiff'", fmt="tiff")


def test_a_tile_with_a_bad_mode(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    tiles[0] = dataclasses.replace(tiles[0], mode="border")

    _assemble_fails(
        tiles, tmp_path, r"tile 0 \(.*\): tile mode must be full or cropped, not 'border'"
    )


def test_a_tile_whose_pixels_are_damaged(tmp_path: Path) -> None:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    smooth = Image({"R": (x * y / (WIDTH * HEIGHT)).astype(np.float16)}, EXR)
    # smooth pixels, so the chunks are compressed and the damage shows (see test_images)
    tiles = [
        TileImage(write_image(smooth, tmp_path / f"tile_{t.index:03d}.exr"), t, "full")
        for t in tile_rects(WIDTH, HEIGHT, 2, "strip")
    ]
    data = bytearray(tiles[1].path.read_bytes())
    data[-200:-192] = b"\xff" * 8
    tiles[1].path.write_bytes(bytes(data))

    _assemble_fails(
        tiles, tmp_path, r"tile 1: .*tile_001\.exr: the EXR file is truncated or damaged"
    )


def test_a_tile_that_is_not_an_image(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    tiles[2].path.write_text("Render failed\n")

    _assemble_fails(tiles, tmp_path, r"tile 2: .*tile_002\.exr: not an EXR or PNG file")


def test_no_tiles_or_no_frame(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="no tiles to assemble"):
        assemble([], WIDTH, HEIGHT, tmp_path / "f.exr")
    with pytest.raises(AssemblyError, match="frame size must be positive, not 0x5"):
        assemble([], 0, 5, tmp_path / "f.exr")


def test_an_unwritable_destination_leaves_nothing(block_tiles, tmp_path: Path) -> None:
    _, tiles = block_tiles
    dest = tmp_path / "missing" / "frame.exr"

    with pytest.raises(ImageError, match=r"missing/\.frame\.exr\.partial: cannot write"):
        assemble(tiles, WIDTH, HEIGHT, dest)
    assert not dest.parent.exists()
