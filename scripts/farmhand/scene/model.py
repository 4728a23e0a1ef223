"""The analysis result as plain data: dataclasses that write to and read from JSON.

Field names follow the Renderbus client's `asset.json` / `task.json` where
one exists; `docs/analysis.md` documents every field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from farmhand.scene.outputs import LayerOutputs

ERROR, WARNING, NOTICE = "error", "warning", "notice"


@dataclass(slots=True)
class FileEntry:
    """One file of a pattern (a UDIM tile, a frame of a sequence)."""

    path: str
    size: int
    mtime: float


@dataclass(slots=True)
class Dependency:
    """A file the scene needs to render, where it was found, and whether it exists."""

    kind: str
    node: str
    attribute: str
    path: str
    resolved: str | None = None
    found_by: str | None = None
    exists: bool = False
    size: int | None = None
    mtime: float | None = None
    pattern: bool = False
    files: list[FileEntry] = field(default_factory=list)
    optional: bool = False
    from_reference_edit: bool = False

    @property
    def plug(self) -> str:
        """`node.attribute`, the Renderbus key for a missing file."""
        return f"{self.node}.{self.attribute}"

    def found(self) -> str:
        """`resolved`, for a dependency known to exist (ValueError for one not found)."""
        if self.resolved is None:
            raise ValueError(f"{self.plug}: {self.path} was not found")
        return self.resolved


@dataclass(slots=True)
class Diagnostic:
    """A problem found in the scene, with a stable code and a suggested fix."""

    code: str
    severity: str
    message: str
    node: str | None = None
    path: str | None = None
    fix: str = ""


@dataclass(slots=True)
class CommonSettings:
    """Render settings shared by every renderer (`scene_info_render[layer].common`)."""

    renderer: str
    animation: bool
    start: int | float
    end: int | float
    by_frame: int | float
    frames: str
    width: int
    height: int
    image_format: str
    image_file_prefix: str
    all_camera: list[str] = field(default_factory=list)  # transform names
    render_camera: list[str] = field(default_factory=list)  # transform names, renderable here
    camera_shapes: dict[str, str] = field(default_factory=dict)  # transform → shape


@dataclass(slots=True)
class ArnoldOptions:
    """Arnold settings (`scene_info_render[layer].option`)."""

    sampling: list[int]
    motion_blur_enable: bool
    auto_tx: bool
    use_existing_tx: bool
    texture_max_memory_mb: float
    threads_autodetect: bool
    render_device: str


@dataclass(slots=True)
class LayerInfo:
    """One render layer as the farm will render it."""

    display_name: str
    renderable: bool
    common: CommonSettings
    option: ArnoldOptions | None = None
    outputs: LayerOutputs | None = None  # the files Maya will write (docs/analysis.md)


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """A tree of dataclasses as plain dicts and lists, as `dataclasses.asdict` gives it but
    without its deep copy of every leaf (a node-dense scene has hundreds of thousands)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return kind(plain(item) for item in value)
    return value


@dataclass(slots=True)
class Analysis:
    """Everything the farm needs to know about one scene."""

    scene_file: str
    scene_file_size: int
    maya_version: str
    codeset: str
    time_unit: str
    fps: float
    linear_unit: str
    project: str | None
    software_config: dict[str, Any]
    renderer: str
    current_frame: int | float
    render_layer_type: int
    scene_info_render: dict[str, LayerInfo]
    asset: list[Dependency]
    diagnostics: list[Diagnostic]
    # The artist's Render Setup preference "include all lights in each render layer"
    # (Maya's optionVar renderSetup_includeAllLights): read live; a file does not hold it.
    render_setup_include_all_lights: bool | None = None

    @property
    def blocking(self) -> bool:
        """True when an error-severity diagnostic blocks submission."""
        return any(d.severity == ERROR for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, with the derived Renderbus fields added."""
        data = plain(self)
        for dep, out in zip(self.asset, data["asset"], strict=True):
            out["plug"] = dep.plug
        existing = [d for d in self.asset if d.exists]
        data["asset_num"] = len(existing)
        data["asset_size"] = sum(d.size or 0 for d in existing)
        data["missing"] = [{d.plug: d.path} for d in self.asset if not d.exists]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """Read back what `to_dict` wrote (derived fields are recomputed)."""
        layers = {}
        for name, layer in data["scene_info_render"].items():
            option = layer.get("option")
            outputs = layer.get("outputs")
            layers[name] = LayerInfo(
                display_name=layer["display_name"],
                renderable=layer["renderable"],
                common=CommonSettings(**layer["common"]),
                option=ArnoldOptions(**option) if option else None,
                outputs=LayerOutputs.from_dict(outputs) if outputs else None,
            )
        assets = []
        for dep in data["asset"]:
            fields = {k: v for k, v in dep.items() if k != "plug"}
            fields["files"] = [FileEntry(**f) for f in fields.get("files", [])]
            assets.append(Dependency(**fields))
        skip = {"scene_info_render", "asset", "diagnostics", "asset_num", "asset_size", "missing"}
        return cls(
            **{k: v for k, v in data.items() if k not in skip},
            scene_info_render=layers,
            asset=assets,
            diagnostics=[Diagnostic(**d) for d in data["diagnostics"]],
        )
