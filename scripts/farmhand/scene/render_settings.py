"""Render settings per render layer, read through SceneQuery.

Layers come in two kinds: legacy `renderLayer` nodes, whose adjustments
(`adjs[i].val` + a connection into `adjs[i].plg`) override one plug each, and
Render Setup layers (`renderSetupLayer` X, paired with a legacy `rs_X`),
whose collections hold `absOverride`s naming an attribute (`.atr`) and a
value (`.atv`). Both are reduced to one table per layer,
`(node, short attribute) → value`, that the settings lookups consult first.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from .attributes import canonical
from .model import ArnoldOptions, CommonSettings, LayerInfo
from .query import SceneQuery
from .timeunits import frame_number

RENDER_GLOBALS = "defaultRenderGlobals"
RESOLUTION = "defaultResolution"
ARNOLD_OPTIONS = "defaultArnoldRenderOptions"
ARNOLD_DRIVER = "defaultArnoldDriver"
DEFAULT_LAYER = "defaultRenderLayer"

# Maya's imageFormat enum (`.outf`) for the common values; 51 means "use imfkey".
IMAGE_FORMATS = {
    0: "gif", 1: "si", 2: "rla", 3: "tif", 4: "tif", 5: "sgi", 6: "als", 7: "iff",
    8: "jpg", 9: "eps", 10: "iff", 11: "cin", 12: "yuv", 13: "sgi", 19: "tga",
    20: "bmp", 23: "avi", 31: "psd", 32: "png", 35: "dds", 36: "psd", 40: "exr",
}  # fmt: skip

# Attributes the render settings read, by node type (short base names).
WANTS: dict[str, frozenset[str] | None] = {
    "renderGlobals": frozenset(
        {"ren", "outf", "imfkey", "ifp", "an", "fs", "ef", "bfs", "bf", "mdfe", "ep"}
    ),
    "resolution": frozenset({"w", "h", "pa", "dar"}),
    "time": frozenset({"o"}),
    "camera": frozenset({"rnd", "o"}),
    "renderLayer": frozenset({"rndr", "do", "g", "adjs"}),
    "renderLayerManager": frozenset(),
    "renderSetupLayer": frozenset({"rndr", "se"}),
    "renderSetup": frozenset(),
    "collection": frozenset({"se"}),
    "renderSettingsCollection": frozenset({"se"}),
    "aovCollection": frozenset({"se"}),
    "lightsCollection": frozenset({"se"}),
    "simpleSelector": frozenset({"ssl", "pat", "tf"}),
    "absOverride": frozenset({"atr", "atv", "se"}),
    "absUniqueOverride": frozenset({"atr", "atv", "se", "tgName"}),
    "aiOptions": None,
    "aiAOVDriver": frozenset({"ai_translator"}),
}

# Node types whose connections the layer logic follows.
CONNECT_TYPES = frozenset(
    {
        "renderLayer", "renderLayerManager", "renderSetupLayer", "renderSetup", "collection",
        "renderSettingsCollection", "aovCollection", "lightsCollection", "simpleSelector",
        "absOverride", "absUniqueOverride",
    }
)  # fmt: skip

_SETTINGS_TARGETS = ("renderGlobals", "resolution", "aiOptions", "aiAOVDriver")
_OVERRIDE_TYPES = ("absOverride", "absUniqueOverride")

Overrides = dict[tuple[str, str], Any]


def read_layers(scene: SceneQuery, current_frame: float) -> tuple[dict[str, LayerInfo], int]:
    """Settings of every render layer, keyed by legacy layer name; and the layer type (0/1)."""
    setup_layers = _render_setup_layers(scene)
    layers: dict[str, LayerInfo] = {}
    for legacy in _legacy_layers(scene):
        setup = setup_layers.get(legacy)
        if setup_layers and setup is None and legacy != DEFAULT_LAYER:
            continue  # a legacy layer Render Setup does not show
        if setup is not None:
            overrides = _render_setup_overrides(scene, setup)
            display = setup
        else:
            overrides = _legacy_overrides(scene, legacy)
            display = "masterLayer" if setup_layers and legacy == DEFAULT_LAYER else legacy
        value = _lookup(scene, overrides)
        layers[legacy] = LayerInfo(
            display_name=display,
            renderable=bool(scene.get_attr(legacy, "rndr", True)),
            common=_common(scene, value, current_frame),
            option=_arnold(scene, value),
        )
    return layers, 1 if setup_layers else 0


def _legacy_layers(scene: SceneQuery) -> list[str]:
    """Layers the main renderLayerManager lists, in display order; the default layer first."""
    managed = []
    for src, dst in scene.connections("renderLayerManager"):
        if src.startswith("renderLayerManager.rlmi") and dst.endswith(".rlid"):
            managed.append(dst.rpartition(".")[0])
    names = managed or [n for n in scene.nodes("renderLayer") if ":" not in n]
    if DEFAULT_LAYER not in names:
        names.insert(0, DEFAULT_LAYER)
    names = [n for n in names if scene.node_type(n) in ("renderLayer", None)]
    order = {
        n: (n != DEFAULT_LAYER, scene.get_attr(n, "do", 0) or 0, i) for i, n in enumerate(names)
    }
    return sorted(dict.fromkeys(names), key=order.__getitem__)


def _render_setup_layers(scene: SceneQuery) -> dict[str, str]:
    """Legacy `rs_X` layer → Render Setup layer `X`."""
    pairs = {}
    for layer in scene.nodes("renderSetupLayer"):
        for src, dst in scene.connections(layer):
            if dst == f"{layer}.lrl" and src.endswith(".msg"):
                pairs[src.rpartition(".")[0]] = layer
    return pairs


def _legacy_overrides(scene: SceneQuery, layer: str) -> Overrides:
    overrides: Overrides = {}
    sources = {}
    for src, dst in scene.connections(layer):
        if dst.startswith(f"{layer}.adjs[") and dst.endswith("].plg"):
            sources[dst[len(layer) + 1 : -4]] = src
    for index in scene.attr_indices(layer, "adjs"):
        key = f"adjs[{index}]"
        src = sources.get(key)
        if src is None:
            continue
        node, _, attr = src.partition(".")
        value = scene.get_attr(layer, f"{key}.val")
        if value is not None:
            overrides[(node.rpartition("|")[2], canonical(attr))] = value
    return overrides


def _render_setup_overrides(scene: SceneQuery, layer: str) -> Overrides:
    """Absolute overrides under a Render Setup layer's (nested) collections."""
    overrides: Overrides = {}
    for collection in _children(scene, layer):
        if scene.get_attr(collection, "se", True) is False:
            continue
        targets = _collection_targets(scene, collection)
        for child in _descendants(scene, collection):
            if scene.node_type(child) not in _OVERRIDE_TYPES:
                continue
            if scene.get_attr(child, "se", True) is False:
                continue
            attr = scene.get_attr(child, "atr")
            # Maya writes no `.atv` when the value is the attribute's default (0/off).
            value = scene.get_attr(child, "atv", 0)
            if not attr:
                continue
            named = scene.get_attr(child, "tgName")
            owner = _collection_of(scene, child)
            nodes = [named] if named else _collection_targets(scene, owner) if owner else targets
            for node in nodes:
                overrides[(node, canonical(attr))] = value
    return overrides


def _children(scene: SceneQuery, parent: str) -> list[str]:
    """Items whose parent list (`.pls`) is fed by `parent.lit`."""
    return [
        dst.rpartition(".")[0]
        for src, dst in scene.connections(parent)
        if src == f"{parent}.lit" and dst.endswith(".pls")
    ]


def _descendants(scene: SceneQuery, parent: str) -> list[str]:
    found, todo = [], [parent]
    while todo:
        for child in _children(scene, todo.pop()):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def _collection_of(scene: SceneQuery, item: str) -> str | None:
    for src, dst in scene.connections(item):
        if dst == f"{item}.pls" and src.endswith(".lit"):
            return src.rpartition(".")[0]
    return None


def _collection_targets(scene: SceneQuery, collection: str) -> list[str]:
    """Nodes a collection's selector picks (render settings collections: the globals)."""
    kind = scene.node_type(collection)
    if kind == "renderSettingsCollection":
        return [n for t in _SETTINGS_TARGETS for n in scene.nodes(t)] + [RENDER_GLOBALS]
    selector = next(
        (src.rpartition(".")[0] for src, dst in scene.connections(collection)
         if dst == f"{collection}.sel"),
        None,
    )  # fmt: skip
    if selector is None:
        return []
    names = []
    static = scene.get_attr(selector, "ssl") or ""
    names += [n.rpartition("|")[2] for n in str(static).split("\n") if n]
    pattern = scene.get_attr(selector, "pat")
    if pattern:
        for node_type in ("camera", "transform"):
            for n in scene.nodes(node_type):
                if any(fnmatch.fnmatchcase(n, p.strip()) for p in str(pattern).split(";")):
                    names.append(n)
    # A transform selected stands for its shapes (cameras are shapes).
    shapes = [c for c in scene.nodes("camera") if scene.parent(c) in names]
    return names + shapes


def _lookup(scene: SceneQuery, overrides: Overrides) -> Callable[[str, str, Any], Any]:
    def value(node: str, attr: str, default: Any = None) -> Any:
        key = (node, canonical(attr))
        if key in overrides:
            return overrides[key]
        return scene.get_attr(node, attr, default)

    return value


def default_resolution(maya_version: str) -> tuple[int, int]:
    """Maya's own default image size: 960×540 (HD 540) since Maya 2016, 640×480 before.

    Maya writes `defaultResolution.w/.h` only when they differ from this, so a
    2023 scene with no `.w` renders at 960×540 (what a real Maya session
    reported for the Deadline test scenes in the corpus).

    >>> default_resolution("2023"), default_resolution("2011")
    ((960, 540), (640, 480))
    """
    major = maya_version[:4]
    return (960, 540) if major.isdigit() and int(major) >= 2016 else (640, 480)


def _common(scene: SceneQuery, value: Callable, current_frame: float) -> CommonSettings:
    renderer = str(value(RENDER_GLOBALS, "ren", "mayaSoftware") or "mayaSoftware")
    animation = bool(value(RENDER_GLOBALS, "an", False))
    start = frame_number(float(value(RENDER_GLOBALS, "fs", 1.0)))
    end = frame_number(float(value(RENDER_GLOBALS, "ef", 10.0)))
    by = frame_number(float(value(RENDER_GLOBALS, "bfs", None) or value(RENDER_GLOBALS, "bf", 1)))
    if animation:
        frames = f"{start}-{end}[{by}]"
    else:
        start = end = frame_number(current_frame)
        frames = f"{start}"
    cameras = scene.nodes("camera")
    width, height = default_resolution(scene.header.maya_version)
    render_cameras = [c for c in cameras if bool(value(c, "rnd", True))]
    return CommonSettings(
        renderer=renderer,
        animation=animation,
        start=start,
        end=end,
        by_frame=by,
        frames=frames,
        width=int(value(RESOLUTION, "w", width)),
        height=int(value(RESOLUTION, "h", height)),
        image_format=_image_format(renderer, value),
        image_file_prefix=str(value(RENDER_GLOBALS, "ifp", "") or ""),
        all_camera=cameras,
        render_camera=render_cameras,
    )


def _image_format(renderer: str, value: Callable) -> str:
    if renderer == "arnold":
        translator = value(ARNOLD_DRIVER, "ai_translator", None)
        if translator:
            return str(translator)
    key = value(RENDER_GLOBALS, "imfkey", None)
    code = value(RENDER_GLOBALS, "outf", None)
    if key and (code is None or code == 51):
        return str(key)
    if code is None:
        return "exr" if renderer == "arnold" else "iff"
    return IMAGE_FORMATS.get(int(code), str(key or code))


def _arnold(scene: SceneQuery, value: Callable) -> ArnoldOptions | None:
    options = scene.nodes("aiOptions")
    if not options:
        return None
    node = ARNOLD_OPTIONS if ARNOLD_OPTIONS in options else options[0]

    def get(default: Any, *names: str) -> Any:
        for name in names:
            found = value(node, name, None)
            if found is not None:
                return found
        return default

    return ArnoldOptions(
        sampling=[
            int(get(3, "AA_samples", "AASamples")),
            int(get(2, "GI_diffuse_samples", "GIDiffuseSamples")),
            int(get(2, "GI_specular_samples", "GISpecularSamples")),
            int(get(2, "GI_sss_samples", "GISssSamples")),
            int(get(2, "GI_transmission_samples", "GITransmissionSamples")),
            int(get(2, "GI_volume_samples", "GIVolumeSamples")),
        ],
        motion_blur_enable=bool(get(False, "mb_en", "motion_blur_enable")),
        auto_tx=bool(get(True, "autotx")),
        use_existing_tx=bool(get(True, "usetx", "use_existing_tiled_textures")),
        texture_max_memory_mb=float(get(4096.0, "texture_max_memory_MB", "textureMaxMemoryMB")),
        threads_autodetect=bool(get(True, "thr_auto", "threads_autodetect")),
        render_device="GPU" if int(get(0, "renderDevice", "render_device")) == 1 else "CPU",
    )
