"""Render settings per render layer, read through SceneQuery.

Layers come in two kinds: legacy `renderLayer` nodes with adjustments
(`legacy_layers`), and Render Setup layers (`renderSetupLayer` X, paired with
a legacy `rs_X`) with collections of overrides (`render_setup`). Either way
each layer becomes a `LayerValues`: the value of any plug as that layer
renders it, which the settings lookups below consult. In a Render Setup scene
the legacy adjustments are ignored, because Render Setup switches layers by
its own overrides (Maya's `renderSetup/model/renderLayer.py`).

Inside Maya (`live.LiveScene`) `getAttr` answers with the visible layer's
value, so the scene offers `layer_switcher()`: each layer is read by switching
to it and reading plain values, and the artist's visible layer is restored
afterwards, also when reading fails (Zync's and Deadline's submitters do the
same).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import PurePath
from typing import Any

from farmhand.scene import legacy_layers, outputs, render_setup
from farmhand.scene.attributes import canonical, is_on
from farmhand.scene.cameras import Camera
from farmhand.scene.model import ArnoldOptions, CommonSettings, LayerInfo
from farmhand.scene.query import SceneQuery
from farmhand.scene.timeunits import frame_number

RENDER_GLOBALS = "defaultRenderGlobals"
RESOLUTION = "defaultResolution"
ARNOLD_OPTIONS = "defaultArnoldRenderOptions"
ARNOLD_DRIVER = "defaultArnoldDriver"
DEFAULT_LAYER = legacy_layers.DEFAULT_LAYER
MASTER_LAYER = "masterLayer"

# Maya's imageFormat enum (`.outf`); 50 and 51 mean "the imfPluginKey format".
IMAGE_FORMATS = {
    0: "gif", 1: "si", 2: "rla", 3: "tif", 4: "tif", 5: "sgi", 6: "als", 7: "iff",
    8: "jpg", 9: "eps", 10: "iff", 11: "cin", 12: "yuv", 13: "sgi", 19: "tga",
    20: "bmp", 23: "avi", 31: "psd", 32: "png", 35: "dds", 36: "psd", 40: "exr",
}  # fmt: skip
PLUGIN_FORMATS = (50, 51)
DEFAULT_OUTF = 7  # Maya IFF: `defaultRenderGlobals.imageFormat`'s default

# Attributes the render settings read, by node type (short base names).
_OVERRIDE_ATTRS = frozenset({"atr", "atv", "sen", "tgName", "mul", "ofs"})
WANTS: dict[str, frozenset[str] | None] = {
    "renderGlobals": frozenset(
        {"ren", "outf", "imfkey", "ifp", "an", "fs", "ef", "bfs", "bf", "mdfe", "ep", "pff",
         "peie", "ofc", "ofe", "rv"}
    ),
    "resolution": frozenset({"w", "h", "pa", "dar"}),
    "time": frozenset({"o"}),
    "camera": frozenset({"rnd", "o"}),
    "renderLayer": frozenset({"rndr", "do", "g", "adjs"}),
    "renderLayerManager": frozenset({"crl", "rlmi"}),
    "renderSetupLayer": frozenset({"rndr"}),
    "renderSetup": frozenset(),
    **{t: frozenset({"sen"}) for t in render_setup.COLLECTION_TYPES},
    "simpleSelector": frozenset({"ssl", "pat", "tf"}),
    **{t: _OVERRIDE_ATTRS for t in render_setup.OVERRIDE_TYPES},
    **{t: frozenset({"ori"}) for t in render_setup.APPLY_TYPES},
    "aiOptions": None,
    "aiAOVDriver": None,
    "aiAOV": None,
}  # fmt: skip

# Node types whose connections the layer logic follows.
CONNECT_TYPES = frozenset(
    {"renderLayer", "renderLayerManager", "renderSetupLayer", "renderSetup", "simpleSelector",
     "aiAOV", *render_setup.COLLECTION_TYPES, *render_setup.OVERRIDE_TYPES,
     *render_setup.APPLY_TYPES}
)  # fmt: skip


class LayerValues:
    """Any plug's value as one layer renders it.

    `base` holds values that differ from what the file stores in the node (a
    legacy layer's adjustments, Render Setup's master values); `overrides`
    are applied on top, in order. None in `base` means "the attribute's
    default" (Maya did not write it).
    """

    def __init__(
        self,
        scene: SceneQuery,
        base: dict[tuple[str, str], Any],
        overrides: Sequence[render_setup.Override] = (),
    ) -> None:
        self.scene = scene
        self.base = base
        self.overrides: dict[tuple[str, str], list[render_setup.Override]] = {}
        for override in overrides:
            self.overrides.setdefault((override.node, override.attr), []).append(override)

    def __call__(self, node: str, attr: str, default: Any = None) -> Any:
        key = (node, canonical(attr))
        if key in self.base:
            value = self.base[key]
            value = default if value is None else value
        else:
            value = self.scene.get_attr(node, attr, default)
        for override in self.overrides.get(key, ()):
            value = override.apply(value)
        return value


def read_layers(
    scene: SceneQuery,
    current_frame: float,
    cameras: Sequence[Camera] = (),
    images: str = "images",
) -> tuple[dict[str, LayerInfo], int]:
    """Settings of every render layer, keyed by legacy layer name; and the layer type (0/1).

    `cameras` are the scene's cameras (`cameras.scene_cameras`), `images` the
    folder Maya writes images under (for the predicted outputs).
    """
    setup_layers = render_setup.layers(scene)
    masters = render_setup.master_values(scene) if setup_layers else {}
    current = legacy_layers.current_layer(scene) if not setup_layers else DEFAULT_LAYER
    layers: dict[str, LayerInfo] = {}
    naming: dict[str, outputs.NamingSettings] = {}
    switcher = getattr(scene, "layer_switcher", None)
    with switcher(bool(setup_layers)) if switcher else nullcontext() as switch:
        for legacy in legacy_layers.managed_layers(scene):
            setup = setup_layers.get(legacy)
            if setup_layers and setup is None and legacy != DEFAULT_LAYER:
                continue  # a legacy layer Render Setup does not show
            if switch is not None:
                switch(legacy)  # Maya now answers with this layer's values
                value = LayerValues(scene, {})
            elif setup_layers:
                overrides = render_setup.overrides(scene, setup) if setup else []
                value = LayerValues(scene, masters, overrides)
            else:
                value = LayerValues(scene, legacy_layers.layer_values(scene, legacy, current))
            display = (setup or MASTER_LAYER) if setup_layers else legacy
            renderable = is_on(scene.get_attr(legacy, "rndr", True)) and (
                setup is None or is_on(scene.get_attr(setup, "rndr", True))
            )
            common = _common(scene, value, current_frame, cameras)
            layers[legacy] = LayerInfo(
                display_name=display,
                renderable=renderable,
                common=common,
                option=_arnold(scene, value),
            )
            token = MASTER_LAYER if legacy == DEFAULT_LAYER else display
            naming[legacy] = _naming(scene, value, common, token)
    several = sum(layer.renderable for layer in layers.values()) > 1
    for name, layer in layers.items():
        layer.outputs = outputs.layer_outputs(naming[name], images, several)
    return layers, 1 if setup_layers else 0


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


def _common(
    scene: SceneQuery, value: LayerValues, current_frame: float, cameras: Sequence[Camera]
) -> CommonSettings:
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
    width, height = default_resolution(scene.header.maya_version)
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
        all_camera=[c.transform for c in cameras],
        render_camera=[c.transform for c in cameras if is_on(value(c.shape, "rnd", c.renderable))],
        camera_shapes={c.transform: c.shape for c in cameras},
    )


def _image_format(renderer: str, value: LayerValues) -> str:
    """Arnold's driver format (`ai_translator`, default exr; `maya` defers to the globals), or
    the globals' `.outf` (default 7, IFF) with `.imfkey` used only for 50 and 51."""
    if renderer == "arnold":
        translator = str(value(ARNOLD_DRIVER, "ai_translator", "exr") or "exr")
        if translator != "maya":
            return translator
    code = value(RENDER_GLOBALS, "outf", DEFAULT_OUTF)
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = DEFAULT_OUTF
    if code in PLUGIN_FORMATS:
        return str(value(RENDER_GLOBALS, "imfkey", "") or "iff")
    return IMAGE_FORMATS.get(code, str(code))


def _naming(
    scene: SceneQuery, value: LayerValues, common: CommonSettings, layer_token: str
) -> outputs.NamingSettings:
    """What the layer's file names depend on (`outputs`)."""

    def number(attr: str, default: int) -> int:
        try:
            return int(value(RENDER_GLOBALS, attr, default))
        except (TypeError, ValueError):
            return default

    return outputs.NamingSettings(
        scene_name=PurePath(scene.scene_path.replace("\\", "/")).stem,
        layer=layer_token,
        renderer=common.renderer,
        prefix=common.image_file_prefix,
        cameras=list(common.render_camera),
        image_format=common.image_format,
        animation=common.animation,
        put_frame_before_ext=bool(value(RENDER_GLOBALS, "pff", False)),
        period_in_ext=number("peie", 1),
        padding=number("ep", 1),
        out_format_control=number("ofc", 0),
        out_format_ext=str(value(RENDER_GLOBALS, "ofe", "") or ""),
        version=str(value(RENDER_GLOBALS, "rv", "") or ""),
        aovs=_arnold_aovs(scene, value) if common.renderer == "arnold" else [],
        renumbered=common.animation and bool(value(RENDER_GLOBALS, "mdfe", False)),
    )


def _arnold_aovs(scene: SceneQuery, value: LayerValues) -> list[str]:
    """Enabled AOVs written to files of their own (see `outputs`): `aiAOV` nodes connected to
    `defaultArnoldRenderOptions.aovs` (`aovList`), `.aoven` on, named by `.aovn`.

    The AOV mode and merge switches are read by MtoA's long names (`aovMode`,
    `mergeAOVs`); no corpus scene writes them, so their short names are not known here.
    """
    if not is_on(value(ARNOLD_OPTIONS, "aovMode", 1)):
        return []
    if is_on(value(ARNOLD_DRIVER, "mergeAOVs", False)):
        return []
    names = []
    for aov in scene.nodes("aiAOV"):
        listed = any(
            src == f"{aov}.msg" and dst.split(".")[-1].split("[")[0] in ("aovs", "aovList")
            for src, dst in scene.connections(aov)
        )
        if listed and is_on(value(aov, "aoven", True)):
            names.append(str(value(aov, "aovn", None) or aov.removeprefix("aiAOV_")))
    return list(dict.fromkeys(names))


def _arnold(scene: SceneQuery, value: LayerValues) -> ArnoldOptions | None:
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
