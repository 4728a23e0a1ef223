"""Byte counts for people, in binary units named as such (KiB, MiB, …), for the CLI and the
panel alike."""

from __future__ import annotations

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def size(n: int | float | None) -> str:
    """`0 B`, `1023 B`, `1.0 KiB` for 1,024 bytes, `5.0 GiB`; "" when unknown.

    >>> size(0), size(1023), size(1024), size(1536), size(5 * 2**30), size(None)
    ('0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 GiB', '')
    """
    if n is None:
        return ""
    value = float(n)
    for unit in UNITS:
        if abs(value) < 1024 or unit == UNITS[-1]:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # pragma: no cover
