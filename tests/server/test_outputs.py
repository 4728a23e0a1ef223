"""Task outputs: a worker uploads files for its attempt, registers them, the owner lists them."""

from __future__ import annotations

import os

from farm import blob_ref, claim, new_user, new_worker, submit


def worker_upload(server, worker, attempt_id: int, data: bytes) -> dict:
    """Upload bytes as a worker for one attempt; the blob ref."""
    ref = blob_ref(data)
    started = worker.post(server.url("/uploads"), json={**ref, "attempt_id": attempt_id})
    assert started.status_code in (200, 201), started.text
    upload = started.json()
    if not upload["complete"]:
        put = worker.put(server.url(f"/uploads/{upload['id']}"), data=data,
                         headers={"Upload-Offset": "0"})  # fmt: skip
        assert put.status_code == 200, put.text
        done = worker.post(server.url(f"/uploads/{upload['id']}/complete"))
        assert done.status_code == 200, done.text
    return ref


def complete_with(server, worker, assignment, outputs: list[dict]):
    url = server.url(f"/attempts/{assignment['attempt_id']}/complete")
    return worker.post(url, json={"outputs": outputs})


def test_outputs_are_registered_listed_and_downloadable_by_the_owner(server):
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    job = submit(server, ann, frames="1-2", frames_per_task=2)
    worker = new_worker(server)
    assignment = claim(server, worker)
    image1, image2, preview = os.urandom(100), os.urandom(120), os.urandom(10)
    files = [
        {"name": "beauty/shot.0001.exr", "kind": "image", "frame": 1,
         **worker_upload(server, worker, assignment["attempt_id"], image1)},
        {"name": "beauty/shot.0002.exr", "kind": "image", "frame": 2,
         **worker_upload(server, worker, assignment["attempt_id"], image2)},
        {"name": ".previews/shot.0001.jpg", "kind": "preview", "frame": 1,
         "preview_of": "beauty/shot.0001.exr",
         **worker_upload(server, worker, assignment["attempt_id"], preview)},
    ]  # fmt: skip
    assert complete_with(server, worker, assignment, files).status_code == 200
    listed = ann.get(server.url(f"/jobs/{job['id']}/outputs")).json()["outputs"]
    assert [(o["name"], o["frame"], o["kind"]) for o in listed] == [
        ("beauty/shot.0001.exr", 1, "image"),
        ("beauty/shot.0002.exr", 2, "image"),
    ]
    assert listed[0]["preview"]["md5"] == blob_ref(preview)["md5"]
    assert listed[1]["preview"] is None
    assert ann.get(server.url(f"/blobs/{listed[0]['blob']['key']}")).content == image1
    # Another user sees neither the listing nor the bytes.
    assert bob.get(server.url(f"/jobs/{job['id']}/outputs")).status_code == 404
    assert bob.get(server.url(f"/blobs/{listed[0]['blob']['key']}")).status_code == 404


def test_outputs_must_be_uploaded_first_and_named_safely(server):
    ann = new_user(server, "ann")
    submit(server, ann, frames="1")
    worker = new_worker(server)
    assignment = claim(server, worker)
    never_sent = {"name": "a.exr", "kind": "image", "frame": 1, **blob_ref(b"not uploaded")}
    answer = complete_with(server, worker, assignment, [never_sent])
    assert answer.status_code == 424
    assert answer.json()["error"]["details"]["missing"]
    ref = worker_upload(server, worker, assignment["attempt_id"], b"pixels")
    for bad in ("../escape.exr", "/etc/passwd", "C:/x.exr", "a\\b.exr", "a//b.exr"):
        answer = complete_with(server, worker, assignment,
                               [{"name": bad, "kind": "image", **ref}])  # fmt: skip
        assert answer.status_code == 400, (bad, answer.text)
    # Nothing was recorded by the refused calls; a good one still completes the attempt.
    good = [{"name": "a.exr", "kind": "image", "frame": 1, **ref}]
    assert complete_with(server, worker, assignment, good).status_code == 200


def test_worker_uploads_need_a_running_attempt_of_their_own(server):
    ann = new_user(server, "ann")
    submit(server, ann, frames="1")
    worker, other = new_worker(server, "w1"), new_worker(server, "w2")
    assignment = claim(server, worker)
    ref = blob_ref(b"bytes")
    assert worker.post(server.url("/uploads"), json=ref).status_code == 400  # no attempt named
    answer = other.post(
        server.url("/uploads"), json={**ref, "attempt_id": assignment["attempt_id"]}
    )
    assert answer.status_code == 409  # not its attempt
    # A user cannot pose as a worker's attempt.
    assert ann.post(server.url("/uploads"), json={**ref, "attempt_id": 1}).status_code == 400
    started = worker.post(
        server.url("/uploads"), json={**ref, "attempt_id": assignment["attempt_id"]}
    )
    upload_id = started.json()["id"]
    # Another worker cannot write into (or read) this worker's upload.
    put = other.put(
        server.url(f"/uploads/{upload_id}"), data=b"bytes", headers={"Upload-Offset": "0"}
    )
    assert put.status_code == 404
    assert other.get(server.url(f"/uploads/{upload_id}")).status_code == 404


def test_assembly_gets_the_tiles_of_its_frame(server):
    ann = new_user(server, "ann")
    job = submit(server, ann, frames="5", tiles=2, tiles_type="strip", width=64, height=48)
    worker = new_worker(server)
    tiles = []
    for _ in range(2):
        assignment = claim(server, worker)
        assert assignment["task"]["kind"] == "tile"
        index = assignment["task"]["tile"]["index"]
        ref = worker_upload(server, worker, assignment["attempt_id"], os.urandom(50 + index))
        name = f"shot_tile{index}_0005.png"
        out = [{"name": name, "kind": "tile", "frame": 5, "tile_mode": "cropped", **ref}]
        assert complete_with(server, worker, assignment, out).status_code == 200
        tiles.append((index, name, ref))
    assembly = claim(server, worker)
    assert assembly["task"]["kind"] == "assemble"
    inputs = assembly["task"]["inputs"]
    assert [(i["tile"]["index"], i["name"], i["blob"]["md5"], i["tile_mode"]) for i in inputs] == [
        (index, name, ref["md5"], "cropped") for index, name, ref in sorted(tiles)
    ]
    assert inputs[1]["tile"]["y"] == 24 and inputs[1]["tile"]["height"] == 24
    # The worker may download the tiles (they belong to a job it is running).
    blob = worker.get(server.url(f"/blobs/{inputs[0]['blob']['key']}"))
    assert blob.status_code == 200
    # Tiles stay out of the default listing (they are not the frame).
    assert ann.get(server.url(f"/jobs/{job['id']}/outputs")).json()["outputs"] == []
    with_tiles = ann.get(server.url(f"/jobs/{job['id']}/outputs?tiles=true")).json()["outputs"]
    assert len(with_tiles) == 2


def test_a_worker_reports_its_capabilities_again(server):
    ann = new_user(server, "ann")
    submit(server, ann, frames="1", software={"cg_name": "blender", "cg_version": "4.2"})
    worker = new_worker(server)  # registered with Blender 3.4 only
    assert claim(server, worker) is None
    body = {"name": "node", "ram_gb": 64, "software": {"blender": {"4.2": {}}}}
    answer = worker.put(server.url("/workers/me"), json=body)
    assert answer.status_code == 200 and answer.json()["ram_gb"] == 64
    assert claim(server, worker) is not None
    # A user token cannot pose as a worker.
    assert ann.put(server.url("/workers/me"), json=body).status_code == 403


def test_an_older_database_gains_the_progress_column(tmp_path):
    import asyncio

    import sqlalchemy as sa
    from farmhand_server.store import schema as db

    async def run() -> set[str]:
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        await db.migrate(engine)
        async with engine.begin() as conn:  # make it look like a database from before v3
            await conn.execute(sa.text("ALTER TABLE attempts DROP COLUMN progress"))
            await conn.execute(sa.text("DELETE FROM schema_version WHERE version = 3"))
        assert await db.migrate(engine) == len(db.MIGRATIONS)
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("attempts")}
            )
        await engine.dispose()
        return columns

    assert "progress" in asyncio.run(run())
