"""`maya.app.renderSetup.model.renderSetup` (stub): switching the visible Render Setup layer.

Only what switching needs: `instance()`, the visible layer, the layers by name and the
two switch calls Maya's own scripts and farm submitters use.
"""

from __future__ import annotations

from ...._layers import DEFAULT
from ...._session import current


class RenderLayer:
    """A Render Setup layer (or the default one, `masterLayer`)."""

    def __init__(self, name: str, legacy: str) -> None:
        self._name, self._legacy = name, legacy

    def name(self) -> str:
        """The layer's Render Setup name (`masterLayer` for the default layer)."""
        return self._name

    def _getLegacyNodeName(self) -> str:
        return self._legacy


class RenderSetup:
    """The scene's render setup."""

    def _layers(self):
        return current().scene.layers

    def getDefaultRenderLayer(self) -> RenderLayer:
        """The master layer."""
        return RenderLayer("defaultRenderLayer", DEFAULT)

    def getRenderLayers(self) -> list[RenderLayer]:
        """The Render Setup layers (not the master)."""
        return [RenderLayer(s, legacy) for legacy, s in self._layers().setup_of.items()]

    def getRenderLayer(self, name: str) -> RenderLayer:
        """A layer by its Render Setup name."""
        for layer in self.getRenderLayers():
            if layer.name() == name:
                return layer
        raise Exception(f"Render layer {name!r} not found")  # Maya raises a plain Exception

    def getVisibleRenderLayer(self) -> RenderLayer:
        """The layer the artist sees."""
        layers = self._layers()
        legacy = layers.visible
        setup = layers.setup_of.get(legacy)
        return RenderLayer(setup, legacy) if setup else self.getDefaultRenderLayer()

    def switchToLayer(self, layer: RenderLayer) -> None:
        """Make `layer` visible."""
        self._layers().switch(layer._getLegacyNodeName())

    def switchToLayerUsingLegacyName(self, name: str) -> None:
        """Make the layer whose legacy node is `name` visible."""
        self._layers().switch(name)


def instance() -> RenderSetup:
    """The render setup of the open scene."""
    return RenderSetup()
