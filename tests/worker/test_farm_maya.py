"""A Maya scene through the whole farm, with a stand-in for Maya's `Render`.

Maya cannot be installed here, so the worker's Maya executable is
tests/worker/standin/Render: a small program that reads Render's flags, runs
the pre-render MEL's `dirmap` lines, refuses a scene whose textures do not
resolve, and writes one PNG per frame. It is a stand-in, not Maya: what this
test shows is the path around the renderer — the offline analysis, hashing,
upload, the Maya adapter's argv and dirmap on the worker, outputs back.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest
from farmhand.submit.pipeline import Choices
from farmhand.submit.send import submit_scene
from farmhand.transfer.client import FarmClient, FarmError
from farmhand.transfer.download import download_job
from farmhand_worker.config import Software
from PIL import Image
from worker_support import (
    download,
    plant_spec,
    running_worker,
    start_worker,
    wait_for,
    wait_job,
)

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
    [group] = spec["layers"]
    assert spec["renderer"]["adapter"] == "maya" and group["cameras"] == ["persp"]
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
    assert Image.open(image).size == (group["width"], group["height"])
    attempt = client.tasks(submitted.job["id"])[0]["attempts"][0]
    log = client.request("GET", f"/attempts/{attempt['id']}/log").text
    assert "-preRender" in log and "% done" in log


LAYERED = Path(__file__).parents[1] / "scenes" / "layers_and_cameras.ma"
# The node's Maya and its MtoA; the scene also requires renderSetup.py, which every Maya has
# (farmhand.scene.plugins), so the node need not name it.
MAYA_2023 = Software("maya", "2023", str(STANDIN), {"mtoa": "5.2.1.1"})


def layered_scene(root: Path, skip_camera: str | None = None) -> Path:
    """`tests/scenes/layers_and_cameras.ma` in an artist's project; with `skip_camera`, the
    stand-in is told (by a fileInfo it reads) to leave that camera's images out."""
    text = LAYERED.read_text(encoding="utf-8")
    if skip_camera:
        text = text.replace('fileInfo "application" "maya";',
                            f'fileInfo "farmhandStandinSkip" "{skip_camera}";')  # fmt: skip
    scene = root / "scenes" / "layers_and_cameras.ma"
    scene.parent.mkdir(parents=True)
    scene.write_text(text, encoding="utf-8")
    (root / "workspace.mel").write_text('workspace -fr "images" "images";\n', encoding="utf-8")
    return scene


def test_each_layer_renders_as_maya_would_and_every_file_comes_back(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = layered_scene(tmp_path / "artist")
    submitted = submit_scene(client, scene, Choices(frames_per_task=2))
    job_id = submitted.job["id"]
    spec = client.job(job_id)["spec"]
    groups = spec["layers"]
    assert [g["display_name"] for g in groups] == ["masterLayer", "fg", "bg"]
    tasks = client.tasks(job_id)
    by_layer = {i: sorted(f for t in tasks if t["layer"] == i for f in t["frames"])
                for i in range(3)}  # fmt: skip
    assert by_layer == {0: [1, 2], 1: [1, 2, 3, 4], 2: [1, 2]}  # each layer its own frames
    with running_worker(server, tmp_path / "node", software=[MAYA_2023]):
        wait_job(client, job_id, timeout=120)
    names = sorted(o["name"] for o in client.json("GET", f"/jobs/{job_id}/outputs")["outputs"])
    wanted = sorted(
        str(out["template"]).format(frame=frame)
        for g in groups
        for out in g["outputs"]
        for frame in {"masterLayer": [1, 2], "fg": [1, 2, 3, 4], "bg": [1, 2]}[g["display_name"]]
    )
    assert names == wanted and len(names) == 16  # 3 layers × 2 cameras × their frames
    assert "bg/hero/layers_and_cameras.002.png" in names
    # The bg layer renders with Maya Software at its own width; the log shows the argv.
    bg_task = next(t for t in client.tasks(job_id) if t["layer"] == 2)
    log = client.request("GET", f"/attempts/{bg_task['attempts'][0]['id']}/log").text
    assert "-r sw" in log and "-rl rs_bg" in log and "-x 80" in log and "-cam" not in log
    report = download_job(client, job_id, tmp_path / "renders", follow=False)
    got = sorted(p.relative_to(tmp_path / "renders").as_posix() for p in report.fetched)
    assert got == wanted
    image = Image.open(tmp_path / "renders" / "bg/persp/layers_and_cameras.001.png")
    assert image.size == (80, 36)


def test_a_render_that_skips_a_camera_fails_naming_the_missing_files(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = layered_scene(tmp_path / "artist", skip_camera="hero")
    choices = Choices(layers=["rs_fg"], frames="1", frames_per_task=1)
    submitted = submit_scene(client, scene, choices)
    job_id = submitted.job["id"]
    with running_worker(server, tmp_path / "node", software=[MAYA_2023]):
        # The node that failed the task does not get it again: wait for its failed attempt.
        attempts = wait_for(lambda: [a for t in client.tasks(job_id) for a in t["attempts"]
                                     if a["state"] == "failed"], timeout=120)  # fmt: skip
    message = attempts[0]["message"]
    assert "did not write 1 expected file(s): fg/hero/layers_and_cameras.001.png" in message
    assert "fg/persp" not in message  # what was written is not called missing


def _standin() -> Any:
    """The stand-in Render as a module (its picture)."""
    loader = importlib.machinery.SourceFileLoader("standin_render", str(STANDIN))
    spec = importlib.util.spec_from_loader("standin_render", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_tiles_of_each_layer_assemble_at_that_layers_size(farm, tmp_path):
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = layered_scene(tmp_path / "artist")
    choices = Choices(layers=["defaultRenderLayer", "rs_bg"], frames="1", cameras=["persp"],
                      tiles=2, tiles_type="strip")  # fmt: skip
    job_id = submit_scene(client, scene, choices).job["id"]
    tasks = client.tasks(job_id)
    assert [(t["layer"], t["kind"]) for t in tasks] == [
        (0, "tile"), (0, "tile"), (0, "assemble"), (1, "tile"), (1, "tile"), (1, "assemble"),
    ]  # fmt: skip
    with running_worker(server, tmp_path / "node", software=[MAYA_2023]):
        wait_job(client, job_id, timeout=120)
    frames = {o["name"]: o for o in client.json("GET", f"/jobs/{job_id}/outputs")["outputs"]}
    sizes = {}
    for name in ("masterLayer/persp/layers_and_cameras.001.png",
                 "bg/persp/layers_and_cameras.001.png"):  # fmt: skip
        image = tmp_path / name.replace("/", "_")
        image.write_bytes(download(client, frames[name]["blob"]))
        sizes[name.split("/")[0]] = Image.open(image).size
        # Arnold's cropped strips and Software's full ones each make the stand-in's picture.
        width, height = Image.open(image).size
        expected = [p for row in _standin().pixels((0, 0, width, height), None) for p in row]
        got = Image.open(image).convert("RGB").tobytes()
        assert got == bytes(v for pixel in expected for v in pixel), name
    assert sizes == {"masterLayer": (64, 36), "bg": (80, 36)}


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
