"""Render `farmhand.svg` to the PNGs Maya shows (32×32 shelf icon, 64×64 for high-DPI).

Run after editing the SVG: `.venv/bin/python icons/make_png.py`. Uses
PySide6's QtSvg (in PySide6-Essentials); the PNGs are committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"farmhand.png": 32, "farmhand_64.png": 64}


def render(svg: Path, size: int) -> object:
    """The SVG drawn into a transparent size×size QImage."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    """Write every PNG next to the SVG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for name, size in SIZES.items():
        if not render(HERE / "farmhand.svg", size).save(str(HERE / name)):
            raise OSError(f"cannot write {HERE / name}")
        print(f"wrote {HERE / name} ({size}x{size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
