"""Bounded work per request: hostile submissions and bodies get their 4xx, not the server.

The timed side (memory peak, /health latency while each runs) is `bench/abuse.py`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import requests
import sqlalchemy as sa
from farm import claim, job_spec, new_user, new_worker, submit, upload
from farmhand_server.api.work import collect_garbage
from farmhand_server.keys import DB
from farmhand_server.store import schema as db
from server_harness import RunningServer, start_server


def _empty_objects(count: int) -> bytes:
    """A `/blobs/missing` body of `count` empty objects: the issue's 0.5 / 2 / 63 MB bodies."""
    return b'{"blobs": [' + b",".join([b"{}"] * count) + b"]}"


def _post_raw(server: RunningServer, session: requests.Session, path: str, body: bytes):
    headers = {"Content-Type": "application/json"}
    return session.post(server.url(path), data=body, headers=headers, timeout=60)


def _error(answer: requests.Response) -> dict:
    return answer.json()["error"]


def test_a_job_of_more_tasks_than_the_cap_is_refused_before_planning(database_url, tmp_path):
    server = start_server(tmp_path / "data", database_url, max_tasks_per_job=100)
    try:
        ann = new_user(server, "ann")
        scene = upload(server, ann, b"scene " + os.urandom(8))
        answer = ann.post(server.url("/jobs"), json=job_spec(scene, frames="1-101"))
        assert answer.status_code == 422, answer.text
        error = _error(answer)
        assert error["code"] == "too_many_tasks"
        assert "101 tasks" in error["message"] and "100" in error["message"]
        assert error["details"] == {"tasks": 101, "max_tasks_per_job": 100}
        # The same frames in chunks of two fit; tiles count with their assembly tasks.
        assert ann.post(server.url("/jobs"), json=job_spec(scene, frames="1-101",
                        frames_per_task=2)).status_code == 201  # fmt: skip
        assert ann.get(server.url("/jobs")).json()["jobs"][0]["tasks_total"] == 51
        tiled = job_spec(scene, frames="1-21", tiles=4, tiles_type="strip", width=64, height=64)
        assert _error(ann.post(server.url("/jobs"), json=tiled))["details"]["tasks"] == 105
        tiled["frames"] = "1-20"
        assert ann.post(server.url("/jobs"), json=tiled).status_code == 201
    finally:
        server.stop()


def test_the_issue_s_400_byte_job_is_refused_at_once(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene " + os.urandom(8))
    spec = job_spec(
        scene, frames="1-1000000", tiles=4096, tiles_type="strip", width=8192, height=8192
    )
    started = time.monotonic()
    answer = ann.post(server.url("/jobs"), json=spec, timeout=30)
    assert answer.status_code == 422, answer.text
    assert _error(answer)["details"] == {"tasks": 4_097_000_000, "max_tasks_per_job": 200_000}
    assert time.monotonic() - started < 10
    # The documented maximum of frames, one per task: five times the default cap.
    answer = ann.post(server.url("/jobs"), json=job_spec(scene, frames="1-1000000"), timeout=30)
    assert answer.status_code == 422, answer.text
    assert _error(answer)["details"]["tasks"] == 1_000_000
    assert ann.get(server.url("/jobs")).json()["jobs"] == []


def test_hostile_bodies_to_blobs_missing_get_413(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    for count in (174_761, 699_051):  # the issue's 0.5 MB and 2 MB bodies
        started = time.monotonic()
        answer = _post_raw(server, ann, "/blobs/missing", _empty_objects(count))
        assert answer.status_code == 413, answer.text
        assert _error(answer)["code"] == "too_large"
        assert time.monotonic() - started < 10
    # 63 MB: refused from its Content-Length, before it is read.
    answer = _post_raw(server, ann, "/blobs/missing", _empty_objects(22_000_000))
    assert answer.status_code == 413, answer.text
    assert "at most 2,097,152" in _error(answer)["message"]
    # The same route still answers an honest body of its largest size.
    honest = [{"md5": "0" * 32, "xxh64": "0" * 16, "size": 9_007_199_254_740_992}] * 10_000
    answer = ann.post(server.url("/blobs/missing"), json={"blobs": honest})
    assert answer.status_code == 200, answer.text


def test_deep_json_is_refused_before_it_is_parsed(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    for depth in (65, 328, 5000):
        body = b'{"blobs": ' + b"[" * depth + b"]" * depth + b"}"
        answer = _post_raw(server, ann, "/blobs/missing", body)
        assert answer.status_code == 400, (depth, answer.text)
        assert "deeper than 64 levels" in _error(answer)["message"]
    # 64 levels pass the check (and fail the schema, as they should).
    body = b'{"blobs": ' + b"[" * 63 + b"]" * 63 + b"}"
    answer = _post_raw(server, ann, "/blobs/missing", body)
    assert answer.status_code == 400
    assert "deeper" not in _error(answer)["message"]


def test_validation_reports_the_first_few_problems(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene " + os.urandom(8))
    bad = [{"path": f"C:/t/{i}.exr", "md5": "x", "xxh64": "y", "size": -1} for i in range(5000)]
    answer = ann.post(server.url("/jobs"), json=job_spec(scene, manifest=bad))
    assert answer.status_code == 400, answer.text
    assert 0 < len(_error(answer)["details"]) <= 50
    answer = ann.post(server.url("/blobs/missing"), json={"blobs": [{"md5": 1}] * 9000})
    assert answer.status_code == 400
    assert len(_error(answer)["details"]) == 20


def _jobs(server: RunningServer, session: requests.Session) -> list[dict]:
    return session.get(server.url("/jobs"), timeout=30).json()["jobs"]


def test_a_big_job_is_written_in_batches_invisible_until_complete(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    worker = new_worker(server)
    scene = upload(server, ann, b"scene " + os.urandom(8))
    answers: list[requests.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            ann.post(server.url("/jobs"), json=job_spec(scene, frames="1-100000"), timeout=120)
        )
    )
    sender.start()
    seen: set[str] = set()
    claimed_meanwhile: list[int] = []
    while sender.is_alive():
        seen.update(j["state"] for j in _jobs(server, ann))
        if "submitting" in seen and not claimed_meanwhile:
            url = server.url("/workers/claim")
            claimed_meanwhile.append(worker.post(url, json={"wait": 0}, timeout=30).status_code)
        time.sleep(0.05)
    sender.join()
    assert answers[0].status_code == 201, answers[0].text
    assert "submitting" in seen  # the job was there, half written, while other requests ran
    assert claimed_meanwhile == [204]  # and no worker got a task of it
    job = answers[0].json()
    assert (job["state"], job["tasks_total"]) == ("queued", 100_000)
    assert claim(server, worker)["task"]["seq"] == 0
    events = ann.get(server.url(f"/jobs/{job['id']}/events")).json()["events"]
    assert (events[0]["from"], events[0]["to"]) == (None, "queued")


def test_a_job_left_half_written_is_removed_by_collection(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    job = submit(server, ann, frames="1-3")

    async def abandon(app) -> None:
        async with app[DB].write() as conn:
            await conn.execute(
                sa.update(db.jobs).where(db.jobs.c.id == job["id"])
                .values(state="submitting", updated_at=time.time() - 7200)
            )  # fmt: skip

    app = server._runner.app
    asyncio.run_coroutine_threadsafe(abandon(app), server._loop).result(30)
    assert ann.post(server.url(f"/jobs/{job['id']}/cancel")).status_code == 409
    result = asyncio.run_coroutine_threadsafe(collect_garbage(app), server._loop).result(30)
    assert result["abandoned_jobs"] == 1
    assert ann.get(server.url(f"/jobs/{job['id']}")).status_code == 404
