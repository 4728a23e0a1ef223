"""Job settings: the JobSpec preview names each problem's field; presets fill the settings;
choices persist with the scene and defaults with the user."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

from farmhand.panel.choices import PanelChoices
from farmhand.panel.host import sidecar_path
from farmhand.panel.prefs import prefs_path
from farmhand.panel.scene_page import ROLE_CAMERA
from farmhand.spec.frames import parse_frames
from farmhand.spec.tiles import tile_rects
from farmhand.submit.pipeline import build_spec
from panel_support import copy_shot, isolated, open_panel, wait_for  # noqa: F401
from PySide6.QtCore import Qt


def shot(isolated_dir: Path) -> Path:
    """The example shot with its missing poster put back, so nothing blocks."""
    scene = copy_shot(isolated_dir)
    poster = scene.parent.parent / "sourceimages" / "decals" / "poster_v002.png"
    poster.parent.mkdir(parents=True)
    poster.write_bytes(b"poster")
    return scene


def type_into(qtbot, edit, text: str) -> None:
    """Replace a line edit's text the way a person does (textEdited fires)."""
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def problems_shown(page) -> str:
    """The problems the Job section shows (empty when hidden)."""
    return page.problems.text() if page.problems.isVisible() else ""


def test_bad_frames_are_named_marked_and_block_submit(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    assert panel.submit_button.isEnabled()
    type_into(qtbot, page.frames, "1-x")
    wait_for(qtbot, lambda: "frames: '1-x' is not a frame" in problems_shown(page))
    assert page.frames.property("invalid") == "true"
    assert "frames:" in page.frames.toolTip()
    assert not panel.submit_button.isEnabled()
    type_into(qtbot, page.frames, "1-10")
    wait_for(qtbot, lambda: problems_shown(page) == "")
    assert page.frames.property("invalid") == "false"
    layers = panel.state.preview().spec["layers"]
    assert [layer["frames"] for layer in layers] == ["1-10", "1-10"]  # beauty and char
    wait_for(qtbot, lambda: page.estimate.text() == "20 tasks · 20 frames · 2 layers")
    assert panel.submit_button.isEnabled()


def test_test_frames_outside_the_job_and_stop_without_tests_are_named(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    type_into(qtbot, page.test_custom, "12, 999")
    wait_for(qtbot, lambda: "test_frames.custom" in problems_shown(page))
    assert "999" in problems_shown(page)
    assert page.test_custom.property("invalid") == "true"
    type_into(qtbot, page.test_custom, "12, x")
    wait_for(qtbot, lambda: "'x' is not a frame number" in problems_shown(page))
    type_into(qtbot, page.test_custom, "")
    page.stop_after_test.setChecked(True)
    wait_for(qtbot, lambda: "stop_after_test: needs test_frames" in problems_shown(page))
    page.test_first.setChecked(True)
    page.test_last.setChecked(True)
    wait_for(qtbot, lambda: problems_shown(page) == "")
    spec = panel.state.preview().spec
    assert spec["test_frames"] == {"first": True, "middle": False, "last": True, "custom": []}
    assert spec["stop_after_test"] is True


def test_tiles_replace_frames_per_task_and_the_task_count_follows(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    page.by_tiles.setChecked(True)
    page.tiles.setValue(6)
    page.tiles_type.setCurrentIndex(page.tiles_type.findData("block"))
    spec = panel.state.preview().spec
    assert (spec["tiles"], spec["tiles_type"]) == (6, "block")
    assert "frames_per_task" not in spec
    frames = tasks = 0
    for layer in spec["layers"]:  # each layer's frames, each cut in its own size's tiles
        count = len(parse_frames(layer["frames"]))
        frames += count
        tasks += count * (len(tile_rects(layer["width"], layer["height"], 6, "block")) + 1)
    expected = f"{tasks} tasks · {frames} frames · 2 layers"
    wait_for(qtbot, lambda: page.estimate.text() == expected)
    page.by_frames.setChecked(True)
    page.fpt.setValue(5)
    spec = panel.state.preview().spec
    assert spec["frames_per_task"] == 5 and "tiles" not in spec


def test_a_preset_fills_the_settings_and_its_other_fields_reach_the_spec(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    studio = isolated / "studio-presets"
    studio.mkdir()
    (studio / "heavy.json").write_text(json.dumps({
        "description": "big frames", "priority": 80, "frames_per_task": 4, "time_out": 7200,
        "hardware": {"ram_gb": 64}, "test_frames": {"first": True},
    }))  # fmt: skip
    (studio / "broken.json").write_text('{"priority": "high"}')
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    names = [page.preset.itemData(i) for i in range(page.preset.count())]
    assert names == ["", "heavy"]  # the broken one is listed under Presets with its problem
    assert any("priority" in p for p in panel.state.presets.problems)
    page.preset.setCurrentIndex(names.index("heavy"))
    assert page.priority.value() == 80 and page.fpt.value() == 4
    assert page.hw_custom.isChecked() and page.ram.value() == 64
    assert page.test_first.isChecked()
    spec = panel.state.preview().spec
    assert (spec["priority"], spec["frames_per_task"], spec["time_out"]) == (80, 4, 7200)
    assert spec["hardware"] == {"ram_gb": 64.0}
    page.priority.setValue(30)  # what the artist changes wins over the preset
    assert panel.state.preview().spec["priority"] == 30


def test_choices_persist_across_reopening(qtbot, isolated) -> None:  # noqa: F811
    scene = shot(isolated)
    panel = open_panel(qtbot, scene)
    page = panel.show_section("job")
    type_into(qtbot, page.frames, "1-12")
    page.priority.setValue(77)
    page.test_middle.setChecked(True)
    tree = panel.scene_page.layers
    tree.topLevelItem(1).setCheckState(0, Qt.CheckState.Unchecked)  # rs_beauty off
    char = tree.topLevelItem(2)
    char.child(1).setCheckState(0, Qt.CheckState.Checked)  # persp on for rs_char
    before = panel.state.preview().spec
    panel.close()
    saved = json.loads(sidecar_path(scene).read_text())["choices"]
    assert saved["priority"] == 77 and saved["layers"] == ["rs_char"]

    again = open_panel(qtbot, scene)
    page = again.job_page
    assert page.frames.text() == "1-12"
    assert page.priority.value() == 77 and page.test_middle.isChecked()
    tree = again.scene_page.layers
    assert tree.topLevelItem(1).checkState(0) == Qt.CheckState.Unchecked
    assert tree.topLevelItem(2).child(1).checkState(0) == Qt.CheckState.Checked
    after = again.state.preview().spec
    assert after == before
    assert [(g["name"], g["cameras"], g.get("pick_cameras")) for g in after["layers"]] == [
        ("rs_char", ["shotCam", "persp"], True)
    ]


def test_camera_picks_saved_by_shape_name_still_load(qtbot, isolated) -> None:  # noqa: F811
    """Choices saved when cameras were named by their shape (`perspShape`) tick the same
    cameras, now named by transform, and reach the layer they were picked on only."""
    scene = shot(isolated)
    old = {"cameras": {"rs_char": ["perspShape", "shotCamShape"], "rs_gone": ["topShape"]}}
    sidecar_path(scene).write_text(json.dumps({"choices": old}))
    panel = open_panel(qtbot, scene)
    tree = panel.scene_page.layers
    char = tree.topLevelItem(2)
    ticked = [char.child(j).data(0, ROLE_CAMERA) for j in range(char.childCount())
              if char.child(j).checkState(0) == Qt.CheckState.Checked]  # fmt: skip
    assert ticked == ["shotCam", "persp"]
    layers = {g["name"]: g for g in panel.state.preview().spec["layers"]}
    assert layers["rs_char"]["cameras"] == ["shotCam", "persp"]
    assert layers["rs_char"]["pick_cameras"] is True
    assert layers["rs_beauty"]["cameras"] == ["shotCam"]  # no pick there: its own cameras
    assert "pick_cameras" not in layers["rs_beauty"]
    outputs = [o["camera"] for o in layers["rs_char"]["outputs"]]
    assert outputs == ["shotCam", "persp"]


def test_a_layer_with_every_camera_unticked_is_named(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    char = panel.scene_page.layers.topLevelItem(2)
    char.child(0).setCheckState(0, Qt.CheckState.Unchecked)  # shotCam, its only one, off
    wait_for(qtbot, lambda: "choose at least one camera to render in layer char"
             in problems_shown(page))  # fmt: skip
    assert not panel.submit_button.isEnabled()


def test_my_defaults_apply_to_a_new_scene(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    page.priority.setValue(65)
    page.fpt.setValue(3)
    page.defaults_button.click()
    assert json.loads(prefs_path().read_text())["defaults"]["priority"] == 65
    other_dir = isolated / "other"
    other_dir.mkdir()
    other = shot(other_dir)
    fresh = open_panel(qtbot, other)
    assert (fresh.job_page.priority.value(), fresh.job_page.fpt.value()) == (65, 3)
    assert fresh.job_page.frames.text() == ""  # scene-specific choices are not defaults


def test_saved_choices_that_are_damaged_fall_back_to_defaults(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    scene = shot(isolated)
    sidecar_path(scene).write_text(json.dumps({"choices": {"priority": "urgent", "tiles": 8,
                                                           "split": "sideways"}}))  # fmt: skip
    panel = open_panel(qtbot, scene)
    assert panel.state.choices.priority == PanelChoices().priority
    assert panel.state.choices.split == "frames" and panel.state.choices.tiles == 8
    # The preview is what build_spec makes of these choices, with zero hashes.
    choices, _ = panel.state.submission()
    preview = panel.state.preview()
    spec = build_spec(panel.state.analysis, preview.spec["manifest"],
                      preview.spec["scene"]["blob"], choices)  # fmt: skip
    assert spec == preview.spec


def test_software_versions_for_the_workers_can_be_changed(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, shot(isolated))
    page = panel.show_section("job")
    scene_software = panel.state.analysis.software_config
    assert panel.state.preview().spec["software"]["cg_version"] == scene_software["cg_version"]
    type_into(qtbot, page.cg_version, "2026")
    row = next(
        r for r in range(page.plugins.rowCount()) if page.plugins.item(r, 0).text() == "mtoa"
    )
    page.plugins.item(row, 1).setText("5.5.0")
    software = panel.state.preview().spec["software"]
    assert software["cg_version"] == "2026"
    assert software["plugins"] == {**scene_software["plugins"], "mtoa": "5.5.0"}
    assert panel.state.choices.plugins == {"mtoa": "5.5.0"}


def test_a_slim_dock_gets_the_compact_layout(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, shot(isolated))
    panel.show_section("job")
    assert not panel.compact and panel.sections.item(0).text() == "Scene"
    panel.resize(520, 720)
    wait_for(qtbot, lambda: panel.compact)
    assert panel.sections.width() == 48
    assert [panel.sections.item(i).text() for i in range(panel.sections.count())] == [""] * 7
    assert panel.sections.item(0).toolTip() == "Scene"
    assert panel.job_page.splitter.orientation() == Qt.Orientation.Vertical
    assert panel.scene_page.compact
    panel.resize(1100, 760)
    wait_for(qtbot, lambda: not panel.compact)
    assert panel.sections.item(0).text() == "Scene"
    assert panel.job_page.splitter.orientation() == Qt.Orientation.Horizontal
