"""From a Maya scene's analysed layers and the artist's choices to JobSpec layer groups.

A version 2 JobSpec renders each chosen layer as its own group (`farmhand.spec.plan`),
with that layer's renderer, frames, size, prefix and cameras, and the files it
will write. The artist's choices apply per layer: a frame or size override to
every layer, a camera pick to the layer it was made on (the panel), or to every
layer that has the camera (`farmhand submit --camera`).

Rules kept here, each from the analysis (`farmhand.scene`, docs/analysis.md):

* Without a camera pick, `Render` renders all the layer's renderable cameras in
  one call (no `-cam`); with one, each picked camera is rendered with `-cam`.
* A frame override on a layer whose scene renders one still frame (animation
  off) turns animation on for it: the farm passes `-s/-e`, so Maya numbers the
  files, and the predicted names follow.
* The prefix given to `Render -im` is the layer's effective one (relative, every
  automatic folder a token), so what the node writes is what was predicted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from farmhand.scene.model import LayerInfo
from farmhand.scene.outputs import layer_outputs


def layer_group(
    name: str,
    layer: LayerInfo,
    *,
    frames: str | None = None,
    resolution: tuple[int, int] | None = None,
    cameras: list[str] | None = None,
) -> dict[str, Any]:
    """The JobSpec layer group for one analysed layer and the artist's overrides.

    `cameras` is the artist's pick for this layer (None: the layer's renderable cameras).
    """
    common = layer.common
    renderable = list(common.render_camera)
    picked = cameras is not None and list(cameras) != renderable
    chosen = list(cameras) if picked and cameras is not None else renderable
    animation = common.animation or frames is not None
    width, height = resolution or (common.width, common.height)
    group: dict[str, Any] = {
        "name": name,
        "display_name": layer.display_name,
        "renderer": common.renderer,
        "frames": frames or common.frames,
        "animation": animation,
        "width": width,
        "height": height,
        "cameras": chosen,
    }
    if picked:
        group["pick_cameras"] = True
    outputs = layer.outputs
    if outputs is not None and outputs.naming is not None:
        naming = dataclasses.replace(outputs.naming, animation=animation)
        again = layer_outputs(naming, outputs.images, outputs.several_layers, cameras=chosen)
        group["output_prefix"] = again.prefix
        group["outputs"] = [
            {"camera": f.camera, "aov": f.aov, "template": f.template} for f in again.files
        ]
    return group


def cameras_for(
    name: str, layer: LayerInfo, per_layer: dict[str, list[str]], everywhere: list[str]
) -> list[str] | None:
    """The artist's camera pick for one layer: its own pick, else the cameras picked for every
    layer that this layer has, else None (the layer's renderable cameras)."""
    if name in per_layer:
        return list(per_layer[name])
    if everywhere:
        known = set(layer.common.all_camera) | set(layer.common.camera_shapes.values())
        mine = [c for c in everywhere if c in known]
        shapes = {shape: transform for transform, shape in layer.common.camera_shapes.items()}
        return list(dict.fromkeys(shapes.get(c, c) for c in mine)) or None
    return None
