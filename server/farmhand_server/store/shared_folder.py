"""Every server process of a farm must see the same blob and upload folders.

Blobs and uploads are files; the database says which exist. A second server process whose
`data_dir` is a local folder rather than the shared one would answer "not found" for blobs
the others stored, and lose the chunks of uploads it took. So the folders carry a marker
file (`.farmhand-store`, a random id) and the database records that id
(`storage_identity`): a process refuses to start when its folders' marker is missing or
differs from the database's, naming both.

The first process on a database without an id adopts its folders' marker (writing one if
the folders have none, so an existing installation upgrades in place), then records it; of
processes starting together on one share, the exclusive create of the marker makes them
agree, and the database's single row decides between different folders.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db
from farmhand_server.store.database import insert_or_skip

MARKER = ".farmhand-store"


class StorageMismatch(RuntimeError):
    """This process's blob or upload folder is not the one the database's blobs are in."""


def read_marker(folder: Path) -> str | None:
    """The store id a folder's marker holds (None: no marker)."""
    try:
        text = (folder / MARKER).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text[:64] or None


def _write_marker(folder: Path, store_id: str) -> str:
    """Create the marker if there is none (exclusively); the id the folder now has."""
    try:
        fd = os.open(folder / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return read_marker(folder) or store_id
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(store_id + "\n")
        f.flush()
        os.fsync(f.fileno())
    return store_id


async def check(conn: AsyncConnection, folders: list[Path]) -> str:
    """Make sure the folders carry the database's store id; the id, or StorageMismatch."""
    table = db.storage_identity
    recorded = await conn.scalar(sa.select(table.c.store_id).where(table.c.id == 1))
    if recorded is None:
        candidate = read_marker(folders[0]) or uuid.uuid4().hex
        for folder in folders:
            candidate = _write_marker(folder, candidate)
        await conn.execute(
            insert_or_skip(
                conn.dialect.name, table, id=1, store_id=candidate, created_at=time.time()
            )
        )
        recorded = await conn.scalar(sa.select(table.c.store_id).where(table.c.id == 1))
    for folder in folders:
        found = read_marker(folder)
        if found != recorded:
            seen = f"its marker holds {found}" if found else f"it has no {MARKER} marker"
            raise StorageMismatch(
                f"refusing to start: the folder {folder} is not this farm's shared storage "
                f"({seen}; the database's blobs are in the folder marked {recorded}). Every "
                "server process on one database must use the same blob and upload folders: "
                "mount the shared folder there, or point data_dir at it (docs/deploy.md)"
            )
    return str(recorded)
