"""The event stream: what happens to your jobs arrives as server-sent events, and only yours."""

from __future__ import annotations

import json
import threading

import requests
from farm import claim, complete, new_user, new_worker, submit
from server_harness import RunningServer


def _read_events(session: requests.Session, url: str, into: list, ready: threading.Event) -> None:
    with session.get(url, stream=True, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        ready.set()
        event: dict = {}
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                event["kind"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line == "" and "data" in event:
                into.append(event)
                event = {}


def _listen(server: RunningServer, session: requests.Session, seconds: float = 3.0):
    got: list = []
    ready = threading.Event()
    url = server.url(f"/events?max_seconds={seconds}")
    thread = threading.Thread(target=_read_events, args=(session, url, got, ready))
    thread.start()
    assert ready.wait(10)
    return got, thread


def test_owner_sees_job_and_task_events_others_see_none(server: RunningServer) -> None:
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    ann_events, ann_thread = _listen(server, ann)
    bob_events, bob_thread = _listen(server, bob)
    created = submit(server, ann, frames="1-2")
    worker = new_worker(server)
    for _ in range(2):
        complete(server, worker, claim(server, worker))
    ann_thread.join(20)
    bob_thread.join(20)
    kinds = [(e["kind"], e["data"].get("state")) for e in ann_events]
    assert ("task", "running") in kinds and ("task", "done") in kinds
    assert ("job", "rendering") in kinds and kinds[-1] == ("job", "completed")
    assert all(e["data"]["job_id"] == created["id"] for e in ann_events)
    ids = [e["id"] for e in ann_events]
    assert ids == sorted(ids)
    assert bob_events == []


def test_resume_after_last_event_id(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    first, thread = _listen(server, ann, seconds=2)
    submit(server, ann, frames="1")
    thread.join(20)
    worker = new_worker(server)
    complete(server, worker, claim(server, worker))  # happens while nobody listens
    assert first and first[0]["data"]["state"] == "queued"
    resumed = ann.get(
        server.url("/events?max_seconds=1"),
        headers={"Last-Event-ID": str(first[-1]["id"])},
        timeout=30,
    ).text
    assert '"state": "done"' in resumed and '"state": "completed"' in resumed
