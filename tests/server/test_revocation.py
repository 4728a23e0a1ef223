"""Cutting off credentials (issue 11, finding 6): workers, enrolment tokens and users.

Every server process caches token checks for `auth_cache_seconds`; a revocation must still
take effect at once, in the process that made it and in every other one (PostgreSQL NOTIFY),
and within `revocation_poll_seconds` when `farmhand admin` changes the database behind a server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from farm import claim, new_user, new_worker, submit, upload
from farm import job_spec as spec_for
from server_harness import RunningServer, free_port, start_server, start_server_process

REPO = Path(__file__).resolve().parents[2]


def _warm(server, session: requests.Session, path: str = "/me") -> None:
    """Use a token once, so its check is cached in that server process."""
    assert session.get(server.url(path)).status_code == 200


def _revoke(server, worker_id: int) -> dict:
    revoked = server.session().post(server.url(f"/workers/{worker_id}/revoke"))
    assert revoked.status_code == 200, revoked.text
    return revoked.json()


def test_a_revoked_worker_is_refused_at_once_and_its_tasks_go_back(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    job = submit(server, ann, frames="1-2", frames_per_task=1)
    node, other = new_worker(server, "node"), new_worker(server, "other")
    node_id = node.get(server.url("/me")).json()["id"]
    held = claim(server, node)
    assert held is not None
    attempt = held["attempt_id"]
    beat = node.post(server.url(f"/attempts/{attempt}/heartbeat"), json={})
    assert beat.status_code == 200  # the token check is cached now
    revoked = _revoke(server, node_id)
    assert revoked["requeued"] == 1 and revoked["name"] == "node"
    for method, path, body in (
        ("POST", f"/attempts/{attempt}/heartbeat", {}),
        ("POST", f"/attempts/{attempt}/complete", {}),
        ("POST", "/workers/claim", {"wait": 0}),
        ("GET", "/me", None),
    ):
        refused = node.request(method, server.url(path), json=body)
        assert refused.status_code == 401, (path, refused.text)
        assert refused.json()["error"]["code"] == "unauthorized"
    # Both tasks are rendered by the other worker, the revoked one's again from the queue.
    tasks = [claim(server, other), claim(server, other)]
    assert sorted(t["task"]["id"] for t in tasks) == sorted(
        t["id"] for t in ann.get(server.url(f"/jobs/{job['id']}/tasks")).json()["tasks"]
    )
    history = ann.get(server.url(f"/jobs/{job['id']}/tasks")).json()["tasks"]
    states = sorted(a["state"] for t in history for a in t["attempts"])
    assert states == ["killed", "running", "running"]
    listed = server.session().get(server.url("/workers")).json()["workers"]
    assert [w["revoked_at"] is not None for w in listed] == [True, False]
    assert _revoke(server, node_id)["requeued"] == 0  # again: nothing more happens
    missing = server.session().post(server.url("/workers/999/revoke"))
    assert missing.status_code == 404


def test_a_waiting_claim_of_a_revoked_worker_ends_now(server: RunningServer) -> None:
    node = new_worker(server, "node")
    worker_id = node.get(server.url("/me")).json()["id"]
    answered: list[tuple[int, float]] = []

    def wait_for_work() -> None:
        started = time.monotonic()
        got = node.post(server.url("/workers/claim"), json={"wait": 20})
        answered.append((got.status_code, time.monotonic() - started))

    waiting = threading.Thread(target=wait_for_work)
    waiting.start()
    time.sleep(0.5)
    assert server.session().post(server.url(f"/workers/{worker_id}/revoke")).status_code == 200
    submit(server, new_user(server, "ann"))  # work appears: it must not go to the revoked node
    waiting.join(10)
    assert answered and answered[0][0] == 204 and answered[0][1] < 5, answered


def test_a_revoked_enrolment_token_registers_nobody(server: RunningServer) -> None:
    admin = server.session()
    issued = admin.post(server.url("/workers/enrolment-tokens"), json={"uses": 5}).json()
    enrol = server.session(issued["token"])
    body = {"name": "n1"}
    assert enrol.post(server.url("/workers/register"), json=body).status_code == 201
    url = server.url(f"/workers/enrolment-tokens/{issued['id']}")
    assert admin.delete(url).status_code == 204
    refused = enrol.post(server.url("/workers/register"), json=body)
    assert refused.status_code == 401, refused.text
    assert admin.delete(url).status_code == 404
    listed = admin.get(server.url("/workers/enrolment-tokens")).json()["enrolment_tokens"]
    assert [(t["id"], t["uses_left"], t["revoked_at"] is not None) for t in listed] == [
        (issued["id"], 4, True)
    ]
    assert "token" not in listed[0]


def test_a_disabled_user_is_refused_at_once(server: RunningServer) -> None:
    admin = server.session()
    ann = new_user(server, "ann")
    ann_id = ann.get(server.url("/me")).json()["id"]
    _warm(server, ann, "/jobs")
    disabled = admin.post(server.url(f"/users/{ann_id}/disable"))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert ann.get(server.url("/jobs")).status_code == 401
    assert [u["disabled"] for u in admin.get(server.url("/users")).json()["users"]] == [False, True]
    me = admin.get(server.url("/me")).json()["id"]
    own = admin.post(server.url(f"/users/{me}/disable"))
    assert own.status_code == 409 and own.json()["error"]["code"] == "own_account"
    assert admin.post(server.url(f"/users/{ann_id}/enable")).json()["disabled"] is False
    assert ann.get(server.url("/jobs")).status_code == 200
    assert admin.post(server.url("/users/999/disable")).status_code == 404


def _session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _admin(args: list[str], **where: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])
    )
    options = [f"--{k.replace('_', '-')}={v}" for k, v in where.items()]
    argv = [sys.executable, "-m", "farmhand", "admin", *options, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def _refused_within(server, session: requests.Session, path: str, seconds: float) -> float:
    """How long until `session` gets 401 at `path` (fails after `seconds`)."""
    started = time.monotonic()
    while True:
        status = session.get(server.url(path)).status_code
        if status == 401:
            return time.monotonic() - started
        assert status == 200, status
        assert time.monotonic() - started < seconds, f"still accepted after {seconds} s"
        time.sleep(0.02)


def test_revocations_reach_every_server_process_at_once(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("revocations")
    first, admin_token = start_server_process(tmp_path / "a", url, free_port())
    second, _ = start_server_process(tmp_path / "a", url, free_port())
    try:
        admin = _session(admin_token)
        made = [admin.post(first.url("/users"), json={"name": n}).json() for n in ("ann", "bob")]
        ann, bob = (
            _session(admin.post(first.url(f"/users/{u['id']}/tokens"), json={}).json()["token"])
            for u in made
        )
        enrol = admin.post(first.url("/workers/enrolment-tokens"), json={"uses": 2}).json()
        nodes = []
        for name in ("n1", "n2"):
            body = {"name": name, "software": {"blender": {"3.4": {}}}}
            registered = _session(enrol["token"]).post(first.url("/workers/register"), json=body)
            nodes.append(_session(registered.json()["token"]))
        for server in (first, second):
            for session in (ann, bob, *nodes):
                _warm(server, session)
        # Revoked through the API of one process: refused by the other on the next request.
        assert admin.post(first.url(f"/users/{made[0]['id']}/disable")).status_code == 200
        assert ann.get(second.url("/me")).status_code == 401
        n1 = nodes[0].get(second.url("/me")).json()["id"]
        assert admin.post(first.url(f"/workers/{n1}/revoke")).status_code == 200
        assert nodes[0].get(second.url("/me")).status_code == 401
        # Through `farmhand admin` on the database: both processes hear it by NOTIFY.
        done = _admin(["revoke-worker", "n2"], database_url=url, data_dir=str(tmp_path / "c"))
        assert done.returncode == 0, done.stderr
        for server in (first, second):
            assert _refused_within(server, nodes[1], "/me", 1.0) < 1.0
        done = _admin(["disable-user", "bob"], database_url=url, data_dir=str(tmp_path / "c"))
        assert done.returncode == 0, done.stderr
        for server in (first, second):
            assert _refused_within(server, bob, "/me", 1.0) < 1.0
    finally:
        first.stop()
        second.stop()


def test_farmhand_admin_revocations_reach_a_running_sqlite_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, revocation_poll_seconds=0.2)
    try:
        ann = new_user(server, "ann")
        scene = upload(server, ann, b"scene")
        created = ann.post(server.url("/jobs"), json=spec_for(scene, frames="1"))
        assert created.status_code == 201
        node, other = new_worker(server, "node"), new_worker(server, "other")
        held = claim(server, node)
        assert held is not None
        _warm(server, node)
        assert claim(server, other) is None  # nothing else to do yet
        done = _admin(["revoke-worker", "node"], data_dir=str(data))
        assert done.returncode == 0 and "1 task(s) requeued" in done.stdout, done.stderr
        assert _refused_within(server, node, "/me", 3.0) < 3.0
        again = claim(server, other, wait=5)
        assert again is not None and again["task"]["id"] == held["task"]["id"]
        issued = server.session().post(server.url("/workers/enrolment-tokens"), json={}).json()
        done = _admin(["revoke-enrol-token", str(issued["id"])], data_dir=str(data))
        assert done.returncode == 0, done.stderr
        refused = _session(issued["token"]).post(
            server.url("/workers/register"), json={"name": "x"}
        )
        assert refused.status_code == 401
        _warm(server, ann)
        assert _admin(["disable-user", "ann"], data_dir=str(data)).returncode == 0
        assert _refused_within(server, ann, "/me", 3.0) < 3.0
        assert "disabled" in _admin(["users"], data_dir=str(data)).stdout
        assert "revoked" in _admin(["workers"], data_dir=str(data)).stdout
        assert _admin(["revoke-worker", "nobody"], data_dir=str(data)).returncode == 1
    finally:
        server.stop()
