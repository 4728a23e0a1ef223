"""One round's transaction: what its completions, claims and heartbeats write, set-based.

The request queue (`queue`) collects the requests of a round and opens its transaction;
`RoundWriter.write` writes them all with a handful of statements (`sql`) and says in an
`Outcome` what each gets back. In one transaction, in this order:

1. **Completions**: the attempts end, their tasks are done, their jobs counted and settled; a
   refused completion (not the worker's attempt any more, an output refused) leaves the others.
2. **Claims**, after the completions (they may use what those released): tasks are picked
   from the in-memory view (`view`) and taken by an UPDATE whose guard (`eligibility`)
   re-checks what memory may have wrong; refused picks make the view reload and pick again.
3. **Heartbeats**, last: they lock attempt rows but no job (see `complete`).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.dispatch.rules import (
    RUNNING,
    Assignment,
    JobCache,
    StaleAttempt,
    WorkerInfo,
    release_assembly,
    settle,
)
from farmhand_server.dispatch.sql import Statements, dumps, json_value
from farmhand_server.dispatch.view import HeldTask, JobView, View
from farmhand_server.errors import ApiError
from farmhand_server.jobs import outputs, states

PICK_TRIES = 3  # picks refused by the take's guard: reload and pick again this many times


@dataclass(eq=False, slots=True)
class Claim:
    """A worker asking for its next task."""

    worker: WorkerInfo
    future: asyncio.Future[Assignment | None]
    park: bool  # a long-poll: wait for work when there is none
    idle_if_none: bool = False  # `next` after a completion: the worker is idle if nothing comes
    withdrawn: bool = False  # its long-poll ended while a round was deciding it


@dataclass(eq=False, slots=True)
class Completion:
    """A worker reporting an attempt done, with the files it produced."""

    worker_id: int
    attempt_id: int
    peak_memory_mb: float | None
    files: list[dict[str, Any]]  # outputs to register (`outputs.record`)
    future: asyncio.Future[None]
    then: Claim | None  # `next`: claim again once this is recorded


@dataclass(eq=False, slots=True)
class Beat:
    """A worker renewing its lease on an attempt."""

    worker_id: int
    attempt_id: int
    progress: float | None
    future: asyncio.Future[float]  # the new lease expiry; StaleAttempt if not the worker's


@dataclass(slots=True)
class Outcome:
    """What a round decided for each of its requests (by `id()` of the request)."""

    refused: dict[int, Exception] = field(default_factory=dict)  # completions refused
    leases: dict[int, float] = field(default_factory=dict)  # heartbeats renewed: the expiry
    assignments: dict[int, Assignment] = field(default_factory=dict)  # claims answered
    new_work: bool = False  # tasks became dispatchable: other claims may look again


class RoundWriter:
    """Writes the requests of a round inside the transaction the queue opened."""

    def __init__(self, sql: Statements, view: View, config: Config, job_cache: JobCache) -> None:
        self._sql = sql
        self._view = view
        self._config = config
        self._job_cache = job_cache

    # -- completions --------------------------------------------------------------------------

    async def complete(
        self, conn: AsyncConnection, ops: list[Completion], now: float, outcome: Outcome
    ) -> None:
        """End the attempts reported done and everything that follows from it."""
        recording = await self._record_outputs(conn, ops, outcome)
        if not recording:
            return
        sql = self._sql
        if sql.lock_jobs is not None:
            # Their jobs first, in id order, as job actions lock them before their attempts: no
            # deadlock with a pause or with another process's round.
            ids = dumps([c.attempt_id for c in recording])
            await conn.execute(sql.lock_jobs, {"rows": ids})
        rows = [[c.attempt_id, c.worker_id, c.peak_memory_mb] for c in recording]
        ended = (await conn.execute(sql.end_attempts, {"now": now, "rows": dumps(rows)})).all()
        finished = {(r[0], r[1]): r[2] for r in ended}  # (attempt, worker) → task
        ok: list[Completion] = []
        for c in recording:
            if finished.pop((c.attempt_id, c.worker_id), None) is None:
                outcome.refused[id(c)] = StaleAttempt(c.attempt_id)  # not running, not its own
            else:
                ok.append(c)
        if not ok:
            return
        task_ids = [r[2] for r in ended]
        tasks = (await conn.execute(sql.finish_tasks, {"now": now, "rows": dumps(task_ids)})).all()
        done: Counter[int] = Counter()
        tests: Counter[int] = Counter()
        for t in tasks:
            done[t.job_id] += 1
            tests[t.job_id] += 1 if t.is_test else 0
        counts = [[job_id, n, tests[job_id]] for job_id, n in sorted(done.items())]
        jobs = (await conn.execute(sql.count_done, {"now": now, "rows": dumps(counts)})).all()
        owners = {j.id: j.user_id for j in jobs}
        events = [
            [
                t.job_id,
                owners.get(t.job_id),
                {
                    "job_id": t.job_id,
                    "task_id": t.id,
                    "state": "done",
                    "frames": json_value(t.frames),
                },
            ]
            for t in tasks
        ]
        await conn.execute(sql.add_events, {"now": now, "rows": dumps(events)})
        idle = [c.worker_id for c in ok if c.then is None]
        if idle:
            await conn.execute(sql.idle_workers, {"now": now, "rows": dumps(idle)})
        for t in tasks:
            if t.kind == "tile" and await release_assembly(
                conn, t.job_id, json_value(t.frames), t.layer
            ):
                outcome.new_work = True
        for j in jobs:
            if (view := self._view.jobs.get(j.id)) is not None:
                view.test_pending = j.test_pending
            if tests[j.id] and j.test_pending == 0 and not j.stop_after_test:
                outcome.new_work = True  # the test gate opened
            if j.tasks_done + j.tasks_failed >= j.tasks_total or (
                j.stop_after_test and j.test_pending == 0 and not j.approved
            ):
                self._view.stale = True  # it may leave the dispatching jobs now
            await settle(conn, j.id, j)

    @staticmethod
    async def _record_outputs(
        conn: AsyncConnection, ops: list[Completion], outcome: Outcome
    ) -> list[Completion]:
        """Register each completion's files; the completions left to record (not refused)."""
        recording: list[Completion] = []
        seen: set[tuple[int, int]] = set()
        for c in ops:
            key = (c.attempt_id, c.worker_id)
            if key in seen:  # the same report twice in one round: the second comes too late
                outcome.refused[id(c)] = StaleAttempt(c.attempt_id)
                continue
            if c.files:
                # Checked before anything is written for it: a refusal leaves the round intact.
                try:
                    await outputs.record(conn, c.worker_id, c.attempt_id, c.files)
                except (ApiError, StaleAttempt) as exc:
                    outcome.refused[id(c)] = exc
                    continue
            seen.add(key)
            recording.append(c)
        return recording

    # -- heartbeats ---------------------------------------------------------------------------

    async def renew(self, conn: AsyncConnection, beats: list[Beat], outcome: Outcome) -> None:
        """Extend the leases of the attempts still running on the worker that beats for them."""
        now = time.time()
        lease = now + self._config.lease_seconds
        rows = dumps([[b.attempt_id, b.worker_id, b.progress] for b in beats])
        renewed = {
            (r[0], r[1])
            for r in await conn.execute(self._sql.renew, {"lease": lease, "rows": rows})
        }
        seen = sorted({worker_id for _, worker_id in renewed})
        if seen:
            await conn.execute(self._sql.seen_workers, {"now": now, "rows": dumps(seen)})
        for b in beats:
            if (b.attempt_id, b.worker_id) in renewed:
                outcome.leases[id(b)] = lease

    # -- claims -------------------------------------------------------------------------------

    async def assign(self, conn: AsyncConnection, claims: list[Claim], outcome: Outcome) -> None:
        """Hand each claim a task if one fits: picked in memory, taken by a guarded UPDATE."""
        pending = [c for c in claims if not (c.withdrawn and c.park)]
        won: list[tuple[Claim, JobView, HeldTask]] = []
        idle: list[int] = []
        now = time.time()
        self._view.new_round()
        for _ in range(PICK_TRIES):
            picks = []
            for i, claim in enumerate(pending):
                picked = await self._view.pick(conn, claim.worker, len(pending) - i)
                if picked is not None:
                    picks.append((claim, *picked))
                elif claim.idle_if_none:
                    idle.append(claim.worker.id)
            if not picks:
                break
            rows = [[task.id, claim.worker.id] for claim, _, task in picks]
            # Read the clock now: a task another transaction just requeued was ended before.
            now = time.time()
            taken = await conn.execute(self._sql.take, {"now": now, "rows": dumps(rows)})
            taken_ids = {r[0] for r in taken}
            won += [p for p in picks if p[2].id in taken_ids]
            pending = [claim for claim, _, task in picks if task.id not in taken_ids]
            if not pending:
                break
            # Refused ones we reserved may still be queued (a worker-specific guard): give back.
            self._view.refused([t for _, _, t in picks if t.id not in taken_ids])
            # Memory was behind the database (another process, a change not heard of yet).
            await self._view.reload(conn)
        else:
            idle += [c.worker.id for c in pending if c.idle_if_none]
        if idle:
            await conn.execute(self._sql.idle_workers, {"now": now, "rows": dumps(idle)})
        if won:
            await self._record_taken(conn, won, now, outcome)

    async def _record_taken(
        self,
        conn: AsyncConnection,
        won: list[tuple[Claim, JobView, HeldTask]],
        now: float,
        outcome: Outcome,
    ) -> None:
        """Attempts, job and worker states and events for the tasks just taken."""
        sql, lease = self._sql, now + self._config.lease_seconds
        rows = [[task.id, claim.worker.id, claim.worker.cpu_cores] for claim, _, task in won]
        params = {"now": now, "lease": lease, "rows": dumps(rows)}
        made = await conn.execute(sql.add_attempts, params)
        attempt_of = {task_id: attempt_id for attempt_id, task_id in made}
        for job in {id(j): j for _, j, _ in won}.values():
            if job.state == states.QUEUED:
                reason = "first task dispatched"
                await states.move(conn, job.id, states.QUEUED, states.RENDERING, reason)
                job.state = states.RENDERING
        workers = dumps([claim.worker.id for claim, _, _ in won])
        await conn.execute(sql.busy_workers, {"now": now, "rows": workers})
        events = [
            [
                job.id,
                job.user_id,
                {
                    "job_id": job.id,
                    "task_id": task.id,
                    "state": RUNNING,
                    "frames": task.frames,
                    "worker_id": claim.worker.id,
                },
            ]
            for claim, job, task in won
        ]
        await conn.execute(sql.add_events, {"now": now, "rows": dumps(events)})
        for claim, job, task in won:
            body = {"id": task.id, "kind": task.kind, "frames": task.frames, "tile": task.tile,
                    "layer": task.layer, "is_test": task.is_test, "seq": task.seq}  # fmt: skip
            if task.kind == "assemble":
                body["inputs"] = await outputs.tile_inputs(conn, job.id, task.frames[0], task.layer)
            outcome.assignments[id(claim)] = Assignment(
                attempt_id=attempt_of[task.id],
                task=body,
                job=await self._job_cache.get(conn, job.id),
                lease_expires=lease,
            )
