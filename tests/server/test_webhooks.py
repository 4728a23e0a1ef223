"""Webhooks on job events, against a real local aiohttp receiver (`webhooks.py`)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from farm import claim, complete, fail, new_user, new_worker, submit
from server_harness import RunningServer, start_server, wait_until


class Receiver:
    """An aiohttp server in its own thread that records each POST and answers as told."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.statuses: list[int] = []  # answered in turn; 200 once they run out
        self.delay = 0.0
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(started,), daemon=True)
        self._thread.start()
        assert started.wait(10)

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.posts.append({"at": time.monotonic(), "body": body, "headers": dict(request.headers),
                           "path": request.path})  # fmt: skip
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def _main(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/{name}", self._hook)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        started.set()
        self._loop.run_forever()

    def url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def bodies(self, path: str = "/hook") -> list[dict]:
        return [json.loads(p["body"]) for p in self.posts if p["path"] == path]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def _server(database_url: str, tmp_path: Path, receiver: Receiver, **overrides) -> RunningServer:
    settings = {"webhook_urls": [receiver.url()], "webhook_poll_seconds": 0.1,
                "webhook_backoff_seconds": 0.05, "webhook_timeout_seconds": 2.0,
                "webhook_secret": "s3cret", **overrides}  # fmt: skip
    return start_server(tmp_path / "data", database_url, **settings)


@pytest.fixture
def hooked(database_url: str, tmp_path: Path, receiver: Receiver) -> Iterator[RunningServer]:
    running = _server(database_url, tmp_path, receiver)
    yield running
    running.stop()


def test_finished_failed_and_awaiting_approval_are_posted_signed(
    hooked: RunningServer, receiver: Receiver
) -> None:
    ann = new_user(hooked, "ann")
    worker = new_worker(hooked, "node1")
    done = submit(hooked, ann, frames="1", name="shot010")
    assert complete(hooked, worker, claim(hooked, worker)) == 200
    waiting = submit(hooked, ann, frames="1-2", name="shot020", test_frames={"first": True},
                     stop_after_test=True)  # fmt: skip
    assert complete(hooked, worker, claim(hooked, worker)) == 200
    hooked.config.max_retries = 0
    broken = submit(hooked, ann, frames="1", name="shot030")
    assert fail(hooked, worker, claim(hooked, worker), "segfault") == 200
    bodies = wait_until(lambda: len(receiver.bodies()) >= 3 and receiver.bodies())
    time.sleep(0.5)  # nothing else comes: queued and rendering are not posted
    assert len(receiver.bodies()) == 3
    by_job = {b["job"]["id"]: b for b in bodies}
    assert by_job[done["id"]]["event"] == "job.completed"
    assert by_job[done["id"]]["job"]["name"] == "shot010"
    assert by_job[done["id"]]["job"]["user"] == "ann"
    assert by_job[done["id"]]["job"]["url"].endswith(f"/api/v1/jobs/{done['id']}")
    assert by_job[waiting["id"]]["event"] == "job.awaiting_approval"
    failed = by_job[broken["id"]]
    assert failed["event"] == "job.failed" and "segfault" in failed["job"]["reason"]
    assert failed["text"].startswith(f"Job {broken['id']} shot030 failed: ")
    for post in receiver.posts:
        want = "sha256=" + hmac.new(b"s3cret", post["body"], hashlib.sha256).hexdigest()
        assert post["headers"]["X-Farmhand-Signature"] == want
        assert post["headers"]["Content-Type"] == "application/json"


def test_a_failing_receiver_is_tried_again_with_backoff(
    hooked: RunningServer, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    ann = new_user(hooked, "ann")
    worker = new_worker(hooked, "node1")
    submit(hooked, ann, frames="1")
    assert complete(hooked, worker, claim(hooked, worker)) == 200
    wait_until(lambda: len(receiver.posts) == 3)
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.posts, receiver.posts[1:], strict=False)]
    assert gaps[1] > gaps[0] >= 0.04  # 0.05 s, then 0.1 s
    time.sleep(0.4)
    assert len(receiver.posts) == 3  # delivered on the third try: no more


def test_tries_are_bounded_and_a_refusal_is_not_retried(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    server = _server(database_url, tmp_path, receiver, webhook_tries=3)
    try:
        receiver.statuses = [500] * 10
        ann = new_user(server, "ann")
        worker = new_worker(server, "node1")
        submit(server, ann, frames="1")
        assert complete(server, worker, claim(server, worker)) == 200
        wait_until(lambda: len(receiver.posts) == 3)
        time.sleep(0.6)
        assert len(receiver.posts) == 3
        receiver.statuses = [404]
        submit(server, ann, frames="1")
        assert complete(server, worker, claim(server, worker)) == 200
        wait_until(lambda: len(receiver.posts) == 4)
        time.sleep(0.5)
        assert len(receiver.posts) == 4
    finally:
        server.stop()


def test_a_hanging_receiver_never_holds_up_the_farm(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.delay = 3.0
    server = _server(database_url, tmp_path, receiver, webhook_timeout_seconds=5.0)
    try:
        ann = new_user(server, "ann")
        worker = new_worker(server, "node1")
        for _ in range(6):  # more finished jobs than senders, each POST hanging
            submit(server, ann, frames="1")
            started = time.monotonic()
            assert complete(server, worker, claim(server, worker)) == 200
            assert time.monotonic() - started < 1.0
        wait_until(lambda: len(receiver.posts) >= 4)
        started = time.monotonic()
        listed = ann.get(server.url("/jobs")).json()["jobs"]
        assert time.monotonic() - started < 1.0
        assert [j["state"] for j in listed] == ["completed"] * 6
    finally:
        server.stop()


def test_two_server_processes_send_each_event_once(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    one = _server(database_url, tmp_path / "a", receiver)
    two = _server(database_url, tmp_path / "a", receiver)  # one shared blob folder
    try:
        ann = new_user(one, "ann")
        worker = new_worker(one, "node1")
        for _ in range(5):
            submit(one, ann, frames="1")
            assert complete(one, worker, claim(one, worker)) == 200
        wait_until(lambda: len(receiver.posts) >= 5)
        time.sleep(0.6)
        ids = sorted(b["job"]["id"] for b in receiver.bodies())
        assert len(ids) == 5 and len(set(ids)) == 5
    finally:
        two.stop()
        one.stop()


def test_webhook_settings_come_from_the_file_or_the_environment(tmp_path: Path) -> None:
    from farmhand_server import config

    toml = tmp_path / "server.toml"
    toml.write_text('webhook_urls = ["https://chat.example/hook"]\nwebhook_tries = 2\n')
    loaded = config.load(toml, env={})
    assert loaded.webhook_urls == ["https://chat.example/hook"] and loaded.webhook_tries == 2
    assert loaded.webhook_events == ["completed", "failed", "awaiting_approval"]
    env = {"FARMHAND_WEBHOOK_URLS": "https://a.example/x, https://b.example/y",
           "FARMHAND_WEBHOOK_EVENTS": "failed"}  # fmt: skip
    from_env = config.load(None, env=env)
    assert from_env.webhook_urls == ["https://a.example/x", "https://b.example/y"]
    assert from_env.webhook_events == ["failed"]
