"""The server refuses a job whose renderer options could run code on a node (issue 11)."""

from __future__ import annotations

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


def test_hostile_extra_args_are_400_and_no_job_is_made(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene")
    for adapter, renderer, extra, flag in CASES:
        spec = job_spec(scene, renderer={"adapter": adapter, **renderer, "extra_args": extra},
                        software={"cg_name": adapter, "cg_version": "1"})  # fmt: skip
        response = ann.post(server.url("/jobs"), json=spec)
        assert response.status_code == 400, (flag, response.text)
        message = response.json()["error"]["message"]
        assert message.startswith(f'job spec: renderer.extra_args[0]: "{flag}" is not allowed')
    assert ann.get(server.url("/jobs")).json()["jobs"] == []
    allowed = job_spec(scene, renderer={"adapter": "blender", "extra_args": ["-t", "2"]})
    assert ann.post(server.url("/jobs"), json=allowed).status_code == 201
