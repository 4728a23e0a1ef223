"""The JobSpec's defaults: declared in the schema, applied by `farmhand.spec.defaults` alone."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from farmhand.spec import plan
from farmhand.spec.defaults import declared_defaults, default_of, with_defaults
from farmhand.spec.frames import TestFrameChoice
from farmhand.spec.jobspec import load_schema, validate_jobspec
from farmhand.spec.scheduling import Hardware, Scheduling, Tiling
from test_jobspec import full_spec, minimal_spec, tiled_spec, v2_spec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "jobspec.md"


def _get(spec: Any, path: str) -> list[Any]:
    """Every value at a dotted path, `[]` standing for each item of a list."""
    values = [spec]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        values = [v[name] for v in values if isinstance(v, dict) and name in v]
        if many:
            values = [item for v in values for item in v]
    return values


def _untiled_v1() -> dict[str, Any]:
    return minimal_spec()


def _tiled_v1_without_type() -> dict[str, Any]:
    spec = tiled_spec()
    del spec["tiles_type"]  # what the panel and `farmhand submit` fill in from the schema
    return spec


def _bare_v2() -> dict[str, Any]:
    spec = {k: v for k, v in v2_spec().items() if k not in ("priority", "hardware")}
    spec["layers"].append({"name": "rs_bg", "frames": "1-4"})
    return spec


SPECS = {"version 1": _untiled_v1, "tiled": _tiled_v1_without_type, "version 2": _bare_v2}


def test_the_schema_declares_the_defaults_the_farm_relies_on() -> None:
    assert {d.path: d.value for d in declared_defaults()} == {
        "spec_version": 1,
        "frames_per_task": 1,
        "tiles_type": "strip",
        "test_frames": {},
        "test_frames.first": False,
        "test_frames.middle": False,
        "test_frames.last": False,
        "test_frames.custom": [],
        "stop_after_test": False,
        "priority": 50,
        "hardware": {},
        "hardware.ram_gb": 0,
        "hardware.gpu_count": 0,
        "hardware.gpu_memory_gb": 0,
        "hardware.cpu_cores": 0,
        "layers[].animation": True,
        "layers[].pick_cameras": False,
    }


def test_every_default_is_applied_to_a_spec_that_leaves_it_out() -> None:
    applied: set[str] = set()
    for make in SPECS.values():
        given, filled = make(), with_defaults(make())
        for default in declared_defaults():
            if _get(given, default.path):
                continue  # the spec sets it (or its parent): nothing to apply
            found = _get(filled, default.path)
            if found:
                # An object's default is filled in turn with its own fields' defaults.
                empty = default.value == {}
                assert all(v == default.value or (empty and isinstance(v, dict)) for v in found)
                applied.add(default.path)
    assert applied == {d.path for d in declared_defaults()}


def test_conditional_defaults_apply_only_where_the_schema_says() -> None:
    untiled = with_defaults(_untiled_v1())
    assert untiled["frames_per_task"] == 1 and "tiles_type" not in untiled
    tiled = with_defaults(_tiled_v1_without_type())
    assert tiled["tiles_type"] == "strip" and "frames_per_task" not in tiled
    assert "layers" not in with_defaults(_untiled_v1())  # version 1: no layer groups


@pytest.mark.parametrize(
    "make", [minimal_spec, full_spec, tiled_spec, v2_spec, _bare_v2], ids=lambda f: f.__name__
)
def test_a_valid_spec_stays_valid_with_its_defaults_and_is_not_changed(make) -> None:
    spec = make()
    before = copy.deepcopy(spec)
    filled = with_defaults(spec)
    assert validate_jobspec(filled) == []
    assert spec == before  # the spec given is left as it was
    assert with_defaults(filled) == filled  # applied once is applied


def test_what_a_spec_sets_wins_over_the_defaults() -> None:
    spec = full_spec()
    assert with_defaults(spec) == spec  # it sets every defaulted field already
    partial = with_defaults(
        {**minimal_spec(), "test_frames": {"last": True}, "hardware": {"ram_gb": 64}}
    )
    assert partial["test_frames"] == {"first": False, "middle": False, "last": True, "custom": []}
    assert partial["hardware"] == {"ram_gb": 64, "gpu_count": 0, "gpu_memory_gb": 0, "cpu_cores": 0}


def test_defaults_are_fresh_values_each_time() -> None:
    first = with_defaults(minimal_spec())
    first["test_frames"]["custom"].append(3)
    assert with_defaults(minimal_spec())["test_frames"]["custom"] == []
    assert default_of("test_frames.custom") == []


def test_a_malformed_spec_is_filled_as_far_as_its_shape_allows() -> None:
    assert with_defaults("not a spec") == "not a spec"
    odd = with_defaults({"test_frames": None, "layers": "x", "spec_version": 2})
    assert odd["test_frames"] is None and odd["layers"] == "x" and odd["priority"] == 50


def test_default_of_names_what_has_no_default() -> None:
    assert default_of("priority") == load_schema("jobspec")["properties"]["priority"]["default"]
    with pytest.raises(KeyError, match="no default for time_out"):
        default_of("time_out")


def _written_out(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each default it leaves out written in by hand, not by `with_defaults`."""
    spec = copy.deepcopy(spec)
    spec.setdefault("spec_version", 1)
    spec.setdefault("test_frames", {"first": False, "middle": False, "last": False, "custom": []})
    spec.setdefault("stop_after_test", False)
    spec.setdefault("priority", 50)
    spec.setdefault("hardware", {"ram_gb": 0, "gpu_count": 0, "gpu_memory_gb": 0, "cpu_cores": 0})
    if "tiles" in spec:
        spec.setdefault("tiles_type", "strip")
    else:
        spec.setdefault("frames_per_task", 1)
    for group in spec["layers"] if spec["spec_version"] == 2 else []:
        group.setdefault("animation", True)
        group.setdefault("pick_cameras", False)
    return spec


@pytest.mark.parametrize("name", list(SPECS))
def test_the_planner_cuts_a_bare_spec_as_the_same_spec_written_out(name: str) -> None:
    bare = SPECS[name]()
    full = _written_out(bare)
    assert full == with_defaults(bare)
    if name != "tiled":  # the schema wants tiles_type given with tiles
        assert validate_jobspec(bare) == [] and validate_jobspec(full) == []
    assert plan.plan_job(bare) == plan.plan_job(full)
    assert (
        plan.count(bare)
        == plan.count(full)
        == (plan.plan_job(full).frames, len(plan.plan_job(full).tasks))
    )
    assert plan.layer_groups(bare) == plan.layer_groups(full)
    assert Scheduling.of(bare) == Scheduling.of(full)


def test_the_scheduling_view_reads_each_field_once_typed() -> None:
    assert Scheduling.of(full_spec()) == Scheduling(
        priority=60,
        test_frames=TestFrameChoice(first=True, middle=True, last=False, custom=(150,)),
        stop_after_test=True,
        frames_per_task=5,
        tiles=None,
        hardware=Hardware(
            ram_gb=64.0, gpu_count=2, gpu_memory_gb=24.0, cpu_cores=16, config_ids=("418",)
        ),
        time_out=43200,
        job_stop_time=86400,
    )
    bare = Scheduling.of(minimal_spec())
    assert (bare.priority, bare.frames_per_task, bare.tiles, bare.time_out) == (50, 1, None, None)
    assert bare.hardware == Hardware(0.0, 0, 0.0, 0) and bare.test_frames == TestFrameChoice()
    tiled = Scheduling.of(tiled_spec(tiles=6))
    assert (tiled.tiles, tiled.frames_per_task) == (Tiling(6, "block"), 1)


def test_docs_list_the_schema_defaults() -> None:
    """docs/jobspec.md's Defaults table: one row per default the schema declares."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Defaults", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", section, re.MULTILINE)
    documented = {path: json.loads(value) for path, value in rows}
    assert documented == {d.path: d.value for d in declared_defaults()}
