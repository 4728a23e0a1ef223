"""Assets: every file the scene needs, grouped by kind, with status, size and node;
search and filter; locate missing files in a folder, re-path, ignore, select the node."""

from __future__ import annotations

import threading
from pathlib import Path

from farmhand.panel import theme
from farmhand.panel.assets_model import (
    FILTERS,
    KIND_NAMES,
    MISSING,
    OPTIONAL,
    AssetFilter,
    AssetsModel,
    build_groups,
)
from farmhand.panel.assets_model import IGNORED as IGNORED_STATUS
from farmhand.panel.flow import FlowLayout
from farmhand.panel.locate import Suggestion, locate
from farmhand.panel.qt import Qt, QtCore, QtWidgets
from farmhand.panel.state import PanelState
from farmhand.scene import Dependency


class AssetsPage(QtWidgets.QWidget):
    """The dependency list and the actions on missing files."""

    proxy: AssetFilter

    def __init__(self, state: PanelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.suggestions: list[Suggestion] = []
        self._search_cancel: threading.Event | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(theme.label("Files the scene needs", "heading"))
        top.addStretch(1)
        self.summary = theme.label("", "muted")
        top.addWidget(self.summary)
        layout.addLayout(top)

        bar = QtWidgets.QHBoxLayout()
        bar.setSpacing(8)
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search path, node or folder…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.status_filter = QtWidgets.QComboBox()
        self.status_filter.addItems(list(FILTERS))
        self.status_filter.currentTextChanged.connect(self._status_changed)
        self.kind_filter = QtWidgets.QComboBox()
        self.kind_filter.currentIndexChanged.connect(self._kind_changed)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter, 1)
        bar.addWidget(self.kind_filter, 1)
        layout.addLayout(bar)

        self.banner = QtWidgets.QFrame()
        self.banner.setProperty("role", "banner")
        banner = QtWidgets.QHBoxLayout(self.banner)
        banner.setContentsMargins(12, 8, 12, 8)
        self.banner_text = theme.label("", wrap=True)
        self.banner_apply = QtWidgets.QPushButton("Re-path")
        self.banner_apply.setProperty("role", "primary")
        self.banner_apply.clicked.connect(self.apply_suggestions)
        self.banner_close = QtWidgets.QPushButton("Dismiss")
        self.banner_close.clicked.connect(self._close_banner)
        banner.addWidget(self.banner_text, 1)
        banner.addWidget(self.banner_apply)
        banner.addWidget(self.banner_close)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.model = AssetsModel(self)
        self.proxy = AssetFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QtWidgets.QTreeView()
        self.view.setModel(self.proxy)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        # No sort until a header is clicked: the model is already in kind, then path order,
        # and sorting thousands of rows through the proxy costs more than filling them.
        self.view.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.doubleClicked.connect(lambda _: self.select_node())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.view.header()
        header.setStretchLastSection(True)
        for column, width in ((0, 330), (1, 140), (2, 72), (3, 190)):
            header.resizeSection(column, width)
        layout.addWidget(self.view, 1)

        actions = FlowLayout()  # wraps onto a second row in a narrow dock
        self.select_button = QtWidgets.QPushButton("Select node")
        self.select_button.clicked.connect(self.select_node)
        self.locate_button = QtWidgets.QPushButton("Locate missing…")
        self.locate_button.setToolTip("Search a folder for the missing files and re-path them")
        self.locate_button.setIcon(theme.standard_icon(self, "SP_DirOpenIcon"))
        self.locate_button.clicked.connect(self._ask_folder)
        self.repath_button = QtWidgets.QPushButton("Re-path…")
        self.repath_button.clicked.connect(self._ask_repath)
        self.ignore_button = QtWidgets.QPushButton("Ignore")
        self.ignore_button.clicked.connect(self.toggle_ignore)
        for button in (
            self.select_button,
            self.locate_button,
            self.repath_button,
            self.ignore_button,
        ):
            actions.addWidget(button)
        self.hint = theme.label("", "muted")
        actions.addWidget(self.hint)
        layout.addLayout(actions)

        state.analysis_changed.connect(self.refresh)
        self.refresh()

    def set_compact(self, compact: bool) -> None:
        """A narrow dock: file and status only, the file column as wide as the view allows
        (its path cut in the middle, whole in the tooltip), and no sideways scrolling."""
        header = self.view.header()
        modes = QtWidgets.QHeaderView.ResizeMode
        header.setStretchLastSection(not compact)
        header.setSectionResizeMode(0, modes.Stretch if compact else modes.Interactive)
        for column in (2, 3, 4):
            self.view.setColumnHidden(column, compact)
        self.view.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if compact
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.search.setPlaceholderText("Search…" if compact else "Search path, node or folder…")
        if not compact:
            header.resizeSection(0, 330)
        header.resizeSection(1, 150)

    # -- contents ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Fill the list from the current analysis (filters and sorting are kept)."""
        analysis = self.state.analysis
        groups = build_groups(analysis, self.state.ignored_dependencies())
        self.model.set_groups(groups)
        kinds = [g.kind for g in groups]
        current = self.kind_filter.currentData()
        self.kind_filter.blockSignals(True)
        self.kind_filter.clear()
        self.kind_filter.addItem("All kinds", "")
        for kind in kinds:
            self.kind_filter.addItem(KIND_NAMES.get(kind, kind), kind)
        index = self.kind_filter.findData(current) if current else 0
        self.kind_filter.setCurrentIndex(max(index, 0))
        self.kind_filter.blockSignals(False)
        self.view.expandAll()
        rows = [r for g in groups for r in g.rows]
        missing = sum(r.status in (MISSING, OPTIONAL) for r in rows)
        size = sum(g.size for g in groups)
        parts = [f"{len(rows):,} files", theme.human_size(size)]
        if missing:
            parts.append(f"{missing} missing")
        ignored = sum(r.status == IGNORED_STATUS for r in rows)
        if ignored:
            parts.append(f"{ignored} ignored")
        self.summary.setText(" · ".join(parts))
        self._update_actions()

    def _status_changed(self, name: str) -> None:
        self.proxy.set_filter(statuses=FILTERS.get(name))
        self.view.expandAll()

    def _kind_changed(self, _: int) -> None:
        self.proxy.set_filter(kind=self.kind_filter.currentData() or "")
        self.view.expandAll()

    def selected(self) -> list[Dependency]:
        """The selected dependencies (kind rows are skipped)."""
        rows = []
        for index in self.view.selectionModel().selectedRows(0):
            row = self.model.row_at(self.proxy.mapToSource(index))
            if row is not None:
                rows.append(row)
        return [r.dep for r in rows]

    def select_dependency(self, node: str, path: str | None = None) -> bool:
        """Select (and show) the row of a node's dependency (the one with that path when
        there is one, else the node's first); False if the node has none listed."""
        if path is not None and self._select(node, path):
            return True
        return self._select(node, None)

    def _select(self, node: str, path: str | None) -> bool:
        for g, group in enumerate(self.model.groups):
            for r, row in enumerate(group.rows):
                if row.dep.node == node and (path is None or row.dep.path == path):
                    source = self.model.index(r, 0, self.model.index(g, 0))
                    index = self.proxy.mapFromSource(source)
                    if not index.isValid():
                        self.search.clear()
                        self.status_filter.setCurrentIndex(0)
                        self.kind_filter.setCurrentIndex(0)
                        index = self.proxy.mapFromSource(source)
                    flags = (
                        QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QtCore.QItemSelectionModel.SelectionFlag.Rows
                    )
                    self.view.selectionModel().select(index, flags)
                    self.view.scrollTo(index)
                    return True
        return False

    def _update_actions(self) -> None:
        deps = self.selected()
        missing = [d for d in deps if not d.exists]
        ignored = [d for d in deps if self.state.is_ignored(d)]
        self.select_button.setEnabled(len(deps) == 1)
        self.repath_button.setEnabled(len(deps) == 1)
        self.ignore_button.setEnabled(bool(missing))
        restore = bool(missing) and len(ignored) == len(missing)
        self.ignore_button.setText("Restore" if restore else "Ignore")
        self.ignore_button.setToolTip(
            "Take the file back into the submission"
            if restore
            else "Leave the missing file out of this submission (it will be missing on the farm)"
        )
        any_missing = any(
            not d.exists for d in (self.state.analysis.asset if self.state.analysis else [])
        )
        self.locate_button.setEnabled(any_missing)
        self.hint.setText("" if any_missing else "Every file is found")

    # -- actions ----------------------------------------------------------------------------------
    def select_node(self) -> None:
        """Select the node of the selected dependency in Maya."""
        deps = self.selected()
        if len(deps) == 1:
            self.state.select(deps[0].node)

    def toggle_ignore(self) -> None:
        """Ignore the selected missing files for this submission (or restore them)."""
        missing = [d for d in self.selected() if not d.exists]
        restore = bool(missing) and all(self.state.is_ignored(d) for d in missing)
        for dep in missing:
            self.state.set_ignored(dep, not restore)

    def _ask_folder(self) -> None:
        start = self.state.prefs.locate_folder or str(Path.home())
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Where did the files go?", start)
        if folder:
            self.state.prefs.locate_folder = folder
            self.state.prefs.save()
            self.locate_in(Path(folder))

    def locate_in(self, folder: Path, deps: list[Dependency] | None = None) -> None:
        """Search `folder` for missing files (`deps`, else the selected ones, else all) in the
        background."""
        analysis = self.state.analysis
        if analysis is None:
            return
        if deps is not None:
            missing = [d for d in deps if not d.exists]
        else:
            chosen = [d for d in self.selected() if not d.exists]
            missing = chosen or [d for d in analysis.asset if not d.exists]
        if not missing:
            return
        if self._search_cancel is not None:
            self._search_cancel.set()
        self._search_cancel = cancel = threading.Event()
        self.locate_button.setEnabled(False)
        self._show_banner(f"Searching {folder} for {len(missing)} missing file(s)…", 0)
        self.state.background.run(
            locate,
            missing,
            folder,
            cancel,
            on_done=lambda found: self._located(folder, len(missing), found),
            on_error=lambda exc: self._show_banner(f"Could not search {folder}: {exc}", 0),
        )

    def _located(self, folder: Path, wanted: int, found: list[Suggestion]) -> None:
        self._search_cancel = None
        self._update_actions()
        self.suggestions = found
        if not found:
            self._show_banner(f"None of the {wanted} missing file(s) is under {folder}.", 0)
            return
        lines = [f"Found {len(found)} of {wanted} missing file(s) in {folder.name}:"]
        lines += [f"    {s.node}  →  {_relative(s.new_path, folder)}" for s in found[:6]]
        if len(found) > 6:
            lines.append(f"   … and {len(found) - 6} more")
        self._show_banner("\n".join(lines), len(found))
        self.banner_text.setToolTip("\n".join(f"{s.node}: {s.new_path}" for s in found))

    def apply_suggestions(self) -> None:
        """Re-path every node the folder search found a file for."""
        errors = []
        for s in self.suggestions:
            try:
                self.state.host.repath(s.node, s.attribute, s.new_path)
            except (ValueError, OSError) as exc:
                errors.append(f"{s.node}: {exc}")
        self.suggestions = []
        self.state.reanalyse()
        if errors:
            self._show_banner("Some re-paths failed:\n" + "\n".join(errors), 0)
        else:
            self._close_banner()

    def _ask_repath(self) -> None:
        deps = self.selected()
        if len(deps) != 1:
            return
        dep = deps[0]
        start = str(Path(dep.resolved).parent) if dep.resolved else self.state.prefs.locate_folder
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, f"New file for {dep.plug}", start or str(Path.home())
        )
        if path:
            self.repath(dep, path)

    def repath(self, dep: Dependency, new_path: str) -> bool:
        """Re-path one dependency's node attribute; a refusal is shown, not raised."""
        try:
            self.state.repath(dep.node, dep.attribute, new_path)
        except (ValueError, OSError) as exc:
            self._show_banner(f"Could not re-path {dep.plug}: {exc}", 0)
            return False
        return True

    def _show_banner(self, text: str, count: int) -> None:
        self.banner_text.setText(text)
        self.banner_apply.setVisible(count > 0)
        self.banner_apply.setText(f"Re-path {count} file{'s' if count != 1 else ''}")
        self.banner.show()

    def _close_banner(self) -> None:
        self.suggestions = []
        self.banner.hide()

    def _menu(self, pos: QtCore.QPoint) -> None:
        menu = QtWidgets.QMenu(self)
        for button in (
            self.select_button,
            self.repath_button,
            self.ignore_button,
            self.locate_button,
        ):
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        menu.exec(self.view.viewport().mapToGlobal(pos))


def _relative(path: str, folder: Path) -> str:
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return path
