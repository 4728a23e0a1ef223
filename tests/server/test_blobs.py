"""Blobs over real HTTP: missing, chunked resumable uploads, verification, Range downloads."""

from __future__ import annotations

import hashlib
import os

import xxhash
from farmhand_server.store.shared_folder import MARKER
from server_harness import RunningServer


def _ref(data: bytes) -> dict:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "xxh64": xxhash.xxh64(data).hexdigest(),
        "size": len(data),
    }


def _user(server: RunningServer, name: str):
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": name}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    return server.session(token)


def _upload(server: RunningServer, session, data: bytes, chunk: int = 1000) -> dict:
    ref = _ref(data)
    started = session.post(server.url("/uploads"), json=ref)
    assert started.status_code in (200, 201), started.text
    upload = started.json()
    offset = upload["offset"]
    while offset < len(data):
        part = data[offset : offset + chunk]
        sent = session.put(
            server.url(f"/uploads/{upload['id']}"),
            data=part,
            headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
        )
        assert sent.status_code == 200, sent.text
        offset = sent.json()["offset"]
    done = session.post(server.url(f"/uploads/{upload['id']}/complete"))
    assert done.status_code == 200, done.text
    return done.json()


def test_upload_then_nothing_missing_and_download(server: RunningServer) -> None:
    ann = _user(server, "ann")
    data = os.urandom(5000)
    ref = _ref(data)
    missing = ann.post(server.url("/blobs/missing"), json={"blobs": [ref]})
    assert missing.json() == {"missing": [ref]}
    blob = _upload(server, ann, data, chunk=1024)
    assert blob["key"] == f"{ref['md5']}-{ref['size']}"
    assert ann.post(server.url("/blobs/missing"), json={"blobs": [ref]}).json() == {"missing": []}
    got = ann.get(server.url(f"/blobs/{blob['key']}"))
    assert got.content == data and got.headers["X-Farmhand-Xxh64"] == ref["xxh64"]
    part = ann.get(server.url(f"/blobs/{blob['key']}"), headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    # Asking to upload it again answers "complete" at once.
    again = ann.post(server.url("/uploads"), json=ref).json()
    assert again["complete"] and again["offset"] == len(data)


def test_interrupted_upload_resumes_where_the_server_stopped(server: RunningServer) -> None:
    ann = _user(server, "ann")
    data = os.urandom(10_000)
    ref = _ref(data)
    first = ann.post(server.url("/uploads"), json=ref).json()
    ann.put(server.url(f"/uploads/{first['id']}"), data=data[:3000], headers={"Upload-Offset": "0"})
    # The client dies; a new one asks again for the same blob and learns the offset.
    resumed = ann.post(server.url("/uploads"), json=ref)
    assert resumed.status_code == 200
    assert resumed.json()["id"] == first["id"] and resumed.json()["offset"] == 3000
    wrong = ann.put(
        server.url(f"/uploads/{first['id']}"), data=data[:10], headers={"Upload-Offset": "0"}
    )
    assert wrong.status_code == 409 and wrong.json()["error"]["details"] == {"offset": 3000}
    early = ann.post(server.url(f"/uploads/{first['id']}/complete"))
    assert early.status_code == 409 and early.json()["error"]["code"] == "incomplete"
    assert _upload(server, ann, data)["size"] == len(data)
    assert ann.get(server.url(f"/blobs/{ref['md5']}-{ref['size']}")).content == data


def test_corrupted_upload_is_refused_and_nothing_is_stored(server: RunningServer) -> None:
    ann = _user(server, "ann")
    data = os.urandom(4096)
    ref = _ref(data)
    upload = ann.post(server.url("/uploads"), json=ref).json()
    corrupted = bytearray(data)
    corrupted[2000] ^= 0xFF
    ann.put(server.url(f"/uploads/{upload['id']}"), data=bytes(corrupted),
            headers={"Upload-Offset": "0"})  # fmt: skip
    refused = ann.post(server.url(f"/uploads/{upload['id']}/complete"))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "hash_mismatch"
    blob_path = server.config.blob_dir / ref["md5"][:2] / f"{ref['md5']}-{ref['size']}"
    assert not blob_path.exists()
    assert [p.name for p in server.config.upload_dir.iterdir()] == [MARKER]  # no part left
    assert ann.post(server.url("/blobs/missing"), json={"blobs": [ref]}).json()["missing"] == [ref]
    assert ann.get(server.url(f"/uploads/{upload['id']}")).status_code == 404
    assert _upload(server, ann, data)["md5"] == ref["md5"]  # a clean re-send goes through


def test_too_much_data_is_413(server: RunningServer) -> None:
    ann = _user(server, "ann")
    data = os.urandom(100)
    upload = ann.post(server.url("/uploads"), json=_ref(data)).json()
    over = ann.put(server.url(f"/uploads/{upload['id']}"), data=data + b"extra",
                   headers={"Upload-Offset": "0"})  # fmt: skip
    assert over.status_code == 413
    assert ann.get(server.url(f"/uploads/{upload['id']}")).json()["offset"] == 0


def test_users_do_not_see_each_others_blobs(server: RunningServer) -> None:
    ann, bob = _user(server, "ann"), _user(server, "bob")
    data = os.urandom(2048)
    ref = _ref(data)
    key = _upload(server, ann, data)["key"]
    # Bob is told to upload it (the server does not reveal Ann has it) and cannot download it.
    assert bob.post(server.url("/blobs/missing"), json={"blobs": [ref]}).json()["missing"] == [ref]
    assert bob.get(server.url(f"/blobs/{key}")).status_code == 404
    # Uploading identical bytes gives Bob the blob without a second copy on disk.
    assert _upload(server, bob, data)["key"] == key
    assert bob.get(server.url(f"/blobs/{key}")).content == data
    files = [p for p in server.config.blob_dir.rglob("*") if p.is_file() and p.name != MARKER]
    assert len(files) == 1
    # Ann's uploads are hers: Bob cannot read their progress.
    other = ann.post(server.url("/uploads"), json=_ref(b"x" * 10)).json()
    assert bob.get(server.url(f"/uploads/{other['id']}")).status_code == 404


def test_bad_blob_key_and_unknown_blob(server: RunningServer) -> None:
    ann = _user(server, "ann")
    assert ann.get(server.url("/blobs/..%2F..%2Fetc%2Fpasswd")).status_code in (400, 404)
    assert ann.get(server.url("/blobs/" + "0" * 32 + "-5")).status_code == 404
    bad = ann.post(server.url("/blobs/missing"), json={"blobs": [{"md5": "x", "size": -1}]})
    assert bad.status_code == 400


def test_boundary_values_are_400_not_500(server: RunningServer) -> None:
    ann = _user(server, "ann")
    ref = _ref(b"abc")
    whole_float = ann.post(server.url("/uploads"), json={**ref, "size": 3.0})
    assert whole_float.status_code == 201, whole_float.text  # 3.0 is an integer (2020-12)
    fraction = ann.post(server.url("/uploads"), json={**ref, "size": 3.5})
    assert fraction.status_code == 400 and "integer" in fraction.text
    nul = ann.post(server.url("/projects"), json={"name": "a\u0000b"})
    assert nul.status_code in (400, 403)
    admin = server.session()
    assert admin.post(server.url("/projects"), json={"name": "a\u0000b"}).status_code == 400
    assert ann.get(server.url(f"/jobs/{2**31}")).status_code == 400
    assert ann.get(server.url("/jobs/9223372036854775808")).status_code == 400
    assert ann.get(server.url("/events?max_seconds=-1")).status_code == 400
    assert ann.get(server.url("/events?since=abc")).status_code == 400
    assert ann.get(server.url("/jobs?state=bogus")).status_code == 400


def test_an_empty_blob_is_uploaded_stored_and_downloaded_by_a_worker(server, tmp_path) -> None:
    from farm import claim, job_spec, new_worker, upload
    from farmhand_worker.farm_client import WorkerClient

    ann = _user(server, "ann")
    empty = _ref(b"")
    started = ann.post(server.url("/uploads"), json=empty)
    assert started.status_code == 201, started.text
    done = ann.post(server.url(f"/uploads/{started.json()['id']}/complete"))
    assert done.status_code == 200, done.text
    assert ann.post(server.url("/blobs/missing"), json={"blobs": [empty]}).json()["missing"] == []
    scene = upload(server, ann, b"scene with an empty texture")
    manifest = [{"path": "C:/proj/empty.png", "server_path": "/C/proj/empty.png", **empty}]
    created = ann.post(server.url("/jobs"), json=job_spec(scene, frames="1", manifest=manifest))
    assert created.status_code == 201, created.text
    worker = new_worker(server)
    assert claim(server, worker) is not None
    client = WorkerClient(server.base.removesuffix("/api/v1"), worker.headers["Authorization"][7:])
    client.download_blob(empty, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes() == b""
