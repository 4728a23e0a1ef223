"""Tiles: exact cover without overlap, the block grid rule, Maya -reg and Blender borders."""

from __future__ import annotations

import pytest
from farmhand.spec import tiles as tl
from farmhand.spec.tiles import Tile
from hypothesis import given
from hypothesis import strategies as st

sizes = st.integers(min_value=1, max_value=64)
kinds = st.sampled_from(["strip", "block"])


def _painted(width: int, height: int, tiles: list[Tile]) -> list[list[int]]:
    """How many tiles cover each pixel."""
    grid = [[0] * width for _ in range(height)]
    for tile in tiles:
        for y in range(tile.y, tile.bottom):
            for x in range(tile.x, tile.right):
                grid[y][x] += 1
    return grid


# --------------------------------------------------------------------------- cutting


def test_strip_of_full_hd() -> None:
    assert tl.tile_rects(1920, 1080, 2, "strip") == [
        Tile(0, 0, 0, 1920, 540),
        Tile(1, 0, 540, 1920, 540),
    ]


def test_strip_remainder_goes_to_the_first_bands() -> None:
    heights = [t.height for t in tl.tile_rects(100, 10, 4, "strip")]
    assert heights == [3, 3, 2, 2]


def test_block_2x2_row_by_row() -> None:
    assert tl.tile_rects(1920, 1080, 4, "block") == [
        Tile(0, 0, 0, 960, 540),
        Tile(1, 960, 0, 960, 540),
        Tile(2, 0, 540, 960, 540),
        Tile(3, 960, 540, 960, 540),
    ]


@pytest.mark.parametrize(
    ("size", "count", "grid"),
    [
        ((1920, 1080), 1, (1, 1)),
        ((1920, 1080), 2, (1, 2)),  # two 960x1080 halves, not two 1920x540 bands
        ((1920, 1080), 3, (1, 3)),
        ((1920, 1080), 4, (2, 2)),
        ((1920, 1080), 6, (2, 3)),
        ((1920, 1080), 7, (2, 4)),  # no near-square grid of 7: the smallest one above it
        ((1920, 1080), 12, (3, 4)),
        ((1920, 1080), 64, (8, 8)),
        ((4096, 2160), 64, (8, 8)),
        ((1000, 1000), 5, (2, 3)),
        ((1000, 1000), 9, (3, 3)),
        ((1080, 1920), 2, (2, 1)),  # portrait
        ((10000, 100), 4, (1, 4)),  # too wide for any near-square grid: the squarest
        ((3, 3), 9, (3, 3)),
    ],
)
def test_block_grid(size: tuple[int, int], count: int, grid: tuple[int, int]) -> None:
    assert tl.block_grid(*size, count) == grid
    assert len(tl.tile_rects(*size, count, "block")) == grid[0] * grid[1]


def test_block_grid_is_exact_whenever_an_exact_grid_is_near_square() -> None:
    for count in range(1, 101):
        rows, cols = tl.block_grid(1920, 1080, count)
        exact = [
            (r, count // r)
            for r in range(1, count + 1)
            if count % r == 0 and tl._tile_aspect(1920, 1080, r, count // r) <= tl.MAX_TILE_ASPECT
        ]
        if exact:
            assert rows * cols == count, count
        else:
            assert rows * cols > count, count


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100, 10, 11, "strip"), "11 strips do not fit an image 10 pixels high"),
        ((2, 2, 5, "block"), "5 tiles do not fit a 2x2 image"),
        ((100, 100, 0, "strip"), "1 or more"),
        ((0, 100, 2, "strip"), "must be positive"),
        ((100, 100, 2, "grid"), "tiles_type must be one of strip, block, not 'grid'"),
    ],
)
def test_tile_errors(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tl.tile_rects(*args)


@given(sizes, sizes, st.integers(1, 80), kinds)
def test_tiles_cover_the_image_exactly_once(width: int, height: int, count: int, kind: str):
    try:
        tiles = tl.tile_rects(width, height, count, kind)
    except ValueError:
        assert count > (height if kind == "strip" else width * height)
        return
    assert all(cell == 1 for row in _painted(width, height, tiles) for cell in row)
    assert [t.index for t in tiles] == list(range(len(tiles)))
    assert all(t.width >= 1 and t.height >= 1 for t in tiles)
    assert len(tiles) == count if kind == "strip" else len(tiles) >= count


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 200), kinds)
def test_tiles_are_even_and_ordered(width: int, height: int, count: int, kind: str) -> None:
    try:
        tiles = tl.tile_rects(width, height, count, kind)
    except ValueError:
        return
    assert sum(t.width * t.height for t in tiles) == width * height
    assert max(t.width for t in tiles) - min(t.width for t in tiles) <= 1
    assert max(t.height for t in tiles) - min(t.height for t in tiles) <= 1
    assert [(t.y, t.x) for t in tiles] == sorted((t.y, t.x) for t in tiles)  # row by row


# --------------------------------------------------------------------------- Maya


def test_maya_region_of_a_strip() -> None:
    top, bottom = tl.tile_rects(1920, 1080, 2, "strip")
    assert tl.to_maya_region(top, 1080) == (0, 1919, 540, 1079)
    assert tl.to_maya_region(bottom, 1080) == (0, 1919, 0, 539)


def test_maya_region_of_a_block_corner() -> None:
    # Top-right tile of a 2x2 grid: right half, upper half = rows 540..1079 from the bottom.
    tile = tl.tile_rects(1920, 1080, 4, "block")[1]
    assert tl.to_maya_region(tile, 1080) == (960, 1919, 540, 1079)


def test_maya_region_rejects_a_tile_outside() -> None:
    with pytest.raises(ValueError, match="below the image"):
        tl.to_maya_region(Tile(0, 0, 500, 10, 600), 1000)


@given(sizes, sizes, st.integers(1, 40), kinds)
def test_maya_regions_cover_the_image_from_the_bottom_left(width, height, count, kind) -> None:
    try:
        tiles = tl.tile_rects(width, height, count, kind)
    except ValueError:
        return
    grid = [[0] * width for _ in range(height)]  # row 0 is the bottom row here
    for tile in tiles:
        left, right, bottom, top = tl.to_maya_region(tile, height)
        assert 0 <= left <= right < width and 0 <= bottom <= top < height
        for row in range(bottom, top + 1):  # inclusive bounds
            for column in range(left, right + 1):
                grid[row][column] += 1
        # the tile's top-left pixel is the region's top row seen from below
        assert height - 1 - top == tile.y and left == tile.x
    assert all(cell == 1 for row in grid for cell in row)


# --------------------------------------------------------------------------- Blender


def test_blender_border_of_a_strip() -> None:
    top, bottom = tl.tile_rects(1920, 1080, 2, "strip")
    assert tl.to_blender_border(top, 1920, 1080) == (0.0, 1.0, 0.5, 1.0)
    assert tl.to_blender_border(bottom, 1920, 1080) == (0.0, 1.0, 0.0, 0.5)


def test_blender_fraction_is_raised_where_float32_truncation_loses_a_pixel() -> None:
    assert tl.blender_pixel(13 / 22, 22) == 12  # what Blender would do with the plain fraction
    fraction = tl.to_blender_fraction(13, 22)
    assert tl.blender_pixel(fraction, 22) == 13
    assert 0 < fraction - 13 / 22 < 1e-6


def test_blender_border_rejects_a_tile_outside() -> None:
    with pytest.raises(ValueError, match="inside a 100x100 image"):
        tl.to_blender_border(Tile(0, 50, 0, 60, 10), 100, 100)
    with pytest.raises(ValueError, match="outside"):
        tl.to_blender_fraction(11, 10)


@given(st.integers(1, 8192), st.integers(1, 8192), st.integers(1, 64), kinds)
def test_blender_border_lands_on_the_tile_pixels(width, height, count, kind) -> None:
    try:
        tiles = tl.tile_rects(width, height, count, kind)
    except ValueError:
        return
    for tile in tiles:
        min_x, max_x, min_y, max_y = tl.to_blender_border(tile, width, height)
        assert 0.0 <= min_x < max_x <= 1.0 and 0.0 <= min_y < max_y <= 1.0
        assert tl.blender_pixel(min_x, width) == tile.x
        assert tl.blender_pixel(max_x, width) == tile.right
        assert tl.blender_pixel(min_y, height) == height - tile.bottom  # from the bottom
        assert tl.blender_pixel(max_y, height) == height - tile.y
        assert abs(min_x - tile.x / width) < 1e-6 and abs(max_y - (height - tile.y) / height) < 1e-6


@given(st.integers(1, 3000))
def test_blender_fraction_for_every_edge(size: int) -> None:
    for pixel in range(0, size + 1, max(1, size // 97)):
        assert tl.blender_pixel(tl.to_blender_fraction(pixel, size), size) == pixel
