"""MayaHost: the panel's scene in a live Maya session (the `SceneHost` protocol).

Analysis reads the open scene through `LiveScene`; re-paths and selection act
on the scene; the panel's per-scene choices are kept as JSON in the scene's
fileInfo (saved with the scene). Main thread only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from farmhand.maya_ui import job_messages, names
from farmhand.scene import Analysis, analyze_query

_PLAIN_ATTRIBUTE = re.compile(r"[A-Za-z_]\w*(\[\d+\])?(\.[A-Za-z_]\w*(\[\d+\])?)*")


class MayaHost:
    """The scene open in this Maya session, as the panel sees it."""

    name = "maya"

    def show_job_notice(self, notice: Any) -> None:
        """A job's news (finished, failed, waiting) in the viewport, as Maya's own messages."""
        job_messages.show(notice)

    def scene_path(self) -> Path | None:
        """The saved scene file; None while the scene is untitled."""
        from maya import cmds

        path = cmds.file(query=True, sceneName=True)
        return Path(path) if path else None

    def analyse(self, search_paths: Sequence[Path] = ()) -> Analysis:
        """Analyse the open scene now (cheap `maya.cmds` queries; files are stat'ed)."""
        from farmhand.scene.live import LiveScene

        scene = LiveScene()
        return analyze_query(scene, project_for(scene.scene_path), search_paths)

    def repath(self, node: str, attribute: str, new_path: str) -> None:
        """Point `node.attribute` at `new_path` (a reference node: reload the reference from there).

        Raises ValueError for an empty path, a node the scene does not have, or an
        attribute that is not a plain Maya attribute (a file named inside another
        file, such as an XGen collection or a stand-in, is re-pathed there).
        """
        from maya import cmds

        if not new_path.strip():
            raise ValueError("the new path is empty")
        if not node or not cmds.objExists(node):
            raise ValueError(f"the scene has no node {node!r}")
        if cmds.nodeType(node) == "reference":
            cmds.file(new_path, loadReference=node)
            return
        if not _PLAIN_ATTRIBUTE.fullmatch(attribute):
            raise ValueError(
                f"{node}.{attribute} is a path inside another file; re-path it in that file"
            )
        try:
            cmds.setAttr(f"{node}.{attribute}", new_path, type="string")
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"cannot set {node}.{attribute}: {exc}") from exc

    def select(self, node: str) -> None:
        """Select the node in Maya (replacing the selection); ValueError when it does not exist."""
        from maya import cmds

        if not node or not cmds.objExists(node):
            raise ValueError(f"the scene has no node {node!r}")
        cmds.select(node, replace=True)

    def scene_modified(self) -> bool:
        """True while the open scene has unsaved changes."""
        from maya import cmds

        return bool(cmds.file(query=True, modified=True))

    def prepare_submit(self) -> bool:
        """Save a modified scene first (the farm renders the file); False: the artist cancelled."""
        from farmhand.maya_ui.save_first import save_before_submit

        return save_before_submit()

    def load_choices(self) -> dict:
        """The choices saved in this scene's fileInfo, or {} (also when unreadable)."""
        from maya import cmds

        stored = cmds.fileInfo(names.CHOICES_KEY, query=True)
        if not stored:
            return {}
        choices = decode_choices(stored[0])
        return choices if isinstance(choices, dict) else {}

    def save_choices(self, choices: dict) -> None:
        """Keep the choices in the scene's fileInfo (written to disk when the scene is saved)."""
        from maya import cmds

        if not isinstance(choices, dict):
            raise TypeError(f"choices must be a dict, not {type(choices).__name__}")
        cmds.fileInfo(names.CHOICES_KEY, encode_choices(choices))


def project_for(scene_path: str) -> Path | None:
    """The session's Maya project if the scene lies in it; else None (found from the scene)."""
    from farmhand.scene.live import project_root

    root = Path(project_root())
    try:
        Path(scene_path).relative_to(root)
    except ValueError:
        return None
    return root


def encode_choices(choices: dict[str, Any]) -> str:
    r"""Choices as ASCII-only JSON (non-ASCII as `\uXXXX`), safe in any scene codeset.

    >>> encode_choices({"note": 'say "hé"'})
    '{"note":"say \\"h\\u00e9\\""}'
    """
    return json.dumps(choices, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def decode_choices(stored: str) -> Any:
    r"""JSON from fileInfo, whether Maya hands it back MEL-escaped (`{\"a\"…`) or not.

    ASCII-only JSON of an object never starts `{\`, so the escaped form cannot be
    mistaken for valid JSON; None when neither reading parses.
    """
    from farmhand.scene.live import file_info_value

    for text in (stored, file_info_value(stored)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return None
