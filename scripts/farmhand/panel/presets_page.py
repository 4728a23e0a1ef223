"""Presets (for TDs): create, edit and save job presets into the user's or a studio folder.

A preset is edited as the JSON of the JobSpec fields it sets, with a menu
that inserts any field a preset may set (not those the submission fills in)
and a live check against `preset.schema.json`; Save refuses an invalid preset
and names the field. Studio folders are read-only unless the farm says the user
is an admin, and replacing an existing file asks first. The list shows how
each preset is layered (studio, server, user) and, in its tooltip, where each
field comes from and what it hides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from farmhand.panel import theme
from farmhand.panel.flow import FlowLayout
from farmhand.panel.preset_store import NAME, PresetExists, internal_fields, save_preset
from farmhand.panel.qt import Qt, QtCore, QtWidgets
from farmhand.panel.state import PanelState
from farmhand.spec.defaults import default_of
from farmhand.spec.jobspec import load_schema, validate_preset
from farmhand.spec.presets import INTERNAL, Preset, PresetError, folders

ROLE_PRESET = Qt.ItemDataRole.UserRole
EXAMPLES: dict[str, Any] = {
    "priority": 60, "frames_per_task": 5, "tiles": 4, "tiles_type": "strip",
    "test_frames": {"first": True, "middle": True, "last": True, "custom": []},
    "stop_after_test": True, "time_out": 43200, "job_stop_time": 86400,
    "hardware": {"ram_gb": 64, "gpu_count": 0, "tags": []},
    "path_mapping": [{"from": "Y:/", "to": "/mnt/projects/"}], "project": "default",
    "renderer": {"adapter": "maya", "name": "arnold"},
    "software": {"cg_name": "Maya", "cg_version": "2025", "plugins": {"mtoa": "5.4.5"}},
}  # fmt: skip
"""A sensible starting value for each field the Insert menu adds."""


def preset_fields() -> dict[str, str]:
    """The fields a preset may set (preset.schema.json) with what each does (the JobSpec
    schema's description); `name` and `description` describe the preset and are left out."""
    names = load_schema("preset").get("properties", {})
    described = load_schema("jobspec").get("properties", {})
    return {
        name: str(described.get(name, {}).get("description", ""))
        for name in sorted(names)
        if name not in ("name", "description", *INTERNAL)
    }


def layering_tip(preset: Preset) -> str:
    """Where each field of a layered preset comes from, and what it hides."""
    lines = [f"{preset.path}", f"layers: {preset.layered_from}"]
    for key, scope in preset.origins.items():
        hidden = preset.hidden.get(key)
        hides = (
            "; hides " + ", ".join(f"{s} {json.dumps(v)[:40]}" for s, v in hidden) if hidden else ""
        )
        lines.append(f"{key}: from {scope}{hides}")
    return "\n".join(lines)


class PresetsPage(QtWidgets.QWidget):
    """The presets there are, and an editor for one."""

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.saved_path: Path | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        splitter = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter)
        self.splitter = splitter
        self.outer_layout = layout

        left = QtWidgets.QWidget()
        ll = QtWidgets.QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 8, 0)
        ll.addWidget(theme.label("Presets", "heading"))
        ll.addWidget(
            theme.label(
                "Server presets are published by the farm admin; studio and "
                "user presets are JSON files.",
                "muted",
                wrap=True,
            )
        )
        self.list = QtWidgets.QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        left.setMinimumWidth(250)
        self.left = left
        self.list.currentItemChanged.connect(lambda *_: self._open_current())
        ll.addWidget(self.list, 1)
        self.list_problems = theme.label("", "error", wrap=True)
        ll.addWidget(self.list_problems)
        new = QtWidgets.QPushButton("New preset")
        new.setIcon(theme.standard_icon(self, "SP_FileIcon"))
        new.clicked.connect(self.new_preset)
        ll.addWidget(new)
        splitter.addWidget(left)

        right = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 0, 0)
        rl.setSpacing(8)
        form = QtWidgets.QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        self.name = QtWidgets.QLineEdit()
        self.name.setPlaceholderText("heavy_arnold (the file name: letters, digits, . _ -)")
        self.description = QtWidgets.QLineEdit()
        self.description.setPlaceholderText("What it is for, in a few words")
        self.folder = QtWidgets.QComboBox()
        for scope, folder in folders():
            self.folder.addItem(f"{scope}: {folder}", str(folder))
            self.folder.setItemData(self.folder.count() - 1, scope, Qt.ItemDataRole.UserRole + 1)
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("Save into", self.folder)
        rl.addLayout(form)
        head = FlowLayout()
        head.addWidget(theme.label("Fields it sets (JSON)", "heading"))
        self.insert = QtWidgets.QToolButton()
        self.insert.setText("Insert field")
        self.insert.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(self.insert)
        fields = preset_fields()
        for name, about in fields.items():

            def insert(n: str = name) -> None:
                self.insert_field(n)

            action = menu.addAction(name, insert)
            action.setToolTip(about)
        menu.setToolTipsVisible(True)
        self.insert.setMenu(menu)
        head.addWidget(self.insert)
        rl.addLayout(head)
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setProperty("role", "code")
        font = self.editor.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.editor.setFont(font)
        self.editor.textChanged.connect(self._schedule_check)
        editor_split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        editor_split.setChildrenCollapsible(False)
        editor_split.addWidget(self.editor)
        self.reference = QtWidgets.QTreeWidget()
        self.reference.setColumnCount(2)
        self.reference.setHeaderLabels(["Field", "What it sets"])
        self.reference.setToolTip("Double-click a field to insert it")
        self.reference.setRootIsDecorated(False)
        self.reference.setAlternatingRowColors(True)
        self.reference.setWordWrap(True)
        self.reference.header().setSectionResizeMode(
            0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents
        )
        for name, about in fields.items():
            item = QtWidgets.QTreeWidgetItem([name, about])
            item.setToolTip(1, about)
            self.reference.addTopLevelItem(item)
        self.reference.itemDoubleClicked.connect(lambda item, _: self.insert_field(item.text(0)))
        editor_split.addWidget(self.reference)
        editor_split.setSizes([300, 200])
        rl.addWidget(editor_split, 1)
        self.problems = theme.label("", wrap=True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.problems)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QtWidgets.QPushButton("Save preset")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        rl.addLayout(buttons)
        splitter.addWidget(right)
        splitter.setSizes([300, 700])

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.check)
        self.name.textChanged.connect(self._schedule_check)
        self.description.textChanged.connect(self._schedule_check)
        state.farm_data_changed.connect(self.refresh)
        self.refresh()
        self.new_preset()

    def set_compact(self, compact: bool) -> None:
        """A narrow dock: the list above the editor, in one column."""
        vertical = Qt.Orientation.Vertical
        self.splitter.setOrientation(vertical if compact else Qt.Orientation.Horizontal)
        self.left.setMinimumWidth(0 if compact else 250)
        margin = 8 if compact else 18
        self.outer_layout.setContentsMargins(margin, 14, margin, 14)

    # -- the list -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the presets there are."""
        current = self.list.currentItem()
        keep = current.data(ROLE_PRESET).name if current and current.data(ROLE_PRESET) else None
        self.list.blockSignals(True)
        self.list.clear()
        for name, preset in sorted(self.state.presets.presets.items()):
            about = f" · {preset.description}" if preset.description else ""
            hides = sum(len(v) for v in preset.hidden.values())
            note = f" · hides {hides} lower value(s)" if hides else ""
            item = QtWidgets.QListWidgetItem(f"{name}\n{preset.layered_from}{about}{note}")
            item.setData(ROLE_PRESET, preset)
            item.setToolTip(layering_tip(preset))
            self.list.addItem(item)
            if name == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._lock_studio_folders()
        problems = self.state.presets.problems
        self.list_problems.setText("\n".join(f"• skipped {p}" for p in problems))
        self.list_problems.setVisible(bool(problems))

    def _open_current(self) -> None:
        item = self.list.currentItem()
        preset: Preset | None = item.data(ROLE_PRESET) if item else None
        if preset is not None:
            self.open_preset(preset)

    def open_preset(self, preset: Preset) -> None:
        """Load a preset into the editor (a server preset is saved as a copy)."""
        self.name.setText(preset.name)
        self.description.setText(preset.description)
        fields = {k: v for k, v in preset.fields.items() if k not in ("name", "description")}
        self.editor.setPlainText(json.dumps(fields, indent=2, ensure_ascii=False))
        if preset.scope != "server":
            index = self.folder.findData(str(preset.path.parent))
            if index >= 0 and self._writable(index):
                self.folder.setCurrentIndex(index)
            else:  # a studio preset without admin rights: edited as the user's own copy
                self.folder.setCurrentIndex(self.folder.count() - 1)
        self.check()

    def new_preset(self) -> None:
        """Start an empty preset in the user's folder."""
        self.list.clearSelection()
        self.name.clear()
        self.description.clear()
        self.editor.setPlainText(json.dumps({"priority": default_of("priority")}, indent=2))
        self.folder.setCurrentIndex(self.folder.count() - 1)
        self.check()

    def insert_field(self, name: str) -> None:
        """Add a field with an example value to the JSON being edited."""
        try:
            fields = json.loads(self.editor.toPlainText() or "{}")
        except ValueError:
            self.problems.setText("Fix the JSON before inserting a field.")
            return
        if isinstance(fields, dict) and name not in fields:
            fields[name] = EXAMPLES.get(name, "")
            self.editor.setPlainText(json.dumps(fields, indent=2, ensure_ascii=False))

    # -- checking and saving ----------------------------------------------------------------------
    def _schedule_check(self) -> None:
        self._timer.start()

    def body(self) -> tuple[dict[str, Any] | None, list[str]]:
        """The preset as edited, and what is wrong with it (each problem names its field)."""
        name = self.name.text().strip()
        problems = []
        if name and not NAME.match(name):
            problems.append("name: 1-80 letters, digits, '.', '_' or '-' (it is the file name)")
        try:
            fields = json.loads(self.editor.toPlainText() or "{}")
        except ValueError as exc:
            return None, [*problems, f"(JSON): {exc}"]
        if not isinstance(fields, dict):
            return None, [*problems, "(preset): the fields must be a JSON object"]
        body = {"name": name, **fields}
        if self.description.text().strip():
            body["description"] = self.description.text().strip()
        return body, problems + validate_preset(body) + internal_fields(body)

    def check(self) -> list[str]:
        """Check the preset now and show the verdict."""
        self._timer.stop()
        _, problems = self.body()
        if problems == ["name: must not be empty"]:
            self.problems.setProperty("role", "muted")
            self.problems.setText("Name the preset to save it.")
        elif problems:
            self.problems.setProperty("role", "error")
            self.problems.setText("\n".join(f"• {p}" for p in problems))
        else:
            self.problems.setProperty("role", "ok")
            self.problems.setText("Valid preset")
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        return problems

    def save(self) -> Path | None:
        """Save into the chosen folder; an invalid preset is refused with the field named."""
        body, problems = self.body()
        if body is None or problems:
            self.check()
            return None
        folder = Path(self.folder.currentData())
        if not self._writable(self.folder.currentIndex()):
            self._say_error(
                "Not saved: studio presets are read-only; only a farm admin may "
                "change them. Save it into your user folder instead."
            )
            return None
        target = folder / f"{body['name']}.json"
        overwrite = False
        if target.exists():
            overwrite = self.confirm(
                "Replace preset?",
                f"{target} exists. Replace it with this preset? Its fields will be lost.",
            )
            if not overwrite:
                self._say_error(f"Not saved: {target} exists and was kept.")
                return None
        try:
            path = save_preset(folder, body["name"], body, overwrite=overwrite)
        except PresetExists as exc:
            self._say_error(f"Not saved: {exc}")
            return None
        except (PresetError, OSError) as exc:
            self.problems.setProperty("role", "error")
            self.problems.setText(f"Not saved: {exc}")
            return None
        self.saved_path = path
        self.state.add_preset(Preset(body["name"], path, self._scope_of(folder), body))
        self.problems.setProperty("role", "ok")
        self.problems.setText(f"Saved {path}")
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        return path

    def confirm(self, title: str, text: str) -> bool:
        """Ask the user (a test replaces this)."""
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(
            self, title, text, buttons.Yes | buttons.No, buttons.No
        )
        return answer == buttons.Yes

    def _say_error(self, text: str) -> None:
        self.problems.setProperty("role", "error")
        self.problems.setText(text)
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)

    def _writable(self, index: int) -> bool:
        """A studio folder only for an admin; the user's folder always."""
        scope = self.folder.itemData(index, Qt.ItemDataRole.UserRole + 1)
        return scope != "studio" or self.state.is_admin

    def _lock_studio_folders(self) -> None:
        """Grey out the studio folders unless the user is an admin (say why in a tooltip)."""
        model = self.folder.model()
        for i in range(self.folder.count()):
            item = model.item(i) if hasattr(model, "item") else None
            if item is None:
                continue
            writable = self._writable(i)
            item.setEnabled(writable)
            item.setToolTip(
                ""
                if writable
                else "Studio presets are read-only: only a farm admin may change them"
            )
        if not self._writable(self.folder.currentIndex()):
            self.folder.setCurrentIndex(self.folder.count() - 1)

    def _scope_of(self, folder: Path) -> str:
        for scope, known in folders():
            if known == folder:
                return scope
        return "file"
