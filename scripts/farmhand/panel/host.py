"""Where the panel's scene lives: the `SceneHost` protocol, and `OfflineHost` for a `.ma` file.

The panel talks to its scene only through a `SceneHost`. Inside Maya the
host reads the open scene with `maya.cmds` (`farmhand.maya_ui`); outside Maya
`OfflineHost` reads a `.ma` file with the offline parser. An offline re-path
does not edit the file: it is remembered (in the scene's choices sidecar)
and applied to every analysis, so the job places the new file where the
scene looks for it.

>>> from farmhand.panel.host import OfflineHost, SceneHost
>>> host = OfflineHost("shot.ma")
>>> host.name, host.scene_path().name, isinstance(host, SceneHost)
('offline', 'shot.ma', True)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from farmhand.scene import Analysis, analyze
from farmhand.scene.model import ERROR, NOTICE, Dependency, Diagnostic
from farmhand.scene.resolve import expand_vars, is_absolute, normalise, pattern_regex
from farmhand.user_dirs import config_path

REPATHED = "repathed-for-submission"
"""Diagnostic code (notice) of a dependency re-pathed offline for this submission."""

SIDECAR_SUFFIX = ".farmhand.json"


@runtime_checkable
class SceneHost(Protocol):
    """Where the panel's scene lives: a live Maya session or a .ma file on disk."""

    name: str  # "maya" or "offline"
    # A host may also offer `show_job_notice(notice)`: job news shown where the artist looks
    # (Maya's viewport); the panel connects it when present.

    def scene_path(self) -> Path | None:
        """The scene file; None for an unsaved Maya scene."""
        ...

    def analyse(self, search_paths: Sequence[Path] = ()) -> Analysis:
        """Analyse the scene now (on the main thread; cheap queries only)."""
        ...

    def repath(self, node: str, attribute: str, new_path: str) -> None:
        """Point a node's file attribute at another file."""
        ...

    def select(self, node: str) -> None:
        """Select the node in Maya; offline, a no-op."""
        ...

    def load_choices(self) -> dict:
        """The artist's per-scene choices (Maya: fileInfo; offline: a sidecar file)."""
        ...

    def save_choices(self, choices: dict) -> None:
        """Remember the artist's per-scene choices."""
        ...


@dataclass(frozen=True, slots=True)
class Repath:
    """An offline re-path: the node's attribute now names `new_path` (for submission only)."""

    node: str
    attribute: str
    new_path: str


class OfflineHost:
    """A `.ma` file on disk as the panel's scene; the file itself is never written."""

    name = "offline"

    def __init__(self, scene_path: str | os.PathLike[str], project: str | None = None) -> None:
        self._scene = Path(scene_path).absolute()
        self._project = project
        self._repaths: dict[tuple[str, str], Repath] = {}
        self._last: Analysis | None = None
        self.selected: list[str] = []  # what select() was asked for, newest last
        stored = self._read_store()
        for item in stored.get("repaths", []):
            with contextlib.suppress(TypeError, KeyError):
                repath = Repath(str(item["node"]), str(item["attribute"]), str(item["new_path"]))
                self._repaths[(repath.node, repath.attribute)] = repath

    # -- SceneHost --------------------------------------------------------------------------
    def scene_path(self) -> Path | None:
        """The `.ma` file."""
        return self._scene

    def analyse(self, search_paths: Sequence[Path] = ()) -> Analysis:
        """`farmhand.scene.analyze` with this host's re-paths applied."""
        analysis = analyze(self._scene, self._project, search_paths)
        apply_repaths(analysis, self._repaths.values())
        self._last = analysis
        return analysis

    def repath(self, node: str, attribute: str, new_path: str) -> None:
        """Remember that `node.attribute` names `new_path` now; the file must exist.

        Raises ValueError when the new file (or, for a UDIM/sequence pattern, any file
        of it) does not exist, or when the last analysis has no such dependency.
        """
        if not new_path.strip():
            raise ValueError("the new path is empty")
        deps = (
            []
            if self._last is None
            else [d for d in self._last.asset if d.node == node and d.attribute == attribute]
        )
        if self._last is not None and not deps:
            raise ValueError(f"{node}.{attribute} is not a file the scene depends on")
        written = normalise(deps[0].path).rpartition("/")[2] if deps else ""
        if pattern_regex(written) is not None and pattern_regex(Path(new_path).name) is None:
            # One file of a UDIM set or sequence was picked: the node names its pattern.
            new_path = str(Path(new_path).parent / written)
        if not _new_files(new_path):
            raise ValueError(f"{new_path} does not exist")
        self._repaths[(node, attribute)] = Repath(node, attribute, new_path)
        self._write_store(repaths=[asdict(r) for r in self._repaths.values()])

    def select(self, node: str) -> None:
        """Nothing to select outside Maya; the request is kept in `selected`."""
        self.selected.append(node)

    def load_choices(self) -> dict:
        """The choices saved for this scene, or {}."""
        choices = self._read_store().get("choices", {})
        return dict(choices) if isinstance(choices, dict) else {}

    def save_choices(self, choices: dict) -> None:
        """Write the choices to the sidecar (or the user's config dir when read-only)."""
        self._write_store(choices=choices)

    # -- extras -------------------------------------------------------------------------------
    @property
    def repaths(self) -> list[Repath]:
        """The re-paths made so far."""
        return list(self._repaths.values())

    def forget_repath(self, node: str, attribute: str) -> None:
        """Undo a re-path."""
        if self._repaths.pop((node, attribute), None) is not None:
            self._write_store(repaths=[asdict(r) for r in self._repaths.values()])

    def store_path(self) -> Path:
        """Where choices and re-paths are written: beside the scene, else the config dir."""
        sidecar = sidecar_path(self._scene)
        if _writable_folder(sidecar.parent):
            return sidecar
        return fallback_path(self._scene)

    # -- the sidecar ------------------------------------------------------------------------
    def _read_store(self) -> dict[str, Any]:
        for path in (sidecar_path(self._scene), fallback_path(self._scene)):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                return data
        return {}

    def _write_store(self, **parts: Any) -> None:
        data = self._read_store()
        data.update(parts)
        data["scene"] = str(self._scene)
        target = self.store_path()
        try:
            write_json(target, data)
        except OSError:
            if target == fallback_path(self._scene):
                raise
            write_json(fallback_path(self._scene), data)


def sidecar_path(scene: Path) -> Path:
    """`<scene>.farmhand.json` beside the scene (`shot.ma` → `shot.ma.farmhand.json`)."""
    return scene.with_name(scene.name + SIDECAR_SUFFIX)


def fallback_path(scene: Path) -> Path:
    """Where a read-only scene folder's choices go: under the user's farmhand config dir."""
    digest = hashlib.sha1(str(scene.absolute()).encode("utf-8")).hexdigest()[:12]
    return config_path().parent / "scenes" / f"{scene.stem}-{digest}.json"


def _writable_folder(folder: Path) -> bool:
    # Permission bits first: root may write anywhere, but a folder nobody may write
    # (a read-only corpus, a published shot) must stay untouched.
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return False
    return os.access(folder, os.W_OK)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` as JSON to `path` atomically (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".farmhand-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- applying re-paths to an analysis ----------------------------------------------------------
def apply_repaths(analysis: Analysis, repaths: Sequence[Repath] | Any) -> Analysis:
    """Apply offline re-paths to an analysis in place (and return it).

    Each dependency of a re-pathed node attribute takes the new file: it exists,
    `resolved` is the new file and `path` becomes the absolute path where the
    scene looks for it on the farm (the path as written, made absolute against
    the project or the scene's folder), so the job's manifest places the new
    file there. A UDIM set or sequence becomes one dependency per file found.
    Missing-file diagnostics are replaced by a notice. A re-path whose file has
    gone since is skipped.
    """
    by_plug = {(r.node, r.attribute): r for r in repaths}
    if not by_plug:
        return analysis
    scene_dir = Path(analysis.scene_file).parent
    assets: list[Dependency] = []
    for dep in analysis.asset:
        repath = by_plug.get((dep.node, dep.attribute))
        files = _new_files(repath.new_path) if repath is not None else []
        if repath is None or not files:
            assets.append(dep)
            continue
        written = dep.path
        assets += _retargeted(dep, files, _where_scene_looks(written, analysis, scene_dir))
        analysis.diagnostics = [
            d
            for d in analysis.diagnostics
            if not (d.node == dep.node and d.path == written and _about_the_file(d))
        ]
        analysis.diagnostics.append(
            Diagnostic(
                REPATHED,
                NOTICE,
                f"{dep.plug} is re-pathed for this submission: the farm gets "
                f"{repath.new_path} in place of {written}",
                dep.node,
                dep.path,
                "the .ma file is not changed; re-path the node in Maya to make it permanent",
            )
        )
    analysis.asset = assets
    return analysis


def _about_the_file(diag: Diagnostic) -> bool:
    return diag.severity == ERROR or diag.code in ("file-found-elsewhere", "missing-optional-file")


def _where_scene_looks(written: str, analysis: Analysis, scene_dir: Path) -> str:
    path = expand_vars(normalise(written))
    if is_absolute(path):
        return path
    rel = path[2:] if path.startswith("./") else path
    base = Path(analysis.project) if analysis.project else scene_dir
    return f"{base.as_posix()}/{rel}"


def _new_files(new_path: str) -> list[tuple[str, os.stat_result]]:
    """The existing files a new path names: one file, or each file of a pattern."""
    path = Path(normalise(new_path))
    regex = pattern_regex(path.name)
    if regex is None:
        try:
            st = path.stat()
        except (OSError, ValueError):
            return []
        return [(str(path), st)] if stat.S_ISREG(st.st_mode) else []
    found = []
    with contextlib.suppress(OSError, ValueError):
        for name in sorted(os.listdir(path.parent)):
            if regex.match(name):
                with contextlib.suppress(OSError):
                    found.append((str(path.parent / name), (path.parent / name).stat()))
    return found


def _retargeted(
    dep: Dependency, files: list[tuple[str, os.stat_result]], looks: str
) -> list[Dependency]:
    """The dependency pointed at its new file(s).

    Each new file becomes one dependency whose `path` is where the scene looks for it
    (for a UDIM set or sequence: that file's name in the folder the scene looks in),
    so the manifest ships every file under the name the renderer will ask for.
    """
    if len(files) == 1 and pattern_regex(looks.rpartition("/")[2]) is None:
        path, st = files[0]
        return [_moved(dep, looks, path, st)]
    folder = looks.rpartition("/")[0]
    return [_moved(dep, f"{folder}/{Path(path).name}", path, st) for path, st in files]


def _moved(dep: Dependency, looks: str, path: str, st: os.stat_result) -> Dependency:
    return Dependency(
        dep.kind,
        dep.node,
        dep.attribute,
        looks,
        resolved=path,
        found_by="repath",
        exists=True,
        size=st.st_size,
        mtime=st.st_mtime,
        optional=dep.optional,
        from_reference_edit=dep.from_reference_edit,
    )
