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

from farmhand.client import FarmClient
from farmhand.submission import Choices, submit_scene
from farmhand_worker.config import Software
from PIL import Image
from worker_support import download, start_worker, wait_job

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
