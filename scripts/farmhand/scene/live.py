"""LiveScene: SceneQuery over the scene open in a running Maya, through `maya.cmds`.

The only scene module that imports Maya (inside the methods, so this file
imports anywhere). Main thread only: every call is a cheap `maya.cmds` query.

It answers as the offline reader does for the same file: the scene's own
nodes (referenced `.ma` files are read by the scanner, as offline; an `.mb`
reference's nodes are taken from Maya, `loaded_reference`), short
attribute names in connection plugs, references depth first with their
nesting, and the header of the saved file. So `analyze_query(LiveScene())`
in Maya gives what `analyze(path)` gives on disk for a scene saved as it is
open. Where Maya knows better than the file, it says so:

* `getAttr` answers with the **visible** layer's value, so the render
  settings read each layer by switching to it (`layer_switcher`: Render
  Setup's `switchToLayerUsingLegacyName`, or `editRenderLayerGlobals
  -currentRenderLayer` for legacy layers, as Zync's and Deadline's submitters
  do) and the artist's visible layer is restored in a `finally`.
* Cameras are `ls -cameras`: referenced ones included, with their reference
  edits applied (a camera inside an `.mb` or Alembic reference counts).
* Nodes of plug-ins that are not loaded are `unknown` nodes that `ls
  -exactType` misses: `diagnostics()` names them and the plug-in
  (`unknownNode -realClassName`, `unknownPlugin -list`).
* `include_all_lights` is the artist's Render Setup preference (optionVar
  `renderSetup_includeAllLights`, default on), which the farm passes on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from farmhand.scene.attributes import is_on, rename_components
from farmhand.scene.cameras import STARTUP, Camera
from farmhand.scene.diagnostics import UNKNOWN_NODES
from farmhand.scene.maya_ascii import (  # the same header lines as offline
    _HEADER_CODESET,
    _HEADER_VERSION,
)
from farmhand.scene.mel_tokens import unescape
from farmhand.scene.model import WARNING, Diagnostic
from farmhand.scene.query import Reference, SceneHeader, SceneQuery

_COPY_NUMBER = re.compile(r"\{(\d+)\}$")
_SET_ATTR_EDIT = re.compile(r'setAttr\s+"?([^\s"]+?)\.([^\s"]+)"?(.*)\Z', re.S)

INCLUDE_ALL_LIGHTS = "renderSetup_includeAllLights"
UNKNOWN_TYPES = ["unknown", "unknownDag", "unknownTransform"]
DEFAULT_LAYER = "defaultRenderLayer"

UNTITLED = "untitled"
"""The file name an unsaved scene gets, under the Maya project, so relative paths resolve."""


class LiveScene:
    """SceneQuery over the current Maya session (build one per analysis, on the main thread)."""

    def __init__(self) -> None:
        from maya import cmds

        self._cmds = cmds
        saved = cmds.file(query=True, sceneName=True)
        self.saved = bool(saved)
        self.scene_path: str = saved or os.path.join(project_root(), UNTITLED)
        self.header: SceneHeader = self._header()
        self._short_names: dict[tuple[str, str], str] = {}
        self._plug_types: dict[str, str] = {}

    # -- SceneQuery -----------------------------------------------------------------------------
    def nodes(self, node_type: str) -> list[str]:
        """The scene's own nodes of exactly this type (not those references bring in)."""
        cmds = self._cmds
        try:
            names = cmds.ls(exactType=node_type) or []
            if not names:
                return []
            referenced = set(cmds.ls(exactType=node_type, referencedNodes=True) or [])
        except RuntimeError:  # a node type Maya does not know (its plug-in is not loaded)
            return []
        return [n for n in names if n not in referenced]

    def node_type(self, node: str) -> str | None:
        """The node's type, or None when there is no such node."""
        if not node or not self._cmds.objExists(node):
            return None
        return self._cmds.nodeType(node)

    def parent(self, node: str) -> str | None:
        """The DAG parent's name, or None."""
        try:
            parents = self._cmds.listRelatives(node, parent=True)
        except (ValueError, RuntimeError):
            return None
        return parents[0] if parents else None

    def get_attr(self, node: str, attr: str, default: Any = None) -> Any:
        """The attribute's value; `default` when the node or attribute is missing or empty."""
        try:
            value = self._cmds.getAttr(f"{node}.{attr}")
        except (ValueError, RuntimeError):
            return default
        return default if value is None else value

    def attr_indices(self, node: str, attr: str) -> list[int]:
        """Indices in use of a multi attribute."""
        try:
            indices = self._cmds.getAttr(f"{node}.{attr}", multiIndices=True)
        except (ValueError, RuntimeError):
            return []
        return [int(i) for i in indices or ()]

    def connections(self, node: str) -> list[tuple[str, str]]:
        """(source, destination) plugs touching the node, with short attribute names."""
        cmds = self._cmds
        try:
            outgoing = cmds.listConnections(
                node, connections=True, plugs=True, source=False, destination=True
            )
            incoming = cmds.listConnections(
                node, connections=True, plugs=True, source=True, destination=False
            )
        except (ValueError, RuntimeError):
            return []
        pairs = []
        outgoing, incoming = outgoing or [], incoming or []
        for own, other in zip(outgoing[::2], outgoing[1::2], strict=True):
            pairs.append((self._short_plug(own), self._short_plug(other)))
        for own, other in zip(incoming[::2], incoming[1::2], strict=True):
            pairs.append((self._short_plug(other), self._short_plug(own)))
        return pairs

    def references(self) -> list[Reference]:
        """Every reference, top-level and nested, depth first (the order a `.ma` lists them)."""
        cmds = self._cmds
        found: list[Reference] = []
        for path in cmds.file(query=True, reference=True) or []:
            self._reference(cmds.referenceQuery(path, referenceNode=True), 1, None, found)
        return found

    def reference_edits(self, ref_node: str) -> list[tuple[str, str, str]]:
        """(node, attribute, value text) of the setAttr edits a reference node stores."""
        try:
            edits = self._cmds.referenceQuery(
                ref_node,
                editStrings=True,
                editCommand="setAttr",
                failedEdits=True,
                successfulEdits=True,
            )
        except RuntimeError:
            return []
        out = []
        for text in edits or ():
            m = _SET_ATTR_EDIT.match(text.strip())
            if m is not None:
                out.append((m.group(1), m.group(2), m.group(3).strip()))
        return out

    def loaded_reference(self, ref_node: str) -> SceneQuery | None:
        """What a loaded reference brought in, as Maya holds it (edits applied): the
        scanner's way into an `.mb` reference, whose file it cannot read."""
        try:
            if not self._cmds.referenceQuery(ref_node, isLoaded=True):
                return None
        except RuntimeError:
            return None
        return _ReferenceView(self, ref_node)

    # -- what Maya knows better than the file ----------------------------------------------
    @contextmanager
    def layer_switcher(self, render_setup: bool) -> Iterator[Callable[[str], None]]:
        """A function that makes a layer (by legacy name) the visible one; on leaving, the
        layer the artist had visible is visible again, whatever happened in between."""
        cmds = self._cmds
        visible = cmds.editRenderLayerGlobals(query=True, currentRenderLayer=True)
        if render_setup:
            from maya.app.renderSetup.model import renderSetup

            switch = renderSetup.instance().switchToLayerUsingLegacyName
        else:

            def switch(name: str) -> None:
                cmds.editRenderLayerGlobals(currentRenderLayer=name)

        try:
            yield switch
        finally:
            if cmds.editRenderLayerGlobals(query=True, currentRenderLayer=True) != visible:
                switch(visible)

    def cameras(self) -> list[Camera]:
        """Every camera Maya has (`ls -cameras`), referenced ones with their edits applied;
        the startup cameras first, as offline."""
        cmds = self._cmds
        found = []
        for shape in cmds.ls(cameras=True) or []:
            transform = self.parent(shape) or STARTUP.get(shape) or shape
            try:
                referenced = bool(cmds.referenceQuery(shape, isNodeReferenced=True))
            except RuntimeError:
                referenced = False
            renderable = is_on(self.get_attr(shape, "rnd", True))
            found.append(Camera(transform, shape, renderable, referenced))
        order = list(STARTUP)
        return sorted(found, key=lambda c: order.index(c.shape) if c.shape in order else 4)

    def diagnostics(self) -> list[Diagnostic]:
        """One warning per plug-in that is not loaded, naming its unknown nodes."""
        cmds = self._cmds
        by_plugin: dict[str, list[str]] = {}
        missing = cmds.unknownPlugin(query=True, list=True) or []
        for node in cmds.ls(type=UNKNOWN_TYPES) or []:
            try:
                real = cmds.unknownNode(node, query=True, realClassName=True)
                plugin = cmds.unknownNode(node, query=True, plugin=True)
            except RuntimeError:
                real, plugin = "", ""
            key = plugin or (missing[0] if len(missing) == 1 else "an unloaded plug-in")
            by_plugin.setdefault(key, []).append(f"{node} ({real})" if real else node)
        return [
            Diagnostic(
                UNKNOWN_NODES,
                WARNING,
                f"{len(nodes)} node(s) of {plugin} are unknown to this Maya (the plug-in is not "
                f"loaded), so their files are not collected: {', '.join(nodes[:10])}",
                nodes[0].partition(" ")[0],
                None,
                f"load {plugin} in Maya (Windows > Settings/Preferences > Plug-in Manager) "
                "and analyse again",
            )
            for plugin, nodes in by_plugin.items()
        ]

    @property
    def include_all_lights(self) -> bool:
        """The artist's "include all lights in each render layer" (default on)."""
        cmds = self._cmds
        if not cmds.optionVar(exists=INCLUDE_ALL_LIGHTS):
            return True
        return bool(cmds.optionVar(query=INCLUDE_ALL_LIGHTS))

    # -- helpers ----------------------------------------------------------------------------------
    def _reference(self, node: str, depth: int, parent: str | None, found: list[Reference]) -> None:
        query = self._cmds.referenceQuery
        path = query(node, filename=True, unresolvedName=True, withoutCopyNumber=True)
        resolved = query(node, filename=True)
        copy = _COPY_NUMBER.search(resolved or "")
        try:
            types = self._cmds.file(resolved, query=True, type=True)
        except RuntimeError:
            types = None
        found.append(
            Reference(
                path=path,
                node=node,
                namespace=query(node, namespace=True, shortName=True) or None,
                file_type=types[0] if types else None,
                depth=depth,
                loaded=bool(query(node, isLoaded=True)),
                copy_number=int(copy.group(1)) if copy else None,
                parent=parent,
            )
        )
        for child in query(node, child=True, referenceNode=True) or ():
            self._reference(child, depth + 1, path, found)

    def _short_plug(self, plug: str) -> str:
        """`layer.adjustments[0].plug` → `layer.adjs[0].plg`: Maya reports long names."""
        node, _, attr = plug.partition(".")
        node = node.lstrip(":")
        return f"{node}.{rename_components(attr, lambda name: self._short_name(node, name))}"

    def _short_name(self, node: str, attr: str) -> str:
        if node not in self._plug_types:
            self._plug_types[node] = self.node_type(node) or node
        key = (self._plug_types[node], attr)
        if key not in self._short_names:
            try:
                self._short_names[key] = self._cmds.attributeQuery(attr, node=node, shortName=True)
            except (ValueError, RuntimeError):
                self._short_names[key] = attr
        return self._short_names[key]

    def _header(self) -> SceneHeader:
        cmds = self._cmds
        version, codeset = saved_header(self.scene_path) if self.saved else ("", "")
        header = SceneHeader(
            maya_version=version or cmds.about(version=True),
            codeset=codeset or cmds.about(codeset=True),
            time_unit=cmds.currentUnit(query=True, time=True, fullName=True),
            linear_unit=cmds.currentUnit(query=True, linear=True, fullName=True),
            angle_unit=cmds.currentUnit(query=True, angle=True, fullName=True),
        )
        in_use = cmds.pluginInfo(query=True, pluginsInUse=True) or []
        header.requires = dict(zip(in_use[::2], in_use[1::2], strict=True))
        for name in cmds.unknownPlugin(query=True, list=True) or []:
            header.requires.setdefault(name, cmds.unknownPlugin(name, query=True, version=True))
        info = cmds.fileInfo(query=True) or []
        pairs = zip(info[::2], info[1::2], strict=True)
        header.file_info = {key: file_info_value(value) for key, value in pairs}
        return header


def project_root() -> str:
    """The Maya project folder of this session (`workspace -q -rootDirectory`)."""
    from maya import cmds

    return cmds.workspace(query=True, rootDirectory=True).rstrip("/\\") or os.getcwd()


def file_info_value(raw: str) -> str:
    r"""A fileInfo value as it was set: Maya hands values back MEL-escaped (`\"`, `\\`).

    >>> file_info_value(r'{\"a\": \"\\u00e9\"}')
    '{"a": "\\u00e9"}'
    """
    return unescape(raw)


def saved_header(path: str) -> tuple[str, str]:
    """(Maya version, codeset) from a saved `.ma` file's first lines; ("", "") otherwise.

    The file on disk is what the farm renders, so its header is the one that counts.
    """
    try:
        with open(Path(path), "rb") as f:
            head = f.read(4096)
    except OSError:
        return "", ""
    version = _HEADER_VERSION.search(head)
    codeset = _HEADER_CODESET.search(head)
    return (
        version.group(1).decode("ascii", "replace") if version else "",
        codeset.group(1).decode("ascii", "replace") if codeset else "",
    )


class _ReferenceView:
    """The nodes one loaded reference brought into the live scene (not its nested
    references', which Maya lists under their own reference nodes)."""

    def __init__(self, live: LiveScene, ref_node: str) -> None:
        self._live = live
        self._ref_node = ref_node
        self.header = live.header
        try:
            self.scene_path = live._cmds.referenceQuery(ref_node, filename=True)
        except RuntimeError:
            self.scene_path = live.scene_path

    def nodes(self, node_type: str) -> list[str]:
        """This reference's nodes of exactly this type."""
        cmds = self._live._cmds
        try:
            names = cmds.ls(exactType=node_type, referencedNodes=True) or []
        except RuntimeError:  # a node type Maya does not know
            return []
        return [n for n in names if cmds.referenceQuery(n, referenceNode=True) == self._ref_node]

    def node_type(self, node: str) -> str | None:
        return self._live.node_type(node)

    def parent(self, node: str) -> str | None:
        return self._live.parent(node)

    def get_attr(self, node: str, attr: str, default: Any = None) -> Any:
        return self._live.get_attr(node, attr, default)

    def attr_indices(self, node: str, attr: str) -> list[int]:
        return self._live.attr_indices(node, attr)

    def connections(self, node: str) -> list[tuple[str, str]]:
        return self._live.connections(node)

    def references(self) -> list[Reference]:
        return []  # nested references are in the scene's own list (`LiveScene.references`)

    def reference_edits(self, ref_node: str) -> list[tuple[str, str, str]]:
        return []  # applied already: the values are Maya's

    def loaded_reference(self, ref_node: str) -> SceneQuery | None:
        return self._live.loaded_reference(ref_node)
