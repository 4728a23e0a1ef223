"""The query behind `GET /jobs`: sorted and searched across all the caller's jobs, in pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from farmhand_server.errors import bad_request
from farmhand_server.jobs import states
from farmhand_server.store import schema as db

SEARCH_MAX = 100  # characters of `q`; openapi.yaml says the same

# `sort=` names a column from this allowlist, never a column the client spells.
SORT_COLUMNS = {
    "id": db.jobs.c.id,
    "priority": db.jobs.c.priority,
    "name": sa.func.lower(db.jobs.c.name),
    "owner": sa.func.lower(db.users.c.name),
    "state": db.jobs.c.state,
    "submitted": db.jobs.c.created_at,
}


def jobs_query(params: dict[str, Any], user_id: int | None, limit: int) -> sa.Select:
    """The jobs of `user_id` (everyone's for None) matching `params`, one page plus one row.

    `before` (an id cursor) pages the default order, newest first; any other order pages by
    `offset`. Ties in the chosen column fall back to the id in the same direction, so every
    page is stable.
    """
    j, u = db.jobs, db.users
    sort = params.get("sort", "id")
    descending = params.get("order", "desc") == "desc"
    column = SORT_COLUMNS[sort]
    query = sa.select(j).select_from(j.join(u, u.c.id == j.c.user_id))
    if user_id is not None:
        query = query.where(j.c.user_id == user_id)
    if state := params.get("state"):
        query = query.where(j.c.state == state)
    if (before := params.get("before")) is not None:
        if sort != "id" or not descending:
            raise bad_request("query before: pages only the default order (sort=id, order=desc)")
        query = query.where(j.c.id < before)
    if text := params.get("q", "").strip().lower():
        query = query.where(
            sa.or_(
                sa.func.lower(j.c.name).contains(text, autoescape=True),
                sa.func.lower(u.c.name).contains(text, autoescape=True),
            )
        )
    keys = (column, j.c.id) if sort != "id" else (column,)
    query = query.order_by(*(k.desc() if descending else k.asc() for k in keys))
    return query.offset(params.get("offset", 0)).limit(limit + 1)


async def etas(conn: Any, rows: Sequence[Any]) -> dict[int, float | None]:
    """Time left of each listed job still to render, in one query for the whole page.

    The mean duration of its finished tasks times the tasks left, over the workers busy on it
    (the job page's ETA takes the median, which SQL cannot give cheaply for a page of jobs).
    None where nothing has finished yet or the job is not rendering by rule.
    """
    live = [r for r in rows if r.state in states.DISPATCHING]
    if not live:
        return {}
    a, t = db.attempts, db.tasks
    done = a.c.state == "done"
    query = (
        sa.select(
            t.c.job_id,
            sa.func.avg(sa.case((done, a.c.ended_at - a.c.started_at))).label("mean"),
            sa.func.sum(sa.case((a.c.state == "running", 1), else_=0)).label("running"),
        )
        .join(t, t.c.id == a.c.task_id)
        .where(t.c.job_id.in_([r.id for r in live]), a.c.state.in_(("done", "running")))
        .group_by(t.c.job_id)
    )
    found = {r.job_id: r for r in await conn.execute(query)}
    result: dict[int, float | None] = {}
    for row in live:
        left = row.tasks_total - row.tasks_done - row.tasks_failed
        got = found.get(row.id)
        if left <= 0:
            result[row.id] = 0.0
        elif got is None or got.mean is None:
            result[row.id] = None
        else:
            result[row.id] = float(got.mean) * left / max(int(got.running or 0), 1)
    return result
