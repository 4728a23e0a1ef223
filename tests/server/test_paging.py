"""Listings that grow with a job come in pages (`limit` + a cursor); clients follow them."""

from __future__ import annotations

import os

from farm import claim, new_user, new_worker, submit
from farmhand.transfer.client import FarmClient
from server_harness import RunningServer
from test_outputs import complete_with, worker_upload


def _pages(session, url: str, key: str, cursor: str, **params) -> list[tuple[list, object]]:
    found = []
    while True:
        answer = session.get(url, params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found.append((page[key], page["next"]))
        if page["next"] is None:
            return found
        params[cursor] = page["next"]


def test_tasks_come_in_pages(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    job = submit(server, ann, frames="1-25")
    url = server.url(f"/jobs/{job['id']}/tasks")
    pages = _pages(ann, url, "tasks", "after", limit=10)
    assert [[t["seq"] for t in tasks] for tasks, _ in pages] == [
        list(range(10)), list(range(10, 20)), list(range(20, 25))
    ]  # fmt: skip
    assert [following for _, following in pages] == [9, 19, None]
    assert len(ann.get(url).json()["tasks"]) == 25  # the default page holds them all
    for bad in ("0", "10001", "x"):
        assert ann.get(url, params={"limit": bad}).status_code == 400
    client = FarmClient(server.base.removesuffix("/api/v1"), ann.headers["Authorization"][7:])
    assert [t["seq"] for t in client.pages(f"/jobs/{job['id']}/tasks", "tasks", limit=4)] == list(
        range(25)
    )
    assert len(client.tasks(job["id"])) == 25


def test_outputs_come_in_pages_in_frame_order(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    job = submit(server, ann, frames="1-3", frames_per_task=3)
    worker = new_worker(server)
    assignment = claim(server, worker)
    ref = worker_upload(server, worker, assignment["attempt_id"], os.urandom(50))
    preview = worker_upload(server, worker, assignment["attempt_id"], os.urandom(20))
    files = [{"name": f"f.{frame}.{aov}.exr", "kind": "image", "frame": frame, **ref}
             for frame in (3, 1, 2) for aov in ("a", "b")]  # fmt: skip
    files.append({"name": "report.txt", "kind": "file", "frame": None, **ref})
    files.append({"name": ".previews/f.2.jpg", "kind": "preview", "frame": 2,
                  "preview_of": "f.2.a.exr", **preview})  # fmt: skip
    assert complete_with(server, worker, assignment, files).status_code == 200
    url = server.url(f"/jobs/{job['id']}/outputs")
    whole = ann.get(url).json()
    assert whole["next"] is None
    names = [o["name"] for o in whole["outputs"]]
    assert names[-1] == "report.txt" and len(names) == 7
    assert [o["frame"] for o in whole["outputs"]] == [1, 1, 2, 2, 3, 3, None]
    pages = _pages(ann, url, "outputs", "after", limit=2)
    assert [len(outputs) for outputs, _ in pages] == [2, 2, 2, 1]
    assert [o for outputs, _ in pages for o in outputs] == whole["outputs"]
    assert [o["preview"] is not None for o in whole["outputs"]] == [0, 0, 1, 0, 0, 0, 0]
    for bad in ("x", "1", "1:99999999999", ":"):
        answer = ann.get(url, params={"after": bad})
        assert answer.status_code == 400, (bad, answer.text)
    client = FarmClient(server.base.removesuffix("/api/v1"), ann.headers["Authorization"][7:])
    assert [o["name"] for o in client.pages(f"/jobs/{job['id']}/outputs", "outputs", limit=3)] == (
        names
    )
    assert client.outputs(job["id"]) == whole["outputs"]


def test_jobs_come_in_pages_newest_first(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    ids = [submit(server, ann, frames="1")["id"] for _ in range(3)]
    first = ann.get(server.url("/jobs"), params={"limit": 2}).json()
    assert [j["id"] for j in first["jobs"]] == ids[:0:-1] and first["next"] == ids[1]
    rest = ann.get(server.url("/jobs"), params={"limit": 2, "before": first["next"]}).json()
    assert [j["id"] for j in rest["jobs"]] == [ids[0]] and rest["next"] is None
