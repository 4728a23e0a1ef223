"""The panel on real scenes: it shows the layers, cameras, assets and checks the analysis found."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from farmhand.panel.host import fallback_path, sidecar_path
from farmhand.panel.scene_page import ROLE_CAMERA, ROLE_LAYER
from farmhand.scene import SceneError, analyze
from farmhand.spec.frames import format_frames, parse_frames
from panel_support import (  # noqa: F401
    copy_shot,
    dark,
    dispose_panel,
    isolated,
    iter_corpus,
    open_panel,
    wait_for,
)
from PySide6.QtCore import Qt


def shown_layers(panel) -> dict[str, list[str]]:
    """Layer → cameras as the Scene section lists them."""
    tree = panel.scene_page.layers
    layers = {}
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        cameras = [item.child(j).data(0, ROLE_CAMERA) for j in range(item.childCount())]
        layers[item.data(0, ROLE_LAYER)] = [c for c in cameras if c]
    return layers


def checked_layers(panel) -> list[str]:
    """The layers ticked in the Scene section."""
    tree = panel.scene_page.layers
    return [tree.topLevelItem(i).data(0, ROLE_LAYER) for i in range(tree.topLevelItemCount())
            if tree.topLevelItem(i).checkState(0) == Qt.CheckState.Checked]  # fmt: skip


def shown_assets(panel) -> list[tuple[str, str, str]]:
    """(node, attribute, path) of every dependency Assets lists."""
    model = panel.assets_page.model
    return sorted((r.dep.node, r.dep.attribute, r.dep.path) for g in model.groups for r in g.rows)


def test_corpus_scenes_show_what_the_analysis_found(qtbot, isolated, corpus_dir: Path) -> None:  # noqa: F811
    compared = unreadable = 0
    for scene in iter_corpus(corpus_dir):
        try:
            expected = analyze(scene)
        except SceneError as exc:
            panel = open_panel(qtbot, scene, keep=False)
            assert panel.state.analysis is None
            assert str(exc) in [d.message for d in panel.checks_page.diagnostics()]
            assert not panel.submit_button.isEnabled()
            dispose_panel(panel)
            unreadable += 1
            continue
        panel = open_panel(qtbot, scene, keep=False)
        cameras = {
            name: list(dict.fromkeys([*layer.common.render_camera, *layer.common.all_camera]))
            for name, layer in expected.scene_info_render.items()
        }
        assert shown_layers(panel) == cameras, scene
        renderable = [n for n, layer in expected.scene_info_render.items() if layer.renderable]
        assert checked_layers(panel) == renderable, scene
        assert shown_assets(panel) == sorted(
            (d.node, d.attribute, d.path) for d in expected.asset
        ), scene
        listed = [(d.severity, d.code, d.message) for d in panel.checks_page.diagnostics()]
        order = {"error": 0, "warning": 1, "notice": 2}
        want = sorted(((d.severity, d.code, d.message) for d in expected.diagnostics),
                      key=lambda x: order[x[0]])  # fmt: skip
        assert listed == want, scene
        if expected.blocking:
            assert not panel.submit_button.isEnabled(), scene
        dispose_panel(panel)
        # The corpus is read-only: choices went to the user's config dir, not beside the scene.
        assert not sidecar_path(scene.absolute()).exists()
        assert fallback_path(scene.absolute()).is_file()
        compared += 1
    assert compared >= 20, f"only {compared} corpus scenes compared ({unreadable} unreadable)"


def test_example_shot_layers_cameras_settings_and_software(qtbot, isolated, dark) -> None:  # noqa: F811
    scene = copy_shot(isolated)
    expected = analyze(scene)
    panel = open_panel(qtbot, scene)
    assert panel.title.text() == scene.name
    layers = shown_layers(panel)
    assert list(layers) == list(expected.scene_info_render)
    # The selected layer's Arnold sampling is shown with each ray type named.
    tree = panel.scene_page.layers
    beauty = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                  if tree.topLevelItem(i).data(0, ROLE_LAYER) == "rs_beauty")  # fmt: skip
    tree.setCurrentItem(beauty)
    labels = [w.text() for w in panel.scene_page.settings_box.findChildren(type(panel.title))]
    option = expected.scene_info_render["rs_beauty"].option
    sampling = next(t for t in labels if t.startswith("Camera (AA)"))
    assert sampling.startswith(f"Camera (AA) {option.sampling[0]}, Diffuse {option.sampling[1]}")
    common = expected.scene_info_render["rs_beauty"].common
    assert f"{common.width} × {common.height} {common.image_format}" in labels
    plugins = expected.software_config["plugins"]
    software = [w.text() for w in panel.scene_page.software_box.findChildren(type(panel.title))]
    assert any(all(f"{k} {v}" in text for k, v in plugins.items()) for text in software)
    # Unticking a layer drops it from the job; its cameras drop out with it.
    beauty.setCheckState(0, Qt.CheckState.Unchecked)
    spec = panel.state.preview().spec
    assert [layer["name"] for layer in spec["layers"]] == ["rs_char"]
    char_frames = format_frames(parse_frames(expected.scene_info_render["rs_char"].common.frames))
    assert format_frames(parse_frames(spec["layers"][0]["frames"])) == char_frames
    wait_for(qtbot, lambda: panel.job_page.frames.placeholderText() == char_frames)


NO_CAMERA_SCENE = """//Maya ASCII 2025ff03 scene
//Codeset: UTF-8
currentUnit -l centimeter -a degree -t film;
createNode transform -s -n "persp";
createNode camera -s -n "perspShape" -p "persp";
\tsetAttr ".rnd" no;
createNode transform -n "hero";
createNode camera -n "heroShape" -p "hero";
\tsetAttr ".rnd" no;
select -ne :defaultRenderGlobals;
\tsetAttr ".ren" -type "string" "arnold";
// End of nocam.ma
"""


def test_ticking_a_camera_clears_no_renderable_camera_offline(qtbot, isolated) -> None:  # noqa: F811
    scene = isolated / "nocam.ma"
    scene.write_text(NO_CAMERA_SCENE, encoding="utf-8")
    panel = open_panel(qtbot, scene)
    codes = lambda: [d.code for d in panel.checks_page.diagnostics()]  # noqa: E731
    assert "no-renderable-camera" in codes()
    assert not panel.submit_button.isEnabled()
    tree = panel.scene_page.layers
    layer = tree.topLevelItem(0)
    layer.setExpanded(True)
    hero = next(layer.child(j) for j in range(layer.childCount())
                if layer.child(j).data(0, ROLE_CAMERA) == "hero")  # fmt: skip
    hero.setCheckState(0, Qt.CheckState.Checked)
    assert "no-renderable-camera" not in codes()
    assert panel.submit_button.isEnabled()
    assert tree.topLevelItem(0) is layer  # the tree was not rebuilt under the tick
    spec = panel.state.preview().spec
    assert spec["layers"][0]["cameras"] == ["hero"]
    assert panel.host.scene_path().read_text(encoding="utf-8") == NO_CAMERA_SCENE
    # Unticking it again: the layer has no camera to render, and the error is back.
    hero.setCheckState(0, Qt.CheckState.Unchecked)
    assert "no-renderable-camera" in codes()
    assert not panel.submit_button.isEnabled()
