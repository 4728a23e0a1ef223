"""Presets: found by name in studio then user folders, checked by schema, layered in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from farmhand.spec import presets
from farmhand.spec.jobspec import validate_preset
from farmhand.submit.pipeline import Choices, build_spec

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
    # The user's heavy layers over the studio's: its priority wins, the hardware stays.
    assert spec["hardware"] == {"ram_gb": 64}


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
    assert json.loads(run("show", "fast", "--json").stdout)["priority"] == 90
    assert "priority  90  (studio)" in run("show", "fast").stdout
    assert run("check", "fast").returncode == 0
    assert run("check", "missing").returncode == 1


def test_server_published_presets_layer_under_local_ones(farm, tmp_path, monkeypatch) -> None:
    from farmhand.transfer.client import FarmClient

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
    # Studio folders lie under the server's presets, the user's over them.
    studio = tmp_path / "studio"
    _write(studio, "farm-default", {"priority": 70, "frames_per_task": 5})
    monkeypatch.setenv("FARMHAND_PRESETS", str(studio))
    layered = presets.find("farm-default", client)
    assert layered.fields["priority"] == 30 and layered.fields["frames_per_task"] == 5
    assert layered.origins == {"priority": "server", "frames_per_task": "studio"}
    assert layered.hidden == {"priority": [("studio", 70)]}
    _write(tmp_path / "config" / "farmhand" / "presets", "farm-default", {"priority": 90})
    assert presets.find("farm-default", client).layered_from == "user over server over studio"


def test_a_preset_can_pin_the_version_policy_and_keep_the_scenes_version() -> None:
    pin = {"software": {"accept": "exact"}}
    assert validate_preset(pin) == []
    spec = presets.apply(
        {"software": {"cg_name": "Maya", "cg_version": "2023", "plugins": {}}},
        presets.Preset("pin", Path("pin.json"), "studio", pin),
    )
    assert spec["software"] == {"cg_name": "Maya", "cg_version": "2023", "plugins": {},
                                "accept": "exact"}  # fmt: skip


def _env(tmp_path: Path, studio: Path) -> dict[str, str]:
    from cli_support import cli_env

    return cli_env(tmp_path, FARMHAND_PRESETS=str(studio))


def test_a_broken_studio_file_is_skipped_with_a_warning_naming_it(tmp_path) -> None:
    from cli_support import run_cli
    from shot import write_project

    studio = tmp_path / "studio"
    _write(studio, "final", {"frames_per_task": 5, "time_out": 43200})
    broken = studio / "gpu.json"
    broken.write_text('{"hardware": {"gpu_count": 1,}', encoding="utf-8")
    env = _env(tmp_path, studio)
    listed = run_cli("presets", "list", env=env)
    assert listed.returncode == 0 and "final" in listed.stdout
    assert f"warning: skipped {broken}: cannot read the preset" in listed.stderr
    assert "Traceback" not in listed.stderr
    files = write_project(tmp_path / "proj")
    done = run_cli("submit", str(files["scene"]), "--preset", "final", "--dry-run", "--json",
                   "-", "--search-path", str(files["wood"].parent), env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spec"]["frames_per_task"] == 5
    assert f"warning: skipped a preset: {broken}" in done.stderr
    named = run_cli("presets", "show", "gpu", env=env)
    assert named.returncode == 1 and str(broken) in named.stderr


def test_a_user_preset_shadowing_a_studio_one_keeps_its_other_fields(tmp_path) -> None:
    from cli_support import run_cli

    studio = tmp_path / "studio"
    _write(studio, "final", {"description": "studio final", "frames_per_task": 5,
                             "test_frames": {"first": True}, "time_out": 43200,
                             "priority": 40})  # fmt: skip
    _write(tmp_path / "cli-config" / "farmhand" / "presets", "final",
           {"priority": 70, "tiles": 4})  # fmt: skip
    env = _env(tmp_path, studio)
    shown = run_cli("presets", "show", "final", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "final: user over studio — studio final"
    text = "\n".join(" ".join(line.split()) for line in lines)
    assert "priority 70 (user); hides studio 40" in text
    assert "time_out 43200 (studio)" in text and "test_frames" in text
    # Choosing tiles in the user's layer drops the studio's frames per task, and says so.
    assert "tiles 4 (user)" in text and "frames_per_task" not in text.split("tiles")[0]
    listed = run_cli("presets", "list", env=env)
    assert "user over studio" in listed.stdout and "hides 2 lower value(s)" in listed.stdout
    layered = json.loads(run_cli("presets", "show", "final", "--json", env=env).stdout)
    assert layered["time_out"] == 43200 and layered["priority"] == 70
    assert "frames_per_task" not in layered


def test_a_preset_that_is_not_an_object_gets_a_precise_message(tmp_path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(presets.PresetError) as err:
        presets.load(path)
    assert str(err.value) == (
        f'{path}: (preset): a preset is a JSON object of JobSpec fields, e.g. {{"priority": 60}}; '
        "this is a list"
    )


def test_publish_and_delete_server_presets_are_for_admins(farm, tmp_path) -> None:
    from cli_support import cli_env, run_cli

    server, token = farm
    root = server.base.removesuffix("/api/v1")
    local = _write(tmp_path / "mine", "night", {"description": "overnight", "priority": 5})
    artist = cli_env(tmp_path, FARMHAND_SERVER=root, FARMHAND_TOKEN=token)
    admin = cli_env(tmp_path, FARMHAND_SERVER=root, FARMHAND_TOKEN=server.admin_token)
    refused = run_cli("presets", "publish", str(local), env=artist)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "farmhand presets publish: only a farm admin can publish server presets; ask yours"
    )
    published = run_cli("presets", "publish", str(local), env=admin)
    assert published.returncode == 0 and "as the server preset 'night'" in published.stdout
    again = run_cli("presets", "publish", str(local), env=admin)
    assert again.returncode == 1 and "--overwrite replaces it" in again.stderr
    replaced = run_cli("presets", "publish", str(local), "--overwrite", env=admin)
    assert replaced.returncode == 0 and replaced.stdout.startswith("replaced")
    listed = run_cli("presets", "list", env=artist)
    assert "night" in listed.stdout and "server" in listed.stdout
    assert run_cli("presets", "delete", "night", env=artist).returncode == 1
    deleted = run_cli("presets", "delete", "night", env=admin)
    assert deleted.returncode == 0, deleted.stderr
    gone = run_cli("presets", "delete", "night", env=admin)
    assert gone.returncode == 1 and "the server has no preset 'night'" in gone.stderr
