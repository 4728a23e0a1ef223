"""The ``blender`` adapter: a task as ``blender -b`` with the scene's own settings.

``blender -b -Y <scene> [extra_args] -o <output_dir>/<prefix>#### -F <format> -x 1
[-E <engine>] --python-exit-code 3 --python <task script> <frames> -- <task args>``

* **Frames**: one frame ``-f N``; consecutive frames ``-s S -e E -j 1 -a`` (``-j 1``
  because ``-a`` otherwise follows the scene's frame step); frames with gaps
  ``-f 1,3,5``. Blender reads ``-f -5`` as "5 before the end", so negative frames are
  refused.
* **Outputs**: ``-o`` is the task's output folder plus the spec's ``output_prefix``
  (relative; default the scene's name and ``_``) and ``####`` unless the prefix has its
  own ``#`` run. ``-x 1`` pins the file extension, ``-F`` the format (the spec's
  ``renderer.image_format``, PNG when absent), so ``expected`` names every file exactly
  as Blender does (:func:`frame_file`).
* **Tiles**: the task script sets ``use_border`` and the border from
  :func:`farmhand.spec.tiles.to_blender_border`. The file name gets ``tile0003_`` before the
  frame number, so the tiles of a frame never share a name. Float formats (EXR, HDR)
  are written cropped to the tile (``tile_mode="cropped"``, the cheap way). 8-bit and
  16-bit formats are written full size with only the tile rendered (``"full"``):
  Blender dithers integer output with noise seeded by the pixel's position in the
  written image, so a cropped tile would get other noise than the same pixels of a
  whole frame; in a full-size image the positions, and so the noise, are the same.
* **The task script** (``blender_task.py``, written to the work folder) maps the
  scene's absolute paths by ``task.path_map``, fails the task when an image, library or
  cache is missing (Blender itself renders a missing texture magenta, silently), and
  sets the size, view layers, camera and border. Its arguments come after ``--``;
  no code is built from job data.
* **Environment**: ``BLENDER_USER_CONFIG`` and ``BLENDER_USER_SCRIPTS`` point into the
  work folder, so the node's user preferences and add-ons do not leak into renders;
  ``-Y`` keeps the scene's own Python (drivers, startup scripts) from running.
* ``renderer.extra_args`` go right after the scene (so the adapter's own flags win);
  only the flags of :data:`farmhand.spec.render_options.BLENDER_OPTIONS` are allowed, each
  with a value of its type (none takes a path or code).

:meth:`BlenderAdapter.parse_line` knows these lines of Blender 3.4 (all seen in real
runs, see the tests):

====================================================  ==========================================
line                                                  meaning
====================================================  ==========================================
``Fra:1 … | Sample 5/16``                             Cycles progress of the frame, 5/16
``Fra:1 … | Rendering 3 / 64 samples``                Eevee progress of the frame
``Fra:1 … | Rendered 5/16 Tiles``                     Cycles before 3.0
``FARMHAND-ERROR: <why>``                             fatal: the task script refused (missing file,
                                                      unknown view layer or camera)
``Error: Cannot read file '<scene>': …``              fatal: the scene cannot be read
``Warning: Unable to open '<lib>': …``                fatal: a linked library is missing
``Warning: N libraries and M linked data-blocks …``   fatal: the same, summed up
``Error: engine not found '<engine>'``                fatal: ``-E`` names no engine here
``Error: Format from '-F / --render-format' not…``    fatal: Blender would render PNG instead
``Error: Render error (…) cannot save: '<file>'``     fatal: the image could not be written
``Error: script failed, file: …``                     fatal: a Python exception in the task script
====================================================  ==========================================

``Unable to open a display`` and the ``EGL Error`` lines Eevee prints without a
display are not fatal in ``-b``. Progress is per frame: the contract's ``parse_line``
does not know the task, so a chunk's progress restarts at each frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from farmhand.spec.tiles import to_blender_border

from farmhand_worker.adapters import options
from farmhand_worker.adapters.base import AdapterError, LineEvent, RenderCommand, RenderTask

TASK_SCRIPT = "farmhand_blender_task.py"
PATHS_JSON = "farmhand_blender_paths.json"
SCRIPT_EXIT = 3
"""Blender's exit status when the task script refuses (``--python-exit-code``)."""

_SCRIPT_SOURCE = Path(__file__).with_name("blender_task.py")


@dataclass(frozen=True)
class ImageFormat:
    """An image format as ``blender -F`` takes it, the file extensions Blender accepts for
    it (the first is the one it adds), and whether it stores floats (then nothing is
    dithered and tiles can be written cropped)."""

    arg: str
    extensions: tuple[str, ...]
    is_float: bool = False

    @property
    def extension(self) -> str:
        """The extension Blender adds to a file of this format."""
        return self.extensions[0]


FORMATS: dict[str, ImageFormat] = {
    "PNG": ImageFormat("PNG", (".png",)),
    "JPEG": ImageFormat("JPEG", (".jpg", ".jpeg")),
    "BMP": ImageFormat("BMP", (".bmp",)),
    "TGA": ImageFormat("TGA", (".tga",)),
    "RAWTGA": ImageFormat("RAWTGA", (".tga",)),
    "IRIS": ImageFormat("IRIS", (".rgb",)),
    "IRIZ": ImageFormat("IRIZ", (".rgb",)),
    "TIFF": ImageFormat("TIFF", (".tif", ".tiff")),
    "WEBP": ImageFormat("WEBP", (".webp",)),
    "DPX": ImageFormat("DPX", (".dpx",)),
    "HDR": ImageFormat("HDR", (".hdr",), is_float=True),
    "OPEN_EXR": ImageFormat("OPEN_EXR", (".exr",), is_float=True),
    "OPEN_EXR_MULTILAYER": ImageFormat("OPEN_EXR_MULTILAYER", (".exr",), is_float=True),
}
"""Image formats the adapter renders, by ``-F`` name."""

ALIASES = {"TARGA": "TGA", "TARGA_RAW": "RAWTGA", "EXR": "OPEN_EXR"}
"""Blender's Python names (``image_settings.file_format``) where they differ from ``-F``."""

# Blender replaces one of these at the end of a name rather than adding a second extension.
_IMAGE_EXTENSIONS = (
    ".png",
    ".tga",
    ".bmp",
    ".jpg",
    ".jpeg",
    ".sgi",
    ".rgb",
    ".rgba",
    ".tif",
    ".tiff",
    ".tx",
    ".jp2",
    ".j2c",
    ".hdr",
    ".dds",
    ".dpx",
    ".cin",
    ".exr",
    ".psd",
    ".pdd",
    ".psb",
    ".webp",
)

_MOVIES = frozenset({"FFMPEG", "AVI_JPEG", "AVI_RAW", "AVIJPEG", "AVIRAW", "MPEG"})

_ENGINE = re.compile(r"[A-Z][A-Z0-9_]{0,63}", re.ASCII)
_NAME = re.compile(r"[^\0\n\r]{1,256}")

# --------------------------------------------------------------------------- names


def image_format(name: str | None) -> ImageFormat:
    """The format for a spec's ``renderer.image_format`` (``-F`` or Python name; PNG if None).

    >>> image_format("TARGA").arg, image_format(None).extension
    ('TGA', '.png')
    """
    if name is None:
        return FORMATS["PNG"]
    if not isinstance(name, str):
        raise AdapterError("renderer.image_format must be a string")
    key = ALIASES.get(name.upper(), name.upper())
    if key in _MOVIES:
        raise AdapterError(
            f"renderer.image_format {name!r} is a movie; the farm renders one image per frame "
            f"(choose one of {', '.join(FORMATS)})"
        )
    if key not in FORMATS:
        raise AdapterError(
            f"renderer.image_format {name!r} is not one the blender adapter writes "
            f"({', '.join(FORMATS)})"
        )
    return FORMATS[key]


def _last_hash_run(name: str) -> tuple[int, int] | None:
    """Start and end of the last run of ``#`` in a file name (Blender's frame field)."""
    runs = list(re.finditer(r"#+", name))
    return (runs[-1].start(), runs[-1].end()) if runs else None


def frame_file(pattern: str, frame: int, fmt: ImageFormat) -> str:
    """The file name Blender writes for ``-o <…>/pattern`` and a frame, with ``-x 1``.

    The last ``#`` run of the file name becomes the frame with C's ``%.*d`` (at least
    that many digits, the sign not counted); without one, four digits are appended.
    A name that ends with one of the format's extensions (any case) keeps it; one that
    ends with another image extension has it replaced; any other gets it added.

    >>> png, exr = FORMATS["PNG"], FORMATS["OPEN_EXR"]
    >>> frame_file("shot_####", 7, png), frame_file("a_##_b", 123, exr)
    ('shot_0007.png', 'a_123_b.exr')
    >>> frame_file("x", -3, png), frame_file("z##.PNG", 5, png), frame_file("z##.png", 5, exr)
    ('x-0003.png', 'z05.PNG', 'z05.exr')
    """
    folder, slash, name = pattern.rpartition("/")
    if _last_hash_run(name) is None:
        name += "####"
    start, end = _last_hash_run(name)  # type: ignore[misc]
    sign = "-" if frame < 0 else ""  # C's %.*d: the digits are padded, not the sign
    name = f"{name[:start]}{sign}{abs(frame):0{end - start}d}{name[end:]}"
    lower = name.lower()
    if not lower.endswith(fmt.extensions):
        known = next((e for e in _IMAGE_EXTENSIONS if lower.endswith(e)), None)
        name = (name[: -len(known)] if known else name) + fmt.extension
    return folder + slash + name


def output_pattern(prefix: str | None, scene: Path, tile_index: int | None) -> str:
    """The part of ``-o`` under the output folder: a relative prefix with a ``#`` run.

    ``prefix`` comes from the client: it must be relative (Blender's ``//`` is
    dropped) and may not climb. A tile's number goes right before the frame number.

    >>> output_pattern(None, Path("/j/shot.blend"), None)
    'shot_####'
    >>> output_pattern("//beauty/sh010_####_v2", Path("s.blend"), 3)
    'beauty/sh010_tile0003_####_v2'
    """
    text = scene.stem + "_" if prefix is None or prefix == "" else prefix
    if not isinstance(text, str):
        raise AdapterError("output_prefix must be a string")
    text = text.replace("\\", "/").removeprefix("//")
    if "\0" in text or "\n" in text:
        raise AdapterError("output_prefix contains a control character")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        raise AdapterError(f"output_prefix {prefix!r} must be relative to the output folder")
    folder, _, name = text.rpartition("/")
    if folder and any(part in ("", ".", "..") for part in folder.split("/")):
        raise AdapterError(f"output_prefix {prefix!r} has an empty, '.' or '..' folder")
    if name in (".", ".."):
        raise AdapterError(f"output_prefix {prefix!r} must end in a file name")
    run = _last_hash_run(name)
    if run is None:
        name += "####"
        run = _last_hash_run(name)
    if tile_index is not None:
        name = f"{name[: run[0]]}tile{tile_index:04d}_{name[run[0] :]}"  # type: ignore[index]
    return f"{folder}/{name}" if folder else name


def frame_args(frames: list[int]) -> list[str]:
    """``-f N``, ``-s S -e E -j 1 -a`` for consecutive frames, else ``-f a,b,c``.

    >>> frame_args([4]), frame_args([1, 2, 3]), frame_args([1, 3, 5])
    (['-f', '4'], ['-s', '1', '-e', '3', '-j', '1', '-a'], ['-f', '1,3,5'])
    """
    if not frames:
        raise AdapterError("the task has no frames")
    ordered = sorted(set(frames))
    if ordered[0] < 0:
        raise AdapterError(
            f"frame {ordered[0]}: Blender's command line reads a negative frame as counted "
            "from the end of the scene's range, so it cannot render it"
        )
    if len(ordered) == 1:
        return ["-f", str(ordered[0])]
    if ordered[-1] - ordered[0] == len(ordered) - 1:
        return ["-s", str(ordered[0]), "-e", str(ordered[-1]), "-j", "1", "-a"]
    return ["-f", ",".join(str(f) for f in ordered)]


# --------------------------------------------------------------------------- options


def _engine(task: RenderTask) -> list[str]:
    engine = task.renderer.get("engine")
    if engine is None:
        return []
    if not isinstance(engine, str) or not _ENGINE.fullmatch(engine):
        raise AdapterError(f"renderer.engine {engine!r} is not a Blender engine name")
    return ["-E", engine]


def _extra_args(task: RenderTask) -> list[str]:
    return options.extra_args(task, "blender")


def _names(task: RenderTask, key: str) -> list[str]:
    return options.names(task, key, _NAME, "name")


def _script_args(task: RenderTask, crop: bool) -> list[str]:
    """What follows ``--``: read by the task script with argparse."""
    args = ["--paths", str(task.work_dir / PATHS_JSON)]
    size = options.image_size(task)
    if size:
        args += ["--size", str(size[0]), str(size[1])]
    # NAME=VALUE, so that a name starting with "-" is not read as an option.
    args += [f"--layer={layer}" for layer in _names(task, "layers")]
    cameras = _names(task, "cameras")
    if len(cameras) > 1:
        raise AdapterError(
            f"Blender renders one camera per scene, this job names {len(cameras)}: "
            "submit one job per camera"
        )
    if cameras:
        args.append(f"--camera={cameras[0]}")
    if task.tile is not None:
        tile = task.tile
        try:
            border = to_blender_border(tile.tile, tile.image_width, tile.image_height)
        except ValueError as exc:
            raise AdapterError(str(exc)) from None
        args += ["--border", *(repr(v) for v in border)]  # repr: exact round trip
        if crop:
            args.append("--crop")
    return args


class BlenderAdapter:
    """``blender -b``: see the module doc."""

    name = "blender"

    def build(self, task: RenderTask) -> RenderCommand:
        """The command for a chunk of frames or one tile of a frame."""
        if task.kind == "tile" and task.tile is None:
            raise AdapterError("a tile task without its tile")
        if task.tile is not None and len(task.frames) != 1:
            raise AdapterError(f"a tile task renders one frame, not {len(task.frames)}")
        fmt = image_format(task.renderer.get("image_format"))
        crop = fmt.is_float
        index = task.tile.tile.index if task.tile is not None else None
        pattern = output_pattern(task.spec.get("output_prefix"), task.scene, index)
        frames = frame_args(task.frames)
        argv = [
            task.executable or "blender", "-b", "-Y", str(task.scene), *_extra_args(task),
            "-o", str(task.output_dir / pattern), "-F", fmt.arg, "-x", "1", *_engine(task),
            "--python-exit-code", str(SCRIPT_EXIT),
            "--python", str(task.work_dir / TASK_SCRIPT),
            *frames, "--", *_script_args(task, crop),
        ]  # fmt: skip
        expected = [
            task.output_dir / frame_file(pattern, frame, fmt) for frame in sorted(set(task.frames))
        ]
        user = task.work_dir / "blender-user"
        return RenderCommand(
            argv=argv,
            cwd=task.work_dir,
            env={
                "BLENDER_USER_CONFIG": str(user / "config"),
                "BLENDER_USER_SCRIPTS": str(user / "scripts"),
            },
            expected=expected,
            files={
                task.work_dir / TASK_SCRIPT: _SCRIPT_SOURCE.read_text(encoding="utf-8"),
                task.work_dir / PATHS_JSON: json.dumps(task.path_map, ensure_ascii=False),
            },
            tile_mode=("cropped" if crop else "full") if task.tile is not None else None,
        )

    def parse_line(self, line: str) -> LineEvent | None:
        """Progress of the frame being rendered, or why the attempt must fail (module doc)."""
        return parse_line(line)


_PROGRESS = (
    re.compile(r"^Fra:-?\d+ .*\| Sample (\d+)/(\d+)"),
    re.compile(r"^Fra:-?\d+ .*\| Rendering (\d+) / (\d+) samples"),
    re.compile(r"^Fra:-?\d+ .*\| Rendered (\d+)/(\d+) Tiles"),
)
_FATAL = (
    re.compile(r"^FARMHAND-ERROR: (.+)"),
    re.compile(r"^Error: (Cannot read file .+)"),
    re.compile(r"^Warning: (Unable to open '.+)"),
    re.compile(r"^Warning: (\d+ libraries and \d+ linked data-blocks are missing.*)"),
    re.compile(r"^Error: (engine not found .+)"),
    re.compile(r"^Error: (Format from '-F / --render-format' not known.*)"),
    re.compile(r"^Error: (Render error .+)"),
    re.compile(r"^Error: (script failed, file: .+)"),
)


def parse_line(line: str) -> LineEvent | None:
    """A line of Blender's output as progress (0..1) or a fatal reason; None otherwise.

    >>> parse_line("Fra:1 Mem:10.04M (Peak 10.41M) | Time:00:00.05 | Scene, View | Sample 4/16")
    LineEvent(progress=0.25, fatal=None)
    >>> parse_line("Error: engine not found 'NOPE'").fatal
    "engine not found 'NOPE'"
    """
    line = line.rstrip("\r\n")
    for pattern in _FATAL:
        m = pattern.match(line)
        if m:
            return LineEvent(fatal=m.group(1))
    for pattern in _PROGRESS:
        m = pattern.match(line)
        if m:
            done, total = int(m.group(1)), int(m.group(2))
            return LineEvent(progress=min(done / total, 1.0)) if total else None
    return None


ADAPTER = BlenderAdapter()
