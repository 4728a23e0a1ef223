"""The command adapter: argv templates filled per frame or per run, outputs, refusals, progress."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from farmhand.spec.jobspec import COMMAND_PLACEHOLDERS
from farmhand.spec.tiles import tile_rects
from farmhand_worker import adapters
from farmhand_worker.adapters import command
from farmhand_worker.adapters.base import AdapterError, RenderCommand, RenderTask, TileJob

WRITE = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(' '.join(sys.argv[2:]))"


def make_task(tmp_path: Path, argv: list[str], frames=(1,), **spec: Any) -> RenderTask:
    renderer = {"adapter": "command", "argv": argv, **spec.pop("renderer", {})}
    output = tmp_path / "out dir é"
    output.mkdir(parents=True, exist_ok=True)
    return RenderTask(
        job_id=1,
        task_id=2,
        attempt_id=3,
        kind="chunk",
        frames=list(frames),
        scene=tmp_path / "root" / "C" / "shot.blend",
        job_root=tmp_path / "root",
        output_dir=output,
        work_dir=tmp_path / "work",
        spec={"renderer": renderer, **spec},
    )


def run(cmd: RenderCommand) -> list[subprocess.CompletedProcess]:
    """Run each argv in order, as the daemon does (no shell)."""
    return [
        subprocess.run(argv, cwd=cmd.cwd, capture_output=True, text=True, check=True)
        for argv in [cmd.argv, *cmd.then]
    ]


def test_module_doctests() -> None:
    result = doctest.testmod(command)
    assert result.attempted >= 4
    assert result.failed == 0


def test_registered_as_command() -> None:
    assert adapters.get("command") is command.ADAPTER


def test_one_process_per_frame_writing_its_file(tmp_path: Path) -> None:
    task = make_task(
        tmp_path,
        [sys.executable, "-c", WRITE, "{output}/frame_{frame:04d}.txt", "{frame}", "{start}-{end}"],
        frames=[1, 2, 3, 10],
        renderer={"outputs": ["frame_{frame:04d}.txt"]},
    )
    cmd = command.ADAPTER.build(task)
    assert len(cmd.then) == 3
    assert cmd.cwd == task.output_dir
    assert cmd.expected == [task.output_dir / f"frame_{f:04d}.txt" for f in (1, 2, 3, 10)]
    run(cmd)
    contents = [p.read_text() for p in cmd.expected]
    assert contents == ["1 1-3", "2 1-3", "3 1-3", "10 10-10"]


def test_one_process_per_contiguous_run_without_frame(tmp_path: Path) -> None:
    task = make_task(tmp_path, ["render", "-s", "{start}", "-e", "{end}", "-j", "{step}"])
    task.frames = [1, 2, 3, 7, 9, 11, 20]
    cmd = command.ADAPTER.build(task)
    assert [cmd.argv, *cmd.then] == [
        ["render", "-s", "1", "-e", "3", "-j", "1"],
        ["render", "-s", "7", "-e", "11", "-j", "2"],
        ["render", "-s", "20", "-e", "20", "-j", "1"],
    ]


def test_one_process_without_frame_placeholders(tmp_path: Path) -> None:
    task = make_task(tmp_path, ["tool", "{scene}", "--out", "{output}"], frames=[1, 2, 3])
    cmd = command.ADAPTER.build(task)
    assert cmd.argv == ["tool", str(task.scene), "--out", str(task.output_dir)]
    assert cmd.then == [] and cmd.expected == []


def test_braces_and_paths_with_spaces_stay_one_argument(tmp_path: Path) -> None:
    task = make_task(tmp_path, ["echo", "{{literal}}", "{{{frame}}}", "{output}/a b.txt"])
    assert command.ADAPTER.build(task).argv == [
        "echo",
        "{literal}",
        "{1}",
        f"{task.output_dir}/a b.txt",
    ]


def test_every_listed_placeholder_has_a_value_for_a_tile(tmp_path: Path) -> None:
    """COMMAND_PLACEHOLDERS is the contract: a name added there without a value fails here."""
    names = sorted(COMMAND_PLACEHOLDERS)
    task = make_task(tmp_path, ["tool", *[f"{name}={{{name}}}" for name in names]], frames=[5])
    tile = tile_rects(64, 48, 4, "block")[3]
    task.kind, task.tile = "tile", TileJob(tile, 4, 64, 48)
    values = dict(arg.split("=", 1) for arg in command.ADAPTER.build(task).argv[1:])
    assert values == {
        "frame": "5",
        "start": "5",
        "end": "5",
        "step": "1",
        "output": str(task.output_dir),
        "scene": str(task.scene),
        "width": "64",
        "height": "48",
        "tile_index": "3",
        "tile_x": str(tile.x),
        "tile_y": str(tile.y),
        "tile_width": str(tile.width),
        "tile_height": str(tile.height),
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{frame.__class__}", "plain placeholder name"),
        ("{frame[0]}", "plain placeholder name"),
        ("{0}", "plain placeholder name"),
        ("{}", "plain placeholder name"),
        ("{frame!r}", "conversions"),
        ("{frame:{width}}", "nested"),
        ("{bogus}", "unknown placeholder {bogus}"),
        ("{frame", "braces"),
        ("frame}", "braces"),
        ("{output:d}", "{output:d}"),
        ("{width}", "no value"),
        ("{tile_x}", "only a tile task"),
        ("a\0b", "NUL"),
    ],
)
def test_refused_templates(tmp_path: Path, template: str, message: str) -> None:
    with pytest.raises(AdapterError, match=re.escape(message)):
        command.ADAPTER.build(make_task(tmp_path, ["tool", template]))


def test_the_program_must_not_be_empty(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="empty"):
        command.ADAPTER.build(make_task(tmp_path, ["", "x"]))
    with pytest.raises(AdapterError, match="non-empty list"):
        command.ADAPTER.build(make_task(tmp_path, []))


@pytest.mark.parametrize("output", ["../escape_{frame}.txt", "/etc/passwd", "a/../../b"])
def test_outputs_may_not_leave_the_output_folder(tmp_path: Path, output: str) -> None:
    task = make_task(tmp_path, ["tool", "{frame}"], renderer={"outputs": [output]})
    with pytest.raises(AdapterError, match="outside the output folder"):
        command.ADAPTER.build(task)


def test_absolute_outputs_inside_the_folder_are_fine(tmp_path: Path) -> None:
    task = make_task(
        tmp_path, ["tool"], frames=[3, 4], renderer={"outputs": ["{output}/{frame}.exr"]}
    )
    assert command.ADAPTER.build(task).expected == [
        task.output_dir / "3.exr",
        task.output_dir / "4.exr",
    ]


def test_progress_from_a_real_process(tmp_path: Path) -> None:
    script = (
        "print('starting'); print('rendered 50%'); print('progress: 0.75'); print('done 100 %')"
    )
    (result,) = run(command.ADAPTER.build(make_task(tmp_path, [sys.executable, "-c", script])))
    events = [command.ADAPTER.parse_line(line) for line in result.stdout.splitlines()]
    assert [e.progress if e else None for e in events] == [None, 0.5, 0.75, 1.0]
    assert all(e is None or e.fatal is None for e in events)


@pytest.mark.parametrize(
    ("line", "progress"),
    [
        ("Fra:1 | 12.5% | Sample 5/16", 0.125),
        ("PROGRESS = 0.3", 0.3),
        ("120% of budget", None),
        ("ERROR: licence failure", None),  # no fatal patterns: the exit code decides
        ("version 1.2.3", None),
    ],
)
def test_generic_progress_lines(line: str, progress: float | None) -> None:
    event = command.ADAPTER.parse_line(line)
    assert (event.progress if event else None) == progress
