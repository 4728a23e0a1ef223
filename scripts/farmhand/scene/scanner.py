"""Collect every file a scene depends on, through SceneQuery only.

The table in `file_attributes` covers plain "this attribute is a path"
nodes; handlers here cover what hides more files: texture patterns (UDIM,
frame sequences), references (read recursively when they are `.ma`),
reference edits, XGen collections, Arnold stand-ins, particle caches and
the OCIO config.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from farmhand.scene import diagnostics, standins, xgen
from farmhand.scene.attributes import is_on
from farmhand.scene.cameras import STARTUP, Camera, edited_renderable
from farmhand.scene.errors import SceneError
from farmhand.scene.file_attributes import EDIT_ATTRIBUTES, FILE_ATTRIBUTES, HANDLED_TYPES, FileAttr
from farmhand.scene.mel_tokens import Str, tokenize
from farmhand.scene.model import ERROR, Dependency, Diagnostic, FileEntry
from farmhand.scene.query import Reference, SceneQuery
from farmhand.scene.resolve import Resolver, expand_vars, has_pattern, normalise, stat, unexpanded

_CONCRETE_UDIM = re.compile(r"(?<=[._])1\d{3}(?=[._])")
_FRAME_NUMBER = re.compile(r"(?<=[._])\d+(?=\.[^./]+$)")

_ANY = re.compile(r".+")

OpenScene = Callable[[str], SceneQuery]


@dataclasses.dataclass
class Scan:
    """Dependencies and the diagnostics found while collecting them."""

    assets: list[Dependency] = dataclasses.field(default_factory=list)
    diagnostics: list[Diagnostic] = dataclasses.field(default_factory=list)
    cameras: list[Camera] = dataclasses.field(default_factory=list)  # inside references
    _seen: set[tuple[str, str, str]] = dataclasses.field(default_factory=set)

    def add(self, dep: Dependency, var: str | None = None) -> None:
        name = dep.path.replace("\\", "/").rpartition("/")[2]
        where = (dep.resolved + "/" + name) if dep.pattern and dep.resolved else dep.resolved
        key = (dep.kind, where or dep.path, dep.node if not dep.exists else "")
        if key in self._seen:
            return
        self._seen.add(key)
        self.assets.append(dep)
        self.diagnostics.extend(diagnostics.for_dependency(dep, var))


class Scanner:
    """Walks one scene (and the `.ma` files it references) and fills a Scan."""

    def __init__(self, resolver: Resolver, open_scene: OpenScene) -> None:
        self.resolver = resolver
        self.open_scene = open_scene
        self.scan = Scan()
        self._visited: set[str] = set()
        # Plugs of textures that have a `.tx` / `.tex` beside them.
        self.converted: dict[str, set[str]] = {".tx": set(), ".tex": set()}
        # Referenced camera shape → `renderable` set by a reference edit (the outermost wins).
        self._camera_edits: dict[str, Camera] = {}

    def run(self, scene: SceneQuery) -> Scan:
        self._visited.add(str(Path(scene.scene_path).resolve()))
        self._scene(scene, self.resolver, prefix="", edits={})
        known = {c.shape for c in self.scan.cameras}
        # Cameras known only from edits: inside Alembic or unreadable references.
        self.scan.cameras += [c for s, c in self._camera_edits.items() if s not in known]
        return self.scan

    # -- one scene ---------------------------------------------------------------
    def _scene(
        self, scene: SceneQuery, resolver: Resolver, prefix: str, edits: dict[tuple[str, str], str]
    ) -> None:
        for row in FILE_ATTRIBUTES:
            if row.node_type in HANDLED_TYPES:
                continue  # read by its own handler below
            for node in scene.nodes(row.node_type):
                name = prefix + node
                if (name, row.attribute) in edits:
                    continue
                for path in _paths(scene.get_attr(node, row.key), row):
                    self._add(resolver, row.kind, name, row.attribute, path, row.optional)
        self._file_textures(scene, resolver, prefix, edits)
        self._caches(scene, resolver, prefix)
        self._xgen(scene, resolver, prefix)
        self._ocio(scene, resolver)
        if prefix:
            self._cameras(scene, prefix)
        self._references(scene, resolver, prefix)

    def _cameras(self, scene: SceneQuery, prefix: str) -> None:
        """A referenced file's own cameras (its startup cameras are the main scene's)."""
        for shape in scene.nodes("camera"):
            if shape in STARTUP:
                continue
            name = prefix + shape
            saved = Camera(
                prefix + (scene.parent(shape) or shape),
                name,
                is_on(scene.get_attr(shape, "rnd", True)),
                referenced=True,
            )
            edit = self._camera_edits.get(name)
            self.scan.cameras.append(
                saved if edit is None else dataclasses.replace(saved, renderable=edit.renderable)
            )

    def _add(
        self,
        resolver: Resolver,
        kind: str,
        node: str,
        attribute: str,
        path: str,
        optional: bool = False,
        pattern: bool = False,
        from_edit: bool = False,
    ) -> Dependency:
        expanded = expand_vars(normalise(path))
        dep = Dependency(
            kind, node, attribute, path, optional=optional, from_reference_edit=from_edit
        )
        dep.pattern = pattern or has_pattern(PurePosixPath(expanded).name)
        var = unexpanded(expanded)
        if dep.pattern:
            where, how, files = resolver.find_pattern(expanded)
            if files:
                dep.resolved, dep.found_by, dep.files = str(where), how, files
                dep.exists = True
                dep.size = sum(f.size for f in files)
                dep.mtime = max(f.mtime for f in files)
        else:
            where, how = resolver.find(expanded)
            st = stat(where) if where else None
            if where is not None and st is not None and where.is_dir():
                # A folder (XGen maps, Bifrost caches): every file in it is needed.
                dep.pattern = True
                dep.files = resolver.matching(where, _ANY)
                dep.resolved, dep.found_by, dep.exists = str(where), how, True
                dep.size = sum(f.size for f in dep.files)
                dep.mtime = max((f.mtime for f in dep.files), default=st.st_mtime)
            elif st is not None:
                dep.resolved, dep.found_by, dep.exists = str(where), how, True
                dep.size, dep.mtime = st.st_size, st.st_mtime
        self.scan.add(dep, var)
        if dep.exists and kind == "standin" and not dep.pattern:
            for inner in standins.files_named(Path(dep.found())):
                self._add(
                    resolver, "texture", node, f"{attribute} ({Path(dep.found()).name})", inner
                )
        return dep

    def _file_textures(
        self, scene: SceneQuery, resolver: Resolver, prefix: str, edits: dict[tuple[str, str], str]
    ) -> None:
        for node in scene.nodes("file"):
            name = prefix + node
            written = scene.get_attr(node, "fileTextureName")
            if not written or (name, "fileTextureName") in edits:
                continue
            path, pattern = texture_pattern(
                str(written),
                int(scene.get_attr(node, "uvTilingMode", 0) or 0),
                bool(scene.get_attr(node, "useFrameExtension", False)),
            )
            dep = self._add(resolver, "texture", name, "fileTextureName", path, pattern=pattern)
            dep.path = str(written)
            if dep.exists:
                self._converted_textures(resolver, dep)

    def _converted_textures(self, resolver: Resolver, texture: Dependency) -> None:
        """Renderer-ready copies beside a texture: Arnold `name.tx`, RenderMan `name.ext.tex`."""
        sources = texture.files or [FileEntry(texture.found(), 0, 0)]
        for suffix, derive in ((".tx", _tx_name), (".tex", _tex_name)):
            found = []
            for source in sources:
                sibling = derive(source.path)
                if sibling != source.path and resolver.exists(sibling):
                    st = stat(Path(sibling))
                    if st is not None:
                        found.append(FileEntry(sibling, st.st_size, st.st_mtime))
            if not found:
                continue
            dep = Dependency(
                "converted_texture",
                texture.node,
                texture.attribute,
                derive(texture.path),
                resolved=found[0].path if not texture.pattern else texture.resolved,
                found_by=texture.found_by,
                exists=True,
                pattern=texture.pattern,
                files=found if texture.pattern else [],
                optional=True,
                size=sum(f.size for f in found),
                mtime=max(f.mtime for f in found),
            )
            self.scan.add(dep)
            self.converted[suffix].add(texture.plug)

    def _caches(self, scene: SceneQuery, resolver: Resolver, prefix: str) -> None:
        """Maya particle/geometry caches: `cachePath/cacheName.xml` plus its `.mc`/`.mcx` data."""
        for node in scene.nodes("cacheFile"):
            folder = scene.get_attr(node, "cachePath")
            name = scene.get_attr(node, "cacheName")
            if not folder or not name:
                continue
            xml = self._add(
                resolver,
                "cache",
                prefix + node,
                "cachePath",
                f"{str(folder).rstrip('/')}/{name}.xml",
            )
            if not xml.exists:
                continue
            data = re.compile(re.escape(str(name)) + r"(Frame-?\d+(Tick\d+)?)?\.mcx?\Z")
            files = resolver.matching(Path(xml.found()).parent, data)
            dep = Dependency(
                "cache",
                prefix + node,
                "cacheName",
                f"{folder}/{name}*.mc[x]",
                resolved=str(Path(xml.found()).parent),
                found_by=xml.found_by,
                exists=bool(files),
                pattern=True,
                files=files,
            )
            dep.size = sum(f.size for f in files)
            dep.mtime = max((f.mtime for f in files), default=None)
            self.scan.add(dep)

    def _xgen(self, scene: SceneQuery, resolver: Resolver, prefix: str) -> None:
        project = str(resolver.project) + "/" if resolver.project else None
        for node in scene.nodes("xgmPalette"):
            written = scene.get_attr(node, "xgFileName")
            if not written:
                continue
            dep = self._add(resolver, "xgen", prefix + node, "xgFileName", str(written))
            stem = PurePosixPath(normalise(str(written))).stem
            self._add(resolver, "xgen", prefix + node, "xgFileName", f"{stem}.abc", optional=True)
            if not dep.exists:
                continue
            collection = xgen.read_collection(Path(dep.found()), project)
            for attr, path in collection.paths:
                # Map and point folders exist only once painted or baked.
                optional = path.endswith("/*")
                self._add(resolver, "xgen_data", prefix + node, attr, path, optional=optional)

    def _ocio(self, scene: SceneQuery, resolver: Resolver) -> None:
        for node in scene.nodes("colorManagementGlobals"):
            path = scene.get_attr(node, "configFilePath")
            enabled = scene.get_attr(node, "configFileEnabled", False)
            if path and enabled and "<MAYA_RESOURCES>" not in str(path):
                self._add(resolver, "ocio", node, "configFilePath", str(path))

    # -- references -------------------------------------------------------------
    def _references(self, scene: SceneQuery, resolver: Resolver, prefix: str) -> None:
        for ref in scene.references():
            node = prefix + (ref.node or "")
            kind = "alembic" if (ref.file_type or "").lower() == "alembic" else "reference"
            dep = self._add(resolver, kind, node, "fileNames", ref.path, optional=not ref.loaded)
            if not ref.loaded:
                self.scan.diagnostics.append(diagnostics.unloaded_reference(node, ref.path))
                continue
            edits = self._edits(scene, ref.node, resolver, prefix) if ref.node else {}
            if not dep.exists or kind != "reference":
                continue
            resolved = str(Path(dep.found()).resolve())
            if resolved in self._visited:
                continue
            self._visited.add(resolved)
            opened = self._referenced_scene(scene, ref, dep, node, prefix)
            if opened is not None:
                inner, names = opened
                child = dataclasses.replace(resolver, scene_dir=Path(dep.found()).parent)
                self._scene(inner, child, names, edits)

    def _referenced_scene(
        self, scene: SceneQuery, ref: Reference, dep: Dependency, node: str, prefix: str
    ) -> tuple[SceneQuery, str] | None:
        """The referenced file's scene and the prefix of its node names: the file read from
        disk (`.ma`, names under the reference's namespace), or for an `.mb` the nodes Maya
        loaded for it (in Maya; their names carry the namespace already). None after a
        diagnostic: offline an `.mb` cannot be listed; a file that cannot be read."""
        if dep.found().lower().endswith(".mb") or (ref.file_type or "") == "mayaBinary":
            held = scene.loaded_reference(ref.node) if ref.node else None
            if held is None:
                self.scan.diagnostics.append(diagnostics.binary_reference(node, ref.path))
                return None
            return held, prefix
        try:
            return self.open_scene(dep.found()), (
                f"{prefix}{ref.namespace}:" if ref.namespace else prefix
            )
        except (SceneError, OSError) as exc:
            self.scan.diagnostics.append(
                Diagnostic(
                    diagnostics.MISSING_REFERENCE,
                    ERROR,
                    f"reference {ref.path} cannot be read: {exc}",
                    node,
                    ref.path,
                    "open and re-save the referenced file in Maya",
                )
            )
            return None

    def _edits(
        self, scene: SceneQuery, ref_node: str, resolver: Resolver, prefix: str
    ) -> dict[tuple[str, str], str]:
        """File paths set by a reference node's edits; they win over the referenced file."""
        found: dict[tuple[str, str], str] = {}
        for node, attr, value in scene.reference_edits(ref_node):
            if attr in ("renderable", "rnd"):
                camera = edited_renderable(node, value)
                if camera is not None:
                    shape = prefix + camera.shape
                    self._camera_edits.setdefault(
                        shape,
                        dataclasses.replace(
                            camera, transform=prefix + camera.transform, shape=shape
                        ),
                    )
            row = EDIT_ATTRIBUTES.get(attr)
            if row is None:
                continue
            strings = [t for t in tokenize(value) if isinstance(t, Str)]
            if not strings or not strings[-1]:
                continue
            name = prefix + node.rpartition("|")[2]
            found[(name, attr)] = strings[-1]
            self._add(resolver, row.kind, name, attr, strings[-1], from_edit=True)
        return found


def _tx_name(path: str) -> str:
    stem, dot, _ext = path.rpartition(".")
    return f"{stem}.tx" if dot and "/" not in _ext else f"{path}.tx"


def _tex_name(path: str) -> str:
    return path if path.endswith(".tex") else f"{path}.tex"


def texture_pattern(path: str, tiling: int, frame_extension: bool) -> tuple[str, bool]:
    """A file node's path as a pattern when tiling or a frame extension makes it one.

    >>> texture_pattern("C:/t/wood.1001.exr", 3, False)
    ('C:/t/wood.<UDIM>.exr', True)
    >>> texture_pattern("/seq/fire.0007.png", 0, True)
    ('/seq/fire.<f>.png', True)
    """
    if has_pattern(path):
        return path, True
    if tiling == 3:
        udim = _CONCRETE_UDIM.sub("<UDIM>", path, count=1)
        if udim != path:
            return udim, True
    if frame_extension:
        frame = _FRAME_NUMBER.sub("<f>", path)
        if frame != path:
            return frame, True
    return path, False


def _paths(value: object, row: FileAttr) -> list[str]:
    """The path strings an attribute value holds (lists and `;`-separated for multi rows)."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if row.multi:
        return [p for p in str(value).split(";") if p]
    return [str(value)]
