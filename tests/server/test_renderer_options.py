"""The server refuses a job whose renderer options could run code on a node (issue 11)."""

from __future__ import annotations

import pytest
from farm import job_spec, new_user, upload
from server_harness import RunningServer

MEL = 'system("cat /var/lib/farmhand-worker/worker.json")'
CASES = [
    ("blender", {}, ["--env-system-python", "../../root/C/py"], "--env-system-python"),
    ("blender", {}, ["--log-file", "/etc/cron.d/farm"], "--log-file"),
    ("blender", {}, ["--python", "/tmp/evil.py"], "--python"),
    *[("maya", {"name": "arnold"}, [hook, MEL], hook)
      for hook in ("-postRender", "-preFrame", "-postFrame", "-preLayer", "-postLayer")],
]  # fmt: skip


@pytest.mark.parametrize(("adapter", "renderer", "extra", "flag"), CASES)
def test_hostile_extra_args_are_400_and_no_job_is_made(
    server: RunningServer, adapter: str, renderer: dict, extra: list[str], flag: str
) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene")
    spec = job_spec(scene, renderer={"adapter": adapter, **renderer, "extra_args": extra},
                    software={"cg_name": adapter, "cg_version": "1"})  # fmt: skip
    response = ann.post(server.url("/jobs"), json=spec)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"].startswith(f'job spec: renderer.extra_args[0]: "{flag}" is not allowed')
    assert ann.get(server.url("/jobs")).json()["jobs"] == []
    allowed = dict(spec, renderer={"adapter": adapter, **renderer, "extra_args": []})
    assert ann.post(server.url("/jobs"), json=allowed).status_code == 201
