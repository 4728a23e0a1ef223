"""Several server processes on one database and one blob folder (issue 16).

The blob folder check, periodic duties run once across processes, and the event stream of
one process showing what happened through another, including an event whose transaction
commits after a later one.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import asyncpg
import pytest
import requests
from farm import new_user, new_worker, submit
from farmhand_server.api.work import collect_garbage, reap_once
from farmhand_server.store.shared_folder import MARKER, StorageMismatch
from server_harness import RunningServer, free_port, start_server, start_server_process


def _run(server: RunningServer, coroutine):
    return asyncio.run_coroutine_threadsafe(coroutine, server._loop).result(30)


def test_a_server_on_another_blob_folder_refuses_to_start(database_url: str, tmp_path: Path):
    first = start_server(tmp_path / "shared", database_url)
    try:
        marker = (tmp_path / "shared" / "blobs" / MARKER).read_text().strip()
        with pytest.raises(StorageMismatch) as refused:
            start_server(tmp_path / "local", database_url)
        message = str(refused.value)
        assert str(tmp_path / "local" / "blobs") in message
        assert f"has no {MARKER} marker" in message and marker in message
        # A folder marked for another farm is refused too, naming both ids.
        other = tmp_path / "other" / "blobs"
        other.mkdir(parents=True)
        (other / MARKER).write_text("f" * 32 + "\n")
        with pytest.raises(StorageMismatch, match=r"its marker holds f{32}"):
            start_server(tmp_path / "other", database_url)
        # The same folder is accepted, by a second process alongside the first.
        second = start_server(tmp_path / "shared", database_url)
        second.stop()
    finally:
        first.stop()


def test_the_refusal_is_a_clear_message_and_exit_code(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("storage_refusal")
    first, _ = start_server_process(tmp_path / "a", url, free_port())
    try:
        with pytest.raises(RuntimeError) as refused:
            start_server_process(tmp_path / "b", url, free_port())
        assert "farmhand server: refusing to start: the folder" in str(refused.value)
        assert "Traceback" not in str(refused.value)
    finally:
        first.stop()


def test_periodic_duties_run_in_one_process_per_interval(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("duties")
    # The background loops sleep through the test: the calls below are the only rounds.
    slow = {"gc_interval_seconds": 3600, "reap_interval": 3600}
    first = start_server(tmp_path / "data", url, **slow)
    second = start_server(tmp_path / "data", url, **slow)
    try:
        app_a, app_b = first._runner.app, second._runner.app
        assert "skipped" not in _run(first, collect_garbage(app_a, once=True))
        assert _run(second, collect_garbage(app_b, once=True))["skipped"]
        assert _run(first, collect_garbage(app_a, once=True))["skipped"]
        # Forced (an admin's or a test's call), it runs anyway.
        assert "skipped" not in _run(second, collect_garbage(app_b))
        # Lease expiry: two processes asking within the interval, one round runs.
        rounds = [_run(s, _claimed_reap(s)) for s in (first, second)]
        assert sorted(rounds) == [False, True]
    finally:
        first.stop()
        second.stop()


async def _claimed_reap(server: RunningServer) -> bool:
    """Whether this process's reap round ran (the duty's owner is then this process)."""
    import sqlalchemy as sa
    from farmhand_server import duties
    from farmhand_server.keys import DB
    from farmhand_server.store import schema as db

    app = server._runner.app
    before = time.time()
    await reap_once(app)
    async with app[DB].read() as conn:
        row = (await conn.execute(sa.select(db.duties).where(db.duties.c.name == "reap"))).one()
    # Both test servers are threads of this process (one owner name): the time tells.
    return row.owner == duties.owner() and row.last_run >= before


def _stream(server: RunningServer, token: str, since: int, seconds: float) -> list[dict]:
    """The events a client connected to `server` reads for `seconds`."""
    response = requests.get(
        server.url(f"/events?since={since}&max_seconds={seconds}"),
        headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=seconds + 30,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    found = []
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data: "):
            found.append(json.loads(line[6:]))
    return found


def test_the_event_stream_shows_changes_made_through_another_process(postgres, tmp_path):
    url = postgres.create_database("stream_across")
    first = start_server(tmp_path / "data", url)
    second = start_server(tmp_path / "data", url)
    try:
        ann = new_user(first, "ann")
        token = ann.headers["Authorization"].split()[1]
        got: list[dict] = []
        reader = threading.Thread(target=lambda: got.extend(_stream(second, token, 0, 3)))
        reader.start()
        time.sleep(0.5)
        created = submit(first, ann, frames="1-2")
        reader.join(30)
        states = [e["state"] for e in got if e.get("job_id") == created["id"]]
        assert "queued" in states, got
    finally:
        first.stop()
        second.stop()


def test_an_event_committed_after_a_later_one_is_not_skipped(postgres, tmp_path: Path) -> None:
    url = postgres.create_database("stream_gap")
    server = start_server(tmp_path / "data", url)
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(url))
    try:
        last = loop.run_until_complete(conn.fetchval("SELECT coalesce(max(id), 0) FROM events"))
        got: list[dict] = []
        reader = threading.Thread(
            target=lambda: got.extend(_stream(server, server.admin_token, last, 6))
        )
        # A slow transaction takes the next id and commits last.
        loop.run_until_complete(conn.execute("BEGIN"))
        slow = loop.run_until_complete(conn.fetchval(
            "INSERT INTO events (at, kind, data) VALUES ($1, 'probe', '{\"n\": \"slow\"}') "
            "RETURNING id", time.time(),
        ))  # fmt: skip
        reader.start()
        # Meanwhile another change commits with a later id.
        new_worker(server, "late")  # its registration is an event
        time.sleep(1.0)
        loop.run_until_complete(conn.execute("COMMIT"))
        reader.join(30)
        ids = [e["id"] for e in got]
        assert slow in ids, got
        assert ids == sorted(ids)
    finally:
        loop.run_until_complete(conn.close())
        loop.close()
        server.stop()


def test_webhooks_wait_for_an_event_that_commits_late(postgres, tmp_path: Path) -> None:
    from farmhand_server.notify import events, webhooks

    url = postgres.create_database("webhook_gap")
    server = start_server(tmp_path / "data", url)  # no URLs: no poller of its own
    app = server._runner.app
    server.config.webhook_urls = ["http://127.0.0.1:9/hook"]
    gaps = events.GapWatch(webhooks.GAP_SECONDS)
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(url))
    try:
        ann = new_user(server, "ann")
        created = submit(server, ann, frames="1")
        _run(server, webhooks.take(app, gaps))  # the cursor starts at the newest event
        loop.run_until_complete(conn.execute("BEGIN"))
        loop.run_until_complete(conn.execute(
            "INSERT INTO events (at, kind, job_id, data) VALUES ($1, 'job', $2, $3)",
            time.time(), created["id"],
            json.dumps({"job_id": created["id"], "from": "rendering", "state": "completed"}),
        ))  # fmt: skip
        submit(server, ann, frames="1")  # later ids, committed first
        assert _run(server, webhooks.take(app, gaps)) == []  # held at the gap
        loop.run_until_complete(conn.execute("COMMIT"))
        sent = _run(server, webhooks.take(app, gaps))
        assert [d.event for d in sent] == ["job.completed"]
    finally:
        loop.run_until_complete(conn.close())
        loop.close()
        server.stop()
