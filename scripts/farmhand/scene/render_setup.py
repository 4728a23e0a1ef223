"""Render Setup layers, read from the nodes Maya saves, reduced to each layer's overrides.

Maya's Render Setup (`maya.app.renderSetup.model`) keeps, per layer, an
ordered list of collections, each an ordered list of overrides and child
collections. The rules followed here, each from Maya's own Render Setup
Python modules:

* **Order** (`childNode.py`, `nodeList.py`): a parent's list starts at the item
  whose `.msg` feeds the parent's `.cl` (list head) and goes on through each
  item's `.nxt` → next item's `.prv`. Overrides apply in that order, so a later
  absolute override wins and a relative one scales what is below it.
* **Enabled** (`enabled.py`): an override or collection is enabled when its own
  `selfEnabled` (`.sen`, default on) is on and its parent collection is
  enabled.
* **Absolute** overrides (`absOverride`, `absUniqueOverride`) set `.atv`;
  **relative** ones (`relOverride`, `relUniqueOverride`) set
  `value × .mul + .ofs` on the value below them (`override.py`). An unwritten
  `.atv`/`.mul`/`.ofs` takes the `addAttr -dv` default the file gives it, 0
  when it gives none (Maya writes no value that equals the default).
* **Targets**: a unique override names its node (`.tgName`); any other
  override applies to what its collection's selector picks (a render settings
  collection picks the render globals).
* **Master values** (`applyOverride.py`): Maya applies the *visible* layer's
  overrides to the scene through `apply…Override` nodes whose `.o` feeds the
  overridden plug, so the file holds the visible layer's value there; the
  value without overrides is the first apply node's `.ori` (its "original").

Only Render Setup layers are handled here; legacy layers are in
`legacy_layers`. See docs/analysis.md, "Render layers".
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from farmhand.scene.attributes import canonical
from farmhand.scene.query import SceneQuery

ABSOLUTE_TYPES = ("absOverride", "absUniqueOverride")
RELATIVE_TYPES = ("relOverride", "relUniqueOverride")
OVERRIDE_TYPES = ABSOLUTE_TYPES + RELATIVE_TYPES
COLLECTION_TYPES = (
    "collection", "renderSettingsCollection", "aovCollection", "lightsCollection",
    "aovChildCollection", "lightsChildCollection",
)  # fmt: skip
# The apply nodes Maya creates for the visible layer (`applyOverride.py`, one per value type).
APPLY_TYPES = tuple(
    f"apply{kind}{value}Override"
    for kind in ("Abs", "Rel")
    for value in ("", "Bool", "Enum", "Float", "Int", "2Floats", "3Floats", "String")
)
# What a render settings collection's overrides can reach (`renderSettingsCollection.py`).
SETTINGS_TYPES = ("renderGlobals", "resolution", "aiOptions", "aiAOVDriver", "aiAOVFilter")
RENDER_GLOBALS = "defaultRenderGlobals"


@dataclass(frozen=True, slots=True)
class Override:
    """One enabled value override of a layer, in application order."""

    node: str
    attr: str  # canonical (short) attribute name
    relative: bool
    value: Any = None  # absolute: the value set
    multiply: float = 1.0  # relative: value × multiply + offset
    offset: float = 0.0

    def apply(self, below: Any) -> Any:
        """The value with this override applied on top of `below`."""
        if not self.relative:
            return self.value
        if isinstance(below, bool) or not isinstance(below, int | float):
            return below  # a relative override only scales numbers
        result = below * self.multiply + self.offset
        return int(result) if isinstance(below, int) and result == int(result) else result


def layers(scene: SceneQuery) -> dict[str, str]:
    """Legacy `rs_X` layer → Render Setup layer `X`, for every Render Setup layer."""
    pairs = {}
    for layer in scene.nodes("renderSetupLayer"):
        for src, dst in scene.connections(layer):
            if dst == f"{layer}.lrl" and src.endswith(".msg"):
                pairs[src.rpartition(".")[0]] = layer
    return pairs


def overrides(scene: SceneQuery, layer: str) -> list[Override]:
    """The enabled value overrides of a Render Setup layer, in the order Maya applies them."""
    found: list[Override] = []
    for collection in ordered_children(scene, layer):
        if scene.node_type(collection) in COLLECTION_TYPES:
            found += _collection_overrides(scene, collection, _targets(scene, collection))
    return found


def _collection_overrides(scene: SceneQuery, collection: str, targets: list[str]) -> list[Override]:
    if not _self_enabled(scene, collection):
        return []  # a disabled collection disables everything under it
    found: list[Override] = []
    for item in ordered_children(scene, collection):
        kind = scene.node_type(item)
        if kind in COLLECTION_TYPES:
            found += _collection_overrides(scene, item, _targets(scene, item) or targets)
        elif kind in OVERRIDE_TYPES and _self_enabled(scene, item):
            found += _override(scene, item, kind, targets)
    return found


def _override(scene: SceneQuery, node: str, kind: str, targets: list[str]) -> list[Override]:
    attr = scene.get_attr(node, "atr")
    if not attr:
        return []
    named = scene.get_attr(node, "tgName")
    nodes = [str(named)] if named else targets
    relative = kind in RELATIVE_TYPES
    if relative:
        multiply = _number(scene.get_attr(node, "mul", 0))
        offset = _number(scene.get_attr(node, "ofs", 0))
        return [Override(n, canonical(str(attr)), True, None, multiply, offset) for n in nodes]
    value = scene.get_attr(node, "atv", 0)
    return [Override(n, canonical(str(attr)), False, value) for n in nodes]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _self_enabled(scene: SceneQuery, node: str) -> bool:
    return scene.get_attr(node, "sen", True) is not False


def ordered_children(scene: SceneQuery, parent: str) -> list[str]:
    """Items listed under `parent` (`parent.lit` → `item.pls`), head first along `.nxt`."""
    children = [
        dst.rpartition(".")[0]
        for src, dst in scene.connections(parent)
        if src == f"{parent}.lit" and dst.endswith(".pls")
    ]
    head = next(
        (
            src.rpartition(".")[0]
            for src, dst in scene.connections(parent)
            if dst == f"{parent}.cl" and src.endswith(".msg")
        ),
        None,
    )
    listed = set(children)
    ordered: dict[str, None] = {}  # insertion-ordered set: a long list stays linear
    item = head
    while item is not None and item in listed and item not in ordered:
        ordered[item] = None
        item = _next(scene, item)
    return list(ordered) + [c for c in children if c not in ordered]


def _next(scene: SceneQuery, item: str) -> str | None:
    for src, dst in scene.connections(item):
        if src == f"{item}.nxt" and dst.endswith(".prv"):
            return dst.rpartition(".")[0]
    return None


def _targets(scene: SceneQuery, collection: str) -> list[str]:
    """Nodes a collection's selector picks (a render settings collection: the globals)."""
    if scene.node_type(collection) == "renderSettingsCollection":
        return [n for t in SETTINGS_TYPES for n in scene.nodes(t)] + [RENDER_GLOBALS]
    selector = next(
        (
            src.rpartition(".")[0]
            for src, dst in scene.connections(collection)
            if dst == f"{collection}.sel"
        ),
        None,
    )
    if selector is None:
        return []
    names = [n.rpartition("|")[2] for n in str(scene.get_attr(selector, "ssl") or "").split("\n")]
    names = [n for n in names if n]
    pattern = scene.get_attr(selector, "pat")
    if pattern:
        patterns = [p.strip() for p in str(pattern).split(";") if p.strip()]
        matches = re.compile("|".join(fnmatch.translate(p) for p in patterns)).match
        # Only cameras and camera transforms are ever read through a layer's overrides, so
        # the patterns are tried on those alone: trying every transform of the scene for
        # every collection made the analysis grow with the square of a node-dense scene.
        names += [n for n in _camera_nodes(scene) if matches(n)]
    # A transform selected stands for its shapes (a camera's attributes are on its shape).
    chosen = set(names)
    shapes = [c for c in scene.nodes("camera") if scene.parent(c) in chosen]
    return names + shapes


def _camera_nodes(scene: SceneQuery) -> list[str]:
    """Camera shapes, then their transforms (each once), in the scene's order."""
    shapes = scene.nodes("camera")
    transforms = dict.fromkeys(p for p in (scene.parent(c) for c in shapes) if p)
    return shapes + list(transforms)


def master_values(scene: SceneQuery) -> dict[tuple[str, str], Any]:
    """`(node, attr)` → the value without any layer's overrides, for plugs the visible layer
    overrides (read from the first apply node's `.ori`; absent when Maya did not write it)."""
    values: dict[tuple[str, str], Any] = {}
    for kind in APPLY_TYPES:
        for apply in scene.nodes(kind):
            for src, dst in scene.connections(apply):
                if src != f"{apply}.o" or scene.node_type(dst.partition(".")[0]) in APPLY_TYPES:
                    continue
                node, _, attr = dst.partition(".")
                first = _first_apply(scene, apply)
                values[(node.rpartition("|")[2], canonical(attr))] = scene.get_attr(first, "ori")
    return values


def _first_apply(scene: SceneQuery, apply: str) -> str:
    """Walk an apply chain back (`previous.o` → `this.ori`) to its first node."""
    seen = {apply}
    for _ in range(64):  # a chain is as long as the layers overriding one plug
        previous = next(
            (
                src.partition(".")[0]
                for src, dst in scene.connections(apply)
                if dst == f"{apply}.ori"
                and src.endswith(".o")
                and scene.node_type(src.partition(".")[0]) in APPLY_TYPES
            ),
            None,
        )
        if previous is None or previous in seen:
            return apply
        seen.add(previous)
        apply = previous
    return apply
