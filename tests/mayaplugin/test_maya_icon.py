"""The shelf icon: a real 32×32 PNG drawn from the SVG, readable on Maya's dark shelf."""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET

import pytest
from maya_session import ICON_DIR

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def make_png(qapp):
    """`icons/make_png.py`, the script that renders the committed PNGs."""
    sys.path.insert(0, str(ICON_DIR))
    try:
        import make_png

        yield make_png
    finally:
        sys.path.remove(str(ICON_DIR))
        sys.modules.pop("make_png", None)


def opaque_pixels(image) -> list[tuple[int, int, int]]:
    out = []
    for y in range(image.height()):
        for x in range(image.width()):
            color = image.pixelColor(x, y)
            if color.alpha() > 128:
                out.append((color.red(), color.green(), color.blue()))
    return out


@pytest.mark.parametrize(("name", "size"), [("farmhand.png", 32), ("farmhand_64.png", 64)])
def test_png_has_its_size_and_is_not_blank(make_png, name, size):
    from PySide6.QtGui import QImage

    image = QImage(str(ICON_DIR / name))
    assert not image.isNull()
    assert (image.width(), image.height()) == (size, size)
    pixels = opaque_pixels(image)
    assert len(pixels) > size * size // 3  # a glyph, not a speck
    assert len(pixels) < size * size  # with a transparent background around it
    assert len(set(pixels)) > 4  # several colours, not one flat block
    # light slabs and a green sprout stand out on Maya's dark grey (#444) shelf
    assert any(min(p) > 180 for p in pixels)
    assert any(g > r + 60 and g > b + 60 for r, g, b in pixels)


def test_committed_pngs_are_renders_of_the_svg(make_png):
    from PySide6.QtGui import QImage

    for name, size in make_png.SIZES.items():
        committed = QImage(str(ICON_DIR / name)).convertToFormat(QImage.Format.Format_ARGB32)
        fresh = make_png.render(ICON_DIR / "farmhand.svg", size)
        differing = sum(
            1
            for y in range(size)
            for x in range(size)
            if abs(committed.pixelColor(x, y).alpha() - fresh.pixelColor(x, y).alpha()) > 16
        )
        assert differing <= size  # re-run icons/make_png.py after editing the SVG


def test_svg_is_square_and_titled():
    root = ET.parse(ICON_DIR / "farmhand.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 64 64"
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Farmhand"
