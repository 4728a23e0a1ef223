"""Animated Blender scenes for the tests, generated through Blender's own Python.

`make_scene` runs ``blender -b --factory-startup --python <this file> -- <params.json>``;
inside Blender the same file builds the scene (`_build`) and saves it. The scene is
made for exact comparisons: Cycles on the CPU with a fixed seed, no denoising, no
adaptive sampling and no dithering, so a border render of any region is pixel-identical
to the same region of a full render.

What it holds: a textured ground plane (an image texture file, so the .blend names an
external file), a red cube that moves from the first frame to the last, a metal sphere,
a point light and a sun, and a camera named ``shot_cam``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BLENDER = "blender"


def make_scene(
    path: Path,
    *,
    frames: tuple[int, int] = (1, 10),
    width: int = 64,
    height: int = 48,
    samples: int = 8,
    seed: int = 0,
    engine: str = "CYCLES",
    textures: list[Path] | None = None,
    paths: str = "relative",
    step: int = 1,
    dither: float = 0.0,
    library: Path | None = None,
    blender: str = BLENDER,
) -> Path:
    """Write an animated .blend at `path` and return it.

    `textures` are image files the ground's material uses (one image node each); a
    texture that does not exist yet is written first (a small checker PNG). By default
    one texture, ``textures/checker.png`` beside the scene. `paths` is how the scene
    names its files: ``"relative"`` (Blender's ``//textures/...``) or ``"absolute"``.
    `step` is the scene's frame step, `dither` Blender's dither intensity (its own
    default is 1.0). With `library` (another scene made here) the metal sphere is linked
    from that .blend instead of made, so the scene names a library. The same arguments
    always give the same scene (the same pixels; not the same bytes, as Blender writes
    memory addresses into a .blend).
    """
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    if textures is None:
        textures = [path.parent / "textures" / "checker.png"]
    if paths not in ("relative", "absolute"):
        raise ValueError(f"paths must be 'relative' or 'absolute', not {paths!r}")
    params = {
        "path": str(path),
        "frames": list(frames),
        "width": width,
        "height": height,
        "samples": samples,
        "seed": seed,
        "engine": engine,
        "textures": [str(Path(t).absolute()) for t in textures],
        "relative": paths == "relative",
        "step": step,
        "dither": dither,
        "library": str(Path(library).absolute()) if library else None,
    }
    params_file = path.with_name(path.name + ".params.json")
    params_file.write_text(json.dumps(params), encoding="utf-8")
    try:
        argv = [blender, "-b", "--factory-startup", "--python-exit-code", "3",
                "--python", __file__, "--", str(params_file)]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    finally:
        params_file.unlink(missing_ok=True)
    if done.returncode != 0 or not path.is_file():
        raise RuntimeError(
            f"blender could not make {path} (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return path


# -- inside Blender -----------------------------------------------------------------------


def _checker(bpy, path: Path, size: int = 16) -> None:
    """Save a small, deterministic checker PNG at `path`."""
    image = bpy.data.images.new("checker_source", size, size, alpha=False)
    pixels = []
    for y in range(size):
        for x in range(size):
            light = ((x // 4) + (y // 4)) % 2
            pixels += [0.9, 0.8, 0.2, 1.0] if light else [0.1, 0.2, 0.6, 1.0]
    image.pixels = pixels
    path.parent.mkdir(parents=True, exist_ok=True)
    image.filepath_raw = str(path)
    image.file_format = "PNG"
    image.save()
    bpy.data.images.remove(image)


def _material(bpy, name: str, color, metallic: float = 0.0, roughness: float = 0.5):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = color
    bsdf.inputs["Metallic"].default_value = metallic
    bsdf.inputs["Roughness"].default_value = roughness
    return mat


def _textured(bpy, name: str, images: list):
    """A material mixing image textures (one node per image)."""
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    last = None
    for i, image in enumerate(images):
        node = nodes.new("ShaderNodeTexImage")
        node.name = f"texture{i}"
        node.image = image
        node.interpolation = "Closest"
        if last is None:
            last = node.outputs["Color"]
        else:
            mix = nodes.new("ShaderNodeMixRGB")
            mix.inputs["Fac"].default_value = 0.5
            links.new(last, mix.inputs["Color1"])
            links.new(node.outputs["Color"], mix.inputs["Color2"])
            last = mix.outputs["Color"]
    if last is not None:
        links.new(last, bsdf.inputs["Base Color"])
    return mat


def _build(params: dict) -> None:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    first, last = params["frames"]
    scene.frame_start, scene.frame_end, scene.frame_current = first, last, first
    scene.frame_step = params["step"]
    render = scene.render
    render.engine = params["engine"]
    render.resolution_x, render.resolution_y = params["width"], params["height"]
    render.resolution_percentage = 100
    render.image_settings.file_format = "PNG"
    render.image_settings.color_mode = "RGBA"
    render.film_transparent = False
    # Blender's dither noise is seeded by the pixel's position in the image being
    # written, so a cropped border image gets different noise than the same pixels of
    # the full frame (a full-size border image gets the same noise).
    render.dither_intensity = params["dither"]
    render.use_compositing = False
    render.use_sequencer = False
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = params["samples"]
    cycles.seed = params["seed"]
    cycles.use_animated_seed = False
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False
    cycles.max_bounces = 4
    scene.eevee.taa_render_samples = params["samples"]

    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.05, 0.07, 0.1, 1)
    scene.world = world

    images = []
    for texture in params["textures"]:
        texture_path = Path(texture)
        if not texture_path.exists():
            _checker(bpy, texture_path)
        image = bpy.data.images.load(str(texture_path))
        if params["relative"]:
            image.filepath = bpy.path.relpath(
                str(texture_path), start=str(Path(params["path"]).parent)
            )
        images.append(image)

    bpy.ops.mesh.primitive_plane_add(size=8, location=(0, 0, 0))
    ground = bpy.context.object
    ground.name = "ground"
    ground.data.materials.append(_textured(bpy, "ground_mat", images))

    bpy.ops.mesh.primitive_cube_add(size=1.2, location=(-1.5, 0, 0.6))
    cube = bpy.context.object
    cube.name = "mover"
    cube.data.materials.append(_material(bpy, "red", (0.8, 0.1, 0.05, 1)))
    cube.keyframe_insert("location", frame=first)
    cube.location = (1.5, 0.5, 0.6)
    cube.rotation_euler = (0, 0, 0.8)
    cube.keyframe_insert("location", frame=last)
    cube.keyframe_insert("rotation_euler", frame=last)

    if params["library"]:
        with bpy.data.libraries.load(params["library"], link=True, relative=True) as (_, dst):
            dst.objects = ["ball"]
        scene.collection.objects.link(dst.objects[0])
        for lib in bpy.data.libraries:
            if params["relative"]:
                start = str(Path(params["path"]).parent)
                lib.filepath = bpy.path.relpath(params["library"], start=start)
            else:
                lib.filepath = params["library"]
    else:
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.7, location=(0.5, -1.2, 0.7))
        sphere = bpy.context.object
        sphere.name = "ball"
        sphere.data.materials.append(_material(bpy, "metal", (0.9, 0.9, 0.9, 1), 1.0, 0.2))

    bpy.ops.object.light_add(type="POINT", location=(2, -2, 3))
    bpy.context.object.data.energy = 400
    bpy.ops.object.light_add(type="SUN", location=(0, 0, 5), rotation=(0.6, 0.2, 0))
    bpy.context.object.data.energy = 2

    bpy.ops.object.camera_add(location=(5.5, -5.5, 4), rotation=(1.05, 0, 0.785))
    scene.camera = bpy.context.object
    scene.camera.name = "shot_cam"

    bpy.ops.wm.save_as_mainfile(filepath=params["path"], compress=False, relative_remap=False)


if __name__ == "__main__" and "--" in sys.argv:
    _build(json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text(encoding="utf-8")))
