"""Checks of the job-spec options every adapter reads: names, image size, extra arguments.

The spec comes from a client, so each value is checked before it reaches an
argv; a bad one is an AdapterError naming the field.
"""

from __future__ import annotations

import re

from farmhand.spec.render_options import extra_args_problems

from farmhand_worker.adapters.base import AdapterError, RenderTask


def names(task: RenderTask, key: str, pattern: re.Pattern[str], what: str) -> list[str]:
    """The spec's list under `key` (layers, cameras), each name matching `pattern`."""
    found = task.spec.get(key) or []
    if not isinstance(found, list):
        raise AdapterError(f"{key} must be a list of {what}s")
    for name in found:
        if not isinstance(name, str) or not pattern.fullmatch(name):
            raise AdapterError(f"{key}: {name!r} is not a {what}")
    return found


def image_size(task: RenderTask) -> tuple[int, int] | None:
    """The frame's width and height: the tile's frame, else the spec's (None when unset)."""
    if task.tile is not None:
        return task.tile.image_width, task.tile.image_height
    width, height = task.spec.get("width"), task.spec.get("height")
    if width is None or height is None:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height)):
        raise AdapterError(f"width and height must be positive whole numbers, not {width}x{height}")
    return width, height


def extra_args(task: RenderTask, adapter: str) -> list[str]:
    """`renderer.extra_args` when every item is on the adapter's allowlist, else AdapterError.

    The allowlist is :mod:`farmhand.spec.render_options`, the one submit checks too: a job
    that reached this worker without that check (an older server) is refused here.
    """
    renderer = task.renderer
    problems = extra_args_problems(adapter, renderer.get("extra_args"), renderer.get("name"))
    if problems:
        raise AdapterError(problems[0])
    return list(renderer.get("extra_args") or [])
