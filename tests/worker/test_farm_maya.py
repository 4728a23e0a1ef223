"""A Maya scene through the whole farm, with a stand-in for Maya's `Render`.

Maya cannot be installed here, so the worker's Maya executable is
tests/worker/standin/Render: a small program that reads Render's flags, runs
the pre-render MEL's `dirmap` lines, refuses a scene whose textures do not
resolve, and writes one PNG per frame. It is a stand-in, not Maya: what this
test shows is the path around the renderer — the offline analysis, hashing,
upload, the Maya adapter's argv and dirmap on the worker, outputs back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from farmhand.client import FarmClient, FarmError
from farmhand.submission import Choices, submit_scene
from farmhand_worker.config import Software
from PIL import Image
from worker_support import download, plant_spec, start_worker, wait_job

STANDIN = Path(__file__).parent / "standin" / "Render"
TEMPLATE = Path(__file__).parents[1] / "scenes" / "time_pal.ma"


def artist_scene(root: Path) -> Path:
    """A Maya 2025 scene rendering frames 1-3 with one texture, by absolute path."""
    texture = root / "sourceimages" / "wall.png"
    texture.parent.mkdir(parents=True)
    Image.new("RGB", (8, 8), (200, 80, 40)).save(texture)
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace('setAttr -k on ".ef" 50;', 'setAttr -k on ".ef" 3;')
    file_node = (f'createNode file -n "wallTex";\n'
                 f'\tsetAttr ".ftn" -type "string" "{texture.as_posix()}";\n')  # fmt: skip
    text = text.replace("select -ne :time1;", file_node + "select -ne :time1;", 1)
    scene = root / "scenes" / "shot.ma"
    scene.parent.mkdir()
    scene.write_text(text, encoding="utf-8")
    return scene


def test_a_maya_scene_renders_through_the_standin_with_dirmap(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    artist = tmp_path / "artist project"
    scene = artist_scene(artist)
    submitted = submit_scene(client, scene, Choices(frames="1-3", frames_per_task=3))
    spec = client.job(submitted.job["id"])["spec"]
    assert spec["renderer"]["adapter"] == "maya" and spec["cameras"] == ["perspShape"]
    # The artist's folder goes away: on the worker the files exist only as the farm's copies,
    # so the scene's absolute texture path resolves only through dirmap.
    shutil.rmtree(artist)
    worker = start_worker(server, tmp_path / "node",
                          software=[Software("maya", "2025", str(STANDIN))])  # fmt: skip
    try:
        wait_job(client, submitted.job["id"], timeout=120)
    finally:
        worker.stop()
        worker.join(10)
    outputs = client.json("GET", f"/jobs/{submitted.job['id']}/outputs")["outputs"]
    assert sorted(o["frame"] for o in outputs) == [1, 2, 3]
    image = tmp_path / "frame.png"
    image.write_bytes(download(client, outputs[0]["blob"]))
    assert Image.open(image).size == (spec["width"], spec["height"])
    attempt = client.tasks(submitted.job["id"])[0]["attempts"][0]
    log = client.request("GET", f"/attempts/{attempt['id']}/log").text
    assert "-preRender" in log and "% done" in log


HOOKS = ("-postRender", "-preFrame", "-postFrame", "-preLayer", "-postLayer", "-preRender")


def test_mel_hooks_in_extra_args_are_refused_at_submit_and_by_the_worker(farm, tmp_path):
    """Issue 11: Render's MEL hooks with `system("…")` passed validation and reached the argv.

    The server refuses each; planted into a job as an older server accepted them,
    the worker refuses them too: the attempt fails with the reason, Render never runs.
    """
    server, token = farm
    server.config.max_retries = 0
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = artist_scene(tmp_path / "artist")
    first = submit_scene(client, scene, Choices(frames="1", frames_per_task=1)).job
    spec = client.job(first["id"])["spec"]
    client.job_action(first["id"], "cancel")
    jobs = {}
    for hook in HOOKS:
        mel = f'system("cat {tmp_path}/node/worker.json > {tmp_path}/stolen")'
        renderer = {**spec["renderer"], "extra_args": ["-verb", hook, mel]}
        bad = {**spec, "name": hook, "renderer": renderer}
        with pytest.raises(FarmError) as refused:
            client.submit_job(bad)
        assert refused.value.status == 400
        assert f'renderer.extra_args[1]: "{hook}" is not allowed' in refused.value.message
        job = client.submit_job({**spec, "name": hook})
        plant_spec(server, job["id"], bad)
        jobs[hook] = job["id"]
    maya = Software("maya", "2025", str(STANDIN))
    worker = start_worker(server, tmp_path / "node", software=[maya])
    try:
        for job_id in jobs.values():
            wait_job(client, job_id, states=("failed",), timeout=120)
    finally:
        worker.stop()
        worker.join(10)
    for hook, job_id in jobs.items():
        (attempt,) = client.tasks(job_id)[0]["attempts"]
        assert (
            f'extra_args[1]: "{hook}" is not allowed for the maya adapter (runs code)'
            in (attempt["message"])
        )
        log = client.request("GET", f"/attempts/{attempt['id']}/log").text
        assert "running:" not in log  # Render never started
