"""Synthetic images for the worker's image and assembly tests: random pixels, cut into tiles.

Half and float channels are filled with random *bit patterns* (NaNs, infinities and
denormals included), so a comparison of raw bytes proves a bit-exact copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenEXR
from farmhand.spec.tiles import Tile
from farmhand_worker.outputs.assemble import TileImage
from farmhand_worker.outputs.images import EXR, Image, write_image

EXR_CHANNELS = {
    "R": np.float16,
    "G": np.float16,
    "B": np.float16,
    "A": np.float16,
    "Z": np.float32,
    "ID": np.uint32,
    "ViewLayer.Combined.R": np.float16,
}
"""An EXR with beauty, depth, an integer AOV and a multilayer-style name."""


SPECIAL_FLOATS = (np.inf, -np.inf, np.nan, -0.0, 1e-40, 6e-8)
"""Values a float plane always holds (when it has room): infinities, NaN, -0, denormals."""


def random_plane(rng: np.random.Generator, height: int, width: int, dtype) -> np.ndarray:
    """A ``height × width`` array of ``dtype`` holding random bit patterns (plus, for floats,
    :data:`SPECIAL_FLOATS` at random places)."""
    dtype = np.dtype(dtype)
    bits = rng.integers(0, 1 << (8 * dtype.itemsize), (height, width), dtype=np.uint64)
    plane = bits.astype(f"u{dtype.itemsize}").view(dtype)
    if dtype.kind == "f" and plane.size >= len(SPECIAL_FLOATS):
        places = rng.choice(plane.size, len(SPECIAL_FLOATS), replace=False)
        plane.flat[places] = np.array(SPECIAL_FLOATS).astype(dtype)
    return plane


def random_image(
    width: int,
    height: int,
    channels: dict[str, type] | None = None,
    fmt: str = EXR,
    seed: int = 0,
    attributes: dict | None = None,
) -> Image:
    """An image of random pixels (EXR by default, with :data:`EXR_CHANNELS`)."""
    rng = np.random.default_rng(seed)
    spec = EXR_CHANNELS if channels is None else channels
    planes = {name: random_plane(rng, height, width, dtype) for name, dtype in spec.items()}
    if attributes is None:
        attributes = {"compression": OpenEXR.ZIP_COMPRESSION} if fmt == EXR else {}
    return Image(planes, fmt, dict(attributes))


def assert_same_pixels(found: Image, expected: Image) -> None:
    """Same channel names, pixel types, shapes and bytes."""
    assert sorted(found.channels) == sorted(expected.channels)
    for name, array in expected.channels.items():
        got = found.channels[name]
        assert got.dtype == array.dtype, name
        assert got.shape == array.shape, name
        assert np.array_equal(got.view(f"u{got.itemsize}"), array.view(f"u{array.itemsize}")), name


def cut(
    image: Image,
    tiles: list[Tile],
    mode: str,
    folder: Path,
    suffix: str,
    seed: int = 99,
) -> list[TileImage]:
    """Write each tile of ``image`` as a file the way a renderer would in ``mode``.

    ``cropped``: a tile-sized image. ``full``: a frame-sized image with the tile's region
    from ``image`` and other random pixels everywhere else (what a renderer leaves there
    is not the frame's content, so an assembly that copies too much must fail).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    result = []
    for tile in tiles:
        if mode == "cropped":
            planes = {
                name: np.ascontiguousarray(a[tile.y : tile.bottom, tile.x : tile.right])
                for name, a in image.channels.items()
            }
        else:
            planes = {}
            for name, array in image.channels.items():
                plane = random_plane(rng, image.height, image.width, array.dtype)
                plane[tile.y : tile.bottom, tile.x : tile.right] = array[
                    tile.y : tile.bottom, tile.x : tile.right
                ]
                planes[name] = plane
        path = folder / f"tile_{tile.index:03d}.{suffix}"
        write_image(Image(planes, image.format, dict(image.attributes)), path)
        result.append(TileImage(path, tile, mode))
    return result
