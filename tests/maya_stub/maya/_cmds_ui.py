"""UI commands of the stub: menus, shelves, workspace controls and dialogs."""

from __future__ import annotations

import traceback
from typing import Any

from ._flags import parse
from ._session import current
from ._ui import Control, UIState


def _ui(command: str) -> UIState:
    session = current()
    if session.ui is None:
        raise RuntimeError(f"{command}: UI commands are not available in batch mode")
    return session.ui


def _existing(ui: UIState, name: str, kind: str | None = None) -> Control:
    control = ui.find(name, kind)
    if control is None:
        raise RuntimeError(f"Object '{name}' not found.")
    return control


def _list(children: list[Control]) -> list[str] | None:
    return [c.name for c in children] or None


def menu(name: str | None = None, **kwargs: Any) -> Any:
    """Create, query (label, itemArray), edit (label, deleteAllItems) or test a menu."""
    flags = parse(
        "menu",
        kwargs,
        {
            "label": "l", "parent": "p", "tearOff": "to", "exists": "ex", "query": "q",
            "edit": "e", "itemArray": "ia", "deleteAllItems": "dai",
        },
    )  # fmt: skip
    ui = _ui("menu")
    if flags.get("exists"):
        return name is not None and ui.find(name, "menu") is not None
    if flags.get("query"):
        control = _existing(ui, name, "menu")
        if flags.get("itemArray"):
            return _list(control.children)
        if flags.get("label"):
            return control.props.get("label", control.name)
        raise NotImplementedError(f"maya stub: menu query {sorted(flags)}")
    if flags.get("edit"):
        control = _existing(ui, name, "menu")
        if flags.get("deleteAllItems"):
            for child in list(control.children):
                ui.delete(child)
        if "label" in flags:
            control.props["label"] = flags["label"]
        return None
    parent = _existing(ui, flags.get("parent", ""), "window")
    control = ui.add("menu", name, parent)
    control.props.update(label=flags.get("label", control.name), tearOff=flags.get("tearOff"))
    return control.path


def menuItem(name: str | None = None, **kwargs: Any) -> Any:
    """Create, query or test a menu item (a command item or a divider) under a menu."""
    flags = parse(
        "menuItem",
        kwargs,
        {
            "label": "l", "command": "c", "parent": "p", "divider": "d", "image": "i",
            "annotation": "ann", "sourceType": "stp", "exists": "ex", "query": "q",
        },
    )  # fmt: skip
    ui = _ui("menuItem")
    if flags.get("exists"):
        return name is not None and ui.find(name, "menuItem") is not None
    if flags.get("query"):
        control = _existing(ui, name, "menuItem")
        for key in ("label", "command", "image", "annotation", "divider"):
            if flags.get(key):
                return control.props.get(key)
        raise NotImplementedError(f"maya stub: menuItem query {sorted(flags)}")
    if "parent" not in flags:
        raise NotImplementedError("maya stub: menuItem needs parent= (no current menu)")
    parent = _existing(ui, flags.pop("parent"), "menu")
    control = ui.add("menuItem", name, parent)
    control.props.update(flags)
    return control.path


def shelfLayout(name: str | None = None, **kwargs: Any) -> Any:
    """Create a shelf under the shelf tabs, test it, or query its children."""
    flags = parse(
        "shelfLayout",
        kwargs,
        {
            "parent": "p",
            "exists": "ex",
            "query": "q",
            "childArray": "ca",
            "numberOfChildren": "nch",
        },
    )
    ui = _ui("shelfLayout")
    if flags.get("exists"):
        return name is not None and ui.find(name, "shelfLayout") is not None
    if flags.get("query"):
        control = _existing(ui, name, "shelfLayout")
        if flags.get("childArray"):
            return _list(control.children)
        if flags.get("numberOfChildren"):
            return len(control.children)
        raise NotImplementedError(f"maya stub: shelfLayout query {sorted(flags)}")
    parent = _existing(ui, flags.get("parent", ""), "tabLayout")
    return ui.add("shelfLayout", name, parent).path


_BUTTON_FLAGS = {
    "parent": "p", "label": "l", "annotation": "ann", "image": "i", "image1": "i1",
    "command": "c", "sourceType": "stp", "imageOverlayLabel": "iol", "exists": "ex",
    "query": "q", "edit": "e",
}  # fmt: skip
_BUTTON_PROPS = ("label", "annotation", "image1", "command", "sourceType", "imageOverlayLabel")


def shelfButton(name: str | None = None, **kwargs: Any) -> Any:
    """Create, edit, query or test a shelf button (sourceType defaults to "mel", as in Maya)."""
    flags = parse("shelfButton", kwargs, _BUTTON_FLAGS)
    if "image" in flags:
        flags["image1"] = flags.pop("image")
    ui = _ui("shelfButton")
    if flags.get("exists"):
        return name is not None and ui.find(name, "shelfButton") is not None
    if flags.get("query"):
        control = _existing(ui, name, "shelfButton")
        for key in _BUTTON_PROPS:
            if flags.get(key):
                return control.props.get(key, "mel" if key == "sourceType" else "")
        raise NotImplementedError(f"maya stub: shelfButton query {sorted(flags)}")
    if flags.pop("edit", False):
        control = _existing(ui, name, "shelfButton")
        if "parent" in flags:
            raise NotImplementedError("maya stub: shelfButton -e -parent")
        control.props.update(flags)
        return None
    parent = _existing(ui, flags.pop("parent", ""), "shelfLayout")
    control = ui.add("shelfButton", name, parent)
    control.props.update({"sourceType": "mel", **flags})
    return control.path


def tabLayout(name: str, **kwargs: Any) -> Any:
    """Query or edit the selected tab; query the tabs."""
    flags = parse(
        "tabLayout",
        kwargs,
        {"query": "q", "edit": "e", "selectTab": "st", "childArray": "ca", "exists": "ex"},
    )
    ui = _ui("tabLayout")
    if flags.get("exists"):
        return ui.find(name, "tabLayout") is not None
    control = _existing(ui, name, "tabLayout")
    if flags.get("query"):
        if flags.get("selectTab"):
            return control.props.get("selectTab")
        if flags.get("childArray"):
            return _list(control.children)
        raise NotImplementedError(f"maya stub: tabLayout query {sorted(flags)}")
    if flags.get("edit") and "selectTab" in flags:
        tab = flags["selectTab"]
        if not any(c.name == tab for c in control.children):
            raise RuntimeError(f"tabLayout: '{tab}' is not a tab of {name}")
        control.props["selectTab"] = tab
        return None
    raise NotImplementedError(f"maya stub: tabLayout {sorted(flags)}")


_UI_TYPES = {"menuItem": "commandMenuItem"}


def objectTypeUI(name: str, **kwargs: Any) -> str:
    """The kind of a UI element (`shelfButton`, `menu`, `workspaceControl`, …)."""
    parse("objectTypeUI", kwargs, {})
    control = _existing(_ui("objectTypeUI"), name)
    return _UI_TYPES.get(control.kind, control.kind)


def deleteUI(*names: str, **kwargs: Any) -> None:
    """Delete UI elements (and what they hold); an unknown name raises as in Maya."""
    flags = parse(
        "deleteUI",
        kwargs,
        {"menu": "m", "menuItem": "mi", "control": "ctl", "layout": "lay", "window": "wnd"},
    )
    kinds = {
        "menu": {"menu"},
        "menuItem": {"menuItem"},
        "control": {"shelfButton", "workspaceControl"},
        "layout": {"shelfLayout", "tabLayout"},
        "window": {"workspaceControl"},
    }
    allowed = set().union(*(kinds[k] for k, v in flags.items() if v)) if flags else None
    ui = _ui("deleteUI")
    for name in names:
        control = ui.find(name)
        if control is None or (allowed is not None and control.kind not in allowed):
            raise RuntimeError(f"Object '{name}' not found.")
        ui.delete(control)


def workspaceControl(name: str, **kwargs: Any) -> Any:
    """A dockable control: created with its uiScript run at once, restored, closed, queried."""
    flags = parse(
        "workspaceControl",
        kwargs,
        {
            "label": "l", "retain": "rt", "floating": "fl", "uiScript": "uis",
            "initialWidth": "iw", "initialHeight": "ih", "closeCommand": "cc",
            "restore": "rs", "close": "cl", "visible": "vis", "exists": "ex",
            "query": "q", "edit": "e",
        },
    )  # fmt: skip
    ui = _ui("workspaceControl")
    if flags.get("exists"):
        return ui.find(name, "workspaceControl") is not None
    if flags.get("query"):
        control = _existing(ui, name, "workspaceControl")
        if flags.get("visible"):
            return bool(control.widget.isVisible())
        for key in ("label", "floating", "retain", "uiScript"):
            if flags.get(key):
                return control.props.get(key)
        raise NotImplementedError(f"maya stub: workspaceControl query {sorted(flags)}")
    if flags.get("edit"):
        return _edit_control(ui, _existing(ui, name, "workspaceControl"), flags)
    return _create_control(ui, name, flags)


def _create_control(ui: UIState, name: str, flags: dict[str, Any]) -> str:
    from PySide6 import QtCore, QtWidgets

    if "uiScript" not in flags:
        raise RuntimeError("workspaceControl: the uiScript flag is required")
    control = ui.add("workspaceControl", name, ui.root)
    control.props.update(
        label=flags.get("label", name),
        retain=flags.get("retain", True),
        floating=flags.get("floating", False),
        uiScript=flags["uiScript"],
        closeCommand=flags.get("closeCommand"),
    )
    widget = QtWidgets.QWidget(ui.root.widget)
    if control.props["floating"]:
        widget.setWindowFlags(QtCore.Qt.WindowType.Window)
    widget.setObjectName(name)
    widget.setWindowTitle(control.props["label"])
    layout = QtWidgets.QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    widget.resize(flags.get("initialWidth", 400), flags.get("initialHeight", 600))
    control.widget = widget
    widget.show()
    _run_ui_script(ui, control)
    return name


def _run_ui_script(ui: UIState, control: Control) -> None:
    """Maya runs the uiScript when it builds the control (now, and when restoring a layout)."""
    ui.current_parent = control
    try:
        exec(compile(control.props["uiScript"], "<uiScript>", "exec"), {"__name__": "__main__"})
    except Exception:
        current().message("error", traceback.format_exc())
    finally:
        ui.current_parent = None


def _edit_control(ui: UIState, control: Control, flags: dict[str, Any]) -> None:
    if flags.get("restore"):
        control.widget.show()
        control.widget.raise_()
    if "visible" in flags:
        control.widget.setVisible(bool(flags["visible"]))
    if "label" in flags:
        control.props["label"] = flags["label"]
        control.widget.setWindowTitle(flags["label"])
    if "closeCommand" in flags:
        control.props["closeCommand"] = flags["closeCommand"]
    if flags.get("close"):
        command = control.props.get("closeCommand")
        if isinstance(command, str):
            raise NotImplementedError("maya stub: a closeCommand given as a string")
        if command is not None:
            command()
        if control.props.get("retain"):
            control.widget.hide()
        else:
            ui.delete(control)


def confirmDialog(**kwargs: Any) -> str:
    """Record the dialog (tests read `maya.stub.dialogs()`) and answer its default button."""
    flags = parse(
        "confirmDialog",
        kwargs,
        {
            "title": "t", "message": "m", "button": "b", "defaultButton": "db",
            "cancelButton": "cb", "dismissString": "ds", "icon": "icn",
        },
    )  # fmt: skip
    ui = _ui("confirmDialog")
    buttons = flags.get("button", ["Confirm"])
    buttons = [buttons] if isinstance(buttons, str) else list(buttons)
    ui.dialogs.append({**flags, "button": buttons})
    if ui.answers:  # a test said what the artist clicks
        return ui.answers.pop(0)
    return flags.get("defaultButton") or (buttons[0] if buttons else flags.get("dismissString", ""))


SCRIPT_JOB_EVENTS = ("SceneOpened", "NewSceneOpened", "SceneSaved")


def scriptJob(**kwargs: Any) -> Any:
    """`scriptJob -event NAME CALLABLE [-parent CONTROL]` (its id), `-kill ID`, `-exists ID`.

    A job with a parent dies with that control, as in Maya; events fire from
    `maya.stub.open_scene` / `new_scene` / `file -save`.
    """
    flags = parse("scriptJob", kwargs, {"event": "e", "parent": "p", "kill": "k",
                                        "force": "f", "exists": "ex"})  # fmt: skip
    ui = _ui("scriptJob")
    if "kill" in flags:
        if flags["kill"] not in ui.jobs:
            raise RuntimeError(f"scriptJob: job {flags['kill']} does not exist")
        del ui.jobs[flags["kill"]]
        return None
    if "exists" in flags:
        return flags["exists"] in ui.jobs
    event, command = flags["event"]
    if event not in SCRIPT_JOB_EVENTS:
        raise NotImplementedError(f"maya stub: scriptJob event {event!r}")
    parent = flags.get("parent")
    if parent is not None and ui.find(parent) is None:
        raise RuntimeError(f"scriptJob: Object '{parent}' not found.")
    job = max(ui.jobs, default=0) + 1
    ui.jobs[job] = (event, command, parent)
    return job


def fire(event: str) -> None:
    """Run the script jobs of an event (those whose parent control is gone died with it)."""
    session = current()
    ui = session.ui
    if ui is None:
        return
    for job, (name, command, parent) in list(ui.jobs.items()):
        if parent is not None and ui.find(parent) is None:
            del ui.jobs[job]
        elif name == event:
            command()
