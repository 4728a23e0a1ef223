"""From a scene to a job ready to send: analyse, hash, build and check the job spec.

`prepare` (a scene file) and `prepare_analysis` (an analysis made in Maya or edited in the
panel) give a `Prepared`; `rehash` refreshes one after some of its files changed, without
analysing again. Uploading and submitting it, with the retries, is `farmhand.submit.send`,
which the CLI (`farmhand submit`) and the Maya panel both drive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.scene import Analysis, SceneError, analyze
from farmhand.spec.defaults import default_of
from farmhand.spec.frames import format_frames, parse_frames
from farmhand.spec.jobspec import server_path, validate_jobspec
from farmhand.spec.layer_groups import cameras_for, layer_group
from farmhand.spec.presets import Preset, apply
from farmhand.submit.client_files import client_files
from farmhand.transfer.hashcache import HashCache
from farmhand.transfer.upload import LocalFile


@dataclass
class Choices:
    """What the artist chose; None leaves the scene's (or the preset's) value."""

    name: str | None = None
    frames: str | None = None
    layers: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)  # for every layer that has them
    layer_cameras: dict[str, list[str]] = field(default_factory=dict)  # a pick per layer
    frames_per_task: int | None = None
    tiles: int | None = None
    tiles_type: str | None = None
    test_frames: dict[str, Any] | None = None
    stop_after_test: bool | None = None
    priority: int | None = None
    project: str | None = None
    presets: list[Preset] = field(default_factory=list)
    resolution: tuple[int, int] | None = None  # (width, height): overrides the scene's size
    ignore_missing: bool = False  # leave every missing file out, as the panel's Ignore does


class ChoiceError(ValueError):
    """A layer or camera the artist named that the scene does not have; the message lists
    the ones it has."""


class Blocked(Exception):
    """The analysis found errors that stop submission."""

    def __init__(self, analysis: Analysis) -> None:
        errors = [d for d in analysis.diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} error(s) block submission")
        self.analysis = analysis


class SpecInvalid(Exception):
    """The job spec built from the scene and choices breaks the schema."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Prepared:
    """A scene analysed and hashed, with its job spec: ready to upload and submit.

    ``pairs`` are the (client path, local path) of every manifest entry (`client_files`)."""

    analysis: Analysis
    files: list[LocalFile]
    spec: dict[str, Any]
    pairs: list[tuple[str, str]] = field(default_factory=list)


def prepare(
    scene: str | Path,
    choices: Choices,
    *,
    project: str | None = None,
    search_paths: tuple[str, ...] = (),
    cache: HashCache | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    blender: str | None = None,
) -> Prepared:
    """Analyse and hash; raises Blocked or SpecInvalid (SceneError when the scene cannot be read).

    The scene's extension picks the analysis: ``.blend`` through Blender (`blender`,
    default ``blender`` on PATH; without it from `choices.frames` and
    `choices.resolution`, see `farmhand.blend.analysis`), ``.mb`` is refused, anything else is
    read as Maya ASCII.
    """
    analysis = analyze_scene(
        scene, choices, project=project, search_paths=search_paths, blender=blender
    )
    if choices.ignore_missing:
        from farmhand.submit.ignored import ignore_key, without_ignored  # no Qt: plain data

        analysis = without_ignored(
            analysis, [ignore_key(d) for d in analysis.asset if not d.exists]
        )
    return prepare_analysis(analysis, choices, cache=cache, progress=progress, cancel=cancel)


def analyze_scene(
    scene: str | Path,
    choices: Choices,
    *,
    project: str | None = None,
    search_paths: tuple[str, ...] = (),
    blender: str | None = None,
) -> Analysis:
    """The analysis for a scene file, by its extension (see `prepare`)."""
    suffix = Path(scene).suffix.lower()
    if suffix == ".blend":
        from farmhand.blend.analysis import analyze_blend

        return analyze_blend(
            scene,
            blender=blender,
            frames=choices.frames,
            resolution=choices.resolution,
            search_paths=search_paths,
        )
    if suffix == ".mb":
        raise SceneError(
            f"{scene}: binary Maya scenes are not supported offline; save as .ma", str(scene)
        )
    return analyze(scene, project=project, search_paths=search_paths)


def prepare_analysis(
    analysis: Analysis,
    choices: Choices,
    *,
    cache: HashCache | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Prepared:
    """Hash the files of an analysis already made (offline, live in Maya, or edited in the
    panel) and build its job spec; raises ChoiceError, Blocked or SpecInvalid."""
    check_choices(analysis, choices)
    if analysis.blocking:
        raise Blocked(analysis)
    pairs = client_files(analysis)
    cache = cache if cache is not None else HashCache()  # an empty cache is falsy (len 0)
    stamped = cache.hash_and_stat(sorted({local for _, local in pairs}), None, progress, cancel)
    files = {
        local: LocalFile(Path(local), fh, key.mtime_ns) for local, (fh, key) in stamped.items()
    }
    manifest = [
        {"path": client, "server_path": server_path(client), **files[local].ref}
        for client, local in pairs
    ]
    spec = build_spec(analysis, manifest, files[analysis.scene_file].ref, choices)
    problems = validate_jobspec(spec)
    if problems:
        raise SpecInvalid(problems)
    return Prepared(analysis, list(files.values()), spec, pairs)


def rehash(
    prepared: Prepared,
    changed: list[Path],
    *,
    cache: HashCache | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Prepared:
    """`prepared` with the files at `changed` hashed again (only those are read) and the job
    spec naming their new hashes: the analysis, the choices and every other file stay as they
    were. Raises HashError (a file gone or unreadable), Cancelled or SpecInvalid."""
    wanted = {Path(p) for p in changed}
    again = sorted({local for _, local in prepared.pairs if Path(local) in wanted})
    cache = cache if cache is not None else HashCache()
    stamped = cache.hash_and_stat(again, None, progress, cancel)
    fresh = {
        Path(local): LocalFile(Path(local), fh, key.mtime_ns)
        for local, (fh, key) in stamped.items()
    }
    files = [fresh.get(f.path, f) for f in prepared.files]
    local_of = dict(prepared.pairs)
    spec = dict(prepared.spec)
    spec["manifest"] = [
        {**entry, **fresh[new].ref}
        if (new := Path(local_of.get(entry["path"], entry["path"]))) in fresh
        else entry
        for entry in prepared.spec["manifest"]
    ]
    scene = Path(prepared.analysis.scene_file)
    if scene in fresh:
        spec["scene"] = {**spec["scene"], "blob": fresh[scene].ref}
    problems = validate_jobspec(spec)
    if problems:
        raise SpecInvalid(problems)
    return Prepared(prepared.analysis, files, spec, prepared.pairs)


def check_choices(analysis: Analysis, choices: Choices) -> None:
    """Refuse (ChoiceError) a layer or a camera the scene does not have, naming those it has."""
    layers = analysis.scene_info_render
    unknown = [name for name in choices.layers if name not in layers]
    if unknown:
        have = ", ".join(layers) or "none"
        raise ChoiceError(f"the scene has no render layer {_names(unknown)} (it has: {have})")
    chosen = [layers[n] for n in choices.layers] or list(layers.values())
    known: dict[str, None] = {}
    for layer in chosen:
        known.update(dict.fromkeys(layer.common.all_camera or layer.common.render_camera))
    shapes = {s for layer in chosen for s in layer.common.camera_shapes.values()}
    if not known:  # a scene that lists no cameras: nothing to check against
        return
    missing = [c for c in choices.cameras if c not in known and c not in shapes]
    if missing:
        where = "the chosen layers have" if choices.layers else "the scene has"
        raise ChoiceError(f"{where} no camera {_names(missing)} (cameras: {', '.join(known)})")


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def build_spec(
    analysis: Analysis, manifest: list[dict], scene_blob: dict, choices: Choices
) -> dict[str, Any]:
    """A JobSpec from the analysis, the manifest and the artist's choices (presets applied).

    A Maya scene gives a version 2 spec, one layer group per chosen layer
    (`farmhand.spec.layer_groups`); other scenes a version 1 spec.
    """
    layers = choices.layers or [
        n for n, layer in analysis.scene_info_render.items() if layer.renderable
    ]
    if analysis.software_config.get("cg_name", "Maya") == "Maya":
        return _maya_spec(analysis, manifest, scene_blob, choices, layers)
    infos = [analysis.scene_info_render[n] for n in layers if n in analysis.scene_info_render]
    frames = choices.frames or format_frames(
        f for info in infos for f in parse_frames(info.common.frames)
    )
    cameras = choices.cameras or list(
        dict.fromkeys(c for info in infos for c in info.common.render_camera)
    )
    first = infos[0].common if infos else None
    renderer: dict[str, Any] = {"adapter": "maya", "name": analysis.renderer}
    if analysis.software_config.get("cg_name") == "Blender":
        renderer = {"adapter": "blender"}
        if analysis.renderer:
            renderer["engine"] = analysis.renderer
        if first is not None and first.image_format:
            renderer["image_format"] = first.image_format
    spec = _job_fields(analysis, manifest, scene_blob, choices)
    spec.update(renderer=renderer, layers=layers, cameras=cameras, frames=frames)
    if first is not None:
        spec["width"], spec["height"] = first.width, first.height
        if first.image_file_prefix:
            spec["output_prefix"] = first.image_file_prefix
    spec = apply(spec, *choices.presets)
    _apply_choices(spec, choices)
    if choices.resolution is not None:
        spec["width"], spec["height"] = choices.resolution
    return spec


def _maya_spec(
    analysis: Analysis,
    manifest: list[dict],
    scene_blob: dict,
    choices: Choices,
    layers: list[str],
) -> dict[str, Any]:
    """A version 2 spec: one layer group per chosen layer, each as that layer renders."""
    spec = {"spec_version": 2, **_job_fields(analysis, manifest, scene_blob, choices)}
    spec["renderer"] = {"adapter": "maya"}
    if analysis.render_setup_include_all_lights is not None:
        spec["renderer"]["include_all_lights"] = analysis.render_setup_include_all_lights
    spec = apply(spec, *choices.presets)
    # A preset may set frames or a size; the artist's own choice wins over it.
    frames = choices.frames or spec.pop("frames", None)
    size = choices.resolution
    if size is None and spec.get("width") and spec.get("height"):
        size = (int(spec["width"]), int(spec["height"]))
    for key in ("frames", "width", "height", "layers", "cameras", "output_prefix"):
        spec.pop(key, None)
    groups = []
    for name in layers:
        layer = analysis.scene_info_render.get(name)
        if layer is None:
            continue
        picked = cameras_for(name, layer, choices.layer_cameras, choices.cameras)
        groups.append(layer_group(name, layer, frames=frames, resolution=size, cameras=picked))
    spec["layers"] = groups
    _apply_choices(spec, choices)
    return spec


def _job_fields(
    analysis: Analysis, manifest: list[dict], scene_blob: dict, choices: Choices
) -> dict[str, Any]:
    """What every spec has, whatever its version: name, scene, manifest, software."""
    software = analysis.software_config
    spec: dict[str, Any] = {
        "name": choices.name or Path(analysis.scene_file).stem,
        "scene": {"path": analysis.scene_file, "blob": scene_blob},
        "manifest": manifest,
        "software": {"cg_name": software.get("cg_name", "Maya"),
                     "cg_version": str(software.get("cg_version") or "unknown"),
                     "plugins": dict(software.get("plugins") or {})},
    }  # fmt: skip
    if analysis.project:
        spec["scene"]["project_path"] = analysis.project
    return spec


def _apply_choices(spec: dict[str, Any], choices: Choices) -> None:
    """The artist's job-wide choices over the scene's and the presets' values."""
    for key in (
        "frames_per_task",
        "tiles",
        "tiles_type",
        "test_frames",
        "stop_after_test",
        "priority",
        "project",
    ):
        value = getattr(choices, key)
        if value is not None:
            spec[key] = value
    if spec.get("tiles"):
        spec.pop("frames_per_task", None)
        spec.setdefault("tiles_type", default_of("tiles_type"))  # the schema requires one
