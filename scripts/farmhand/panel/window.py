"""The panel itself: a header with the scene, a sidebar of sections, and a footer with Submit.

`create_panel(host)` (in `farmhand.panel`) builds one `Panel`; inside Maya
it is docked by `farmhand.maya_ui.dock`, outside Maya `farmhand panel`
shows it in a window. Call `Panel.shutdown()` before throwing it away (a
close does it): choices are saved and background work is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from farmhand.panel import theme
from farmhand.panel.assets_page import AssetsPage
from farmhand.panel.background import Background
from farmhand.panel.checks_page import ChecksPage
from farmhand.panel.host import SceneHost
from farmhand.panel.job_page import JobPage
from farmhand.panel.jobs_page import JobsPage
from farmhand.panel.plan_summary import job_frames, job_size
from farmhand.panel.prefs import UserPrefs
from farmhand.panel.presets_page import PresetsPage
from farmhand.panel.qt import Qt, QtCore, QtGui, QtWidgets
from farmhand.panel.scene_page import ScenePage
from farmhand.panel.state import PanelState
from farmhand.panel.submit_page import SubmitPage
from farmhand.scene import Dependency

SECTIONS = (("scene", "Scene", "SP_FileDialogDetailedView"),
            ("assets", "Assets", "SP_DirIcon"),
            ("checks", "Checks", None),
            ("job", "Job", "SP_FileDialogContentsView"),
            ("submit", "Submit", "SP_ArrowUp"),
            ("jobs", "My jobs", "SP_ComputerIcon"),
            ("presets", "Presets", "SP_FileDialogListView"))  # fmt: skip
ROLE_KEY = Qt.ItemDataRole.UserRole
Page = TypeVar("Page", bound=QtWidgets.QWidget)
SIDEBAR_WIDTH = 150
COMPACT_WIDTH = 760


class Panel(QtWidgets.QWidget):
    """The Farmhand panel for one scene host."""

    def __init__(self, host: SceneHost, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farmhandPanel")
        # The stylesheet is scoped by this property, whatever object name a host gives us.
        self.setProperty("farmhandPanel", "true")
        self.setStyleSheet(theme.STYLE)
        self.setWindowTitle("Farmhand")
        self.setMinimumSize(420, 360)  # Maya's dock is often 460 pixels wide
        self.host = host
        self.background = Background(self)
        self.state = PanelState(host, UserPrefs.load(), self.background, self)
        self._closed = False
        self.compact = False

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header())
        body = QtWidgets.QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.sections = QtWidgets.QListWidget()
        self.sections.setObjectName("sections")
        self.sections.setFixedWidth(SIDEBAR_WIDTH)
        self.sections.setIconSize(QtCore.QSize(16, 16))
        self.sections.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sections.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QtWidgets.QStackedWidget()
        body.addWidget(self.sections)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)
        layout.addWidget(self._footer())

        self.state.reanalyse()
        self.pages: dict[str, QtWidgets.QWidget] = {}
        self.scene_page = self._add("scene", ScenePage(self.state))
        self.assets_page = self._add("assets", AssetsPage(self.state))
        self.checks_page = self._add(
            "checks", ChecksPage(self.state, self.show_asset, locate=self.locate_missing)
        )
        self.job_page = self._add("job", JobPage(self.state))
        self.submit_page = self._add("submit", SubmitPage(self.state))
        self.jobs_page = self._add("jobs", JobsPage(self.state))
        self.presets_page = self._add("presets", PresetsPage(self.state))
        self.sections.currentRowChanged.connect(self._section_changed)
        self.submit_page.open_job.connect(self._open_job)
        show_notice = getattr(host, "show_job_notice", None)
        if show_notice is not None:  # a job's news where the artist looks (Maya's viewport)
            self.jobs_page.watch.notice.connect(show_notice)
        self.submit_page.running_changed.connect(lambda _: self._refresh_footer())

        self.state.analysis_changed.connect(self._refresh_chrome)
        self.state.choices_changed.connect(self._refresh_chrome)
        self.state.login_changed.connect(self._refresh_chrome)
        self.state.farm_data_changed.connect(self._refresh_chrome)
        self._refresh_chrome()
        self.show_section(
            self.state.prefs.section if self.state.prefs.section in self.pages else "scene"
        )
        self.state.refresh_farm_data()

    # -- building --------------------------------------------------------------------------------
    def _header(self) -> QtWidgets.QWidget:
        bar = QtWidgets.QFrame()
        bar.setProperty("role", "bar")
        layout = QtWidgets.QHBoxLayout(bar)
        layout.setContentsMargins(16, 10, 12, 10)
        layout.setSpacing(12)
        logo = QtWidgets.QLabel()
        logo.setPixmap(theme.standard_icon(self, "SP_DriveNetIcon").pixmap(26, 26))
        layout.addWidget(logo)
        text = QtWidgets.QVBoxLayout()
        text.setSpacing(1)
        self.title = theme.label("", "title")
        self.subtitle = theme.label("", "muted", wrap=True)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        layout.addLayout(text, 1)
        self.farm_label = theme.label("", "muted")
        layout.addWidget(self.farm_label)
        self.reanalyse_button = QtWidgets.QPushButton("Re-analyse")
        self.reanalyse_button.setIcon(theme.standard_icon(self, "SP_BrowserReload"))
        self.reanalyse_button.setToolTip("Read the scene again (after changing it)")
        self.reanalyse_button.clicked.connect(self.state_reanalyse)
        layout.addWidget(self.reanalyse_button)
        return bar

    def _footer(self) -> QtWidgets.QWidget:
        bar = QtWidgets.QFrame()
        bar.setProperty("role", "bar")
        layout = QtWidgets.QHBoxLayout(bar)
        layout.setContentsMargins(16, 8, 12, 8)
        self.footer_icon = QtWidgets.QLabel()
        self.footer_text = theme.label("", wrap=True)
        self.footer_text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.submit_button = QtWidgets.QPushButton("Submit to farm")
        self.submit_button.setProperty("role", "primary")
        self.submit_button.clicked.connect(self.submit)
        layout.addWidget(self.footer_icon)
        layout.addWidget(self.footer_text, 1)
        layout.addWidget(self.submit_button)
        return bar

    def _add(self, key: str, page: Page) -> Page:
        self.pages[key] = page
        title, icon = next((t, i) for k, t, i in SECTIONS if k == key)
        item = QtWidgets.QListWidgetItem(title)
        item.setData(ROLE_KEY, key)
        if icon:
            item.setIcon(theme.standard_icon(self, icon))
        self.sections.addItem(item)
        if key in ("jobs",):
            item.setSizeHint(QtCore.QSize(0, 44))  # a gap between the scene and the farm
        self.stack.addWidget(page)
        return page

    # -- navigation ------------------------------------------------------------------------------
    def show_section(self, key: str) -> QtWidgets.QWidget:
        """Show one section (`scene`, `assets`, `checks`, `job`, `submit`, `jobs`, `presets`)."""
        keys = list(self.pages)
        self.sections.setCurrentRow(keys.index(key))
        return self.pages[key]

    def current_section(self) -> str:
        """The key of the section shown."""
        return list(self.pages)[self.sections.currentRow()]

    def _section_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.state.prefs.section = list(self.pages)[row]

    def show_asset(self, node: str, path: str | None) -> None:
        """Open Assets with a node's dependency selected."""
        self.show_section("assets")
        self.assets_page.select_dependency(node, path)

    def locate_missing(self, deps: list[Dependency], folder: Path) -> None:
        """Open Assets and search `folder` for these missing files (it offers the re-paths)."""
        self.show_section("assets")
        self.assets_page.locate_in(folder, deps)

    def _open_job(self, job_id: int) -> None:
        self.show_section("jobs")
        self.jobs_page.show_job(job_id)

    # -- actions ---------------------------------------------------------------------------------
    def state_reanalyse(self) -> None:
        """Read the scene again."""
        self.state.reanalyse()

    def submit(self) -> bool:
        """Show the Submit section and start submitting (if nothing blocks)."""
        self.show_section("submit")
        return self.submit_page.start()

    # -- header, sidebar and footer -------------------------------------------------------------
    def _refresh_chrome(self) -> None:
        analysis = self.state.analysis
        path = self.host.scene_path()
        self.title.setText(path.name if path else "Untitled scene")
        if analysis is not None:
            preview = self.state.preview()
            layers = len(preview.spec.get("layers") or [])
            spec = preview.spec
            bits = [analysis.renderer, f"{layers} layer{'s' if layers != 1 else ''}"]
            if frames := job_frames(spec):
                bits.append(f"frames {frames}")
            if size := job_size(spec):
                bits.append(size)
            bits.append(f"{len(analysis.asset)} files")
            self.subtitle.setText("  ·  ".join(bits))
        else:
            self.subtitle.setText(self.state.error or "")
        login = self.state.login
        farm = f"● {login.server}" if login.usable else "not connected"
        self.farm_label.setText(("●" if login.usable else "offline") if self.compact else farm)
        self.farm_label.setToolTip(farm)
        self._refresh_sections()
        self._refresh_footer()

    def _refresh_sections(self) -> None:
        analysis = self.state.analysis
        diags = analysis.diagnostics if analysis is not None else []
        errors = sum(d.severity == "error" for d in diags) + (0 if analysis else 1)
        warnings = sum(d.severity == "warning" for d in diags)
        missing = sum(not d.exists for d in analysis.asset) if analysis else 0
        for i in range(self.sections.count()):
            item = self.sections.item(i)
            key = item.data(ROLE_KEY)
            title = next(t for k, t, _ in SECTIONS if k == key)
            text, tip = title, title
            if key == "assets" and analysis is not None:
                text = f"{title}  {len(analysis.asset)}"
                tip = f"{len(analysis.asset)} files, " + (
                    f"{missing} missing" if missing else "every one found"
                )
                icon = theme.severity_icon("error") if missing else None
                item.setIcon(icon or theme.standard_icon(self, "SP_DirIcon"))
            elif key == "checks":
                if errors:
                    text, tip = f"{title}  {errors}", f"{errors} error(s) block submission"
                    item.setIcon(theme.severity_icon("error"))
                elif warnings:
                    text, tip = f"{title}  {warnings}", f"{warnings} warning(s)"
                    item.setIcon(theme.severity_icon("warning"))
                else:
                    tip = "nothing blocks submission"
                    item.setIcon(theme.dot_icon(theme.OK, 14))
            item.setText("" if self.compact else text)
            item.setToolTip(tip)

    def _refresh_footer(self) -> None:
        preview = self.state.preview()
        login = self.state.login
        running = self.submit_page.running
        if self.state.analysis is None:
            severity, text = "error", f"The scene could not be read: {self.state.error}"
        elif self.state.analysis.blocking:
            errors = sum(d.severity == "error" for d in self.state.analysis.diagnostics)
            severity, text = "error", f"{errors} error(s) block submission — see Checks"
        elif not preview.ok:
            severity, text = "error", f"Job settings: {preview.problems[0]}"
        elif not login.usable:
            severity, text = "notice", "Ready — log in to the farm on the Submit page"
        elif (job := self.submit_page.submitted_as()) is not None and not running:
            severity = "done"
            text = f"Job {job} submitted — change the scene or a setting to submit another"
        else:
            severity = "ok"
            text = (
                f"Ready: {preview.frames:,} frames → {preview.tasks:,} tasks, "
                f"{preview.files:,} files ({theme.human_size(preview.bytes)})"
            )
        ok = severity in ("ok", "done")
        icon = theme.dot_icon(theme.OK, 14) if ok else theme.severity_icon(severity)
        self.footer_icon.setPixmap(icon.pixmap(14, 14))
        self.footer_text.setText(text)
        self.footer_text.setToolTip("\n".join(preview.problems))
        self.submit_button.setEnabled(severity not in ("error", "done") and not running)

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Save choices and preferences, stop polling and drop background work."""
        if self._closed:
            return
        self._closed = True
        self.jobs_page.timer.stop()
        if self.submit_page.cancel_event is not None:
            self.submit_page.cancel_event.set()
        try:
            self.state.flush_choices()
            self.state.prefs.save()
        finally:
            self.background.shutdown(wait=False)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        """Qt: below a width, the panel goes compact (icon sidebar, stacked sections)."""
        super().resizeEvent(event)
        self.set_compact(event.size().width() < COMPACT_WIDTH)

    def set_compact(self, compact: bool) -> None:
        """Narrow layout for a slim dock: an icon-only sidebar and stacked sections."""
        if compact == self.compact:
            return
        self.compact = compact
        self.sections.setFixedWidth(48 if compact else SIDEBAR_WIDTH)
        # A slim header: the farm as a dot (its address in the tooltip), an icon-only button.
        self.reanalyse_button.setText("" if compact else "Re-analyse")
        self._refresh_chrome()
        for page in self.pages.values():
            if hasattr(page, "set_compact"):
                page.set_compact(compact)
        self._refresh_sections()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Qt: closing the panel shuts it down."""
        self.shutdown()
        super().closeEvent(event)
