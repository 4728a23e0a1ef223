"""A render cannot read its worker's credentials (issue 11).

The worker runs as root (as here and in CI) with `render_user`: renders run as
that unprivileged account, the token lives in a folder it cannot reach, and a
render's environment is a short allowlist. The account is created once by
`worker_support.ensure_render_user` (tests skip, saying why, when not root).
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
from pathlib import Path

import pytest
from farmhand.transfer.client import FarmClient
from farmhand_worker.config import ConfigError, Software, load
from farmhand_worker.daemon import Worker
from farmhand_worker.run import sandbox
from worker_support import (
    HARDWARE,
    command_spec,
    ensure_render_user,
    reachable_dir,
    start_worker,
    upload_files,
    wait_job,
)

PYTHON = "/usr/bin/python3"  # readable by every user, unlike the test's own interpreter

# What a hostile render would try: the token file, the folder it is in, the blob cache,
# the worker's environment; then it writes its frame so the job itself succeeds.
SNOOP = """
import os, sys, pathlib
data, out = sys.argv[1], sys.argv[2]
for what in ("private/worker.json", "private", "cache"):
    path = os.path.join(data, what)
    try:
        found = open(path).read() if what.endswith(".json") else os.listdir(path)
        print("READ", what, found, flush=True)
    except OSError as exc:
        print("DENIED", what, type(exc).__name__, flush=True)
print("UID", os.getuid(), os.getgid(), os.getgroups(), flush=True)
print("ENV", sorted(os.environ), flush=True)
pathlib.Path(out, "frame_0001.txt").write_text("ok")
"""


@pytest.fixture
def artist(farm):
    server, token = farm
    return server, FarmClient(server.base.removesuffix("/api/v1"), token)


@pytest.fixture
def render_user() -> str:
    return ensure_render_user()


def _log(client: FarmClient, job_id: int) -> str:
    (attempt,) = client.tasks(job_id)[0]["attempts"]
    return client.request("GET", f"/attempts/{attempt['id']}/log").text


def test_a_render_cannot_read_the_workers_token(artist, render_user, tmp_path, monkeypatch):
    server, client = artist
    monkeypatch.setenv("FARMHAND_WORKER_TOKEN", "fhw_from_the_environment")
    monkeypatch.setenv("STUDIO_SECRET", "not for renders")
    monkeypatch.setenv("LICENSE_SERVER", "27000@lic")
    scene = tmp_path / "scene.txt"
    scene.write_text("scene")
    refs = upload_files(client, [scene])
    with reachable_dir() as data:
        argv = [PYTHON, "-c", SNOOP, str(data), "{output}"]
        job = client.submit_job(command_spec(scene, refs[scene], argv, frames="1"))
        node = start_worker(server, data, software=[Software("python", "3.11")],
                            render_user=render_user, render_env=["LICENSE_SERVER"])  # fmt: skip
        try:
            wait_job(client, job["id"], timeout=120)
        finally:
            node.stop()
            node.join(30)
        token_file = data / "private" / "worker.json"
        token = json.loads(token_file.read_text())["token"]
        info = token_file.stat()
        private = (data / "private").stat()
    log = _log(client, job["id"])
    assert token not in log
    assert "DENIED private/worker.json PermissionError" in log, log
    assert "DENIED private PermissionError" in log and "DENIED cache PermissionError" in log
    account = pwd.getpwnam(render_user)
    assert f"UID {account.pw_uid} {account.pw_gid} []" in log  # no supplementary groups
    (env_line,) = [line for line in log.splitlines() if line.startswith("ENV ")]
    names = set(eval(env_line[4:]))
    assert not any(n.startswith("FARMHAND") for n in names)
    assert "STUDIO_SECRET" not in names and "LICENSE_SERVER" in names
    assert names <= {*sandbox.RENDER_ENV, "LICENSE_SERVER", "HOME", "USER", "LOGNAME"}
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
    assert (private.st_uid, stat.S_IMODE(private.st_mode)) == (0, 0o700)


def test_without_render_user_a_root_worker_renders_as_root_and_says_so(artist, tmp_path, caplog):
    """The limit the docs state: the token is then readable by renders (only root's own)."""
    if os.geteuid() != 0:
        pytest.skip("about a worker running as root")
    server, _ = artist
    caplog.set_level("WARNING", logger="farmhand.worker")
    node = start_worker(server, tmp_path / "node")
    node.stop()
    node.join(10)
    assert "renders run as root and can read this node's worker token" in caplog.text


def test_setup_mistakes_are_refused_with_what_to_do(render_user, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="useradd --system"):
        sandbox.render_user("farmhand-no-such-user")
    with pytest.raises(ConfigError, match="is root"):
        sandbox.render_user("root")
    user = sandbox.render_user(render_user)
    # pytest's temporary folders are 0700: the render user could not reach the jobs there.
    with pytest.raises(ConfigError, match=r"cannot reach .* is not searchable by it"):
        sandbox.secure_data_dir(tmp_path / "data", user)
    with pytest.raises(ConfigError, match="render_env: 'FARMHAND_WORKER_TOKEN' cannot be passed"):
        load(None, env={}, render_env=["PATH", "FARMHAND_WORKER_TOKEN"])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ConfigError, match="needs the worker to run as root"):
        sandbox.render_user(render_user)


def test_the_environment_is_an_allowlist() -> None:
    source = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "HOME": "/root", "AWS_SECRET": "x",
              "FARMHAND_WORKER_TOKEN": "fhw_x", "farmhand_token": "y",
              "ARNOLD_LICENSE": "5053@l"}  # fmt: skip
    user = sandbox.RenderUser("r", 999, 999, "/nonexistent")
    env = sandbox.environment({"MAYA_DISABLE_CIP": "1"}, user, Path("/w"), ["ARNOLD_LICENSE"],
                              source)  # fmt: skip
    assert env == {"PATH": "/usr/bin", "LANG": "C.UTF-8", "ARNOLD_LICENSE": "5053@l",
                   "HOME": "/w", "USER": "r", "LOGNAME": "r", "MAYA_DISABLE_CIP": "1"}  # fmt: skip
    assert sandbox.environment({}, None, None, ["FARMHAND_WORKER_TOKEN"], source) == {
        "PATH": "/usr/bin", "LANG": "C.UTF-8", "HOME": "/root"}  # fmt: skip


def test_outputs_are_taken_back_before_the_worker_reads_them(render_user):
    """A render process that outlives its task cannot swap links in afterwards."""
    account = pwd.getpwnam(render_user)
    user = sandbox.RenderUser(render_user, account.pw_uid, account.pw_gid, account.pw_dir)
    with reachable_dir() as folder:
        out = folder / "out"
        out.mkdir()
        sandbox.hand_over(user, out)
        as_user = {"user": user.uid, "group": user.gid, "extra_groups": []}
        make = "import os; os.makedirs('sub/deeper'); open('sub/f', 'w').write('x')"
        subprocess.run([PYTHON, "-c", make], cwd=out, check=True, **as_user)
        sandbox.take_back(user, out)
        owners = {p.lstat().st_uid for p in [out, *out.rglob("*")]}
        assert owners == {0}
        swap = "import os; os.symlink('/etc/shadow', 'sub/deeper/frame.png')"
        late = subprocess.run([PYTHON, "-c", swap], cwd=out, capture_output=True, text=True,
                              **as_user)  # fmt: skip
        assert late.returncode != 0 and "PermissionError" in late.stderr


def test_a_token_saved_by_an_earlier_worker_moves_to_the_private_folder(tmp_path):
    data = tmp_path / "node"
    data.mkdir()
    (data / "worker.json").write_text(json.dumps({"server": "http://farm", "token": "fhw_old"}))
    from farmhand_worker.config import WorkerConfig

    worker = Worker(WorkerConfig(server="http://farm", data_dir=data), HARDWARE)
    assert worker._saved_token() == "fhw_old"
    assert not (data / "worker.json").exists() and (data / "private" / "worker.json").is_file()


def test_a_link_a_render_left_where_previews_go_is_removed(tmp_path):
    """Else the worker, root, would write its preview JPEGs wherever the link points."""
    from farmhand_worker.outputs import results

    target = tmp_path / "etc"
    target.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / results.PREVIEW_DIR).symlink_to(target)
    results.clear_previews(out)
    assert not (out / results.PREVIEW_DIR).exists() and target.is_dir()
    (out / results.PREVIEW_DIR).mkdir()
    (out / results.PREVIEW_DIR / "x.jpg").write_bytes(b"x")
    results.clear_previews(out)
    assert list(out.iterdir()) == []
