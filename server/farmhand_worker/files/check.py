"""Before a Maya render: the scene as this node will open it, analysed with the artist's analysis.

After the job's files are laid out and its ``.ma``/``.xgen`` copies rewritten
(``remap``), the worker runs ``farmhand.scene.analyze`` on the job folder's
scene with the mapped project: the same offline analysis the artist's
submission ran, following references, reference edits, XGen collections,
UDIM sets and sequences. A file the artist's analysis found (it is in the
job's manifest) that this node cannot find fails the attempt at once, named
by the artist's path, instead of a render that quietly leaves it out.

"Found by the artist" is read from the manifest: a missing dependency counts
when its mapped path is a manifest file, or, for a UDIM set, sequence or
folder, when manifest files lie in its folder and match it. For a set the
node finds, each manifest file of the set must be among the files found. A
file that was missing for the artist as well (not in the manifest) is listed
in the log and does not fail the attempt: the artist was told at submission.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from farmhand.scene import SceneError, analyze
from farmhand.scene.model import Dependency
from farmhand.scene.resolve import expand_vars, normalise, pattern_regex

MAX_LISTED = 50
"""Files named one by one in the failure message; the rest are counted."""


@dataclass(frozen=True, slots=True)
class MissingFile:
    """A file the scene needs that is not on this node: the artist's path and the node's."""

    client: str
    local: str
    plug: str


@dataclass(slots=True)
class NodeCheck:
    """What the node-side analysis found: files present, files missing, notes for the log."""

    found: int = 0
    missing: list[MissingFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing the artist's analysis found is missing here."""
        return not self.missing

    def log_lines(self) -> list[str]:
        """The check's result for the attempt's log."""
        lines = [f"[farmhand] node check: {self.found} file(s) found, "
                 f"{len(self.missing)} missing\n"]  # fmt: skip
        for m in self.missing:
            where = f"; here {m.local}" if m.local else ""
            lines.append(f"[farmhand] node check: missing {m.client} ({m.plug}{where})\n")
        lines += [f"[farmhand] node check: {note}\n" for note in self.notes]
        return lines

    def failure(self) -> str:
        """The attempt's failure message, naming each missing file by the artist's path."""
        names = [m.client for m in self.missing]
        shown = ", ".join(names[:MAX_LISTED])
        more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
        return (
            f"{len(names)} file(s) the job needs are missing on this node, "
            f"checked before rendering: {shown}{more}"
        )


class _Manifest:
    """The job's files by their local paths (as laid out), with their client paths."""

    def __init__(
        self, local_to_client: Mapping[Path, str], to_local: Callable[[str], Path] | None
    ) -> None:
        self.to_local = to_local
        self.by_local = {p.as_posix(): c for p, c in local_to_client.items()}
        self.by_folder: dict[str, list[str]] = {}
        for local in self.by_local:
            folder, _, name = local.rpartition("/")
            self.by_folder.setdefault(folder, []).append(name)

    def here(self, written: str) -> str:
        """Where a path the scene names lies on this node (itself when it is not a client path
        the mapper takes)."""
        if self.to_local is None or written in self.by_local:
            return written
        try:
            return self.to_local(written).as_posix()
        except ValueError:
            return written

    def in_set(self, folder: str, regex: re.Pattern[str]) -> list[str]:
        """Manifest files in `folder` whose names match."""
        return [f"{folder}/{n}" for n in self.by_folder.get(folder, ()) if regex.match(n)]


def check_scene(
    scene: Path,
    project: Path | None,
    manifest: Mapping[Path, str],
    renamed: Mapping[str, str] | None = None,
    unavailable: Iterable[str] = (),
    to_local: Callable[[str], Path] | None = None,
) -> NodeCheck:
    """Analyse the laid-out `scene` and compare with the manifest (local path → client path).

    `renamed` maps a path the worker wrote into a scene back to the artist's spelling (from
    ``remap``); `unavailable` are client paths whose blobs could not be fetched; `to_local`
    maps a client path the scene still names (``PathMapper.to_local``).
    """
    result = NodeCheck()
    files = _Manifest(manifest, to_local)
    renamed = dict(renamed or {})
    try:
        analysis = analyze(scene, project=project)
    except (SceneError, OSError) as exc:
        result.notes.append(f"the scene could not be analysed here: {exc}")
        result.missing += [MissingFile(c, "", "not fetched") for c in unavailable]
        return result
    seen: set[str] = set()
    for dep in analysis.asset:
        for missing in _missing(dep, files, renamed, result):
            if missing.client not in seen:
                seen.add(missing.client)
                result.missing.append(missing)
    named = set(seen)
    for client in unavailable:
        if client not in named:
            result.missing.append(MissingFile(client, "", "its blob could not be fetched"))
    return result


def _missing(
    dep: Dependency, files: _Manifest, renamed: Mapping[str, str], result: NodeCheck
) -> list[MissingFile]:
    written = expand_vars(normalise(dep.path))
    client = renamed.get(written, dep.path)
    if dep.exists:
        result.found += len(dep.files) if dep.pattern else 1
        if not dep.pattern or not dep.resolved:
            return []
        # Every file of the set the artist sent must be among those found here.
        regex = _set_regex(dep)
        folder = Path(dep.resolved).as_posix()
        here = {Path(f.path).as_posix() for f in dep.files}
        sent = files.in_set(folder, regex) if regex else []
        return [MissingFile(files.by_local[p], p, dep.plug) for p in sent if p not in here]
    if dep.optional:
        return []
    written = files.here(written)
    if written in files.by_local:
        return [MissingFile(files.by_local[written], written, dep.plug)]
    regex = _set_regex(dep)
    folder = written.rpartition("/")[0]
    sent = files.in_set(folder, regex) if regex else []
    if sent:
        return [MissingFile(files.by_local[p], p, dep.plug) for p in sent]
    result.notes.append(
        f"{client} ({dep.plug}) is missing here and was missing for the "
        "artist too (not sent with the job)"
    )
    return []


def _set_regex(dep: Dependency) -> re.Pattern[str] | None:
    """The file names a UDIM set, sequence or folder stands for."""
    name = PurePosixPath(expand_vars(normalise(dep.path))).name
    regex = pattern_regex(name)
    if regex is not None:
        return regex
    if dep.attribute == "fileTextureName" and dep.pattern:
        # A file node's concrete tile or frame (`wood.1001.png`): any number in its place.
        generic = re.sub(r"(?<=[._])\d+(?=[._])", "<f>", name)
        return pattern_regex(generic)
    return None
