r"""The ``maya`` adapter: a task as Maya's ``Render`` command line.

``Render -r <renderer> <renderer flags> -s -e -b [-cam] [-rl] [-x -y] -rd
[-im] [-of] [-proj] [-reg L R B T] [-preRender MEL] [extra_args] scene``, one
run per contiguous run of the task's frames (``RenderCommand.then`` holds the
runs after the first, so ``1-3,7`` is ``-s 1 -e 3 -b 1`` then ``-s 7 -e 7``).

* What differs per renderer is one table, :mod:`.maya_renderers` (the same in
  docs/worker-adapters.md, and followed by the test stand-in): ``renderer.name``
  picks ``-r``, that renderer's fixed flags (``arnold``: ``-rt 0 -ai:lve 2 -ai:ltc 1
  -ai:alf 1``), its missing-texture switch (``-amt true``, ``-ai:aerr 1``), its
  environment and its region rule. Without a name the scene's renderer is used
  (``-r file``). Maya's node names (``mayaSoftware``, ``mayaHardware2``,
  ``renderManRIS``) are accepted too.
* One layer per ``Render`` call: a version 1 group of several layers is one run per
  layer, its prefix given a ``<RenderLayer>/`` folder (as Maya would when several
  layers render) so the layers' files stay apart.
* ``Render -cam`` takes one camera, so a job may name at most one.
* Tiles: ``-reg`` from the renderer's :class:`~.maya_renderers.RegionRule` (Software
  counts rows from the bottom-left, Arnold from the top-left; inclusive), and the
  tile's images read as the rule says the renderer wrote them (``tile_mode`` and
  ``tile_modes`` per extension: Arnold's PNG/TIFF/JPEG are cropped to the region,
  its EXR and every Software image full size). Renderers without a verified rule
  refuse tiles. The output prefix gets :data:`TILE_SUFFIX` (``<Scene>_tile0003``)
  so tiles of a frame never share a name.
* Environment: :data:`~.maya_renderers.COMMON_ENV` (no telemetry or crash dialogs,
  a UTF-8 locale), the renderer's own, and ``MAYA_RENDER_SETUP_INCLUDE_ALL_LIGHTS``
  from the spec's ``renderer.include_all_lights`` (the artist's preference).
* Paths: a pre-render MEL (``-preRender 'source "…/farmhand_prerender.mel";'``)
  runs ``dirmap -en true`` and one ``dirmap -m "<client>" "<local>"`` per pair of
  ``task.path_map`` (a Windows prefix also spelled with backslashes, since dirmap
  compares text); ``ARNOLD_PATHMAP`` names a JSON file
  ``{"linux": {"C:/": "/jobs/7/C/", …}}`` for Arnold's own texture and
  stand-in loading. Both files are written as UTF-8. The same pairs are set at
  Maya's start-up too (``farmhand_worker.adapters.maya_startup``: a farm ``userSetup.mel``
  first on ``MAYA_SCRIPT_PATH``), for references loaded as the scene opens.

Expected outputs are left empty: Maya names files from the prefix tokens
(``<Scene>``, ``<RenderLayer>``, ``<Camera>``, ``<RenderPass>``), the scene's
padding, frame/extension convention, AOVs and layer folders, which the worker
cannot know without Maya. The daemon's check (every frame left at least one
non-empty file) applies instead.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from farmhand.scene.renderers import RENDER_FLAG
from farmhand.spec.frames import chunks
from farmhand.spec.jobspec import relative_path_problem
from farmhand.spec.plan import LayerGroup, PlanError, expected_outputs, group_of

from farmhand_worker.adapters import maya_startup, options
from farmhand_worker.adapters.base import AdapterError, LineEvent, RenderCommand, RenderTask
from farmhand_worker.adapters.maya_renderers import (
    COMMON_ENV,
    FULL,
    INCLUDE_ALL_LIGHTS,
    RENDERERS,
    MayaRenderer,
)
from farmhand_worker.adapters.maya_renderers import fatal_patterns as _fatal_patterns

TILE_SUFFIX = "_tile{index:04d}"
"""Appended to the output prefix of a tile task (before Maya's frame number and extension)."""

PRE_RENDER_MEL = "farmhand_prerender.mel"
ARNOLD_PATHMAP_JSON = "farmhand_arnold_pathmap.json"

QUIET_ENV = COMMON_ENV
"""Environment for every Maya run (the table's common environment)."""

ALIASES = {name: flag for name, flag in RENDER_FLAG.items() if name != flag}
"""Maya's ``defaultRenderGlobals.currentRenderer`` values that differ from ``Render -r``."""

_NODE_NAME = re.compile(r"[|:]?[A-Za-z_]\w*(?:[|:][A-Za-z_]\w*)*", re.ASCII)
_FORMAT = re.compile(r"[A-Za-z0-9_]{1,32}")


# --------------------------------------------------------------------------- MEL and JSON


def mel_string(text: str) -> str:
    r"""``text`` as a MEL string literal, for a file written as UTF-8.

    Backslashes and double quotes are escaped, newlines and tabs written as
    ``\n``/``\t``; other characters, non-ASCII included, stay as they are (MEL
    has no escape for them). Other control characters are refused.

    >>> print(mel_string('C:\\Projects\\say "hi"/été'))
    "C:\\Projects\\say \"hi\"/été"
    """
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in text):
        raise AdapterError(f"{text!r} contains a control character MEL cannot carry")
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def dirmap_mel(path_map: Mapping[str, str]) -> str:
    """The pre-render MEL: enable dirmap and map each client prefix to its local prefix.

    >>> print(dirmap_mel({"C:/": "/jobs/7/C/"}), end="")
    // Farmhand: the artist's paths on this worker (Maya's dirmap compares case).
    dirmap -en true;
    dirmap -m "C:/" "/jobs/7/C/";
    """
    lines = [
        "// Farmhand: the artist's paths on this worker (Maya's dirmap compares case).",
        "dirmap -en true;",
    ]
    lines += [f"dirmap -m {mel_string(c)} {mel_string(loc)};" for c, loc in path_map.items()]
    return "\n".join(lines) + "\n"


def with_backslashes(path_map: Mapping[str, str]) -> dict[str, str]:
    r"""The pairs, each Windows-style client prefix also spelled with backslashes (a scene
    may keep ``\\nas\lib\x.png`` as typed; dirmap compares text).

    >>> with_backslashes({"//nas/lib/": "/jobs/7/nas/lib/"})
    {'//nas/lib/': '/jobs/7/nas/lib/', '\\\\nas\\lib\\': '/jobs/7/nas/lib/'}
    """
    pairs = dict(path_map)
    for client, local in path_map.items():
        if re.match(r"[A-Za-z]:/|//", client):
            pairs.setdefault(client.replace("/", "\\"), local)
    return pairs


def arnold_os() -> str:
    """The platform key of ``ARNOLD_PATHMAP`` for this worker: linux, windows or mac."""
    return {"win32": "windows", "darwin": "mac"}.get(sys.platform, "linux")


def arnold_pathmap(path_map: Mapping[str, str]) -> str:
    """The ``ARNOLD_PATHMAP`` JSON for this worker's platform.

    >>> arnold_pathmap({"C:/": "/jobs/7/C/"}) == '{"%s": {"C:/": "/jobs/7/C/"}}' % arnold_os()
    True
    """
    return json.dumps({arnold_os(): dict(path_map)}, ensure_ascii=False)


# --------------------------------------------------------------------------- options


def _renderer(name: str | None) -> MayaRenderer:
    name = name or "file"
    name = ALIASES.get(name, name)
    if name not in RENDERERS:
        known = ", ".join(sorted(RENDERERS))
        raise AdapterError(f"renderer {name!r} is not one the maya adapter drives ({known})")
    return RENDERERS[name]


def _group(task: RenderTask) -> LayerGroup:
    try:
        return group_of(task.spec, task.layer)
    except PlanError as exc:
        raise AdapterError(str(exc)) from None


def _checked_names(names: list[str], what: str) -> list[str]:
    for name in names:
        if not isinstance(name, str) or not _NODE_NAME.fullmatch(name):
            raise AdapterError(f"{what} {name!r} is not a Maya node name")
    return names


def _output_prefix(task: RenderTask, group: LayerGroup) -> str | None:
    """The ``-im`` value: the layer's prefix, relative and unable to climb out of ``-rd``."""
    prefix = group.output_prefix or ""
    if not isinstance(prefix, str):
        raise AdapterError("output_prefix must be a string")
    prefix = prefix.replace("\\", "/")
    if "\0" in prefix:
        raise AdapterError("output_prefix contains a NUL character")
    if prefix and (problem := relative_path_problem(prefix)):
        raise AdapterError(f"output_prefix {prefix!r} {problem}")
    if task.tile is not None:
        prefix = (prefix or "<Scene>") + TILE_SUFFIX.format(index=task.tile.tile.index)
    return prefix or None


def _extra_args(task: RenderTask) -> list[str]:
    return options.extra_args(task, "maya")  # the allowlist: farmhand.spec.render_options


def _size(task: RenderTask, group: LayerGroup) -> tuple[int, int] | None:
    if task.tile is not None or group.index is None:
        return options.image_size(task)
    width, height = group.width, group.height
    if width is None or height is None:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height)):
        raise AdapterError(f"width and height must be positive whole numbers, not {width}x{height}")
    return width, height


def _layers(group: LayerGroup) -> list[str | None]:
    """The layers to render, one per ``Render`` call (None: the scene's renderable ones)."""
    return list(_checked_names(group.name.split(","), "layer")) if group.name else [None]


def _common_flags(
    task: RenderTask, group: LayerGroup, renderer: MayaRenderer, layer: str | None, layers: int
) -> list[str]:
    """Every flag after the frame range and camera, before the scene (the same for each run
    of one layer)."""
    argv: list[str] = []
    if layer:
        argv += ["-rl", layer]
    size = _size(task, group)
    if size:
        argv += ["-x", str(size[0]), "-y", str(size[1])]
    argv += ["-rd", str(task.output_dir)]
    prefix = _output_prefix(task, group)
    if layers > 1 and "<RenderLayer>" not in (prefix or ""):
        prefix = "<RenderLayer>/" + (prefix or "<Scene>")
    if prefix:
        argv += ["-im", prefix]
    image_format = task.renderer.get("image_format")
    if image_format:
        if not isinstance(image_format, str) or not _FORMAT.fullmatch(image_format):
            raise AdapterError(f"renderer.image_format {image_format!r} is not a format name")
        argv += ["-of", image_format]
    if task.project_dir is not None:
        argv += ["-proj", str(task.project_dir)]
    if task.tile is not None:
        if renderer.region is None:
            raise AdapterError(
                f"Render -r {renderer.r} {renderer.no_region_why}: tiles need another renderer"
            )
        tile = task.tile.tile
        region = renderer.region.argv(
            tile.x, tile.y, tile.width, tile.height, task.tile.image_height
        )
        argv += ["-reg", *(str(v) for v in region)]
    if task.path_map:
        source = f"source {mel_string((task.work_dir / PRE_RENDER_MEL).as_posix())};"
        argv += ["-preRender", source]
    return argv + _extra_args(task)


def _frame_ranges(task: RenderTask, group: LayerGroup) -> list[list[str]]:
    """``-s -e -b`` per contiguous run of the task's frames; none for a still (animation off):
    passing a range would turn animation on and rename the file."""
    if not group.animation:
        return [[]]
    return [
        ["-s", str(run.start), "-e", str(run.end), "-b", str(run.step)]
        for run in chunks(task.frames, len(task.frames))
    ]


class MayaAdapter:
    """Maya's ``Render``: see the module doc."""

    name = "maya"

    def build(self, task: RenderTask) -> RenderCommand:
        """One ``Render`` run per camera picked (one for all renderable cameras) and per
        contiguous run of the task's frames."""
        if not task.frames:
            raise AdapterError("the task has no frames")
        if task.kind == "tile" and task.tile is None:
            raise AdapterError("a tile task without its tile")
        group = _group(task)
        renderer = _renderer(group.renderer)
        head = [task.executable or "Render", "-r", renderer.r, *renderer.flags,
                *renderer.missing_texture]  # fmt: skip
        layers = _layers(group)
        cameras = _checked_names(group.cameras, "camera") if group.pick_cameras else []
        picks = [["-cam", camera] for camera in cameras] or [[]]
        runs = [
            [
                *head,
                *frames,
                *pick,
                *_common_flags(task, group, renderer, layer, len(layers)),
                str(task.scene),
            ]
            for layer in layers
            for pick in picks
            for frames in _frame_ranges(task, group)
        ]
        env = {**COMMON_ENV, **renderer.env}
        lights = task.renderer.get("include_all_lights")
        if lights is not None:
            if not isinstance(lights, bool):
                raise AdapterError("renderer.include_all_lights must be true or false")
            env[INCLUDE_ALL_LIGHTS] = "1" if lights else "0"
        files: dict[Path, str] = {}
        if task.path_map:
            pairs = with_backslashes(task.path_map)
            files[task.work_dir / PRE_RENDER_MEL] = dirmap_mel(pairs)
            files[task.work_dir / ARNOLD_PATHMAP_JSON] = arnold_pathmap(pairs)
            env["ARNOLD_PATHMAP"] = str(task.work_dir / ARNOLD_PATHMAP_JSON)
            startup_files, startup_env = maya_startup.startup(task.work_dir, pairs, mel_string)
            files.update(startup_files)
            env.update(startup_env)
        expected = [] if task.tile is not None else expected_outputs(group, task.frames)
        return RenderCommand(
            argv=runs[0],
            then=runs[1:],
            cwd=task.work_dir,
            env=env,
            expected=[task.output_dir / _safe_relative(p) for p in expected],
            files=files,
            tile_mode=(renderer.region.default if renderer.region else FULL)
            if task.tile is not None
            else None,
            tile_modes=dict(renderer.region.written)
            if task.tile is not None and renderer.region
            else {},
        )

    def parse_line(self, line: str) -> LineEvent | None:
        """Progress of the frame being rendered, or why the attempt must fail (see the docs)."""
        return parse_line(line)


def _safe_relative(path: str) -> str:
    """An expected output's name, refused when it could point outside the output folder."""
    if problem := relative_path_problem(path):
        raise AdapterError(
            f"expected output {path!r} must be a relative path inside the output: {problem}"
        )
    return path.replace("\\", "/")


# --------------------------------------------------------------------------- output lines
# Where the patterns come from: Arnold's progress line as CGRU's Afanasy parsers quote it
# ("00:00:15   325MB         |    20% done - 115 rays/pixel"); the fatal lines are the
# table's (maya_renderers: Deadline's MayaCmd plug-in's list, the licence lines AWS Deadline
# Cloud's Maya adaptor matches); Redshift's "Block 32/48 (7,4) rendered by GPU 0" as CGRU
# quotes it. None was seen from a live Maya here; docs/worker-adapters.md lists them.

_FATAL = _fatal_patterns()

_PERCENT = [
    re.compile(r"\|\s*(\d{1,3})% done"),  # Arnold
    re.compile(r"R90000\s+(\d{1,3})%"),  # RenderMan
    re.compile(r"\[PROGRESS\]\s+(\d{1,3}) percent"),  # Maya software / hardware
    re.compile(r"Percentage of rendering done: (\d{1,3}(?:\.\d+)?)"),
    re.compile(r"V-Ray: +(\d{1,3}) ?%|(\d{1,3}) % completed"),  # V-Ray
]
_BLOCKS = re.compile(r"Block (\d+)/(\d+) .*rendered")  # Redshift
_FRAME_DONE = re.compile(r"\| render done\b|^Finished Rendering ")  # Arnold, Maya


def parse_line(line: str) -> LineEvent | None:
    """What one line of ``Render`` output means: a fatal reason, the frame's progress, or None.

    >>> parse_line("00:00:15   325MB         |    40% done - 115 rays/pixel")
    LineEvent(progress=0.4, fatal=None)
    >>> event = parse_line("00:00:00  5452MB ERROR   |  aborting render because this is a "
    ...                    "batch render and abort_on_license_fail option is enabled")
    >>> event.progress, event.fatal[:40]
    (None, 'Arnold licence failure: 00:00:00  5452MB')
    >>> parse_line("[mtoa] Loading plug-in") is None
    True
    """
    text = line.strip()
    for pattern, reason in _FATAL:
        if pattern.search(text):
            return LineEvent(fatal=f"{reason}: {text}")
    for pattern in _PERCENT:
        match = pattern.search(text)
        if match:
            value = float(next(g for g in match.groups() if g is not None))
            return LineEvent(progress=value / 100) if value <= 100 else None
    match = _BLOCKS.search(text)
    if match and 0 < int(match[1]) <= int(match[2]):
        return LineEvent(progress=int(match[1]) / int(match[2]))
    if _FRAME_DONE.search(text):
        return LineEvent(progress=1.0)
    return None


ADAPTER = MayaAdapter()
