"""Short and long names of the Maya attributes Farmhand reads.

Maya saves short names (`.ftn`); long-name saves and reference edits use
long ones (`fileTextureName`). The offline reader stores attributes under
their short name; `canonical()` maps either spelling, component by
component (`adjustments[0].value` → `adjs[0].val`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

LONG_TO_SHORT: dict[str, str] = {
    # renderGlobals
    "currentRenderer": "ren",
    "imageFormat": "outf",
    "imfPluginKey": "imfkey",
    "imageFilePrefix": "ifp",
    "animation": "an",
    "startFrame": "fs",
    "endFrame": "ef",
    "byFrameStep": "bfs",
    "byFrame": "bf",
    "extensionPadding": "ep",
    "modifyExtension": "mdfe",
    "renumberFrames": "mdfe",
    "startExtension": "se",
    "putFrameBeforeExt": "pff",
    "periodInExt": "peie",
    "outFormatControl": "ofc",
    "outFormatExt": "ofe",
    # resolution
    "width": "w",
    "height": "h",
    "pixelAspect": "pa",
    "deviceAspectRatio": "dar",
    # time
    "outTime": "o",
    # camera
    "renderable": "rnd",
    "orthographic": "o",
    # render layers
    "displayOrder": "do",
    "global": "g",
    "adjustments": "adjs",
    "value": "val",
    "plug": "plg",
    "renderLayerId": "rlid",
    "renderLayerInfo": "rlio",
    "renderLayerManager": "rlmi",
    # render setup
    "attribute": "atr",
    "attrValue": "atv",
    "targetNodeName": "tgName",
    "selfEnabled": "se",
    "staticSelection": "ssl",
    "pattern": "pat",
    "typeFilter": "tf",
    "customFilterValue": "cfv",
    "legacyRenderLayer": "lrl",
    "parentList": "pls",
    "listItems": "lit",
    "enabled": "en",
    "isolateSelected": "is",
    "numIsolatedChildren": "nic",
    # dependencies
    "fileTextureName": "ftn",
    "uvTilingMode": "uvt",
    "useFrameExtension": "ufe",
    "frameExtension": "fe",
    "frameOffset": "fo",
    "computedFileTextureNamePattern": "cfnp",
    "abc_File": "fn",
    "abc_layerFiles": "fns",
    "cacheFileName": "cfn",
    "filename": "filename",
    "aiFilename": "aiFilename",
    "imageName": "imn",
    "cachePath": "cp",
    "cacheName": "cn",
    "xgFileName": "xfn",
    "xgBaseFile": "xbf",
    "xgDeltaFiles": "xdf",
    "xgProjectPath": "xpp",
    "configFilePath": "cfp",
    "cmEnabled": "cme",
    "configFileEnabled": "cfe",
    "filePath": "fp",
    "definition": "def",
    "editsData": "ed",
    "fileNames": "fn",
}

# Long names that collide between node types (e.g. `fn` is both AlembicNode
# abc_File and reference fileNames) still map to one short name, so lookups
# by either spelling meet on the same key.
SHORT_TO_LONG: dict[str, str] = {}
for _long, _short in LONG_TO_SHORT.items():
    SHORT_TO_LONG.setdefault(_short, _long)

_COMPONENT = re.compile(r"([^.\[]+)((?:\[[^\]]*\])*)")


def canonical(attr: str) -> str:
    """The stored spelling of an attribute path: leading `.` dropped, long names shortened."""
    attr = attr.lstrip(".")
    if "." not in attr and "[" not in attr:
        return LONG_TO_SHORT.get(attr, attr)
    return rename_components(attr, lambda name: LONG_TO_SHORT.get(name, name))


def rename_components(attr: str, rename: Callable[[str], str]) -> str:
    """An attribute path with each component's name passed through `rename`, indices kept.

    >>> rename_components("adjustments[0].plug", str.upper)
    'ADJUSTMENTS[0].PLUG'
    """
    parts = []
    for piece in attr.split("."):
        m = _COMPONENT.fullmatch(piece)
        if m is None:
            parts.append(piece)
            continue
        base, index = m.groups()
        parts.append(rename(base) + index)
    return ".".join(parts)


def base_name(attr: str) -> str:
    """The first component of an attribute path without indices: `adjs[0].val` → `adjs`."""
    attr = attr.lstrip(".")
    for i, ch in enumerate(attr):
        if ch in ".[":
            return attr[:i]
    return attr


def is_on(value: object) -> bool:
    """A Maya boolean as read from a scene: `yes`/`no` words, numbers, or None (off).

    >>> is_on(True), is_on(0), is_on(" 1"), is_on("no"), is_on(None)
    (True, False, True, False, False)
    """
    if isinstance(value, str):
        return value.strip().lower() in ("1", "on", "yes", "true")
    return bool(value)
