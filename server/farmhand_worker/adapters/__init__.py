"""Renderer adapters by name: `maya`, `blender`, `command` (see `base` for the contract)."""

from __future__ import annotations

import importlib

from farmhand_worker.adapters.base import (
    Adapter,
    AdapterError,
    LineEvent,
    RenderCommand,
    RenderTask,
    TileJob,
)

__all__ = ["Adapter", "AdapterError", "LineEvent", "RenderCommand", "RenderTask", "TileJob", "get"]

_MODULES = {"maya": "maya", "blender": "blender", "command": "command"}


def get(name: str) -> Adapter:
    """The adapter for a spec's `renderer.adapter`; AdapterError for an unknown name."""
    module = _MODULES.get(name)
    if module is None:
        raise AdapterError(f"unknown renderer adapter {name!r}; known: {', '.join(_MODULES)}")
    return importlib.import_module(f"{__name__}.{module}").ADAPTER
