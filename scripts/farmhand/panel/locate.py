"""Find missing files by name under a folder the artist picks, and suggest the re-paths.

The folder is walked once (in a background thread: a network share can be
slow); each missing dependency is matched by its file name, case-insensitive,
and a UDIM or frame pattern by its pattern. When several files match, the one
whose parent folders agree most with the path as written wins (a moved
`textures/wood/diffuse.png` rather than some other `diffuse.png`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from farmhand.scene import Dependency
from farmhand.scene.resolve import normalise, pattern_regex

MAX_FILES = 500_000


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A re-path to make: `node.attribute` (written as `written`) should name `new_path`."""

    node: str
    attribute: str
    written: str
    new_path: str


class SearchCancelled(Exception):
    """The artist stopped the search."""


def index_folder(
    folder: Path, cancel: threading.Event | None = None, max_files: int = MAX_FILES
) -> dict[str, list[Path]]:
    """Every file under `folder` by lower-case name (stops after `max_files` files)."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    index: dict[str, list[Path]] = {}
    count = 0
    for dirpath, dirnames, files in os.walk(folder):
        if cancel is not None and cancel.is_set():
            raise SearchCancelled(f"search of {folder} stopped")
        dirnames.sort()
        for name in sorted(files):
            index.setdefault(name.lower(), []).append(Path(dirpath) / name)
            count += 1
        if count >= max_files:
            break
    return index


def suggest(missing: Iterable[Dependency], index: dict[str, list[Path]]) -> list[Suggestion]:
    """A re-path for each missing dependency found in the index."""
    found = []
    for dep in missing:
        written = normalise(dep.path)
        name = written.rpartition("/")[2]
        regex = pattern_regex(name)
        if regex is None:
            hits = index.get(name.lower(), [])
            if hits:
                best = _best(hits, written)
                found.append(Suggestion(dep.node, dep.attribute, dep.path, str(best)))
            continue
        folders = {p.parent for paths in index.values() for p in paths if regex.match(p.name)}
        if folders:
            best = _best([folder / name for folder in folders], written)
            found.append(Suggestion(dep.node, dep.attribute, dep.path, str(best)))
    return found


def locate(
    missing: list[Dependency],
    folder: Path,
    cancel: threading.Event | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Suggestion]:
    """Walk `folder` and suggest a re-path for each missing dependency found there."""
    if progress is not None:
        progress(f"searching {folder}…")
    return suggest(missing, index_folder(folder, cancel))


def _best(candidates: list[Path], written: str) -> Path:
    wanted = [p.lower() for p in written.split("/") if p][:-1]

    def score(path: Path) -> tuple[int, int, str]:
        parents = [p.lower() for p in path.parts[:-1]]
        agree = 0
        for a, b in zip(reversed(wanted), reversed(parents), strict=False):
            if a != b:
                break
            agree += 1
        return (-agree, len(path.parts), str(path))

    return min(candidates, key=score)
