"""Run inside Blender: what a .blend will render and every file it names, as JSON.

``blender -b --factory-startup -Y SCENE.blend --python probe.py -- OUT.json``
(`farmhand.blend.probe` runs it). The scene is the one Blender renders with ``-b``:
the file's active scene. Paths are written twice: as the .blend stores them (``//`` is
relative to the .blend, or to the library a linked block comes from) and made
absolute by Blender's own rule. This file only reads; it changes and saves nothing.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

try:
    import bpy
except ImportError:  # imported outside Blender (the doctest collector): nothing runs then
    bpy = None


def _abs(path: str, library: Any = None) -> str:
    return bpy.path.abspath(path, library=library) if path else ""


def _files() -> list[dict]:
    """Every external file: typed blocks first, then whatever else Blender knows a path of."""
    found: list[dict] = []

    def add(kind: str, block: Any, path: str, **extra: Any) -> None:
        library = getattr(block, "library", None) if kind != "reference" else block.parent
        found.append(
            {
                "kind": kind,
                "node": block.name,
                "attribute": "filepath",
                "path": path,
                "absolute": _abs(path, library),
                "source": extra.pop("source", "FILE"),
                "optional": extra.pop("optional", False),
            }
        )

    for lib in bpy.data.libraries:
        add("reference", lib, lib.filepath)
    for image in bpy.data.images:
        if image.source in ("FILE", "SEQUENCE", "TILED", "MOVIE") and image.packed_file is None:
            add("texture", image, image.filepath, source=image.source)
    for cache in bpy.data.cache_files:
        add("cache", cache, cache.filepath, source="SEQUENCE" if cache.is_sequence else "FILE")
    for volume in bpy.data.volumes:
        if volume.packed_file is None:
            add(
                "volume",
                volume,
                volume.filepath,
                source="SEQUENCE" if volume.is_sequence else "FILE",
            )
    for sound in bpy.data.sounds:
        if sound.packed_file is None:
            add("audio", sound, sound.filepath, optional=True)
    for clip in bpy.data.movieclips:
        add("movie_clip", clip, clip.filepath, source=clip.source)
    for font in bpy.data.fonts:
        if font.packed_file is None and font.filepath != "<builtin>":
            add("font", font, font.filepath)
    known = {os.path.normpath(f["absolute"]) for f in found}
    for path in bpy.utils.blend_paths(absolute=True, packed=False, local=False):
        # Caches of simulations, point caches, …: optional, as they may be unbaked.
        if os.path.normpath(path) not in known:
            found.append(
                {
                    "kind": "file",
                    "node": "scene",
                    "attribute": "path",
                    "path": path,
                    "absolute": path,
                    "source": "FILE",
                    "optional": True,
                }
            )
            known.add(os.path.normpath(path))
    return [f for f in found if f["path"]]


def probe() -> dict:
    """The active scene's render settings and the files the .blend names."""
    scene = bpy.context.scene
    render = scene.render
    percent = render.resolution_percentage
    return {
        "blender_version": bpy.app.version_string,
        "file_version": list(bpy.data.version),
        "scene": scene.name,
        "frame_start": scene.frame_start,
        "frame_end": scene.frame_end,
        "frame_step": scene.frame_step,
        "frame_current": scene.frame_current,
        "fps": render.fps / render.fps_base,
        # Blender renders resolution × percentage / 100, truncated.
        "width": render.resolution_x * percent // 100,
        "height": render.resolution_y * percent // 100,
        "engine": render.engine,
        "image_format": render.image_settings.file_format,
        "output_path": render.filepath,
        "length_unit": scene.unit_settings.length_unit,
        "camera": scene.camera.name if scene.camera else None,
        "cameras": sorted(o.name for o in scene.objects if o.type == "CAMERA"),
        "view_layers": [{"name": v.name, "use": v.use} for v in scene.view_layers],
        "files": _files(),
    }


def main() -> None:
    """Write the probe of the open .blend to the path given after ``--``."""
    out = sys.argv[sys.argv.index("--") + 1]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(probe(), f, ensure_ascii=False)


if __name__ == "__main__":
    main()
