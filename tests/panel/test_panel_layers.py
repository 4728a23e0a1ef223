"""A multi-layer, multi-camera scene in the panel: the Scene section shows each layer's
renderer, frames, size and cameras and the files each will write; the Job section shows the
per-layer plan of the shared planner and warns when no online node has the scene's Maya."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from pathlib import Path

from farmhand.panel.scene_page import ROLE_CAMERA, ROLE_LAYER
from farmhand.spec import plan
from panel_support import REPO, RenderNode, dark, isolated, open_panel, wait_for  # noqa: F401
from PySide6.QtCore import Qt

LAYERS_SCENE = REPO / "tests" / "scenes" / "layers_and_cameras.ma"


def layers_scene(root: Path, renderer: str | None = None) -> Path:
    """The multi-layer scene copied under `root`; `renderer` replaces bg's override."""
    target = root / "layers_and_cameras.ma"
    shutil.copy(LAYERS_SCENE, target)
    if renderer:
        text = target.read_text(encoding="utf-8").replace('"mayaSoftware"', f'"{renderer}"')
        target.write_text(text, encoding="utf-8")
    return target


def layer_item(panel, name: str):
    """The Scene section's row of one layer."""
    tree = panel.scene_page.layers
    return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).data(0, ROLE_LAYER) == name)  # fmt: skip


def written(panel) -> str:
    """What the Scene section says will be written, once it is up to date."""
    page = panel.scene_page
    page.show_written()
    return page.written.plain_text()


def test_scene_shows_each_layers_settings_and_the_files_it_writes(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, layers_scene(isolated))
    rows = {}
    for name in ("defaultRenderLayer", "rs_fg", "rs_bg"):
        item = layer_item(panel, name)
        rows[name] = [item.text(c) for c in range(1, 4)]
        cameras = [item.child(j).data(0, ROLE_CAMERA) for j in range(item.childCount())]
        ticked = [item.child(j).data(0, ROLE_CAMERA) for j in range(item.childCount())
                  if item.child(j).checkState(0) == Qt.CheckState.Checked]  # fmt: skip
        assert cameras == ["persp", "hero", "top", "front", "side"]  # transforms, not shapes
        assert ticked == ["persp", "hero"]  # the renderable ones
    assert rows == {
        "defaultRenderLayer": ["arnold", "1-2", "64 × 36"],
        "rs_fg": ["arnold", "1-4", "64 × 36"],
        "rs_bg": ["mayaSoftware", "1-2", "80 × 36"],
    }
    assert panel.scene_page.written.base.text().endswith(str(isolated))
    assert written(panel).splitlines() == [
        "masterLayer  frame 1 of 1-2",
        "images/masterLayer/persp/layers_and_cameras.001.png",
        "images/masterLayer/hero/layers_and_cameras.001.png",
        "fg  frame 1 of 1-4",
        "images/fg/persp/layers_and_cameras.001.png",
        "images/fg/hero/layers_and_cameras.001.png",
        "bg  frame 1 of 1-2",
        "images/bg/persp/layers_and_cameras.001.png",
        "images/bg/hero/layers_and_cameras.001.png",
    ]
    # Narrowing fg to one camera and the frames to 3-4: fg writes persp's file of frame 3
    # (the camera folder stays: the prefix follows the renderable cameras).
    layer_item(panel, "rs_fg").child(1).setCheckState(0, Qt.CheckState.Unchecked)
    layer_item(panel, "defaultRenderLayer").setCheckState(0, Qt.CheckState.Unchecked)
    panel.state.update(frames="2-3")
    assert written(panel).splitlines() == [
        "fg  frame 2 of 2-3",
        "images/fg/persp/layers_and_cameras.002.png",
        "bg  frame 2 of 2-3",
        "images/bg/persp/layers_and_cameras.002.png",
        "images/bg/hero/layers_and_cameras.002.png",
    ]


def test_a_layer_whose_files_are_not_predicted_says_why(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, layers_scene(isolated, renderer="redshift"))
    assert layer_item(panel, "rs_bg").text(1) == "redshift"
    lines = written(panel).splitlines()
    bg = lines.index("bg  frame 1 of 1-2")
    note = panel.state.analysis.scene_info_render["rs_bg"].outputs.note
    assert note.startswith("redshift names its files by its own settings")
    assert lines[bg + 1 :] == [note]


def test_job_shows_the_plan_of_each_layer_as_the_server_cuts_it(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, layers_scene(isolated))
    page = panel.show_section("job")
    page.fpt.setValue(3)
    page.test_last.setChecked(True)
    wait_for(qtbot, lambda: page.last_preview.spec.get("frames_per_task") == 3
             and page.last_preview.spec.get("test_frames"))  # fmt: skip
    spec = page.last_preview.spec
    made = plan.plan_job(spec)  # what the server will insert
    per_layer = [sum(t.layer == g.index for t in made.tasks) for g in made.groups]
    assert per_layer == [2, 2, 2]  # 1-2: test 2 + 1; 1-4: test 4 + 1-3; 1-2: test 2 + 1
    assert [(r.name, r.tasks, r.renderer, r.frames, r.size, r.cameras) for r in page.plan.rows] == [
        ("masterLayer", 2, "arnold", "1-2", "64 × 36", ["persp", "hero"]),
        ("fg", 2, "arnold", "1-4", "64 × 36", ["persp", "hero"]),
        ("bg", 2, "mayaSoftware", "1-2", "80 × 36", ["persp", "hero"]),
    ]
    assert page.plan.total.text() == f"{len(made.tasks)} tasks · 8 frames · 3 layers"
    text = page.plan.plain_text()
    assert "bg  2 tasks" in text and "mayaSoftware · frames 1-2 · 80 × 36 · persp, hero" in text
    # A camera picked on one layer is that layer's only.
    layer_item(panel, "rs_bg").child(0).setCheckState(0, Qt.CheckState.Unchecked)
    wait_for(qtbot, lambda: page.plan.rows and page.plan.rows[2].cameras == ["hero"])
    assert page.plan.rows[2].picked and "hero (picked)" in page.plan.plain_text()
    assert page.plan.rows[1].cameras == ["persp", "hero"] and not page.plan.rows[1].picked


def test_job_warns_when_no_online_node_has_the_scenes_maya(qtbot, farm, isolated) -> None:  # noqa: F811
    server, token = farm
    panel = open_panel(qtbot, layers_scene(isolated))
    page = panel.show_section("job")
    assert not page.plan.warning.isVisible()  # not logged in: nothing asked
    form = panel.show_section("submit").login_form
    form.server.setText(server.base.removesuffix("/api/v1"))
    form.token.setText(token)
    form.connect_button.click()
    wait_for(qtbot, lambda: panel.state.farm_loads >= 1)
    panel.show_section("job")
    wait_for(qtbot, lambda: "no render node is online" in page.plan.warning.text())
    assert "Maya" in page.plan.warning.text() and page.plan.warning.isVisible()
    software = page.last_preview.spec["software"]
    RenderNode(server, {**software, "cg_version": "2024"})  # 2024 ≥ the scene's 2023
    panel.show_section("scene")
    panel.show_section("job")  # shown again: asked again
    wait_for(qtbot, lambda: not page.plan.warning.isVisible())
    page.cg_version.setText("2026")
    page.cg_version.textEdited.emit("2026")
    wait_for(qtbot, lambda: "2026" in page.plan.warning.text())
    assert "Maya 2024 on 1 worker" in page.plan.warning.text()


def test_scene_and_job_fit_a_460_pixel_dock(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, layers_scene(isolated), size=(460, 900))
    wait_for(qtbot, lambda: panel.compact)
    assert panel.width() == 460
    scene = panel.show_section("scene")
    wait_for(qtbot, lambda: scene.written.plain_text())
    qtbot.wait(50)
    assert scene.scroll.horizontalScrollBar().maximum() == 0, "the Scene section scrolls sideways"
    assert scene.layers.isColumnHidden(4)  # the format: the file names show it
    assert scene.layers.header().sectionSize(0) >= scene.layers.fontMetrics().horizontalAdvance(
        "masterLayer"
    )
    job = panel.show_section("job")
    qtbot.wait(50)
    assert job.form_scroll.horizontalScrollBar().maximum() == 0, "the Job form scrolls sideways"
    assert job.plan.isVisible() and job.plan.width() <= 460
