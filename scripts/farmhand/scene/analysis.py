"""`analyze()`: from a scene file to an Analysis, without Maya."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from farmhand.scene import diagnostics, file_attributes, render_settings
from farmhand.scene.cameras import scene_cameras
from farmhand.scene.maya_ascii import read_scene
from farmhand.scene.model import Analysis
from farmhand.scene.query import SceneQuery
from farmhand.scene.resolve import Resolver, file_rules, find_project, images_folder
from farmhand.scene.scanner import Scanner
from farmhand.scene.timeunits import fps, frame_number

WANTS: dict[str, frozenset[str] | None] = {**file_attributes.wants()}
for _type, _attrs in render_settings.WANTS.items():
    _have = WANTS.get(_type, frozenset())
    WANTS[_type] = None if _attrs is None or _have is None else _have | _attrs


def open_scene(path: str) -> SceneQuery:
    """Read a `.ma` file, decoding only what the analysis needs."""
    return read_scene(path, WANTS, render_settings.CONNECT_TYPES)


def analyze(
    path: str | os.PathLike[str],
    project: str | os.PathLike[str] | None = None,
    search_paths: Iterable[str | os.PathLike[str]] = (),
) -> Analysis:
    """Analyse a Maya ASCII scene offline: render settings, dependencies, diagnostics."""
    scene_path = Path(path).absolute()
    scene = open_scene(str(scene_path))
    return analyze_query(scene, project, search_paths)


def analyze_query(
    scene: SceneQuery,
    project: str | os.PathLike[str] | None = None,
    search_paths: Iterable[str | os.PathLike[str]] = (),
) -> Analysis:
    """Analyse any SceneQuery (offline file or live Maya session)."""
    scene_path = Path(scene.scene_path)
    project_dir = Path(project).absolute() if project else find_project(scene_path.parent)
    rules = file_rules(project_dir) if project_dir else {}
    resolver = Resolver(
        scene_dir=scene_path.parent,
        project=project_dir,
        search_paths=[Path(p).absolute() for p in search_paths],
        source_images=rules.get("sourceImages") or "sourceimages",
    )
    header = scene.header
    current = frame_number(float(scene.get_attr("time1", "o", 1.0)))
    scanner = Scanner(resolver, open_scene)
    scan = scanner.run(scene)
    images = images_folder(project_dir, rules, scene_path.parent)
    live_cameras = getattr(scene, "cameras", None)  # inside Maya: ls -cameras
    cameras = live_cameras() if live_cameras else scene_cameras(scene, scan.cameras)
    layers, layer_type = render_settings.read_layers(scene, current, cameras, images)
    try:
        rate = fps(header.time_unit)
    except ValueError:
        rate = 0.0
    try:
        size = scene_path.stat().st_size
    except OSError:
        size = 0
    plugins = {k: v for k, v in header.requires.items() if k != "maya"}
    result = Analysis(
        scene_file=str(scene_path),
        scene_file_size=size,
        maya_version=header.maya_version,
        codeset=header.codeset,
        time_unit=header.time_unit,
        fps=rate,
        linear_unit=header.linear_unit,
        project=str(project_dir) if project_dir else None,
        software_config={
            "cg_name": "Maya",
            "cg_version": header.file_info.get("version") or _major(header.maya_version),
            "plugins": plugins,
        },
        renderer=str(scene.get_attr("defaultRenderGlobals", "ren", "mayaSoftware")),
        current_frame=current,
        render_layer_type=layer_type,
        scene_info_render=layers,
        asset=scan.assets,
        diagnostics=scan.diagnostics,
        render_setup_include_all_lights=getattr(scene, "include_all_lights", None),
    )
    result.diagnostics = (
        diagnostics.for_scene(result)
        + result.diagnostics
        + diagnostics.autotx_without_tx(result, scanner.converted[".tx"])
        + diagnostics.outside_project(result)
        + (scene.diagnostics() if hasattr(scene, "diagnostics") else [])
    )
    return result


def _major(version: str) -> str:
    return version[:4] if version[:4].isdigit() else version
