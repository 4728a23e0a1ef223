"""The presets editor: invalid presets are refused with the field named; valid ones are saved
where asked and become available to the Job section at once."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json

from farmhand.spec.presets import load
from panel_support import copy_shot, isolated, open_panel  # noqa: F401


def edit(page, name: str, fields: str, description: str = "") -> None:
    """Start a new preset in the editor with this name, fields and description."""
    page.new_preset()
    page.name.setText(name)
    page.description.setText(description)
    page.editor.setPlainText(fields)


def test_an_invalid_preset_is_refused_with_the_field_named(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("presets")
    user_folder = isolated / "config" / "farmhand" / "presets"
    cases = {
        '{"priority": 500}': "priority: must be at most 100",
        '{"tiles": 4, "frames_per_task": 2}': "tiles: must not be combined with frames_per_task",
        '{"hardware": {"ram": 64}}': "hardware.ram: unknown field",
        '{"priority": 5,}': "(JSON):",
        "[1, 2]": "(preset): the fields must be a JSON object",
    }
    for fields, named in cases.items():
        edit(page, "heavy", fields)
        assert page.save() is None, fields
        assert named in page.problems.text(), (fields, page.problems.text())
        assert page.problems.property("role") == "error"
    edit(page, "no spaces allowed", '{"priority": 60}')
    assert page.save() is None
    assert "name:" in page.problems.text()
    assert not user_folder.exists() or not list(user_folder.glob("*.json"))


def test_a_valid_preset_is_saved_and_offered_in_the_job_section(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("presets")
    edit(page, "nightly", "{}", "Overnight, low priority")
    page.insert_field("priority")
    page.insert_field("hardware")
    fields = json.loads(page.editor.toPlainText())
    assert set(fields) == {"priority", "hardware"}
    fields["priority"] = 10
    page.editor.setPlainText(json.dumps(fields))
    studio = isolated / "studio-presets"
    panel.state.is_admin = True  # the farm said so: studio folders are writable
    page.refresh()
    page.folder.setCurrentIndex(page.folder.findData(str(studio)))
    path = page.save()
    assert path == studio / "nightly.json"
    stored = load(path, "studio")
    assert stored.fields["priority"] == 10 and stored.description == "Overnight, low priority"
    assert "Saved" in page.problems.text()
    listed = [page.list.item(i).text().split("\n")[0] for i in range(page.list.count())]
    assert listed == ["nightly"]
    combo = panel.job_page.preset
    names = [combo.itemData(i) for i in range(combo.count())]
    assert "nightly" in names
    combo.setCurrentIndex(names.index("nightly"))
    assert panel.state.preview().spec["priority"] == 10
    # Opening it again in the editor shows what was saved.
    page.list.setCurrentRow(0)
    assert json.loads(page.editor.toPlainText())["priority"] == 10
    assert page.name.text() == "nightly"


def test_an_overwrite_is_refused_without_confirmation(qtbot, isolated) -> None:  # noqa: F811
    user_folder = isolated / "config" / "farmhand" / "presets"
    user_folder.mkdir(parents=True)
    (user_folder / "gpu.json").write_text('{"hardware": {"gpu_count": 2}}', encoding="utf-8")
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("presets")
    asked = []
    page.confirm = lambda title, text: asked.append(text) or False
    edit(page, "gpu", '{"priority": 70}')
    assert page.save() is None
    assert asked and "gpu.json exists" in asked[0]
    assert "exists and was kept" in page.problems.text()
    assert json.loads((user_folder / "gpu.json").read_text()) == {"hardware": {"gpu_count": 2}}
    page.confirm = lambda title, text: True
    assert page.save() == user_folder / "gpu.json"
    assert json.loads((user_folder / "gpu.json").read_text())["priority"] == 70


def test_studio_presets_are_read_only_unless_admin(qtbot, isolated) -> None:  # noqa: F811
    studio = isolated / "studio-presets"
    studio.mkdir()
    (studio / "final.json").write_text('{"frames_per_task": 5}', encoding="utf-8")
    (studio / "broken.json").write_text("[1, 2]", encoding="utf-8")
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("presets")
    assert "skipped" in page.list_problems.text() and "broken.json" in page.list_problems.text()
    assert "a preset is a JSON object" in page.list_problems.text()
    index = page.folder.findData(str(studio))
    assert not page.folder.model().item(index).isEnabled()
    page.list.setCurrentRow(0)  # final: opened as the user's own copy
    assert page.folder.currentIndex() == page.folder.count() - 1
    page.folder.setCurrentIndex(index)  # forced, as a script could
    assert page.save() is None and "read-only" in page.problems.text()
    assert json.loads((studio / "final.json").read_text()) == {"frames_per_task": 5}


def test_the_editor_offers_only_what_a_preset_may_set(qtbot, isolated) -> None:  # noqa: F811
    panel = open_panel(qtbot, copy_shot(isolated))
    page = panel.show_section("presets")
    offered = {page.reference.topLevelItem(i).text(0)
               for i in range(page.reference.topLevelItemCount())}  # fmt: skip
    assert "priority" in offered and not offered & {"analysis", "manifest", "scene"}
    edit(page, "odd", '{"manifest": []}')
    assert page.save() is None
    assert "manifest: filled in from the scene at submission" in page.problems.text()
