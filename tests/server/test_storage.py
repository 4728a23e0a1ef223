"""Storage limits (issue 11, finding 4): quotas, aborting uploads, collection, the reserve.

Uploads are the only thing a client can grow on the server's disk at will; they are held to a
maximum size, per-user quotas and a free-space reserve, and every disk failure answers a precise
4xx/5xx error envelope, while heartbeats, claims, completions, logs and submissions go on.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from disks import read_only, small_disk
from farm import blob_ref, claim, job_spec, new_user, new_worker, upload
from farmhand_server.config import Config
from server_harness import RunningServer, start_server

MiB = 1024 * 1024


@pytest.fixture
def make_server(database_url: str, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with configuration overrides (stopped after the test)."""
    started: list[RunningServer] = []

    def make(data_dir: Path | None = None, **overrides) -> RunningServer:
        running = start_server(data_dir or tmp_path / f"data{len(started)}", database_url,
                               **overrides)  # fmt: skip
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


def _error(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def _start(server: RunningServer, session: requests.Session, data: bytes) -> requests.Response:
    return session.post(server.url("/uploads"), json=blob_ref(data))


def _put(server, session, upload_id: str, data: bytes, offset: int = 0) -> requests.Response:
    return session.put(server.url(f"/uploads/{upload_id}"), data=data,
                       headers={"Upload-Offset": str(offset)})  # fmt: skip


def test_sizes_over_the_maximum_or_a_quota_are_refused_with_413(make_server) -> None:
    server = make_server(upload_max_bytes=1000, quota_uploading_bytes=1500, quota_stored_bytes=2500)
    ann = new_user(server, "ann")
    huge = {**blob_ref(b"x"), "size": 2**53}
    assert "at most" in _error(ann.post(server.url("/uploads"), json=huge), 413)["message"]
    _error(_start(server, ann, os.urandom(1001)), 413, "too_large")
    first = _start(server, ann, os.urandom(900))
    assert first.status_code == 201, first.text
    # 900 in flight: 700 more would pass the uploading quota of 1500.
    over = _error(_start(server, ann, os.urandom(700)), 413, "quota_exceeded")
    assert "DELETE /uploads" in over["message"]
    # Another user has a quota of their own.
    bob = new_user(server, "bob")
    assert _start(server, bob, os.urandom(700)).status_code == 201
    # Stored bytes count too: 900 + 900 + 500 stored, then 300 more would pass 2500.
    assert ann.delete(server.url(f"/uploads/{first.json()['id']}")).status_code == 204
    upload(server, ann, os.urandom(900))
    upload(server, ann, os.urandom(900))
    upload(server, ann, os.urandom(500))
    _error(_start(server, ann, os.urandom(300)), 413, "quota_exceeded")
    # The default maximum refuses 2**53 too.
    server.config.upload_max_bytes = Config().upload_max_bytes
    _error(server.session().post(server.url("/uploads"), json=huge), 413, "too_large")


def test_an_upload_can_be_deleted_by_whoever_started_it_or_an_admin(make_server) -> None:
    server = make_server(quota_uploading_bytes=1000)
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    data = os.urandom(800)
    upload_id = _start(server, ann, data).json()["id"]
    assert _put(server, ann, upload_id, data[:300]).status_code == 200
    part = server.config.upload_dir / f"{upload_id}.part"
    assert part.stat().st_size == 300
    _error(bob.delete(server.url(f"/uploads/{upload_id}")), 404)
    _error(_start(server, ann, os.urandom(800)), 413)  # the quota is taken
    assert ann.delete(server.url(f"/uploads/{upload_id}")).status_code == 204
    assert not part.exists()
    _error(ann.get(server.url(f"/uploads/{upload_id}")), 404)
    _error(ann.delete(server.url(f"/uploads/{upload_id}")), 404)
    # The quota is free again; an admin may abort anyone's upload.
    other = _start(server, ann, os.urandom(800)).json()["id"]
    assert server.session().delete(server.url(f"/uploads/{other}")).status_code == 204


def test_abandoned_uploads_are_collected_after_the_configured_hours(make_server) -> None:
    server = make_server(upload_abandon_hours=1 / 3600, gc_interval_seconds=0.2)  # 1 s
    ann = new_user(server, "ann")
    data = os.urandom(1000)
    upload_id = _start(server, ann, data).json()["id"]
    part = server.config.upload_dir / f"{upload_id}.part"
    # An upload that keeps receiving chunks is not abandoned.
    for i in range(4):
        assert _put(server, ann, upload_id, data[i * 100 : (i + 1) * 100], i * 100).ok
        time.sleep(0.4)
    assert ann.get(server.url(f"/uploads/{upload_id}")).status_code == 200
    deadline = time.monotonic() + 10
    while part.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not part.exists()
    _error(ann.get(server.url(f"/uploads/{upload_id}")), 404)


def _farm_at_work(server: RunningServer) -> tuple[requests.Session, requests.Session, dict]:
    """An artist with an uploaded scene, a worker holding an attempt of the artist's job."""
    ann = new_user(server, "ann")
    scene = upload(server, ann, b"scene " + os.urandom(32))
    created = ann.post(server.url("/jobs"), json=job_spec(scene, frames="1-4"))
    assert created.status_code == 201, created.text
    worker = new_worker(server)
    assignment = claim(server, worker)
    assert assignment is not None
    return ann, worker, {"scene": scene, "assignment": assignment}


def _work_goes_on(server: RunningServer, ann, worker, state: dict) -> None:
    """Heartbeats, logs, completions, claims and submissions all answer as usual."""
    attempt = state["assignment"]["attempt_id"]
    beat = worker.post(server.url(f"/attempts/{attempt}/heartbeat"), json={"progress": 0.5})
    assert beat.status_code == 200, beat.text
    log = worker.post(server.url(f"/attempts/{attempt}/log"), data=b"rendering\n" * 100,
                      headers={"Content-Type": "text/plain"})  # fmt: skip
    assert log.status_code == 200, log.text
    done = worker.post(server.url(f"/attempts/{attempt}/complete"), json={"next": True})
    assert done.status_code == 200 and done.json()["next"] is not None, done.text
    again = ann.post(server.url("/jobs"), json=job_spec(state["scene"], frames="5"))
    assert again.status_code == 201, again.text


def test_below_the_reserve_uploads_are_507_and_the_farm_works_on(make_server) -> None:
    server = make_server()
    ann, worker, state = _farm_at_work(server)
    server.config.disk_reserve_bytes = shutil.disk_usage(server.config.upload_dir).total + 1
    error = _error(_start(server, ann, os.urandom(100)), 507, "insufficient_storage")
    assert "reserve" in error["message"] and error["details"]["reserve"] > 0
    _work_goes_on(server, ann, worker, state)


def test_a_full_upload_disk_refuses_uploads_but_not_the_rest(make_server, tmp_path) -> None:
    data_dir = tmp_path / "small"
    with small_disk(data_dir, 32):
        server = make_server(data_dir, disk_reserve_bytes=12 * MiB, upload_chunk_max=4 * MiB)
        ann, worker, state = _farm_at_work(server)
        _error(_start(server, ann, os.urandom(24 * MiB)), 507, "insufficient_storage")  # no fit
        # Two uploads that fit one at a time: the second reaches the reserve on its way.
        first, second = os.urandom(12 * MiB), os.urandom(12 * MiB)
        ids = [_start(server, ann, data).json()["id"] for data in (first, second)]
        refused = None
        for upload_id, data in zip(ids, (first, second), strict=True):
            offset = 0
            while offset < len(data) and refused is None:
                sent = _put(server, ann, upload_id, data[offset : offset + 4 * MiB], offset)
                if sent.status_code != 200:
                    refused = sent
                else:
                    offset = sent.json()["offset"]
        assert refused is not None, "the reserve was never reached"
        _error(refused, 507, "insufficient_storage")
        upload_id = ids[1]
        _work_goes_on(server, ann, worker, state)
        # Aborting the upload gives the space back.
        assert ann.delete(server.url(f"/uploads/{upload_id}")).status_code == 204
        assert upload(server, ann, os.urandom(2 * MiB))["size"] == 2 * MiB


def test_a_read_only_uploads_folder_is_507(make_server) -> None:
    server = make_server(disk_reserve_bytes=0)  # the read-only tmpfs is small
    ann = new_user(server, "ann")
    data = os.urandom(100)
    started = _start(server, ann, data).json()["id"]
    with read_only(server.config.upload_dir):
        error = _error(_start(server, ann, os.urandom(100)), 507, "storage_read_only")
        assert str(server.config.upload_dir) in error["message"]
        _error(_put(server, ann, started, data), 507, "storage_read_only")
    assert _put(server, ann, started, data).status_code == 200


def test_a_missing_uploads_folder_is_503(make_server) -> None:
    server = make_server()
    ann = new_user(server, "ann")
    data = os.urandom(100)
    started = _start(server, ann, data).json()["id"]
    folder = server.config.upload_dir
    folder.rename(folder.with_name("moved"))
    error = _error(_start(server, ann, os.urandom(100)), 503, "storage_missing")
    assert "mounted" in error["message"]
    _error(_put(server, ann, started, data), 503, "storage_missing")
    folder.with_name("moved").rename(folder)
    assert _put(server, ann, started, data).status_code == 200
