"""Checks: the analysis' diagnostics — errors block Submit, warnings and notices inform —
each with its fix; clicking one selects its node. Missing files that share a folder are
one row per folder, with Locate and Ignore for the whole group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from farmhand.panel import theme
from farmhand.panel.flow import FlowLayout
from farmhand.panel.missing_groups import FolderGroup, group_by_folder
from farmhand.panel.qt import Qt, QtWidgets, child_items, top_items
from farmhand.panel.state import PanelState
from farmhand.scene import Dependency, Diagnostic

SEVERITIES = (("error", "Errors", "block submission"),
              ("warning", "Warnings", "worth a look"),
              ("notice", "Notices", "for your information"))  # fmt: skip
ROLE_DIAG = Qt.ItemDataRole.UserRole
ROLE_GROUP = Qt.ItemDataRole.UserRole + 1

LocateGroup = Callable[[list[Dependency], Path], None]
"""Search a folder for some missing files (Assets does it, and offers the re-paths)."""


class ChecksPage(QtWidgets.QWidget):
    """Diagnostics grouped by severity, with the selected one's fix and actions."""

    def __init__(
        self,
        state: PanelState,
        show_asset: Callable[[str, str | None], None],
        parent: QtWidgets.QWidget | None = None,
        locate: LocateGroup | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self._show_asset = show_asset
        self._locate = locate
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(theme.label("Checks", "heading"))
        top.addStretch(1)
        self.verdict = theme.label("")
        top.addWidget(self.verdict)
        layout.addLayout(top)

        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Problem", "Node"])
        self.tree.setRootIsDecorated(True)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_: self._show_detail())
        self.tree.itemClicked.connect(self._clicked)
        layout.addWidget(self.tree, 1)

        self.detail = theme.card()
        # One column that wraps: what is wrong, the fix, the code and path, then the buttons
        # (a grid gave the wrapped text one line's height in a narrow dock).
        detail = QtWidgets.QVBoxLayout(self.detail)
        detail.setContentsMargins(14, 10, 14, 10)
        detail.setSpacing(6)
        self.detail_icon = QtWidgets.QLabel()
        self.detail_title = theme.label("", wrap=True)
        self.detail_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_fix = theme.label("", wrap=True)
        self.detail_fix.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_code = theme.label("", "muted", wrap=True)
        self.detail_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title_row = QtWidgets.QHBoxLayout()
        title_row.addWidget(self.detail_icon, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.detail_title, 1)
        detail.addLayout(title_row)
        fix_row = QtWidgets.QHBoxLayout()
        fix_row.addWidget(theme.label("Fix", "muted"), 0, Qt.AlignmentFlag.AlignTop)
        fix_row.addWidget(self.detail_fix, 1)
        detail.addLayout(fix_row)
        detail.addWidget(self.detail_code)
        buttons = FlowLayout()
        self.select_button = QtWidgets.QPushButton("Select node")
        self.select_button.clicked.connect(self._select_node)
        self.asset_button = QtWidgets.QPushButton("Show in Assets")
        self.asset_button.clicked.connect(self._open_asset)
        self.locate_group_button = QtWidgets.QPushButton("Locate…")
        self.locate_group_button.setToolTip("Search a folder for this group's missing files")
        self.locate_group_button.clicked.connect(self._ask_group_folder)
        self.ignore_group_button = QtWidgets.QPushButton("Ignore")
        self.ignore_group_button.setToolTip(
            "Leave this group's missing files out of this submission"
        )
        self.ignore_group_button.clicked.connect(self.ignore_group)
        for button in (
            self.select_button,
            self.asset_button,
            self.locate_group_button,
            self.ignore_group_button,
        ):
            buttons.addWidget(button)
        detail.addLayout(buttons)
        layout.addWidget(self.detail)

        state.analysis_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the current analysis' diagnostics."""
        self.tree.clear()
        analysis = self.state.analysis
        diagnostics = analysis.diagnostics if analysis is not None else []
        if analysis is None and self.state.error:
            fix = "check the file, or open it in Maya and save it again"
            diagnostics = [
                Diagnostic("scene-unreadable", "error", self.state.error, None, None, fix)
            ]
        counts = {}
        for severity, title, meaning in SEVERITIES:
            items = [d for d in diagnostics if d.severity == severity]
            counts[severity] = len(items)
            if not items:
                continue
            group = QtWidgets.QTreeWidgetItem([f"{title} ({len(items)}) — {meaning}"])
            group.setIcon(0, theme.severity_icon(severity))
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(False)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            folders, singles = group_by_folder(items)
            group.addChildren([self._folder_item(f) for f in folders])
            group.addChildren([self._item(d) for d in singles])
            group.setExpanded(True)
        errors = counts.get("error", 0)
        if errors:
            self.verdict.setProperty("role", "error")
            self.verdict.setText(f"{errors} error(s) block submission")
        else:
            self.verdict.setProperty("role", "ok")
            warnings = counts.get("warning", 0)
            extra = f" ({warnings} warning(s) to review)" if warnings else ""
            self.verdict.setText("Nothing blocks submission" + extra)
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        first = self._first_problem()
        if first is not None:
            self.tree.setCurrentItem(first)
        self._show_detail()

    def _item(self, diag: Diagnostic) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([diag.message, diag.node or ""])
        item.setIcon(0, theme.severity_icon(diag.severity))
        item.setData(0, ROLE_DIAG, diag)
        item.setToolTip(0, f"{diag.message}\nfix: {diag.fix}" if diag.fix else diag.message)
        return item

    def _folder_item(self, folder: FolderGroup) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([folder.title, ""])
        item.setIcon(0, theme.standard_icon(self, "SP_DirIcon"))
        item.setData(0, ROLE_GROUP, folder)
        item.setToolTip(0, f"{folder.title}\nLocate the folder they moved to, or ignore them")
        # Collapsed: hundreds of rows of one folder are the noise the group replaces.
        item.addChildren([self._item(d) for d in folder.diagnostics])
        return item

    def _first_problem(self) -> QtWidgets.QTreeWidgetItem | None:
        for group in top_items(self.tree):
            if group.childCount():
                return group.child(0)
        return None

    def current(self) -> Diagnostic | None:
        """The diagnostic selected in the list."""
        item = self.tree.currentItem()
        return item.data(0, ROLE_DIAG) if item is not None else None

    def current_group(self) -> FolderGroup | None:
        """The folder of missing files selected in the list."""
        item = self.tree.currentItem()
        return item.data(0, ROLE_GROUP) if item is not None else None

    def folder_groups(self) -> list[FolderGroup]:
        """Every folder group listed, top to bottom."""
        return [item.data(0, ROLE_GROUP) for item in self._rows() if item.data(0, ROLE_GROUP)]

    def select_group(self, folder: str) -> bool:
        """Make the group of a folder current; False if there is none."""
        for item in self._rows():
            group = item.data(0, ROLE_GROUP)
            if group is not None and group.folder == folder:
                self.tree.setCurrentItem(item)
                return True
        return False

    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic listed, top to bottom (a folder group's files included)."""
        found = []
        for item in self._rows():
            diag = item.data(0, ROLE_DIAG)
            if diag is not None:
                found.append(diag)
            else:
                found += [child.data(0, ROLE_DIAG) for child in child_items(item)]
        return found

    def _rows(self) -> list[QtWidgets.QTreeWidgetItem]:
        return [row for severity in top_items(self.tree) for row in child_items(severity)]

    def group_dependencies(self, group: FolderGroup) -> list[Dependency]:
        """The missing dependencies of a folder group (as the current analysis has them)."""
        wanted = {(d.node, d.path) for d in group.diagnostics}
        if group.left_out:
            asset = self.state.ignored_dependencies()
        else:
            asset = self.state.analysis.asset if self.state.analysis is not None else []
        return [d for d in asset if not d.exists and (d.node, d.path) in wanted]

    def ignore_group(self) -> None:
        """Leave the current group's missing files out of this submission (or, for a group
        already left out, take them back)."""
        group = self.current_group()
        if group is not None:
            self.state.set_ignored_many(self.group_dependencies(group), not group.left_out)

    def locate_group_in(self, folder: Path) -> None:
        """Search `folder` for the current group's missing files."""
        group = self.current_group()
        if group is not None and self._locate is not None:
            self._locate(self.group_dependencies(group), folder)

    def _ask_group_folder(self) -> None:
        start = self.state.prefs.locate_folder or str(Path.home())
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Where did the files go?", start)
        if folder:
            self.state.prefs.locate_folder = folder
            self.state.prefs.save()
            self.locate_group_in(Path(folder))

    def _show_detail(self) -> None:
        diag = self.current()
        group = self.current_group()
        self.detail.setVisible(diag is not None or group is not None)
        for button in (self.locate_group_button, self.ignore_group_button):
            button.setVisible(group is not None)
        for button in (self.select_button, self.asset_button):
            button.setVisible(group is None)
        if group is not None:
            severity = group.diagnostics[0].severity
            self.detail_icon.setPixmap(theme.severity_icon(severity, 22).pixmap(22, 22))
            self.detail_title.setText(group.title)
            self.detail_fix.setText(
                "Locate… the folder they moved to (the files are matched by name), "
                "or Ignore them for this submission"
            )
            codes = sorted({d.code for d in group.diagnostics})
            self.detail_code.setText("code " + ", ".join(codes))
            self.locate_group_button.setEnabled(self._locate is not None and not group.left_out)
            verb = "Restore" if group.left_out else "Ignore"
            self.ignore_group_button.setText(f"{verb} {len(group.diagnostics)} files")
            return
        if diag is None:
            return
        self.detail_icon.setPixmap(theme.severity_icon(diag.severity, 22).pixmap(22, 22))
        self.detail_title.setText(diag.message)
        self.detail_fix.setText(panel_fix(diag.fix) or "—")
        self.detail_code.setText(f"code {diag.code}" + (f" · {diag.path}" if diag.path else ""))
        self.select_button.setEnabled(bool(diag.node))
        self.asset_button.setEnabled(bool(diag.node and diag.path))

    def _clicked(self, item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        diag = item.data(0, ROLE_DIAG)
        if diag is not None and diag.node:
            self.state.select(diag.node)

    def _select_node(self) -> None:
        diag = self.current()
        if diag is not None:
            self.state.select(diag.node)

    def _open_asset(self) -> None:
        diag = self.current()
        if diag is not None and diag.node:
            self._show_asset(diag.node, diag.path)


def panel_fix(fix: str) -> str:
    """A fix worded for the panel (the analysis words some for the command line).

    >>> panel_fix("re-path it, or run with --search-path pointing at where the file went")
    're-path it, or use Assets › Locate missing… to find where it went'
    """
    return fix.replace(
        "run with --search-path pointing at where the file went",
        "use Assets › Locate missing… to find where it went",
    )
