"""The stub's visible render layer: `getAttr` answers as that layer renders, as in Maya.

A saved file holds each plug's value on the layer that was visible when it was saved
(`renderLayerManager.crl`). The stub keeps which layer is visible now and answers a plug
on it (its own small model, written from Maya's behaviour, not from Farmhand's reader):

* Render Setup: a plug fed by an `apply…Override.o` node holds the saved visible layer's
  value; its master value is the `.ori` of the first apply node of the chain. A layer's
  value is the master value with that layer's enabled overrides applied in collection
  order (a parent's first child is on `.cl`, the next ones follow `.nxt` → `.prv`):
  absolute `value = atv`, relative `value = value * mul + ofs`, each override naming
  its attribute by `.atr` and its node by `.tgName`, or else by its collection's
  selector (`simpleSelector.ssl`: names, a transform standing for its shapes).
  Overrides belong to the visible layer only.
* Legacy layers: the saved visible layer's value is the node's; another layer's is its
  own adjustment (`.adjs[i].val` for the plug in `.adjs[i].plg`), else the master value
  (`defaultRenderLayer`'s adjustment when the saved visible layer is another one, else
  the node's).

Switching is `editRenderLayerGlobals -currentRenderLayer` or Render Setup's
`switchToLayer`/`switchToLayerUsingLegacyName` (`maya.app.renderSetup`).
"""

from __future__ import annotations

from typing import Any

from farmhand.scene.attributes import canonical

DEFAULT = "defaultRenderLayer"
MANAGER = "renderLayerManager"
_ABSOLUTE = ("absOverride", "absUniqueOverride")
_RELATIVE = ("relOverride", "relUniqueOverride")
_COLLECTIONS = ("collection", "renderSettingsCollection", "aovCollection", "lightsCollection",
                "aovChildCollection", "lightsChildCollection")  # fmt: skip


def _on(value: Any) -> bool:
    return value not in (False, 0, "0", "no", "off", "false")


class LayerModel:
    """Which layer is visible, and a plug's value on it (see the module doc)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.setup_of = {}  # legacy layer → its Render Setup layer
        for setup in file.nodes("renderSetupLayer"):
            for src, dst in file.connections(setup):
                if dst == f"{setup}.lrl" and src.endswith(".msg"):
                    self.setup_of[src.partition(".")[0].lstrip(":")] = setup
        self.saved_visible = self._saved_visible()
        self.visible = self.saved_visible

    @property
    def render_setup(self) -> bool:
        """True when the scene uses Render Setup."""
        return bool(self.file.nodes("renderSetupLayer"))

    def layers(self) -> list[str]:
        """Legacy names of the layers one can switch to."""
        return [DEFAULT, *self.setup_of] if self.render_setup else list(self._slots().values())

    def switch(self, legacy: str) -> None:
        """Make `legacy` the visible layer."""
        if legacy not in self.layers():
            raise RuntimeError(f"editRenderLayerGlobals: no render layer {legacy!r}")
        self.visible = legacy

    def value(self, node: str, attr: str, stored: Any, missing: Any) -> Any:
        """The plug's value on the visible layer (`stored`: what the file holds)."""
        key = (node, canonical(attr))
        if self.render_setup:
            master = self._master(key, stored)
            if self.visible == DEFAULT:
                return master
            for override in self._overrides(self.setup_of[self.visible]):
                if (override[0], override[1]) == key:
                    master = self._apply(override[2], master, missing)
            return master
        if self.visible == self.saved_visible:
            return stored
        own = self._adjustments(self.visible).get(key, missing)
        if own is not missing:
            return own
        if self.saved_visible != DEFAULT:
            return self._adjustments(DEFAULT).get(key, stored)
        return stored

    # -- Render Setup ---------------------------------------------------------------------------
    def _master(self, key: tuple[str, str], stored: Any) -> Any:
        for src, dst in self.file.connections(key[0]):
            dst_node, _, dst_attr = dst.partition(".")
            if dst_node.lstrip(":") == key[0] and canonical(dst_attr) == key[1]:
                apply = src.partition(".")[0]
                if (self.file.node_type(apply) or "").startswith("apply") and src.endswith(".o"):
                    return self.file.get_attr(self._first(apply), "ori", stored)
        return stored

    def _first(self, apply: str) -> str:
        for _ in range(64):
            before = [s.partition(".")[0] for s, d in self.file.connections(apply)
                      if d == f"{apply}.ori" and s.endswith(".o")]  # fmt: skip
            if not before:
                break
            apply = before[0]
        return apply

    def _children(self, parent: str) -> list[str]:
        """A layer's or collection's children in order: `.cl` first, then `.nxt` links."""
        first = [s.partition(".")[0] for s, d in self.file.connections(parent)
                 if d == f"{parent}.cl" and s.endswith(".msg")]  # fmt: skip
        order: list[str] = []
        item = first[0] if first else None
        while item is not None and item not in order:
            order.append(item)
            item = next((d.partition(".")[0] for s, d in self.file.connections(item)
                         if s == f"{item}.nxt" and d.endswith(".prv")), None)  # fmt: skip
        return order

    def _selected(self, collection: str) -> list[str]:
        """The nodes a collection's simple selector names (a transform: also its shapes)."""
        names: list[str] = []
        for src, dst in self.file.connections(collection):
            if dst == f"{collection}.sel":
                text = str(self.file.get_attr(src.partition(".")[0], "ssl", "") or "")
                names += [n.rpartition("|")[2] for n in text.split()]
        shapes = [c for c in self.file.nodes("camera") if self.file.parent(c) in names]
        return names + shapes

    def _overrides(self, parent: str) -> list[tuple[str, str, str]]:
        """(node, attr, override) of a layer's or collection's enabled overrides, in order."""
        found = []
        for child in self._children(parent):
            kind = self.file.node_type(child)
            if not _on(self.file.get_attr(child, "sen", True)):
                continue
            if kind in _COLLECTIONS:
                found += self._overrides(child)
            elif kind in _ABSOLUTE + _RELATIVE:
                target = str(self.file.get_attr(child, "tgName", "") or "")
                attr = canonical(str(self.file.get_attr(child, "atr", "") or ""))
                nodes = [target.rpartition("|")[2]] if target else self._selected(parent)
                found += [(node, attr, child) for node in nodes]
        return found

    def _apply(self, override: str, below: Any, missing: Any) -> Any:
        if self.file.node_type(override) in _ABSOLUTE:
            return self.file.get_attr(override, "atv", 0)  # unwritten: the attribute's default
        base = 0.0 if below is missing or below is None else float(below)
        value = base * float(self.file.get_attr(override, "mul", 0) or 0)
        value += float(self.file.get_attr(override, "ofs", 0) or 0)
        return int(value) if isinstance(below, int) and value.is_integer() else value

    # -- legacy layers --------------------------------------------------------------------------
    def _slots(self) -> dict[int, str]:
        slots = {}
        for src, dst in self.file.connections(MANAGER):
            if src.startswith(f"{MANAGER}.rlmi[") and dst.endswith(".rlid"):
                slots[int(src[len(MANAGER) + 6 : src.index("]")])] = dst.partition(".")[0]
        return dict(sorted(slots.items())) or {0: DEFAULT}

    def _saved_visible(self) -> str:
        slots = self._slots()
        wanted = self.file.get_attr(MANAGER, "crl", 0)
        for index, layer in slots.items():
            if self.file.get_attr(MANAGER, f"rlmi[{index}]", index) == wanted:
                return layer.lstrip(":")
        return slots.get(wanted, DEFAULT).lstrip(":")

    def _adjustments(self, layer: str) -> dict[tuple[str, str], Any]:
        found = {}
        for src, dst in self.file.connections(layer):
            if dst.startswith(f"{layer}.adjs[") and dst.endswith("].plg"):
                slot = dst[len(layer) + 1 : -4]
                node, _, attr = src.partition(".")
                value = self.file.get_attr(layer, f"{slot}.val", None)
                if value is not None:
                    found[(node.rpartition("|")[2].lstrip(":"), canonical(attr))] = value
        return found
