"""What a task left in its output folder: checked, hashed, previewed, uploaded, described.

The server gets one entry per file (`OutputFile` in the OpenAPI document):
its name relative to the output folder, its frame, its kind (image, tile,
preview) and its hashes. Images get a small preview for the panel and the
dashboard.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmhand.transfer.hashing import hash_file
from farmhand.transfer.upload import LocalFile, Uploader

from farmhand_worker.farm_client import AttemptUploads

log = logging.getLogger("farmhand.worker")
IMAGE_SUFFIXES = {".exr", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".tga"}
PREVIEW_DIR = ".farmhand-previews"


class MissingOutput(Exception):
    """The renderer exited but did not leave the files it should have."""


@dataclass(slots=True)
class Produced:
    """One file the task produced, ready to report."""

    path: Path
    name: str
    kind: str
    frame: int | None
    tile_mode: str | None = None
    preview_of: str | None = None


def check_expected(output_dir: Path, expected: list[Path], frames: list[int]) -> list[Path]:
    """The files produced; MissingOutput when an expected one is missing or empty.

    Without a list of expected names (renderers whose names depend on the
    scene), every frame must have left at least one non-empty file.
    """
    bad = [p for p in expected if not p.is_file() or p.stat().st_size == 0]
    if bad:
        names = ", ".join(
            str(p.relative_to(output_dir)) if p.is_relative_to(output_dir) else str(p)
            for p in bad[:10]
        )
        raise MissingOutput(f"the renderer did not write {len(bad)} expected file(s): {names}")
    # Symbolic links are not outputs: a scene could point one at any file of the node.
    files = [
        p
        for p in sorted(output_dir.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.stat().st_size > 0
    ]
    if not files:
        raise MissingOutput("the renderer exited without writing any file")
    if not expected and len(frames) > 1:
        seen = {frame_of(p.name, frames) for p in files}
        missing = [f for f in frames if f not in seen]
        if missing:
            raise MissingOutput(f"no output file for frame(s) {missing[:20]}")
    return files


def frame_of(name: str, frames: list[int]) -> int | None:
    """The task frame a file name carries: its last number that is one of `frames`.

    >>> frame_of("shot_beauty.0012.exr", [11, 12])
    12
    >>> frame_of("tile_3_0007.png", [7])
    7
    >>> frame_of("notes.txt", [1, 2]) is None
    True
    """
    if len(frames) == 1:
        return frames[0]
    wanted = set(frames)
    for number in reversed(re.findall(r"-?\d+", Path(name).name)):
        if int(number) in wanted:
            return int(number)
    return None


def describe(
    output_dir: Path,
    files: list[Path],
    kind: str,
    frames: list[int],
    tile_mode: str | None,
    tile_modes: dict[str, str] | None = None,
) -> list[Produced]:
    """Name, frame and kind of each produced file; a tile's mode by its extension
    (`tile_modes`), else `tile_mode`."""
    produced = []
    for path in files:
        name = path.relative_to(output_dir).as_posix()
        is_image = path.suffix.lower() in IMAGE_SUFFIXES
        file_kind = kind if kind == "tile" else ("image" if is_image else "file")
        mode = (tile_modes or {}).get(path.suffix.lower().lstrip("."), tile_mode)
        produced.append(
            Produced(
                path, name, file_kind, frame_of(name, frames), mode if kind == "tile" else None
            )
        )
    return produced


def clear_previews(output_dir: Path) -> None:
    """Remove whatever a render left where the worker writes previews (a link, most of all)."""
    where = output_dir / PREVIEW_DIR
    if where.is_symlink() or where.is_file():
        where.unlink()
    elif where.is_dir():
        shutil.rmtree(where)


def add_previews(output_dir: Path, produced: list[Produced], max_size: int = 512) -> None:
    """Make a small JPEG preview of each frame image (not of tiles); failures only log."""
    from farmhand_worker.outputs.images import (
        make_preview,  # numpy and OpenEXR load only when images exist
    )

    for item in list(produced):
        if item.kind != "image":
            continue
        dest = output_dir / PREVIEW_DIR / (item.name.replace("/", "__") + ".jpg")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            make_preview(item.path, dest, max_size)
        except Exception as exc:  # a preview is a courtesy; the frame itself is what counts
            log.warning("no preview for %s: %s", item.name, exc)
            continue
        rel = dest.relative_to(output_dir).as_posix()
        produced.append(Produced(dest, rel, "preview", item.frame, preview_of=item.name))


def upload(uploads: AttemptUploads, produced: list[Produced]) -> list[dict[str, Any]]:
    """Hash and upload every file; the `outputs` list for completing the attempt."""
    locals_ = []
    report = []
    for item in produced:
        digest = hash_file(item.path)
        local = LocalFile(item.path, digest, item.path.stat().st_mtime_ns)
        locals_.append(local)
        entry: dict[str, Any] = {"name": item.name, "kind": item.kind, "frame": item.frame,
                                 **local.ref}  # fmt: skip
        if item.tile_mode:
            entry["tile_mode"] = item.tile_mode
        if item.preview_of:
            entry["preview_of"] = item.preview_of
        report.append(entry)
    Uploader(uploads, parallel=4).upload(locals_)
    return report
