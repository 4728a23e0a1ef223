"""Legacy render layers (`renderLayer` nodes and their adjustments) as Maya resolves them.

A legacy layer overrides a plug with an adjustment: `adjs[i].val` holds the
value and a connection from the plug into `adjs[i].plg` names it. Maya keeps
the *current* layer's values in the nodes themselves, so which layer was
current when the file was saved decides what the node values mean (Maya's
`renderLayer` node and `editRenderLayerAdjustment` documentation; Render
Setup's `legacyRenderLayer.py` reads them the same way):

* the current layer is the one whose `.rlid` is fed from the
  `renderLayerManager.rlmi[i]` whose value is the manager's `.crl`
  (`currentRenderLayer`, default 0); the index `i` stands in when the file
  writes no values;
* the current layer uses the node values;
* any other layer uses its own adjustment, else the master value that
  `defaultRenderLayer` keeps as an adjustment while another layer is
  current, else the node value.
"""

from __future__ import annotations

from typing import Any

from farmhand.scene.attributes import canonical
from farmhand.scene.query import SceneQuery

DEFAULT_LAYER = "defaultRenderLayer"
MANAGER = "renderLayerManager"

Adjustments = dict[tuple[str, str], Any]


def managed_layers(scene: SceneQuery) -> list[str]:
    """Layers the main renderLayerManager lists, in display order; the default layer first."""
    managed = [layer for _, layer in _manager_slots(scene)]
    names = managed or [n for n in scene.nodes("renderLayer") if ":" not in n]
    if DEFAULT_LAYER not in names:
        names.insert(0, DEFAULT_LAYER)
    names = [n for n in names if scene.node_type(n) in ("renderLayer", None)]
    order = {
        n: (n != DEFAULT_LAYER, scene.get_attr(n, "do", 0) or 0, i) for i, n in enumerate(names)
    }
    return sorted(dict.fromkeys(names), key=order.__getitem__)


def _manager_slots(scene: SceneQuery) -> list[tuple[int, str]]:
    """`(index i, layer)` for each `renderLayerManager.rlmi[i]` → `layer.rlid` connection."""
    slots = []
    for src, dst in scene.connections(MANAGER):
        if src.startswith(f"{MANAGER}.rlmi[") and dst.endswith(".rlid"):
            index = src[len(MANAGER) + 6 : src.index("]")]
            if index.isdigit():
                slots.append((int(index), dst.rpartition(".")[0]))
    return slots


def current_layer(scene: SceneQuery) -> str:
    """The layer that was current when the file was saved (see the module doc)."""
    wanted = scene.get_attr(MANAGER, "crl", 0)
    slots = _manager_slots(scene)
    for index, layer in slots:
        if scene.get_attr(MANAGER, f"rlmi[{index}]", index) == wanted:
            return layer
    return next((layer for index, layer in slots if index == wanted), DEFAULT_LAYER)


def adjustments(scene: SceneQuery, layer: str) -> Adjustments:
    """`(node, attr)` → value of each adjustment a layer holds."""
    found: Adjustments = {}
    sources: dict[str, str] = {}
    for src, dst in scene.connections(layer):
        if dst.startswith(f"{layer}.adjs[") and dst.endswith("].plg"):
            sources[dst[len(layer) + 1 : -4]] = src
    for index in scene.attr_indices(layer, "adjs"):
        key = f"adjs[{index}]"
        source = sources.get(key)
        if source is None:
            continue
        node, _, attr = source.partition(".")
        value = scene.get_attr(layer, f"{key}.val")
        if value is not None:
            found[(node.rpartition("|")[2], canonical(attr))] = value
    return found


def layer_values(scene: SceneQuery, layer: str, current: str) -> Adjustments:
    """What differs from the node values in `layer`: nothing for the current layer; else the
    layer's own adjustments over the master values `defaultRenderLayer` keeps."""
    if layer == current:
        return {}
    values = adjustments(scene, DEFAULT_LAYER) if current != DEFAULT_LAYER else {}
    if layer != DEFAULT_LAYER:
        values.update(adjustments(scene, layer))
    return values
