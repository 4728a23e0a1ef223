"""`farmhand panel`: opens the panel on a .ma file; other commands start without Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import subprocess
import sys
import time
from pathlib import Path

from farmhand.panel.host import sidecar_path
from panel_support import REPO, copy_shot

ENV_PATH = os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=ENV_PATH,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        FARMHAND_CACHE_DIR=str(tmp_path / "cache"),
    )


def test_other_commands_do_not_load_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from farmhand.cli import build_parser; build_parser(); "
        "import farmhand.panel.host; print(sorted(m for m in sys.modules if 'PySide' in m))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_bad_scene_arguments_are_refused_with_a_reason(tmp_path: Path) -> None:
    binary = tmp_path / "shot.mb"
    binary.write_bytes(b"FOR4")
    for scene, reason in (
        (tmp_path / "nope.ma", "no such file"),
        (binary, "only Maya ASCII (.ma)"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "farmhand", "panel", str(scene)],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2
        assert reason in out.stderr


def test_the_panel_opens_on_a_scene_with_a_search_path(tmp_path: Path) -> None:
    scene = copy_shot(tmp_path)
    library = tmp_path / "library"
    library.mkdir()
    argv = [
        sys.executable,
        "-m",
        "farmhand",
        "panel",
        str(scene),
        "--search-path",
        str(library),
        "--section",
        "assets",
    ]
    process = subprocess.Popen(
        argv, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # The panel saves the search path with the scene's choices once it is up.
        deadline = time.monotonic() + 60
        stored: dict = {}
        while time.monotonic() < deadline and process.poll() is None:
            try:
                stored = json.loads(sidecar_path(scene).read_text())
            except (OSError, ValueError):
                time.sleep(0.1)
                continue
            break
        assert process.poll() is None, process.communicate()[1]
        assert stored["choices"]["search_paths"] == [str(library)]
    finally:
        process.terminate()
        process.wait(30)
