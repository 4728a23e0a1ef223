"""Test controls of the stub (not part of Maya): open a scene, run idle work, click a button.

`stub_open(path)` is the stub's `maya.standalone` + `file -open`: it ends the
current session and starts one on the `.ma` file, interactive (with a main
window, menus and shelves) unless `batch=True`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from . import cmds as _cmds_module
from ._scene import StubScene
from ._session import Session, current, replace
from ._ui import UIState


def stub_open(
    path: str | os.PathLike[str] | None,
    *,
    project: str | os.PathLike[str] | None = None,
    batch: bool = False,
    version: str = "2025",
    codeset: str = "UTF-8",
    user_app_dir: str | os.PathLike[str] | None = None,
    missing_plugins: tuple[str, ...] = (),
) -> Session:
    """Start a session with `path` open (None: an untitled scene).

    `missing_plugins` names plug-ins the scene requires that this session lacks: their
    nodes open as `unknown` nodes. `project` is the session's Maya project
    (`workspace -q -rd`); by default
    Maya's own default project folder, which holds no scene. `user_app_dir`
    is `internalVar -userAppDir` (default: a folder under the temp dir).
    """
    close()
    scene_path = Path(path).absolute() if path is not None else None
    project_dir = Path(project).absolute() if project is not None else None
    scene = StubScene(scene_path, project_dir, frozenset(missing_plugins))
    session = Session(
        scene=scene,
        batch=batch,
        version=version,
        codeset=codeset,
        workspace=str(project_dir or Path.home() / "maya" / "projects" / "default"),
        user_app_dir=str(user_app_dir or Path(tempfile.gettempdir()) / "maya_stub_user_app_dir"),
        file_info=dict(scene.header.file_info),
    )
    if not batch:
        session.ui = UIState()
    replace(session)
    return session


def open_scene(path: str | os.PathLike[str] | None) -> Session:
    """File > Open (None: File > New) in the running session: the scene changes, the UI,
    plug-ins and preferences stay, and the SceneOpened / NewSceneOpened jobs run."""
    from ._cmds_ui import fire

    session = current()
    scene_path = Path(path).absolute() if path is not None else None
    project = Path(session.workspace) if session.workspace else None
    session.scene = StubScene(scene_path, project)
    session.file_info = dict(session.scene.header.file_info)
    session.selection, session.modified = [], False
    fire("SceneOpened" if path is not None else "NewSceneOpened")
    return session


def answer_next(*buttons: str) -> None:
    """The buttons the artist clicks in the next confirm dialogs, in order."""
    ui: UIState | None = current().ui
    if ui is None:
        raise RuntimeError("maya stub: a batch session shows no dialogs")
    ui.answers.extend(buttons)


def stub_new(**kwargs: Any) -> Session:
    """Start a session with an untitled, empty scene (same options as `stub_open`)."""
    return stub_open(None, **kwargs)


def close() -> None:
    """End the session: its widgets are destroyed and its plug-in commands leave `maya.cmds`."""
    try:
        session = current()
    except RuntimeError:
        return
    if session.ui is not None:
        session.ui.close()
    for name in session.commands:
        if hasattr(_cmds_module, name):
            delattr(_cmds_module, name)
    replace(None)


def session() -> Session:
    """The open session."""
    return current()


def process_idle() -> int:
    """Run the calls queued with `maya.utils.executeDeferred`, as Maya does when idle."""
    done = 0
    queue = current().deferred
    while queue:
        queue.pop(0)()
        done += 1
    return done


def dialogs() -> list[dict[str, Any]]:
    """The confirm dialogs shown so far in this session."""
    ui: UIState | None = current().ui
    return list(ui.dialogs) if ui else []


def click(name: str) -> None:
    """Press a shelf button or pick a menu item: run its command as Maya would."""
    ui: UIState | None = current().ui
    control = ui.find(name) if ui else None
    if control is None or control.kind not in ("shelfButton", "menuItem"):
        raise RuntimeError(f"maya stub: no shelf button or menu item named {name!r}")
    command = control.props.get("command")
    if callable(command):
        if control.kind == "menuItem":
            command(False)  # Maya passes a menu item's check state
        else:
            command()
        return
    if not command:
        return
    language = control.props.get("sourceType", "mel" if control.kind == "shelfButton" else None)
    if language != "python":
        raise NotImplementedError(
            f"maya stub: cannot run a {language or 'mel'} command: {command!r}"
        )
    exec(compile(command, f"<{control.kind} {control.name}>", "exec"), {"__name__": "__main__"})
