"""A .blend whose texture lies outside its folder, by an absolute path, through the farm.

Submitted as an artist does (Blender's own analysis, `submit_scene`), rendered by
a real worker with real Blender after the artist's folders are gone: the frame
equals a plain local render, so the texture was found on the node; with the
texture's blob gone from the server the attempt fails before Blender renders,
naming the artist's path. A relative path (``//../../library/…``) that leaves the
.blend's folder resolves the same way: both land under the job root by their paths.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from blender_scenes import make_scene
from farmhand.submit.pipeline import Choices
from farmhand.submit.send import submit_scene
from farmhand.transfer.client import FarmClient
from farmhand_worker.config import Software
from PIL import Image
from worker_support import running_worker, wait_for, wait_job

BLENDER = Software("blender", "3.4", "blender")


def outside_texture_scene(root: Path, paths: str = "absolute") -> tuple[Path, Path]:
    """A scene in `root/artist/shot` naming `root/library/tex/wood.png` (absolutely, or
    relatively: ``//../../library/tex/wood.png``)."""
    texture = root / "library" / "tex" / "wood.png"
    scene = make_scene(root / "artist" / "shot" / "shot.blend", frames=(1, 2), samples=4,
                       textures=[texture], paths=paths)  # fmt: skip
    return scene, texture


def plain_render(scene: Path, out: Path, frame: int) -> np.ndarray:
    argv = ["blender", "-b", str(scene), "-o", str(out / "ref_####"), "-F", "PNG",
            "-f", str(frame)]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return np.asarray(Image.open(out / f"ref_{frame:04d}.png"))


@pytest.mark.parametrize("paths", ["absolute", "relative"])
def test_a_texture_outside_the_blend_folder_renders_on_the_node(farm, tmp_path, paths) -> None:
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene, texture = outside_texture_scene(tmp_path, paths)
    assert texture.parent.parent != scene.parent  # outside the .blend's folder
    reference = plain_render(scene, tmp_path / "reference", 2)
    submitted = submit_scene(client, scene, Choices(frames="2", frames_per_task=1))
    job_id = submitted.job["id"]
    manifest = {m["path"] for m in client.job(job_id)["spec"]["manifest"]}
    assert texture.as_posix() in manifest
    shutil.rmtree(tmp_path / "artist")
    shutil.rmtree(tmp_path / "library")
    with running_worker(server, tmp_path / "node", software=[BLENDER]):
        wait_job(client, job_id, timeout=300)
    [output] = client.json("GET", f"/jobs/{job_id}/outputs")["outputs"]
    image = tmp_path / "frame.png"
    image.write_bytes(client.request("GET", f"/blobs/{output['blob']['key']}").content)
    assert np.array_equal(np.asarray(Image.open(image)), reference)
    [task] = client.tasks(job_id)
    log = client.request("GET", f"/attempts/{task['attempts'][0]['id']}/log").text
    assert "FARMHAND: node check: 1 file(s) found, 0 missing" in log


def test_a_texture_missing_on_the_node_fails_with_its_name(farm, tmp_path) -> None:
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene, texture = outside_texture_scene(tmp_path)
    submitted = submit_scene(client, scene, Choices(frames="1", frames_per_task=1))
    job_id = submitted.job["id"]
    [entry] = [m for m in client.job(job_id)["spec"]["manifest"]
               if m["path"] == texture.as_posix()]  # fmt: skip
    [blob] = (tmp_path / "server").rglob(f"{entry['md5']}-{entry['size']}")
    blob.unlink()
    shutil.rmtree(tmp_path / "artist")
    shutil.rmtree(tmp_path / "library")
    with running_worker(server, tmp_path / "node", software=[BLENDER]):
        attempts = wait_for(lambda: [a for t in client.tasks(job_id) for a in t["attempts"]
                                     if a["state"] == "failed"], timeout=300)  # fmt: skip
    assert texture.as_posix() in attempts[0]["message"]
    log = client.request("GET", f"/attempts/{attempts[0]['id']}/log").text
    assert "running:" not in log  # Blender never started
