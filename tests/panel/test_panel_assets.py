"""Assets and Checks: thousands of files stay fast; missing files are found, re-pathed, ignored."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

from clipping import clipped
from farmhand.panel.assets_model import MISSING
from farmhand.panel.host import REPATHED, sidecar_path
from farmhand.scene import analyze
from panel_support import (  # noqa: F401
    copy_shot,
    dark,
    isolated,
    open_panel,
    screenshot,
    timed,
    wait_for,
    write_many_textures,
)
from PySide6.QtCore import Qt


def visible_rows(page) -> list:
    """The dependency rows the filtered view shows."""
    proxy, rows = page.proxy, []
    for g in range(proxy.rowCount()):
        group = proxy.index(g, 0)
        for r in range(proxy.rowCount(group)):
            rows.append(page.model.row_at(proxy.mapToSource(proxy.index(r, 0, group))))
    return rows


def errors(panel) -> list:
    """The error diagnostics Checks lists."""
    return [d for d in panel.checks_page.diagnostics() if d.severity == "error"]


def test_five_thousand_assets_fill_and_filter_quickly(qtbot, isolated) -> None:  # noqa: F811
    scene = write_many_textures(isolated / "big", 5000, missing_every=5)
    expected = analyze(scene)
    panel = open_panel(qtbot, scene)
    page = panel.show_section("assets")
    fill, _ = timed(page.refresh)
    assert page.model.total() == len(expected.asset) == 5000
    assert fill < 2.0, f"filling 5,000 assets took {fill:.2f} s"

    took, _ = timed(lambda: page.search.setText("tex_01234"))
    assert [r.dep.node for r in visible_rows(page)] == ["tex01234"]
    assert took < 1.0, f"filtering took {took:.2f} s"
    page.search.setText("")
    took, _ = timed(lambda: page.status_filter.setCurrentText("Missing"))
    missing = {d.node for d in expected.asset if not d.exists}
    assert {r.dep.node for r in visible_rows(page)} == missing and len(missing) == 1000
    assert all(r.status == MISSING for r in visible_rows(page))
    assert took < 1.0, f"the status filter took {took:.2f} s"
    # Every missing texture is an error in Checks, and Submit stays off.
    assert len(errors(panel)) == 1000
    assert not panel.submit_button.isEnabled()
    # Typing a choice stays quick: the manifest of 4,000 files is checked once per analysis.
    took, _ = timed(lambda: panel.state.update(priority=70))
    assert took < 0.5, f"a choice change took {took:.2f} s"


def test_missing_texture_is_located_in_a_folder_and_its_error_clears(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    scene = copy_shot(isolated)
    before = scene.read_bytes()
    library = isolated / "library" / "posters"
    library.mkdir(parents=True)
    (library / "poster_v002.png").write_bytes(b"the poster, moved")
    (isolated / "library" / "other.png").write_bytes(b"not it")
    panel = open_panel(qtbot, scene)

    [error] = errors(panel)
    assert (error.code, error.node) == ("missing-texture", "poster_FILE")
    assert not panel.submit_button.isEnabled()
    page = panel.show_section("assets")
    page.locate_in(isolated / "library")
    wait_for(qtbot, lambda: page.suggestions)
    [found] = page.suggestions
    assert (found.node, found.new_path) == ("poster_FILE", str(library / "poster_v002.png"))
    assert page.banner.isVisible() and "Found 1 of 1" in page.banner_text.text()
    page.banner_apply.click()

    assert errors(panel) == []
    notices = [d for d in panel.checks_page.diagnostics() if d.code == REPATHED]
    assert [d.node for d in notices] == ["poster_FILE"]
    assert panel.submit_button.isEnabled()
    # The job ships the new file where the scene looks for it; the .ma is untouched.
    spec = panel.state.preview().spec
    expected_at = f"{(scene.parent.parent / 'sourceimages/decals/poster_v002.png').as_posix()}"
    entry = next(e for e in spec["manifest"] if e["path"] == expected_at)
    assert entry["size"] == len(b"the poster, moved")
    assert scene.read_bytes() == before
    # The re-path is remembered beside the scene and applies when the panel opens again.
    stored = json.loads(sidecar_path(scene).read_text())
    assert stored["repaths"][0]["new_path"] == str(library / "poster_v002.png")
    panel.close()
    again = open_panel(qtbot, scene)
    assert errors(again) == []


def test_repath_to_a_missing_file_is_refused_with_a_reason(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("assets")
    dep = next(d for d in panel.state.analysis.asset if not d.exists)
    assert not page.repath(dep, str(isolated / "nowhere.png"))
    assert "does not exist" in page.banner_text.text()
    assert [e.node for e in errors(panel)] == ["poster_FILE"]


def test_ignoring_a_missing_file_unblocks_and_restoring_blocks_again(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("assets")
    assert page.select_dependency("poster_FILE")
    assert page.ignore_button.isEnabled() and page.ignore_button.text().startswith("Ignore")
    page.ignore_button.click()
    assert errors(panel) == []
    assert panel.submit_button.isEnabled()
    assert "ignored-for-submission" in [d.code for d in panel.checks_page.diagnostics()]
    page.status_filter.setCurrentText("Ignored")
    assert [r.dep.node for r in visible_rows(page)] == ["poster_FILE"]
    assert page.select_dependency("poster_FILE")
    assert page.ignore_button.text() == "Restore"
    page.ignore_button.click()
    assert [e.node for e in errors(panel)] == ["poster_FILE"]


def test_clicking_a_check_or_an_asset_selects_its_node(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, copy_shot(isolated))
    checks = panel.show_section("checks")
    item = checks.tree.topLevelItem(0).child(0)
    rect = checks.tree.visualItemRect(item)
    qtbot.mouseClick(checks.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.host.selected == ["poster_FILE"]
    checks.asset_button.click()
    assert panel.current_section() == "assets"
    assert [d.node for d in panel.assets_page.selected()] == ["poster_FILE"]
    panel.assets_page.select_button.click()
    assert panel.host.selected == ["poster_FILE", "poster_FILE"]


def test_a_search_path_finds_moved_files(qtbot, isolated, scenes_dir: Path) -> None:  # noqa: F811
    import shutil

    shutil.copytree(scenes_dir / "moved_texture", isolated / "moved")
    panel = open_panel(qtbot, isolated / "moved" / "scene.ma")
    assert [e.code for e in errors(panel)] == ["missing-texture"]
    panel.state.update(search_paths=[str(isolated / "moved" / "library")])
    assert errors(panel) == []
    assert [d.code for d in panel.checks_page.diagnostics()] == ["file-found-elsewhere"]


def test_six_hundred_missing_textures_are_three_folder_groups_with_locate_and_ignore(
    qtbot,
    isolated,  # noqa: F811
    tmp_path: Path,
) -> None:
    scene = write_many_textures(isolated / "big", 600, missing_every=1, folders=3)
    library = isolated / "moved" / "set01"
    library.mkdir(parents=True)
    for i in range(1, 600, 3):
        (library / f"tex_{i:05d}.png").write_bytes(b"moved")
    panel = open_panel(qtbot, scene)
    checks = panel.show_section("checks")
    groups = checks.folder_groups()
    assert [(g.folder, len(g.diagnostics)) for g in groups] == [
        ("sourceimages/set00", 200), ("sourceimages/set01", 200), ("sourceimages/set02", 200)
    ]  # fmt: skip
    errors_row = checks.tree.topLevelItem(0)
    assert errors_row.childCount() == 3 and len(errors(panel)) == 600
    assert checks.tree.currentItem() is errors_row.child(0)
    assert not errors_row.child(0).isExpanded()  # 200 rows each, folded under the folder
    assert checks.detail_title.text() == "200 missing files in sourceimages/set00"
    assert checks.ignore_group_button.isVisible() and not checks.select_button.isVisible()
    panel.resize(460, 900)  # Maya's dock: the groups and their buttons are not cut
    wait_for(qtbot, lambda: panel.compact)
    qtbot.wait(150)
    assert clipped(panel) == []
    screenshot(panel, "panel-checks-missing-460", tmp_path)

    # Locate for one group searches for its files only, and re-paths them all at once.
    assert checks.select_group("sourceimages/set01")
    checks.locate_group_in(isolated / "moved")
    page = panel.assets_page
    assert panel.current_section() == "assets"
    wait_for(qtbot, lambda: page.suggestions)
    assert "Found 200 of 200" in page.banner_text.text()
    page.banner_apply.click()
    assert [g.folder for g in checks.folder_groups()] == [
        "sourceimages/set00", "sourceimages/set02"
    ]  # fmt: skip

    # Ignore for one group leaves its 200 files out in one go: one folded notice group.
    assert checks.select_group("sourceimages/set00")
    assert checks.ignore_group_button.text() == "Ignore 200 files"
    checks.ignore_group_button.click()
    assert len(errors(panel)) == 200
    left_out = [g for g in checks.folder_groups() if g.left_out]
    assert [(g.folder, len(g.diagnostics)) for g in left_out] == [("sourceimages/set00", 200)]
    assert checks.select_group("sourceimages/set00")
    assert checks.ignore_group_button.text() == "Restore 200 files"
    checks.ignore_group_button.click()
    assert len(errors(panel)) == 400


def test_ignoring_a_reference_is_a_warning_and_a_texture_a_notice(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    scene = isolated / "shot.ma"
    scene.write_text(
        "//Maya ASCII 2025ff03 scene\n//Codeset: UTF-8\n"
        'file -rdi 1 -ns "set" -rfn "setRN" -typ "mayaAscii" "gone/set.ma";\n'
        'file -r -ns "set" -dr 1 -rfn "setRN" -typ "mayaAscii" "gone/set.ma";\n'
        'createNode file -n "wood";\n\tsetAttr ".ftn" -type "string" "gone/wood.png";\n'
        "// End of shot.ma\n",
        encoding="utf-8",
    )
    panel = open_panel(qtbot, scene)
    missing = [d for d in panel.state.raw.asset if not d.exists]
    assert sorted(d.kind for d in missing) == ["reference", "texture"]
    panel.state.set_ignored_many(missing, True)
    left = {d.node: d.severity for d in panel.checks_page.diagnostics()
            if d.code == "ignored-for-submission"}  # fmt: skip
    assert left == {"setRN": "warning", "wood": "notice"}


def test_asset_paths_at_460_px_are_cut_in_the_middle_with_no_sideways_scroll(
    qtbot,
    isolated,  # noqa: F811
) -> None:
    panel = open_panel(qtbot, copy_shot(isolated), size=(460, 900))
    wait_for(qtbot, lambda: panel.compact)
    page = panel.show_section("assets")
    qtbot.wait(100)
    view, header = page.view, page.view.header()
    assert not view.horizontalScrollBar().isVisible()
    assert [view.isColumnHidden(c) for c in range(5)] == [False, False, True, True, True]
    assert header.sectionSize(0) + header.sectionSize(1) <= view.viewport().width()
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    longest = max((r for g in page.model.groups for r in g.rows), key=lambda r: len(r.dep.path))
    width = view.fontMetrics().horizontalAdvance(longest.dep.path)
    assert width > header.sectionSize(0)  # it is cut (in the middle), so the tooltip matters
    for g, group in enumerate(page.model.groups):
        for r, row in enumerate(group.rows):
            tip = page.model.index(r, 0, page.model.index(g, 0)).data(Qt.ItemDataRole.ToolTipRole)
            assert f"written: {row.dep.path}" in tip
    panel.resize(1100, 760)
    wait_for(qtbot, lambda: not panel.compact)
    assert not any(view.isColumnHidden(c) for c in range(5))
    assert view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
