"""Attempt logs: appended by the worker in batches, read live by the owner, capped in size."""

from __future__ import annotations

from farm import claim, complete, new_user, new_worker, submit
from server_harness import RunningServer


def test_log_batches_read_live_and_capped(server: RunningServer) -> None:
    server.config.log_max_bytes = 100
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    submit(server, ann, frames="1")
    worker, other = new_worker(server, "w"), new_worker(server, "other")
    attempt = claim(server, worker)["attempt_id"]
    url = server.url(f"/attempts/{attempt}/log")
    assert worker.post(url, data=b"Fra:1 Sample 1/16\n").json() == {"size": 18, "truncated": False}
    first = ann.get(url)
    assert first.text == "Fra:1 Sample 1/16\n" and first.headers["X-Log-Size"] == "18"
    worker.post(url, data=b"Fra:1 Sample 2/16\n")
    assert ann.get(url, params={"offset": 18}).text == "Fra:1 Sample 2/16\n"
    big = worker.post(url, data=b"x" * 500).json()
    assert big["truncated"] is True
    text = ann.get(url).text
    assert text.startswith("Fra:1") and "log truncated" in text and text.count("x") == 64
    assert worker.post(url, data=b"more").json()["truncated"] is True
    # Only the job's owner (or an admin) reads it; only its worker writes it.
    assert bob.get(url).status_code == 404
    assert other.post(url, data=b"intruder").status_code == 404
    assert server.session().get(url).status_code == 200
    assert ann.get(url, params={"offset": 10_000}).status_code == 409


def test_a_log_read_says_whether_its_attempt_still_runs(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    submit(server, ann, frames="1")
    worker = new_worker(server, "w")
    assignment = claim(server, worker)
    url = server.url(f"/attempts/{assignment['attempt_id']}/log")
    empty = ann.get(url)
    assert empty.headers["X-Attempt-State"] == "running" and empty.headers["X-Log-Size"] == "0"
    worker.post(url, data=b"Fra:1\n")
    assert complete(server, worker, assignment) == 200
    ended = ann.get(url, params={"offset": 4})
    assert ended.headers["X-Attempt-State"] == "done" and ended.text == "1\n"
