"""Blobs: which ones the server lacks, resumable chunked uploads, verified storage, downloads.

A user "has" a blob once they have uploaded its bytes (or, later, a job of
theirs references it): asking what is missing never reveals another user's
files, and a blob another user stored must still be uploaded — its bytes are
checked and, being identical, not stored twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from farmhand.spec.blobs import blob_key, key_of, parse_blob_key
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.accounts.auth import Principal
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.errors import ApiError, conflict, not_found
from farmhand_server.keys import BODY, CONFIG, DB, PARAMS, PRINCIPAL, STORE
from farmhand_server.store import quotas as storage
from farmhand_server.store import schema as db
from farmhand_server.store.blobs import digest_file
from farmhand_server.store.ownership import owned_keys, owns

_WRITE_BLOCK = 1024 * 1024


async def find_missing_blobs(request: web.Request) -> web.Response:
    wanted = request[BODY]["blobs"]
    keys = {key_of(b): b for b in wanted}
    user: Principal = request[PRINCIPAL]
    async with request.app[DB].read() as conn:
        have = await owned_keys(conn, user.id, keys)
    store = request.app[STORE]
    missing = [b for k, b in keys.items() if k not in have or not store.has(k)]
    return web.json_response({"missing": missing})


async def start_upload(request: web.Request) -> web.Response:
    body = request[BODY]
    principal: Principal = request[PRINCIPAL]
    key = key_of(body)
    store = request.app[STORE]
    config = request.app[CONFIG]
    table = db.uploads
    now = time.time()
    storage.check_size(config, body["size"])
    async with request.app[DB].write() as conn:
        owner_id, attempt_id = await _upload_owner(conn, principal, body.get("attempt_id"))
        if store.has(key) and await owns(conn, owner_id, key):
            return web.json_response(_upload_json(None, body, body["size"], complete=True))
        row = (
            await conn.execute(
                sa.select(table).where(
                    table.c.user_id == owner_id,
                    table.c.md5 == body["md5"],
                    table.c.size == body["size"],
                )
            )
        ).first()
        if row is not None:
            if row.xxh64 != body["xxh64"]:
                await conn.execute(
                    table.update()
                    .where(table.c.id == row.id)
                    .values(xxh64=body["xxh64"], updated_at=now)
                )
            await _record_worker(conn, row.id, principal, attempt_id)
            offset = store.upload_size(row.id)
            return web.json_response(_upload_json(row.id, body, offset))
        if principal.kind != "worker":  # a render's outputs count, but do not stop the render
            await storage.check_quota(conn, config, owner_id, body["size"])
        storage.check_room(config, store.upload_dir, body["size"])
        upload_id = uuid.uuid4().hex
        await conn.execute(
            table.insert().values(
                id=upload_id,
                user_id=owner_id,
                md5=body["md5"],
                xxh64=body["xxh64"],
                size=body["size"],
                received=0,
                created_at=now,
                updated_at=now,
            )
        )
        await _record_worker(conn, upload_id, principal, attempt_id)
        storage.create_empty(store.upload_path(upload_id))  # fails (and rolls back) if unwritable
    return web.json_response(_upload_json(upload_id, body, 0), status=201)


async def _upload_owner(
    conn: AsyncConnection, principal: Principal, attempt_id: int | None
) -> tuple[int, int | None]:
    """Who will own the blob: the user uploading it, or the owner of the job a worker renders.

    A worker uploads what a task produced, so it must name the running attempt
    it holds; the blob then belongs to that job's owner, who downloads it.
    """
    if principal.kind != "worker":
        if attempt_id is not None:
            raise ApiError(400, "bad_request", "attempt_id is only for workers' uploads")
        return principal.id, None
    if attempt_id is None:
        raise ApiError(400, "bad_request", "a worker's upload must name its attempt_id")
    try:
        row = await scheduler.attempt_for(conn, attempt_id, principal.id)
    except scheduler.StaleAttempt:
        raise conflict(
            "stale_attempt", f"attempt {attempt_id} is not running on this worker: stop it"
        ) from None
    return int(row.user_id), attempt_id


async def _record_worker(
    conn: AsyncConnection, upload_id: str, principal: Principal, attempt_id: int | None
) -> None:
    if principal.kind != "worker":
        return
    wu = db.worker_uploads
    await conn.execute(wu.delete().where(wu.c.upload_id == upload_id))
    await conn.execute(
        wu.insert().values(upload_id=upload_id, worker_id=principal.id, attempt_id=attempt_id)
    )


def _upload_json(
    upload_id: str | None, blob: Mapping[Any, Any], offset: int, complete: bool = False
) -> dict:
    return {
        "id": upload_id or "",
        "md5": blob["md5"],
        "xxh64": blob["xxh64"],
        "size": blob["size"],
        "offset": offset,
        "complete": complete,
    }


async def _load_upload(request: web.Request, admin: bool = False) -> sa.Row[Any]:
    """The upload in the path, if the caller started it (or is an admin, with `admin`)."""
    upload_id = request[PARAMS]["upload_id"]
    async with request.app[DB].read() as conn:
        row = (
            await conn.execute(sa.select(db.uploads).where(db.uploads.c.id == upload_id))
        ).first()
        principal: Principal = request[PRINCIPAL]
        if row is not None and principal.kind == "worker":
            wu = db.worker_uploads
            mine = await conn.scalar(
                sa.select(wu.c.worker_id).where(
                    wu.c.upload_id == upload_id, wu.c.worker_id == principal.id
                )
            )
            if mine is None:
                row = None
        elif row is not None and row.user_id != principal.id and not (admin and principal.is_admin):
            row = None
    if row is None:
        raise not_found("upload")
    return row


async def get_upload(request: web.Request) -> web.Response:
    row = await _load_upload(request)
    offset = request.app[STORE].upload_size(row.id)
    return web.json_response(_upload_json(row.id, row._mapping, offset))


async def put_upload_chunk(request: web.Request) -> web.Response:
    row = await _load_upload(request)
    store = request.app[STORE]
    try:
        offset = int(request.headers["Upload-Offset"])
    except (KeyError, ValueError):
        raise ApiError(400, "bad_request", "the Upload-Offset header is required") from None
    current = store.upload_size(row.id)
    if offset != current:
        raise conflict(
            "offset_mismatch",
            f"the server has {current} bytes of this upload; send from there",
            {"offset": current},
        )
    config = request.app[CONFIG]
    limit = min(config.upload_chunk_max, row.size - offset)
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"at most {limit} bytes may follow offset {offset}")
    storage.check_room(config, store.upload_dir, min(limit, request.content_length or limit))
    with storage.storage_errors(store.upload_dir):
        written = await _stream_into(request, store.upload_path(row.id), offset, limit)
    async with request.app[DB].write() as conn:  # touched: not abandoned
        await conn.execute(
            db.uploads.update().where(db.uploads.c.id == row.id).values(updated_at=time.time())
        )
    return web.json_response(_upload_json(row.id, row._mapping, offset + written))


async def _stream_into(request: web.Request, path: Path, offset: int, limit: int) -> int:
    """Append the request body to an upload file at `offset`; refuses more than `limit` bytes."""
    written = 0
    mode = "r+b" if path.exists() else "wb"
    with open(path, mode) as f:
        f.seek(offset)
        try:
            async for chunk in request.content.iter_chunked(_WRITE_BLOCK):
                written += len(chunk)
                if written > limit:
                    f.seek(offset)
                    f.truncate()
                    raise ApiError(413, "too_large", f"at most {limit} bytes may follow {offset}")
                f.write(chunk)
        finally:
            # What arrived before a cut connection stays: the client resumes after it.
            f.truncate()
    return written


async def complete_upload(request: web.Request) -> web.Response:
    row = await _load_upload(request)
    store = request.app[STORE]
    path = store.upload_path(row.id)
    received = store.upload_size(row.id)
    if received != row.size:
        raise conflict(
            "incomplete", f"the server has {received} of {row.size} bytes", {"offset": received}
        )
    with storage.storage_errors(store.upload_dir):
        digest = await asyncio.to_thread(digest_file, path)
    if (digest.md5, digest.xxh64, digest.size) != (row.md5, row.xxh64, row.size):
        store.discard(row.id)
        async with request.app[DB].write() as conn:
            await db.forget_upload(conn, row.id)
        raise ApiError(
            422,
            "hash_mismatch",
            "the uploaded bytes do not match the declared hashes; nothing was stored",
            {
                "expected": {"md5": row.md5, "xxh64": row.xxh64, "size": row.size},
                "received": {"md5": digest.md5, "xxh64": digest.xxh64, "size": digest.size},
            },
        )
    key = blob_key(row.md5, row.size)
    now = time.time()
    async with request.app[DB].write() as conn:
        with storage.storage_errors(store.blob_dir):
            if store.has(key):
                store.discard(row.id)  # identical bytes are already stored
            else:
                store.commit(row.id, key)
        exists = await conn.scalar(sa.select(db.blobs.c.key).where(db.blobs.c.key == key))
        if exists is None:
            await conn.execute(
                db.blobs.insert().values(
                    key=key,
                    md5=row.md5,
                    xxh64=row.xxh64,
                    size=row.size,
                    created_at=now,
                    last_used=now,
                )
            )
        if not await owns(conn, row.user_id, key):
            await conn.execute(
                db.blob_owners.insert().values(blob_key=key, user_id=row.user_id, created_at=now)
            )
        await db.forget_upload(conn, row.id)
    return web.json_response({"key": key, "md5": row.md5, "xxh64": row.xxh64, "size": row.size})


async def delete_upload(request: web.Request) -> web.Response:
    """Abort an upload: its bytes go now (its starter, or an admin)."""
    row = await _load_upload(request, admin=True)
    async with request.app[DB].write() as conn:
        await db.forget_upload(conn, row.id)
    with storage.storage_errors(request.app[STORE].upload_dir):
        request.app[STORE].discard(row.id)
    return web.Response(status=204)


async def get_blob(request: web.Request) -> web.StreamResponse:
    key = request[PARAMS]["key"]
    try:
        parse_blob_key(key)
    except ValueError:
        raise not_found("blob") from None
    principal: Principal = request[PRINCIPAL]
    async with request.app[DB].read() as conn:
        row = (await conn.execute(sa.select(db.blobs).where(db.blobs.c.key == key))).first()
        allowed = row is not None and (
            principal.is_admin
            or (principal.kind == "user" and await owns(conn, principal.id, key))
            or (principal.kind == "worker" and await _worker_needs(conn, principal.id, key))
        )
    path = request.app[STORE].path(key)
    if row is None or not allowed or not path.is_file():
        raise not_found("blob")
    response = web.FileResponse(path, chunk_size=1024 * 1024)
    response.headers["X-Farmhand-Xxh64"] = row.xxh64
    response.headers["X-Farmhand-Md5"] = row.md5
    return response


async def _worker_needs(conn: AsyncConnection, worker_id: int, key: str) -> bool:
    """A worker may read a blob while it holds a running attempt of a job that uses it."""
    a, t, jb = db.attempts, db.tasks, db.job_blobs
    return bool(
        await conn.scalar(
            sa.select(sa.func.count())
            .select_from(a.join(t, t.c.id == a.c.task_id).join(jb, jb.c.job_id == t.c.job_id))
            .where(a.c.worker_id == worker_id, a.c.state == "running", jb.c.blob_key == key)
        )
    )


HANDLERS = {
    f.__name__: f
    for f in (
        find_missing_blobs,
        start_upload,
        get_upload,
        put_upload_chunk,
        complete_upload,
        delete_upload,
        get_blob,
    )
}
