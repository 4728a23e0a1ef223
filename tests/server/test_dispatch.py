"""The dispatcher: reservations given back, reclaimed from a dead process, one task one worker."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from farm import claim, complete, job_spec, new_user, new_worker, submit, upload
from farmhand_server.keys import DB, DISPATCHER
from farmhand_server.store import schema as db
from server_harness import RunningServer, free_port, start_server, start_server_process


def _run(server: RunningServer, coro_fn) -> Any:
    """Run a coroutine function taking the app on the server's own event loop."""
    return asyncio.run_coroutine_threadsafe(coro_fn(server._runner.app), server._loop).result(30)


def reservations(server: RunningServer, job_id: int) -> dict[int, tuple[str | None, float | None]]:
    """seq → (reserved_by, reserved_until) of the job's queued tasks, read from the database."""
    t = db.tasks

    async def read(app):
        async with app[DB].read() as conn:
            rows = await conn.execute(
                sa.select(t.c.seq, t.c.reserved_by, t.c.reserved_until).where(
                    t.c.job_id == job_id, t.c.state == "queued"
                )
            )
            return {r.seq: (r.reserved_by, r.reserved_until) for r in rows}

    return _run(server, read)


def owner(server: RunningServer) -> str:
    async def read(app):
        return app[DISPATCHER].owner

    return _run(server, read)


def test_many_waiting_workers_one_task_one_assignment(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    workers = [new_worker(server, f"w{i}") for i in range(12)]
    answers: list[int] = []
    lock = threading.Lock()

    def poll(worker: requests.Session) -> None:
        got = worker.post(server.url("/workers/claim"), json={"wait": 3}, timeout=30)
        with lock:
            answers.append(got.status_code)

    threads = [threading.Thread(target=poll, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    time.sleep(0.5)  # let them park (the outcome must be the same if some have not)
    created = submit(server, ann, frames="1")
    for t in threads:
        t.join(30)
    assert sorted(answers) == [200] + [204] * 11
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    assert len(tasks[0]["attempts"]) == 1


def test_reservations_are_given_back_on_pause_and_cancel(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-10")
    worker = new_worker(server)
    first = claim(server, worker)
    assert first["task"]["frames"] == [1]
    # Handing out the first task reserved the others for this process.
    held = reservations(server, created["id"])
    assert set(held) == set(range(1, 10))
    assert {by for by, _ in held.values()} == {owner(server)}
    paused = ann.post(server.url(f"/jobs/{created['id']}/pause"), json={})
    assert paused.status_code == 200
    assert all(by is None for by, _ in reservations(server, created["id"]).values())
    assert claim(server, worker) is None
    ann.post(server.url(f"/jobs/{created['id']}/resume"))
    assert claim(server, worker)["task"]["frames"] == [2]  # order kept: reserved again from 2
    assert {by for by, _ in reservations(server, created["id"]).values()} == {owner(server)}
    # Priority changes keep what is held, but the order between jobs follows at once.
    urgent = submit(server, ann, frames="1-3", priority=10)
    assert claim(server, worker)["job"]["id"] == created["id"]
    ann.patch(server.url(f"/jobs/{urgent['id']}"), json={"priority": 90})
    assert claim(server, worker)["job"]["id"] == urgent["id"]
    cancelled = ann.post(server.url(f"/jobs/{created['id']}/cancel"))
    assert cancelled.status_code == 200
    tasks = ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    assert {t["state"] for t in tasks if not t["attempts"]} == {"cancelled"}
    assert reservations(server, created["id"]) == {}


def test_reservations_of_a_dead_process_are_reclaimed(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # Long enough for the second server to start while they still hold, short for the test.
    env = {"FARMHAND_RESERVATION_SECONDS": "6"}
    dead, token = start_server_process(data, database_url, free_port(), env)
    try:
        admin = requests.Session()
        admin.headers["Authorization"] = f"Bearer {token}"
        scene = upload(dead, admin, b"scene")
        job_id = admin.post(dead.url("/jobs"), json=job_spec(scene, frames="1-6")).json()["id"]
        enrol = admin.post(dead.url("/workers/enrolment-tokens"), json={}).json()["token"]
        registered = requests.post(
            dead.url("/workers/register"),
            json={"name": "n", "software": {"blender": {"3.4": {}}}},
            headers={"Authorization": f"Bearer {enrol}"},
        ).json()
        worker = requests.Session()
        worker.headers["Authorization"] = f"Bearer {registered['token']}"
        first = worker.post(dead.url("/workers/claim"), json={"wait": 0}).json()
        assert first["task"]["frames"] == [1]
    finally:
        dead.kill()  # SIGKILL: it gives nothing back
    alive = start_server(data, database_url)  # the same (shared) blob folder
    try:
        held = reservations(alive, job_id)
        dead_owner = {by for by, _ in held.values()}
        assert len(dead_owner) == 1 and None not in dead_owner and owner(alive) not in dead_owner
        # At once: with nothing unreserved, the live process takes over the dead one's tasks.
        second = claim(alive, worker)
        assert second["task"]["frames"] == [2]
        assert {by for by, _ in reservations(alive, job_id).values()} == dead_owner
        # Once the reservations lapse, they are reserved again, by the live process.
        lapse = max(until for _, until in reservations(alive, job_id).values())
        while time.time() <= lapse:
            time.sleep(0.05)
        assert complete(alive, worker, second) == 200
        third = claim(alive, worker)
        assert third["task"]["frames"] == [3]
        assert {by for by, _ in reservations(alive, job_id).values()} == {owner(alive)}
        rest = [third]
        while (got := claim(alive, worker)) is not None:
            rest.append(got)
        assert [a["task"]["frames"] for a in rest] == [[3], [4], [5], [6]]
    finally:
        alive.stop()


def test_an_older_database_gains_the_reservation_columns(tmp_path: Path) -> None:
    async def run() -> set[str]:
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        await db.migrate(engine)
        async with engine.begin() as conn:  # make it look like a database from before v4
            for column in ("reserved_by", "reserved_until"):
                await conn.execute(sa.text(f"ALTER TABLE tasks DROP COLUMN {column}"))
            await conn.execute(sa.text("DELETE FROM schema_version WHERE version = 4"))
        assert await db.migrate(engine) == len(db.MIGRATIONS)
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("tasks")}
            )
        await engine.dispose()
        return columns

    assert {"reserved_by", "reserved_until"} <= asyncio.run(run())


def test_a_refused_completion_leaves_the_others_of_its_round(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-8")
    workers = [new_worker(server, f"w{i}") for i in range(8)]
    held = [claim(server, w) for w in workers]
    missing = {"name": "a.exr", "kind": "image", "md5": "0" * 32, "xxh64": "0" * 16, "size": 1}
    unsafe = {**missing, "name": "../a.exr"}
    bodies = [{}, {"outputs": [missing]}, {"next": True}, {"outputs": [unsafe]}] * 2
    statuses: dict[int, int] = {}
    start = threading.Barrier(len(workers))

    def report(i: int) -> None:
        start.wait()
        url = server.url(f"/attempts/{held[i]['attempt_id']}/complete")
        statuses[i] = workers[i].post(url, json=bodies[i], timeout=30).status_code

    threads = [threading.Thread(target=report, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [statuses[i] for i in range(8)] == [200, 424, 200, 400] * 2
    tasks = {
        t["id"]: t for t in ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    }
    states = [tasks[a["task"]["id"]]["attempts"][0]["state"] for a in held]
    assert states == ["done", "running", "done", "running"] * 2
    # The refused ones still hold their attempts and may report again.
    for i in (1, 3, 5, 7):
        assert complete(server, workers[i], held[i]) == 200


def test_a_bad_output_name_fails_only_its_own_completion(server: RunningServer) -> None:
    """Names that once broke the whole group-commit round (IndexError, encoding errors)."""
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-8")
    workers = [new_worker(server, f"w{i}") for i in range(8)]
    held = [claim(server, w) for w in workers]
    file = {"kind": "image", "md5": "0" * 32, "xxh64": "0" * 16, "size": 1}
    bad = [".", "a/./b.exr", "\ud800.exr", "./a.exr"]
    bodies: list[dict] = []
    for name in bad:
        bodies += [{}, {"outputs": [{**file, "name": name}]}]
    statuses: dict[int, requests.Response] = {}
    start = threading.Barrier(len(workers))

    def report(i: int) -> None:
        start.wait()
        url = server.url(f"/attempts/{held[i]['attempt_id']}/complete")
        statuses[i] = workers[i].post(url, json=bodies[i], timeout=30)

    threads = [threading.Thread(target=report, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [statuses[i].status_code for i in range(8)] == [200, 400] * 4, [
        statuses[i].text for i in range(8)
    ]
    assert "output name" in statuses[1].json()["error"]["message"]
    tasks = {
        t["id"]: t for t in ann.get(server.url(f"/jobs/{created['id']}/tasks")).json()["tasks"]
    }
    states = [tasks[a["task"]["id"]]["attempts"][0]["state"] for a in held]
    assert states == ["done", "running"] * 4


def test_a_stopping_server_gives_back_its_reservations(database_url: str, tmp_path: Path) -> None:
    first = start_server(tmp_path / "first", database_url)
    try:
        ann = new_user(first, "ann")
        created = submit(first, ann, frames="1-5")
        assert claim(first, new_worker(first))["task"]["frames"] == [1]
        assert {by for by, _ in reservations(first, created["id"]).values()} == {owner(first)}
    finally:
        first.stop()
    second = start_server(tmp_path / "first", database_url)
    try:
        assert reservations(second, created["id"]) == dict.fromkeys(range(1, 5), (None, None))
    finally:
        second.stop()


def test_heartbeats_of_one_round_share_a_transaction_and_each_gets_its_own_answer(
    server: RunningServer,
) -> None:
    ann = new_user(server, "ann")
    submit(server, ann, frames="1-4")
    workers = [new_worker(server, f"w{i}") for i in range(3)]
    held = [claim(server, w) for w in workers]
    assert complete(server, workers[2], held[2]) == 200  # its lease is no longer anyone's
    a, b, c = (h["attempt_id"] for h in held)

    async def beat(app):
        async with app[DB].read() as conn:
            owner_of = dict(
                (await conn.execute(sa.select(db.attempts.c.id, db.attempts.c.worker_id))).all()
            )
        dispatcher, rounds = app[DISPATCHER], []
        renew = dispatcher._renew

        async def counted(conn, beats, outcome):
            rounds.append(len(beats))
            await renew(conn, beats, outcome)

        dispatcher._renew = counted
        try:
            beats = [(owner_of[a], a, 0.5), (owner_of[b], a, None), (owner_of[c], c, None),
                     (owner_of[b], b, None)]  # fmt: skip
            answers = await asyncio.gather(
                *(dispatcher.heartbeat(*args) for args in beats), return_exceptions=True
            )
        finally:
            dispatcher._renew = renew
        async with app[DB].read() as conn:
            rows = await conn.execute(
                sa.select(db.attempts.c.id, db.attempts.c.lease_expires, db.attempts.c.progress)
            )
            leases = {r.id: (r.lease_expires, r.progress) for r in rows}
        return answers, rounds, leases

    answers, rounds, leases = _run(server, beat)
    assert rounds == [4]  # one round, one transaction, for the four of them
    assert [type(x).__name__ for x in answers] == ["float", "StaleAttempt", "StaleAttempt", "float"]
    assert leases[a] == (answers[0], 0.5) and leases[b][0] == answers[3]
    assert leases[c][0] is None
    # Over HTTP, the stale one is a 409 the worker stops on.
    stale = workers[2].post(server.url(f"/attempts/{c}/heartbeat"), json={}, timeout=30)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_attempt"
