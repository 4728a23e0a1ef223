"""Why a job or a task waits (`waiting.py`): every reason, in the job JSON and per task."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from farm import claim, complete, job, new_user, new_worker, submit
from farmhand_server.config import Config
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.jobs import waiting
from farmhand_server.store import schema as db
from server_harness import RunningServer


def _tasks(server: RunningServer, session, job_id: int, **params) -> list[dict]:
    response = session.get(server.url(f"/jobs/{job_id}/tasks"), params=params)
    assert response.status_code == 200, response.text
    return response.json()["tasks"]


def _reasons(server: RunningServer, session, job_id: int, **params) -> list[str | None]:
    return [t["waiting_reason"] for t in _tasks(server, session, job_id, **params)]


def test_awaiting_approval_and_paused_say_so_for_the_job_and_each_task(
    server: RunningServer,
) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3", test_frames={"first": True},
                     stop_after_test=True)  # fmt: skip
    worker = new_worker(server, "node1")
    test = claim(server, worker)
    assert complete(server, worker, test) == 200
    body = job(server, ann, created["id"])
    assert body["state"] == "awaiting_approval"
    assert body["waiting_reason"] == (
        "awaiting approval of its test frames: approve it to render the rest"
    )
    assert _reasons(server, ann, created["id"]) == [
        None, "its job awaits approval of its test frames",
        "its job awaits approval of its test frames"]  # fmt: skip
    assert ann.post(server.url(f"/jobs/{created['id']}/approve")).status_code == 200
    assert ann.post(server.url(f"/jobs/{created['id']}/pause"), json={}).status_code == 200
    assert job(server, ann, created["id"])["waiting_reason"] == (
        "paused: resume it to render the rest"
    )
    assert _reasons(server, ann, created["id"])[1:] == ["its job is paused"] * 2
    listed = ann.get(server.url("/jobs")).json()["jobs"][0]
    assert listed["waiting_reason"] == "paused: resume it to render the rest"


def test_no_node_and_the_wrong_software_name_what_the_nodes_have(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-2", software={"cg_name": "maya",
                                                          "cg_version": "2025"})  # fmt: skip
    assert job(server, ann, created["id"])["waiting_reason"] == "no worker is online"
    assert _reasons(server, ann, created["id"]) == ["no worker is online"] * 2
    new_worker(server, "old", software={"Maya": {"2022": {}}})
    want = "no online worker has Maya ≥ 2025 (online: Maya 2022 on 1 worker)"
    assert job(server, ann, created["id"])["waiting_reason"] == want
    assert _reasons(server, ann, created["id"]) == [want] * 2
    new_worker(server, "blender", ram_gb=16)
    big = submit(server, ann, frames="1", hardware={"ram_gb": 64})
    assert job(server, ann, big["id"])["waiting_reason"] == (
        "no online worker has 64 GB of RAM (online: 16 GB on 1 worker, 32 GB on 1 worker)"
    )


def test_all_able_nodes_busy_counts_the_tasks_ahead(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    first = submit(server, ann, frames="1-3", priority=60)
    worker = new_worker(server, "node1")
    running = claim(server, worker)
    assert running["job"]["id"] == first["id"]
    assert job(server, ann, first["id"])["waiting_reason"] is None  # it renders
    # Its own queued tasks wait behind the one running, in order.
    assert _reasons(server, ann, first["id"]) == [
        None,
        "the only online node able to run it is busy, 0 tasks ahead of it",
        "the only online node able to run it is busy, 1 task ahead of it",
    ]
    # A later page counts the queued tasks of the pages before it.
    assert _reasons(server, ann, first["id"], after=1) == [
        "the only online node able to run it is busy, 1 task ahead of it"
    ]
    second = submit(server, ann, frames="1-2", priority=50)
    want = "the only online node able to run it is busy, 2 tasks ahead of it"
    assert job(server, ann, second["id"])["waiting_reason"] == want
    assert _reasons(server, ann, second["id"]) == [
        want, "the only online node able to run it is busy, 3 tasks ahead of it"]  # fmt: skip
    # A job that node cannot run is not ahead of anyone.
    submit(server, ann, frames="1-5", priority=90, hardware={"ram_gb": 64})
    assert job(server, ann, second["id"])["waiting_reason"] == want
    # A second node free: nothing holds the second job.
    new_worker(server, "node2")
    assert job(server, ann, second["id"])["waiting_reason"] is None
    assert _reasons(server, ann, second["id"]) == [None, None]


def test_a_task_waiting_on_test_frames_or_tiles_names_its_dependency(
    server: RunningServer,
) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3", test_frames={"first": True})
    worker = new_worker(server, "node1")
    new_worker(server, "node2")
    assert claim(server, worker)["task"]["is_test"]
    assert _reasons(server, ann, created["id"]) == [
        None, "waits for the job's test frames (1 task left)",
        "waits for the job's test frames (1 task left)"]  # fmt: skip
    tiled = submit(server, ann, frames="7", tiles=2, tiles_type="strip", width=64, height=32)
    tasks = _tasks(server, ann, tiled["id"])
    assemble = next(t for t in tasks if t["kind"] == "assemble")
    assert assemble["waiting_reason"] == (
        "waits for every tile of frame 7 to render before assembling them"
    )


def test_a_node_that_failed_the_task_is_not_counted_as_free_for_it(
    server: RunningServer,
) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-3")
    one, two = new_worker(server, "node1"), new_worker(server, "node2")
    first, second = claim(server, one), claim(server, two)
    url = server.url(f"/attempts/{first['attempt_id']}/fail")
    assert one.post(url, json={"exit_code": 1, "message": "boom"}).status_code == 200
    # node1 is free but failed frame 1; node2, which may take it, renders frame 2.
    assert _reasons(server, ann, created["id"]) == [
        "the only online node able to run it is busy, 0 tasks ahead of it",
        None,
        None,
    ]
    assert second is not None


def test_a_job_for_software_no_node_has_names_what_they_have(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1", software={"cg_name": "maya", "cg_version": "2025"})
    new_worker(server, "b1")
    new_worker(server, "b2")
    new_worker(server, "h", software={"houdini": {"20.5": {}}})
    assert job(server, ann, created["id"])["waiting_reason"] == (
        "no online worker has Maya ≥ 2025 (online: Blender 3.4 on 2 workers, "
        "houdini 20.5 on 1 worker)"
    )


def test_the_snapshot_reads_the_same_however_many_jobs_wait(
    server: RunningServer, database_url: str, tmp_path: Path
) -> None:
    """The reasons' snapshot (`waiting.farm`) behind every job page and job read: with 21
    jobs waiting it runs the same statements, each with as many parameters, as with one (no
    list of every unfinished job's id), and reads a job's needs only the first time."""
    ann = new_user(server, "ann")
    new_worker(server, "node1")
    first = submit(server, ann, frames="1-2", hardware={"ram_gb": 16})

    async def snapshot_twice() -> tuple[waiting.Farm, list[tuple[str, int]], dict]:
        engine = db.create_engine(Config(data_dir=tmp_path, database_url=database_url).db_url)
        seen: list[tuple[str, int]] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if "FROM workers" not in statement:  # the online workers are cached for 1 s
                seen.append((" ".join(statement.split()), len(parameters or ())))

        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            async with engine.connect() as conn:
                await waiting.farm(conn, 60)
                seen.clear()
                snapshot = await waiting.farm(conn, 60)
                statements = list(seen)
                fresh = await scheduler.job_needs(conn, list(snapshot.jobs))
            return snapshot, statements, fresh
        finally:
            await engine.dispose()

    one, statements_one, _ = asyncio.run(snapshot_twice())
    assert list(one.jobs) == [first["id"]]
    for i in range(20):
        submit(server, ann, frames="1", name=f"more{i}")
    many, statements_many, fresh = asyncio.run(snapshot_twice())
    assert len(many.jobs) == 21
    assert many.needs == fresh  # the kept needs are the database's
    assert statements_many == statements_one, "the statements grew with the jobs waiting"
    assert not [s for s, _ in statements_many if "job_requirements" in s], "needs read again"
