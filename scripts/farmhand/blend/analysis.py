"""Blender scenes: an `Analysis` of a .blend, made by Blender itself when it is installed.

There is no offline reader of .blend files: when ``blender`` is on this machine,
`analyze_blend` runs ``blender -b FILE --python probe.py -- OUT.json``
(`probe`) and turns what it reports (the active scene's frame range, size,
engine, output format, cameras, view layers and every file the .blend names) into
the same `Analysis` the Maya analysis makes, with the same diagnostic codes, so
`farmhand.submit.pipeline` hashes, uploads and submits it unchanged. Without Blender
the frames and the size must be given (``--frames``, ``--resolution``); the job then
carries only the .blend, with a warning.

>>> blend_version(b"BLENDER-v304REND")
'3.4'
"""

from __future__ import annotations

import gzip
import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from farmhand.scene import diagnostics
from farmhand.scene.errors import SceneError
from farmhand.scene.model import (
    ERROR,
    WARNING,
    Analysis,
    CommonSettings,
    Dependency,
    Diagnostic,
    FileEntry,
    LayerInfo,
)
from farmhand.scene.resolve import Resolver, stat
from farmhand.spec.frames import format_frames, parse_frames

PROBE_SCRIPT = Path(__file__).with_name("probe.py")
PROBE_TIMEOUT = 300.0
"""Seconds Blender may take to open a scene and list its files."""

ENGINES = ("CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")
"""Render engines the farm renders (add-on engines are not installed on workers)."""

IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "TARGA", "TARGA_RAW", "IRIS", "TIFF", "WEBP", "DPX",
                 "HDR", "OPEN_EXR", "OPEN_EXR_MULTILAYER")  # fmt: skip
"""Output formats (Blender's names) the farm's blender adapter writes; others become PNG."""

BLENDER_NOT_FOUND = "blender-not-found"
OUTPUT_FORMAT_CHANGED = "output-format-changed"

_PATTERN_SOURCES = ("SEQUENCE", "TILED")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_HEADER = re.compile(rb"BLENDER[_-][vV](\d)(\d\d)")


class BlendError(SceneError):
    """A .blend that cannot be analysed: Blender failed on it, or the flags it needs are absent."""


def find_blender(blender: str | None = None) -> str | None:
    """The Blender executable to run: `blender` (a path or a name on PATH), else ``blender``
    on PATH; None when there is none."""
    if blender:
        path = Path(blender)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        return shutil.which(blender) if os.sep not in blender else None
    return shutil.which("blender")


def blend_version(header: bytes) -> str | None:
    """``major.minor`` from the first bytes of a .blend, None when it is not one (or is
    compressed with zstd, which the standard library cannot open)."""
    m = _HEADER.match(header)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else None


def _read_header(scene: Path) -> bytes:
    with scene.open("rb") as f:
        head = f.read(16)
    if head[:2] == b"\x1f\x8b":  # saved with "Compress" before Blender 3.0
        with gzip.open(scene, "rb") as f:
            head = f.read(16)
    return head


def probe(scene: Path, blender: str, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """Run `probe` in Blender on `scene` and return what it wrote; BlendError if it
    cannot (Blender fails, times out, or the file is not a scene it can read)."""
    with tempfile.TemporaryDirectory(prefix="farmhand-probe-") as tmp:
        out = Path(tmp) / "probe.json"
        argv = [blender, "-b", "--factory-startup", "-Y", str(scene), "--python-exit-code", "3",
                "--python", str(PROBE_SCRIPT), "--", str(out)]  # fmt: skip
        env = dict(os.environ, BLENDER_USER_CONFIG=tmp, BLENDER_USER_SCRIPTS=tmp)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise BlendError(
                f"{scene}: Blender did not read the scene within {timeout:.0f} s", str(scene)
            ) from None
        except OSError as exc:
            raise BlendError(f"{scene}: cannot run {blender}: {exc.strerror}", str(scene)) from None
        if done.returncode != 0 or not out.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
            raise BlendError(
                f"{scene}: Blender could not read the scene (exit {done.returncode}):\n{tail}",
                str(scene),
            )
        return json.loads(out.read_text(encoding="utf-8"))


def analyze_blend(
    scene: str | os.PathLike[str],
    *,
    blender: str | None = None,
    frames: str | None = None,
    resolution: tuple[int, int] | None = None,
    search_paths: Iterable[str | os.PathLike[str]] = (),
    timeout: float = PROBE_TIMEOUT,
) -> Analysis:
    """Analyse a .blend: through Blender when it is here, else from `frames` and `resolution`.

    `blender` names the executable (default: ``blender`` on PATH). Raises BlendError
    when the file is not a readable .blend, when Blender fails on it, or when Blender
    is not here and `frames` or `resolution` is missing.
    """
    path = Path(scene).absolute()
    if not path.is_file():
        raise BlendError(f"{path}: no such file", str(path))
    head = _read_header(path)
    version = blend_version(head)
    if version is None and not head.startswith(_ZSTD_MAGIC):
        raise BlendError(f"{path}: not a Blender file (no BLENDER header)", str(path))
    executable = find_blender(blender)
    if executable is None:
        return _from_flags(path, version, frames, resolution, blender)
    data = probe(path, executable, timeout)
    return _from_probe(path, data, [Path(p).absolute() for p in search_paths])


# --------------------------------------------------------------------------- from Blender


def _from_probe(scene: Path, data: dict[str, Any], search_paths: list[Path]) -> Analysis:
    engine = data["engine"]
    frames = format_frames(range(data["frame_start"], data["frame_end"] + 1, data["frame_step"]))
    found: list[Diagnostic] = []
    image_format = data["image_format"]
    if image_format not in IMAGE_FORMATS:
        found.append(
            Diagnostic(
                OUTPUT_FORMAT_CHANGED,
                WARNING,
                f"the scene writes {image_format}, which the farm does not render to; it renders "
                "one PNG per frame instead",
                None,
                None,
                "choose an image format in Output Properties (e.g. OpenEXR or PNG) to decide it",
            )
        )
        image_format = "PNG"
    cameras = data["cameras"]
    render_camera = [data["camera"]] if data["camera"] else []
    layers = {}
    for layer in data["view_layers"]:
        common = CommonSettings(
            renderer=engine,
            animation=True,
            start=data["frame_start"],
            end=data["frame_end"],
            by_frame=data["frame_step"],
            frames=frames,
            width=data["width"],
            height=data["height"],
            image_format=image_format,
            image_file_prefix="",
            all_camera=cameras,
            render_camera=render_camera,
        )
        layers[layer["name"]] = LayerInfo(layer["name"], layer["use"], common)
    resolver = Resolver(scene_dir=scene.parent, search_paths=search_paths)
    assets = [_dependency(entry, resolver) for entry in data["files"]]
    for dep in assets:
        found += diagnostics.for_dependency(dep, None)
    major, minor = data["file_version"][:2]
    return Analysis(
        scene_file=str(scene),
        scene_file_size=scene.stat().st_size,
        maya_version="",
        codeset="UTF-8",
        time_unit=f"{data['fps']:g}fps",
        fps=float(data["fps"]),
        linear_unit=data["length_unit"].lower(),
        project=None,
        software_config={"cg_name": "Blender", "cg_version": f"{major}.{minor}", "plugins": {}},
        renderer=engine,
        current_frame=data["frame_current"],
        render_layer_type=0,
        scene_info_render=layers,
        asset=assets,
        diagnostics=_scene_problems(data, engine) + found,
    )


def _scene_problems(data: dict[str, Any], engine: str) -> list[Diagnostic]:
    problems = []
    if not any(layer["use"] for layer in data["view_layers"]):
        problems.append(
            Diagnostic(
                diagnostics.NO_RENDERABLE_LAYER,
                ERROR,
                f"no view layer of scene {data['scene']!r} is set to render",
                None,
                None,
                "tick 'Use for Rendering' on a view layer",
            )
        )
    if not data["camera"]:
        problems.append(
            Diagnostic(
                diagnostics.NO_RENDERABLE_CAMERA,
                ERROR,
                f"scene {data['scene']!r} has no active camera",
                None,
                None,
                "set the scene's camera in Scene Properties",
            )
        )
    if engine not in ENGINES:
        problems.append(
            Diagnostic(
                diagnostics.RENDERER_NOT_SUPPORTED,
                ERROR,
                f"the render engine {engine} is not one the farm renders",
                None,
                None,
                f"switch to one of {', '.join(ENGINES)}",
            )
        )
    return problems


def _sequence_pattern(path: str) -> str:
    """A frame of an image sequence as a pattern: the last digits of the name become #s.

    >>> _sequence_pattern("/seq/shot.0012.png"), _sequence_pattern("/a/b.png")
    ('/seq/shot.####.png', '/a/b.png')
    """
    folder, slash, name = path.rpartition("/")
    runs = list(re.finditer(r"\d+", name))
    if not runs:
        return path
    m = runs[-1]
    return f"{folder}{slash}{name[: m.start()]}{'#' * len(m.group())}{name[m.end() :]}"


def _dependency(entry: dict[str, Any], resolver: Resolver) -> Dependency:
    """One file the .blend names, found (or not) on this machine."""
    # Blender joins "//../x" to the .blend's folder without resolving the "..".
    written = posixpath.normpath(entry["absolute"].replace("\\", "/"))
    dep = Dependency(
        kind=entry["kind"],
        node=entry["node"],
        attribute=entry["attribute"],
        path=written,
        optional=entry["optional"],
    )
    if entry["source"] in _PATTERN_SOURCES:
        dep.pattern = True
        if entry["source"] == "SEQUENCE":
            written = _sequence_pattern(written)
            dep.path = written
        folder, how, files = resolver.find_pattern(written)
        if folder is not None and files:
            dep.resolved, dep.found_by, dep.files, dep.exists = str(folder), how, files, True
            dep.size = sum(f.size for f in files)
            dep.mtime = max(f.mtime for f in files)
        return dep
    if os.path.isdir(written):  # a cache folder: everything in it
        files = _walk(Path(written))
        dep.pattern, dep.files, dep.exists = True, files, bool(files)
        if files:
            dep.resolved, dep.found_by = written, "as_written"
            dep.size, dep.mtime = sum(f.size for f in files), max(f.mtime for f in files)
        return dep
    found, how = resolver.find(written)
    st = stat(found) if found is not None else None
    if found is not None and st is not None and not found.is_dir():
        dep.resolved, dep.found_by, dep.exists = str(found), how, True
        dep.size, dep.mtime = st.st_size, st.st_mtime
    return dep


def _walk(folder: Path) -> list[FileEntry]:
    files = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in sorted(names):
            st = stat(Path(dirpath) / name)
            if st is not None:
                files.append(FileEntry(str(Path(dirpath) / name), st.st_size, st.st_mtime))
    return files


# --------------------------------------------------------------------------- from flags


def _from_flags(
    scene: Path,
    version: str | None,
    frames: str | None,
    resolution: tuple[int, int] | None,
    asked: str | None,
) -> Analysis:
    where = f"{asked} was not found" if asked else "Blender is not installed here (not on PATH)"
    absent = [
        flag for flag, value in (("--frames", frames), ("--resolution", resolution)) if not value
    ]
    if absent:
        raise BlendError(
            f"{scene}: {where}, so the scene cannot be read; give {' and '.join(absent)} "
            "(e.g. --frames 1-100 --resolution 1920x1080) or install Blender",
            str(scene),
        )
    assert frames is not None  # in `absent` otherwise
    first = parse_frames(frames)[0]  # a bad expression is a ValueError naming the bad part
    warning = Diagnostic(
        BLENDER_NOT_FOUND,
        WARNING,
        f"{where}: the frames and size come from the options, and the files the scene "
        "names (textures, libraries, caches) are not known, so only the .blend is sent; "
        "the farm fails the job if it needs anything else",
        None,
        str(scene),
        "install Blender (or pass --blender PATH), or pack the files into the .blend "
        "(File > External Data > Pack Resources)",
    )
    return Analysis(
        scene_file=str(scene),
        scene_file_size=scene.stat().st_size,
        maya_version="",
        codeset="UTF-8",
        time_unit="",
        fps=0.0,
        linear_unit="",
        project=None,
        software_config={"cg_name": "Blender", "cg_version": version or "unknown", "plugins": {}},
        renderer="",
        current_frame=first,
        render_layer_type=0,
        scene_info_render={},
        asset=[],
        diagnostics=[warning],
    )
