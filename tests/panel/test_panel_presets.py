"""The presets editor: invalid presets are refused with the field named; valid ones are saved
where asked and become available to the Job section at once."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json

from farmhand.presets import load
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
