"""Tiles of one frame: cut an image into rectangles and convert them per renderer.

Tiles are stored in **pixels with a top-left origin**: ``x`` grows to the
right, ``y`` grows downwards, and a tile covers columns ``x .. x+width-1``
and rows ``y .. y+height-1``. The tiles of one frame cover the image exactly,
without overlap, and are numbered row by row from the top-left.

* ``strip``: ``count`` horizontal bands, top to bottom, full width.
* ``block``: a grid of ``rows × cols`` tiles as close to square (in pixels)
  as possible — see :func:`block_grid` for the exact rule. The grid may hold
  more tiles than asked for (7 tiles of a 16:9 frame become a 2×4 grid of 8).

When a side does not divide evenly, the first bands/columns are one pixel
larger than the others.

Renderers count differently:

* Maya Software's ``Render -reg left right bottom top`` counts pixels from the
  **bottom-left** and both bounds are **inclusive** (the whole image is
  ``0 width-1 0 height-1``): :func:`to_maya_region`. Arnold counts its rows
  from the top: the worker converts per renderer with its table
  (``farmhand_worker.adapters.maya_renderers``, docs/worker-adapters.md).
* Blender's border is four fractions of the image with the origin at the
  bottom-left (``border_min_x`` …); Blender multiplies each by the
  resolution in 32-bit floats and truncates: :func:`to_blender_border`
  returns fractions that land on exactly the tile's pixel edges.

A 2-tile strip of a 1920×1080 frame:

>>> top, bottom = tile_rects(1920, 1080, 2, "strip")
>>> top, bottom
(Tile(index=0, x=0, y=0, width=1920, height=540), Tile(index=1, x=0, y=540, width=1920, height=540))
>>> to_maya_region(top, 1080), to_maya_region(bottom, 1080)
((0, 1919, 540, 1079), (0, 1919, 0, 539))
>>> to_blender_border(top, 1920, 1080), to_blender_border(bottom, 1920, 1080)
((0.0, 1.0, 0.5, 1.0), (0.0, 1.0, 0.0, 0.5))
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

TILE_KINDS = ("strip", "block")

MAX_TILE_ASPECT = 2.0
"""A ``block`` grid whose tiles are longer than this ratio on one side is avoided if possible."""


@dataclass(frozen=True)
class Tile:
    """One rectangle of a frame, in pixels, origin top-left; ``index`` counts row by row."""

    index: int
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column (``x + width``)."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """One past the last row (``y + height``), counted from the top."""
        return self.y + self.height

    def to_dict(self) -> dict:
        """The tile as plain JSON data."""
        return {
            "index": self.index,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
        }


def _split(length: int, parts: int) -> list[tuple[int, int]]:
    """Cut ``length`` pixels into ``parts`` spans ``(offset, size)``, the first ones 1 px larger."""
    base, extra = divmod(length, parts)
    spans, offset = [], 0
    for i in range(parts):
        size = base + (1 if i < extra else 0)
        spans.append((offset, size))
        offset += size
    return spans


def _tile_aspect(width: int, height: int, rows: int, cols: int) -> float:
    """How far from square a tile of the grid is: long side over short side, ≥ 1."""
    ratio = (width / cols) / (height / rows)
    return max(ratio, 1 / ratio)


def block_grid(width: int, height: int, count: int) -> tuple[int, int]:
    """The ``(rows, cols)`` grid a ``block`` tiling of ``count`` tiles uses.

    Candidates are, for each number of rows ``r`` from 1 to ``count``, the
    smallest grid ``r × ceil(count / r)`` that holds ``count`` tiles and
    fits the image (at least one pixel per tile). A candidate is *near
    square* when its tiles are at most ``MAX_TILE_ASPECT`` (2) times longer
    on one side than the other. The grid chosen is the near-square candidate
    with the fewest tiles (so ``rows * cols == count`` whenever such a grid
    is near square), then the squarest tiles, then the fewest rows. When no
    candidate is near square (a very wide or tall image), the squarest
    candidate is chosen, then the fewest tiles.

    >>> block_grid(1920, 1080, 4), block_grid(1920, 1080, 7), block_grid(1920, 1080, 2)
    ((2, 2), (2, 4), (1, 2))
    >>> block_grid(1000, 1000, 5), block_grid(1920, 1080, 64)
    ((2, 3), (8, 8))
    """
    _check_size(width, height, count)
    candidates = []
    for rows in range(1, min(count, height) + 1):
        cols = math.ceil(count / rows)
        if cols <= width:
            aspect = _tile_aspect(width, height, rows, cols)
            candidates.append((rows * cols, aspect, rows, cols))
    if not candidates:
        raise ValueError(f"{count} tiles do not fit a {width}x{height} image")
    near_square = [c for c in candidates if c[1] <= MAX_TILE_ASPECT]
    if near_square:
        _, _, rows, cols = min(near_square)
    else:
        _, _, rows, cols = min(candidates, key=lambda c: (c[1], c[0], c[2]))
    return rows, cols


def _check_size(width: int, height: int, count: int) -> None:
    if width < 1 or height < 1:
        raise ValueError(f"the image size must be positive, not {width}x{height}")
    if count < 1:
        raise ValueError(f"the number of tiles must be 1 or more, not {count}")


def tile_rects(width: int, height: int, count: int, kind: str) -> list[Tile]:
    """Cut a ``width × height`` image into tiles of ``kind`` ``strip`` or ``block``.

    ``strip`` returns exactly ``count`` bands (ValueError when ``count`` is
    more than the image's height); ``block`` returns the :func:`block_grid`
    grid, which may hold more than ``count`` tiles.

    >>> [t.to_dict() for t in tile_rects(10, 7, 3, "strip")]  # doctest: +NORMALIZE_WHITESPACE
    [{'index': 0, 'x': 0, 'y': 0, 'width': 10, 'height': 3},
     {'index': 1, 'x': 0, 'y': 3, 'width': 10, 'height': 2},
     {'index': 2, 'x': 0, 'y': 5, 'width': 10, 'height': 2}]
    """
    _check_size(width, height, count)
    if kind == "strip":
        if count > height:
            raise ValueError(f"{count} strips do not fit an image {height} pixels high")
        rows, cols = count, 1
    elif kind == "block":
        rows, cols = block_grid(width, height, count)
    else:
        raise ValueError(f"tiles_type must be one of {', '.join(TILE_KINDS)}, not {kind!r}")
    tiles: list[Tile] = []
    for y, tile_height in _split(height, rows):
        for x, tile_width in _split(width, cols):
            tiles.append(Tile(len(tiles), x, y, tile_width, tile_height))
    return tiles


def to_maya_region(tile: Tile, image_height: int) -> tuple[int, int, int, int]:
    """Maya's ``Render -reg left right bottom top`` for a tile: bottom-left origin, inclusive.

    >>> to_maya_region(Tile(0, 0, 0, 960, 540), 1080)
    (0, 959, 540, 1079)
    """
    if tile.bottom > image_height:
        raise ValueError(f"tile {tile.index} reaches row {tile.bottom}, below the image")
    left = tile.x
    right = tile.x + tile.width - 1
    bottom = image_height - tile.bottom
    top = image_height - tile.y - 1
    return left, right, bottom, top


def _float32(value: float) -> float:
    """``value`` rounded to the nearest 32-bit float (how Blender stores a border)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _next_float32(value: float) -> float:
    """The next 32-bit float above a non-negative 32-bit float."""
    (bits,) = struct.unpack("<I", struct.pack("<f", value))
    return struct.unpack("<f", struct.pack("<I", bits + 1))[0]


def blender_pixel(fraction: float, size: int) -> int:
    """The pixel edge Blender derives from a border fraction: ``(int)(float)fraction * size``.

    >>> blender_pixel(13 / 22, 22), blender_pixel(to_blender_fraction(13, 22), 22)
    (12, 13)
    """
    return math.trunc(_float32(_float32(fraction) * _float32(size)))


def to_blender_fraction(pixel: int, size: int) -> float:
    """The border fraction for pixel edge ``pixel`` of ``size``: ``pixel / size`` as a 32-bit
    float, raised by the least amount needed when Blender's truncation would land one short.
    """
    if not 0 <= pixel <= size:
        raise ValueError(f"pixel edge {pixel} is outside 0..{size}")
    fraction = _float32(pixel / size)
    while blender_pixel(fraction, size) < pixel:
        fraction = _next_float32(fraction)
    return fraction


def to_blender_border(tile: Tile, width: int, height: int) -> tuple[float, float, float, float]:
    """Blender's ``(border_min_x, border_max_x, border_min_y, border_max_y)`` for a tile.

    Fractions of the image, origin bottom-left, each within one 32-bit float
    step of ``pixel / size`` and chosen so that Blender renders exactly the
    tile's pixels (set ``use_border = True`` and ``use_crop_to_border = False``
    to get a full-size image with only the tile rendered).

    >>> to_blender_border(Tile(0, 0, 0, 960, 540), 1920, 1080)
    (0.0, 0.5, 0.5, 1.0)
    """
    if tile.right > width or tile.bottom > height:
        raise ValueError(f"tile {tile.index} does not lie inside a {width}x{height} image")
    return (
        to_blender_fraction(tile.x, width),
        to_blender_fraction(tile.right, width),
        to_blender_fraction(height - tile.bottom, height),
        to_blender_fraction(height - tile.y, height),
    )
