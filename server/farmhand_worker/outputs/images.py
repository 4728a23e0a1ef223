"""Image files the worker reads and writes: EXR and PNG frames and tiles, and previews.

An :class:`Image` is one 2-D numpy array per channel plus what the file said about
itself, so a file read and written again is the same file in every way that matters:

* **EXR** through the OpenEXR library: every channel of the (single) part, under its own
  name (``R``, ``Z``, ``ViewLayer.Combined.R`` …) and in its own pixel type (half →
  ``float16``, float → ``float32``, uint → ``uint32``), and every header attribute
  (compression, data and display windows, line order, tiling, the renderer's metadata).
  The arrays cover the *data window*; :attr:`Image.origin` places it in the display window.
* **PNG** through Pillow: 8-bit and 16-bit, RGB, RGBA, grey and grey + alpha (channels
  ``R G B A`` or ``Y A``; palette and 1/2/4-bit files are widened to 8-bit), and the text
  chunks. Pillow reads 16-bit colour PNGs only as 8-bit and cannot write them, so those
  two cases use Pillow's own PNG decoder twice (see :func:`_read_png16`) and a small
  numpy + zlib encoder (:func:`_write_png16`).

:func:`make_preview` turns any of these (and whatever else Pillow opens) into a small
sRGB JPEG or PNG for the panel and the dashboard.

Every failure to read or write is an :class:`ImageError` whose message starts with the
file's path.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR
from PIL import Image as PILImage
from PIL import PngImagePlugin, UnidentifiedImageError
from PIL.Image import DecompressionBombError

EXR = "exr"
PNG = "png"
FORMATS = (EXR, PNG)

EXR_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.uint32))
"""The pixel types an EXR channel can hold: half, float and uint."""

PNG_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))

PNG_LAYOUTS = {("R", "G", "B"): "RGB", ("R", "G", "B", "A"): "RGBA", ("Y",): "L", ("Y", "A"): "LA"}
"""PNG channel sets (in file order) and the Pillow mode each is stored as."""

PREVIEW_BACKGROUND = 128
"""The grey (8-bit, sRGB) that transparent parts of a preview are shown over."""

_EXR_MAGIC = b"\x76\x2f\x31\x01"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Attributes that describe one file's structure; OpenEXR rebuilds them on writing.
_EXR_STRUCTURAL = ("channels", "chunkCount", "version")


class ImageError(ValueError):
    """An image file that cannot be read or written; the message starts with its path."""


@dataclass
class Image:
    """A decoded image: one 2-D array per channel, all the same shape, and the file's format.

    ``attributes`` is the EXR header without its channel list (``compression``,
    ``dataWindow``, ``displayWindow``, custom metadata …) or a PNG's text chunks.
    """

    channels: dict[str, np.ndarray]
    format: str
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        """Rows of the pixel arrays (the EXR data window's height)."""
        return _shape_of(self.channels)[0]

    @property
    def width(self) -> int:
        """Columns of the pixel arrays (the EXR data window's width)."""
        return _shape_of(self.channels)[1]

    @property
    def origin(self) -> tuple[int, int]:
        """``(x, y)`` of the arrays' first pixel inside the display window; (0, 0) for PNG."""
        return _exr_geometry(self.attributes)[0] if self._has_windows() else (0, 0)

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` of the frame the pixels sit in: the EXR display window."""
        return (
            _exr_geometry(self.attributes)[1] if self._has_windows() else (self.width, self.height)
        )

    def _has_windows(self) -> bool:
        return self.format == EXR and {"dataWindow", "displayWindow"} <= self.attributes.keys()


@dataclass(frozen=True)
class ImageInfo:
    """What a file's header says, read without decoding its pixels."""

    path: Path
    format: str
    channels: tuple[str, ...]
    width: int  # of the pixel arrays (the EXR data window)
    height: int
    origin: tuple[int, int]  # (x, y) of the pixel arrays inside the display window
    display_size: tuple[int, int]  # (width, height) of the display window


def _shape_of(channels: dict[str, np.ndarray]) -> tuple[int, int]:
    if not channels:
        raise ValueError("the image has no channels")
    return next(iter(channels.values())).shape[:2]


def _exr_geometry(header: dict[str, Any]) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((x, y) of the data window in the display window, (display width, height))``."""
    (dx0, dy0), _ = header["dataWindow"]
    (wx0, wy0), (wx1, wy1) = header["displayWindow"]
    return (int(dx0 - wx0), int(dy0 - wy0)), (int(wx1 - wx0 + 1), int(wy1 - wy0 + 1))


# ----------------------------------------------------------------------------- dispatch


def detect_format(path: Path) -> str:
    """``"exr"`` or ``"png"`` from the file's first bytes (not its name)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if magic.startswith(_EXR_MAGIC):
        return EXR
    if magic == _PNG_MAGIC:
        return PNG
    raise ImageError(f"{path}: not an EXR or PNG file")


def read_image(path: Path) -> Image:
    """Read an EXR or PNG file, whichever it is."""
    return read_exr(path) if detect_format(path) == EXR else read_png(path)


def read_info(path: Path) -> ImageInfo:
    """Format, channel names and geometry of an EXR or PNG file, without its pixels."""
    path = Path(path)
    if detect_format(path) == EXR:
        return _exr_info(path)
    return _png_info(path)


def write_image(image: Image, path: Path) -> Path:
    """Write ``image`` in its own format; returns ``path``."""
    if image.format == EXR:
        return write_exr(image, path)
    if image.format == PNG:
        return write_png(image, path)
    raise ImageError(f"{path}: cannot write images of format {image.format!r}")


# ----------------------------------------------------------------------------- EXR

_threads_lock = threading.Lock()


def _use_all_cores() -> None:
    """Give OpenEXR's process-wide pool one thread per core (it starts with none)."""
    with _threads_lock:
        if OpenEXR.global_thread_count() == 0:
            if hasattr(os, "sched_getaffinity"):  # the cores this process may use (Linux)
                cores = len(os.sched_getaffinity(0))
            else:
                cores = os.cpu_count() or 1
            OpenEXR.set_global_thread_count(cores)


def _open_exr(path: Path, header_only: bool) -> OpenEXR.File:
    """Open an EXR file and check it is a single flat part, with a clear error if not."""
    _use_all_cores()
    try:
        exr = OpenEXR.File(str(path), separate_channels=True, header_only=header_only)
    except Exception as exc:  # the bindings raise RuntimeError or ValueError
        raise ImageError(f"{path}: cannot read the EXR file: {exc}") from None
    parts = exr.parts
    if not parts:  # what the bindings leave when the pixel data is cut short
        raise ImageError(f"{path}: the EXR file is truncated or damaged")
    if len(parts) > 1:
        raise ImageError(f"{path}: multi-part EXR files ({len(parts)} parts) are not supported")
    header = exr.header()
    if header.get("type") in (OpenEXR.deepscanline, OpenEXR.deeptile):
        raise ImageError(f"{path}: deep EXR files are not supported")
    tiles = header.get("tiles")
    if tiles is not None and tiles.mode != OpenEXR.ONE_LEVEL:
        raise ImageError(f"{path}: mip-mapped and rip-mapped EXR files are not supported")
    for channel in header.get("channels", []):
        if channel.xSampling != 1 or channel.ySampling != 1:
            raise ImageError(
                f"{path}: channel {channel.name} is subsampled, which is not supported"
            )
    return exr


def _exr_info(path: Path) -> ImageInfo:
    header = _open_exr(path, header_only=True).header()
    (x0, y0), (x1, y1) = header["dataWindow"]
    origin, display = _exr_geometry(header)
    names = tuple(channel.name for channel in header.get("channels", []))
    return ImageInfo(path, EXR, names, int(x1 - x0 + 1), int(y1 - y0 + 1), origin, display)


def read_exr(path: Path) -> Image:
    """Read every channel of a single-part EXR file, in its own pixel type, and its header."""
    path = Path(path)
    exr = _open_exr(path, header_only=False)
    header = exr.header()
    try:
        channels = {name: channel.pixels for name, channel in exr.channels().items()}
    except Exception as exc:
        raise ImageError(f"{path}: cannot read the EXR pixels: {exc}") from None
    expected = [channel.name for channel in header.get("channels", [])]
    if sorted(channels) != sorted(expected) or any(a is None for a in channels.values()):
        raise ImageError(f"{path}: the EXR file is truncated or damaged (channels missing)")
    attributes = {k: v for k, v in header.items() if k not in _EXR_STRUCTURAL}
    return Image(channels, EXR, attributes)


def write_exr(image: Image, path: Path) -> Path:
    """Write ``image`` as a single-part EXR with its channels, pixel types and attributes.

    Without attributes the file is ZIP-compressed scanlines; a ``dataWindow`` that does not
    match the arrays' size is an error.
    """
    path = Path(path)
    _check_channels(image, path, EXR_DTYPES, "EXR")
    _use_all_cores()
    # The bindings rewrite both dicts in place, and silently mis-write strided arrays.
    header = {k: v for k, v in image.attributes.items() if k not in _EXR_STRUCTURAL}
    header.setdefault("compression", OpenEXR.ZIP_COMPRESSION)
    header.setdefault("type", OpenEXR.scanlineimage)
    channels = {name: np.ascontiguousarray(a) for name, a in image.channels.items()}
    try:
        OpenEXR.File(header, channels).write(str(path))
    except Exception as exc:
        raise ImageError(f"{path}: cannot write the EXR file: {exc}") from None
    return path


def _check_channels(image: Image, path: Path, dtypes: tuple[np.dtype, ...], kind: str) -> None:
    """Every channel is a 2-D array of an allowed type, all of one shape."""
    if not image.channels:
        raise ImageError(f"{path}: the image has no channels")
    shape = None
    for name, array in image.channels.items():
        if not isinstance(array, np.ndarray) or array.ndim != 2:
            raise ImageError(f"{path}: channel {name} is not a 2-D array")
        if array.dtype not in dtypes:
            allowed = ", ".join(str(d) for d in dtypes)
            raise ImageError(f"{path}: channel {name} is {array.dtype}; {kind} takes {allowed}")
        if shape is not None and array.shape != shape:
            raise ImageError(f"{path}: channel {name} is {array.shape}, the others {shape}")
        shape = array.shape


# ----------------------------------------------------------------------------- PNG


def _png_header(path: Path) -> tuple[int, int, int, int]:
    """``(width, height, bit depth, colour type)`` from the IHDR chunk, which comes first."""
    try:
        with path.open("rb") as f:
            head = f.read(33)
    except OSError as exc:
        raise ImageError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if not head.startswith(_PNG_MAGIC):
        raise ImageError(f"{path}: not a PNG file")
    if len(head) < 33 or head[12:16] != b"IHDR":
        raise ImageError(f"{path}: the PNG file is truncated or damaged (no IHDR)")
    width, height, depth, color_type = struct.unpack(">IIBB", head[16:26])
    return width, height, depth, color_type


def _png_layout(path: Path, pil: PILImage.Image, depth: int, color_type: int) -> tuple[str, ...]:
    """The channels a PNG decodes to (see :data:`PNG_LAYOUTS`)."""
    mode = pil.mode
    if mode in ("P", "PA"):
        mode = "RGBA" if mode == "PA" or "transparency" in pil.info else "RGB"
    elif mode in ("1", "I;16"):
        mode = "L"
    elif depth == 16 and color_type == 4:  # Pillow widens it to 8-bit RGBA
        raise ImageError(f"{path}: 16-bit grey + alpha PNG files are not supported")
    for names, layout in PNG_LAYOUTS.items():
        if layout == mode:
            return names
    raise ImageError(f"{path}: PNG mode {pil.mode} is not supported")


def _open_png(path: Path) -> PngImagePlugin.PngImageFile:
    try:
        image = PILImage.open(path, formats=["PNG"])
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        DecompressionBombError,
    ) as exc:
        raise ImageError(f"{path}: cannot read the PNG file: {exc}") from None
    assert isinstance(image, PngImagePlugin.PngImageFile)  # the only format allowed
    return image


def _png_info(path: Path) -> ImageInfo:
    width, height, depth, color_type = _png_header(path)
    with _open_png(path) as pil:
        names = _png_layout(path, pil, depth, color_type)
    return ImageInfo(path, PNG, names, width, height, (0, 0), (width, height))


def read_png(path: Path) -> Image:
    """Read a PNG into ``uint8`` or ``uint16`` channels ``R G B [A]`` or ``Y [A]``."""
    path = Path(path)
    _, _, depth, color_type = _png_header(path)
    with _open_png(path) as pil:
        names = _png_layout(path, pil, depth, color_type)
        try:
            if depth == 16 and pil.mode in ("RGB", "RGBA"):
                pixels = _read_png16(path, pil)
            else:
                mode = PNG_LAYOUTS[names]
                pixels = np.asarray(pil if pil.mode in (mode, "I;16") else pil.convert(mode))
            text = {k: v for k, v in pil.text.items() if isinstance(v, str)}
        except (OSError, SyntaxError, ValueError, zlib.error) as exc:
            raise ImageError(f"{path}: cannot read the PNG pixels: {exc}") from None
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    channels = {name: np.ascontiguousarray(pixels[:, :, i]) for i, name in enumerate(names)}
    return Image(channels, PNG, text)


def _read_png16(path: Path, pil: PngImagePlugin.PngImageFile) -> np.ndarray:
    """A 16-bit RGB(A) PNG, not yet loaded, as ``(height, width, bands)`` ``uint16``.

    Pillow has no 16-bit colour mode: its decoder unfilters the rows, then keeps the high
    byte of each big-endian sample (raw mode "RGB;16B"). Decoding a second time with the
    little-endian unpacker ("RGB;16L") keeps the other byte, the low one.
    """
    rawmode = pil.tile[0].args
    rawmode = rawmode[0] if isinstance(rawmode, tuple) else rawmode
    if rawmode not in ("RGB;16B", "RGBA;16B"):
        raise ImageError(f"{path}: unexpected 16-bit PNG layout {rawmode}")
    with _open_png(path) as again:
        again.tile = [again.tile[0]._replace(args=rawmode.replace(";16B", ";16L"))]
        low = np.asarray(again).astype(np.uint16)
    high = np.asarray(pil).astype(np.uint16)
    return (high << 8) | low


def write_png(image: Image, path: Path) -> Path:
    """Write ``image`` as a PNG: channels ``R G B [A]`` or ``Y [A]``, all ``uint8`` or all
    ``uint16`` (16-bit grey + alpha is not supported); the text attributes become text chunks.
    """
    path = Path(path)
    _check_channels(image, path, PNG_DTYPES, "PNG")
    names = _png_names(image, path)
    dtypes = {a.dtype for a in image.channels.values()}
    if len(dtypes) > 1:
        raise ImageError(
            f"{path}: PNG channels must share one bit depth, not {sorted(map(str, dtypes))}"
        )
    planes = [image.channels[name] for name in names]
    pixels = planes[0] if len(planes) == 1 else np.dstack(planes)
    text = {str(k): str(v) for k, v in image.attributes.items() if isinstance(v, str)}
    try:
        if pixels.dtype == np.uint16 and len(planes) > 1:
            if names == ("Y", "A"):
                raise ImageError(f"{path}: 16-bit grey + alpha PNG files are not supported")
            _write_png16(path, pixels, text)
        else:
            info = PngImagePlugin.PngInfo()
            for key, value in text.items():
                info.add_text(key, value)
            PILImage.fromarray(np.ascontiguousarray(pixels)).save(path, format="PNG", pnginfo=info)
    except OSError as exc:
        raise ImageError(f"{path}: cannot write the PNG file: {exc.strerror or exc}") from None
    return path


def _png_names(image: Image, path: Path) -> tuple[str, ...]:
    """The channel set in PNG order, or an error naming what is wrong with it."""
    given = set(image.channels)
    for names in PNG_LAYOUTS:
        if given == set(names):
            return names
    raise ImageError(
        f"{path}: a PNG holds channels R G B [A] or Y [A], not {' '.join(sorted(given))}"
    )


def _png_chunk(kind: bytes, data: bytes | memoryview) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + bytes(data)
        + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))
    )


def _write_png16(path: Path, pixels: np.ndarray, text: dict[str, str]) -> None:
    """Write ``(height, width, 3 or 4)`` ``uint16`` pixels as a 16-bit RGB(A) PNG.

    Each row is stored with PNG's "Up" filter (the byte-wise difference from the row
    above), which numpy computes for the whole image at once.
    """
    height, width, bands = pixels.shape
    raw = np.ascontiguousarray(pixels, dtype=">u2").view(np.uint8).reshape(height, -1)
    rows = np.empty((height, raw.shape[1] + 1), dtype=np.uint8)
    rows[:, 0] = 2  # filter type Up
    rows[0, 1:] = raw[0]
    np.subtract(raw[1:], raw[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps, as PNG wants
    color_type = 2 if bands == 3 else 6
    ihdr = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    compressed = zlib.compress(rows.data, 6)
    with path.open("wb") as f:
        f.write(_PNG_MAGIC)
        f.write(_png_chunk(b"IHDR", ihdr))
        for key, value in text.items():
            f.write(
                _png_chunk(
                    b"iTXt",
                    key.encode("latin-1", "replace")[:79] + b"\0\0\0\0\0" + value.encode("utf-8"),
                )
            )
        view = memoryview(compressed)
        step = 1 << 23
        for start in range(0, max(len(view), 1), step):
            f.write(_png_chunk(b"IDAT", view[start : start + step]))
        f.write(_png_chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- preview


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """The sRGB transfer function (IEC 61966-2-1) of linear values in 0..1."""
    values = np.asarray(values, dtype=np.float32)
    return np.where(
        values <= 0.0031308,
        values * 12.92,
        1.055 * np.power(np.maximum(values, 0.0031308), 1 / 2.4) - 0.055,
    ).astype(np.float32)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """The inverse of :func:`linear_to_srgb`."""
    values = np.asarray(values, dtype=np.float32)
    return np.where(
        values <= 0.04045,
        values / 12.92,
        np.power((np.maximum(values, 0.04045) + 0.055) / 1.055, 2.4),
    ).astype(np.float32)


def preview_size(width: int, height: int, max_size: int) -> tuple[int, int]:
    """The size of a preview: the longer side ``max_size`` (never enlarged), aspect kept."""
    if max_size < 1:
        raise ValueError(f"max_size must be 1 or more, not {max_size}")
    scale = min(1.0, max_size / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _color_names(names: list[str]) -> tuple[list[str], str | None]:
    """The colour channels a preview shows (``R G B`` or one grey) and the alpha, if any.

    Plain ``R G B`` first; else a layer's ``<layer>.R/G/B``, preferring a beauty or
    combined pass (Blender's multilayer ``ViewLayer.Combined.R``); else ``Y``; else the
    first channel, as grey.
    """
    present = set(names)
    layers = [n[:-1] for n in names if n == "R" or n.endswith(".R")]
    layers = [p for p in layers if p + "G" in present and p + "B" in present]
    if layers:
        prefix = min(
            layers,
            key=lambda p: (
                p != "",
                not any(w in p.lower() for w in ("combined", "beauty", "rgba")),
                p,
            ),
        )
        alpha = prefix + "A"
        return [prefix + "R", prefix + "G", prefix + "B"], alpha if alpha in present else None
    grey = "Y" if "Y" in present else sorted(names)[0]
    prefix = grey[: -len(grey.rsplit(".", 1)[-1])]
    alpha = prefix + "A"
    return [grey], alpha if alpha in present and alpha != grey else None


def _premultiplied(image: Image) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(colour (h, w, 3), alpha (h, w), linear)`` as float32, colour premultiplied."""
    color_names, alpha_name = _color_names(list(image.channels))
    color = np.dstack([image.channels[n].astype(np.float32) for n in color_names])
    if color.shape[2] == 1:
        color = np.repeat(color, 3, axis=2)
    if alpha_name:
        alpha = image.channels[alpha_name].astype(np.float32)
    else:
        alpha = np.ones(color.shape[:2], np.float32)
    if image.format == EXR:  # EXR colour is linear light and already premultiplied
        return np.nan_to_num(color), np.clip(np.nan_to_num(alpha), 0, 1), True
    scale = np.float32(np.iinfo(image.channels[color_names[0]].dtype).max)
    color /= scale
    if alpha_name:
        alpha /= scale
    return color * alpha[:, :, np.newaxis], alpha, False


def _read_any(path: Path) -> Image:
    """EXR or PNG through :func:`read_image`; anything else Pillow opens, as 8-bit RGBA."""
    try:
        kind = detect_format(path)
    except ImageError as exc:
        try:
            with PILImage.open(path) as pil:
                rgba = np.asarray(pil.convert("RGBA"))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise exc from None
        return Image({name: rgba[:, :, i] for i, name in enumerate("RGBA")}, PNG)
    return read_exr(path) if kind == EXR else read_png(path)


def make_preview(src: Path, dest: Path, max_size: int = 512) -> Path:
    """Write a small sRGB preview of ``src`` to ``dest`` (JPEG, or PNG if ``dest`` ends .png).

    The longer side becomes ``max_size`` (small images keep their size). The image is
    shrunk by averaging (in linear light for EXR), shown over a neutral grey where it is
    transparent, and EXR's linear values are clamped to 0..1 and encoded as sRGB.
    """
    src, dest = Path(src), Path(dest)
    suffix = dest.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise ImageError(f"{dest}: a preview is a .jpg or .png file")
    image = _read_any(src)
    color, alpha, linear = _premultiplied(image)
    size = preview_size(image.width, image.height, max_size)
    if size != (image.width, image.height):
        planes = [color[:, :, i] for i in range(3)] + [alpha]
        planes = [np.asarray(_shrink(p, size)) for p in planes]
        color, alpha = np.dstack(planes[:3]), planes[3]
    background = np.asarray(PREVIEW_BACKGROUND / 255, dtype=np.float32)
    if linear:
        background = srgb_to_linear(background)
    shown = color + (1 - alpha[:, :, np.newaxis]) * background
    shown = np.clip(shown, 0, 1)
    if linear:
        shown = linear_to_srgb(shown)
    pixels = np.floor(shown * 255 + 0.5).astype(np.uint8)
    try:
        if suffix == ".png":
            PILImage.fromarray(pixels).save(dest, format="PNG")
        else:
            PILImage.fromarray(pixels).save(dest, format="JPEG", quality=85)
    except OSError as exc:
        raise ImageError(f"{dest}: cannot write the preview: {exc.strerror or exc}") from None
    return dest


def _shrink(plane: np.ndarray, size: tuple[int, int]) -> PILImage.Image:
    """One float plane resized to ``size`` by area averaging (no ringing around highlights)."""
    return PILImage.fromarray(np.ascontiguousarray(plane, dtype=np.float32)).resize(
        size, PILImage.Resampling.BOX
    )
