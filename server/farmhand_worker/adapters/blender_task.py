"""Run inside Blender (``--python``) before a task renders: the task's settings, nothing else.

The adapter passes everything as arguments after ``--`` (and a JSON file for path
mapping); no Python code is ever built from job data. In order, it:

1. maps the absolute paths the .blend names (linked libraries, images, caches, …) to
   where the worker laid the job's files out, by the task's prefix pairs (the worker's
   ``PathMapper.path_map``); relative ``//`` paths follow the .blend and need nothing;
2. fails the task when a file the render needs is still missing (Blender 3.4 renders a
   missing image texture as magenta without a word, and a missing library as nothing),
   naming it by the artist's path when it was mapped; prints the check's result
   (``FARMHAND: node check: N file(s) found, M missing``) for the attempt's log;
3. sets the image size, the view layers and the camera the job asks for;
4. sets the border of a tile.

Problems are printed as ``FARMHAND-ERROR: <message>`` lines, then Blender exits with
status 3 before rendering; the adapter reads those lines as fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

try:
    import bpy
except ImportError:  # imported outside Blender (the doctest collector): nothing runs then
    bpy = None

EXIT_STATUS = 3
_DRIVE = re.compile(r"^([A-Za-z]):/")


def _client_path(path: str) -> str | None:
    """An absolute client path with forward slashes, or None for a path relative to a .blend.

    Blender writes relative paths as ``//tex/a.png``; a Windows UNC path is ``\\\\nas\\x``.
    """
    if path.startswith("//"):
        return None
    path = path.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return path
    return None


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="farmhand blender task")
    parser.add_argument("--paths", help="JSON object {client prefix: local prefix}, in order")
    parser.add_argument("--size", nargs=2, type=int, metavar=("WIDTH", "HEIGHT"))
    parser.add_argument("--layer", action="append", default=[])
    parser.add_argument("--camera")
    parser.add_argument(
        "--border", nargs=4, type=float, metavar=("MIN_X", "MAX_X", "MIN_Y", "MAX_Y")
    )
    parser.add_argument("--crop", action="store_true")
    return parser.parse_args(argv[argv.index("--") + 1 :] if "--" in argv else [])


class _Mapper:
    """Client path → local path by the worker's prefix pairs (first match wins)."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = [(a.replace("\\", "/"), b) for a, b in prefixes.items()]

    def client(self, local: str) -> str | None:
        """The artist's path of a local path under one of the local prefixes, or None."""
        local = local.replace("\\", "/")
        for prefix, target in self.prefixes:
            if local.startswith(target):
                return prefix + local[len(target) :]
        return None

    def map(self, path: str) -> str | None:
        client = _client_path(path)
        if client is None:
            return None
        for prefix, local in self.prefixes:
            if client.startswith(prefix):
                return local + client[len(prefix) :]
        return None


def _remap(mapper: _Mapper) -> None:
    """Point absolute paths at the job's files; libraries first, as they bring in more data."""
    for lib in bpy.data.libraries:
        local = mapper.map(lib.filepath)
        if local and local != lib.filepath:
            lib.filepath = local
            lib.reload()
    collections = (bpy.data.images, bpy.data.cache_files, bpy.data.volumes, bpy.data.fonts,
                   bpy.data.sounds, bpy.data.movieclips)  # fmt: skip
    for collection in collections:
        for block in collection:
            path = getattr(block, "filepath", "")
            if block.library is not None or not path:
                continue  # linked data follows its library
            local = mapper.map(path)  # None for a "//" path: it follows the .blend
            if local and local != path:
                block.filepath = local


def _used(block: Any) -> bool:  # a bpy.types.ID
    return block.users > (1 if block.use_fake_user else 0)


def _needed() -> list[tuple[str, str, str]]:
    """(what, name, local path) of each file the render needs: libraries, used images (each
    UDIM tile), caches and volumes."""
    needed = [
        ("library", lib.name, os.path.normpath(bpy.path.abspath(lib.filepath)))
        for lib in bpy.data.libraries
    ]
    for image in bpy.data.images:
        if image.packed_file is not None or not _used(image):
            continue
        path = os.path.normpath(bpy.path.abspath(image.filepath, library=image.library))
        if image.source in ("FILE", "MOVIE"):
            needed.append(("image", image.name, path))
        elif image.source == "TILED" and "<UDIM>" in path:
            needed += [
                ("image", image.name, path.replace("<UDIM>", str(tile.number)))
                for tile in image.tiles
            ]
        # sequences are frame-dependent; generated images have no file
    for block in (*bpy.data.cache_files, *bpy.data.volumes):
        if getattr(block, "is_sequence", False) or getattr(block, "packed_file", None):
            continue
        if _used(block):
            path = os.path.normpath(bpy.path.abspath(block.filepath, library=block.library))
            needed.append(("cache", block.name, path))
    return needed


def _missing(mapper: _Mapper | None = None) -> list[str]:
    """Files the render needs that are not here, each by its path here and, when it was
    mapped, the artist's path; the check's result is printed for the attempt's log."""
    problems = []
    needed = _needed()
    for what, name, path in needed:
        if os.path.isfile(path):
            continue
        client = mapper.client(path) if mapper is not None else None
        where = f"{client} (here {path})" if client else path
        problems.append(f"missing {what} {name!r}: {where}")
    print(
        f"FARMHAND: node check: {len(needed) - len(problems)} file(s) found, "
        f"{len(problems)} missing",
        flush=True,
    )
    return problems


def _settings(scene: Any, args: argparse.Namespace) -> list[str]:  # a bpy.types.Scene
    """Apply size, layers, camera and border; problems with them, if any."""
    problems = []
    render = scene.render
    if args.size:
        render.resolution_x, render.resolution_y = args.size
        render.resolution_percentage = 100
    if args.layer:
        names = {layer.name for layer in scene.view_layers}
        problems += [
            f"no view layer {n!r} in scene {scene.name!r}" for n in args.layer if n not in names
        ]
        for layer in scene.view_layers:
            layer.use = layer.name in args.layer
    if args.camera:
        camera = scene.objects.get(args.camera)
        if camera is None or camera.type != "CAMERA":
            problems.append(f"no camera {args.camera!r} in scene {scene.name!r}")
        else:
            scene.camera = camera
    if args.border:
        render.use_border = True
        render.border_min_x, render.border_max_x, render.border_min_y, render.border_max_y = (
            args.border
        )
        render.use_crop_to_border = args.crop
    return problems


def main() -> None:
    """Apply the task to the open scene, or print why not and exit before rendering."""
    args = _args(sys.argv)
    mapper = None
    if args.paths:
        with open(args.paths, encoding="utf-8") as f:
            mapper = _Mapper(json.load(f))
        _remap(mapper)
    problems = _missing(mapper) + _settings(bpy.context.scene, args)
    for problem in problems:
        print(f"FARMHAND-ERROR: {problem}", flush=True)
    if problems:
        sys.exit(EXIT_STATUS)


if __name__ == "__main__":
    main()
