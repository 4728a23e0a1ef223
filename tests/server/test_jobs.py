"""Jobs and the scheduler over real HTTP, with simulated render nodes."""

from __future__ import annotations

import time

from farm import (
    claim,
    complete,
    drain,
    fail,
    job,
    job_spec,
    new_user,
    new_worker,
    submit,
    upload,
)
from server_harness import RunningServer


def test_chunks_render_in_order_and_the_job_completes(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-10", frames_per_task=4)
    assert created["state"] == "queued" and created["tasks_total"] == 3
    worker = new_worker(server)
    first = claim(server, worker)
    assert first["task"]["frames"] == [1, 2, 3, 4]
    assert first["job"]["spec"]["renderer"]["adapter"] == "blender"
    assert job(server, ann, created["id"])["state"] == "rendering"
    assert complete(server, worker, first) == 200
    rest = drain(server, worker)
    assert [a["task"]["frames"] for a in rest] == [[5, 6, 7, 8], [9, 10]]
    finished = job(server, ann, created["id"])
    assert finished["state"] == "completed" and finished["progress"] == 100.0
    events = ann.get(server.url(f"/jobs/{created['id']}/events")).json()["events"]
    assert [e["to"] for e in events] == ["queued", "rendering", "completed"]
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    assert all(t["state"] == "done" and len(t["attempts"]) == 1 for t in tasks)
    assert tasks[0]["attempts"][0]["peak_memory_mb"] == 512


def test_test_frames_first_then_approval(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    test_frames = {"first": True, "middle": True, "last": True}
    created = submit(server, ann, frames="1-9", frames_per_task=3, test_frames=test_frames,
                     stop_after_test=True)  # fmt: skip
    worker = new_worker(server)
    tests = [claim(server, worker) for _ in range(3)]
    assert [t["task"]["frames"] for t in tests] == [[1], [5], [9]]
    assert all(t["task"]["is_test"] for t in tests)
    # Nothing else is handed out while test frames are pending.
    assert claim(server, worker) is None
    for t in tests:
        assert complete(server, worker, t) == 200
    assert job(server, ann, created["id"])["state"] == "awaiting_approval"
    assert claim(server, worker) is None
    approved = ann.post(server.url(f"/jobs/{created['id']}/approve"))
    assert approved.status_code == 200 and approved.json()["state"] == "rendering"
    rest = drain(server, worker)
    assert [a["task"]["frames"] for a in rest] == [[2, 3, 4], [6, 7, 8]]
    assert job(server, ann, created["id"])["state"] == "completed"


def test_failed_test_frame_fails_the_job(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-20", test_frames={"first": True})
    worker = new_worker(server)
    test = claim(server, worker)
    assert test["task"]["is_test"] and fail(server, worker, test, "licence failure") == 200
    state = job(server, ann, created["id"])
    assert state["state"] == "failed"
    assert claim(server, worker) is None
    events = ann.get(server.url(f"/jobs/{created['id']}/events")).json()["events"]
    assert "licence failure" in events[-1]["reason"]


def test_a_test_frame_its_worker_lost_is_queued_again(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-20", test_frames={"first": True})
    worker = new_worker(server)
    test = claim(server, worker)
    url = server.url(f"/attempts/{test['attempt_id']}/fail")
    lost = worker.post(url, json={"message": "the worker stopped (restarted)", "lost": True})
    assert lost.status_code == 200
    assert job(server, ann, created["id"])["state"] == "rendering"
    again = claim(server, worker)  # not kept from the worker that lost it
    assert again["task"]["id"] == test["task"]["id"]
    attempts = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"][0]["attempts"]
    assert [a["state"] for a in attempts] == ["lost", "running"]


def test_retries_elsewhere_then_blocklist_and_permanent_failure(server: RunningServer) -> None:
    server.config.max_retries = 1
    server.config.blocklist_after = 2
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3")
    bad, good = new_worker(server, "bad"), new_worker(server, "good")
    a1 = claim(server, bad)
    assert fail(server, bad, a1) == 200
    # The failed task is not given to the same worker again (soft fail) ...
    a2 = claim(server, bad)
    assert a2["task"]["frames"] != a1["task"]["frames"]
    assert fail(server, bad, a2) == 200
    # ... and after two failures on this job, the worker is blocklisted for it.
    assert claim(server, bad) is None
    again = claim(server, good)
    assert again["task"]["frames"] in (a1["task"]["frames"], a2["task"]["frames"], [3])
    assert fail(server, good, again) == 200  # second failure of that task: retries exhausted
    drain(server, good)
    finished = job(server, ann, created["id"])
    assert finished["state"] == "failed" and finished["tasks_failed"] >= 1
    # Retry the failed task: the job is queued again and completes.
    retried = ann.post(server.url(f"/jobs/{created['id']}/retry"), json={})
    assert retried.status_code == 200 and retried.json()["affected"] == finished["tasks_failed"]
    drain(server, good)
    assert job(server, ann, created["id"])["state"] == "completed"


def test_lease_expiry_requeues_and_fences_the_old_attempt(server: RunningServer) -> None:
    server.config.lease_seconds = 0.3
    server.config.reap_interval = 0.1
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    dying, healthy = new_worker(server, "dying"), new_worker(server, "healthy")
    lost = claim(server, dying)
    beat = dying.post(server.url(f"/attempts/{lost['attempt_id']}/heartbeat"))
    assert beat.status_code == 200
    taken = claim(server, healthy, wait=5)  # long-polls until the lease lapses and is requeued
    assert taken is not None and taken["task"]["id"] == lost["task"]["id"]
    # The old attempt is fenced: its heartbeat and its completion are refused.
    stale = dying.post(server.url(f"/attempts/{lost['attempt_id']}/heartbeat"))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_attempt"
    assert complete(server, dying, lost) == 409
    assert complete(server, healthy, taken) == 200
    assert job(server, ann, created["id"])["state"] == "completed"
    attempts = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"][0]["attempts"]
    assert [a["state"] for a in attempts] == ["lost", "done"]


def test_time_out_counts_as_a_failure(server: RunningServer) -> None:
    server.config.reap_interval = 0.1
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", time_out=1)
    worker = new_worker(server)
    slow = claim(server, worker)
    deadline = time.time() + 10
    while time.time() < deadline:
        tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
        if tasks[0]["attempts"][0]["state"] != "running":
            break
        time.sleep(0.1)
    assert tasks[0]["attempts"][0]["state"] == "timeout"
    assert complete(server, worker, slow) == 409
    # Not retried on the worker that timed out.
    assert claim(server, worker) is None


def test_pause_resume_cancel(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-4")
    worker = new_worker(server)
    running = claim(server, worker)
    paused = ann.post(server.url(f"/jobs/{created['id']}/pause"), json={"kill": True})
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert complete(server, worker, running) == 409  # killed: the worker must stop
    assert claim(server, worker) is None
    again = ann.post(server.url(f"/jobs/{created['id']}/pause"), json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert ann.post(server.url(f"/jobs/{created['id']}/resume")).json()["state"] == "rendering"
    resumed = claim(server, worker)
    assert resumed["task"]["frames"] == running["task"]["frames"]  # the killed task came back
    cancelled = ann.post(server.url(f"/jobs/{created['id']}/cancel"))
    assert cancelled.json()["state"] == "cancelled"
    assert complete(server, worker, resumed) == 409
    assert claim(server, worker) is None
    assert ann.post(server.url(f"/jobs/{created['id']}/resume")).status_code == 409
    assert ann.delete(server.url(f"/jobs/{created['id']}")).status_code == 204
    assert ann.get(server.url(f"/jobs/{created['id']}")).status_code == 404


def test_pause_without_kill_lets_running_tasks_finish(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2")
    worker = new_worker(server)
    running = claim(server, worker)
    ann.post(server.url(f"/jobs/{created['id']}/pause"), json={})
    assert complete(server, worker, running) == 200
    assert claim(server, worker) is None
    ann.post(server.url(f"/jobs/{created['id']}/resume"))
    drain(server, worker)
    assert job(server, ann, created["id"])["state"] == "completed"


def test_hardware_software_and_tags_decide_who_renders(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    hardware = {"ram_gb": 64, "gpu_count": 1, "tags": ["linux"]}
    created = submit(server, ann, frames="1", hardware=hardware)
    small = new_worker(server, "small", ram_gb=16, gpu_count=1, tags=["linux"])
    no_gpu = new_worker(server, "cpu", ram_gb=128, tags=["linux"])
    windows = new_worker(server, "win", ram_gb=128, gpu_count=2, tags=["windows"])
    other_blender = new_worker(server, "b29", ram_gb=128, gpu_count=2, tags=["linux"],
                               software={"blender": {"2.9": {}}})  # fmt: skip
    for worker in (small, no_gpu, windows, other_blender):
        assert claim(server, worker) is None
    big = new_worker(server, "big", ram_gb=128, gpu_count=2, tags=["linux", "gpu"])
    assert claim(server, big)["job"]["id"] == created["id"]


def test_priority_orders_jobs(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    low = submit(server, ann, frames="1", priority=10)
    high = submit(server, ann, frames="1", priority=90)
    worker = new_worker(server)
    assert claim(server, worker)["job"]["id"] == high["id"]
    assert claim(server, worker)["job"]["id"] == low["id"]
    later = submit(server, ann, frames="1", priority=10)
    ann.patch(server.url(f"/jobs/{later['id']}"), json={"priority": 100})
    newest = submit(server, ann, frames="1", priority=50)
    assert claim(server, worker)["job"]["id"] == later["id"]
    assert claim(server, worker)["job"]["id"] == newest["id"]


def test_tiles_then_assembly(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2", tiles=2, tiles_type="strip", width=64,
                     height=32)  # fmt: skip
    assert created["tasks_total"] == 6  # 2 tiles + 1 assembly per frame
    worker = new_worker(server)
    t1, t2 = claim(server, worker), claim(server, worker)
    assert [t1["task"]["kind"], t2["task"]["kind"]] == ["tile", "tile"]
    assert {t1["task"]["tile"]["y"], t2["task"]["tile"]["y"]} == {0, 16}
    # The assembly of frame 1 waits for its tiles; frame 2's tiles go meanwhile.
    t3 = claim(server, worker)
    assert t3["task"]["kind"] == "tile" and t3["task"]["frames"] == [2]
    complete(server, worker, t1)
    complete(server, worker, t2)
    assembly = claim(server, worker)
    assert assembly["task"]["kind"] == "assemble" and assembly["task"]["frames"] == [1]
    complete(server, worker, assembly)
    complete(server, worker, t3)
    drain(server, worker)
    assert job(server, ann, created["id"])["state"] == "completed"


def test_users_see_only_their_jobs(server: RunningServer) -> None:
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    created = submit(server, ann, frames="1")
    assert bob.get(server.url(f"/jobs/{created['id']}")).status_code == 404
    assert bob.post(server.url(f"/jobs/{created['id']}/cancel")).status_code == 404
    assert bob.get(server.url("/jobs")).json()["jobs"] == []
    assert [j["id"] for j in server.session().get(server.url("/jobs")).json()["jobs"]] == [
        created["id"]
    ]
    # Bob cannot submit a job naming Ann's blobs: he has not uploaded them.
    scene = upload(server, ann, b"ann's scene")
    refused = bob.post(server.url("/jobs"), json=job_spec(scene))
    assert refused.status_code == 424
    assert refused.json()["error"]["details"]["missing"] == [f"{scene['md5']}-{scene['size']}"]


def test_worker_reads_only_blobs_of_its_running_task(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1")
    scene = job(server, ann, created["id"])["spec"]["scene"]["blob"]
    key = f"{scene['md5']}-{scene['size']}"
    worker = new_worker(server)
    assert worker.get(server.url(f"/blobs/{key}")).status_code == 404
    assignment = claim(server, worker)
    assert worker.get(server.url(f"/blobs/{key}")).status_code == 200
    complete(server, worker, assignment)
    assert worker.get(server.url(f"/blobs/{key}")).status_code == 404


def test_bad_specs_are_400_with_the_field_named(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"s")
    cases = {
        "frames": job_spec(scene, frames="1-x"),
        "tiles": job_spec(scene, tiles=2, frames_per_task=3),
        "test_frames": job_spec(scene, frames="1-5", test_frames={"custom": [9]}),
        "renderer": job_spec(scene, renderer={"adapter": "houdini"}),
    }
    for field, spec in cases.items():
        response = ann.post(server.url("/jobs"), json=spec)
        assert response.status_code == 400, (field, response.text)
        assert field in response.json()["error"]["message"], (field, response.text)


def test_renderbus_task_json_is_accepted(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"renderbus scene")
    body = {
        "name": "wolf",
        "scene": {"path": "C:/Project/shot.blend", "blob": scene},
        "renderer": {"adapter": "blender"},
        "frames": "1-5",
        "software_config": {"cg_name": "blender", "cg_version": "3.4", "plugins": {}},
        "task_info": {"frames_per_task": "2", "pre_frames": "100", "stop_after_test": "2",
                      "time_out": "43200", "ram": "16"},
    }  # fmt: skip
    created = ann.post(server.url("/jobs"), json=body)
    assert created.status_code == 201, created.text
    spec = job(server, ann, created.json()["id"])["spec"]
    assert spec["software"] == {"cg_name": "blender", "cg_version": "3.4", "plugins": {}}
    assert spec["frames_per_task"] == 2 and spec["time_out"] == 43200  # twelve hours a task
    assert spec["hardware"]["ram_gb"] == 16 and spec["test_frames"]["first"] is True
    tasks = ann.get(server.url(f"/jobs/{created.json()['id']}/tasks")).json()["tasks"]
    assert [(t["frames"], t["is_test"]) for t in tasks] == [
        ([1], True),
        ([2, 3], False),
        ([4, 5], False),
    ]
    bad = dict(body, task_info={"ram": "lots"})
    refused = ann.post(server.url("/jobs"), json=bad)
    assert refused.status_code == 400 and "ram" in refused.text


def test_job_stop_time_fails_what_is_left(server: RunningServer) -> None:
    server.config.reap_interval = 0.1
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3", job_stop_time=1)
    worker = new_worker(server)
    running = claim(server, worker)
    deadline = time.time() + 10
    while time.time() < deadline and job(server, ann, created["id"])["state"] != "failed":
        time.sleep(0.1)
    assert job(server, ann, created["id"])["state"] == "failed"
    assert complete(server, worker, running) == 409
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    assert {t["state"] for t in tasks} == {"cancelled"}


def test_hardware_config_ids_pick_the_machines(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", hardware={"hardware_config_ids": ["418"]})
    plain = new_worker(server, "plain", ram_gb=512)
    other = new_worker(server, "419", hardware_config_id="419")
    assert claim(server, plain) is None and claim(server, other) is None
    right = new_worker(server, "418", hardware_config_id="418")
    assert claim(server, right)["job"]["id"] == created["id"]


def test_complete_and_take_the_next_task_in_one_request(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3")
    worker = new_worker(server)
    current = claim(server, worker)
    seen = [current["task"]["frames"]]
    while True:
        answer = worker.post(server.url(f"/attempts/{current['attempt_id']}/complete"),
                             json={"next": True})  # fmt: skip
        assert answer.status_code == 200, answer.text
        nxt = answer.json()["next"]
        if nxt is None:
            break
        assert nxt["job"]["spec"]["frames"] == "1-3" and nxt["lease_seconds"] > 0
        seen.append(nxt["task"]["frames"])
        current = nxt
    assert seen == [[1], [2], [3]]
    assert job(server, ann, created["id"])["state"] == "completed"
    workers = server.session().get(server.url("/workers")).json()["workers"]
    assert workers[0]["state"] == "idle"
    stale = worker.post(server.url(f"/attempts/{current['attempt_id']}/complete"),
                        json={"next": True})  # fmt: skip
    assert stale.status_code == 409
