"""`farmhand submit` refuses renderer options that could run code on a node, before uploading.

Issue 11: the options reach a render node's command line, so they are an
allowlist (`farmhand.spec.render_options`); a preset cannot bring them in either.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from blender_scenes import make_scene
from farmhand.transfer.client import FarmClient

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("blender") is None, reason="blender not installed")
@pytest.mark.parametrize(
    "extra",
    [["--python", "../../root/tmp/evil.py"], ["--log-file", "/etc/cron.d/farm"],
     ["--env-system-python", "../../root/C/py"]],
)  # fmt: skip
def test_a_preset_with_a_script_hook_is_refused_before_upload(farm, tmp_path: Path, extra):
    server, token = farm
    root = server.base.removesuffix("/api/v1")
    scene = make_scene(tmp_path / "shot" / "shot.blend", frames=(1, 2), samples=2)
    preset = tmp_path / "fast.json"
    renderer = {"adapter": "blender", "extra_args": ["-t", "2", *extra]}
    preset.write_text(json.dumps({"name": "fast", "renderer": renderer}), encoding="utf-8")
    paths = os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])
    env = dict(os.environ, PYTHONPATH=paths, FARMHAND_SERVER=root, FARMHAND_TOKEN=token,
               FARMHAND_CACHE_DIR=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "cfg"))  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "farmhand", "submit", str(scene), "--preset",
                           str(preset), "--frames", "1-2"],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert f'renderer.extra_args[2]: "{extra[0]}" is not allowed' in done.stderr
    client = FarmClient(root, token)
    key = f"{hashlib.md5(scene.read_bytes()).hexdigest()}-{scene.stat().st_size}"
    assert client.session.get(f"{client.base}/blobs/{key}").status_code == 404  # nothing sent
    assert client.jobs() == []
