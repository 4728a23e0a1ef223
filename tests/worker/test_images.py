"""The worker's image files: EXR and PNG round trips, headers, errors, and previews."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from farmhand_worker.outputs.images import (
    EXR,
    PNG,
    PREVIEW_BACKGROUND,
    Image,
    ImageError,
    detect_format,
    linear_to_srgb,
    make_preview,
    preview_size,
    read_exr,
    read_image,
    read_info,
    read_png,
    write_image,
)
from image_samples import assert_same_pixels, random_image, random_plane
from PIL import Image as PILImage

# ----------------------------------------------------------------------------- EXR


@pytest.mark.parametrize(
    "compression",
    [
        OpenEXR.NO_COMPRESSION,
        OpenEXR.ZIP_COMPRESSION,
        OpenEXR.ZIPS_COMPRESSION,
        OpenEXR.PIZ_COMPRESSION,
        OpenEXR.RLE_COMPRESSION,
    ],
)
def test_exr_round_trip_keeps_every_channel_type_and_bit(tmp_path: Path, compression) -> None:
    attributes = {"compression": compression, "Camera": "shotCam", "owner": "farmhand"}
    original = random_image(37, 23, seed=1, attributes=attributes)
    path = write_image(original, tmp_path / "frame.exr")

    found = read_image(path)

    assert found.format == EXR
    assert_same_pixels(found, original)
    assert {n: a.dtype.name for n, a in found.channels.items()} == {
        "A": "float16", "B": "float16", "G": "float16", "ID": "uint32", "R": "float16",
        "ViewLayer.Combined.R": "float16", "Z": "float32",
    }  # fmt: skip
    assert found.attributes["compression"] == compression
    assert found.attributes["Camera"] == "shotCam"
    assert found.attributes["owner"] == "farmhand"
    assert (found.width, found.height, found.origin, found.display_size) == (
        37,
        23,
        (0, 0),
        (37, 23),
    )

    again = write_image(found, tmp_path / "again.exr")
    assert_same_pixels(read_image(again), original)
    assert read_image(again).attributes.keys() == found.attributes.keys()


def test_exr_data_window_inside_a_larger_display_window(tmp_path: Path) -> None:
    region = (np.array([10, 5], np.int32), np.array([41, 28], np.int32))  # 32 x 24 at (10, 5)
    frame = (np.array([0, 0], np.int32), np.array([63, 47], np.int32))
    attributes = {
        "compression": OpenEXR.PIZ_COMPRESSION,
        "dataWindow": region,
        "displayWindow": frame,
    }
    original = random_image(32, 24, {"R": np.float16, "Z": np.float32}, attributes=attributes)
    path = write_image(original, tmp_path / "region.exr")

    found, info = read_image(path), read_info(path)

    assert_same_pixels(found, original)
    assert (found.origin, found.display_size) == ((10, 5), (64, 48))
    assert (info.width, info.height, info.origin, info.display_size) == (32, 24, (10, 5), (64, 48))
    assert info.channels == ("R", "Z")


def test_exr_tiled_storage_is_kept(tmp_path: Path) -> None:
    tiles = OpenEXR.TileDescription()
    tiles.xSize, tiles.ySize, tiles.mode = 16, 8, OpenEXR.ONE_LEVEL
    attributes = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.tiledimage,
        "tiles": tiles,
    }
    original = random_image(45, 30, attributes=attributes)

    found = read_image(write_image(original, tmp_path / "tiled.exr"))

    assert_same_pixels(found, original)
    assert found.attributes["type"] == OpenEXR.tiledimage
    assert (found.attributes["tiles"].xSize, found.attributes["tiles"].ySize) == (16, 8)


def test_exr_written_from_strided_arrays_is_right(tmp_path: Path) -> None:
    wide = random_image(40, 10, {"R": np.float32})
    strided = Image({"R": wide.channels["R"][:, ::2]}, EXR)

    found = read_image(write_image(strided, tmp_path / "strided.exr"))

    assert np.array_equal(
        found.channels["R"].view(np.uint32), strided.channels["R"].view(np.uint32)
    )


def test_an_image_made_in_memory_sits_at_the_origin() -> None:
    image = random_image(9, 5, {"R": np.float16}, attributes={})

    assert (image.width, image.height, image.origin, image.display_size) == (9, 5, (0, 0), (9, 5))


def test_read_info_matches_the_pixels(tmp_path: Path) -> None:
    path = write_image(random_image(19, 7), tmp_path / "info.exr")

    info, image = read_info(path), read_image(path)

    assert info.format == EXR and info.path == path
    assert set(info.channels) == set(image.channels)
    assert (info.width, info.height) == (image.width, image.height) == (19, 7)


# ----------------------------------------------------------------------------- PNG


@pytest.mark.parametrize(
    ("names", "dtype"),
    [
        ("RGB", np.uint8),
        ("RGBA", np.uint8),
        ("Y", np.uint8),
        ("YA", np.uint8),
        ("RGB", np.uint16),
        ("RGBA", np.uint16),
        ("Y", np.uint16),
    ],
)
def test_png_round_trip(tmp_path: Path, names: str, dtype) -> None:
    original = random_image(33, 21, dict.fromkeys(names, dtype), fmt=PNG, seed=4)
    original.attributes["Software"] = "farmhand test"
    path = write_image(original, tmp_path / "frame.png")

    found = read_image(path)

    assert found.format == PNG and detect_format(path) == PNG
    assert_same_pixels(found, original)
    assert found.attributes["Software"] == "farmhand test"
    assert read_info(path).channels == tuple(names)
    with PILImage.open(path) as pil:  # a real PNG of the right depth, as others see it
        assert pil.size == (33, 21)
    assert _png_bit_depth(path) == 8 * np.dtype(dtype).itemsize


def test_png_palette_and_one_bit_files_widen_to_8_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    PILImage.fromarray(rgb).quantize(16).save(tmp_path / "palette.png")
    PILImage.fromarray(rng.integers(0, 2, (9, 11), dtype=np.uint8) * 255).convert("1").save(
        tmp_path / "bits.png"
    )

    palette, bits = read_image(tmp_path / "palette.png"), read_image(tmp_path / "bits.png")

    expected = np.asarray(PILImage.open(tmp_path / "palette.png").convert("RGB"))
    assert list(palette.channels) == ["R", "G", "B"]
    assert np.array_equal(np.dstack(list(palette.channels.values())), expected)
    assert list(bits.channels) == ["Y"] and set(np.unique(bits.channels["Y"])) <= {0, 255}


def _rgba64_sample(height: int, width: int) -> np.ndarray:
    """Smooth ramps plus noise, so libpng picks its Sub/Average/Paeth row filters."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    return np.dstack(
        [
            x * 1000 + y * 7 + rng.integers(0, 300, (height, width)),
            y * 1500 + x * 3,
            x * y * 20 + rng.integers(0, 5000, (height, width)),
            rng.integers(0, 65536, (height, width)),
        ]
    ).astype(np.uint16)


def _png_filters(path: Path, height: int) -> set[int]:
    """The row filter types in a PNG (first byte of each inflated row)."""
    data, pos, idat = path.read_bytes(), 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = len(raw) // height
    return {raw[row * stride] for row in range(height)}


def _png_bit_depth(path: Path) -> int:
    return path.read_bytes()[24]


def _qimage():
    """Qt's QImage (libpng inside): a second, independent PNG codec. No QApplication needed."""
    return pytest.importorskip(
        "PySide6.QtGui", reason="PySide6 (the [dev] extra) is not installed"
    ).QImage


@pytest.mark.parametrize("bands", [3, 4])
def test_16_bit_png_from_another_writer_reads_bit_exact(tmp_path: Path, bands: int) -> None:
    QImage = _qimage()

    pixels = _rgba64_sample(40, 50)
    fmt = QImage.Format.Format_RGBA64 if bands == 4 else QImage.Format.Format_RGBX64
    qimage = QImage(pixels.tobytes(), 50, 40, 50 * 8, fmt)
    path = tmp_path / "qt.png"
    assert qimage.save(str(path), "PNG")
    assert _png_bit_depth(path) == 16
    assert _png_filters(path, 40) - {0, 2}, "libpng used no Sub/Average/Paeth filter"

    found = read_image(path)

    names = "RGBA"[:bands]
    assert list(found.channels) == list(names)
    for i, name in enumerate(names):
        assert np.array_equal(found.channels[name], pixels[:, :, i]), name


def test_16_bit_png_we_write_reads_right_in_another_reader(tmp_path: Path) -> None:
    QImage = _qimage()

    pixels = _rgba64_sample(30, 20)
    image = Image({name: pixels[:, :, i] for i, name in enumerate("RGBA")}, PNG)
    path = write_image(image, tmp_path / "ours.png")

    qimage = QImage(str(path)).convertToFormat(QImage.Format.Format_RGBA64)
    assert (qimage.width(), qimage.height()) == (20, 30)
    stride = qimage.bytesPerLine() // 2
    seen = np.frombuffer(qimage.constBits(), np.uint16, count=30 * stride).reshape(30, stride)
    assert np.array_equal(seen[:, : 20 * 4].reshape(30, 20, 4), pixels)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.97])
def test_truncated_exr_names_the_file(tmp_path: Path, keep: float) -> None:
    whole = write_image(random_image(64, 64, seed=2), tmp_path / "whole.exr").read_bytes()
    cut = tmp_path / "cut.exr"
    cut.write_bytes(whole[: int(len(whole) * keep)])

    with pytest.raises(ImageError, match=r"cut\.exr: .*(truncated|damaged|cannot read)"):
        read_image(cut)


def test_damaged_exr_pixels_name_the_file(tmp_path: Path) -> None:
    # Smooth pixels, so every chunk is really compressed: EXR has no checksum, and a
    # damaged chunk of noise (stored uncompressed) reads as other noise.
    y, x = np.mgrid[0:64, 0:64]
    smooth = Image({"R": (x * y / 4096).astype(np.float16)}, EXR)
    data = bytearray(write_image(smooth, tmp_path / "ok.exr").read_bytes())
    data[-300:-292] = b"\xff" * 8
    bad = tmp_path / "bad.exr"
    bad.write_bytes(bytes(data))

    with pytest.raises(ImageError, match=r"bad\.exr: the EXR file is truncated or damaged"):
        read_image(bad)


def test_truncated_png_names_the_file(tmp_path: Path) -> None:
    image = random_image(64, 64, dict.fromkeys("RGB", np.uint8), fmt=PNG)
    whole = write_image(image, tmp_path / "whole.png").read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(ImageError, match=r"cut\.png: cannot read the PNG pixels: .*truncated"):
        read_image(cut)


def test_not_an_image_and_missing_file(tmp_path: Path) -> None:
    junk = tmp_path / "notes.exr"
    junk.write_text("not pixels")
    exr = write_image(random_image(4, 4), tmp_path / "frame.exr")

    with pytest.raises(ImageError, match=r"notes\.exr: not an EXR or PNG file"):
        read_image(junk)
    with pytest.raises(ImageError, match=r"gone\.png: cannot open"):
        read_info(tmp_path / "gone.png")
    with pytest.raises(ImageError, match=r"gone\.png: cannot open"):
        read_png(tmp_path / "gone.png")
    with pytest.raises(ImageError, match=r"frame\.exr: not a PNG file"):
        read_png(exr)
    with pytest.raises(ImageError, match=r"notes\.exr: cannot read the EXR file"):
        read_exr(junk)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (Image({"R": np.zeros((2, 2), np.float64)}, EXR), r"channel R is float64; EXR takes"),
        (
            Image({"R": np.zeros((2, 2), np.float16), "G": np.zeros((3, 2), np.float16)}, EXR),
            r"channel G is \(3, 2\), the others \(2, 2\)",
        ),
        (Image({}, EXR), "no channels"),
        (Image({"R": np.zeros((2, 2, 3), np.float16)}, EXR), "channel R is not a 2-D array"),
        (Image({"R": np.zeros((2, 2), np.uint8)}, PNG), r"R G B \[A\] or Y \[A\], not R"),
        (
            Image(
                {c: np.zeros((2, 2), np.uint8) for c in "RG"} | {"B": np.zeros((2, 2), np.uint16)},
                PNG,
            ),
            "share one bit depth",
        ),
        (Image({c: np.zeros((2, 2), np.uint16) for c in "YA"}, PNG), "16-bit grey \\+ alpha"),
        (Image({c: np.zeros((2, 2), np.float16) for c in "RGB"}, PNG), "channel R is float16; PNG"),
        (Image({"R": np.zeros((2, 2), np.float16)}, "tiff"), "format 'tiff'"),
    ],
)
def test_writing_a_bad_image_names_the_file_and_problem(tmp_path: Path, image, message) -> None:
    with pytest.raises(ImageError, match=r"out\.img: .*" + message):
        write_image(image, tmp_path / "out.img")


def test_exr_data_window_not_matching_the_pixels(tmp_path: Path) -> None:
    window = (np.array([0, 0], np.int32), np.array([3, 3], np.int32))
    image = Image({"R": np.zeros((2, 2), np.float16)}, EXR, {"dataWindow": window})

    with pytest.raises(ImageError, match=r"w\.exr: cannot write the EXR file: dataWindow"):
        write_image(image, tmp_path / "w.exr")


def test_writing_into_a_missing_folder_names_the_file(tmp_path: Path) -> None:
    exr = random_image(4, 4)
    png = random_image(4, 4, dict.fromkeys("RGB", np.uint16), fmt=PNG)

    with pytest.raises(ImageError, match=r"nowhere/a\.exr: cannot write"):
        write_image(exr, tmp_path / "nowhere" / "a.exr")
    with pytest.raises(ImageError, match=r"nowhere/b\.png: cannot write"):
        write_image(png, tmp_path / "nowhere" / "b.png")


# ----------------------------------------------------------------------------- previews


def _exr(path: Path, planes: dict[str, np.ndarray]) -> Path:
    return write_image(Image({n: a.astype(np.float32) for n, a in planes.items()}, EXR), path)


def _preview_pixels(path: Path) -> np.ndarray:
    with PILImage.open(path) as pil:
        return np.asarray(pil.convert("RGB"))


@pytest.mark.parametrize(
    ("size", "max_size", "expected"),
    [((1000, 500), 512, (512, 256)), ((300, 900), 512, (171, 512)), ((100, 50), 512, (100, 50))],
)
def test_preview_size_keeps_the_aspect(
    tmp_path: Path, size: tuple[int, int], max_size: int, expected: tuple[int, int]
) -> None:
    width, height = size
    src = _exr(tmp_path / "f.exr", {c: np.full((height, width), 0.25) for c in "RGB"})

    dest = make_preview(src, tmp_path / "f.jpg", max_size)

    assert preview_size(width, height, max_size) == expected
    with PILImage.open(dest) as pil:
        assert pil.format == "JPEG"
        assert pil.size == expected


def test_preview_encodes_linear_light_as_srgb_and_clamps(tmp_path: Path) -> None:
    values = np.array([[0.0, 0.18, 0.5, 1.0, 4.0, -1.0, np.nan]], np.float32)
    src = _exr(tmp_path / "ramp.exr", {c: values for c in "RGB"})

    pixels = _preview_pixels(make_preview(src, tmp_path / "ramp.png"))

    assert pixels[0, :, 0].tolist() == [0, 118, 188, 255, 255, 0, 0]
    assert np.all(pixels[0, :, 0:1] == pixels[0])  # grey stays grey
    assert float(linear_to_srgb(np.float32(0.5))) == pytest.approx(0.735357, abs=1e-5)


def test_preview_shrinks_in_linear_light(tmp_path: Path) -> None:
    checker = np.indices((64, 64)).sum(axis=0) % 2  # 0 and 1, averaging to 0.5 linear
    src = _exr(tmp_path / "checker.exr", {c: checker for c in "RGB"})

    pixels = _preview_pixels(make_preview(src, tmp_path / "checker.png", max_size=8))

    assert pixels.shape == (8, 8, 3)
    assert np.all(pixels == 188)  # sRGB of linear 0.5, not 128 (the average of the codes)


def test_preview_composites_alpha_over_neutral_grey(tmp_path: Path) -> None:
    # premultiplied: transparent black, half-covered linear 0.5 red, opaque white
    r = np.array([[0.0, 0.25, 1.0]])
    g = b = np.array([[0.0, 0.0, 1.0]])
    a = np.array([[0.0, 0.5, 1.0]])
    src = _exr(tmp_path / "alpha.exr", {"R": r, "G": g, "B": b, "A": a})

    pixels = _preview_pixels(make_preview(src, tmp_path / "alpha.png"))

    grey = PREVIEW_BACKGROUND / 255
    grey_linear = ((grey + 0.055) / 1.055) ** 2.4
    half = float(linear_to_srgb(np.float32(0.5 * grey_linear)))
    assert pixels[0, 0].tolist() == [PREVIEW_BACKGROUND] * 3
    assert pixels[0, 1].tolist() == [
        round(float(linear_to_srgb(np.float32(0.25 + 0.5 * grey_linear))) * 255),
        round(half * 255),
        round(half * 255),
    ]
    assert pixels[0, 2].tolist() == [255, 255, 255]


def test_preview_of_a_multilayer_exr_shows_the_combined_pass(tmp_path: Path) -> None:
    ones, zeros = np.ones((4, 6)), np.zeros((4, 6))
    planes = {
        "ViewLayer.Combined.R": ones, "ViewLayer.Combined.G": zeros, "ViewLayer.Combined.B": zeros,
        "ViewLayer.Combined.A": ones, "ViewLayer.Normal.R": zeros, "ViewLayer.Normal.G": ones,
        "ViewLayer.Normal.B": zeros, "ViewLayer.Depth.Z": ones * 7,
    }  # fmt: skip
    src = _exr(tmp_path / "layers.exr", planes)

    pixels = _preview_pixels(make_preview(src, tmp_path / "layers.png"))

    assert np.all(pixels == [255, 0, 0])


def test_preview_of_a_png_keeps_its_srgb_values(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = [200, 100, 50, 255]  # opaque: unchanged
    rgba[0, 1] = [10, 20, 30, 0]  # transparent: the background
    rgba[1, :] = [255, 255, 255, 255]
    src = tmp_path / "frame.png"
    PILImage.fromarray(rgba).save(src)

    pixels = _preview_pixels(make_preview(src, tmp_path / "frame_preview.png"))

    assert pixels[0, 0].tolist() == [200, 100, 50]
    assert pixels[0, 1].tolist() == [PREVIEW_BACKGROUND] * 3


def test_preview_of_a_16_bit_png_and_of_a_jpeg(tmp_path: Path) -> None:
    png = random_image(40, 20, dict.fromkeys("RGB", np.uint16), fmt=PNG)
    png_src = write_image(png, tmp_path / "deep.png")
    jpeg_src = tmp_path / "photo.jpg"
    PILImage.fromarray(np.full((10, 30, 3), 90, np.uint8)).save(jpeg_src)

    deep = _preview_pixels(make_preview(png_src, tmp_path / "deep_preview.png", max_size=40))
    photo = make_preview(jpeg_src, tmp_path / "photo_preview.jpg", max_size=15)

    expected = np.floor(png.channels["R"] / 65535 * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(deep[:, :, 0], expected)
    with PILImage.open(photo) as pil:
        assert pil.size == (15, 5)


def test_preview_errors_name_the_file(tmp_path: Path) -> None:
    src = _exr(tmp_path / "f.exr", {"R": np.zeros((2, 2))})
    junk = tmp_path / "junk.exr"
    junk.write_bytes(b"\0" * 100)

    with pytest.raises(ImageError, match=r"f\.gif: a preview is a \.jpg or \.png file"):
        make_preview(src, tmp_path / "f.gif")
    with pytest.raises(ImageError, match=r"junk\.exr: not an EXR or PNG file"):
        make_preview(junk, tmp_path / "junk.jpg")
    with pytest.raises(ValueError, match="max_size"):
        make_preview(src, tmp_path / "f.jpg", max_size=0)


def test_random_sample_planes_hold_special_values() -> None:
    """The bit-exact tests above mean something only if NaNs and infinities are in play."""
    for dtype in (np.float16, np.float32):
        plane = random_plane(np.random.default_rng(0), 16, 16, dtype)
        assert np.isnan(plane).any() and np.isposinf(plane).any() and np.isneginf(plane).any()
        assert (np.signbit(plane) & (plane == 0)).any()  # -0.0
        assert ((plane != 0) & (np.abs(plane) < np.finfo(dtype).smallest_normal)).any()
