"""Maya time units (`currentUnit -t`) and their frame rates.

Time values in a `.ma` file (`.fs`, `.ef`, `time1.o`, Render Setup override
values) are written in the scene's current time unit, and Maya's frame *is*
that unit: `setAttr ".fs" 101` in an ntsc scene is frame 101 at 30 fps. So a
written value is a frame number as it stands; the unit gives the frame rate,
which the job needs for movie outputs and for anything measured in seconds.
"""

from __future__ import annotations

import re

FPS: dict[str, float] = {
    "hour": 1 / 3600,
    "min": 1 / 60,
    "sec": 1.0,
    "millisec": 1000.0,
    "game": 15.0,
    "film": 24.0,
    "pal": 25.0,
    "ntsc": 30.0,
    "show": 48.0,
    "palf": 50.0,
    "ntscf": 60.0,
}

_NFPS = re.compile(r"^(\d+(?:\.\d+)?)fps$")


def fps(unit: str) -> float:
    """Frames per second of a Maya time unit (`film` → 24.0, `23.976fps` → 23.976).

    >>> fps("ntsc"), fps("80fps"), fps("23.976fps")
    (30.0, 80.0, 23.976)
    """
    if unit in FPS:
        return FPS[unit]
    m = _NFPS.match(unit)
    if m is None:
        raise ValueError(f"unknown Maya time unit {unit!r}")
    return float(m.group(1))


def frame_number(value: float) -> int | float:
    """A frame as a whole number when it is one (Maya writes `1` or `1.0001`).

    >>> frame_number(10.0), frame_number(12.5)
    (10, 12.5)
    """
    rounded = round(value)
    return int(rounded) if abs(value - rounded) < 1e-6 else value
