"""Scene: what the scene will render — layers and their cameras (tick what to submit),
each layer's renderer, frames and image size, the files each layer will write, and the
renderer's settings."""

from __future__ import annotations

from farmhand.panel import theme
from farmhand.panel.choices import chosen_layers, layer_cameras, picked_cameras
from farmhand.panel.plan_summary import output_base, written_files
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets, child_items, top_items
from farmhand.panel.state import PanelState
from farmhand.panel.written_view import WrittenFiles
from farmhand.scene import Analysis, LayerInfo
from farmhand.spec.frames import format_frames, parse_frames
from farmhand.spec.plan import PlanError

LAYER_SYSTEMS = {0: "legacy render layers", 1: "Render Setup"}
SAMPLING = ("Camera (AA)", "Diffuse", "Specular", "SSS", "Transmission", "Volume")
COLUMNS = ("Layer / camera", "Renderer", "Frames", "Resolution", "Format")
FORMAT_COLUMN = 4  # hidden in a slim dock: the file names show the format
WRITTEN_DELAY_MS = 200
TREE_ROWS = 22
ROLE_LAYER = Qt.ItemDataRole.UserRole
ROLE_CAMERA = Qt.ItemDataRole.UserRole + 1


class ScenePage(QtWidgets.QWidget):
    """Render layers with their cameras, render settings and software of the scene."""

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._filling = False
        self.compact = False
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # Shadows QWidget.scroll(dx, dy), which nothing calls on a page; tests read `scroll`.
        self.scroll = scroll = QtWidgets.QScrollArea()  # type: ignore[method-assign,assignment]
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        content = QtWidgets.QWidget()
        scroll.setWidget(content)
        self.content_layout = layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(10)

        self.facts = theme.card()
        facts = QtWidgets.QGridLayout(self.facts)
        facts.setContentsMargins(14, 10, 14, 10)
        facts.setHorizontalSpacing(18)
        facts.setVerticalSpacing(4)
        self._fact_labels: dict[str, QtWidgets.QLabel] = {}
        # Scene and project take a whole row each; the short facts go two to a row.
        places = {"Scene": (0, 0, 3), "Project": (1, 0, 3), "Maya": (2, 0, 1),
                  "Renderer": (2, 2, 1), "Time": (3, 0, 1), "Layers": (3, 2, 1)}  # fmt: skip
        for key, (row, col, span) in places.items():
            facts.addWidget(theme.label(key, "muted"), row, col)
            value = theme.label("", wrap=True)  # a long path wraps at its slashes
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            facts.addWidget(value, row, col + 1, 1, span)
            self._fact_labels[key] = value
        facts.setColumnStretch(1, 1)
        facts.setColumnStretch(3, 1)
        layout.addWidget(self.facts)

        head = QtWidgets.QHBoxLayout()
        head.addWidget(theme.label("Render layers", "heading"))
        hint = theme.label("Tick the layers and cameras to render", "muted", wrap=True)
        hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(hint, 1)
        # The layers beside what they will write; stacked in a slim dock.
        self.middle = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight)
        self.middle.setSpacing(10)
        left = QtWidgets.QVBoxLayout()
        left.setSpacing(6)
        left.addLayout(head)
        self.middle.addLayout(left, 3)
        layout.addLayout(self.middle)
        self.layers = QtWidgets.QTreeWidget()
        self.layers.setColumnCount(len(COLUMNS))
        self.layers.setHeaderLabels(COLUMNS)
        self.layers.setRootIsDecorated(True)
        self.layers.setAlternatingRowColors(True)
        self.layers.setUniformRowHeights(True)
        header = self.layers.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.layers.itemChanged.connect(self._item_changed)
        self.layers.currentItemChanged.connect(lambda *_: self._show_settings())
        self.layers.setMinimumHeight(120)
        self.layers.itemExpanded.connect(lambda _item: self._fit_tree())
        self.layers.itemCollapsed.connect(lambda _item: self._fit_tree())
        left.addWidget(self.layers)
        left.addStretch(1)

        self._fit_timer = QtCore.QTimer(self)  # a child: it dies with the page
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_tree)

        self.written = WrittenFiles()
        self.middle.addWidget(self.written, 2, Qt.AlignmentFlag.AlignTop)
        self._written_timer = QtCore.QTimer(self)
        self._written_timer.setSingleShot(True)
        self._written_timer.setInterval(WRITTEN_DELAY_MS)
        self._written_timer.timeout.connect(self.show_written)

        self.bottom = bottom = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight)
        bottom.setSpacing(10)
        self.settings_box = theme.card()
        self.settings = QtWidgets.QGridLayout(self.settings_box)
        self.settings.setContentsMargins(14, 10, 14, 10)
        self.settings.setHorizontalSpacing(14)
        self.settings.setVerticalSpacing(3)
        bottom.addWidget(self.settings_box, 3)
        self.software_box = theme.card()
        self.software = QtWidgets.QVBoxLayout(self.software_box)
        self.software.setContentsMargins(14, 10, 14, 10)
        self.software.setSpacing(3)
        bottom.addWidget(self.software_box, 2)
        layout.addLayout(bottom, 2)

        self._shown_layers: object = None  # the layers the tree was filled from
        state.analysis_changed.connect(self._analysis_changed)
        state.choices_changed.connect(self._sync_checks)
        state.choices_changed.connect(self._written_timer.start)
        self.refresh()
        self.show_written()

    # -- filling -----------------------------------------------------------------------------
    def _analysis_changed(self) -> None:
        analysis = self.state.analysis
        if analysis is not None and analysis.scene_info_render is self._shown_layers:
            # Only an edit (an ignored file, a ticked camera): the tree stays as it is, and
            # is never rebuilt under the item whose tick caused it.
            self._written_timer.start()
            return
        self.refresh()

    def refresh(self) -> None:
        """Show the current analysis."""
        analysis = self.state.analysis
        self._shown_layers = analysis.scene_info_render if analysis is not None else None
        self._fill_facts(analysis)
        self._filling = True
        self.layers.clear()
        if analysis is not None:
            for name, layer in analysis.scene_info_render.items():
                self.layers.addTopLevelItem(self._layer_item(name, layer))
            chosen = set(chosen_layers(self.state.choices, analysis))
            for item in top_items(self.layers):
                item.setExpanded(item.data(0, ROLE_LAYER) in chosen)
            items = top_items(self.layers)
            first = next((it for it in items if it.data(0, ROLE_LAYER) in chosen), None)
            if first is not None or items:
                self.layers.setCurrentItem(first or items[0])
        self._filling = False
        self._sync_checks()
        self._show_settings()
        self._fill_software(analysis)
        self._fit_tree()
        self._written_timer.start()

    def _fit_tree(self) -> None:
        """As tall as its shown rows (up to TREE_ROWS of them): the page scrolls, not the tree."""
        tops = top_items(self.layers)
        rows = sum(1 + (item.childCount() if item.isExpanded() else 0) for item in tops)
        row = max(self.layers.sizeHintForRow(0), self.layers.fontMetrics().height() + 6)
        if tops and self.layers.visualItemRect(tops[0]).height() > 0:
            row = self.layers.visualItemRect(tops[0]).height()  # once laid out: the real one
        header = self.layers.header().sizeHint().height()
        height = header + min(max(rows, 3), TREE_ROWS) * row + 2 * self.layers.frameWidth() + 2
        self.layers.setFixedHeight(height)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Qt: rows have their real height once shown."""
        super().showEvent(event)
        self._fit_timer.start()

    def show_written(self) -> None:
        """List the files the chosen layers will write, from the spec the panel would send."""
        self._written_timer.stop()
        analysis = self.state.analysis
        if analysis is None:
            self.written.show_files([], "", "The scene could not be read.")
            return
        spec = self.state.preview().spec
        try:
            files = written_files(spec, analysis) if spec else []
        except PlanError as exc:
            self.written.show_files([], "", f"Fix the frames first (Job): {exc}")
            return
        if spec and spec.get("spec_version") != 2:
            self.written.show_files([], "", "This scene's renderer names its own files.")
            return
        self.written.show_files(files, output_base(analysis))

    def _fill_facts(self, analysis: Analysis | None) -> None:
        path = self.state.host.scene_path()
        values = dict.fromkeys(self._fact_labels, "—")
        values["Scene"] = str(path) if path else "untitled (save the scene to submit it)"
        if analysis is not None:
            values.update(
                Project=analysis.project or "none (paths resolve beside the scene)",
                Maya=f"{analysis.software_config.get('cg_version', '?')} "
                f"(saved by {analysis.maya_version})",
                Renderer=analysis.renderer,
                Time=f"{analysis.time_unit} ({analysis.fps:g} fps)",
                Layers=LAYER_SYSTEMS.get(analysis.render_layer_type, "?"),
            )
        elif self.state.error:
            values["Project"] = self.state.error
        for key, value in values.items():
            self._fact_labels[key].setText(value)

    def _layer_item(self, name: str, layer: LayerInfo) -> QtWidgets.QTreeWidgetItem:
        c = layer.common
        title = layer.display_name if layer.display_name == name else f"{layer.display_name}"
        item = QtWidgets.QTreeWidgetItem([
            title, c.renderer, _frames(c.frames), f"{c.width} × {c.height}", c.image_format,
        ])  # fmt: skip
        item.setData(0, ROLE_LAYER, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        prefix = c.image_file_prefix or "<Scene> (Maya's default)"
        tip = f"render layer node {name}; renderer {c.renderer}; file name prefix {prefix}"
        if not layer.renderable:
            tip += "; not renderable in the scene"
            item.setForeground(0, theme.colour(theme.MUTED))
            item.setText(0, f"{title}  (off in the scene)")
        item.setToolTip(0, tip)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        cameras = layer_cameras(layer)
        for camera in cameras:
            child = QtWidgets.QTreeWidgetItem([camera])
            child.setData(0, ROLE_CAMERA, camera)
            child.setFlags(child.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            shape = c.camera_shapes.get(camera)
            if camera not in c.render_camera:
                child.setToolTip(0, f"{shape or camera}: not a renderable camera in the scene")
                child.setForeground(0, theme.colour(theme.MUTED))
            elif shape:
                child.setToolTip(0, f"camera shape {shape}")
            item.addChild(child)
        if not cameras:
            child = QtWidgets.QTreeWidgetItem(["no camera"])
            child.setForeground(0, theme.colour(theme.ERROR))
            item.addChild(child)
        return item

    def _sync_checks(self) -> None:
        analysis = self.state.analysis
        if analysis is None:
            return
        self._filling = True
        chosen = set(chosen_layers(self.state.choices, analysis))
        for item in top_items(self.layers):
            name = item.data(0, ROLE_LAYER)
            item.setCheckState(0, _check(name in chosen))
            on = set(picked_cameras(self.state.choices, name, analysis.scene_info_render[name]))
            for child in child_items(item):
                camera = child.data(0, ROLE_CAMERA)
                if camera:
                    child.setCheckState(0, _check(camera in on))
        self._filling = False

    def _show_settings(self) -> None:
        _clear(self.settings)
        analysis = self.state.analysis
        item = self.layers.currentItem()
        if item is not None and item.parent() is not None:
            item = item.parent()
        if analysis is None or item is None:
            self.settings.addWidget(theme.label("No render layer", "muted"), 0, 0)
            return
        name = item.data(0, ROLE_LAYER)
        layer = analysis.scene_info_render[name]
        c = layer.common
        self.settings.addWidget(
            theme.label(f"Render settings · {layer.display_name}", "heading"), 0, 0, 1, 4
        )
        rows = [
            ("Renderer", c.renderer),
            ("Animation", "on" if c.animation else f"off (frame {c.frames})"),
            ("Range", f"{c.start:g} – {c.end:g}, by {c.by_frame:g}"),
            ("Image", f"{c.width} × {c.height} {c.image_format}"),
            ("Prefix", c.image_file_prefix or "<Scene> (Maya's default)"),
        ]
        option = layer.option
        if option is not None:
            sampling = ", ".join(
                f"{n} {v}" for n, v in zip(SAMPLING, option.sampling, strict=False)
            )
            rows += [
                ("Device", option.render_device),
                ("Motion blur", "on" if option.motion_blur_enable else "off"),
                ("Auto-TX", "on" if option.auto_tx else "off"),
                ("Use existing TX", "yes" if option.use_existing_tx else "no"),
                ("Texture memory", f"{option.texture_max_memory_mb:g} MB"),
                ("Threads", "auto" if option.threads_autodetect else "fixed"),
            ]
        per_row = 1 if self.compact else 2
        for i, (key, value) in enumerate(rows):
            r, col = 1 + i // per_row, (i % per_row) * 2
            self.settings.addWidget(theme.label(key, "muted"), r, col)
            self.settings.addWidget(theme.label(str(value)), r, col + 1)
        last = 1 + (len(rows) + per_row - 1) // per_row
        if option is not None:
            self.settings.addWidget(theme.label("Arnold samples", "muted"), last, 0)
            samples = theme.label(sampling, wrap=True)
            self.settings.addWidget(samples, last, 1, 1, 3)
            last += 1
        self.settings.setColumnStretch(1, 1)
        self.settings.setColumnStretch(3, 1)
        self.settings.setRowStretch(last, 1)

    def _fill_software(self, analysis: Analysis | None) -> None:
        _clear(self.software)
        self.software.addWidget(theme.label("Software", "heading"))
        if analysis is None:
            return
        config = analysis.software_config
        self.software.addWidget(
            theme.label(f"{config.get('cg_name', 'Maya')} {config.get('cg_version', '?')}")
        )
        plugins = config.get("plugins") or {}
        if plugins:
            self.software.addWidget(theme.label("Plug-ins the scene requires", "muted"))
            text = ", ".join(f"{k} {v}" for k, v in sorted(plugins.items()))
            self.software.addWidget(theme.label(text, wrap=True))
        self.software.addStretch(1)

    def set_compact(self, compact: bool) -> None:
        """Narrow (a slim Maya dock): settings and software stacked, one setting a row."""
        if compact == self.compact:
            return
        self.compact = compact
        direction = QtWidgets.QBoxLayout.Direction
        self.bottom.setDirection(direction.TopToBottom if compact else direction.LeftToRight)
        self.middle.setDirection(direction.TopToBottom if compact else direction.LeftToRight)
        margin = 8 if compact else 18
        self.content_layout.setContentsMargins(margin, 14, margin, 14)
        self.layers.setColumnHidden(FORMAT_COLUMN, compact)
        self._show_settings()

    # -- editing ----------------------------------------------------------------------------
    def _item_changed(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0 or self.state.analysis is None:
            return
        parent = item.parent()
        if parent is None:
            layers = [
                top.data(0, ROLE_LAYER)
                for top in top_items(self.layers)
                if top.checkState(0) == Qt.CheckState.Checked
            ]
            self.state.update(layers=layers)
            return
        layer = parent.data(0, ROLE_LAYER)
        picked = [
            child.data(0, ROLE_CAMERA)
            for child in child_items(parent)
            if child.data(0, ROLE_CAMERA) and child.checkState(0) == Qt.CheckState.Checked
        ]
        cameras = dict(self.state.choices.cameras)
        cameras[layer] = picked
        self.state.update(cameras=cameras)


def _frames(expression: str) -> str:
    """A layer's frames in the canonical form (`1-24[1]` → `1-24`), or as written."""
    try:
        return format_frames(parse_frames(expression))
    except ValueError:
        return expression


def _check(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


def _clear(layout: QtWidgets.QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()  # at once: deleteLater() leaves it drawn until the event loop runs
            widget.deleteLater()
