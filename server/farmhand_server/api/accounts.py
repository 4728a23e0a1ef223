"""Accounts: users and their tokens, projects, hardware configs, worker enrolment."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.accounts import auth, revocation
from farmhand_server.accounts.credentials import revoking
from farmhand_server.api.contract import document
from farmhand_server.errors import ApiError, conflict, forbidden, not_found
from farmhand_server.jobs import waiting
from farmhand_server.keys import BODY, DB, DISPATCHER, PARAMS, PRINCIPAL, WAKE, WORKER_CACHE
from farmhand_server.notify import events
from farmhand_server.store import schema as db
from farmhand_server.store.database import inserted_id


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


async def get_health(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        version = await conn.scalar(sa.select(sa.func.max(db.schema_version.c.version)))
    return web.json_response({"status": "ok", "schema_version": version})


async def get_me(request: web.Request) -> web.Response:
    p: auth.Principal = request[PRINCIPAL]
    body = {"kind": p.kind, "id": p.id, "name": p.name}
    if p.kind == "user":
        body["role"] = p.role
    return web.json_response(body)


async def list_users(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        rows = await conn.execute(sa.select(db.users).order_by(db.users.c.id))
        users = [_user_json(r) for r in rows]
    return web.json_response({"users": users})


def _user_json(row: sa.Row[Any]) -> dict:
    return {"id": row.id, "name": row.name, "role": row.role, "disabled": bool(row.disabled_at)}


async def create_user(request: web.Request) -> web.Response:
    body = request[BODY]
    role = body.get("role", "artist")
    try:
        async with request.app[DB].write() as conn:
            user_id = await auth.create_user(conn, body["name"], role)
    except sa.exc.IntegrityError:
        raise conflict("exists", f"a user named {body['name']!r} exists") from None
    return web.json_response({"id": user_id, "name": body["name"], "role": role}, status=201)


async def issue_token(request: web.Request) -> web.Response:
    caller: auth.Principal = request[PRINCIPAL]
    user_id = request[PARAMS]["user_id"]
    if not caller.is_admin and caller.id != user_id:
        raise forbidden("you can issue tokens only for yourself")
    async with request.app[DB].write() as conn:
        exists = await conn.scalar(sa.select(db.users.c.id).where(db.users.c.id == user_id))
        if exists is None:
            raise not_found("user")
        token_id, token = await auth.issue_user_token(conn, user_id, request[BODY].get("label", ""))
    return web.json_response({"id": token_id, "token": token}, status=201)


async def list_tokens(request: web.Request) -> web.Response:
    """A user's API tokens, newest first, in pages: id, label, times; never a secret or hash."""
    params = request[PARAMS]
    limit = params.get("limit", 200)
    t = db.api_tokens
    query = (
        sa.select(t.c.id, t.c.label, t.c.created_at, t.c.revoked_at)
        .where(t.c.user_id == params["user_id"])
        .order_by(t.c.id.desc())
        .limit(limit + 1)
    )
    if (before := params.get("before")) is not None:
        query = query.where(t.c.id < before)
    async with request.app[DB].read() as conn:
        exists = await conn.scalar(
            sa.select(db.users.c.id).where(db.users.c.id == params["user_id"])
        )
        if exists is None:
            raise not_found("user")
        rows = (await conn.execute(query)).all()
    following = rows[limit - 1].id if len(rows) > limit else None
    body = [
        {"id": r.id, "label": r.label, "created_at": r.created_at, "revoked_at": r.revoked_at}
        for r in rows[:limit]
    ]
    return web.json_response({"tokens": body, "next": following})


async def revoke_token(request: web.Request) -> web.Response:
    caller: auth.Principal = request[PRINCIPAL]
    token_id = request[PARAMS]["token_id"]
    async with revoking(request.app), request.app[DB].write() as conn:
        owner = await conn.scalar(
            sa.select(db.api_tokens.c.user_id).where(db.api_tokens.c.id == token_id)
        )
        # Someone else's token is "not found" for a non-admin: its existence is not theirs to know.
        if owner is None or (not caller.is_admin and owner != caller.id):
            raise not_found("token")
        if not await auth.revoke_user_token(conn, token_id):
            raise not_found("token")
        await revocation.token_revoked(conn, token_id, caller.id)
    return web.Response(status=204)


async def set_user_disabled(request: web.Request, disabled: bool) -> web.Response:
    caller: auth.Principal = request[PRINCIPAL]
    user_id = request[PARAMS]["user_id"]
    if disabled and user_id == caller.id:
        raise conflict("own_account", "you cannot disable your own account")
    async with revoking(request.app), request.app[DB].write() as conn:
        if not await revocation.set_user_disabled(conn, user_id, disabled, caller.id):
            raise not_found("user")
        row = (await conn.execute(sa.select(db.users).where(db.users.c.id == user_id))).one()
    return web.json_response(_user_json(row))


async def disable_user(request: web.Request) -> web.Response:
    """Cut a user off: every token of theirs stops working (their jobs are left as they are)."""
    return await set_user_disabled(request, True)


async def enable_user(request: web.Request) -> web.Response:
    return await set_user_disabled(request, False)


async def list_projects(request: web.Request) -> web.Response:
    """Admins see every project; others those an admin made and those they have jobs in."""
    caller: auth.Principal = request[PRINCIPAL]
    p, j = db.projects, db.jobs
    query = sa.select(p.c.id, p.c.name).order_by(p.c.name)
    if not caller.is_admin:
        mine = sa.exists().where(j.c.project_id == p.c.id, j.c.user_id == caller.id)
        query = query.where(sa.or_(p.c.shared, mine))
    async with request.app[DB].read() as conn:
        rows = await conn.execute(query)
        projects = [{"id": r.id, "name": r.name} for r in rows]
    return web.json_response({"projects": projects})


async def create_project(request: web.Request) -> web.Response:
    name = request[BODY]["name"]
    try:
        async with request.app[DB].write() as conn:
            result = await conn.execute(
                db.projects.insert().values(name=name, created_at=time.time(), shared=True)
            )
    except sa.exc.IntegrityError:
        raise conflict("exists", f"a project named {name!r} exists") from None
    return web.json_response({"id": inserted_id(result), "name": name}, status=201)


_HW_FIELDS = ("name", "ram_gb", "cpu_cores", "gpu_count", "gpu_model", "price_per_hour")


async def list_hardware_configs(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        rows = await conn.execute(sa.select(db.hardware_configs).order_by(db.hardware_configs.c.id))
        configs = [dict(r._mapping) for r in rows]
    return web.json_response({"hardware_configs": configs})


async def put_hardware_config(request: web.Request) -> web.Response:
    config_id = request[PARAMS]["config_id"]
    values = {k: request[BODY][k] for k in _HW_FIELDS if k in request[BODY]}
    table = db.hardware_configs
    async with request.app[DB].write() as conn:
        exists = await conn.scalar(sa.select(table.c.id).where(table.c.id == config_id))
        if exists:
            await conn.execute(table.update().where(table.c.id == config_id).values(**values))
        else:
            await conn.execute(table.insert().values(id=config_id, **values))
        row = (await conn.execute(sa.select(table).where(table.c.id == config_id))).one()
    return web.json_response(dict(row._mapping))


async def delete_hardware_config(request: web.Request) -> web.Response:
    """Delete a hardware config no job asks for and no worker is registered with.

    A config still referenced is refused with 409 `in_use`, naming (at most 20 of) the jobs
    and workers: jobs are matched to workers by it, and a worker's attempts are priced by it.
    """
    config_id = request[PARAMS]["config_id"]
    table, jh, w = db.hardware_configs, db.job_hardware_configs, db.workers
    async with request.app[DB].write() as conn:
        exists = await conn.scalar(sa.select(table.c.id).where(table.c.id == config_id))
        if exists is None:
            raise not_found(f"hardware config {config_id}")
        job_ids = (
            await conn.scalars(
                sa.select(jh.c.job_id).where(jh.c.config_id == config_id).order_by(jh.c.job_id)
            )
        ).all()
        workers = (
            await conn.execute(
                sa.select(w.c.id, w.c.name)
                .where(w.c.hardware_config_id == config_id)
                .order_by(w.c.id)
            )
        ).all()
        if job_ids or workers:
            raise conflict(
                "in_use",
                _in_use(config_id, job_ids, workers),
                {
                    "jobs": list(job_ids[:20]),
                    "jobs_total": len(job_ids),
                    "workers": [{"id": r.id, "name": r.name} for r in workers[:20]],
                    "workers_total": len(workers),
                },
            )
        await conn.execute(table.delete().where(table.c.id == config_id))
    return web.Response(status=204)


def _in_use(config_id: str, job_ids: Sequence[int], workers: Sequence[Any]) -> str:
    """Why a hardware config cannot be deleted, with the first few jobs and workers named."""
    parts = []
    if job_ids:
        named = ", ".join(f"#{j}" for j in job_ids[:5]) + (", …" if len(job_ids) > 5 else "")
        asks = "jobs ask" if len(job_ids) != 1 else "job asks"
        parts.append(f"{len(job_ids)} {asks} for it ({named})")
    if workers:
        names = ", ".join(repr(r.name) for r in workers[:5]) + (", …" if len(workers) > 5 else "")
        were = "workers are" if len(workers) != 1 else "worker is"
        parts.append(f"{len(workers)} {were} registered with it ({names})")
    return f"hardware config {config_id} is still in use: {' and '.join(parts)}"


_WORKER_FIELDS = (
    "id", "name", "hostname", "platform", "ram_gb", "cpu_cores", "gpu_count", "gpu_memory_gb",
    "tags", "software", "hardware_config_id", "slots", "state", "last_seen", "revoked_at",
    "hold",
)  # fmt: skip


# What a worker reports about itself at registration and on every start.
_REPORTED = ("name", "hostname", "platform", "ram_gb", "cpu_cores", "gpu_count", "gpu_memory_gb",
             "tags", "software", "hardware_config_id", "slots")  # fmt: skip


async def list_workers(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        rows = await conn.execute(
            sa.select(*(db.workers.c[f] for f in _WORKER_FIELDS)).order_by(db.workers.c.id)
        )
        workers = [dict(r._mapping) for r in rows]
        await _add_work(conn, workers)
    return web.json_response({"workers": workers})


async def _add_work(conn: AsyncConnection, workers: list[dict]) -> None:
    """Each worker's running attempts, and how many attempts it finished and failed."""
    a, t = db.attempts, db.tasks
    by_id = {
        w["id"]: {**w, "running": [], "attempts_done": 0, "attempts_failed": 0} for w in workers
    }
    running = await conn.execute(
        sa.select(
            a.c.id,
            a.c.worker_id,
            a.c.progress,
            a.c.started_at,
            t.c.id.label("task_id"),
            t.c.job_id,
            t.c.frames,
        )
        .join(t, t.c.id == a.c.task_id)
        .where(a.c.state == "running")
    )
    for r in running:
        if r.worker_id in by_id:
            by_id[r.worker_id]["running"].append(
                {
                    "attempt_id": r.id,
                    "task_id": r.task_id,
                    "job_id": r.job_id,
                    "frames": r.frames,
                    "progress": r.progress,
                    "started_at": r.started_at,
                }
            )
    counts = await conn.execute(
        sa.select(a.c.worker_id, a.c.state, sa.func.count().label("n"))
        .where(a.c.state.in_(("done", "failed", "timeout", "lost")))
        .group_by(a.c.worker_id, a.c.state)
    )
    for r in counts:
        if r.worker_id in by_id:
            key = "attempts_done" if r.state == "done" else "attempts_failed"
            by_id[r.worker_id][key] += r.n
    workers[:] = list(by_id.values())


async def issue_enrolment_token(request: web.Request) -> web.Response:
    body = request[BODY]
    async with request.app[DB].write() as conn:
        token_id, token = await auth.issue_enrolment_token(
            conn, request[PRINCIPAL].id, body.get("uses", 1), body.get("ttl_seconds")
        )
    return web.json_response({"id": token_id, "token": token}, status=201)


async def list_enrolment_tokens(request: web.Request) -> web.Response:
    e = db.enrolment_tokens
    columns = (e.c.id, e.c.uses_left, e.c.created_at, e.c.expires_at, e.c.revoked_at)
    async with request.app[DB].read() as conn:
        rows = await conn.execute(sa.select(*columns).order_by(e.c.id))
        tokens = [dict(r._mapping) for r in rows]
    return web.json_response({"enrolment_tokens": tokens})


async def revoke_enrolment_token(request: web.Request) -> web.Response:
    token_id = request[PARAMS]["token_id"]
    async with revoking(request.app), request.app[DB].write() as conn:
        if not await revocation.revoke_enrolment_token(conn, token_id, request[PRINCIPAL].id):
            raise not_found("enrolment token")
    return web.Response(status=204)


async def revoke_worker(request: web.Request) -> web.Response:
    """Revoke a worker's token; what it was rendering goes back to the queue."""
    worker_id = request[PARAMS]["worker_id"]
    database = request.app[DB]
    try:
        async with revoking(request.app), database.write() as conn:
            done = await revocation.revoke_worker(conn, worker_id, request[PRINCIPAL].id)
    except LookupError:
        raise not_found("worker") from None
    request.app[DISPATCHER].forget_worker(worker_id)
    if done.requeued:
        request.app[WAKE].notify()
    body = {"id": done.worker_id, "name": done.name, "revoked_at": done.revoked_at,
            "requeued": done.requeued}  # fmt: skip
    return web.json_response(body)


async def register_worker(request: web.Request) -> web.Response:
    body = request[BODY]
    enrolment = request[PRINCIPAL].id
    token = auth.new_token(auth.WORKER_PREFIX)
    now = time.time()
    async with request.app[DB].write() as conn:
        # Spend one use of the enrolment token; the condition makes a race lose cleanly.
        spent = await conn.execute(
            db.enrolment_tokens.update()
            .where(
                db.enrolment_tokens.c.id == enrolment,
                db.enrolment_tokens.c.uses_left > 0,
                db.enrolment_tokens.c.revoked_at.is_(None),
            )
            .values(uses_left=db.enrolment_tokens.c.uses_left - 1)
        )
        if spent.rowcount != 1:
            raise ApiError(401, "unauthorized", "the enrolment token is used up")
        result = await conn.execute(
            db.workers.insert().values(
                name=body["name"],
                token_hash=auth.token_hash(token),
                hostname=body.get("hostname", ""),
                platform=body.get("platform", ""),
                ram_gb=body.get("ram_gb", 0),
                cpu_cores=body.get("cpu_cores", 0),
                gpu_count=body.get("gpu_count", 0),
                gpu_memory_gb=body.get("gpu_memory_gb", 0),
                tags=body.get("tags", []),
                software=body.get("software", {}),
                hardware_config_id=body.get("hardware_config_id"),
                slots=body.get("slots", 1),
                state="idle",
                registered_at=now,
                last_seen=now,
            )
        )
        worker_id = inserted_id(result)
        await events.emit(
            conn, "worker", {"worker_id": worker_id, "name": body["name"], "state": "registered"}
        )
    return web.json_response({"id": worker_id, "token": token}, status=201)


async def update_worker(request: web.Request) -> web.Response:
    body = request[BODY]
    worker_id = request[PRINCIPAL].id
    values = {k: body[k] for k in _REPORTED if k in body}
    async with request.app[DB].write() as conn:
        row = (
            await conn.execute(
                db.workers.update()
                .where(db.workers.c.id == worker_id)
                .values(last_seen=time.time(), **values)
                .returning(*(db.workers.c[f] for f in _WORKER_FIELDS))
            )
        ).one()
    # The claim path caches capabilities per worker: forget them so the next claim sees these.
    request.app[WORKER_CACHE].pop(worker_id, None)
    waiting.forget_workers()
    return web.json_response(dict(row._mapping))


HANDLERS = {
    f.__name__: f
    for f in (
        get_openapi,
        get_health,
        get_me,
        list_users,
        create_user,
        issue_token,
        revoke_token,
        list_tokens,
        list_projects,
        create_project,
        list_hardware_configs,
        put_hardware_config,
        delete_hardware_config,
        list_workers,
        issue_enrolment_token,
        register_worker,
        update_worker,
        disable_user,
        enable_user,
        list_enrolment_tokens,
        revoke_enrolment_token,
        revoke_worker,
    )
}
