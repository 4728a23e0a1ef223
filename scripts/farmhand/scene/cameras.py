"""The cameras a scene has when Maya opens it, named as Maya names them in output files.

Rules (Maya's documentation of the startup cameras, of `createNode -shared`
and of `camera.renderable`; the scenes in `reference/maya-semantics/`):

* Every scene opens with the startup cameras persp, top, front and side, made
  by Maya before the file is read (a file names them with `createNode -s`,
  which reuses them). persp is renderable and the other three are not, unless
  the file sets `.rnd`; a camera the file creates is renderable by default.
* Cameras inside loaded references exist too (a referenced `.ma` file's
  cameras, read from it; an Alembic file's cameras, known from the reference
  edits that set their attributes), under the reference's namespace; edits
  stored with the reference override the referenced file's values.
* Output names and folders (`<Camera>`) use the camera's **transform** name;
  `Render -cam` takes it too. The shape holds the attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from farmhand.scene.attributes import is_on
from farmhand.scene.query import SceneQuery

STARTUP = {"perspShape": "persp", "topShape": "top", "frontShape": "front", "sideShape": "side"}
"""Startup camera shape → its transform."""


@dataclass(frozen=True, slots=True)
class Camera:
    """A camera: the transform Maya names it by, its shape, and `.renderable` as saved."""

    transform: str
    shape: str
    renderable: bool
    referenced: bool = False


def scene_cameras(scene: SceneQuery, referenced: Iterable[Camera] = ()) -> list[Camera]:
    """The startup cameras, the file's own cameras and the referenced ones, without repeats."""
    found: dict[str, Camera] = {}
    names = set(scene.nodes("camera")) | {scene.parent(s) for s in scene.nodes("camera")}
    for shape, transform in STARTUP.items():
        if shape not in names and transform not in names:
            found[shape] = Camera(transform, shape, transform == "persp")
    for shape in scene.nodes("camera"):
        transform = scene.parent(shape) or STARTUP.get(shape) or shape
        found[shape] = Camera(transform, shape, is_on(scene.get_attr(shape, "rnd", True)))
    for camera in referenced:
        found.setdefault(camera.shape, camera)
    # Maya lists its startup cameras first, in the order it makes them.
    order = list(STARTUP)
    found = dict(sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 4))
    return list(found.values())


def edited_renderable(node_path: str, value_text: str) -> Camera | None:
    """A camera named by a reference edit that sets `renderable` (`"|ns:cam|ns:camShape"`,
    `" 1"`), or None when the path does not name a shape under a transform."""
    parts = [p for p in node_path.split("|") if p]
    if len(parts) < 2:
        return None
    words = value_text.split()
    if not words:
        return None
    return Camera(parts[-2], parts[-1], is_on(words[-1]), referenced=True)
