"""Render logs: workers append to an attempt's log as it runs; owners read it live.

Each attempt has one file, `<data_dir>/logs/<attempt_id>.log`. A log that
reaches `log_max_bytes` stops growing and ends with a note, so a renderer
stuck printing cannot fill the server's disk.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from aiohttp import web

from farmhand_server.accounts.auth import Principal
from farmhand_server.errors import conflict, not_found
from farmhand_server.keys import CONFIG, DB, PARAMS, PRINCIPAL
from farmhand_server.store import schema as db
from farmhand_server.store.quotas import storage_errors

TRUNCATED_NOTE = b"\n[farmhand: log truncated here, it reached the size limit]\n"


def _log_path(app: web.Application, attempt_id: int) -> Path:
    folder = app[CONFIG].data_dir / "logs"
    with storage_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{attempt_id}.log"


async def append_log(request: web.Request) -> web.Response:
    worker: Principal = request[PRINCIPAL]
    attempt_id = request[PARAMS]["attempt_id"]
    async with request.app[DB].read() as conn:
        row = (
            await conn.execute(
                sa.select(db.attempts.c.worker_id, db.attempts.c.state).where(
                    db.attempts.c.id == attempt_id
                )
            )
        ).first()
    if row is None or row.worker_id != worker.id:
        raise not_found("attempt")
    # A worker may still send what it buffered after the attempt ended (kept while offline).
    data = await request.read()
    limit = request.app[CONFIG].log_max_bytes
    path = _log_path(request.app, attempt_id)
    with storage_errors(path.parent):  # a full disk is a 507 the worker retries, not a crash
        size = path.stat().st_size if path.exists() else 0
        if size >= limit:
            return web.json_response({"size": size, "truncated": True})
        room = limit - size
        with open(path, "ab") as f:
            if len(data) > room:
                f.write(data[:room] + TRUNCATED_NOTE)
            else:
                f.write(data)
        size = path.stat().st_size
    return web.json_response({"size": size, "truncated": len(data) > room})


async def read_log(request: web.Request) -> web.StreamResponse:
    user: Principal = request[PRINCIPAL]
    attempt_id = request[PARAMS]["attempt_id"]
    a, t, j = db.attempts, db.tasks, db.jobs
    async with request.app[DB].read() as conn:
        row = (
            await conn.execute(
                sa.select(j.c.user_id, a.c.state)
                .select_from(a.join(t, t.c.id == a.c.task_id).join(j, j.c.id == t.c.job_id))
                .where(a.c.id == attempt_id)
            )
        ).first()
    if row is None or (not user.is_admin and row.user_id != user.id):
        raise not_found("attempt")
    # Read before the file, so a follower that sees an ended state has already been sent
    # everything but what the worker flushes after reporting (it reads once more then).
    state = {"X-Attempt-State": row.state}
    path = _log_path(request.app, attempt_id)
    offset = request[PARAMS].get("offset", 0)
    if not path.exists():
        return web.Response(
            body=b"",
            content_type="text/plain",
            headers={"X-Log-Size": "0", "X-Log-Offset": "0", **state},
        )
    size = path.stat().st_size
    if offset > size:
        raise conflict("offset_beyond_end", f"the log has {size} bytes", {"size": size})
    if (tail := request[PARAMS].get("tail")) is not None:
        offset = max(offset, size - tail)
    with open(path, "rb") as f:
        f.seek(offset)
        body = f.read(size - offset)  # what X-Log-Size promises, not what came since
    return web.Response(
        body=body,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Log-Size": str(size), "X-Log-Offset": str(offset), **state},
    )


HANDLERS = {"append_log": append_log, "read_log": read_log}
