"""Missing files grouped by the folder they were expected in.

600 missing textures usually come from two or three moved folders: Checks shows
one row per folder (with Locate and Ignore for the whole group) rather than 600.

>>> from farmhand.scene import Diagnostic
>>> d = [Diagnostic("missing-texture", "error", "m", f"n{i}", f"/gone/t/{i}.png", "f")
...      for i in range(3)]
>>> [(g.folder, len(g.diagnostics)) for g in group_by_folder(d)[0]]
[('/gone/t', 3)]
"""

from __future__ import annotations

from dataclasses import dataclass

from farmhand.scene import Diagnostic
from farmhand.scene.resolve import normalise
from farmhand.submit.ignored import IGNORED

MISSING_CODES = frozenset(
    {"missing-texture", "missing-reference", "missing-cache", "missing-file",
     "missing-optional-file", "unexpanded-variable", IGNORED}
)  # fmt: skip
"""Diagnostic codes of a file that is not where the scene says."""

MIN_GROUP = 2
"""A folder with fewer missing files than this keeps its files as plain rows."""


@dataclass(frozen=True, slots=True)
class FolderGroup:
    """The missing files expected in one folder."""

    folder: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def left_out(self) -> bool:
        """True when the artist ignored every file of the group for this submission."""
        return all(d.code == IGNORED for d in self.diagnostics)

    @property
    def title(self) -> str:
        """What the group's row says."""
        if self.left_out:
            return f"{len(self.diagnostics)} missing files left out, from {self.folder}"
        return f"{len(self.diagnostics)} missing files in {self.folder}"


def folder_of(path: str) -> str:
    """The folder part of a path as written ("(scene folder)" for a bare name)."""
    folder = normalise(path).rpartition("/")[0]
    return folder or "(scene folder)"


def group_by_folder(
    diagnostics: list[Diagnostic],
) -> tuple[list[FolderGroup], list[Diagnostic]]:
    """(folder groups, the other diagnostics): missing files sharing a folder are grouped;
    the rest, and a folder's lone missing file, stay as they are, in order."""
    by_folder: dict[str, list[Diagnostic]] = {}
    for diag in diagnostics:
        if diag.code in MISSING_CODES and diag.path:
            by_folder.setdefault(folder_of(diag.path), []).append(diag)
    grouped = {f: d for f, d in by_folder.items() if len(d) >= MIN_GROUP}
    members = {id(d) for ds in grouped.values() for d in ds}
    groups = [FolderGroup(f, tuple(d)) for f, d in grouped.items()]
    return groups, [d for d in diagnostics if id(d) not in members]
