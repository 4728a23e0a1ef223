"""A Windows-saved show through the farm: its studio paths resolve on a Linux node (issue 18).

The scene names references, a nested reference, a reference edit, an XGen
collection, a UDIM set and a sequence by ``P:/show/…`` paths; the artist's
files sit in a library found by ``farmhand submit --search-path``. On a real worker (with the
stand-in for Maya's ``Render``) the node-side analysis finds every file, the
rewritten copies differ from the originals only in the mapped paths, and a file
whose blob is gone fails the attempt before anything renders, by name.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from cli_support import farm_env, run_cli
from farmhand.transfer.client import FarmClient
from farmhand_worker.config import Software
from show_scene import CLIENT_PATHS, windows_show
from worker_support import running_worker, wait_for, wait_job

STANDIN = Path(__file__).parent / "standin" / "Render"
MAYA = Software("maya", "2025", str(STANDIN))


def submit_show(server, token: str, client: FarmClient, root: Path) -> tuple[dict, dict]:
    """`farmhand submit --search-path LIBRARY` as an artist runs it; the artist's folders
    then go, so the node has only the farm's copies."""
    scene, library = windows_show(root)
    originals = {c: (library / found).read_bytes() for c, found in CLIENT_PATHS.items()}
    originals["scene"] = scene.read_bytes()
    originals["xgen"] = (scene.parent / "shot__hairColl.xgen").read_bytes()
    done = run_cli("submit", str(scene), "--search-path", str(library), "--frames", "1-2",
                   "--frames-per-task", "2", env=farm_env(root, server, token))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    job_id = int(re.search(r"job (\d+) submitted", done.stdout).group(1))
    shutil.rmtree(root / "artist")
    shutil.rmtree(library)
    return client.job(job_id), originals


def attempt_log(client: FarmClient, attempt_id: int) -> str:
    return client.request("GET", f"/attempts/{attempt_id}/log").text


def test_the_show_opens_on_the_node_with_every_file(farm, tmp_path) -> None:
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    job, originals = submit_show(server, token, client, tmp_path)
    manifest = {m["path"] for m in job["spec"]["manifest"]}
    assert set(CLIENT_PATHS) <= manifest
    node = tmp_path / "node"
    with running_worker(server, node, software=[MAYA], keep_jobs=True):
        wait_job(client, job["id"], timeout=120)
    [task] = client.tasks(job["id"])
    log = attempt_log(client, task["attempts"][0]["id"])
    assert "[farmhand] node check: 11 file(s) found, 0 missing" in log
    assert "shot.ma: 7 path(s) mapped" in log
    assert "paths: P:/show/assets/char/char_rig.ma: 3 path(s) mapped" in log
    outputs = client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"]
    assert sorted(o["frame"] for o in outputs) == [1, 2]
    # The node's copies: only the mapped paths differ from what the artist saved.
    [root] = (node / "jobs").glob("job-*/root")
    local = f"{root.as_posix()}/P/show"
    rig = (root / "P/show/assets/char/char_rig.ma").read_bytes()
    assert rig == originals["P:/show/assets/char/char_rig.ma"].replace(b"P:/show", local.encode())
    body = (root / "P/show/assets/char/char_body.ma").read_bytes()
    assert body == originals["P:/show/assets/char/char_body.ma"].replace(b"P:/show", local.encode())
    [scene] = root.rglob("shot.ma")
    expected = originals["scene"].replace(b"P:/show", local.encode())
    expected = expected.replace(b"P:\\\\show\\\\fx\\\\fire", f"{local}/fx/fire".encode())
    assert scene.read_bytes() == expected
    [xgen] = root.rglob("shot__hairColl.xgen")
    assert xgen.read_bytes() == originals["xgen"].replace(b"P:/show", local.encode())


def test_a_file_gone_from_the_server_fails_the_attempt_before_rendering(farm, tmp_path) -> None:
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    job, _ = submit_show(server, token, client, tmp_path)
    [tile] = [m for m in job["spec"]["manifest"] if m["path"] == "P:/show/tex/skin.1002.png"]
    key = f"{tile['md5']}-{tile['size']}"
    [blob] = (tmp_path / "server").rglob(key)
    blob.unlink()
    with running_worker(server, tmp_path / "node", software=[MAYA]):
        attempts = wait_for(lambda: [a for t in client.tasks(job["id"]) for a in t["attempts"]
                                     if a["state"] == "failed"], timeout=120)  # fmt: skip
    message = attempts[0]["message"]
    assert "missing on this node, checked before rendering: P:/show/tex/skin.1002.png" in message
    log = attempt_log(client, attempts[0]["id"])
    # The tile went under the path the scene names and the one it was found at: both named.
    assert "node check: 10 file(s) found, 2 missing" in log
    assert "node check: missing P:/show/tex/skin.1002.png (skinFile.fileTextureName; here " in log
    assert "running:" not in log and "% done" not in log  # nothing rendered
    assert client.json("GET", f"/jobs/{job['id']}/outputs")["outputs"] == []
