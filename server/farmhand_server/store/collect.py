"""Collect blobs no job needs once they have been unused for the retention period.

A blob is kept while any job lists it (`job_blobs`); deleting a job releases
its blobs, and they go after `blob_retention_days` from their last use.
Uploads nobody touched for `upload_abandon_hours` go too (their bytes count
against the reserve and their owner's quota meanwhile).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db
from farmhand_server.store.blobs import BlobStore
from farmhand_server.store.ownership import batches


async def collect(
    conn: AsyncConnection, store: BlobStore, retention_seconds: float, abandon_seconds: float
) -> dict:
    """Delete unreferenced, unused blobs and abandoned uploads; what was removed."""
    now = time.time()
    cutoff = now - retention_seconds
    b, jb = db.blobs, db.job_blobs
    rows = await conn.execute(
        sa.select(b.c.key).where(
            sa.func.coalesce(b.c.last_used, b.c.created_at) < cutoff,
            ~sa.exists().where(jb.c.blob_key == b.c.key),
        )
    )
    keys = [r.key for r in rows]
    for key in keys:
        await conn.execute(db.blob_owners.delete().where(db.blob_owners.c.blob_key == key))
        await conn.execute(b.delete().where(b.c.key == key))
        store.delete(key)
    stale = await conn.execute(
        sa.select(db.uploads.c.id).where(db.uploads.c.updated_at < now - abandon_seconds)
    )
    uploads = [r.id for r in stale]
    for upload_id in uploads:
        await db.forget_upload(conn, upload_id)
        store.discard(upload_id)
    return {"blobs": len(keys), "uploads": len(uploads)}


async def touch(conn: AsyncConnection, keys: list[str]) -> None:
    """Mark blobs as used now (a job was submitted with them)."""
    now = time.time()
    for batch in batches(keys):
        await conn.execute(db.blobs.update().where(db.blobs.c.key.in_(batch)).values(last_used=now))
