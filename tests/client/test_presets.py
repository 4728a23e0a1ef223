"""Presets: found by name in studio then user folders, checked by schema, layered in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from farmhand import presets
from farmhand.jobspec import validate_preset
from farmhand.submission import Choices, build_spec

REPO = Path(__file__).resolve().parents[2]


def _write(folder: Path, name: str, fields: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def test_user_overrides_studio_and_layers_apply_in_order(tmp_path, monkeypatch) -> None:
    studio, config = tmp_path / "studio", tmp_path / "config"
    monkeypatch.setenv("FARMHAND_PRESETS", str(studio))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    _write(studio, "heavy", {"description": "studio", "hardware": {"ram_gb": 64}, "priority": 10})
    _write(studio, "tests", {"test_frames": {"first": True}, "stop_after_test": True})
    _write(config / "farmhand" / "presets", "heavy", {"description": "mine", "priority": 80})
    found = presets.available()
    assert sorted(found) == ["heavy", "tests"]
    assert found["heavy"].scope == "user" and found["heavy"].description == "mine"
    spec = presets.apply({"name": "job", "priority": 50}, found["tests"], found["heavy"])
    assert spec["priority"] == 80 and spec["stop_after_test"] is True and spec["name"] == "job"
    assert "hardware" not in spec  # the user's heavy replaced the studio's whole


def test_a_bad_preset_names_the_file_and_field(tmp_path) -> None:
    path = _write(tmp_path, "bad", {"priority": 500, "frames_per_task": 2, "tiles": 4})
    with pytest.raises(presets.PresetError) as err:
        presets.load(path)
    assert str(path) in str(err.value) and "priority" in str(err.value)
    with pytest.raises(presets.PresetError, match="no preset named 'nope'"):
        presets.find("nope")


def test_choices_win_over_presets_in_the_spec() -> None:
    from farmhand.scene import analyze

    analysis = analyze(REPO / "tests" / "scenes" / "time_pal.ma")
    preset = presets.Preset("p", Path("p.json"), "file", {"priority": 5, "frames_per_task": 10})
    spec = build_spec(analysis, [], {"md5": "0" * 32, "xxh64": "0" * 16, "size": 1},
                      Choices(priority=90, presets=[preset]))  # fmt: skip
    assert spec["priority"] == 90 and spec["frames_per_task"] == 10
    assert spec["software"]["cg_name"] == "Maya"


def test_presets_command(tmp_path) -> None:
    studio = tmp_path / "studio"
    _write(studio, "fast", {"description": "quick look", "priority": 90})
    env = {"FARMHAND_PRESETS": str(studio), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "PYTHONPATH": str(REPO / "scripts"), "PATH": "/usr/bin:/bin"}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "farmhand", "presets", *args], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    listed = run("list")
    assert listed.returncode == 0 and "fast" in listed.stdout and "quick look" in listed.stdout
    assert json.loads(run("show", "fast").stdout)["priority"] == 90
    assert run("check", "fast").returncode == 0
    assert run("check", "missing").returncode == 1


def test_server_published_presets_layer_under_local_ones(farm, tmp_path, monkeypatch) -> None:
    from farmhand.client import FarmClient

    server, token = farm
    admin = server.session()
    published = admin.put(server.url("/presets/farm-default"),
                          json={"description": "from the farm", "priority": 30})  # fmt: skip
    assert published.status_code == 200
    bad = admin.put(server.url("/presets/broken"), json={"priority": 1000})
    assert bad.status_code == 400 and "priority" in bad.text
    assert server.session(token).put(server.url("/presets/x"), json={}).status_code == 403
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    found = presets.available(client)
    assert (
        found["farm-default"].scope == "server" and found["farm-default"].fields["priority"] == 30
    )
    studio = tmp_path / "studio"
    _write(studio, "farm-default", {"priority": 70})
    monkeypatch.setenv("FARMHAND_PRESETS", str(studio))
    assert presets.find("farm-default", client).fields["priority"] == 70


def test_a_preset_can_pin_the_version_policy_and_keep_the_scenes_version() -> None:
    pin = {"software": {"accept": "exact"}}
    assert validate_preset(pin) == []
    spec = presets.apply(
        {"software": {"cg_name": "Maya", "cg_version": "2023", "plugins": {}}},
        presets.Preset("pin", Path("pin.json"), "studio", pin),
    )
    assert spec["software"] == {"cg_name": "Maya", "cg_version": "2023", "plugins": {},
                                "accept": "exact"}  # fmt: skip
