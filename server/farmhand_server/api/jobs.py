"""Jobs for people: submit, list, read, and act (pause, resume, cancel, approve, retry, …)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from farmhand.spec.jobspec import validate_jobspec
from farmhand.spec.renderbus import read_task_json
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.accounts.auth import Principal
from farmhand_server.errors import ApiError, bad_request, not_found
from farmhand_server.jobs import lifecycle as jobs
from farmhand_server.jobs import listing as joblist
from farmhand_server.jobs import outputs, states, waiting
from farmhand_server.jobs.requirements import PlanError, count_tasks
from farmhand_server.keys import BODY, CONFIG, DB, PARAMS, PRINCIPAL, WAKE
from farmhand_server.reports import accounting
from farmhand_server.store import schema as db


def _looks_like_renderbus(body: dict[str, Any]) -> bool:
    return "task_info" in body or "software_config" in body or "scene_info_render" in body


async def submit_job(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    spec, warnings = await asyncio.to_thread(_checked_spec, request[BODY], config.max_tasks_per_job)
    user: Principal = request[PRINCIPAL]
    try:
        job_id = await jobs.create_job(request.app[DB], user.id, spec, config)
    except PlanError as exc:
        raise bad_request(str(exc)) from None
    except jobs.MissingBlobs as exc:
        raise ApiError(
            424,
            "missing_blobs",
            f"upload {len(exc.keys)} missing blob(s) first",
            {"missing": exc.keys},
        ) from None
    async with request.app[DB].read() as conn:
        row = await _job_row(conn, job_id)
    request.app[WAKE].notify()
    return web.json_response({**jobs.job_json(row), "warnings": warnings}, status=201)


def _checked_spec(body: dict[str, Any], max_tasks: int) -> tuple[dict[str, Any], list[str]]:
    """The JobSpec of a submission, checked and its tasks counted (CPU work: run in a thread);
    and the warnings of reading it (a Renderbus task.json's interpretations, else none).

    The count comes first: a spec of billions of tasks is refused before the full check
    walks its frames; one too malformed to count is left to that check.
    """
    warnings: list[str] = []
    if _looks_like_renderbus(body):
        try:
            spec, warnings = (read := read_task_json(body)).spec, read.warnings
        except ValueError as exc:
            raise bad_request(f"task.json: {exc}") from None
    else:
        spec = body
    with contextlib.suppress(PlanError, LookupError, TypeError, ValueError, AttributeError):
        _check_count(count_tasks(spec), max_tasks)
    problems = validate_jobspec(spec)
    if problems:
        raise bad_request(f"job spec: {problems[0]}", problems[:20])
    try:
        _check_count(count_tasks(spec), max_tasks)
    except PlanError as exc:
        raise bad_request(str(exc)) from None
    return spec, warnings


def _check_count(count: int, max_tasks: int) -> None:
    if count > max_tasks:
        raise ApiError(
            422,
            "too_many_tasks",
            f"the job would have {count:,} tasks; one job may have at most {max_tasks:,} "
            "(fewer frames, fewer tiles or more frames_per_task)",
            {"tasks": count, "max_tasks_per_job": max_tasks},
        )


async def _job_row(conn: AsyncConnection, job_id: int) -> sa.Row[Any] | None:
    return (await conn.execute(sa.select(db.jobs).where(db.jobs.c.id == job_id))).first()


async def _visible_job(request: web.Request, conn: AsyncConnection) -> sa.Row[Any]:
    """The job in the path, if the caller may see it (others' jobs are simply not found)."""
    user: Principal = request[PRINCIPAL]
    row = await _job_row(conn, request[PARAMS]["job_id"])
    if row is None or (not user.is_admin and row.user_id != user.id):
        raise not_found("job")
    return row


async def list_jobs(request: web.Request) -> web.Response:
    user: Principal = request[PRINCIPAL]
    params = request[PARAMS]
    limit = params.get("limit", 500)
    query = joblist.jobs_query(params, None if user.is_admin else user.id, limit)
    async with request.app[DB].read() as conn:
        rows = (await conn.execute(query)).all()
        rows = rows[: limit + 1]
        following = rows[limit - 1].id if len(rows) > limit else None
        rows = rows[:limit]
        reasons = await waiting.job_reasons(conn, rows, request.app[CONFIG].online_seconds)
        running = await jobs.running_progress(conn, [r.id for r in rows])
        eta = await joblist.etas(conn, rows)
    body = [
        {
            **jobs.job_json(r, running.get(r.id, 0.0)),
            "waiting_reason": reasons.get(r.id),
            "eta_seconds": eta.get(r.id),
        }
        for r in rows
    ]
    more = params.get("offset", 0) + limit if following is not None else None
    return web.json_response({"jobs": body, "next": following, "next_offset": more})


async def get_job(request: web.Request) -> web.Response:
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        running = await jobs.running_progress(conn, [row.id])
        body = jobs.job_json(row, running.get(row.id, 0.0))
        reasons = await waiting.job_reasons(conn, [row], request.app[CONFIG].online_seconds)
        body["waiting_reason"] = reasons.get(row.id)
        body["state_reason"] = await jobs.state_reason(conn, row.id)
        body["eta_seconds"] = await jobs.eta_seconds(conn, row)
        body["usage"] = await accounting.job_usage(conn, row.id)
        body["spec"] = row.spec
    return web.json_response(body)


async def list_tasks(request: web.Request) -> web.Response:
    params = request[PARAMS]
    limit = params.get("limit", 1000)
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        tasks = await jobs.tasks_with_attempts(conn, row.id, limit + 1, params.get("after"))
        following = tasks[limit - 1]["seq"] if len(tasks) > limit else None
        tasks = tasks[:limit]
        retried = {t["id"]: t.pop("retried_at") for t in tasks}
        reasons = await waiting.task_reasons(
            conn, row, tasks, retried, request.app[CONFIG].online_seconds
        )
    for task in tasks:
        task["waiting_reason"] = reasons.get(task["id"])
    return web.json_response({"tasks": tasks, "next": following})


async def list_outputs(request: web.Request) -> web.Response:
    params = request[PARAMS]
    try:
        after = outputs.parse_cursor(params["after"]) if "after" in params else None
    except ValueError:
        raise bad_request("query after: not a cursor this listing handed out") from None
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        found, following = await outputs.for_job(
            conn, row.id, bool(params.get("tiles", False)), params.get("limit", 1000), after
        )
    return web.json_response({"outputs": found, "next": following})


async def list_job_events(request: web.Request) -> web.Response:
    e = db.job_events
    async with request.app[DB].read() as conn:
        row = await _visible_job(request, conn)
        events = await conn.execute(sa.select(e).where(e.c.job_id == row.id).order_by(e.c.id))
        body = [
            {"at": r.at, "from": r.from_state, "to": r.to_state, "reason": r.reason} for r in events
        ]
    return web.json_response({"events": body})


async def _act(
    request: web.Request, action: Callable[[AsyncConnection, sa.Row[Any]], Awaitable[Any]]
) -> web.Response:
    try:
        async with request.app[DB].write() as conn:
            row = await _visible_job(request, conn)
            result = await action(conn, row)
            after = await _job_row(conn, row.id)
            await request.app[DB].announce_work(conn)
    except states.TransitionError as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from None
    request.app[WAKE].notify()
    body = jobs.job_json(after)
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
    body = request[BODY]
    wanted = list(body.get("task_ids") or [])
    if "task_id" in body:
        wanted.append(body["task_id"])
    task_ids = list(dict.fromkeys(wanted)) or None
    return await _act(request, lambda conn, job: jobs.retry(conn, job, task_ids))


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
        submit_job,
        list_jobs,
        get_job,
        list_tasks,
        list_outputs,
        list_job_events,
        pause_job,
        resume_job,
        cancel_job,
        approve_job,
        retry_job,
        update_job,
        delete_job,
    )
}
