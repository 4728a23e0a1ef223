"""Jobs for people: submit, list, read, and act (pause, resume, cancel, approve, retry, …)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web
from farmhand.jobspec import validate_jobspec
from farmhand.renderbus import normalize_renderbus

from .. import accounting, db, jobs, online, outputs, states
from ..auth import Principal
from ..errors import ApiError, bad_request, not_found
from ..keys import BODY, CONFIG, DB, PARAMS, PRINCIPAL, WAKE
from ..planning import PlanError


def _looks_like_renderbus(body: dict[str, Any]) -> bool:
    return "task_info" in body or "software_config" in body or "scene_info_render" in body


async def submit_job(request: web.Request) -> web.Response:
    body = request[BODY]
    try:
        spec = normalize_renderbus(body) if _looks_like_renderbus(body) else body
    except ValueError as exc:
        raise bad_request(f"task.json: {exc}") from None
    problems = validate_jobspec(spec)
    if problems:
        raise bad_request(f"job spec: {problems[0]}", problems)
    user: Principal = request[PRINCIPAL]
    try:
        async with request.app[DB].write() as conn:
            job_id = await jobs.create_job(conn, user.id, spec, request.app[CONFIG])
            row = await _job_row(conn, job_id)
            await request.app[DB].announce_work(conn)
    except PlanError as exc:
        raise bad_request(str(exc)) from None
    except jobs.MissingBlobs as exc:
        raise ApiError(
            424, "missing_blobs", f"upload {len(exc.keys)} missing blob(s) first",
            {"missing": exc.keys},
        ) from None  # fmt: skip
    request.app[WAKE].notify()
    return web.json_response(jobs.job_json(row), status=201)


async def _job_row(conn, job_id: int):
    return (await conn.execute(sa.select(db.jobs).where(db.jobs.c.id == job_id))).first()


async def _visible_job(request: web.Request, conn):
    """The job in the path, if the caller may see it (others' jobs are simply not found)."""
    user: Principal = request[PRINCIPAL]
    row = await _job_row(conn, request[PARAMS]["job_id"])
    if row is None or (not user.is_admin and row.user_id != user.id):
        raise not_found("job")
    return row


async def list_jobs(request: web.Request) -> web.Response:
    user: Principal = request[PRINCIPAL]
    query = sa.select(db.jobs).order_by(db.jobs.c.id.desc()).limit(500)
    if not user.is_admin:
        query = query.where(db.jobs.c.user_id == user.id)
    state = request[PARAMS].get("state")
    if state:
        query = query.where(db.jobs.c.state == state)
    async with request.app[DB].read() as conn:
        rows = (await conn.execute(query)).all()
        reasons = await online.waiting_reasons(conn, rows, request.app[CONFIG].online_seconds)
    body = [{**jobs.job_json(r), "waiting_reason": reasons.get(r.id)} for r in rows]
    return web.json_response({"jobs": body})


async def get_job(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        body = jobs.job_json(row)
        reasons = await online.waiting_reasons(conn, [row], request.app[CONFIG].online_seconds)
        body["waiting_reason"] = reasons.get(row.id)
        body["eta_seconds"] = await jobs.eta_seconds(conn, row)
        body["usage"] = await accounting.job_usage(conn, row.id)
        body["spec"] = row.spec
    return web.json_response(body)


async def list_tasks(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        tasks = await jobs.tasks_with_attempts(conn, row.id)
    return web.json_response({"tasks": tasks})


async def list_outputs(request: web.Request) -> web.Response:
    tiles = bool(request[PARAMS].get("tiles", False))
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        found = await outputs.for_job(conn, row.id, tiles)
    return web.json_response({"outputs": found})


async def list_job_events(request: web.Request) -> web.Response:
    e = db.job_events
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        events = await conn.execute(sa.select(e).where(e.c.job_id == row.id).order_by(e.c.id))
        body = [
            {"at": r.at, "from": r.from_state, "to": r.to_state, "reason": r.reason} for r in events
        ]
    return web.json_response({"events": body})


async def _act(request: web.Request, action) -> web.Response:
    try:
        async with request.app[DB].write() as conn:
            row = await _visible_job(request, conn)
            result = await action(conn, row)
            row = await _job_row(conn, row.id)
            await request.app[DB].announce_work(conn)
    except states.TransitionError as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from None
    request.app[WAKE].notify()
    body = jobs.job_json(row)
    if isinstance(result, int):
        body["affected"] = result
    return web.json_response(body)


async def pause_job(request: web.Request) -> web.Response:
    kill = bool(request[BODY].get("kill", False))
    return await _act(request, lambda conn, job: jobs.pause(conn, job, kill))


async def resume_job(request: web.Request) -> web.Response:
    return await _act(request, jobs.resume)


async def cancel_job(request: web.Request) -> web.Response:
    return await _act(request, jobs.cancel)


async def approve_job(request: web.Request) -> web.Response:
    return await _act(request, jobs.approve)


async def retry_job(request: web.Request) -> web.Response:
    task_id = request[BODY].get("task_id")
    return await _act(request, lambda conn, job: jobs.retry(conn, job, task_id))


async def update_job(request: web.Request) -> web.Response:
    priority = request[BODY]["priority"]
    return await _act(request, lambda conn, job: jobs.set_priority(conn, job, priority))


async def delete_job(request: web.Request) -> web.Response:
    try:
        async with request.app[DB].write() as conn:
            row = await _visible_job(request, conn)
            await jobs.delete(conn, row)
    except states.TransitionError as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from None
    return web.Response(status=204)


async def get_usage(request: web.Request) -> web.Response:
    user: Principal = request[PRINCIPAL]
    async with request.app[DB].read() as conn:
        usage = await accounting.user_usage(conn, None if user.is_admin else user.id)
    return web.json_response({"usage": usage})


HANDLERS = {
    f.__name__: f
    for f in (
        get_usage,
        submit_job, list_jobs, get_job, list_tasks, list_outputs, list_job_events, pause_job,
        resume_job,
        cancel_job, approve_job, retry_job, update_job, delete_job,
    )
}  # fmt: skip
