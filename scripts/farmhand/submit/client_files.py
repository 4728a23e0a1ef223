"""Which local files a job needs, and under which client path the farm must find each.

Every existing dependency is sent from where it was found. When the scene
names a file by a path that does not lead to it here (it was found beside
the scene, under the project or on a search path), the farm gets it under the
path the scene names too, so the renderer finds it with no re-path. That
holds for single files and for each file of a UDIM set, a frame sequence or a
folder: each goes under the folder the scene names, by its own file name. A
relative path is named from the project (Maya's workspace root), else from the
scene's folder.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from farmhand.scene import Analysis
from farmhand.scene.model import Dependency
from farmhand.scene.resolve import expand_vars, has_pattern, is_absolute, normalise


def client_files(analysis: Analysis) -> list[tuple[str, str]]:
    """(client path, local path) pairs: the scene first, then each dependency's files."""
    pairs: dict[str, str] = {analysis.scene_file: analysis.scene_file}
    base = normalise(analysis.project or str(Path(analysis.scene_file).parent))
    for dep in analysis.asset:
        if not dep.exists or not dep.resolved:
            continue
        written = _as_named(dep, base)
        if dep.pattern:
            folder = _named_folder(dep, written) if written else None
            for entry in dep.files:
                pairs.setdefault(entry.path, entry.path)
                if folder is not None:
                    named = f"{folder}/{PurePosixPath(normalise(entry.path)).name}"
                    if named != normalise(entry.path):
                        pairs.setdefault(named, entry.path)
            continue
        pairs.setdefault(dep.resolved, dep.resolved)
        if written and written != normalise(dep.resolved):
            pairs.setdefault(written, dep.resolved)
    return [(client, local) for client, local in pairs.items()]


def _as_named(dep: Dependency, base: str) -> str | None:
    """The dependency's path as the scene names it, made absolute; None when it cannot be."""
    written = expand_vars(normalise(dep.path))
    if not written or "$" in written:
        return None
    if is_absolute(written):
        return written
    rel = written[2:] if written.startswith("./") else written
    if ".." in rel.split("/"):
        return None
    return f"{base.rstrip('/')}/{rel}"


def _named_folder(dep: Dependency, written: str) -> str | None:
    """The folder the scene names for a set's files: the written path's folder, or the path
    itself for a folder dependency (its name is the found folder's name)."""
    named = written.rstrip("/")
    name = PurePosixPath(named).name
    if not has_pattern(name) and name == PurePosixPath(normalise(dep.resolved or "")).name:
        return named
    folder = named.rpartition("/")[0]
    return folder or None
