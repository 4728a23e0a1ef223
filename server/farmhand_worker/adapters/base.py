"""What every renderer adapter gets and gives: the seam between the daemon and a renderer.

The daemon (``farmhand_worker.daemon``) fetches the task's files, maps paths,
then asks the job's adapter to turn the task into a :class:`RenderCommand`: an
argv (never a shell string), extra environment, the files the renderer must
leave behind, and text files (scripts) to write first. While the process runs,
each line it prints goes through :meth:`Adapter.parse_line`, which may report
progress or a fatal condition (a licence failure, a missing file) that fails
the attempt even if the renderer exits 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from farmhand.spec.tiles import Tile


@dataclass(slots=True)
class TileJob:
    """The tile a task renders: its rectangle (pixels, top-left origin) and the frame's size."""

    tile: Tile
    count: int
    image_width: int
    image_height: int


@dataclass(slots=True)
class RenderTask:
    """One task as an adapter sees it; every path is local to this worker and already mapped."""

    job_id: int
    task_id: int
    attempt_id: int
    kind: str  # chunk | tile (assembly runs in the worker itself, not through an adapter)
    frames: list[int]
    scene: Path  # the job's scene file, laid out under job_root
    job_root: Path  # where the job's files live, by their mapped paths
    output_dir: Path  # empty before the run; every file the renderer leaves here is uploaded
    work_dir: Path  # scratch for scripts the adapter writes (pre-render MEL, Python)
    spec: dict[str, Any]  # the whole JobSpec: renderer options, layers, cameras, size, prefix
    tile: TileJob | None = None
    executable: str | None = None  # the worker's configured executable for this software
    project_dir: Path | None = None  # the mapped Maya project, when the spec names one
    path_map: dict[str, str] = field(default_factory=dict)  # client prefix → local prefix
    layer: int | None = None  # the task's layer group in a version 2 spec (farmhand.spec.plan)

    @property
    def renderer(self) -> dict[str, Any]:
        """The spec's `renderer` object: `adapter` and that adapter's options."""
        return self.spec.get("renderer") or {}


@dataclass(slots=True)
class RenderCommand:
    """How to run one task: argv, environment additions, and what must exist afterwards."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    expected: list[Path] = field(default_factory=list)  # must exist and be non-empty
    files: dict[Path, str] = field(default_factory=dict)  # written (UTF-8) before the run
    # For tiles: "full" (full-size image, only the region rendered) or "cropped" (tile-sized).
    tile_mode: str | None = None
    # Per image extension (lower case, no dot), when a renderer writes formats differently.
    tile_modes: dict[str, str] = field(default_factory=dict)
    # Some renderers need one process per frame (the command adapter's {frame}): run in order.
    then: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class LineEvent:
    """What one line of renderer output means: progress (0..1) and/or a fatal reason."""

    progress: float | None = None
    fatal: str | None = None


class AdapterError(ValueError):
    """The task cannot be turned into a command (missing option, bad template)."""


class Adapter(Protocol):
    """A renderer: builds the command for a task and reads the renderer's output."""

    name: str

    def build(self, task: RenderTask) -> RenderCommand:
        """The command that renders `task` (raises AdapterError when it cannot)."""
        ...

    def parse_line(self, line: str) -> LineEvent | None:
        """Progress or a fatal condition in one line of output; None when the line says neither."""
        ...
