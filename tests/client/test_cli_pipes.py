"""`farmhand … | head`: output whose reader went away ends the command quietly (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from farmhand.transfer.client import FarmClient
from worker_support import command_spec, upload_files

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def submitted(farm, tmp_path):
    """The farm, an artist's environment for the command line, and one job of theirs."""
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    scene = tmp_path / "scene.txt"
    scene.write_text("s")
    ref = upload_files(client, [scene])[scene]
    job = client.submit_job(command_spec(scene, ref, ["true"], frames="1-3"))
    path = os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])
    env = dict(os.environ, PYTHONPATH=path,
               FARMHAND_SERVER=server.base.removesuffix("/api/v1"), FARMHAND_TOKEN=token,
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
    return env, job["id"]


@pytest.mark.parametrize("args", [["status", "{job}", "--json"], ["status", "{job}"],
                                  ["status", "{job}", "--tasks"],
                                  ["status", "{job}", "--tasks", "--json"],
                                  ["jobs", "--json"], ["jobs"]])  # fmt: skip
def test_output_to_a_closed_pipe_ends_quietly(submitted, args):
    env, job_id = submitted
    argv = [sys.executable, "-m", "farmhand", *(a.format(job=job_id) for a in args)]
    # The reader is gone before anything is written: every write meets a closed pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(argv, env=env, stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=60)  # fmt: skip
    finally:
        os.close(write)
    assert done.stderr == "", done.stderr
    assert done.returncode == 141


def test_the_same_command_prints_to_an_open_pipe(submitted):
    env, job_id = submitted
    argv = [sys.executable, "-m", "farmhand", "status", str(job_id), "--json"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f'"id": {job_id}' in done.stdout
