r"""The image files Maya will write for a layer: folders, tokens, frame numbers, extensions.

Rules, from Maya's Render Settings documentation ("File name prefix",
"Frame/Animation ext", "Frame padding", the `<RenderLayer>`/`<Camera>`
tokens), MtoA's documentation of AOV outputs, and what real Maya wrote for
`reference/maya-semantics/layer_camera_folders.ma` and the Deadline oracle
scenes (`_output_dirs`):

* **Where.** Under the project's `images` file rule (`images` when the
  project has none), unless the prefix is absolute: then under the prefix's
  own folder. On the farm the worker's output folder (`Render -rd`) stands in
  for that root, so every file is named relative to it.
* **Prefix.** `defaultRenderGlobals.imageFilePrefix`; empty means `<Scene>`.
  Tokens: `<Scene>`/`%s` (the scene file's name without extension),
  `<RenderLayer>`/`<Layer>`/`%l` (the layer as Render Setup shows it:
  `masterLayer` for `defaultRenderLayer`, `X` rather than `rs_X`),
  `<Camera>`/`%c` (the camera's transform), `<RenderPass>` (an Arnold AOV, or
  `beauty`), `<Version>` (`defaultRenderGlobals.renderVersion`).
* **Automatic folders.** With more than one renderable layer and no layer
  token Maya puts each layer in a folder named after it; with more than one
  renderable camera in the layer and no camera token, each camera in a
  folder named after its transform (layer folder first).
* **Frame numbers** (`.an`, `.pff` putFrameBeforeExt, `.peie` periodInExt,
  `.ep` extensionPadding): animation off writes `name.ext`; on, `.pff` on
  gives `name.####.ext` (`.peie` 1), `name####.ext` (0) or `name_####.ext`
  (2); `.pff` off gives `name.ext.####`. Padding is `.ep` digits (default 1).
* **Extension** from the image format (`jpeg` → `jpg`, `tiff` → `tif`,
  `deepexr` → `exr`); `.ofc` (outFormatControl) 1 writes none, 2 writes
  `.ofe` (outFormatExt) instead.
* **Arnold AOVs**: one file per enabled `aiAOV` listed in
  `defaultArnoldRenderOptions.aovList`, beside the beauty, unless
  `defaultArnoldDriver.mergeAOVs` writes them into one EXR or the options'
  AOV mode is off.

Not confirmed against a real Maya: where MtoA puts AOV files when the prefix
has no `<RenderPass>` (taken here as a `<RenderPass>` folder before the file
name), how `<Camera>` spells a namespace (taken as `_` for `:`, as Deadline
and OpenPype do), and the `.peie` separators with `.pff` off. The farm passes
the *effective* prefix (every automatic folder written as a token) to
`Render -im`, so what the node writes follows these names either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LAYER_TOKENS = ("<RenderLayer>", "<Layer>", "%l")
CAMERA_TOKENS = ("<Camera>", "%c")
PASS_TOKENS = ("<RenderPass>", "<AOV>", "%a")
SCENE_TOKENS = ("<Scene>", "%s")
VERSION_TOKENS = ("<Version>", "%v")

EXTENSIONS = {"jpeg": "jpg", "tiff": "tif", "tif": "tif", "deepexr": "exr", "maya": "iff"}
"""Image format name → file extension where they differ."""

PREDICTED_RENDERERS = ("mayaSoftware", "mayaHardware2", "arnold")
"""Renderers whose file names follow the render globals (the rules above)."""

_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:/|//|/)")
_SEPARATORS = {0: "", 1: ".", 2: "_"}


@dataclass(slots=True)
class OutputFile:
    """The images of one camera and pass: a path template relative to the layer's root.

    `template` has a `{frame}` field (with its padding, e.g. `{frame:04d}`)
    when each frame writes its own file; `str.format(frame=n)` gives the path.
    """

    camera: str
    aov: str | None
    template: str


@dataclass(slots=True)
class NamingSettings:
    """The settings of one layer that file names depend on."""

    scene_name: str
    layer: str  # the layer's display name (`masterLayer`, the Render Setup name)
    renderer: str
    prefix: str
    cameras: list[str]
    image_format: str
    animation: bool
    put_frame_before_ext: bool = False
    period_in_ext: int = 1
    padding: int = 1
    out_format_control: int = 0
    out_format_ext: str = ""
    version: str = ""
    aovs: list[str] = field(default_factory=list)
    renumbered: bool = False


@dataclass(slots=True)
class LayerOutputs:
    """What one layer writes: under `root` (the artist's images folder), by `prefix`.

    `naming`, `images` and `several_layers` are what the files were predicted
    from, so a submission can predict them again for the cameras and frames
    the artist picks (`layer_outputs`).
    """

    root: str
    prefix: str  # relative to root, every automatic folder made a token: what `Render -im` gets
    files: list[OutputFile] = field(default_factory=list)
    predicted: bool = True
    note: str = ""
    naming: NamingSettings | None = None
    images: str = "images"
    several_layers: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> LayerOutputs:
        """Read back what `dataclasses.asdict` wrote (the analysis JSON)."""
        naming = data.get("naming")
        return cls(
            **{
                **data,
                "files": [OutputFile(**f) for f in data.get("files", [])],
                "naming": NamingSettings(**naming) if naming else None,
            }
        )


def has_token(prefix: str, tokens: tuple[str, ...]) -> bool:
    """Whether the prefix names one of these tokens (Maya's tokens ignore case).

    >>> has_token("<layer>/<Scene>", LAYER_TOKENS), has_token("<Scene>", CAMERA_TOKENS)
    (True, False)
    """
    low = prefix.lower()
    return any(token.lower() in low for token in tokens)


def split_root(prefix: str, images: str) -> tuple[str, str]:
    """`(root, relative prefix)`: an absolute prefix's folder before its first token, else
    the images folder.

    >>> split_root("G:\\\\show\\\\renders\\\\<Scene>\\\\<Layer>", "/p/images")
    ('G:/show/renders', '<Scene>/<Layer>')
    >>> split_root("<Layer>/<Scene>", "/p/images")
    ('/p/images', '<Layer>/<Scene>')
    """
    prefix = prefix.replace("\\", "/")
    if not _ABSOLUTE.match(prefix):
        return images, prefix.strip("/")
    parts = prefix.split("/")
    keep = len(parts) - 1
    for i, part in enumerate(parts):
        if "<" in part or "%" in part:
            keep = min(keep, i)
            break
    root = "/".join(parts[:keep]) or "/"
    return root, "/".join(p for p in parts[keep:] if p)


def effective_prefix(settings: NamingSettings, relative: str, several_layers: bool) -> str:
    """The relative prefix with Maya's automatic folders written as tokens.

    >>> s = NamingSettings("shot", "fg", "arnold", "", ["persp", "hero"], "exr", True)
    >>> effective_prefix(s, "", several_layers=True)
    '<RenderLayer>/<Camera>/<Scene>'
    """
    prefix = relative or "<Scene>"
    folders = []
    if several_layers and not has_token(prefix, LAYER_TOKENS):
        folders.append("<RenderLayer>")
    if len(settings.cameras) > 1 and not has_token(prefix, CAMERA_TOKENS):
        folders.append("<Camera>")
    if settings.aovs and not has_token(prefix, PASS_TOKENS):
        head, slash, name = prefix.rpartition("/")
        prefix = f"{head}{slash}<RenderPass>/{name}"
    return "/".join([*folders, prefix])


def layer_outputs(
    settings: NamingSettings,
    images: str,
    several_layers: bool,
    cameras: list[str] | None = None,
) -> LayerOutputs:
    """The files one layer writes (see the module doc for each rule), for `cameras` (default:
    the layer's renderable cameras). The prefix's folders follow the renderable cameras
    whichever are listed, so narrowing the cameras never renames a file."""
    root, relative = split_root(settings.prefix, images)
    prefix = effective_prefix(settings, relative, several_layers)
    outputs = LayerOutputs(
        root, prefix, naming=settings, images=images, several_layers=several_layers
    )
    if settings.renderer not in PREDICTED_RENDERERS:
        outputs.predicted = False
        outputs.note = (
            f"{settings.renderer} names its files by its own settings; the farm checks that "
            "each frame writes at least one file"
        )
        return outputs
    if settings.renumbered:
        outputs.predicted = False
        outputs.note = "renumbered frames (.mdfe): the farm checks that each frame writes a file"
        return outputs
    for camera in settings.cameras if cameras is None else cameras:
        for aov in [None, *settings.aovs]:
            stem = expand_tokens(prefix, settings, camera, aov)
            outputs.files.append(OutputFile(camera, aov, _escape(stem) + frame_part(settings)))
    return outputs


def expand_tokens(prefix: str, settings: NamingSettings, camera: str, aov: str | None) -> str:
    """The prefix with every token replaced for one camera and pass.

    >>> s = NamingSettings("shot", "masterLayer", "arnold", "", ["cam:main"], "exr", True)
    >>> expand_tokens("<RenderLayer>/<Camera>/<Scene>", s, "cam:main", None)
    'masterLayer/cam_main/shot'
    """
    values = [
        (SCENE_TOKENS, settings.scene_name),
        (LAYER_TOKENS, settings.layer),
        (CAMERA_TOKENS, re.sub(r"[:|]", "_", camera)),
        (PASS_TOKENS, aov or "beauty"),
        (VERSION_TOKENS, settings.version),
    ]
    text = prefix
    for tokens, value in values:
        for token in tokens:
            text = _replace(text, token, value)
    return text


def _replace(text: str, token: str, value: str) -> str:
    """Every spelling of `token` (any case) replaced by `value`, taken literally."""
    return re.sub(re.escape(token), lambda _match: value, text, flags=re.IGNORECASE)


def frame_part(settings: NamingSettings) -> str:
    """What follows the name: frame number and extension, as a `str.format` template.

    >>> s = NamingSettings("a", "l", "arnold", "", [], "exr", True, True, 1, 4)
    >>> frame_part(s)
    '.{frame:04d}.exr'
    >>> s.put_frame_before_ext = False; frame_part(s)
    '.exr.{frame:04d}'
    >>> s.animation = False; frame_part(s)
    '.exr'
    """
    extension = _extension(settings)
    dot_ext = f".{_escape(extension)}" if extension else ""
    if not settings.animation:
        return dot_ext
    number = f"{{frame:0{settings.padding}d}}" if settings.padding > 1 else "{frame}"
    separator = _SEPARATORS.get(settings.period_in_ext, ".")
    if settings.put_frame_before_ext:
        return f"{separator}{number}{dot_ext}"
    return f"{dot_ext}{separator}{number}"


def _extension(settings: NamingSettings) -> str:
    if settings.out_format_control == 1:
        return ""
    if settings.out_format_control == 2:
        return settings.out_format_ext.lstrip(".")
    name = settings.image_format.lower()
    return EXTENSIONS.get(name, name)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
