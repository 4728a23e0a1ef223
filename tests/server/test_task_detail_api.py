"""What the panel's task detail reads and does: a log's tail, and a retry of chosen tasks."""

from __future__ import annotations

from farm import claim, complete, fail, job, new_user, new_worker, submit
from server_harness import RunningServer


def test_a_log_tail_is_its_last_bytes_and_says_where_it_begins(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    submit(server, ann, frames="1")
    worker = new_worker(server, "w")
    url = server.url(f"/attempts/{claim(server, worker)['attempt_id']}/log")
    empty = ann.get(url, params={"tail": 4})
    assert empty.text == "" and empty.headers["X-Log-Offset"] == "0"
    worker.post(url, data=b"line one\nline two\n")
    tail = ann.get(url, params={"tail": 9})
    assert tail.text == "line two\n" and tail.headers["X-Log-Offset"] == "9"
    assert tail.headers["X-Log-Size"] == "18"
    whole = ann.get(url, params={"tail": 1000})
    assert whole.text == "line one\nline two\n" and whole.headers["X-Log-Offset"] == "0"
    after = ann.get(url, params={"tail": 1000, "offset": 14})  # never before the offset
    assert after.text == "two\n" and after.headers["X-Log-Offset"] == "14"
    for bad in (0, 2_000_000, "x"):
        refused = ann.get(url, params={"tail": bad})
        assert refused.status_code == 400 and "tail" in refused.json()["error"]["message"]


def test_retry_of_a_selection_queues_only_its_failed_tasks(server: RunningServer) -> None:
    server.config.max_retries = 0
    server.config.blocklist_after = 100
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-4")
    worker = new_worker(server, "w")
    for frame in range(1, 5):
        assignment = claim(server, worker)
        assert assignment["task"]["frames"] == [frame]
        assert (complete if frame == 4 else fail)(server, worker, assignment) == 200
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    ids = [t["id"] for t in tasks]
    assert [t["state"] for t in tasks] == ["failed", "failed", "failed", "done"]
    url = server.url(f"/jobs/{created['id']}/retry")
    # Frames 1 and 2, the done frame 4 and an unknown id: only 1 and 2 are queued.
    chosen = ann.post(url, json={"task_ids": [ids[0], ids[1], ids[3], 999_999]})
    assert chosen.status_code == 200 and chosen.json()["affected"] == 2
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    assert [t["state"] for t in tasks] == ["queued", "queued", "failed", "done"]
    assert job(server, ann, created["id"])["state"] == "queued"
    one = ann.post(url, json={"task_id": ids[2]})
    assert one.status_code == 200 and one.json()["affected"] == 1
    refusals = [
        ({"task_ids": []}, "task_ids"),
        ({"task_ids": list(range(1, 1002))}, "task_ids"),
        ({"task_ids": ["1"]}, "task_ids"),
        ({"task_ids": [2**80]}, "task_ids"),
        ({"task_id": 2**80}, "task_id"),
    ]
    for body, word in refusals:
        refused = ann.post(url, json=body)
        assert refused.status_code == 400 and word in refused.json()["error"]["message"]
