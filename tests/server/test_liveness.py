"""The liveness rule over real HTTP: a task no online worker may take does not wait forever."""

from __future__ import annotations

import time

from farm import claim, complete, drain, fail, job, new_user, new_worker, submit
from server_harness import RunningServer, wait_until


def _tasks(server: RunningServer, session, job_id: int) -> list[dict]:
    return session.get(server.url(f"/jobs/{job_id}/tasks")).json()["tasks"]


def test_a_task_failed_on_the_only_node_fails_at_once(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    worker = new_worker(server, "node1")
    first = claim(server, worker)
    assert fail(server, worker, first, "killed after exceeding time_out (5 s)") == 200
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed", finished
    want = "failed on every node able to run it: node1 (killed after exceeding time_out (5 s))"
    assert want in finished["state_reason"] and "frame 1" in finished["state_reason"]
    task = _tasks(server, ann, created["id"])[0]
    assert task["state"] == "failed" and task["message"] == want


def test_with_two_nodes_the_task_fails_once_both_failed_it(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2")
    one, two = new_worker(server, "node1"), new_worker(server, "node2")
    a = claim(server, one)
    assert fail(server, one, a, "out of memory") == 200
    # node2 has not failed it: it waits for node2, and node1 gets the other frame.
    assert job(server, ann, created["id"])["state"] == "rendering"
    other = claim(server, one)
    assert other["task"]["id"] != a["task"]["id"] and complete(server, one, other) == 200
    again = claim(server, two)
    assert again["task"]["id"] == a["task"]["id"]
    assert fail(server, two, again, "segfault") == 200
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed" and finished["tasks_failed"] == 1
    assert ("failed on every node able to run it: node1 (out of memory), node2 (segfault)"
            in finished["state_reason"])  # fmt: skip


def test_every_able_node_blocklisted_fails_the_queued_tasks(server: RunningServer) -> None:
    server.config.blocklist_after = 1
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3")
    worker = new_worker(server, "node1")
    new_worker(server, "oldnode", software={"blender": {"2.79": {}}})  # cannot run it at all
    first = claim(server, worker)
    assert fail(server, worker, first) == 200
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed" and finished["tasks_failed"] == 3, finished
    assert ("every online node able to run it is blocklisted for this job: node1"
            in finished["state_reason"])  # fmt: skip


def test_with_the_studio_setting_a_node_that_failed_it_gets_it_again(
    server: RunningServer,
) -> None:
    server.config.retry_on_failed_nodes = True
    server.config.max_retries = 2
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    worker = new_worker(server, "node1")
    for n in range(3):
        attempt = claim(server, worker)
        assert attempt is not None, f"no retry on the node after {n} failures"
        assert fail(server, worker, attempt, f"crash {n}") == 200
    assert claim(server, worker) is None
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed"
    assert "failed 3 times (max_retries 2); the last: crash 2" in finished["state_reason"]


def test_the_studio_setting_retries_then_it_renders(server: RunningServer) -> None:
    server.config.retry_on_failed_nodes = True
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    one, two = new_worker(server, "node1"), new_worker(server, "node2")
    assert fail(server, one, claim(server, one)) == 200
    assert fail(server, two, claim(server, two)) == 200
    again = claim(server, one)
    assert again is not None and complete(server, one, again) == 200
    assert job(server, ann, created["id"])["state"] == "completed"


def test_an_offline_node_is_not_waited_for(server: RunningServer) -> None:
    server.config.online_seconds = 1.5
    server.config.liveness_interval = 0.2
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2")
    worker = new_worker(server, "node1")
    new_worker(server, "gone")  # registered, then never heard of again
    first = claim(server, worker)
    assert fail(server, worker, first, "boom") == 200
    assert _tasks(server, ann, created["id"])[0]["state"] == "queued"  # "gone" is online still
    second = claim(server, worker)  # node1 stays online: it renders frame 2 and heartbeats
    beat = server.url(f"/attempts/{second['attempt_id']}/heartbeat")

    def first_failed():
        assert worker.post(beat, json={}).status_code == 200
        return _tasks(server, ann, created["id"])[0]["state"] == "failed"

    wait_until(first_failed)
    assert complete(server, worker, second) == 200
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed"
    assert "failed on every node able to run it: node1 (boom)" in finished["state_reason"]


def test_no_matching_node_past_the_grace_period_fails_the_job(server: RunningServer) -> None:
    server.config.liveness_interval = 0.1
    server.config.unmatched_grace_seconds = 1.0
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2", software={"cg_name": "maya",
                                                          "cg_version": "2030"})  # fmt: skip
    new_worker(server, "node1")  # Blender only
    time.sleep(0.5)
    assert job(server, ann, created["id"])["state"] == "queued"  # within the grace period
    finished = wait_until(lambda: (j := job(server, ann, created["id"]))["state"] == "failed" and j)
    want = "no online node could run it for 1 s: no online worker has Maya"
    assert want in finished["state_reason"]
    assert finished["tasks_failed"] == 2


def test_with_no_node_online_a_job_waits(server: RunningServer) -> None:
    server.config.liveness_interval = 0.1
    server.config.unmatched_grace_seconds = 0.3
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    time.sleep(1.5)
    body = job(server, ann, created["id"])
    assert body["state"] == "queued" and body["waiting_reason"] == "no worker is online"


def test_a_failed_tile_takes_its_assembly_with_it(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", tiles=2, tiles_type="strip", width=64, height=32)
    worker = new_worker(server, "node1")
    tile = claim(server, worker)
    assert tile["task"]["kind"] == "tile"
    assert fail(server, worker, tile, "bad tile") == 200
    drain(server, worker)  # the other tile
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed", finished
    tasks = {t["kind"] + str(t["tile"] and t["tile"].get("index")): t
             for t in _tasks(server, ann, created["id"])}  # fmt: skip
    assembly = next(t for t in tasks.values() if t["kind"] == "assemble")
    assert assembly["state"] == "failed"
    assert assembly["message"].startswith("a tile of its frame failed: failed on every node")


def test_a_task_offered_again_reaches_a_node_the_dispatcher_kept_it_from(
    server: RunningServer,
) -> None:
    """The dispatcher holds the queued task in memory with who failed it: it reads it again."""
    server.config.retry_on_failed_nodes = True
    server.config.liveness_interval = 0.2
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2")
    worker = new_worker(server, "node1")
    new_worker(server, "other")  # online: frame 1 waits for it
    first = claim(server, worker)
    assert fail(server, worker, first, "boom") == 200
    second = claim(server, worker)  # frame 2; frame 1 stays held, kept from node1
    assert second["task"]["id"] != first["task"]["id"]
    assert complete(server, worker, second) == 200
    # "other" leaves the farm (revoked: no longer online), and nobody says so to the dispatcher
    # but the periodic check.
    admin = server.session()
    listed = admin.get(server.url("/workers")).json()["workers"]
    other = next(w["id"] for w in listed if w["name"] == "other")
    assert admin.post(server.url(f"/workers/{other}/revoke")).status_code == 200
    again = wait_until(lambda: claim(server, worker, wait=0.5))
    assert again["task"]["id"] == first["task"]["id"]
    assert complete(server, worker, again) == 200
    assert job(server, ann, created["id"])["state"] == "completed"
