"""Test helpers for the Maya suites: the stub `maya` package on sys.path for one test at a time.

The `maya_stub` fixture puts `tests/maya_stub` first on sys.path, imports the
stub and yields its `stub` module; afterwards every `maya*` module, the
Farmhand modules that hold Maya state (`farmhand.maya_ui*`,
`farmhand.scene.live`) and loaded plug-in modules are dropped from
sys.modules and the path entry is removed, so no other suite ever sees a
`maya` package.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
STUB_ROOT = REPO / "tests" / "maya_stub"
PLUGIN_DIR = REPO / "plug-ins"
ICON_DIR = REPO / "icons"

_OWNED_PACKAGES = ("maya", "farmhand.maya_ui", "farmhand.scene.live")


def _owned(name: str) -> bool:
    if name.startswith("_maya_stub_plugin_"):  # plug-in files the stub loaded
        return True
    return any(name == p or name.startswith(p + ".") for p in _OWNED_PACKAGES)


def _purge() -> None:
    """Forget the stub and every module that kept state from a stub session."""
    for name in [n for n in sys.modules if _owned(n)]:
        module = sys.modules.pop(name)
        parent, _, leaf = name.rpartition(".")
        owner = sys.modules.get(parent)
        if module is not None and getattr(owner, leaf, None) is module:
            delattr(owner, leaf)


@pytest.fixture(name="maya_stub")
def maya_stub_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """Fixture `maya_stub`: the stub's `maya.stub` module, plug-in folder on MAYA_PLUG_IN_PATH.

    Test modules import this function to use the fixture.
    """
    _purge()
    sys.path.insert(0, str(STUB_ROOT))
    monkeypatch.setenv("MAYA_PLUG_IN_PATH", str(PLUGIN_DIR))
    try:
        from maya import stub

        yield stub
    finally:
        try:
            from maya import stub as current_stub

            current_stub.close()
        finally:
            sys.path.remove(str(STUB_ROOT))
            _purge()


def without_binary_notices(offline: dict) -> dict:
    """An offline analysis without its `.mb` reference notices: inside Maya the nodes a
    binary reference brings in are at hand (`LiveScene.loaded_reference`), so the live
    analysis lists what they use instead (the stub cannot read a real `.mb`: none here)."""
    offline["diagnostics"] = [d for d in offline["diagnostics"] if d["code"] != "binary-reference"]
    return offline


def as_offline(live: dict) -> dict:
    """A live analysis's dict without what only Maya knows (the artist's Render Setup light
    preference, read from an optionVar; default on), to compare with the offline one."""
    assert live.pop("render_setup_include_all_lights") is True
    live["render_setup_include_all_lights"] = None
    return live
