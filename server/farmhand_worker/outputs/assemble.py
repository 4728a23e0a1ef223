"""Tile assembly: put the rendered tiles of one frame together into the frame.

Each tile is a file plus the rectangle it covers (:class:`farmhand.spec.tiles.Tile`: pixels,
top-left origin) and how the renderer wrote it (``RenderCommand.tile_mode``):

* ``"cropped"``: an image the size of the tile (Blender's border render with crop);
* ``"full"``: an image the size of the frame with only the tile's region rendered
  (Blender's border render without crop). For EXR the data window places the pixels in
  the display window, so a file whose data window is just the region works too.

:func:`assemble` checks everything it can before reading any pixels (the rectangles
cover the frame exactly, every file exists, has the right size and the same channels),
then reads the tiles a few at a time on a small thread pool (OpenEXR and Pillow decode
without holding the GIL) and copies each one's region into one preallocated array per
channel, so at most a few tiles are in memory at once. The frame is written in the
tiles' format, with their channels, pixel types and the first tile's attributes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from farmhand.spec.tiles import Tile

from farmhand_worker.outputs.images import (
    EXR,
    FORMATS,
    Image,
    ImageError,
    ImageInfo,
    read_image,
    read_info,
    write_image,
)

TILE_MODES = ("full", "cropped")

DEFAULT_WORKERS = 2
"""Tiles read at once: enough to overlap decoding with copying, few enough to bound memory."""


class AssemblyError(ValueError):
    """The tiles cannot make the frame; the message names the tile and the problem."""


@dataclass(frozen=True)
class TileImage:
    """One rendered tile: its file, the rectangle it covers, and ``"full"`` or ``"cropped"``."""

    path: Path
    tile: Tile
    mode: str = "cropped"

    def describe(self) -> str:
        """``tile 3 (path)`` for messages."""
        return f"tile {self.tile.index} ({self.path})"


@dataclass(frozen=True)
class _Placement:
    """A checked tile: its file's header and where its region starts in the file's pixels."""

    item: TileImage
    info: ImageInfo
    row: int
    column: int


def assemble(
    tiles: list[TileImage],
    width: int,
    height: int,
    dest: Path,
    fmt: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Path:
    """Assemble ``tiles`` into a ``width × height`` frame written to ``dest``; returns ``dest``.

    ``fmt`` (``"exr"`` or ``"png"``) is the format the job asked for; None means the tiles'
    own. Tiles are not converted: a different ``fmt`` is an error. ``workers`` tiles are
    read at once (memory holds the frame plus about that many tiles). Raises
    :class:`AssemblyError` (a ``ValueError``) for tiles that cannot make the frame and
    :class:`~farmhand_worker.outputs.images.ImageError` (also a ``ValueError``) when ``dest``
    cannot be written; nothing is left at ``dest`` then.
    """
    dest = Path(dest)
    if width < 1 or height < 1:
        raise AssemblyError(f"the frame size must be positive, not {width}x{height}")
    if not tiles:
        raise AssemblyError("no tiles to assemble")
    tiles = sorted(tiles, key=lambda t: t.tile.index)
    check_cover([t.tile for t in tiles], width, height)
    placements = [_place(item, width, height) for item in tiles]
    first, first_info = placements[0].item, placements[0].info
    for placement in placements[1:]:
        _check_like(placement.item, placement.info, first, first_info)
    if fmt is not None and fmt not in FORMATS:
        raise AssemblyError(f"cannot write a frame as {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt is not None and fmt != first_info.format:
        raise AssemblyError(f"the tiles are {first_info.format.upper()}, not {fmt.upper()}")

    first_image = _read(first)
    frame = Image(
        {name: np.empty((height, width), a.dtype) for name, a in first_image.channels.items()},
        first_image.format,
        _frame_attributes(first_image, width, height),
    )
    _copy(placements[0], first_image, frame, first.describe())
    del first_image

    def place(placement: _Placement) -> None:
        image = _read(placement.item)
        _copy(placement, image, frame, first.describe())

    with ThreadPoolExecutor(max(1, min(workers, len(placements) - 1))) as pool:
        futures = [pool.submit(place, p) for p in placements[1:]]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return _write(frame, dest)


def _place(item: TileImage, width: int, height: int) -> _Placement:
    """Check a tile's file against its rectangle; where its region lies in its image."""
    if item.mode not in TILE_MODES:
        raise AssemblyError(
            f"{item.describe()}: tile mode must be {' or '.join(TILE_MODES)}, not {item.mode!r}"
        )
    if not Path(item.path).is_file():
        raise AssemblyError(f"{item.describe()}: the tile's image is missing")
    try:
        info = read_info(item.path)
    except ImageError as exc:
        raise AssemblyError(f"tile {item.tile.index}: {exc}") from None
    tile = item.tile
    if item.mode == "cropped":
        if (info.width, info.height) != (tile.width, tile.height):
            raise AssemblyError(
                f"{item.describe()}: the cropped tile is {info.width}x{info.height}, "
                f"its rectangle {tile.width}x{tile.height}"
            )
        return _Placement(item, info, 0, 0)
    if info.display_size != (width, height):
        size = "x".join(map(str, info.display_size))
        raise AssemblyError(
            f"{item.describe()}: the full tile is {size}, the frame {width}x{height}"
        )
    (ox, oy), row, column = info.origin, tile.y - info.origin[1], tile.x - info.origin[0]
    if row < 0 or column < 0 or row + tile.height > info.height or column + tile.width > info.width:
        raise AssemblyError(
            f"{item.describe()}: the image's pixels (x {ox}..{ox + info.width - 1}, "
            f"y {oy}..{oy + info.height - 1}) do not hold the tile's rectangle {_rect(tile)}"
        )
    return _Placement(item, info, row, column)


def _check_like(item: TileImage, info: ImageInfo, first: TileImage, first_info: ImageInfo) -> None:
    """A tile's format and channel names are the first tile's."""
    if info.format != first_info.format:
        raise AssemblyError(
            f"{item.describe()}: the tile is {info.format.upper()}, "
            f"{first.describe()} is {first_info.format.upper()}"
        )
    if set(info.channels) != set(first_info.channels):
        raise AssemblyError(
            _channel_difference(
                item, set(info.channels), set(first_info.channels), first.describe()
            )
        )


def _read(item: TileImage) -> Image:
    try:
        return read_image(item.path)
    except ImageError as exc:
        raise AssemblyError(f"tile {item.tile.index}: {exc}") from None


def _copy(placement: _Placement, image: Image, frame: Image, first: str) -> None:
    """Copy a tile's region into the frame, after checking it has the frame's channels."""
    item, tile = placement.item, placement.item.tile
    if set(image.channels) != set(frame.channels):
        raise AssemblyError(
            _channel_difference(item, set(image.channels), set(frame.channels), first)
        )
    for name, target in frame.channels.items():
        source = image.channels[name]
        if source.dtype != target.dtype:
            raise AssemblyError(
                f"{item.describe()}: channel {name} is {source.dtype}, in {first} {target.dtype}"
            )
        region = source[
            placement.row : placement.row + tile.height,
            placement.column : placement.column + tile.width,
        ]
        if region.shape != (tile.height, tile.width):  # the header promised otherwise
            raise AssemblyError(f"{item.describe()}: the pixels do not match the file's header")
        target[tile.y : tile.bottom, tile.x : tile.right] = region


def _channel_difference(item: TileImage, found: set[str], expected: set[str], first: str) -> str:
    parts = []
    if expected - found:
        parts.append(f"lacks {', '.join(sorted(expected - found))}")
    if found - expected:
        parts.append(f"has {', '.join(sorted(found - expected))} too")
    return f"{item.describe()}: the tile's channels differ from {first}'s: it {' and '.join(parts)}"


def _frame_attributes(image: Image, width: int, height: int) -> dict:
    """The first tile's attributes, with EXR windows that are the whole frame."""
    attributes = dict(image.attributes)
    if image.format == EXR:
        window = (np.array([0, 0], np.int32), np.array([width - 1, height - 1], np.int32))
        attributes["dataWindow"] = window
        attributes["displayWindow"] = (window[0].copy(), window[1].copy())
    return attributes


def _write(frame: Image, dest: Path) -> Path:
    """Write the frame beside ``dest`` and move it into place, so ``dest`` is never partial."""
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        write_image(frame, partial)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return dest


# ----------------------------------------------------------------------------- cover


def _rect(tile: Tile) -> str:
    return f"x {tile.x}..{tile.right - 1}, y {tile.y}..{tile.bottom - 1}"


def check_cover(tiles: list[Tile], width: int, height: int) -> None:
    """Raise :class:`AssemblyError` unless ``tiles`` cover the frame exactly, without overlap.

    Each tile must be non-empty and inside the frame, no two may share an index or a
    pixel, and together they must cover every pixel.
    """
    seen: dict[int, Tile] = {}
    for tile in tiles:
        if tile.index in seen:
            raise AssemblyError(f"tile {tile.index} appears twice")
        seen[tile.index] = tile
        if tile.width < 1 or tile.height < 1:
            raise AssemblyError(f"tile {tile.index} is empty ({tile.width}x{tile.height})")
        if tile.x < 0 or tile.y < 0 or tile.right > width or tile.bottom > height:
            raise AssemblyError(
                f"tile {tile.index} ({_rect(tile)}) reaches outside the {width}x{height} frame"
            )
    rects = np.array([(t.x, t.y, t.right, t.bottom) for t in tiles], dtype=np.int64)
    for i, tile in enumerate(tiles[:-1]):
        others = rects[i + 1 :]
        overlap = (
            (others[:, 0] < tile.right)
            & (tile.x < others[:, 2])
            & (others[:, 1] < tile.bottom)
            & (tile.y < others[:, 3])
        )
        if overlap.any():
            other = tiles[i + 1 + int(np.argmax(overlap))]
            raise AssemblyError(
                f"tile {tile.index} ({_rect(tile)}) overlaps tile {other.index} ({_rect(other)})"
            )
    covered = int(((rects[:, 2] - rects[:, 0]) * (rects[:, 3] - rects[:, 1])).sum())
    if covered != width * height:
        mask = np.zeros((height, width), dtype=bool)
        for tile in tiles:
            mask[tile.y : tile.bottom, tile.x : tile.right] = True
        gap_rows = np.flatnonzero(~mask.all(axis=1))
        gap_columns = np.flatnonzero(~mask.all(axis=0))
        raise AssemblyError(
            f"the tiles leave {width * height - covered} of the frame's {width}x{height} pixels "
            f"uncovered, within x {gap_columns[0]}..{gap_columns[-1]}, "
            f"y {gap_rows[0]}..{gap_rows[-1]}"
        )
