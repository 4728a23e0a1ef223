"""Hashing, incremental upload and submission against a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from cli_support import farm_env
from farmhand.submit.pipeline import Choices, prepare
from farmhand.submit.send import upload_and_submit
from farmhand.transfer.client import FarmClient
from server_harness import RunningServer
from shot import write_project

REPO = Path(__file__).resolve().parents[2]


def _submit(server: RunningServer, token: str, files: dict, **kwargs):
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    prepared = prepare(files["scene"], Choices(), search_paths=(str(files["wood"].parent),))
    return client, prepared, upload_and_submit(client, prepared, **kwargs)


def test_first_upload_then_nothing_then_only_the_changed_file(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")
    sizes = sum(files[k].stat().st_size for k in ("wall", "floor", "odd", "wood", "scene"))
    _, prepared, first = _submit(server, token, files)
    assert first.upload.files_sent == 5 and first.upload.bytes_sent == sizes
    assert first.job["state"] == "queued" and first.job["tasks_total"] == 4
    # The manifest keeps every client path: spaces and Chinese characters as they are, and
    # the Windows path the scene names, mapped by Renderbus's rule, pointing at the found file.
    manifest = {e["path"]: e for e in prepared.spec["manifest"]}
    odd = str(files["odd"])
    assert manifest[odd]["server_path"] == odd
    assert manifest["D:/old/wood.png"]["server_path"] == "/D/old/wood.png"
    assert manifest["D:/old/wood.png"]["md5"] == manifest[str(files["wood"])]["md5"]
    _, _, again = _submit(server, token, files)
    assert again.upload.bytes_sent == 0 and again.upload.files_skipped == 5
    files["floor"].write_bytes(os.urandom(4321))
    _, _, changed = _submit(server, token, files)
    assert changed.upload.files_sent == 1 and changed.upload.bytes_sent == 4321


def test_bytes_damaged_on_the_way_are_refused_and_sent_again(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")

    class FlakyLink(FarmClient):
        damaged = False

        def put_chunk(self, upload_id: str, offset: int, data: bytes) -> dict:
            if not FlakyLink.damaged and len(data) > 100:
                FlakyLink.damaged = True
                data = data[:50] + bytes([data[50] ^ 0xFF]) + data[51:]
            return super().put_chunk(upload_id, offset, data)

    client = FlakyLink(server.base.removesuffix("/api/v1"), token)
    prepared = prepare(files["scene"], Choices(), search_paths=(str(files["wood"].parent),))
    done = upload_and_submit(client, prepared)
    assert FlakyLink.damaged and done.upload.retries == 1
    for local in prepared.files:
        got = client.request("GET", f"/blobs/{local.key}").content
        assert got == local.path.read_bytes()


def _env(tmp_path: Path, server: RunningServer, token: str) -> dict[str, str]:
    return farm_env(tmp_path, server, token, FARMHAND_UPLOAD_CHUNK=str(256 * 1024))


def test_killed_upload_resumes_where_the_server_stopped(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")
    big = files["wall"]
    big.write_bytes(os.urandom(24 * 1024 * 1024))
    env = _env(tmp_path, server, token)
    argv = [sys.executable, "-m", "farmhand", "submit", str(files["scene"]),
            "--search-path", str(files["wood"].parent), "--parallel", "1"]  # fmt: skip
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parts = server.config.upload_dir
    deadline = time.time() + 60
    while time.time() < deadline:
        sizes = [p.stat().st_size for p in parts.glob("*.part")]
        if any(s > 1024 * 1024 for s in sizes):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    partial = max(p.stat().st_size for p in parts.glob("*.part"))
    assert 0 < partial < big.stat().st_size
    finished = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "submitted" in finished.stdout
    # The second run sent only what the server did not have yet.
    sent_mb = float(finished.stdout.split("file(s), ")[1].split(" MiB")[0])
    total_mb = sum(f.stat().st_size for f in files.values()) / 2**20
    assert sent_mb <= total_mb - partial / 2**20 + 0.5
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    prepared = prepare(files["scene"], Choices(), search_paths=(str(files["wood"].parent),))
    key = next(f.key for f in prepared.files if f.path == big)
    assert client.request("GET", f"/blobs/{key}").content == big.read_bytes()


def test_cli_submit_wait_status_and_actions(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")
    env = _env(tmp_path, server, token)

    def farmhand(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "farmhand", *args], env=env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    blocked = farmhand("submit", str(files["scene"]))  # the D:/ texture is not found
    assert blocked.returncode == 1 and "missing-texture" in blocked.stderr
    dry = farmhand("submit", str(files["scene"]), "--search-path", str(files["wood"].parent),
                   "--dry-run", "--frames", "1-2")  # fmt: skip
    assert dry.returncode == 0 and "frames 1-2" in dry.stdout, dry.stdout + dry.stderr

    admin = server.session()
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
    body = {"name": "n1", "software": {"maya": {"2025": {"plugins": {"mtoa": "5.4.5"}}}}}
    headers = {"Authorization": f"Bearer {enrol}"}
    registered = requests.post(server.url("/workers/register"), json=body, headers=headers)
    worker_token = registered.json()["token"]
    worker = server.session(worker_token)
    stop = threading.Event()

    def render() -> None:
        while not stop.is_set():
            got = worker.post(server.url("/workers/claim"), json={"wait": 1})
            if got.status_code == 200:
                worker.post(server.url(f"/attempts/{got.json()['attempt_id']}/complete"), json={})

    thread = threading.Thread(target=render)
    thread.start()
    try:
        library = str(files["wood"].parent)
        waited = farmhand("submit", str(files["scene"]), "--search-path", library, "--wait",
                          "--test-frames", "first")  # fmt: skip
    finally:
        stop.set()
        thread.join(30)
    assert waited.returncode == 0, waited.stderr
    assert "completed 100%" in waited.stdout
    job_id = waited.stdout.split("job ")[1].split(" ")[0]
    status = farmhand("status", job_id)
    assert status.returncode == 0 and "completed" in status.stdout
    assert job_id in farmhand("jobs").stdout
    refused = farmhand("resume", job_id)
    assert refused.returncode == 1 and "not paused; there is nothing to resume" in refused.stderr
    login = farmhand("login", "--server", env["FARMHAND_SERVER"], "--token", token)
    assert login.returncode == 0 and "as ann" in login.stdout


def test_a_file_changed_after_hashing_is_hashed_again(farm, tmp_path: Path) -> None:
    from farmhand.submit.send import submit_scene
    from farmhand.transfer.upload import Uploader

    server, token = farm
    files = write_project(tmp_path / "proj")
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    original = Uploader.upload
    changed = []

    def edit_then_upload(self, local_files):
        if not changed:  # the artist saves a texture while the first upload starts
            files["wall"].write_bytes(os.urandom(5000))
            changed.append(True)
        return original(self, local_files)

    Uploader.upload = edit_then_upload
    try:
        done = submit_scene(client, files["scene"], Choices(),
                            search_paths=(str(files["wood"].parent),))  # fmt: skip
    finally:
        Uploader.upload = original
    spec = client.job(done.job["id"])["spec"]
    wall = next(e for e in spec["manifest"] if e["path"] == str(files["wall"]))
    assert wall["size"] == 5000
    key = f"{wall['md5']}-{wall['size']}"
    assert client.request("GET", f"/blobs/{key}").content == files["wall"].read_bytes()


def test_upload_progress_and_cancel_from_another_thread(farm, tmp_path: Path) -> None:
    from farmhand.transfer.hashing import Cancelled
    from farmhand.transfer.upload import Uploader

    server, token = farm
    files = write_project(tmp_path / "proj")
    files["wall"].write_bytes(os.urandom(8 * 1024 * 1024))
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    prepared = prepare(files["scene"], Choices(), search_paths=(str(files["wood"].parent),))
    cancel = threading.Event()
    seen = []

    def progress(p) -> None:
        seen.append(p)
        if p.bytes_done >= 1024 * 1024:
            cancel.set()  # the artist presses Cancel in the panel

    uploader = Uploader(client, chunk_size=256 * 1024, parallel=1, progress=progress, cancel=cancel)
    try:
        uploader.upload(prepared.files)
    except Cancelled:
        pass
    else:
        raise AssertionError("the upload was not cancelled")
    assert seen[-1].bytes_done < seen[-1].bytes_total
    assert seen[-1].files_total == 5 and seen[-1].rate > 0
    # Nothing is lost: a new upload takes over where the cancelled one stopped.
    report = Uploader(client, chunk_size=1024 * 1024).upload(prepared.files)
    assert report.files_sent >= 1 and report.bytes_sent < seen[-1].bytes_total


def test_cli_submit_of_a_scene_with_an_empty_dependency(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")
    files["wall"].write_bytes(b"")  # an empty texture (a placeholder, a truncated export)
    env = _env(tmp_path, server, token)
    done = subprocess.run(
        [sys.executable, "-m", "farmhand", "submit", str(files["scene"]), "--search-path",
         str(files["wood"].parent)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job_id = int(done.stdout.split("job ")[1].split(" ")[0])
    spec = server.session(token).get(server.url(f"/jobs/{job_id}")).json()["spec"]
    sizes = {Path(e["path"]).name: e["size"] for e in spec["manifest"]}
    assert sizes["wall.png"] == 0
