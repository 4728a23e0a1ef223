"""What tasks produced: recorded when a worker completes an attempt, listed for downloads.

A worker uploads each file it made as a blob of the job's owner (naming its
attempt), then completes the attempt with the list. The files become the
job's (`job_blobs`, so collection keeps them) and are listed per frame; the
tiles of a frame are handed to that frame's assembly task as its inputs.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from farmhand.spec.blobs import key_of
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.dispatch.rules import attempt_for
from farmhand_server.errors import ApiError, bad_request
from farmhand_server.store import schema as db
from farmhand_server.store.database import inserted_id
from farmhand_server.store.ownership import owned_keys

TILE = "tile"
PREVIEW = "preview"


MAX_NAME = 1024  # characters, as the outputs.name column holds


def check_name(name: str) -> str:
    """A safe relative output name (forward slashes, no `.`/`..`/empty part, not absolute).

    >>> check_name("beauty/shot.0001.exr")
    'beauty/shot.0001.exr'
    >>> check_name("../etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    farmhand_server.errors.ApiError: output name '../etc/passwd' must be a relative path ...
    """
    shown = name if len(name) <= 80 else name[:80] + "…"
    if not name or len(name) > MAX_NAME:
        raise bad_request(f"output name {shown!r} must be 1 to {MAX_NAME} characters long")
    if not _encodable(name):
        raise bad_request(f"output name {shown!r} is not valid Unicode (a lone surrogate)")
    parts = name.split("/")
    if (
        "\\" in name
        or name.startswith("/")
        or any(part in (".", "..", "") for part in parts)
        or ":" in parts[0]
    ):
        raise bad_request(f"output name {shown!r} must be a relative path inside the output folder")
    return name


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_files(files: list[dict[str, Any]]) -> None:
    """Refuse (400) a completion's output list before it joins a dispatcher round.

    Everything that can be checked without the database: names and the names
    previews point at. A refusal here fails only this request.
    """
    for f in files:
        check_name(f["name"])
        preview_of = f.get("preview_of")
        if preview_of is not None and not _encodable(preview_of):
            raise bad_request("preview_of is not valid Unicode (a lone surrogate)")


async def record(
    conn: AsyncConnection, worker_id: int, attempt_id: int, files: list[dict[str, Any]]
) -> None:
    """Register what an attempt produced; call before completing it, in the same transaction.

    Every file must already be stored as a blob of the job's owner (424 lists
    those that are not); names must be safe relative paths (400); StaleAttempt if the
    attempt is not running on this worker.
    """
    if not files:
        return
    row = await attempt_for(conn, attempt_id, worker_id)  # StaleAttempt if not running
    keyed = [(check_name(f["name"]), key_of(f), f) for f in files]
    have = await owned_keys(conn, row.user_id, {k for _, k, _ in keyed})
    missing = sorted({k for _, k, _ in keyed if k not in have})
    if missing:
        raise ApiError(
            424,
            "missing_blobs",
            f"upload {len(missing)} output blob(s) first",
            {"missing": missing},
        )
    stamp = time.time()
    ids: dict[str, int] = {}
    # Files before their previews, so a preview can point at its output's row.
    for name, key, f in sorted(keyed, key=lambda item: item[2]["kind"] == PREVIEW):
        result = await conn.execute(
            db.outputs.insert().values(
                job_id=row.job_id,
                task_id=row.task_id,
                attempt_id=attempt_id,
                frame=f.get("frame"),
                name=name,
                kind=f["kind"],
                blob_key=key,
                tile_mode=f.get("tile_mode"),
                preview_of=ids.get(f.get("preview_of") or ""),
                created_at=stamp,
            )
        )
        ids[name] = inserted_id(result)
    jb = db.job_blobs
    listed = set(
        await conn.scalars(
            sa.select(jb.c.blob_key).where(
                jb.c.job_id == row.job_id, jb.c.blob_key.in_({k for _, k, _ in keyed})
            )
        )
    )
    new = {k for _, k, _ in keyed} - listed
    if new:
        await conn.execute(jb.insert(), [{"job_id": row.job_id, "blob_key": k} for k in new])


def _blob_json(row: Any) -> dict[str, Any]:
    return {"key": row.blob_key, "md5": row.md5, "xxh64": row.xxh64, "size": row.size}


def _select_outputs() -> sa.Select[Any]:
    o, b = db.outputs, db.blobs
    return sa.select(o, b.c.md5, b.c.xxh64, b.c.size).join(b, b.c.key == o.c.blob_key)


NO_FRAME = 2**31 - 1  # where outputs without a frame sort: after every frame


def _frame_order() -> sa.ColumnElement[Any]:
    return sa.func.coalesce(db.outputs.c.frame, NO_FRAME)


def parse_cursor(text: str) -> tuple[int, int]:
    """An outputs page cursor `<frame>:<id>` (as `for_job` hands out) as numbers; ValueError.

    >>> parse_cursor("12:345"), parse_cursor("-3:7")
    ((12, 345), (-3, 7))
    """
    frame, _, output_id = text.partition(":")
    numbers = int(frame), int(output_id)
    if any(abs(n) > NO_FRAME for n in numbers):
        raise ValueError(f"{text!r}: out of range")
    return numbers


async def for_job(
    conn: AsyncConnection,
    job_id: int,
    tiles: bool = False,
    limit: int = 1000,
    after: tuple[int, int] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the job's outputs in frame order, each with its blob and its preview's blob.

    At most `limit`, after the cursor `after` (`parse_cursor`); also the cursor of the next
    page, None on the last.
    """
    o = db.outputs
    kinds = [PREVIEW] if tiles else [PREVIEW, TILE]
    order = _frame_order()
    query = (
        _select_outputs()
        .where(o.c.job_id == job_id, o.c.kind.not_in(kinds))
        .order_by(order, o.c.id)
        .limit(limit + 1)
    )
    if after is not None:
        frame, output_id = after
        query = query.where(sa.or_(order > frame, sa.and_(order == frame, o.c.id > output_id)))
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    previews = {}
    if rows:
        found = await conn.execute(
            _select_outputs().where(
                o.c.job_id == job_id, o.c.kind == PREVIEW, o.c.preview_of.in_([r.id for r in rows])
            )
        )
        previews = {r.preview_of: _blob_json(r) for r in found}
    listed = [
        {
            "id": r.id,
            "task_id": r.task_id,
            "attempt_id": r.attempt_id,
            "frame": r.frame,
            "name": r.name,
            "kind": r.kind,
            "tile_mode": r.tile_mode,
            "blob": _blob_json(r),
            "preview": previews.get(r.id),
        }
        for r in rows
    ]
    last = rows[-1] if more else None
    cursor = None if last is None else f"{NO_FRAME if last.frame is None else last.frame}:{last.id}"
    return listed, cursor


async def tile_inputs(
    conn: AsyncConnection, job_id: int, frame: int, layer: int | None = None
) -> list[dict[str, Any]]:
    """The tiles an assembly task of `frame` (of one layer group) composes: each tile's
    rectangle and its file."""
    o, t = db.outputs, db.tasks
    rows = (
        await conn.execute(
            _select_outputs()
            .add_columns(t.c.tile)
            .join(t, t.c.id == o.c.task_id)
            .where(
                o.c.job_id == job_id,
                o.c.frame == frame,
                o.c.kind == TILE,
                t.c.state == "done",
                t.c.layer.is_(None) if layer is None else t.c.layer == layer,
            )
            .order_by(o.c.id)
        )
    ).all()
    latest: dict[tuple[int, str], Any] = {}
    for r in rows:  # a task rendered twice keeps its last files
        latest[(r.task_id, r.name)] = r
    return [
        {
            "task_id": r.task_id,
            "tile": r.tile,
            "name": r.name,
            "tile_mode": r.tile_mode,
            "blob": _blob_json(r),
        }
        for r in sorted(latest.values(), key=lambda r: (r.tile or {}).get("index", 0))
    ]
