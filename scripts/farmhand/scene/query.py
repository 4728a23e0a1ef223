"""SceneQuery: the one seam between a Maya scene and the rest of Farmhand.

Two implementations answer it: `maya_ascii.MayaAsciiScene` (a `.ma` file read
offline) and `live.LiveScene` (a running Maya, through `maya.cmds`). The
scanner, render-settings reader and validation use only these methods, so
they run the same in Maya, on the command line and on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Reference:
    """A `file -r` reference (or a nested one, described by `file -rdi N`)."""

    path: str
    node: str | None = None
    namespace: str | None = None
    file_type: str | None = None
    depth: int = 1
    loaded: bool = True
    copy_number: int | None = None
    parent: str | None = None  # path of the reference this one is nested in


@dataclass(slots=True)
class SceneHeader:
    """What the file says about itself before the first node."""

    maya_version: str = ""
    codeset: str = ""
    time_unit: str = "film"
    linear_unit: str = "centimeter"
    angle_unit: str = "degree"
    requires: dict[str, str] = field(default_factory=dict)
    file_info: dict[str, str] = field(default_factory=dict)


class SceneQuery(Protocol):
    """Questions the analysis asks of a scene, whichever way it was opened."""

    scene_path: str
    header: SceneHeader

    def nodes(self, node_type: str) -> list[str]:
        """Names of all nodes of exactly this type, in creation order."""

    def node_type(self, node: str) -> str | None:
        """The type of a node, or None when the scene has no such node."""

    def parent(self, node: str) -> str | None:
        """The DAG parent's name (a shape's transform), or None."""

    def get_attr(self, node: str, attr: str, default: Any = None) -> Any:
        """An attribute's value (short or long name; `adjs[0].val` paths), or `default`."""

    def attr_indices(self, node: str, attr: str) -> list[int]:
        """Indices in use of a multi attribute (`adjs` → [0, 1, …])."""

    def connections(self, node: str) -> list[tuple[str, str]]:
        """(source plug, destination plug) pairs touching a node, as `node.attr` strings."""

    def references(self) -> list[Reference]:
        """Every reference the scene names, top-level and nested."""

    def reference_edits(self, ref_node: str) -> list[tuple[str, str, str]]:
        """(node, long attribute, value text) of the `setAttr` edits a reference node stores."""

    def loaded_reference(self, ref_node: str) -> SceneQuery | None:
        """The nodes a loaded reference brought into this scene, as a scene of their own
        (names with their namespace, values with the reference edits applied), or None
        where they are not at hand: offline, a referenced file is read from disk instead."""
