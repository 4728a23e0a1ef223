"""Helpers for worker tests: enrol and start real workers against a real server, submit, wait."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from farmhand.spec.jobspec import server_path
from farmhand.transfer.client import FarmClient
from farmhand.transfer.hashing import hash_file
from farmhand.transfer.upload import LocalFile, Uploader
from farmhand_worker.config import Software, WorkerConfig
from farmhand_worker.daemon import Worker
from farmhand_worker.hardware import Hardware

ROOT = Path(__file__).resolve().parents[1]
HARDWARE = Hardware("testhost", "linux-x86_64", ram_gb=16.0, cpu_cores=2)


def server_root(server) -> str:
    """The server's root URL (what `farmhand worker --server` takes)."""
    return server.base.removesuffix("/api/v1")


def enrolment_token(server, uses: int = 1) -> str:
    """A fresh enrolment token from the admin."""
    answer = server.session().post(server.url("/workers/enrolment-tokens"), json={"uses": uses})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def start_worker(
    server, data_dir: Path, name: str = "node", software: list[Software] | None = None, **settings
) -> Worker:
    """A worker daemon in this process (its slots are threads), enrolled and claiming."""
    settings = {"claim_wait": 2.0, "log_batch_seconds": 0.2, "kill_grace": 2.0,
                "heartbeat_seconds": 1.0,
                "adapters": ["maya", "blender", "command"], **settings}  # fmt: skip
    config = WorkerConfig(
        server=server_root(server), token=enrolment_token(server), name=name, data_dir=data_dir,
        software=software if software is not None else [Software("python", "3.11")], **settings,
    )  # fmt: skip
    worker = Worker(config, HARDWARE)
    worker.start()
    return worker


@contextlib.contextmanager
def running_worker(server, data_dir: Path, **settings) -> Iterator[Worker]:
    """`start_worker` for the length of a `with` block; stopped and joined after it."""
    worker = start_worker(server, data_dir, **settings)
    try:
        yield worker
    finally:
        worker.stop()
        worker.join(10)


def start_worker_process(
    server, data_dir: Path, name: str, extra: list[str] = (), log: Path | None = None
) -> subprocess.Popen:
    """`farmhand worker` as its own process (for kill tests), offering Python 3.11."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "worker.toml"
    config.write_text('claim_wait = 2.0\nkill_grace = 2.0\nlog_batch_seconds = 0.2\n'
                      'adapters = ["blender", "command"]\n'
                      '[software.python."3.11"]\n', encoding="utf-8")  # fmt: skip
    argv = [sys.executable, "-m", "farmhand", "worker", "--server", server_root(server),
            "--token", enrolment_token(server), "--name", name, "--data-dir", str(data_dir),
            "--config", str(config), *extra]  # fmt: skip
    out = open(log or data_dir.with_suffix(".log"), "wb")  # noqa: SIM115 - closed with the process
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'scripts'}{os.pathsep}{ROOT / 'server'}"}
    return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)


def upload_files(client: FarmClient, paths: list[Path]) -> dict[Path, dict[str, Any]]:
    """Upload files as the user; their blob refs by path."""
    locals_ = [LocalFile(p, hash_file(p), p.stat().st_mtime_ns) for p in paths]
    Uploader(client).upload(locals_)
    return {f.path: f.ref for f in locals_}


def manifest(refs: dict[Path, dict[str, Any]]) -> list[dict[str, Any]]:
    """Manifest entries for uploaded files, by their (POSIX) paths."""
    return [{"path": p.as_posix(), "server_path": server_path(p.as_posix()), **ref}
            for p, ref in refs.items()]  # fmt: skip


def command_spec(scene: Path, ref: dict[str, Any], argv: list[str], **fields) -> dict[str, Any]:
    """A job spec for the command adapter rendering `scene`."""
    spec = {
        "name": fields.pop("name", "cmd job"),
        "scene": {"path": scene.as_posix(), "blob": ref},
        "manifest": manifest({scene: ref}),
        "software": {"cg_name": "python", "cg_version": "3.11"},
        "renderer": {"adapter": "command", "argv": argv},
        "frames": "1-4",
    }
    spec.update(fields)
    return spec


def wait_for(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.1) -> Any:
    """Poll until `check()` returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {check}")
        time.sleep(every)


def wait_job(client: FarmClient, job_id: int, states=("completed",), timeout=120.0) -> dict:
    """The job once it reaches one of `states` (fails fast on another final state)."""

    def reached():
        job = client.job(job_id)
        if job["state"] in states:
            return job
        final = {"completed", "failed", "cancelled"} - set(states)
        assert job["state"] not in final, f"job ended {job['state']}: {job}"
        return None

    return wait_for(reached, timeout, every=0.2)


def download(client: FarmClient, blob: dict[str, Any]) -> bytes:
    """A blob's bytes, as the job's owner."""
    response = client.request("GET", f"/blobs/{blob['key']}")
    return response.content


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def child_running(pid: int, needle: str):
    """The child process of `pid` whose command line holds `needle`, or None.

    Children come and go (a `blender --version` at start becomes a zombie for
    a moment), so each one that cannot be read is skipped.
    """
    import psutil

    try:
        children = psutil.Process(pid).children()
    except psutil.Error:
        return None
    for child in children:
        try:
            if needle in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def plant_spec(server, job_id: int, spec: dict[str, Any]) -> None:
    """Replace a job's stored spec before any worker claims it (SQLite farms only).

    This is how a job accepted by an older server, before today's submit checks,
    reaches a worker: the worker's own checks are what stand in its way.
    """
    import json
    import sqlite3

    assert not server.config.database_url, "plant_spec works on the SQLite database"
    with sqlite3.connect(server.config.data_dir / "farmhand.db") as db:
        changed = db.execute("UPDATE jobs SET spec = ? WHERE id = ?", (json.dumps(spec), job_id))
        assert changed.rowcount == 1


RENDER_USER = "farmhand-test-render"
"""The unprivileged account tests run renders as (created once, never removed: other
test sessions on the machine may be using it)."""


def ensure_render_user(name: str = RENDER_USER) -> str:
    """`name` as a system account, created if missing; skips the test when not root."""
    import pwd

    import pytest

    if os.geteuid() != 0:
        pytest.skip("running renders as another user needs root (the worker switches user)")
    with contextlib.suppress(KeyError):
        pwd.getpwnam(name)
        return name
    # Exit 9: created meanwhile by another session; any other failure shows below.
    done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                           "--shell", "/usr/sbin/nologin", name],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise AssertionError(f"useradd {name} failed ({done.returncode}): {done.stderr}") from None
    return name


@contextlib.contextmanager
def reachable_dir(prefix: str = "farmhand-render-"):
    """A fresh folder other users can search (pytest's own temporary folders are 0700)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        folder.chmod(0o711)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
