"""Inside Maya `getAttr` answers with the visible layer's value: the live reader switches.

The stub (`tests/maya_stub/maya/_layers.py`) models the visible layer with its own
rules: a plug answers as the visible layer renders it, switching by
`editRenderLayerGlobals -currentRenderLayer` or Render Setup's
`switchToLayerUsingLegacyName`, overrides applied to the visible layer only. Scenes
saved with a layer other than the master visible (`reference/maya-semantics/`, whose
README gives what real Maya renders) must give, through `LiveScene`, each layer's
settings as the offline reader gives them from the saved file and as real Maya does;
and the artist's visible layer is visible again afterwards, also when reading fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from farmhand.scene import analyze, analyze_query
from maya_session import as_offline, maya_stub_fixture  # noqa: F401 - the maya_stub fixture

SEMANTICS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "maya-semantics"

# What real Maya renders per layer (maya-semantics/README.md): width, height, cameras.
REAL_MAYA = {
    "render_setup_visible_layer.ma": {
        "defaultRenderLayer": (1280, 720, ["persp", "shotCam"]),
        "rs_hero": (2048, 720, None),
    },
    "legacy_layer_adjustments.ma": {
        "defaultRenderLayer": (640, 480, None),
        "beauty": (2048, 480, None),
        "matte": (640, 480, None),
    },
}
VISIBLE_WHEN_SAVED = {"render_setup_visible_layer.ma": "rs_hero",
                      "legacy_layer_adjustments.ma": "beauty"}  # fmt: skip


def _shared(name: str) -> Path:
    path = SEMANTICS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (shared/ lies beside the repository)")
    return path


def _visible() -> str:
    from maya import cmds

    return cmds.editRenderLayerGlobals(query=True, currentRenderLayer=True)


@pytest.mark.parametrize("name", list(REAL_MAYA))
def test_the_stub_answers_with_the_visible_layers_value(maya_stub, name: str) -> None:
    """What makes reading without switching wrong: the master reports the visible layer's."""
    from maya import cmds

    maya_stub.stub_open(_shared(name), batch=True)
    visible = VISIBLE_WHEN_SAVED[name]
    assert _visible() == visible
    width = cmds.getAttr("defaultResolution.w")
    assert width == REAL_MAYA[name][visible][0]  # the master's width is not what Maya says
    cmds.editRenderLayerGlobals(currentRenderLayer="defaultRenderLayer")
    assert cmds.getAttr("defaultResolution.w") == REAL_MAYA[name]["defaultRenderLayer"][0]


@pytest.mark.parametrize("name", list(REAL_MAYA))
def test_every_layer_live_equals_the_saved_file_and_real_maya(maya_stub, name: str) -> None:
    from farmhand.scene.live import LiveScene

    path = _shared(name)
    maya_stub.stub_open(path, batch=True)
    live = as_offline(analyze_query(LiveScene()).to_dict())
    assert _visible() == VISIBLE_WHEN_SAVED[name]  # the artist's layer is visible again
    offline = analyze(path).to_dict()
    assert live == offline
    for layer, (width, height, cameras) in REAL_MAYA[name].items():
        common = live["scene_info_render"][layer]["common"]
        assert (common["width"], common["height"]) == (width, height), layer
        if cameras is not None:
            assert common["render_camera"] == cameras, layer


def test_a_render_setup_switch_uses_render_setup_and_comes_back(maya_stub) -> None:
    """Render Setup layers are switched through Render Setup, as Zync's submitter does."""
    from farmhand.scene.live import LiveScene
    from maya.app.renderSetup.model import renderSetup

    maya_stub.stub_open(_shared("render_setup_visible_layer.ma"), batch=True)
    calls = []
    original = renderSetup.RenderSetup.switchToLayerUsingLegacyName

    def recording(self, name: str) -> None:
        calls.append(name)
        original(self, name)

    renderSetup.RenderSetup.switchToLayerUsingLegacyName = recording
    try:
        analyze_query(LiveScene())
    finally:
        renderSetup.RenderSetup.switchToLayerUsingLegacyName = original
    assert calls == ["defaultRenderLayer", "rs_hero"]  # rs_hero read last: nothing to restore
    assert renderSetup.instance().getVisibleRenderLayer().name() == "hero"


class Boom(Exception):
    """Something going wrong in the middle of reading a layer."""


FAILING = [("render_setup_visible_layer.ma", "defaultRenderLayer"),
           ("legacy_layer_adjustments.ma", "matte")]  # fmt: skip


@pytest.mark.parametrize(("name", "failing"), FAILING)
def test_the_visible_layer_comes_back_when_reading_fails_half_way(
    maya_stub, monkeypatch, name: str, failing: str
) -> None:
    from farmhand.scene.live import LiveScene
    from maya import cmds

    maya_stub.stub_open(_shared(name), batch=True)
    real_get = cmds.getAttr

    def get(plug: str, **kwargs):
        if _visible() == failing and plug.startswith("defaultResolution."):
            raise Boom(plug)
        return real_get(plug, **kwargs)

    monkeypatch.setattr(cmds, "getAttr", get)
    with pytest.raises(Boom):
        analyze_query(LiveScene())
    assert _visible() == VISIBLE_WHEN_SAVED[name]


def test_a_referenced_camera_counts_with_its_edits(maya_stub, tmp_path: Path) -> None:
    """A camera inside a reference exists in Maya with its edits applied (`ls -cameras`)."""
    from farmhand.scene.live import LiveScene

    cache = tmp_path / "sh010" / "camera.abc"
    cache.parent.mkdir()
    cache.write_bytes(b"Ogawa")  # the stub needs the file to load the reference
    path = tmp_path / "camera_in_reference.ma"
    text = _shared("camera_in_reference.ma").read_text(encoding="utf-8")
    path.write_text(text.replace("/show/sh010/camera.abc", cache.as_posix()), encoding="utf-8")
    maya_stub.stub_open(path, batch=True)
    live = analyze_query(LiveScene())
    master = live.scene_info_render["defaultRenderLayer"].common
    assert master.render_camera == ["cam:shotCam"]  # persp is off
    assert not [d for d in live.diagnostics if d.code == "no-renderable-camera"]
    assert as_offline(live.to_dict()) == analyze(path).to_dict()


STANDIN_SCENE = """//Maya ASCII 2025 scene
//Codeset: UTF-8
requires maya "2025";
requires -nodeType "aiStandIn" -nodeType "aiOptions" "mtoa" "5.4.0";
currentUnit -l centimeter -a degree -t film;
createNode transform -n "crowd";
createNode aiStandIn -n "crowdShape" -p "crowd";
\tsetAttr ".dso" -type "string" "/show/crowd/crowd.ass";
"""


def test_unknown_nodes_name_the_missing_plug_in(maya_stub, tmp_path: Path) -> None:
    """A plug-in that is not loaded: its nodes are `unknown`, their files cannot be read."""
    from farmhand.scene.live import LiveScene

    scene = tmp_path / "crowd.ma"
    scene.write_text(STANDIN_SCENE, encoding="utf-8")
    maya_stub.stub_open(scene, batch=True, missing_plugins=("mtoa",))
    live = analyze_query(LiveScene())
    assert not [d for d in live.asset if d.kind == "standin"]  # ls -exactType misses them
    (unknown,) = [d for d in live.diagnostics if d.code == "unknown-nodes"]
    assert unknown.severity == "warning" and unknown.node == "crowdShape"
    assert "mtoa" in unknown.message and "crowdShape (aiStandIn)" in unknown.message
    assert "load mtoa" in unknown.fix
    assert live.software_config["plugins"]["mtoa"] == "5.4.0"
    # With the plug-in loaded the stand-in's file is collected and nothing is unknown.
    maya_stub.stub_open(scene, batch=True)
    loaded = analyze_query(LiveScene())
    assert [d.path for d in loaded.asset if d.kind == "standin"] == ["/show/crowd/crowd.ass"]
    assert not [d for d in loaded.diagnostics if d.code == "unknown-nodes"]


@pytest.mark.parametrize(("option", "expected"), [(None, True), (0, False), (1, True)])
def test_the_artists_light_preference_is_read(maya_stub, option, expected) -> None:
    from farmhand.scene.live import LiveScene
    from maya import cmds

    maya_stub.stub_open(None, batch=True)
    if option is not None:
        cmds.optionVar(intValue=("renderSetup_includeAllLights", option))
    assert analyze_query(LiveScene()).render_setup_include_all_lights is expected
