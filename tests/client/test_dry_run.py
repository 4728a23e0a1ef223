"""`farmhand submit --dry-run`: the plan without a server, and the same plan on the server.

The dry run and the server call one planner (`farmhand.spec.plan`), so what the
artist is shown — tasks per layer, their frames, argv and expected files —
is what the server creates.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from cli_support import cli_env, run_cli
from farmhand.submit.pipeline import Choices
from farmhand.submit.send import submit_scene
from farmhand.transfer.client import FarmClient

REPO = Path(__file__).resolve().parents[2]
SCENE = REPO / "tests" / "scenes" / "layers_and_cameras.ma"


def dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Nothing listens at the server address: a dry run must not need it.
    env = cli_env(tmp_path, FARMHAND_SERVER="http://127.0.0.1:9")
    env.pop("FARMHAND_TOKEN", None)
    return run_cli("submit", *args, "--dry-run", env=env, timeout=120)


def test_the_dry_run_shows_each_task_without_a_server(tmp_path: Path) -> None:
    scene = tmp_path / SCENE.name
    shutil.copy(SCENE, scene)
    done = dry_run(tmp_path, str(scene), "--frames-per-task", "2", "--json", "-")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["spec"]["spec_version"] == 2
    tasks = data["plan"]["tasks"]
    assert [(t["layer"], t["frames"]) for t in tasks] == [
        ("masterLayer", [1, 2]), ("fg", [1, 2]), ("fg", [3, 4]), ("bg", [1, 2]),
    ]  # fmt: skip
    bg = tasks[-1]
    assert bg["renderer"] == "mayaSoftware" and bg["resolution"] == [80, 36]
    assert bg["cameras"] == ["persp", "hero"]
    [argv] = bg["argv"]
    assert argv[:3] == ["Render", "-r", "sw"] and argv[argv.index("-rl") + 1] == "rs_bg"
    assert bg["expected"] == [
        "bg/persp/layers_and_cameras.001.png", "bg/hero/layers_and_cameras.001.png",
        "bg/persp/layers_and_cameras.002.png", "bg/hero/layers_and_cameras.002.png",
    ]  # fmt: skip
    summary = dry_run(tmp_path, str(scene))
    assert summary.returncode == 0, summary.stderr
    assert "bg: mayaSoftware, frames 1-2[1], 80x36" in summary.stdout
    assert "writes fg/hero/layers_and_cameras.001.png" in summary.stdout


def test_the_server_makes_the_tasks_the_dry_run_shows(farm, tmp_path: Path) -> None:
    server, token = farm
    scene = tmp_path / SCENE.name
    shutil.copy(SCENE, scene)
    out = tmp_path / "plan.json"
    args = ("--frames-per-task", "3", "--test-frames", "first,4", "--json", str(out))
    done = dry_run(tmp_path, str(scene), *args)
    assert done.returncode == 0, done.stderr
    planned = json.loads(out.read_text(encoding="utf-8"))["plan"]["tasks"]
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    choices = Choices(frames_per_task=3, test_frames={"first": True, "custom": [4]})
    job = submit_scene(client, scene, choices).job
    made = client.tasks(job["id"])
    assert [(t["seq"], t["layer"], t["frames"], t["is_test"]) for t in made] == [
        (t["seq"], t["layer_index"], t["frames"], t["is_test"]) for t in planned
    ]
    # Frame 4 is a test frame only in fg, the one layer that renders it.
    assert [t["layer"] for t in planned if t["is_test"] and t["frames"] == [4]] == ["fg"]
