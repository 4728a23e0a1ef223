"""The dispatcher's in-memory view: the dispatching jobs, and the queued tasks held for each.

A claim is decided here, without a query in the common case: the jobs in priority order,
each with a short list of its lowest-`seq` queued tasks that this process holds.

* **Reservations.** Tasks are held by reserving them with one statement (`tasks.reserved_by`
  = this process, `reserved_until` = now + `reservation_seconds`; PostgreSQL picks the rows
  `FOR UPDATE SKIP LOCKED`, so processes reserve different tasks). A reservation is a hint,
  not a lock: once a job has nothing unreserved left, a process takes over tasks others
  reserved rather than let a worker wait, and a dead process's reservations lapse at
  `reserved_until`. Pausing, cancelling or failing a job clears them at once; the view gives
  back what it holds when a job stops dispatching and when the process stops.
* **Picking.** `pick` walks the jobs by priority then age, skips those `eligibility` says
  the worker may not take from, and takes the first held task of the first job left that the
  worker may get (only test tasks while any is pending, never a task this worker failed).
* **Behind the database.** Memory may be stale (another process paused a job or blocklisted
  a worker): the dispatcher's take re-checks in SQL, and after a refusal the view reloads.

The view is reloaded when work may have appeared (`stale`) and after a failed round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from farmhand.spec.versions import Needs
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.dispatch import eligibility
from farmhand_server.dispatch.rules import WorkerInfo, job_needs
from farmhand_server.dispatch.sql import Statements, dumps, json_value
from farmhand_server.jobs import states
from farmhand_server.store import schema as db

RESERVE_MIN, RESERVE_MAX = 16, 512  # tasks reserved per job at a time (more when more claims wait)
ANALYZE_FROM = 5000  # tasks in a job new to the view: refresh PostgreSQL's statistics first


@dataclass(slots=True)
class HeldTask:
    """A queued task this process holds (reserved, or taken over from another's reservation)."""

    id: int
    seq: int
    kind: str
    frames: list[int]
    tile: dict[str, Any] | None
    layer: int | None  # the task's layer group (farmhand.spec.plan); None for a version 1 spec
    is_test: bool
    reserved: bool  # by us: to give back if we do not hand it out
    failed_by: frozenset[int] = frozenset()  # workers that failed it since its last retry


@dataclass(slots=True)
class JobView:
    """A dispatching job as the view sees it, with the tasks it holds for it."""

    id: int
    user_id: int
    state: str
    priority: int
    test_pending: int
    ram_gb: float
    cpu_cores: int
    gpu_count: int
    gpu_memory_gb: float
    requires: Needs
    configs: frozenset[str]
    blocked: set[int]
    tasks: list[HeldTask] = field(default_factory=list)  # by seq
    exhausted: bool = False  # nothing more to reserve or take over when we last looked
    top_up: bool = False  # held from before a reload: look for lower-seq tasks (requeued) first

    def first_for(self, worker: WorkerInfo) -> int | None:
        """Index of the first held task the worker may get (`eligibility`), or None."""
        gated = self.test_pending > 0
        for i, task in enumerate(self.tasks):
            if gated and not task.is_test:
                return None  # test tasks have the lowest seq: none further on passes the gate
            if eligibility.allows_task(self, task, worker):
                return i
        return None

    def merge(self, tasks: list[HeldTask]) -> int:
        """Add tasks not held yet, keeping seq order; how many were new."""
        held = {t.id for t in self.tasks}
        new = [t for t in tasks if t.id not in held]
        if new:
            self.tasks = sorted(self.tasks + new, key=lambda t: t.seq)
        return len(new)


class View:
    """The dispatching jobs of one server process and the tasks it holds for them."""

    def __init__(self, sql: Statements, owner: str, reservation_seconds: float) -> None:
        self.owner = owner  # this process, in tasks.reserved_by
        self.stale = True  # reload before the next pick
        self.jobs: dict[int, JobView] = {}
        self._sql = sql
        self._reservation_seconds = reservation_seconds
        self._order: list[JobView] = []  # self.jobs by priority, then age
        self._static: dict[int, tuple[Needs, frozenset[str]]] = {}  # needs, configs
        self._to_return: set[int] = set()  # reservations to give back
        self._picked: set[int] = set()  # tasks picked in this round, not yet taken

    # -- picking ------------------------------------------------------------------------------

    def new_round(self) -> None:
        """Tasks picked in a round are off their lists but still queued in the database until
        the take: they must not come back through a reservation or a take-over meanwhile."""
        self._picked.clear()

    async def pick(
        self, conn: AsyncConnection, worker: WorkerInfo, demand: int
    ) -> tuple[JobView, HeldTask] | None:
        """The best held task for this worker (reserving more as needed), taken off its list.

        `demand`: how many claims are still to be decided, a hint of how many to reserve.
        """
        for job in self._order:
            if not eligibility.allows_job(job, worker):
                continue
            if job.top_up:
                await self.grow(conn, job, demand)
            i = job.first_for(worker)
            if i is None and not job.exhausted:
                await self.grow(conn, job, demand)
                i = job.first_for(worker)
            if i is not None:
                task = job.tasks.pop(i)
                self._picked.add(task.id)
                return job, task
        return None

    def refused(self, tasks: list[HeldTask]) -> None:
        """The take refused these picked tasks: those we reserved go back at the next chance."""
        self._to_return.update(t.id for t in tasks if t.reserved)

    async def grow(self, conn: AsyncConnection, job: JobView, demand: int) -> None:
        """Reserve the job's next queued tasks; with none left unreserved, take over others'."""
        now = time.time()
        params = {
            "job_id": job.id, "open": eligibility.gate_open(job), "owner": self.owner, "now": now,
            "until": now + self._reservation_seconds,
            "n": min(max(demand, RESERVE_MIN), RESERVE_MAX),
            "held": dumps([t.id for t in job.tasks] + list(self._picked)),
            "need": min(demand, RESERVE_MAX),  # taking over: no more than wait (the owner may live)
        }  # fmt: skip
        job.top_up = False
        rows = (await conn.execute(self._sql.reserve, params)).all()
        reserved = bool(rows)
        if not rows:
            rows = (await conn.execute(self._sql.take_over, params)).all()
        tasks = [
            HeldTask(
                r.id,
                r.seq,
                r.kind,
                json_value(r.frames),
                json_value(r.tile),
                r.layer,
                bool(r.is_test),
                reserved,
            )
            for r in rows
        ]
        retried = [t for t, r in zip(tasks, rows, strict=True) if r.failures]
        if retried:
            failed: dict[int, set[int]] = {}
            found = await conn.execute(
                self._sql.failed_by, {"rows": dumps([t.id for t in retried])}
            )
            for task_id, worker_id in found:
                failed.setdefault(task_id, set()).add(worker_id)
            for t in retried:
                t.failed_by = frozenset(failed.get(t.id, ()))
        if not job.merge([t for t in tasks if t.id not in self._picked]):
            job.exhausted = True

    # -- loading ------------------------------------------------------------------------------

    async def reload(self, conn: AsyncConnection) -> None:
        """Read the dispatching jobs again; give back what we hold for jobs that left them."""
        self.stale = False
        j = db.jobs
        columns = (j.c.id, j.c.user_id, j.c.state, j.c.priority, j.c.test_pending, j.c.ram_gb,
                   j.c.cpu_cores, j.c.gpu_count, j.c.gpu_memory_gb, j.c.tasks_total)  # fmt: skip
        rows = (
            await conn.execute(sa.select(*columns).where(j.c.state.in_(states.DISPATCHING)))
        ).all()
        new = [r for r in rows if r.id not in self._static]
        await self._load_static(conn, [r.id for r in new])
        if self._sql.postgres and any(r.tasks_total >= ANALYZE_FROM for r in new):
            # Statistics that know a big new job: without them PostgreSQL may take its queued
            # tasks for a handful and sort them all to reserve the first few.
            await conn.execute(sa.text("ANALYZE tasks"))
        blocked = await self._blocklists(conn)
        jobs: dict[int, JobView] = {}
        for r in rows:
            held = self.jobs.pop(r.id, None)
            if held is not None:
                # Who failed a task may have been forgiven (`liveness`): read it again.
                again = [t for t in held.tasks if t.failed_by]
                if again:
                    self._to_return.update(t.id for t in again if t.reserved)
                    held.tasks = [t for t in held.tasks if not t.failed_by]
            requires, configs = self._static[r.id]
            jobs[r.id] = JobView(
                r.id,
                r.user_id,
                r.state,
                r.priority,
                r.test_pending,
                r.ram_gb,
                r.cpu_cores,
                r.gpu_count,
                r.gpu_memory_gb,
                requires,
                configs,
                blocked.get(r.id, set()),
                tasks=held.tasks if held else [],
                top_up=bool(held and held.tasks),
            )
        for gone in self.jobs.values():
            self._to_return.update(t.id for t in gone.tasks if t.reserved)
        self.jobs = jobs
        self._order = sorted(jobs.values(), key=lambda job: (-job.priority, job.id))
        self._static = {r.id: self._static[r.id] for r in rows}
        await self.give_back(conn)

    async def _load_static(self, conn: AsyncConnection, job_ids: list[int]) -> None:
        """Requirements and hardware configs of jobs new to us (they never change)."""
        if not job_ids:
            return
        for i, (keys, configs) in (await job_needs(conn, job_ids)).items():
            self._static[i] = (Needs.of(keys), frozenset(configs))

    @staticmethod
    async def _blocklists(conn: AsyncConnection) -> dict[int, set[int]]:
        """The workers each dispatching job blocklisted, by job id."""
        j, bl = db.jobs, db.blocklist
        found = await conn.execute(
            sa.select(bl.c.job_id, bl.c.worker_id)
            .join(j, j.c.id == bl.c.job_id)
            .where(j.c.state.in_(states.DISPATCHING))
        )
        blocked: dict[int, set[int]] = {}
        for job_id, worker_id in found:
            blocked.setdefault(job_id, set()).add(worker_id)
        return blocked

    # -- forgetting ---------------------------------------------------------------------------

    def forget(self) -> None:
        """Forget every job (after a failed round: memory may be wrong); reload on the next."""
        for job in self.jobs.values():
            self._to_return.update(t.id for t in job.tasks if t.reserved)
        self.jobs, self._order, self.stale = {}, [], True

    def has_to_give_back(self) -> bool:
        """Reservations wait to be given back (`give_back`)."""
        return bool(self._to_return)

    async def give_back(self, conn: AsyncConnection) -> None:
        """Clear the reservations this process no longer means to use."""
        if not self._to_return:
            return
        ids, self._to_return = sorted(self._to_return), set()
        await conn.execute(self._sql.release, {"owner": self.owner, "rows": dumps(ids)})
