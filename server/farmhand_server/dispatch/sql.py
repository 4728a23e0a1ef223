"""The SQL of the dispatcher's rounds: set-based statements over rows sent as one JSON value.

A round writes the claims, completions and heartbeats of many requests with a handful of
statements: the rows travel as one JSON array parameter (`:rows`) that `Statements.rows`
turns into a derived table with typed columns, on SQLite (`json_each`) and PostgreSQL
(`json_array_elements`) alike. Owns those statements, the JSON helpers for their rows and
what counts as a round worth trying again (`retriable`). Which task a worker may get is not
written here: the take's guard comes from `eligibility`.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from farmhand_server.dispatch import eligibility
from farmhand_server.dispatch.rules import RUNNING


class Statements:
    """The set-based statements of a round, for one engine.

    Rows travel as one JSON array parameter (`:rows`) and come out of `rows()` as a derived
    table with typed columns and `ord`, their position.
    """

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        rows = self.rows
        self.end_attempts = sa.text(f"""
            UPDATE attempts SET state = 'done', ended_at = :now, exit_code = 0, message = '',
                peak_memory_mb = v.peak, lease_expires = NULL
            FROM {rows(attempt_id="int", worker_id="int", peak="float")} AS v
            WHERE attempts.id = v.attempt_id AND attempts.worker_id = v.worker_id
                AND attempts.state = '{RUNNING}'
            RETURNING attempts.id, attempts.worker_id, attempts.task_id""")
        self.finish_tasks = sa.text(f"""
            UPDATE tasks SET state = 'done', updated_at = :now
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v)
            RETURNING id, job_id, is_test, kind, frames, layer""")
        self.lock_jobs = (
            sa.text(f"""
            SELECT id FROM jobs WHERE id IN (
                SELECT t.job_id FROM attempts a JOIN tasks t ON t.id = a.task_id
                WHERE a.id IN (SELECT v.id FROM {rows(id="int")} AS v))
            ORDER BY id FOR NO KEY UPDATE""")
            if postgres
            else None
        )
        self.count_done = sa.text(f"""
            UPDATE jobs SET tasks_done = tasks_done + v.n, test_pending = test_pending - v.tests,
                updated_at = :now
            FROM {rows(job_id="int", n="int", tests="int")} AS v
            WHERE jobs.id = v.job_id
            RETURNING jobs.id, jobs.user_id, jobs.state, jobs.tasks_done, jobs.tasks_failed,
                jobs.tasks_total, jobs.test_pending, jobs.stop_after_test, jobs.approved""")
        self.add_events = sa.text(f"""
            INSERT INTO events (at, kind, user_id, job_id, data)
            SELECT CAST(:now AS double precision), 'task', v.user_id, v.job_id, v.data
            FROM {rows(job_id="int", user_id="int", data="json")} AS v ORDER BY v.ord""")
        self.idle_workers = sa.text(f"""
            UPDATE workers SET state = 'idle', last_seen = :now
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v)
                AND NOT EXISTS (SELECT 1 FROM attempts a
                                WHERE a.worker_id = workers.id AND a.state = '{RUNNING}')""")
        self.renew = sa.text(f"""
            UPDATE attempts SET lease_expires = :lease,
                progress = COALESCE(v.progress, attempts.progress)
            FROM {rows(attempt_id="int", worker_id="int", progress="float")} AS v
            WHERE attempts.id = v.attempt_id AND attempts.worker_id = v.worker_id
                AND attempts.state = '{RUNNING}'
            RETURNING attempts.id, attempts.worker_id""")
        self.seen_workers = sa.text(f"""
            UPDATE workers SET last_seen = :now
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v)""")
        self.busy_workers = sa.text(f"""
            UPDATE workers SET state = 'busy', last_seen = :now
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v)""")
        lock = "FOR UPDATE SKIP LOCKED" if postgres else ""
        # Reserving: a job's lowest-seq queued tasks, only test ones while `:open` (the view's
        # `eligibility.gate_open`) is false; what a worker may get is decided on them later.
        self.reserve = sa.text(f"""
            UPDATE tasks SET reserved_by = :owner, reserved_until = :until
            WHERE id IN (
                SELECT id FROM tasks
                WHERE job_id = :job_id AND state = 'queued' AND (is_test OR :open)
                    AND (reserved_until IS NULL OR reserved_until < :now)
                    AND id NOT IN (SELECT v.id FROM {rows("held", id="int")} AS v)
                ORDER BY seq LIMIT :n {lock})
            RETURNING id, seq, kind, frames, tile, layer, is_test, failures""")
        self.take_over = sa.text(f"""
            SELECT id, seq, kind, frames, tile, layer, is_test, failures FROM tasks
            WHERE job_id = :job_id AND state = 'queued' AND (is_test OR :open)
                AND id NOT IN (SELECT v.id FROM {rows("held", id="int")} AS v)
            ORDER BY seq LIMIT :need""")
        self.failed_by = sa.text(f"""
            SELECT a.task_id, a.worker_id FROM attempts a JOIN tasks t ON t.id = a.task_id
            WHERE a.task_id IN (SELECT v.id FROM {rows(id="int")} AS v)
                AND {eligibility.FAILED_SINCE_RETRY.format(t="t")}""")
        self.release = sa.text(f"""
            UPDATE tasks SET reserved_by = NULL, reserved_until = NULL
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v) AND reserved_by = :owner""")
        # Handing out: every condition memory may have wrong is checked again, row by row.
        self.take = sa.text(f"""
            UPDATE tasks SET state = '{RUNNING}', updated_at = :now, reserved_by = NULL,
                reserved_until = NULL
            FROM {rows(task_id="int", worker_id="int")} AS v
            WHERE tasks.id = v.task_id AND {eligibility.guard("tasks", "v.worker_id")}
            RETURNING tasks.id""")
        self.add_attempts = sa.text(f"""
            INSERT INTO attempts (task_id, worker_id, state, lease_expires, started_at, cores,
                                  message)
            SELECT v.task_id, v.worker_id, '{RUNNING}', CAST(:lease AS double precision),
                CAST(:now AS double precision), v.cores, ''
            FROM {rows(task_id="int", worker_id="int", cores="int")} AS v ORDER BY v.ord
            RETURNING id, task_id""")

    def rows(self, param: str = "rows", **columns: str) -> str:
        """A derived table of the JSON array bound to `:param`: arrays of the named columns
        (or, for one column, a flat array of its values), typed "int", "float" or "json",
        plus `ord`, the row's position."""
        single = len(columns) == 1
        select = []
        for i, (name, kind) in enumerate(columns.items()):
            if not self.postgres:
                select.append(f"json_extract(e.value, '{'$' if single else f'$[{i}]'}') AS {name}")
            elif kind == "json":
                select.append(f"(e.value -> {i}) AS {name}")
            else:
                text = "e.value #>> '{}'" if single else f"e.value ->> {i}"
                select.append(f"CAST({text} AS {_PG_TYPES[kind]}) AS {name}")
        if self.postgres:
            return (
                f"(SELECT {', '.join(select)}, e.ord FROM json_array_elements("
                f"CAST(:{param} AS json)) WITH ORDINALITY AS e(value, ord))"
            )
        return f"(SELECT {', '.join(select)}, e.key AS ord FROM json_each(:{param}) AS e)"


_PG_TYPES = {"int": "bigint", "float": "double precision"}


def dumps(rows: list[Any]) -> str:
    """Rows as the one JSON parameter of a statement."""
    return json.dumps(rows, separators=(",", ":"))


def json_value(value: Any) -> Any:
    """A JSON column's value: drivers hand over text (SQLite) or the parsed value (asyncpg)."""
    return json.loads(value) if isinstance(value, str) else value


def retriable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a busy database (SQLite)."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)
