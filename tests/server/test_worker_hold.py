"""An admin's hold on a worker: drain (finish, take no more), disable (stop now), enable."""

from __future__ import annotations

from farm import claim, complete, job, new_user, new_worker, submit


def _worker_id(server, name: str) -> int:
    workers = server.session().get(server.url("/workers")).json()["workers"]
    return next(w["id"] for w in workers if w["name"] == name)


def _hold(server, worker_id: int, action: str):
    return server.session().post(server.url(f"/workers/{worker_id}/{action}"))


def test_a_drained_worker_finishes_its_task_and_takes_no_more(server):
    artist = new_user(server, "ann")
    made = submit(server, artist, frames="1-3")
    node = new_worker(server, "node1")
    node_id = _worker_id(server, "node1")
    running = claim(server, node)
    assert running is not None
    answer = _hold(server, node_id, "drain")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": node_id, "name": "node1", "hold": "drain", "requeued": 0}
    # What it runs goes on and completes; nothing new is handed to it though tasks wait.
    assert complete(server, node, running) == 200
    assert claim(server, node) is None
    listed = next(w for w in server.session().get(server.url("/workers")).json()["workers"]
                  if w["id"] == node_id)  # fmt: skip
    assert listed["hold"] == "drain"
    assert listed["running"] == [] and listed["attempts_done"] == 1
    # Another worker still gets the job's tasks.
    other = new_worker(server, "node2")
    assert claim(server, other) is not None
    # Enabled again, it takes work.
    assert _hold(server, node_id, "enable").json()["hold"] is None
    assert claim(server, node) is not None
    assert job(server, artist, made["id"])["state"] == "rendering"


def test_a_disabled_worker_stops_now_and_its_task_is_queued_again(server):
    artist = new_user(server, "ann")
    made = submit(server, artist, frames="1")
    node = new_worker(server, "node1")
    node_id = _worker_id(server, "node1")
    running = claim(server, node)
    assert running is not None
    listed = server.session().get(server.url("/workers")).json()["workers"][0]
    assert [r["attempt_id"] for r in listed["running"]] == [running["attempt_id"]]
    answer = _hold(server, node_id, "disable")
    assert answer.status_code == 200, answer.text
    assert answer.json()["requeued"] == 1
    # Its next heartbeat is told to stop; the task waits for another worker.
    beat = node.post(server.url(f"/attempts/{running['attempt_id']}/heartbeat"), json={})
    assert beat.status_code == 409
    assert claim(server, node) is None
    other = new_worker(server, "node2")
    again = claim(server, other)
    assert again is not None and again["task"]["id"] == running["task"]["id"]
    assert complete(server, other, again) == 200
    assert job(server, artist, made["id"])["state"] == "completed"


def test_only_admins_hold_workers_and_unknown_workers_are_not_found(server):
    new_worker(server, "node1")
    node_id = _worker_id(server, "node1")
    artist = new_user(server, "ann")
    for action in ("drain", "disable", "enable"):
        refused = artist.post(server.url(f"/workers/{node_id}/{action}"))
        assert refused.status_code == 403
        missing = _hold(server, 999_999, action)
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "worker not found"
