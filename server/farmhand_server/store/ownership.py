"""Which blobs a user holds: they uploaded the bytes themselves.

Asked in batches, so a manifest of thousands of files stays within the
parameter limits of both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.store import schema as db

BATCH = 500


def batches(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def owned_keys(conn: AsyncConnection, user_id: int, keys: Iterable[str]) -> set[str]:
    """The blob keys among `keys` that this user holds."""
    have: set[str] = set()
    for batch in batches(list(keys)):
        rows = await conn.execute(
            sa.select(db.blob_owners.c.blob_key).where(
                db.blob_owners.c.user_id == user_id, db.blob_owners.c.blob_key.in_(batch)
            )
        )
        have.update(r.blob_key for r in rows)
    return have


async def owns(conn: AsyncConnection, user_id: int, key: str) -> bool:
    """True when this user holds the blob."""
    return key in await owned_keys(conn, user_id, [key])
