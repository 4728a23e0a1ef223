"""The declarative table of node types and the attributes that name files.

A TD adds a row to make Farmhand collect a new kind of dependency:
`FileAttr("myCacheNode", "cachePath", "cache")`. `short` is the name Maya
writes in `.ma` files when it is not in `attributes.LONG_TO_SHORT`.
"""

from __future__ import annotations

from dataclasses import dataclass

from farmhand.scene.attributes import canonical


@dataclass(frozen=True, slots=True)
class FileAttr:
    """One attribute of one node type that holds a file path."""

    node_type: str
    attribute: str  # long name
    kind: str
    short: str | None = None
    optional: bool = False
    multi: bool = False  # a multi attribute (`.fns[0]`, …) or `;`-separated list

    @property
    def key(self) -> str:
        """The attribute as stored by the offline reader."""
        return self.short or canonical(self.attribute)


FILE_ATTRIBUTES: tuple[FileAttr, ...] = (
    FileAttr("file", "fileTextureName", "texture"),
    FileAttr("aiImage", "filename", "image"),
    FileAttr("aiVolume", "filename", "volume"),
    FileAttr("aiStandIn", "dso", "standin"),
    FileAttr("aiPhotometricLight", "aiFilename", "ies"),
    FileAttr("AlembicNode", "abc_File", "alembic"),
    FileAttr("AlembicNode", "abc_layerFiles", "alembic", short="fns", multi=True),
    FileAttr("gpuCache", "cacheFileName", "gpu_cache"),
    FileAttr("audio", "filename", "audio", short="f"),
    FileAttr("imagePlane", "imageName", "image_plane"),
    FileAttr("xgmSplineCache", "fileName", "cache"),
    FileAttr("mayaUsdProxyShape", "filePath", "usd"),
    FileAttr("pgYetiMaya", "cacheFileName", "yeti"),
    FileAttr("assemblyReference", "definition", "assembly"),
    FileAttr("PxrTexture", "filename", "texture"),
    FileAttr("PxrNormalMap", "filename", "texture"),
    FileAttr("PxrDomeLight", "lightColorMap", "texture"),
    FileAttr("VRayMesh", "fileName", "cache"),
    FileAttr("VRayVolumeGrid", "inFile", "volume"),
    FileAttr("VRayScene", "FilePath", "cache"),
    FileAttr("RedshiftProxyMesh", "fileName", "cache"),
    FileAttr("RedshiftVolumeShape", "fileName", "volume"),
    FileAttr("svgToPoly", "svgFilepath", "image"),
    FileAttr("BifMeshImportNode", "bifMeshDirectory", "cache"),
)

# Long attribute names of the table, for paths found in reference edits.
EDIT_ATTRIBUTES: dict[str, FileAttr] = {row.attribute: row for row in FILE_ATTRIBUTES}

# Node types handled by code rather than a table row (they hide more files).
HANDLED_TYPES: dict[str, frozenset[str]] = {
    "file": frozenset({"ftn", "uvt", "ufe", "fe", "cfnp"}),
    "xgmPalette": frozenset({"xfn", "xbf", "xdf", "xpp"}),
    "cacheFile": frozenset({"cp", "cn"}),
    "colorManagementGlobals": frozenset({"cfp", "cfe", "cme"}),
    "reference": frozenset({"ed", "fn"}),
}


def wants() -> dict[str, frozenset[str]]:
    """Node type → short attribute names the scanner reads (for the offline parser)."""
    out: dict[str, set[str]] = {}
    for row in FILE_ATTRIBUTES:
        out.setdefault(row.node_type, set()).add(row.key)
    for node_type, attrs in HANDLED_TYPES.items():
        out.setdefault(node_type, set()).update(attrs)
    return {k: frozenset(v) for k, v in out.items()}
