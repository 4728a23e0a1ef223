"""Per-user panel preferences: default job choices and a few remembered UI places.

Stored as JSON beside the login config (`~/.config/farmhand/panel.json`,
`$XDG_CONFIG_HOME` honoured), so the same defaults apply inside Maya and in
`farmhand panel`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.panel.choices import USER_DEFAULT_FIELDS, PanelChoices
from farmhand.panel.host import write_json
from farmhand.user_dirs import config_path


def prefs_path() -> Path:
    """Where the panel keeps this user's preferences."""
    return config_path().parent / "panel.json"


@dataclass
class UserPrefs:
    """What the panel remembers for this user across scenes."""

    defaults: dict[str, Any] = field(default_factory=dict)  # USER_DEFAULT_FIELDS only
    section: str = "scene"
    locate_folder: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> UserPrefs:
        """The saved preferences, or the defaults when there are none (or they are damaged)."""
        try:
            data = json.loads((path or prefs_path()).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        defaults = data.get("defaults")
        return cls(
            defaults={k: v for k, v in defaults.items() if k in USER_DEFAULT_FIELDS}
            if isinstance(defaults, dict)
            else {},
            section=str(data.get("section") or "scene"),
            locate_folder=str(data.get("locate_folder") or ""),
        )

    def save(self, path: Path | None = None) -> None:
        """Write the preferences (atomically)."""
        body = {"defaults": self.defaults, "section": self.section,
                "locate_folder": self.locate_folder}  # fmt: skip
        write_json(path or prefs_path(), body)

    def new_scene_choices(self) -> PanelChoices:
        """Choices for a scene that has none saved: the user's defaults."""
        return PanelChoices.from_dict(self.defaults)
