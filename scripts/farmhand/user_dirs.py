"""Where Farmhand keeps an artist's own files: the login, presets and panel settings."""

from __future__ import annotations

import os
from pathlib import Path


def config_path() -> Path:
    """The user config file `farmhand login` writes (``$XDG_CONFIG_HOME/farmhand/config.json``).

    Its folder also holds the user's presets and the panel's settings.
    """
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "farmhand" / "config.json"
