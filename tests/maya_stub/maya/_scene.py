"""The stub session's scene: one `.ma` file read by Farmhand's parser, as Maya would hold it.

Everything the file writes is decoded (no `wants` filter). Loaded references
bring their nodes in under their namespace (`a:b:node`), marked as
referenced, the way `ls` shows them in Maya, with their values: the
referenced file's, with the reference node's `setAttr` edits applied (as Maya
applies them on load). An Alembic reference brings in the cameras its edits
name (the stub's stand-in for what AbcImport creates). An attribute the file
does not set is unknown to the stub: `getAttr` raises for it as Maya does for
a missing attribute (Maya itself would answer the attribute's default).

Values depend on the visible render layer (`_layers.LayerModel`). The startup
cameras persp, top, front and side exist whether or not the file writes them
(persp renderable). With `missing_plugins`, the nodes of the types a missing
plug-in's `requires -nodeType` line names are `unknown` nodes whose real class
`unknownNode -realClassName` gives, and `unknownPlugin -q -list` names the
plug-ins, as when Maya opens a scene whose plug-ins are not installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.scene.attributes import canonical
from farmhand.scene.errors import SceneError
from farmhand.scene.maya_ascii import DEFAULT_NODE_TYPES, MayaAsciiScene, read_scene
from farmhand.scene.query import SceneHeader

from ._layers import LayerModel

MISSING = object()
"""What `StubScene.get` answers for an attribute the file does not set."""

# Long names Maya reports in `listConnections -p` for the plugs the render
# settings follow, by (node type, short name); None matches any node type.
# Other attributes are reported as the file writes them.
LONG_NAMES: dict[tuple[str | None, str], str] = {
    (None, "msg"): "message",
    (None, "lit"): "listItems",
    (None, "pls"): "parentList",
    (None, "sel"): "selector",
    ("renderLayerManager", "rlmi"): "renderLayerId",
    ("renderLayer", "rlid"): "identification",
    ("renderLayer", "adjs"): "adjustments",
    ("renderLayer", "plg"): "plug",
    ("renderLayer", "val"): "value",
    ("renderSetupLayer", "lrl"): "legacyRenderLayer",
    ("displayLayerManager", "dli"): "displayLayerId",
    ("displayLayer", "id"): "identification",
}

# Startup nodes a referenced file does not bring in (Maya shares its own).
_SHARED = set(DEFAULT_NODE_TYPES) | {"persp", "top", "front", "side"}
STARTUP_CAMERAS = {"perspShape": "persp", "topShape": "top", "frontShape": "front",
                   "sideShape": "side"}  # fmt: skip
_REQUIRES = re.compile(r"^requires\s+(.*?);\s*$", re.M)
_WORD = re.compile(r'"([^"]*)"|(\S+)')
_COMPONENT = re.compile(r"([^\[]+)(.*)")


@dataclass(eq=False)
class StubReference:
    """A reference as the session holds it: node, path as written, tree position."""

    node: str
    path: str  # as written, without the copy number
    copy_number: int | None
    namespace: str | None
    file_type: str | None
    loaded: bool
    parent: StubReference | None = None
    children: list[StubReference] = field(default_factory=list)
    located: Path | None = None  # where the stub found the file, if it did

    @property
    def _copy(self) -> str:
        return f"{{{self.copy_number}}}" if self.copy_number else ""

    @property
    def unresolved(self) -> str:
        """The path as written, with its copy number (`referenceQuery -f -un`)."""
        return self.path + self._copy

    @property
    def resolved(self) -> str:
        """Where the file was found (or the path as written), with its copy number."""
        return (self.located.as_posix() if self.located else self.path) + self._copy

    @property
    def full_namespace(self) -> str:
        """`a:b` for a reference `b` nested in `a`."""
        chain = []
        ref: StubReference | None = self
        while ref is not None:
            if ref.namespace:
                chain.append(ref.namespace)
            ref = ref.parent
        return ":".join(reversed(chain))


class StubScene:
    """The open scene: the file's nodes, attributes and connections, plus referenced nodes."""

    def __init__(
        self,
        path: Path | None,
        project: Path | None = None,
        missing_plugins: frozenset[str] = frozenset(),
    ) -> None:
        self.path = path
        self.file = read_scene(str(path)) if path else MayaAsciiScene("")
        self.layers = LayerModel(self.file)
        self.overrides: dict[tuple[str, str], Any] = {}
        self._referenced: dict[str, tuple[str, str | None, StubReference]] = {}
        self._referenced_values: dict[str, dict[str, Any]] = {}
        self._referenced_files: dict[str, tuple[MayaAsciiScene, str]] = {}
        self.missing_plugins = self._missing(path, missing_plugins)
        bases = [p for p in (path.parent if path else None, project) if p is not None]
        self.references = self._tree(bases)
        for ref in self.all_references():
            if ref.loaded and ref.located is not None:
                self._bring_in(ref)

    @property
    def header(self) -> SceneHeader:
        """What the file says about itself (version, codeset, units, requires, fileInfo)."""
        return self.file.header

    # -- nodes ------------------------------------------------------------------------------
    def name_of(self, name: str) -> str | None:
        """The node's name as `ls` gives it, or None when there is no such node."""
        if name in self._referenced:
            return name
        leaf = name.rpartition("|")[2].lstrip(":")
        if self.file.node_type(name) is not None:
            return name if "|" not in name else leaf
        if leaf in self._referenced:
            return leaf
        if self.file.node_type(leaf) is not None:
            return leaf
        startup = set(STARTUP_CAMERAS) | set(STARTUP_CAMERAS.values())
        return leaf if leaf in startup else None

    def real_type(self, name: str) -> str | None:
        """A node's type as its plug-in defines it (an unknown node's real class), or None."""
        found = self.name_of(name)
        if found is None:
            return None
        if found in self._referenced:
            return self._referenced[found][0]
        kind = self.file.node_type(found)
        if kind is None:
            return "camera" if found in STARTUP_CAMERAS else "transform"
        return kind

    def node_type(self, name: str) -> str | None:
        """A node's type as `nodeType` answers: `unknown` for a missing plug-in's node."""
        kind = self.real_type(name)
        return "unknown" if kind in self.missing_types() else kind

    def missing_types(self) -> dict[str, str]:
        """Node type → the missing plug-in that defines it."""
        return {t: plugin for plugin, types in self.missing_plugins.items() for t in types}

    def nodes_of_type(self, node_type: str) -> list[str]:
        """Nodes of exactly this type: the file's in creation order, then referenced ones
        (the startup cameras first among cameras)."""
        if node_type == "unknown":
            missing = self.missing_types()
            return [n for t in missing for n in self.file.nodes(t)]
        if node_type in self.missing_types():
            return []
        own = self.file.nodes(node_type)
        if node_type in ("camera", "transform"):
            pairs = STARTUP_CAMERAS.items() if node_type == "camera" else (
                (t, t) for t in STARTUP_CAMERAS.values())  # fmt: skip
            own = [s for s, t in pairs if s not in own and t not in own and
                   self.file.node_type(s) is None] + own  # fmt: skip
        return own + [n for n, (t, _, _) in self._referenced.items() if t == node_type]

    def is_referenced(self, name: str) -> bool:
        """True for a node a reference brought in."""
        return self.name_of(name) in self._referenced

    def reference_of(self, name: str) -> StubReference | None:
        """The reference a referenced node came from."""
        found = self.name_of(name)
        entry = self._referenced.get(found) if found else None
        return entry[2] if entry else None

    def parent(self, name: str) -> str | None:
        """The DAG parent's name, or None."""
        found = self.name_of(name)
        if found in self._referenced:
            return self._referenced[found][1]
        if found in STARTUP_CAMERAS and self.file.node_type(found) is None:
            return STARTUP_CAMERAS[found]
        return self.file.parent(found) if found else None

    # -- attributes ---------------------------------------------------------------------------
    def get(self, node: str, attr: str) -> Any:
        """The attribute's value, or MISSING when the file does not set it."""
        found = self.name_of(node)
        if found is None:
            return MISSING
        key = (found, canonical(attr))
        if key in self.overrides:
            return self.overrides[key]
        if found in self._referenced:
            edited = self._referenced_values.get(found, {})
            if key[1] in edited:
                return edited[key[1]]
            inner, local = self._referenced_files.get(found, (None, ""))
            return inner.get_attr(local, attr, MISSING) if inner is not None else MISSING
        stored = self.file.get_attr(found, attr, MISSING)
        if stored is MISSING and found in STARTUP_CAMERAS and self.file.node_type(found) is None:
            stored = {"rnd": found == "perspShape"}.get(key[1], MISSING)
        return self.layers.value(found, attr, stored, MISSING)

    def set(self, node: str, attr: str, value: Any) -> None:
        """Set an attribute for the rest of the session."""
        found = self.name_of(node)
        if found is None:
            raise ValueError(f"No object matches name: {node}.{attr}")
        self.overrides[(found, canonical(attr))] = value

    def indices(self, node: str, attr: str) -> list[int]:
        """Indices in use of a multi attribute."""
        found = self.name_of(node)
        return self.file.attr_indices(found, attr) if found else []

    def connections(self, node: str) -> list[tuple[str, str]]:
        """(source, destination) plugs touching a node, node parts as `ls` names them."""
        pairs = []
        for src, dst in self.file.connections(node):
            pairs.append((self._plug_name(src), self._plug_name(dst)))
        return pairs

    def _plug_name(self, plug: str) -> str:
        node, _, attr = plug.partition(".")
        return f"{self.name_of(node) or node.lstrip(':')}.{attr}"

    def long_plug(self, plug: str) -> str:
        """A plug with the long attribute names Maya reports (where the stub knows them)."""
        node, _, attr = plug.partition(".")
        node_type = self.node_type(node)
        parts = []
        for piece in attr.split("."):
            base, index = _COMPONENT.fullmatch(piece).groups()
            parts.append(long_name(node_type, base) + index)
        return f"{node}.{'.'.join(parts)}"

    # -- references ------------------------------------------------------------------------------
    def all_references(self) -> list[StubReference]:
        """Every reference, depth first."""
        out: list[StubReference] = []
        todo = list(reversed(self.references))
        while todo:
            ref = todo.pop()
            out.append(ref)
            todo.extend(reversed(ref.children))
        return out

    def find_reference(self, target: str) -> StubReference | None:
        """A reference by node name or by file (resolved or as written, with copy number)."""
        for ref in self.all_references():
            if target in (ref.node, ref.resolved, ref.unresolved):
                return ref
        return None

    def edits(self, ref: StubReference) -> list[tuple[str, str, str]]:
        """(node, attribute, value text) of the setAttr edits the reference node stores."""
        return self.file.reference_edits(ref.node)

    def _tree(self, bases: list[Path]) -> list[StubReference]:
        top: list[StubReference] = []
        stack: list[StubReference] = []
        loads: dict[str, int] = {}
        for info in self.file.references():
            # Maya numbers the second and later loads of one file {1}, {2}, … in memory.
            copy = info.copy_number
            seen = loads.get(info.path, 0)
            loads[info.path] = seen + 1
            if copy is None and seen:
                copy = seen
            ref = StubReference(
                node=info.node or f"{info.namespace or 'ref'}RN",
                path=info.path,
                copy_number=copy,
                namespace=info.namespace,
                file_type=info.file_type,
                loaded=info.loaded,
            )
            del stack[info.depth - 1 :]
            if stack:
                ref.parent = stack[-1]
                stack[-1].children.append(ref)
                where = [stack[-1].located.parent] if stack[-1].located else []
                ref.located = locate(ref.path, where + bases)
            else:
                top.append(ref)
                ref.located = locate(ref.path, bases)
            stack.append(ref)
        return top

    def _bring_in(self, ref: StubReference) -> None:
        if (ref.file_type or "").lower() == "alembic":
            self._alembic_cameras(ref)
            return
        try:
            inner = read_scene(str(ref.located))
        except (SceneError, OSError):
            return  # a binary or unreadable file: its nodes stay unknown to the stub
        prefix = ref.full_namespace + ":" if ref.full_namespace else ""
        for node_type in _types(inner):
            for name in inner.nodes(node_type):
                if name in _SHARED or "|" in name:
                    continue
                parent = inner.parent(name)
                self._referenced[prefix + name] = (
                    node_type,
                    prefix + parent if parent and parent not in _SHARED else None,
                    ref,
                )
                self._referenced_files[prefix + name] = (inner, name)
        self._apply_edits(ref)

    def _apply_edits(self, ref: StubReference) -> None:
        """The reference node's setAttr edits, as Maya applies them when it loads the file."""
        for node_path, attr, text in self.file.reference_edits(ref.node):
            leaf = node_path.rpartition("|")[2].lstrip(":")
            if leaf in self._referenced:
                self._referenced_values.setdefault(leaf, {})[canonical(attr)] = _edit_value(text)

    def _alembic_cameras(self, ref: StubReference) -> None:
        for node_path, attr, _ in self.file.reference_edits(ref.node):
            parts = [p for p in node_path.split("|") if p]
            if len(parts) >= 2 and canonical(attr) == "rnd":
                self._referenced[parts[-2]] = ("transform", None, ref)
                self._referenced[parts[-1]] = ("camera", parts[-2], ref)
        self._apply_edits(ref)

    def _missing(self, path: Path | None, plugins: frozenset) -> dict[str, list[str]]:
        """Missing plug-in → the node types its `requires` line names."""
        if not plugins or path is None:
            return {}
        found: dict[str, list[str]] = {}
        for match in _REQUIRES.finditer(path.read_text(encoding="utf-8", errors="replace")):
            words = [a or b for a, b in _WORD.findall(match[1])]
            types = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "-nodeType"]
            plain = [
                w for i, w in enumerate(words)
                if not w.startswith("-") and (i == 0 or not words[i - 1].startswith("-"))
            ]  # fmt: skip
            if plain and plain[0] in plugins:
                found[plain[0]] = types
        return found


def _edit_value(text: str) -> Any:
    """A setAttr edit's value text as getAttr answers it (one number or word)."""
    words = text.split()
    if len(words) != 1:
        return text.strip()
    word = words[0].strip('"')
    if word in ("yes", "true", "on"):
        return True
    if word in ("no", "false", "off"):
        return False
    try:
        number = float(word)
    except ValueError:
        return word
    return int(number) if number.is_integer() and "." not in word else number


def long_name(node_type: str | None, short: str) -> str:
    """The long name the stub reports for a short attribute name (itself when unknown)."""
    return LONG_NAMES.get((node_type, short)) or LONG_NAMES.get((None, short)) or short


def short_name(node_type: str | None, name: str) -> str:
    """The short name of an attribute given by long or short name (itself when unknown)."""
    for (owner, short), long in LONG_NAMES.items():
        if long == name and owner in (None, node_type):
            return short
    return name


def locate(written: str, bases: list[Path]) -> Path | None:
    """Where the stub finds a referenced file: as written, under each base, or by name."""
    path = written.replace("\\", "/")
    as_written = Path(path)
    if as_written.is_absolute() and as_written.is_file():
        return as_written
    for base in bases:
        candidate = base / path.lstrip("/")
        if candidate.is_file():
            return candidate
    for base in bases:
        candidate = base / as_written.name
        if candidate.is_file():
            return candidate
    return None


def _types(scene: MayaAsciiScene) -> list[str]:
    # The parser keeps names by type; a referenced scene is walked type by type.
    return list(scene._by_type)
