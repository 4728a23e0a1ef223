"""Find the files a scene names, the way Maya would, and a little further.

Maya resolves a relative path against the project, and when an absolute path
does not exist it looks for the file under the project and beside the scene.
We do the same, then look on the artist's search paths by file name.
Patterns (UDIM tiles, frame sequences) are expanded by listing each
directory once per analysis.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from farmhand.scene.model import FileEntry

# Tokens that stand for many files (UDIM tiles, frame numbers).
_PATTERN_TOKEN = re.compile(r"<udim>|<uvtile>|<u>|<v>|<f\d*>|<frame0?\d*>|%0?\d*d|#+|\*", re.I)
_ENV = re.compile(r"\$\{(\w+)\}|\$(\w+)|%(\w+)%")
_UNEXPANDED = re.compile(r"\$\{\w+\}|\$\w+")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")


def normalise(path: str) -> str:
    """Forward slashes; a Windows drive or UNC path keeps its form."""
    return path.replace("\\", "/").strip()


def is_absolute(path: str) -> bool:
    """Absolute on any platform: `/x`, `C:/x`, `//server/share`."""
    return path.startswith("/") or bool(_DRIVE.match(path))


def expand_vars(path: str, extra: dict[str, str] | None = None) -> str:
    """Expand `${VAR}`, `$VAR` and `%VAR%` from `extra`, then the environment; unknown stay."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if extra and name in extra:
            return extra[name]
        return os.environ.get(name, m.group(0))

    return _ENV.sub(sub, path)


def unexpanded(path: str) -> str | None:
    """The first `${VAR}`/`$VAR` left in a path, or None."""
    m = _UNEXPANDED.search(path)
    return m.group(0) if m else None


def pattern_regex(name: str) -> re.Pattern[str] | None:
    """A regex matching the files a file-name pattern stands for, or None for a plain name.

    >>> bool(pattern_regex("wood.<UDIM>.exr").match("wood.1002.exr"))
    True
    >>> bool(pattern_regex("fx.####.png").match("fx.0012.png")), pattern_regex("a.png")
    (True, None)
    """
    parts: list[str] = []
    last = 0
    for m in _PATTERN_TOKEN.finditer(name):
        parts.append(re.escape(name[last : m.start()]))
        parts.append(_token_regex(m.group().lower()))
        last = m.end()
    if not parts:
        return None
    parts.append(re.escape(name[last:]))
    return re.compile("".join(parts) + r"\Z")


def _token_regex(token: str) -> str:
    if token == "<udim>":
        return r"\d{4}"
    if token == "<uvtile>":
        return r"u\d+_v\d+"
    if token in ("<u>", "<v>"):
        return r"\d+"
    if token == "*":
        return r"[^/]*"
    return r"-?\d+"  # <f>, <frame…>, %04d, ####


def has_pattern(name: str) -> bool:
    """True when a file name holds a UDIM or frame token."""
    return _PATTERN_TOKEN.search(name) is not None


@dataclass
class Resolver:
    """Resolves paths for one analysis; caches directory listings and the search index.

    Works on strings internally: a scene with thousands of textures asks for
    tens of thousands of candidate paths, and most of them never exist.
    """

    scene_dir: Path
    project: Path | None = None
    search_paths: list[Path] = field(default_factory=list)
    source_images: str = "sourceimages"  # the project's sourceImages rule (workspace.mel)
    _listings: dict[str, frozenset[str] | None] = field(default_factory=dict)
    _index: dict[str, list[Path]] | None = None

    def listing(self, directory: str) -> frozenset[str] | None:
        """File names in a directory, listed once; None when it does not exist."""
        try:
            return self._listings[directory]
        except KeyError:
            pass
        try:
            names: frozenset[str] | None = frozenset(os.listdir(directory))
        except (OSError, ValueError):  # ValueError: a NUL in a damaged path
            names = None
        self._listings[directory] = names
        return names

    def exists(self, path: str) -> bool:
        """True when the file (or folder) is in its directory's listing."""
        directory, _, name = path.rpartition("/")
        names = self.listing(directory or "/")
        return names is not None and name in names

    def candidates(self, written: str) -> Iterator[tuple[str, str]]:
        """Where Maya would look for a path, in order, with how each was found."""
        path = normalise(written)
        scene_dir = self.scene_dir.as_posix()
        project = self.project.as_posix() if self.project is not None else None
        if is_absolute(path):
            drive = _DRIVE.match(path) is not None
            if os.name == "nt" or not drive:
                yield path, "as_written"
            parts = [p for p in (path[2:] if drive else path).split("/") if p]
            # Maya's fallback: the tail of the path under the project and beside the scene.
            for k in range(len(parts) - 1, 0, -1):
                tail = "/".join(parts[-k:])
                if project is not None:
                    yield f"{project}/{tail}", "project"
                yield f"{scene_dir}/{tail}", "scene_dir"
        else:
            rel = path[2:] if path.startswith("./") else path
            if project is not None:
                yield f"{project}/{rel}", "project"
            yield f"{scene_dir}/{rel}", "scene_dir"
        if project is not None:
            # Maya's last resort for a texture: its name in the project's sourceImages folder.
            images = self.source_images
            folder = images if is_absolute(images) else f"{project}/{images}"
            yield f"{folder}/{path.rpartition('/')[2]}", "project"

    def find(self, written: str) -> tuple[Path | None, str | None]:
        """The first existing candidate for a plain path, else a search-path hit."""
        for candidate, how in self.candidates(written):
            if self.exists(candidate):
                return Path(candidate), how
        hit = self.search(normalise(written).rpartition("/")[2])
        return (hit, "search_path") if hit else (None, None)

    def find_pattern(self, written: str) -> tuple[Path | None, str | None, list[FileEntry]]:
        """The first candidate directory holding files of a pattern, and those files."""
        name = normalise(written).rpartition("/")[2]
        regex: re.Pattern[str] | None = None
        tokens = list(_PATTERN_TOKEN.finditer(name))
        head = name[: tokens[0].start()] if tokens else name
        tail = name[tokens[-1].end() :] if tokens else ""
        seen: set[str] = set()
        for candidate, how in self.candidates(written):
            directory = candidate.rpartition("/")[0]
            if directory in seen:
                continue
            seen.add(directory)
            names = self.listing(directory)
            # Compile the pattern only for a folder with a plausible file in it.
            if not names or not any(n.startswith(head) and n.endswith(tail) for n in names):
                continue
            regex = regex or pattern_regex(name) or re.compile(re.escape(name) + r"\Z")
            files = self.matching(Path(directory), regex)
            if files:
                return Path(directory), how, files
        if self.search_paths:
            regex = regex or pattern_regex(name) or re.compile(re.escape(name) + r"\Z")
            for folder in self.search_dirs(regex):
                return folder, "search_path", self.matching(folder, regex)
        return None, None, []

    def matching(self, directory: Path, regex: re.Pattern[str]) -> list[FileEntry]:
        """The files in a directory whose names match, with size and mtime."""
        names = self.listing(directory.as_posix()) or ()
        out = []
        for n in sorted(names):
            if regex.match(n):
                st = stat(directory / n)
                if st is not None:
                    out.append(FileEntry(str(directory / n), st.st_size, st.st_mtime))
        return out

    # -- search paths -------------------------------------------------------------
    def _build_index(self) -> dict[str, list[Path]]:
        if self._index is None:
            self._index = {}
            for root in self.search_paths:
                for dirpath, _dirs, files in os.walk(root):
                    for name in files:
                        self._index.setdefault(name.lower(), []).append(Path(dirpath) / name)
        return self._index

    def search(self, name: str) -> Path | None:
        """A file of this name on the search paths (case-insensitive), or None."""
        if not self.search_paths:
            return None
        hits = self._build_index().get(name.lower())
        return hits[0] if hits else None

    def search_dirs(self, regex: re.Pattern[str]) -> list[Path]:
        """Folders on the search paths holding files that match a pattern."""
        dirs: list[Path] = []
        for paths in self._build_index().values():
            for p in paths:
                if regex.match(p.name) and p.parent not in dirs:
                    dirs.append(p.parent)
        return dirs


def stat(path: Path) -> os.stat_result | None:
    """`os.stat`, or None when the file cannot be read (or the path holds a NUL)."""
    try:
        return path.stat()
    except (OSError, ValueError):
        return None


_FILE_RULE = re.compile(r'workspace\s+-fr\s+"([^"]+)"\s+"([^"]*)"')


def file_rules(project: Path) -> dict[str, str]:
    """The `workspace -fr NAME FOLDER` rules of a project's `workspace.mel`."""
    try:
        text = (project / "workspace.mel").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {name: normalise(folder) for name, folder in _FILE_RULE.findall(text)}


def images_folder(project: Path | None, rules: dict[str, str], scene_dir: Path) -> str:
    """Where Maya writes rendered images: the project's `images` rule (relative to the project),
    `images` when the project sets none; without a project, `images` beside the scene (Maya's
    default workspace is the folder it runs in; a submitted scene's folder stands in)."""
    base = project or scene_dir
    folder = rules.get("images") or "images"
    path = Path(folder) if is_absolute(folder) else base / folder
    return path.as_posix()


def find_project(scene_dir: Path) -> Path | None:
    """The nearest folder at or above the scene that holds a `workspace.mel`."""
    for folder in [scene_dir, *scene_dir.parents]:
        if (folder / "workspace.mel").is_file():
            return folder
    return None
