"""The server reads a spec with the schema's defaults (`farmhand.spec.defaults`): a spec that
leaves them out makes the same job as the same spec with them written out."""

from __future__ import annotations

import os
from typing import Any

import pytest
from farm import job, job_spec, new_user, upload
from server_harness import RunningServer

WRITTEN_OUT = {
    "spec_version": 1,
    "test_frames": {"first": False, "middle": False, "last": False, "custom": []},
    "stop_after_test": False,
    "priority": 50,
    "hardware": {"ram_gb": 0, "gpu_count": 0, "gpu_memory_gb": 0, "cpu_cores": 0},
}
TASK_FIELDS = ("seq", "kind", "frames", "tile", "layer", "is_test", "state")
JOB_FIELDS = ("state", "priority", "tasks_total", "test_pending")


def _made(server: RunningServer, ann: Any, spec: dict[str, Any]) -> tuple[dict, list[dict]]:
    created = ann.post(server.url("/jobs"), json=spec)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    tasks = ann.get(server.url(f"/jobs/{job_id}/tasks")).json()["tasks"]
    return job(server, ann, job_id), [{k: t[k] for k in TASK_FIELDS} for t in tasks]


@pytest.mark.parametrize(
    ("fields", "written"),
    [
        ({"frames": "1-5"}, {"frames_per_task": 1}),
        ({"frames": "1-3", "tiles": 2, "tiles_type": "strip", "width": 64, "height": 32}, {}),
        ({"frames": "1-9", "test_frames": {"last": True}}, {"frames_per_task": 1}),
    ],
    ids=["chunks", "tiles", "test frames"],
)
def test_a_bare_spec_makes_the_job_of_its_defaults_written_out(
    server: RunningServer, fields: dict[str, Any], written: dict[str, Any]
) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene " + os.urandom(16))
    bare = job_spec(scene, **fields)
    full = job_spec(scene, **{**WRITTEN_OUT, **written, **fields})
    if "test_frames" in fields:
        full["test_frames"] = {**WRITTEN_OUT["test_frames"], **fields["test_frames"]}
    (bare_job, bare_tasks), (full_job, full_tasks) = (
        _made(server, ann, bare),
        _made(server, ann, full),
    )
    assert bare_tasks == full_tasks
    assert {k: bare_job[k] for k in JOB_FIELDS} == {k: full_job[k] for k in JOB_FIELDS}
    assert bare_job["priority"] == 50
    assert bare_job["spec"] == bare  # the job keeps the spec as it was sent
