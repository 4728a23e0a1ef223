"""The command line says what it means (issue 15): one plain line for each refusal, nothing
that did nothing says it did, and never a traceback or a library's exception text."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_support import cli_env, farm_env, run_cli
from farmhand.cli import build_parser
from farmhand.transfer.client import FarmClient
from shot import write_project
from worker_support import command_spec, upload_files

# What a library's own exception text looks like; none of it may reach a person.
LIBRARY_TEXT = ("Traceback", "HTTPConnectionPool", "Max retries", "No connection adapters",
                "urllib3", "requests.exceptions", "Errno")  # fmt: skip


def plain(done: subprocess.CompletedProcess) -> str:
    """Its standard error, after checking it holds no library text."""
    for text in LIBRARY_TEXT:
        assert text not in done.stderr, done.stderr
        assert text not in done.stdout, done.stdout
    return done.stderr


def one_line(done: subprocess.CompletedProcess) -> str:
    text = plain(done).strip()
    assert "\n" not in text, text
    return text


@pytest.fixture
def shot(tmp_path: Path) -> dict[str, Path]:
    return write_project(tmp_path / "proj")


def test_submit_without_a_server_fails_before_hashing_in_one_line(tmp_path, shot) -> None:
    env = cli_env(tmp_path, FARMHAND_SERVER="127.0.0.1:9")  # no scheme; nothing listens there
    done = run_cli("submit", str(shot["scene"]), "--search-path", str(shot["wood"].parent),
                   env=env)  # fmt: skip
    line = one_line(done)
    assert done.returncode == 1
    assert "http://127.0.0.1:9" in line and "FARMHAND_SERVER" in line
    assert "farmhand login --server URL --token TOKEN" in line
    # Refused before any file was hashed: the hash cache was never opened.
    assert not (tmp_path / "cli-cache" / "hashes.sqlite3").exists()
    assert "hashing" not in done.stderr

    unset = run_cli("submit", str(shot["scene"]), "--server", "localhost:9", env=cli_env(tmp_path))
    line = one_line(unset)
    assert unset.returncode == 1 and "http://localhost:9 (--server)" in line


def test_a_server_without_a_scheme_is_taken_as_http(farm, tmp_path) -> None:
    server, token = farm
    bare = server.base.removesuffix("/api/v1").removeprefix("http://")
    env = cli_env(tmp_path, FARMHAND_SERVER=bare, FARMHAND_TOKEN=token)
    jobs = run_cli("jobs", env=env)
    assert jobs.returncode == 0, plain(jobs)
    assert jobs.stdout.strip() == "no jobs"
    login = run_cli("login", "--server", bare, "--token", token, env=cli_env(tmp_path))
    assert login.returncode == 0, plain(login)
    assert f"logged in to http://{bare} as ann" in login.stdout
    bad = run_cli("login", "--server", bare, "--token", "wrong", env=cli_env(tmp_path))
    line = one_line(bad)
    assert bad.returncode == 1 and "does not accept your token" in line


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


@pytest.mark.parametrize("command", ["submit", "login", "status", "jobs", "logs", "presets",
                                     "analyze", "pause", "retry", "download", "panel"])  # fmt: skip
def test_every_option_is_described_in_help(command) -> None:
    sub = _subparsers(build_parser())[command]
    undescribed = [a.dest for a in sub._actions if not a.help and a.dest != "help"]
    assert undescribed == [], f"{command}: {undescribed} have no help"


def test_submit_help_gives_the_ranges() -> None:
    text = _subparsers(build_parser())["submit"].format_help()
    assert "0 lowest to 100 highest" in " ".join(text.split())
    assert "--ignore-missing" in text and "--tiles-type" in text


def test_a_priority_out_of_range_is_refused(tmp_path, shot) -> None:
    done = run_cli("submit", str(shot["scene"]), "--priority", "200", env=cli_env(tmp_path))
    assert done.returncode == 2 and "'200' is not a priority from 0 (lowest) to 100" in plain(done)


def test_tiles_without_a_type_says_what_it_does(tmp_path, shot) -> None:
    args = ("submit", str(shot["scene"]), "--search-path", str(shot["wood"].parent), "--dry-run")
    done = run_cli(*args, "--tiles", "4", env=cli_env(tmp_path))
    assert done.returncode == 0, plain(done)
    assert "--tiles 4 without --tiles-type: each frame is cut into 4 horizontal strips" in (
        plain(done)
    )
    typed = run_cli(*args, "--tiles", "4", "--tiles-type", "block", env=cli_env(tmp_path))
    assert typed.returncode == 0 and "without --tiles-type" not in plain(typed)


def test_an_unknown_layer_or_camera_is_refused_with_the_names_there_are(tmp_path, shot) -> None:
    args = ("submit", str(shot["scene"]), "--search-path", str(shot["wood"].parent), "--dry-run")
    camera = run_cli(*args, "--camera", "nope", env=cli_env(tmp_path))
    assert camera.returncode == 2
    assert one_line(camera) == (
        "farmhand submit: the scene has no camera 'nope' (cameras: persp, top, front, side)"
    )
    layer = run_cli(*args, "--layer", "nope", env=cli_env(tmp_path))
    assert layer.returncode == 2
    assert one_line(layer) == (
        "farmhand submit: the scene has no render layer 'nope' (it has: defaultRenderLayer)"
    )
    shape = run_cli(*args, "--camera", "perspShape", env=cli_env(tmp_path))
    assert shape.returncode == 0, plain(shape)


def test_a_blocked_submit_ends_with_a_short_summary(tmp_path) -> None:
    root = tmp_path / "proj"
    files = write_project(root)
    scene = files["scene"]
    body = scene.read_text(encoding="utf-8").replace("// End of shot.ma\n", "")
    body += "".join(
        f'createNode file -n "gone{i}";\n\tsetAttr ".ftn" -type "string" "lost/t{i}.png";\n'
        for i in range(40)
    )
    scene.write_text(body, encoding="utf-8")
    done = run_cli("submit", str(scene), "--dry-run", env=cli_env(tmp_path))
    text = plain(done)
    assert done.returncode == 1
    lines = text.strip().splitlines()
    assert len(lines) < 15, text
    assert lines[-1] == "farmhand submit: not submitted"
    assert "41 error(s) block shot.ma" in text and "41  missing-texture" in text
    assert "41 file(s) missing (41 texture)" in text and "--ignore-missing" in text
    report = Path(text.split("full report: ")[1].split("\n")[0])
    assert report.is_relative_to(tmp_path / "cli-cache")
    assert report.read_text(encoding="utf-8").count("MISSING") == 41


def test_ignore_missing_submits_without_them_and_lists_them(tmp_path, shot) -> None:
    done = run_cli("submit", str(shot["scene"]), "--dry-run", "--ignore-missing",
                   env=cli_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, plain(done)
    assert "1 missing file(s) left out (--ignore-missing)" in plain(done)
    assert "D:/old/wood.png will be missing on the farm" in done.stderr


def test_a_missing_reference_left_out_is_a_warning(tmp_path, shot) -> None:
    scene = shot["scene"]
    scene.write_text(
        scene.read_text(encoding="utf-8").replace(
            "// End", 'file -rdi 1 -ns "set" -rfn "setRN" "X:/gone/set.ma";\n// End'
        ),
        encoding="utf-8",
    )
    done = run_cli("submit", str(scene), "--dry-run", "--ignore-missing",
                   "--search-path", str(shot["wood"].parent), env=cli_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, plain(done)
    assert "warning: setRN.fileNames: the missing reference X:/gone/set.ma is left out" in (
        done.stderr
    ), done.stderr


@pytest.fixture
def job(farm, tmp_path):
    """The farm, the artist's CLI environment, and one queued job of theirs."""
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    made = client.submit_job(command_spec(scene, ref, ["true"], frames="1-2", name="lamp"))
    return farm_env(tmp_path, server, token), made["id"]


def test_retry_with_nothing_failed_says_so_and_fails(job) -> None:
    env, job_id = job
    done = run_cli("retry", str(job_id), env=env)
    assert done.returncode == 1
    assert one_line(done) == (
        f"job {job_id}: nothing to retry: no task failed or was cancelled (the job is queued)"
    )


def test_pausing_a_paused_job_says_it_plainly(job) -> None:
    env, job_id = job
    first = run_cli("pause", str(job_id), env=env)
    assert first.returncode == 0 and first.stdout.strip() == f"job {job_id}: paused"
    again = run_cli("pause", str(job_id), env=env)
    assert again.returncode == 1
    assert one_line(again) == (
        f"farmhand pause: job {job_id} is already paused; nothing to do "
        f"(`farmhand resume {job_id}`)"
    )
    approve = run_cli("approve", str(job_id), env=env)
    assert approve.returncode == 1 and "is paused, not awaiting approval" in one_line(approve)


def test_jobs_prints_a_header(job) -> None:
    env, job_id = job
    done = run_cli("jobs", env=env)
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["job", "state", "done", "name"]
    assert lines[1].split()[0] == str(job_id) and lines[1].split()[-1] == "lamp"


@pytest.mark.parametrize("name", ["notes.txt", "userSetup.mel", "shot.mb"])
def test_analyze_refuses_files_that_are_not_scenes(tmp_path, name) -> None:
    path = tmp_path / name
    path.write_text("//Maya ASCII 2025 scene\n")
    done = run_cli("analyze", str(path), env=cli_env(tmp_path))
    assert done.returncode == 2
    line = one_line(done)
    assert ("is not a scene" in line) if name != "shot.mb" else ("save it as .ma" in line)
    submitted = run_cli("submit", str(path), "--dry-run", env=cli_env(tmp_path))
    same = line.replace("farmhand analyze", "farmhand submit")
    assert submitted.returncode == 2 and one_line(submitted) == same


def test_download_without_a_server_says_which_it_tried(tmp_path) -> None:
    env = cli_env(tmp_path, FARMHAND_SERVER="127.0.0.1:9")
    done = run_cli("download", "1", "--dest", str(tmp_path / "out"), env=env)
    assert done.returncode == 1 and "http://127.0.0.1:9 (FARMHAND_SERVER)" in one_line(done)


def test_sizes_are_in_binary_units(tmp_path, shot) -> None:
    shot["wall"].write_bytes(b"x" * 1024)
    done = run_cli("analyze", str(shot["scene"]), env=cli_env(tmp_path))
    wall = next(line for line in done.stdout.splitlines() if "wall.png" in line)
    assert "1.0 KiB" in wall and "KB" not in done.stdout


@pytest.mark.skipif(shutil.which("blender") is None, reason="blender not installed")
def test_a_blend_summary_names_blender_not_maya(tmp_path) -> None:
    from blender_scenes import make_scene

    scene = make_scene(tmp_path / "sh.blend", frames=(1, 2), width=32, height=32, samples=1)
    done = run_cli("analyze", str(scene), env=cli_env(tmp_path))
    assert "Maya" not in done.stdout and "?" not in done.stdout.split("\n")[1]
    assert done.stdout.split("\n")[1].startswith("Blender")
