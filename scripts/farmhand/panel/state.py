"""The panel's shared state: the scene's analysis, the artist's choices, the farm connection.

Pages read it and change it through its methods; it tells them about changes
with signals. The analysis is taken on the GUI thread (`SceneHost.analyse`,
as Maya requires); everything that talks to the farm runs in `Background`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farmhand.panel.background import Background
from farmhand.panel.choices import PanelChoices, picked_cameras, to_submission
from farmhand.panel.connection import Login, current_login, describe_error
from farmhand.panel.host import SceneHost
from farmhand.panel.prefs import UserPrefs
from farmhand.panel.preset_store import list_presets
from farmhand.panel.qt import Qt, QtCore, QtWidgets, Signal
from farmhand.panel.spec_preview import Preview, preview
from farmhand.scene import Analysis, Dependency, SceneError
from farmhand.spec.presets import Preset, PresetList
from farmhand.submit.ignored import IgnoreKey, ignore_key, with_picked_cameras, without_ignored
from farmhand.submit.pipeline import Choices

SAVE_DELAY_MS = 700


class PanelState(QtCore.QObject):
    """One scene's analysis and choices, and the farm the panel talks to."""

    analysis_changed = Signal()
    choices_changed = Signal()
    login_changed = Signal()
    farm_data_changed = Signal()  # presets or hardware configs arrived
    job_submitted = Signal(object)  # the job dict

    def __init__(
        self,
        host: SceneHost,
        prefs: UserPrefs,
        background: Background,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.prefs = prefs
        self.background = background
        saved = host.load_choices()
        self.choices = PanelChoices.from_dict(saved) if saved else prefs.new_scene_choices()
        self.raw: Analysis | None = None
        self.analysis: Analysis | None = None
        self.error = ""
        self.ignored: set[IgnoreKey] = set()
        self.login: Login = current_login()
        self.presets = PresetList()
        self.hardware_configs: list[dict[str, Any]] = []
        self.is_admin = False  # the farm says so (`GET /me`): studio presets are then writable
        self.farm_error = ""
        self.farm_loads = 0  # how many times presets and hardware configs came from the farm
        self._preview: Preview | None = None
        self._manifest_problems: list[str] | None = None  # checked once per analysis
        self._save_timer = QtCore.QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush_choices)
        self._load_local_presets()

    # -- the scene ------------------------------------------------------------------------------
    def reanalyse(self) -> None:
        """Analyse the scene again (GUI thread), with the search paths and re-paths."""
        app = QtWidgets.QApplication.instance()
        if app is not None:
            QtWidgets.QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.raw = self.host.analyse([Path(p) for p in self.choices.search_paths])
            self.error = ""
        except (SceneError, OSError) as exc:
            self.raw, self.error = None, str(exc)
        except Exception as exc:  # a live host's failure must not take the panel down with it
            self.raw, self.error = None, f"{type(exc).__name__}: {exc}"
        finally:
            if app is not None:
                QtWidgets.QApplication.restoreOverrideCursor()
        self._apply_edits()

    def reload_scene(self) -> None:
        """Another scene was opened (or a new one made): take its choices and read it.

        The choices waiting to be saved belong to the scene that was closed: they are
        dropped, never written into the new scene's fileInfo.
        """
        self._save_timer.stop()
        saved = self.host.load_choices()
        self.choices = PanelChoices.from_dict(saved) if saved else self.prefs.new_scene_choices()
        self.ignored.clear()
        self._preview = None
        self._manifest_problems = None
        self.reanalyse()
        self.choices_changed.emit()

    def set_ignored(self, dep: Dependency, ignored: bool) -> None:
        """Leave a missing file out of this submission, or take it back."""
        key = ignore_key(dep)
        if ignored:
            self.ignored.add(key)
        else:
            self.ignored.discard(key)
        self._apply_edits()

    def set_ignored_many(self, deps: list[Dependency], ignored: bool) -> None:
        """`set_ignored` for many files at once (one new analysis, not one per file)."""
        keys = {ignore_key(d) for d in deps}
        if ignored:
            self.ignored |= keys
        else:
            self.ignored -= keys
        self._apply_edits()

    def is_ignored(self, dep: Dependency) -> bool:
        """True when the artist left this dependency out."""
        return ignore_key(dep) in self.ignored

    def ignored_dependencies(self) -> list[Dependency]:
        """The dependencies of the raw analysis that are left out."""
        if self.raw is None:
            return []
        return [d for d in self.raw.asset if not d.exists and ignore_key(d) in self.ignored]

    def repath(self, node: str, attribute: str, new_path: str) -> None:
        """Re-path through the host, then analyse again; ValueError/OSError say why not."""
        self.host.repath(node, attribute, new_path)
        self.reanalyse()

    def select(self, node: str | None) -> None:
        """Select a node in the host (Maya), when there is one."""
        if node:
            self.host.select(node)

    def _apply_edits(self) -> None:
        self._preview = self._manifest_problems = None
        self.analysis = None
        if self.raw is not None:
            layers = self.raw.scene_info_render
            picked = [
                name
                for name in self.choices.cameras
                if name in layers and picked_cameras(self.choices, name, layers[name])
            ]
            analysis = without_ignored(self.raw, self.ignored)
            self.analysis = with_picked_cameras(analysis, picked)
        self.analysis_changed.emit()

    # -- choices ---------------------------------------------------------------------------------
    def update(self, **changes: Any) -> None:
        """Change some choices; they are saved with the scene shortly after."""
        changed = False
        for key, value in changes.items():
            if not hasattr(self.choices, key):
                raise AttributeError(f"no panel choice named {key!r}")
            if getattr(self.choices, key) != value:
                setattr(self.choices, key, value)
                changed = True
        if not changed:
            return
        self._preview = None
        self._save_timer.start()
        if "search_paths" in changes:
            self.reanalyse()
        elif "cameras" in changes:
            self._apply_edits()  # a ticked camera makes its layer renderable
        self.choices_changed.emit()

    def replace_choices(self, choices: PanelChoices) -> None:
        """Take a whole new set of choices (e.g. the user's defaults)."""
        search_changed = choices.search_paths != self.choices.search_paths
        self.choices = choices
        self._preview = None
        self._save_timer.start()
        if search_changed:
            self.reanalyse()
        else:
            self._apply_edits()
        self.choices_changed.emit()

    def flush_choices(self) -> None:
        """Save the choices with the scene now."""
        self._save_timer.stop()
        self.host.save_choices(self.choices.to_dict())

    def save_user_defaults(self) -> None:
        """Keep the current job choices as this user's defaults for new scenes."""
        self.prefs.defaults = self.choices.user_defaults()
        self.prefs.save()

    def submission(self) -> tuple[Choices, list[str]]:
        """The submission Choices and the problems found turning the panel's into them."""
        if self.analysis is None:
            return Choices(), ["(scene): the scene could not be read"]
        choices, problems = to_submission(self.choices, self.analysis, self.presets.presets)
        if self.host.scene_path() is None:
            problems.insert(0, "(scene): save the scene first: the farm renders the saved file")
        return choices, problems

    def preview(self) -> Preview:
        """The job spec as it would be sent now, with its problems (kept until a change)."""
        if self.analysis is None:
            return Preview({}, [f"(scene): {self.error or 'not analysed yet'}"])
        if self._preview is None:
            choices, problems = self.submission()
            self._preview = preview(self.analysis, choices, problems, self._manifest_problems)
            self._manifest_problems = self._preview.manifest_problems
        return self._preview

    # -- the farm --------------------------------------------------------------------------------
    def set_login(self, login: Login) -> None:
        """Use another server/token (after the login form accepted it)."""
        self.login = login
        self.login_changed.emit()
        self.refresh_farm_data()

    def refresh_farm_data(self) -> None:
        """Fetch presets and hardware configs from the farm in the background."""
        if not self.login.usable:
            return
        login = self.login
        self.background.run(_farm_data, login, on_done=self._farm_data, on_error=self._farm_failed)

    def _load_local_presets(self) -> None:
        self.presets = list_presets(None)

    def _farm_data(self, data: tuple[PresetList, list[dict[str, Any]], bool]) -> None:
        self.presets, self.hardware_configs, self.is_admin = data
        self.farm_error = ""
        self.farm_loads += 1
        self._preview = None
        self.farm_data_changed.emit()
        self.choices_changed.emit()  # a preset named in the choices may exist now

    def _farm_failed(self, exc: BaseException) -> None:
        self.farm_error = describe_error(exc)
        self.farm_data_changed.emit()

    def add_preset(self, preset: Preset) -> None:
        """Make a preset just saved available at once."""
        self.presets.presets[preset.name] = preset
        self._preview = None
        self.farm_data_changed.emit()

    def preset(self, name: str) -> Preset | None:
        """A preset by name, if available."""
        return self.presets.presets.get(name)


def _farm_data(login: Login) -> tuple[PresetList, list[dict[str, Any]], bool]:
    """Presets (studio, server, user), the server's hardware configs, and whether the user
    is a farm admin."""
    client = login.client()
    presets = list_presets(client)
    configs = client.json("GET", "/hardware-configs").get("hardware_configs", [])
    me = client.json("GET", "/me") or {}
    return presets, configs, me.get("role") == "admin"
