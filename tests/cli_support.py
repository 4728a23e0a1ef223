"""The `farmhand` command line as tests run it: its own process, this checkout's packages,
caches and settings under the test's temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment for `python -m farmhand` (`extra` added, e.g. FARMHAND_SERVER)."""
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")]),
        FARMHAND_CACHE_DIR=str(tmp_path / "cli-cache"),
        XDG_CONFIG_HOME=str(tmp_path / "cli-config"),
        **extra,
    )


def farm_env(tmp_path: Path, server, token: str, **extra: str) -> dict[str, str]:
    """`cli_env` logged in to a running test server as `token`'s user."""
    return cli_env(tmp_path, FARMHAND_SERVER=server.base.removesuffix("/api/v1"),
                   FARMHAND_TOKEN=token, **extra)  # fmt: skip


def run_cli(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """`farmhand ARGS…` run to its end, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "farmhand", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
