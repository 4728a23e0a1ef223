"""Core-hours and cost, and collection of blobs no job needs."""

from __future__ import annotations

import asyncio
import os
import time

from farm import claim, complete, new_user, new_worker, submit, upload
from farmhand_server.api.work import collect_garbage
from farmhand_server.store.shared_folder import MARKER
from server_harness import RunningServer


def test_core_hours_and_cost(server: RunningServer) -> None:
    admin = server.session()
    admin.put(server.url("/hardware-configs/418"), json={"name": "fast", "price_per_hour": 3600})
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    created = submit(server, ann, frames="1")
    worker = new_worker(server, cpu_cores=16, hardware_config_id="418")
    assignment = claim(server, worker)
    time.sleep(0.5)
    complete(server, worker, assignment)
    usage = ann.get(server.url(f"/jobs/{created['id']}")).json()["usage"]
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    attempt = tasks[0]["attempts"][0]
    seconds = attempt["ended_at"] - attempt["started_at"]
    assert seconds >= 0.5
    assert abs(usage["core_hours"] - seconds * 16 / 3600) < 1e-4
    assert abs(usage["cost"] - seconds) < 0.01  # 3600 per hour = 1 per second
    mine = ann.get(server.url("/usage")).json()["usage"]
    assert [(u["name"], u["attempts"]) for u in mine] == [("ann", 1)]
    assert bob.get(server.url("/usage")).json()["usage"] == []
    everyone = admin.get(server.url("/usage")).json()["usage"]
    assert [u["name"] for u in everyone] == ["ann"]


def _collect(server: RunningServer) -> dict:
    app = server._runner.app
    return asyncio.run_coroutine_threadsafe(collect_garbage(app), server._loop).result(30)


def test_unreferenced_blobs_are_collected_after_retention(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    lonely = upload(server, ann, os.urandom(64))
    created = submit(server, ann, frames="1")
    scene = ann.get(server.url(f"/jobs/{created['id']}")).json()["spec"]["scene"]["blob"]
    server.config.blob_retention_days = 30
    assert _collect(server) == {"blobs": 0, "uploads": 0, "abandoned_jobs": 0}  # none old enough
    server.config.blob_retention_days = 0
    time.sleep(0.05)
    assert _collect(server)["blobs"] == 1  # the blob no job lists
    lonely_key = f"{lonely['md5']}-{lonely['size']}"
    scene_key = f"{scene['md5']}-{scene['size']}"
    assert ann.get(server.url(f"/blobs/{lonely_key}")).status_code == 404
    assert ann.get(server.url(f"/blobs/{scene_key}")).status_code == 200
    # Once its job is gone, the scene goes too.
    ann.post(server.url(f"/jobs/{created['id']}/cancel"))
    assert ann.delete(server.url(f"/jobs/{created['id']}")).status_code == 204
    assert _collect(server)["blobs"] == 1
    assert ann.get(server.url(f"/blobs/{scene_key}")).status_code == 404
    blob_files = [p for p in server.config.blob_dir.rglob("*") if p.is_file()]
    assert [p.name for p in blob_files] == [MARKER]  # the shared-storage marker stays
