"""What the artist chose in the panel, as plain data that is saved with the scene.

`PanelChoices` is what `SceneHost.save_choices` stores (as a dict) and what
the per-user defaults hold; `to_submission` turns it into the
`farmhand.submit.pipeline.Choices` that `build_spec` and `prepare_analysis` take.
Hardware and software overrides travel as one last preset (`scope="panel"`),
because a preset may set any JobSpec field and is applied before the
artist's own choices. The cameras are picked per layer: each chosen layer's
pick (or its renderable cameras) goes to `Choices.layer_cameras`.

>>> from farmhand.panel.choices import PanelChoices
>>> c = PanelChoices.from_dict({"priority": 70, "tiles": "lots", "unknown": 1})
>>> c.priority, c.tiles
(70, 4)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.scene import Analysis, LayerInfo
from farmhand.spec.defaults import default_of
from farmhand.spec.presets import Preset
from farmhand.submit.pipeline import Choices

SPLITS = ("frames", "tiles")
TILE_TYPES = ("strip", "block")
HARDWARE_MODES = ("any", "config", "custom")

USER_DEFAULT_FIELDS = (
    "split", "frames_per_task", "tiles", "tiles_type", "test_first", "test_middle",
    "test_last", "stop_after_test", "priority", "preset", "hardware", "hardware_config_id",
    "ram_gb", "gpu_count", "search_paths",
)  # fmt: skip
"""The choices a user may keep as defaults for every scene (not the scene-specific ones)."""


@dataclass
class PanelChoices:
    """The panel's choices for one scene; defaults leave the scene's own values, or are the
    JobSpec's (`farmhand.spec.defaults`)."""

    layers: list[str] | None = None  # None: the scene's renderable layers
    cameras: dict[str, list[str]] = field(default_factory=dict)  # per layer; absent: renderable
    name: str = ""  # "" : the scene's name
    frames: str = ""  # "" : the chosen layers' frames
    split: str = "frames"  # frames | tiles
    frames_per_task: int = default_of("frames_per_task")
    tiles: int = 4
    tiles_type: str = default_of("tiles_type")
    test_first: bool = False
    test_middle: bool = False
    test_last: bool = False
    test_custom: str = ""
    stop_after_test: bool = default_of("stop_after_test")
    priority: int = default_of("priority")
    preset: str = ""
    hardware: str = "any"  # any | config | custom
    hardware_config_id: str = ""
    ram_gb: float = 0.0
    gpu_count: int = 0
    cg_version: str = ""  # "" : the scene's Maya version
    plugins: dict[str, str] = field(default_factory=dict)  # plugin version overrides
    search_paths: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PanelChoices:
        """Read saved choices; a missing or damaged value keeps its default."""
        choices = cls()
        for f in dataclasses.fields(cls):
            if not data or f.name not in data:
                continue
            value = _coerce(f.name, data[f.name], getattr(choices, f.name))
            if value is not None:
                setattr(choices, f.name, value)
        return choices

    def user_defaults(self) -> dict[str, Any]:
        """The part of these choices a user keeps for every scene."""
        data = self.to_dict()
        return {k: data[k] for k in USER_DEFAULT_FIELDS}


def _coerce(name: str, value: Any, default: Any) -> Any:
    """`value` in the type of `default`, or None when it cannot be (so the default stays)."""
    if name == "layers":
        if value is None:
            return None
        return [str(v) for v in value] if isinstance(value, list) else None
    if name == "cameras":
        if not isinstance(value, dict):
            return None
        return {str(k): [str(c) for c in v] for k, v in value.items() if isinstance(v, list)}
    if name == "plugins":
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None
    if name == "search_paths":
        return [str(v) for v in value] if isinstance(value, list) else None
    allowed = {"split": SPLITS, "tiles_type": TILE_TYPES, "hardware": HARDWARE_MODES}
    if name in allowed:
        return value if value in allowed[name] else None
    if isinstance(default, bool):
        return value if isinstance(value, bool) else None
    if isinstance(default, int):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else None
    return value if isinstance(value, str) else None


def renderable_layers(analysis: Analysis) -> list[str]:
    """The layers the scene itself would render."""
    return [name for name, layer in analysis.scene_info_render.items() if layer.renderable]


def chosen_layers(choices: PanelChoices, analysis: Analysis) -> list[str]:
    """The layers to submit: the artist's (those still in the scene) or the renderable ones."""
    if choices.layers is None:
        return renderable_layers(analysis)
    return [name for name in choices.layers if name in analysis.scene_info_render]


def layer_cameras(layer: LayerInfo) -> list[str]:
    """Every camera of a layer as the Scene section lists them: renderable ones first."""
    return list(dict.fromkeys([*layer.common.render_camera, *layer.common.all_camera]))


def picked_cameras(choices: PanelChoices, name: str, layer: LayerInfo) -> list[str]:
    """The cameras to render in one layer: the artist's pick or the layer's renderable ones.

    A pick saved before cameras were named by transform (`perspShape`) reads as the
    transform (`persp`); a camera the layer no longer has is dropped.
    """
    picked = choices.cameras.get(name)
    if picked is None:
        return list(layer.common.render_camera)
    transforms = {shape: transform for transform, shape in layer.common.camera_shapes.items()}
    wanted = {transforms.get(camera, camera) for camera in picked}
    return [camera for camera in layer_cameras(layer) if camera in wanted]


def chosen_cameras(choices: PanelChoices, analysis: Analysis, layers: list[str]) -> list[str]:
    """The cameras to render: the union over the chosen layers of each layer's cameras."""
    cameras: dict[str, None] = {}
    for name in layers:
        for camera in picked_cameras(choices, name, analysis.scene_info_render[name]):
            cameras[camera] = None
    return list(cameras)


def parse_custom_frames(text: str) -> tuple[list[int], str | None]:
    """Frame numbers from `"150, 200 210"`; a problem names the bad part.

    >>> parse_custom_frames("150, 200 210"), parse_custom_frames("1,x")[1]
    (([150, 200, 210], None), "test_frames.custom: 'x' is not a frame number")
    """
    frames: list[int] = []
    for part in text.replace(",", " ").split():
        try:
            frames.append(int(part))
        except ValueError:
            return frames, f"test_frames.custom: {part!r} is not a frame number"
    return frames, None


def to_submission(
    choices: PanelChoices, analysis: Analysis, presets: dict[str, Preset]
) -> tuple[Choices, list[str]]:
    """The submission `Choices` for these panel choices, and the problems found on the way.

    A problem names the JobSpec field it is about (`test_frames.custom: …`,
    `preset: …`), like `validate_jobspec`'s messages.
    """
    problems: list[str] = []
    layers = chosen_layers(choices, analysis)
    if not layers:
        problems.append("layers: choose at least one render layer to submit")
    custom, problem = parse_custom_frames(choices.test_custom)
    if problem:
        problems.append(problem)
    test = {"first": choices.test_first, "middle": choices.test_middle,
            "last": choices.test_last, "custom": custom}  # fmt: skip
    has_test = any((choices.test_first, choices.test_middle, choices.test_last, custom))
    tiled = choices.split == "tiles"
    chosen_presets: list[Preset] = []
    if choices.preset:
        if choices.preset in presets:
            chosen_presets.append(presets[choices.preset])
        else:
            problems.append(f"preset: no preset named {choices.preset!r} is available")
    if choices.hardware == "config" and not choices.hardware_config_id:
        problems.append("hardware.hardware_config_ids: choose a machine type")
    own = panel_preset(choices, analysis)
    if own is not None:
        chosen_presets.append(own)
    per_layer = {
        name: picked_cameras(choices, name, analysis.scene_info_render[name]) for name in layers
    }
    for name, cameras in per_layer.items():
        if not cameras and name in choices.cameras:
            shown = analysis.scene_info_render[name].display_name
            problems.append(f"cameras: choose at least one camera to render in layer {shown}")
    result = Choices(
        name=choices.name.strip() or None,
        frames=choices.frames.strip() or None,
        layers=layers,
        cameras=chosen_cameras(choices, analysis, layers),
        layer_cameras=per_layer,
        frames_per_task=None if tiled else choices.frames_per_task,
        tiles=choices.tiles if tiled else None,
        tiles_type=choices.tiles_type if tiled else None,
        test_frames=test if has_test else None,
        stop_after_test=choices.stop_after_test if (has_test or choices.stop_after_test) else None,
        priority=choices.priority,
        presets=chosen_presets,
    )
    return result, problems


def panel_preset(choices: PanelChoices, analysis: Analysis) -> Preset | None:
    """The hardware and software the artist set in the panel, as a last preset (or None)."""
    fields: dict[str, Any] = {}
    if choices.hardware == "config" and choices.hardware_config_id:
        fields["hardware"] = {"hardware_config_ids": [choices.hardware_config_id]}
    elif choices.hardware == "custom":
        hardware: dict[str, Any] = {}
        if choices.ram_gb:
            hardware["ram_gb"] = choices.ram_gb
        if choices.gpu_count:
            hardware["gpu_count"] = choices.gpu_count
        if hardware:
            fields["hardware"] = hardware
    scene_software = analysis.software_config
    plugins = {str(k): str(v) for k, v in (scene_software.get("plugins") or {}).items()}
    changed_plugins = {k: v for k, v in choices.plugins.items() if plugins.get(k) != v}
    if choices.cg_version.strip() or changed_plugins:
        plugins.update(changed_plugins)
        fields["software"] = {
            "cg_name": str(scene_software.get("cg_name") or "Maya"),
            "cg_version": choices.cg_version.strip()
            or str(scene_software.get("cg_version") or "unknown"),
            "plugins": plugins,
        }
    if not fields:
        return None
    return Preset("panel", Path("<panel>"), "panel", fields)


def with_preset(choices: PanelChoices, preset: Preset | None) -> PanelChoices:
    """The choices with a preset picked and its values loaded into the fields the panel shows.

    Fields the panel has no control for (time limits, path mapping, …) stay in the
    preset, which is applied to the spec as well.
    """
    result = PanelChoices.from_dict(choices.to_dict())
    result.preset = preset.name if preset is not None else ""
    if preset is None:
        return result
    fields = preset.fields
    if "tiles" in fields:
        result.split, result.tiles = "tiles", int(fields["tiles"])
        result.tiles_type = str(fields.get("tiles_type", result.tiles_type))
    elif "frames_per_task" in fields:
        result.split, result.frames_per_task = "frames", int(fields["frames_per_task"])
    if "priority" in fields:
        result.priority = int(fields["priority"])
    test = fields.get("test_frames")
    if isinstance(test, dict):
        result.test_first = bool(test.get("first"))
        result.test_middle = bool(test.get("middle"))
        result.test_last = bool(test.get("last"))
        result.test_custom = ", ".join(str(f) for f in test.get("custom") or [])
    if "stop_after_test" in fields:
        result.stop_after_test = bool(fields["stop_after_test"])
    hardware = fields.get("hardware")
    if isinstance(hardware, dict):
        ids = hardware.get("hardware_config_ids") or []
        if ids:
            result.hardware, result.hardware_config_id = "config", str(ids[0])
        elif hardware.get("ram_gb") or hardware.get("gpu_count"):
            result.hardware = "custom"
            result.ram_gb = float(hardware.get("ram_gb") or 0)
            result.gpu_count = int(hardware.get("gpu_count") or 0)
    return result
