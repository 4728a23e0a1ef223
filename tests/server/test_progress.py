"""A job's progress counts its running attempts; its time left is only promised while it renders."""

from __future__ import annotations

from farm import claim, complete, job, new_user, new_worker, submit
from server_harness import RunningServer


def _beat(server: RunningServer, worker, assignment: dict, progress: float) -> None:
    url = server.url(f"/attempts/{assignment['attempt_id']}/heartbeat")
    assert worker.post(url, json={"progress": progress}).status_code == 200


def test_progress_includes_running_attempts(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-4")
    one, two = new_worker(server, "node1"), new_worker(server, "node2")
    first, second = claim(server, one), claim(server, two)
    _beat(server, one, first, 0.5)
    _beat(server, two, second, 0.25)
    assert job(server, ann, created["id"])["progress"] == 18.75  # (0.5 + 0.25) / 4 tasks
    listed = ann.get(server.url("/jobs")).json()["jobs"]
    assert [j["progress"] for j in listed if j["id"] == created["id"]] == [18.75]
    assert complete(server, one, first) == 200
    assert job(server, ann, created["id"])["progress"] == 31.25  # (1 + 0.25) / 4
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    # Each attempt names the node that ran it.
    assert [[a["worker"] for a in t["attempts"]] for t in tasks] == [["node1"], ["node2"], [], []]


def test_no_time_left_while_awaiting_approval_or_paused(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-9", frames_per_task=3,
                     test_frames={"first": True}, stop_after_test=True)  # fmt: skip
    worker = new_worker(server)
    assert complete(server, worker, claim(server, worker)) == 200
    awaiting = job(server, ann, created["id"])
    assert awaiting["state"] == "awaiting_approval" and awaiting["eta_seconds"] is None
    ann.post(server.url(f"/jobs/{created['id']}/approve"))
    rendering = job(server, ann, created["id"])
    assert rendering["state"] == "rendering" and rendering["eta_seconds"] is not None
    ann.post(server.url(f"/jobs/{created['id']}/pause"), json={})
    paused = job(server, ann, created["id"])
    assert paused["state"] == "paused" and paused["eta_seconds"] is None
