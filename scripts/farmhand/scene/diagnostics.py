"""Diagnostic codes, their severity, and the checks that produce them.

Codes are stable strings (documented in docs/analysis.md); a panel, the
CLI and the server show the message and fix, and anything with severity
`error` blocks submission.
"""

from __future__ import annotations

from farmhand.scene.model import ERROR, NOTICE, WARNING, Analysis, Dependency, Diagnostic, LayerInfo
from farmhand.scene.renderers import RENDER_FLAG
from farmhand.scene.resolve import is_absolute, normalise

MISSING_TEXTURE = "missing-texture"
MISSING_REFERENCE = "missing-reference"
MISSING_CACHE = "missing-cache"
MISSING_FILE = "missing-file"
MISSING_OPTIONAL = "missing-optional-file"
UNEXPANDED_VARIABLE = "unexpanded-variable"
FOUND_ELSEWHERE = "file-found-elsewhere"
NO_RENDERABLE_CAMERA = "no-renderable-camera"
NO_RENDERABLE_LAYER = "no-renderable-layer"
RENDERER_NOT_SUPPORTED = "renderer-not-supported"
UNLOADED_REFERENCE = "unloaded-reference"
BINARY_REFERENCE = "binary-reference"
OUTSIDE_PROJECT = "absolute-path-outside-project"
AUTOTX_WITHOUT_TX = "autotx-without-tx"
ABSOLUTE_IMAGE_PREFIX = "absolute-image-prefix"
OUTPUTS_NOT_PREDICTED = "outputs-not-predicted"
UNKNOWN_NODES = "unknown-nodes"  # in Maya: nodes of a plug-in that is not loaded

SUPPORTED_RENDERERS = tuple(RENDER_FLAG)

_CACHE_KINDS = {"alembic", "gpu_cache", "cache", "xgen", "xgen_data", "standin", "volume", "yeti"}
_TEXTURE_KINDS = {"texture", "image", "image_plane"}


def for_dependency(dep: Dependency, unexpanded_var: str | None) -> list[Diagnostic]:
    """Problems with one dependency: missing, found elsewhere, unexpanded variable."""
    if unexpanded_var and not dep.exists:
        return [
            Diagnostic(
                UNEXPANDED_VARIABLE,
                ERROR,
                f"{dep.plug}: missing file {dep.path} ({unexpanded_var} is not set here)",
                dep.node,
                dep.path,
                f"set {unexpanded_var.strip('${}')} in the environment or re-path "
                f"{dep.plug} to a real folder",
            )
        ]
    if not dep.exists:
        if dep.optional:
            return [
                Diagnostic(
                    MISSING_OPTIONAL,
                    WARNING,
                    f"{dep.plug}: missing optional file {dep.path}",
                    dep.node,
                    dep.path,
                    "the render may look different without it; ship it or clear the attribute",
                )
            ]
        code = _missing_code(dep.kind)
        what = "missing file" if not dep.pattern else "missing files, nothing matches"
        return [
            Diagnostic(
                code,
                ERROR,
                f"{dep.plug}: {what} {dep.path}",
                dep.node,
                dep.path,
                "copy the file to that path, re-path the attribute, or run with --search-path "
                "pointing at where the file went",
            )
        ]
    if dep.found_by == "search_path" or (
        dep.found_by in ("project", "scene_dir") and dep.resolved and _absolute_written(dep)
    ):
        return [
            Diagnostic(
                FOUND_ELSEWHERE,
                WARNING,
                f"{dep.plug} names {dep.path}, which does not exist there; found {dep.resolved}",
                dep.node,
                dep.path,
                f"re-path {dep.plug} to {dep.resolved}",
            )
        ]
    return []


def _absolute_written(dep: Dependency) -> bool:
    return is_absolute(normalise(dep.path))


def _missing_code(kind: str) -> str:
    if kind in _TEXTURE_KINDS:
        return MISSING_TEXTURE
    if kind == "reference":
        return MISSING_REFERENCE
    if kind in _CACHE_KINDS:
        return MISSING_CACHE
    return MISSING_FILE


def for_scene(analysis: Analysis) -> list[Diagnostic]:
    """Problems with the render settings: renderer, layers, cameras."""
    found: list[Diagnostic] = []
    renderable = {n: layer for n, layer in analysis.scene_info_render.items() if layer.renderable}
    if not renderable:
        found.append(
            Diagnostic(
                NO_RENDERABLE_LAYER,
                ERROR,
                "no render layer is renderable",
                None,
                None,
                "turn on rendering for at least one layer in the Render Setup window",
            )
        )
    renderers = set()
    for name, layer in renderable.items():
        renderers.add(layer.common.renderer)
        if not layer.common.render_camera:
            found.append(
                Diagnostic(
                    NO_RENDERABLE_CAMERA,
                    ERROR,
                    f"render layer {layer.display_name} has no renderable camera",
                    name,
                    None,
                    "make a camera renderable in Render Settings > Common > Renderable Cameras",
                )
            )
    for renderer in sorted(renderers):
        if renderer not in SUPPORTED_RENDERERS:
            found.append(
                Diagnostic(
                    RENDERER_NOT_SUPPORTED,
                    ERROR,
                    f"the farm does not render with {renderer!r}",
                    "defaultRenderGlobals",
                    None,
                    "switch the renderer to one of " + ", ".join(SUPPORTED_RENDERERS),
                )
            )
    return found + _output_notes(renderable)


def _output_notes(renderable: dict[str, LayerInfo]) -> list[Diagnostic]:
    """Where the images go when the prefix is absolute, and layers whose names are not known."""
    found = []
    for name, layer in renderable.items():
        outputs = layer.outputs
        if outputs is None:
            continue
        if is_absolute(layer.common.image_file_prefix.replace("\\", "/")):
            found.append(
                Diagnostic(
                    ABSOLUTE_IMAGE_PREFIX,
                    WARNING,
                    f"render layer {layer.display_name} writes under {outputs.root} (an "
                    f"absolute image prefix); the farm writes its images as {outputs.prefix} in "
                    "the job's output folder instead",
                    name,
                    layer.common.image_file_prefix,
                    f"farmhand download JOB --dest {outputs.root} puts them where Maya would; or "
                    "make the prefix relative to write under the project's images folder",
                )
            )
        if not outputs.predicted:
            found.append(
                Diagnostic(
                    OUTPUTS_NOT_PREDICTED,
                    NOTICE,
                    f"render layer {layer.display_name}: {outputs.note}",
                    name,
                    None,
                    "",
                )
            )
    return found


def unloaded_reference(node: str, path: str) -> Diagnostic:
    """A reference that is unloaded will not render."""
    return Diagnostic(
        UNLOADED_REFERENCE,
        NOTICE,
        f"reference {node or path} is unloaded and will not render",
        node,
        path,
        "load it in the Reference Editor if it should render",
    )


def binary_reference(node: str, path: str) -> Diagnostic:
    """A `.mb` reference is shipped, but the files it needs cannot be listed without Maya."""
    return Diagnostic(
        BINARY_REFERENCE,
        NOTICE,
        f"reference {path} is a Maya binary file; the files it uses cannot be listed offline",
        node,
        path,
        "save the referenced file as Maya ASCII, or analyse inside Maya",
    )


def autotx_without_tx(analysis: Analysis, with_tx: set[str]) -> list[Diagnostic]:
    """Arnold with auto-tx off renders slower from textures that have no `.tx` beside them."""
    arnold = [
        layer.option
        for layer in analysis.scene_info_render.values()
        if layer.renderable and layer.common.renderer == "arnold" and layer.option
    ]
    if not arnold or all(option.auto_tx for option in arnold):
        return []
    bare = [
        d
        for d in analysis.asset
        if d.kind == "texture"
        and d.exists
        and not d.path.lower().endswith(".tx")
        and d.plug not in with_tx
    ]
    if not bare:
        return []
    return [
        Diagnostic(
            AUTOTX_WITHOUT_TX,
            WARNING,
            f"Arnold auto-tx is off and {len(bare)} texture(s) have no .tx beside them "
            f"(first: {bare[0].path}); renders will load full-size images",
            bare[0].node,
            bare[0].path,
            "turn on Auto-convert Textures to TX in Arnold's render settings, or run "
            "Arnold's TX Manager before submitting",
        )
    ]


def outside_project(analysis: Analysis) -> list[Diagnostic]:
    """One notice per folder outside the project that dependencies come from."""
    if not analysis.project:
        return []
    root = analysis.project.rstrip("/\\") + "/"
    folders: dict[str, Dependency] = {}
    for dep in analysis.asset:
        if not dep.exists or not dep.resolved:
            continue
        resolved = dep.resolved.replace("\\", "/")
        if resolved.startswith(root):
            continue
        folder = resolved if dep.pattern else resolved.rpartition("/")[0]
        folders.setdefault(folder, dep)
    return [
        Diagnostic(
            OUTSIDE_PROJECT,
            NOTICE,
            f"{dep.plug} uses a file outside the project, in {folder}",
            dep.node,
            dep.path,
            "fine for the farm (it is uploaded with the job); move it into the project to keep "
            "the shot self-contained",
        )
        for folder, dep in folders.items()
    ]
