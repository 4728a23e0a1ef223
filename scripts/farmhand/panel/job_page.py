"""Job: how the farm renders the scene — preset, frames, frames per task or tiles, test
frames, priority, hardware and software — with the plan (each layer's tasks, by the
shared planner) and the JobSpec that will be sent, checked field by field as the artist
types."""

from __future__ import annotations

from typing import Any

from farmhand.panel import theme
from farmhand.panel.choices import with_preset
from farmhand.panel.plan_summary import job_frames
from farmhand.panel.plan_view import PlanView
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets
from farmhand.panel.spec_preview import Preview
from farmhand.panel.state import PanelState
from farmhand.spec.defaults import default_of

PREVIEW_DELAY_MS = 200


class JobPage(QtWidgets.QWidget):
    """Job settings on the left, the JobSpec preview and its problems on the right."""

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._syncing = False
        self.last_preview: Preview | None = None
        outer = QtWidgets.QHBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        self.splitter = splitter = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter)

        self.form_scroll = scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        form_host = QtWidgets.QWidget()
        self.form = QtWidgets.QVBoxLayout(form_host)
        self.form.setContentsMargins(0, 0, 12, 0)
        self.form.setSpacing(12)
        scroll.setWidget(form_host)
        splitter.addWidget(scroll)
        self._build_preset()
        self._build_frames()
        self._build_tests()
        self._build_hardware()
        self._build_software()
        self.form.addStretch(1)
        self._align_labels(form_host)

        right = QtWidgets.QWidget()
        self.right_layout = rl = QtWidgets.QVBoxLayout(right)
        rl.setContentsMargins(12, 0, 0, 0)
        rl.setSpacing(6)
        self.plan = PlanView(state)
        rl.addWidget(self.plan)
        self.estimate = self.plan.total  # "N tasks · N frames · N layers"
        self.problems = theme.label("", "error", wrap=True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.problems)
        # The JobSpec JSON is for TDs: behind a toggle, so the plan has the room.
        self.advanced = QtWidgets.QToolButton()
        self.advanced.setText("Advanced: the JobSpec that will be sent")
        self.advanced.setCheckable(True)
        self.advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced.setToolTip("Show the JSON the farm receives (hashes are filled in at submit)")
        self.advanced.toggled.connect(self._toggle_advanced)
        rl.addWidget(self.advanced)
        self.spec_view = QtWidgets.QPlainTextEdit()
        self.spec_view.setReadOnly(True)
        self.spec_view.setProperty("role", "code")
        self.spec_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        font = self.spec_view.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.spec_view.setFont(font)
        rl.addWidget(self.spec_view, 1)
        self.spec_note = theme.label(
            "Hashes are zero until you submit: files are hashed then.", "muted", wrap=True
        )
        rl.addWidget(self.spec_note)
        self.spec_view.setVisible(False)
        self.spec_note.setVisible(False)
        rl.addStretch(1)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([560, 460])

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        state.choices_changed.connect(self._choices_changed)
        state.analysis_changed.connect(self._choices_changed)
        state.farm_data_changed.connect(self._farm_data)
        self._farm_data()
        self._choices_changed()
        self.update_preview()

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.spec_view.setVisible(shown)
        self.spec_note.setVisible(shown)

    def set_compact(self, compact: bool) -> None:
        """Narrow (a slim Maya dock): the settings above the spec, not beside it."""
        vertical = Qt.Orientation.Vertical
        self.splitter.setOrientation(vertical if compact else Qt.Orientation.Horizontal)
        self.right_layout.setContentsMargins(*((0, 8, 0, 0) if compact else (12, 0, 0, 0)))
        # Labels above their fields: the fields keep the dock's whole width.
        policy = QtWidgets.QFormLayout.RowWrapPolicy
        for form in self.findChildren(QtWidgets.QFormLayout):
            form.setRowWrapPolicy(policy.WrapAllRows if compact else policy.DontWrapRows)
            for row in range(form.rowCount()):
                item = form.itemAt(row, QtWidgets.QFormLayout.ItemRole.LabelRole)
                label = item.widget() if item is not None else None
                if isinstance(label, QtWidgets.QLabel) and not label.text():
                    label.setVisible(not compact)  # an empty line above its field otherwise

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Qt: nodes come and go; ask the farm about the software again when shown."""
        super().showEvent(event)
        if self.last_preview is not None and self.last_preview.spec:
            self.plan.check_software(self.last_preview.spec, again=True)

    # -- building -----------------------------------------------------------------------------
    def _group(self, title: str) -> QtWidgets.QFormLayout:
        box = QtWidgets.QGroupBox(title)
        form = QtWidgets.QFormLayout(box)
        form.setContentsMargins(12, 10, 12, 10)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.addWidget(box)
        return form

    def _build_preset(self) -> None:
        form = self._group("Preset")
        row = QtWidgets.QHBoxLayout()
        self.preset = QtWidgets.QComboBox()
        self.preset.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset.currentIndexChanged.connect(self._preset_picked)
        self.defaults_button = QtWidgets.QPushButton("Save as my defaults")
        self.defaults_button.setToolTip("Use these job settings for every new scene")
        self.defaults_button.clicked.connect(self._save_defaults)
        row.addWidget(self.preset, 1)
        row.addWidget(self.defaults_button)
        column = QtWidgets.QVBoxLayout()
        column.setSpacing(4)
        column.addLayout(row)
        self.preset_note = theme.label("", "muted", wrap=True)
        column.addWidget(self.preset_note)
        form.addRow("Preset", column)
        self.name = QtWidgets.QLineEdit()
        self.name.textEdited.connect(lambda t: self.state.update(name=t))
        form.addRow("Job name", self.name)

    def _build_frames(self) -> None:
        form = self._group("Frames")
        self.frames = QtWidgets.QLineEdit()
        self.frames.setProperty("plainTip", "e.g. 1-100, 1-100[2], 1-10,20,30-40")
        self.frames.setToolTip(self.frames.property("plainTip"))
        self.frames.textEdited.connect(lambda t: self.state.update(frames=t))
        form.addRow("Frames", self.frames)
        self.by_frames = QtWidgets.QRadioButton("Frames per task")
        self.by_tiles = QtWidgets.QRadioButton("Tiles per frame")
        self.fpt = QtWidgets.QSpinBox()
        self.fpt.setRange(1, 100000)
        self.fpt.valueChanged.connect(lambda v: self._set(frames_per_task=v))
        self.tiles = QtWidgets.QSpinBox()
        self.tiles.setRange(2, 4096)
        self.tiles.valueChanged.connect(lambda v: self._set(tiles=v))
        self.tiles_type = QtWidgets.QComboBox()
        self.tiles_type.addItem("strips", "strip")
        self.tiles_type.addItem("blocks", "block")
        self.tiles_type.currentIndexChanged.connect(
            lambda _: self._set(tiles_type=self.tiles_type.currentData())
        )
        split = QtWidgets.QButtonGroup(self)
        split.addButton(self.by_frames)
        split.addButton(self.by_tiles)
        self.by_frames.toggled.connect(lambda on: self._set(split="frames" if on else "tiles"))
        row1 = QtWidgets.QHBoxLayout()
        row1.addWidget(self.by_frames)
        row1.addWidget(self.fpt)
        row1.addStretch(1)
        row2 = QtWidgets.QHBoxLayout()
        row2.addWidget(self.by_tiles)
        row2.addWidget(self.tiles)
        row2.addWidget(self.tiles_type)
        row2.addStretch(1)
        split_rows = QtWidgets.QVBoxLayout()
        split_rows.setSpacing(8)
        split_rows.addLayout(row1)
        split_rows.addLayout(row2)
        form.addRow("Split into", split_rows)
        self.priority = QtWidgets.QSpinBox()
        self.priority.setRange(0, 100)
        self.priority.setToolTip(
            f"0–100; higher renders first (the farm's default is {default_of('priority')})"
        )
        self.priority.valueChanged.connect(lambda v: self._set(priority=v))
        form.addRow("Priority", self.priority)

    def _build_tests(self) -> None:
        form = self._group("Test frames")
        row = QtWidgets.QHBoxLayout()
        self.test_first = QtWidgets.QCheckBox("First")
        self.test_middle = QtWidgets.QCheckBox("Middle")
        self.test_last = QtWidgets.QCheckBox("Last")
        for box, key in (
            (self.test_first, "test_first"),
            (self.test_middle, "test_middle"),
            (self.test_last, "test_last"),
        ):
            box.toggled.connect(lambda on, key=key: self._set(**{key: on}))
            row.addWidget(box)
        row.addStretch(1)
        form.addRow("Render first", row)
        self.test_custom = QtWidgets.QLineEdit()
        self.test_custom.setPlaceholderText("other frames, e.g. 12, 40")
        self.test_custom.textEdited.connect(lambda t: self.state.update(test_custom=t))
        form.addRow("Also", self.test_custom)
        self.stop_after_test = QtWidgets.QCheckBox("Wait for my approval after the test frames")
        self.stop_after_test.toggled.connect(lambda on: self._set(stop_after_test=on))
        form.addRow(QtWidgets.QLabel(), self.stop_after_test)

    def _build_hardware(self) -> None:
        form = self._group("Hardware")
        self.hw_any = QtWidgets.QRadioButton("Any worker")
        self.hw_config = QtWidgets.QRadioButton("Machine type")
        self.hw_custom = QtWidgets.QRadioButton("At least")
        group = QtWidgets.QButtonGroup(self)
        for button, mode in (
            (self.hw_any, "any"),
            (self.hw_config, "config"),
            (self.hw_custom, "custom"),
        ):
            group.addButton(button)
            button.toggled.connect(lambda on, mode=mode: self._hardware_mode(mode) if on else None)
        form.addRow("Run on", self.hw_any)
        row = QtWidgets.QHBoxLayout()
        self.hw_configs = QtWidgets.QComboBox()
        self.hw_configs.currentIndexChanged.connect(
            lambda _: self._set(hardware_config_id=self.hw_configs.currentData() or "")
        )
        row.addWidget(self.hw_config)
        row.addWidget(self.hw_configs, 1)
        form.addRow(QtWidgets.QLabel(), row)
        row = QtWidgets.QHBoxLayout()
        self.ram = QtWidgets.QDoubleSpinBox()
        self.ram.setRange(0, 4096)
        self.ram.setDecimals(0)
        self.ram.setSuffix(" GB RAM")
        self.ram.valueChanged.connect(lambda v: self._set(ram_gb=float(v)))
        self.gpus = QtWidgets.QSpinBox()
        self.gpus.setRange(0, 64)
        self.gpus.setSuffix(" GPU(s)")
        self.gpus.valueChanged.connect(lambda v: self._set(gpu_count=v))
        row.addWidget(self.hw_custom)
        row.addWidget(self.ram)
        row.addWidget(self.gpus)
        row.addStretch(1)
        column = QtWidgets.QVBoxLayout()
        column.setSpacing(4)
        column.addLayout(row)
        self.hw_note = theme.label("", "muted", wrap=True)
        column.addWidget(self.hw_note)
        form.addRow(QtWidgets.QLabel(), column)

    def _build_software(self) -> None:
        form = self._group("Software on the workers")
        self.cg_version = QtWidgets.QLineEdit()
        self.cg_version.textEdited.connect(lambda t: self.state.update(cg_version=t))
        form.addRow("Maya version", self.cg_version)
        self.plugins = QtWidgets.QTableWidget(0, 2)
        self.plugins.setHorizontalHeaderLabels(["Plug-in", "Version"])
        self.plugins.verticalHeader().setVisible(False)
        self.plugins.horizontalHeader().setStretchLastSection(True)
        self.plugins.horizontalHeader().setSectionResizeMode(
            0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents
        )
        self.plugins.setMinimumHeight(110)
        self.plugins.itemChanged.connect(self._plugin_edited)
        form.addRow("Plug-ins", self.plugins)

    def _align_labels(self, host: QtWidgets.QWidget) -> None:
        """One label column width for every group, so the fields line up down the page."""
        forms = host.findChildren(QtWidgets.QFormLayout)
        labels = [
            label
            for form in forms
            for row in range(form.rowCount())
            if (item := form.itemAt(row, QtWidgets.QFormLayout.ItemRole.LabelRole)) is not None
            and (label := item.widget()) is not None
        ]
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

    # -- state → widgets ------------------------------------------------------------------------
    def _farm_data(self) -> None:
        self._syncing = True
        self.preset.clear()
        self.preset.addItem("No preset", "")
        for name, preset in sorted(self.state.presets.presets.items()):
            text = f"{name}  ·  {preset.scope}"
            self.preset.addItem(text, name)
            self.preset.setItemData(
                self.preset.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole
            )
        self.hw_configs.clear()
        for config in self.state.hardware_configs:
            self.hw_configs.addItem(_config_text(config), str(config.get("id")))
        self.hw_config.setEnabled(bool(self.state.hardware_configs))
        self.hw_configs.setEnabled(bool(self.state.hardware_configs))
        if self.state.hardware_configs:
            self.hw_note.setText("")
            self.hw_note.hide()
        elif not self.state.login.usable:
            self.hw_note.show()
            self.hw_note.setText("Log in (Submit page) to see the farm's machine types.")
        else:
            self.hw_note.show()
            self.hw_note.setText(self.state.farm_error or "The farm lists no machine types.")
        self._syncing = False
        self._choices_changed()

    def _choices_changed(self) -> None:
        c = self.state.choices
        analysis = self.state.analysis
        self._syncing = True
        _set_index(self.preset, c.preset)
        preset = self.state.preset(c.preset) if c.preset else None
        note = "Presets fill in the settings below; what you change wins."
        self.preset_note.setText(preset.description if preset and preset.description else note)
        _set_text(self.name, c.name)
        self.name.setPlaceholderText(self._default_name())
        _set_text(self.frames, c.frames)
        self.frames.setPlaceholderText(self._layers_frames() or "1-10")
        self.by_frames.setChecked(c.split == "frames")
        self.by_tiles.setChecked(c.split == "tiles")
        self.fpt.setValue(c.frames_per_task)
        self.tiles.setValue(c.tiles)
        _set_index(self.tiles_type, c.tiles_type)
        self.fpt.setEnabled(c.split == "frames")
        self.tiles.setEnabled(c.split == "tiles")
        self.tiles_type.setEnabled(c.split == "tiles")
        self.priority.setValue(c.priority)
        self.test_first.setChecked(c.test_first)
        self.test_middle.setChecked(c.test_middle)
        self.test_last.setChecked(c.test_last)
        _set_text(self.test_custom, c.test_custom)
        self.stop_after_test.setChecked(c.stop_after_test)
        {"any": self.hw_any, "config": self.hw_config, "custom": self.hw_custom}[
            c.hardware
        ].setChecked(True)
        _set_index(self.hw_configs, c.hardware_config_id)
        self.ram.setValue(c.ram_gb)
        self.gpus.setValue(c.gpu_count)
        self.ram.setEnabled(c.hardware == "custom")
        self.gpus.setEnabled(c.hardware == "custom")
        software = analysis.software_config if analysis is not None else {}
        _set_text(self.cg_version, c.cg_version)
        self.cg_version.setPlaceholderText(str(software.get("cg_version") or ""))
        plugins = dict(software.get("plugins") or {})
        plugins.update(c.plugins)
        if self.plugins.rowCount() != len(plugins) or self._plugin_values() != plugins:
            self.plugins.setRowCount(len(plugins))
            for i, (name, version) in enumerate(sorted(plugins.items())):
                item = QtWidgets.QTableWidgetItem(name)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.plugins.setItem(i, 0, item)
                self.plugins.setItem(i, 1, QtWidgets.QTableWidgetItem(str(version)))
        self._syncing = False
        self._timer.start()

    def _plugin_values(self) -> dict[str, str]:
        values = {}
        for i in range(self.plugins.rowCount()):
            name, version = self.plugins.item(i, 0), self.plugins.item(i, 1)
            if name is not None and version is not None:
                values[name.text()] = version.text()
        return values

    def _default_name(self) -> str:
        path = self.state.host.scene_path()
        return path.stem if path else "untitled"

    def _layers_frames(self) -> str:
        preview = self.last_preview
        if preview is None or self.state.choices.frames or not preview.spec:
            return ""
        return job_frames(preview.spec) or "each layer's own"

    # -- widgets → state ------------------------------------------------------------------------
    def _set(self, **changes: Any) -> None:
        if not self._syncing:
            self.state.update(**changes)

    def _hardware_mode(self, mode: str) -> None:
        changes: dict[str, Any] = {"hardware": mode}
        if mode == "config" and self.hw_configs.currentData():
            changes["hardware_config_id"] = self.hw_configs.currentData()
        self._set(**changes)

    def _preset_picked(self, _index: int) -> None:
        if self._syncing:
            return
        name = self.preset.currentData() or ""
        self.state.replace_choices(with_preset(self.state.choices, self.state.preset(name)))

    def _plugin_edited(self, _item: QtWidgets.QTableWidgetItem) -> None:
        if self._syncing:
            return
        software = self.state.analysis.software_config if self.state.analysis else {}
        scene = {str(k): str(v) for k, v in (software.get("plugins") or {}).items()}
        changed = {k: v for k, v in self._plugin_values().items() if scene.get(k) != v}
        self.state.update(plugins=changed)

    def _save_defaults(self) -> None:
        self.state.save_user_defaults()
        self.preset_note.setText("Saved: new scenes start with these settings.")

    # -- the preview --------------------------------------------------------------------------
    def update_preview(self) -> Preview:
        """Build and check the spec now; problems are shown and marked on their fields."""
        preview = self.state.preview()
        self.last_preview = preview
        self.spec_view.setPlainText(preview.text() if preview.spec else "")
        if not self.state.choices.frames and preview.spec:
            self.frames.setPlaceholderText(self._layers_frames() or "1-10")
        self.problems.setText("\n".join(f"• {p}" for p in preview.problems))
        self.problems.setVisible(bool(preview.problems))
        self.plan.show_plan(preview.spec, preview.frames, preview.tasks)
        fields = {
            "frames": self.frames, "frames_per_task": self.fpt, "tiles": self.tiles,
            "tiles_type": self.tiles, "test_frames": self.test_custom,
            "stop_after_test": self.test_custom, "priority": self.priority, "name": self.name,
            "hardware": self.ram, "software": self.cg_version, "preset": self.preset,
        }  # fmt: skip
        marks: dict[QtWidgets.QWidget, str] = {}
        for problem in preview.problems:
            where = problem.split(":", 1)[0]
            # A layer group's frames come from the Frames field when the artist set one.
            field = "frames" if where.endswith(".frames") else where.split(".", 1)[0]
            field = field.split("[", 1)[0]
            widget = fields.get(field)
            if widget is not None:
                marks.setdefault(widget, problem)
        for widget in set(fields.values()):
            theme.set_invalid(widget, marks.get(widget))
        return preview


def _config_text(config: dict[str, Any]) -> str:
    parts = [str(config.get("name") or config.get("id"))]
    specs = []
    if config.get("cpu_cores"):
        specs.append(f"{config['cpu_cores']} cores")
    if config.get("ram_gb"):
        specs.append(f"{config['ram_gb']:g} GB")
    if config.get("gpu_count"):
        gpu = f"{config['gpu_count']}× {config.get('gpu_model') or 'GPU'}"
        specs.append(gpu)
    if specs:
        parts.append("(" + ", ".join(specs) + ")")
    return " ".join(parts)


def _set_text(edit: QtWidgets.QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)


def _set_index(combo: QtWidgets.QComboBox, data: str) -> None:
    index = combo.findData(data)
    if index >= 0 and combo.currentIndex() != index:
        combo.setCurrentIndex(index)
