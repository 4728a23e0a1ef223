"""The dispatcher: hands tasks to workers from memory and writes claims and completions in batches.

One claim used to be an eligibility query plus half a dozen statements in a transaction of
its own, and one completion as many again: a few milliseconds of server CPU per task. Here,
per server process:

* **Reservations.** For each dispatching job the process holds a short list of the job's
  lowest-`seq` queued tasks, reserved with one statement (`tasks.reserved_by` = this process,
  `reserved_until` = now + `reservation_seconds`; PostgreSQL picks the rows `FOR UPDATE SKIP
  LOCKED`, so processes reserve different tasks). A reservation is a hint, not a lock: once a
  job has nothing unreserved left, a process takes over tasks others reserved rather than let
  a worker wait, and a dead process's reservations lapse at `reserved_until`. Pausing,
  cancelling or failing a job clears them at once; a process gives back what it holds when a
  job stops dispatching and when it stops.
* **Picking in memory.** A claim walks the dispatching jobs by priority then age, skips those
  whose needs the worker does not meet (RAM, cores, GPUs, software, tags, hardware configs)
  or that blocklisted it, and takes the first held task of the first job left: only test
  tasks while any is pending, never a task this worker failed.
* **Group commit.** Claims, completions and heartbeats queue up; one transaction per round
  writes all of them with a handful of set-based statements (the rows travel as one JSON
  parameter), and every request of the round is answered after it commits. Under load a
  round carries many requests; alone, a request waits for one short transaction, as before.
* **The database has the last word.** Memory can be behind (another process paused a job or
  blocklisted a worker): handing out a task is an UPDATE guarded by all of it (the task is
  still queued, its job dispatching and past the test gate, the worker neither blocklisted
  nor a past failure of the task). A task the guard refuses is dropped and the view reloaded.

The view of dispatching jobs is reloaded when work may have appeared (`work_changed`: a job
submitted or acted on, a task requeued, here or, through PostgreSQL NOTIFY, in another
process) and every `RECHECK_SECONDS` while long-polls wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from farmhand.spec.versions import Needs
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.dispatch.rules import (
    RUNNING,
    WORKER_FAILED,
    Assignment,
    JobCache,
    StaleAttempt,
    WorkerInfo,
    job_needs,
    release_assembly,
    settle,
)
from farmhand_server.errors import ApiError
from farmhand_server.jobs import outputs, states
from farmhand_server.store import schema as db
from farmhand_server.store.database import Database, hold_dispatch

log = logging.getLogger("farmhand.server")

RESERVE_MIN, RESERVE_MAX = 16, 512  # tasks reserved per job at a time (more when more claims wait)
RECHECK_SECONDS = 10.0  # waiting long-polls look again at least this often, woken or not
ANALYZE_FROM = 5000  # tasks in a job new to the view: refresh PostgreSQL's statistics first
_ROUND_TRIES = 3  # a round that hits a deadlock or a busy database is tried again


@dataclass(slots=True)
class _Task:
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
class _Job:
    """A dispatching job as the dispatcher sees it, with the tasks it holds for it."""

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
    tasks: list[_Task] = field(default_factory=list)  # by seq
    exhausted: bool = False  # nothing more to reserve or take over when we last looked
    top_up: bool = False  # held from before a reload: look for lower-seq tasks (requeued) first

    def accepts(self, worker: WorkerInfo) -> bool:
        return (
            self.ram_gb <= worker.ram_gb
            and self.cpu_cores <= worker.cpu_cores
            and self.gpu_count <= worker.gpu_count
            and self.gpu_memory_gb <= worker.gpu_memory_gb
            and worker.id not in self.blocked
            and self.requires.met_by(worker.offers)
            and (not self.configs or worker.hardware_config_id in self.configs)
        )

    def first_for(self, worker_id: int) -> int | None:
        """Index of the first held task this worker may take, or None."""
        gated = self.test_pending > 0
        for i, task in enumerate(self.tasks):
            if gated and not task.is_test:
                return None  # test tasks have the lowest seq: none further on
            if worker_id not in task.failed_by:
                return i
        return None

    def merge(self, tasks: list[_Task]) -> int:
        """Add tasks not held yet, keeping seq order; how many were new."""
        held = {t.id for t in self.tasks}
        new = [t for t in tasks if t.id not in held]
        if new:
            self.tasks = sorted(self.tasks + new, key=lambda t: t.seq)
        return len(new)


@dataclass(eq=False, slots=True)
class _Claim:
    worker: WorkerInfo
    future: asyncio.Future[Assignment | None]
    park: bool  # a long-poll: wait for work when there is none
    idle_if_none: bool = False  # `next` after a completion: the worker is idle if nothing comes
    withdrawn: bool = False  # its long-poll ended while a round was deciding it


@dataclass(eq=False, slots=True)
class _Completion:
    worker_id: int
    attempt_id: int
    peak_memory_mb: float | None
    files: list[dict[str, Any]]  # outputs to register (`outputs.record`)
    future: asyncio.Future[None]
    then: _Claim | None  # `next`: claim again once this is recorded


@dataclass(eq=False, slots=True)
class _Beat:
    worker_id: int
    attempt_id: int
    progress: float | None
    future: asyncio.Future[float]  # the new lease expiry; StaleAttempt if not the worker's


@dataclass(slots=True)
class _Outcome:
    refused: dict[int, Exception] = field(default_factory=dict)  # by id of the _Completion
    leases: dict[int, float] = field(default_factory=dict)  # by id of the _Beat renewed
    assignments: dict[int, Assignment] = field(default_factory=dict)  # by id of the _Claim
    new_work: bool = False


class Dispatcher:
    """Claims, completions and reservations of one server process (see the module docstring).

    `start()` once the database is open; `stop()` before it closes.
    """

    def __init__(self, database: Database, config: Config, job_cache: JobCache) -> None:
        self.owner = uuid.uuid4().hex  # this process, in tasks.reserved_by
        self._db = database
        self._config = config
        self._job_cache = job_cache
        self._sql = _Statements(database.is_postgres)
        self._jobs: dict[int, _Job] = {}
        self._order: list[_Job] = []  # self._jobs by priority, then age
        self._static: dict[int, tuple[Needs, frozenset[str]]] = {}  # needs, configs
        self._stale = True
        self._claims: list[_Claim] = []
        self._completions: list[_Completion] = []
        self._beats: list[_Beat] = []
        self._parked: dict[_Claim, None] = {}  # long-polls with nothing to do, oldest first
        self._retry_parked = False
        self._to_return: set[int] = set()  # reservations to give back in the next round
        self._picked: set[int] = set()  # tasks picked in this round, not yet taken
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._busy = False  # a round is in progress
        self._stopping = False

    # -- what request handlers call -------------------------------------------------------------

    def start(self) -> None:
        """Begin processing rounds (on the running event loop)."""
        self._runner = asyncio.create_task(self._run(), name="farmhand-dispatcher")

    async def claim(self, worker: WorkerInfo, wait: float) -> Assignment | None:
        """The worker's next task, waiting up to `wait` seconds for one to appear; None if none."""
        claim = _Claim(worker, asyncio.get_running_loop().create_future(), wait > 0)
        self._claims.append(claim)
        self._wake.set()
        if not claim.park:
            return await claim.future
        try:
            done, _ = await asyncio.wait((claim.future,), timeout=wait)
        except asyncio.CancelledError:
            self._withdraw(claim)
            raise
        if not done:
            self._withdraw(claim)
        return await claim.future

    def _withdraw(self, claim: _Claim) -> None:
        """A long-poll ends: answer nothing now, unless a round is deciding it (that answers)."""
        claim.withdrawn = True
        if self._parked.pop(claim, 0) is None or _remove(self._claims, claim):
            _answer(claim.future, None)

    async def complete(
        self,
        worker: WorkerInfo,
        attempt_id: int,
        peak_memory_mb: float | None,
        files: list[dict[str, Any]],
        then_claim: bool,
    ) -> Assignment | None:
        """Record a finished attempt and its output files.

        Raises StaleAttempt if it is no longer the worker's, and
        the ApiError of `outputs.check_files` or `outputs.record` for files it refuses. With
        `then_claim`, also the worker's next task (None when there is none: it is idle).
        """
        outputs.check_files(files)  # before the round: a bad name must not fail the others
        loop = asyncio.get_running_loop()
        then = _Claim(worker, loop.create_future(), False, True) if then_claim else None
        done = _Completion(worker.id, attempt_id, peak_memory_mb, files, loop.create_future(), then)
        self._completions.append(done)
        self._wake.set()
        await done.future
        return await then.future if then is not None else None

    async def heartbeat(self, worker_id: int, attempt_id: int, progress: float | None) -> float:
        """Renew the worker's lease on an attempt (and record its progress); the new expiry.

        Raises StaleAttempt if the attempt is no longer the worker's (lease lost, killed,
        cancelled, finished): it must stop.
        """
        beat = _Beat(worker_id, attempt_id, progress, asyncio.get_running_loop().create_future())
        self._beats.append(beat)
        self._wake.set()
        return await beat.future

    def work_changed(self) -> None:
        """Work may have appeared or jobs changed: reload the view; waiting claims look again."""
        self._stale = True
        self._retry_parked = True
        self._wake.set()

    def forget_worker(self, worker_id: int) -> None:
        """The worker was revoked: its waiting claims end now with nothing."""
        for claim in [c for c in self._parked if c.worker.id == worker_id]:
            del self._parked[claim]
            _answer(claim.future, None)
        for claim in [c for c in self._claims if c.worker.id == worker_id]:
            self._claims.remove(claim)
            _answer(claim.future, None)

    def drain(self) -> None:
        """The server is stopping: waiting long-polls end now with nothing, new ones do not wait."""
        self._stopping = True
        parked, self._parked = list(self._parked), {}
        for claim in parked:
            _answer(claim.future, None)

    async def stop(self) -> None:
        """After the last request: end the rounds and give back the tasks held for no one."""
        self.drain()
        if self._runner is not None:
            if self._claims or self._completions or self._beats:
                self._wake.set()
            # Let the round in progress (and any queued one) finish before cancelling.
            for _ in range(1000):
                if not (self._busy or self._claims or self._completions or self._beats):
                    break
                await asyncio.sleep(0.01)
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        for job in self._jobs.values():
            self._to_return.update(t.id for t in job.tasks if t.reserved)
            job.tasks = []
        if self._to_return:
            try:
                async with self._db.write() as conn:
                    await self._return_reservations(conn)
            except Exception:  # they lapse at reserved_until anyway
                log.exception("could not give back task reservations")

    # -- rounds -------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), RECHECK_SECONDS)
            except TimeoutError:
                if not self._parked:
                    continue
                self.work_changed()  # the safety net: look again even though nobody said so
            self._wake.clear()
            self._busy = True
            try:
                await self._round()
            except Exception:  # never let the loop die; the round answered with the error
                log.exception("dispatch round failed")
            finally:
                self._busy = False

    async def _round(self) -> None:
        completions, self._completions = self._completions, []
        claims, self._claims = self._claims, []
        beats, self._beats = self._beats, []
        if self._retry_parked:
            self._retry_parked = False
            claims = [*self._parked, *claims]
            self._parked.clear()
        if not (completions or claims or beats or self._to_return):
            return
        for attempt in range(1, _ROUND_TRIES + 1):
            try:
                outcome = await self._write(completions, claims, beats)
                break
            except Exception as exc:
                self._reset()
                if attempt < _ROUND_TRIES and _retriable(exc):
                    log.warning("dispatch round retried after: %s", exc)
                    continue
                for c in completions:
                    _fail(c.future, exc)
                for claim in claims:
                    _fail(claim.future, exc)
                for beat in beats:
                    _fail(beat.future, exc)
                raise
        for beat in beats:
            lease = outcome.leases.get(id(beat))
            if lease is None:
                _fail(beat.future, StaleAttempt(beat.attempt_id))
            else:
                _answer(beat.future, lease)
        for c in completions:
            if id(c) in outcome.refused:
                _fail(c.future, outcome.refused[id(c)])
            else:
                _answer(c.future, None)
                if c.then is not None:
                    claims.append(c.then)
        for claim in claims:
            assignment = outcome.assignments.get(id(claim))
            if assignment is not None or not claim.park or claim.withdrawn or self._stopping:
                _answer(claim.future, assignment)
            else:
                self._parked[claim] = None
        if outcome.new_work:
            self.work_changed()  # other processes heard it by NOTIFY at the commit

    def _reset(self) -> None:
        """After a failed round: forget what memory may have wrong; reload on the next."""
        for job in self._jobs.values():
            self._to_return.update(t.id for t in job.tasks if t.reserved)
        self._jobs, self._order, self._stale = {}, [], True

    async def _write(
        self, completions: list[_Completion], claims: list[_Claim], beats: list[_Beat]
    ) -> _Outcome:
        """One transaction: completions, then claims (they may use what completions released),
        then heartbeats (last: they lock attempt rows but no job, see `_complete`)."""
        outcome = _Outcome()
        async with self._db.write() as conn:
            await hold_dispatch(conn, exclusive=False)
            now = time.time()
            if self._to_return:
                await self._return_reservations(conn)
            if self._stale:
                await self._reload(conn)
            if completions:
                await self._complete(conn, completions, now, outcome)
                claims = claims + [
                    c.then
                    for c in completions
                    if c.then is not None and id(c) not in outcome.refused
                ]
            if claims:
                await self._assign(conn, claims, outcome)
            if beats:
                await self._renew(conn, beats, outcome)
            if outcome.new_work:
                await self._db.announce_work(conn)
        return outcome

    # -- completions ------------------------------------------------------------------------------

    async def _complete(
        self, conn: AsyncConnection, ops: list[_Completion], now: float, outcome: _Outcome
    ) -> None:
        sql = self._sql
        recording: list[_Completion] = []
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
        if not recording:
            return
        if sql.lock_jobs is not None:
            # Their jobs first, in id order, as job actions lock them before their attempts: no
            # deadlock with a pause or with another process's round.
            ids = _dumps([c.attempt_id for c in recording])
            await conn.execute(sql.lock_jobs, {"rows": ids})
        rows = [[c.attempt_id, c.worker_id, c.peak_memory_mb] for c in recording]
        ended = (await conn.execute(sql.end_attempts, {"now": now, "rows": _dumps(rows)})).all()
        finished = {(r[0], r[1]): r[2] for r in ended}  # (attempt, worker) → task
        ok: list[_Completion] = []
        for c in recording:
            if finished.pop((c.attempt_id, c.worker_id), None) is None:
                outcome.refused[id(c)] = StaleAttempt(c.attempt_id)  # not running, not its own
            else:
                ok.append(c)
        if not ok:
            return
        task_ids = [r[2] for r in ended]
        tasks = (await conn.execute(sql.finish_tasks, {"now": now, "rows": _dumps(task_ids)})).all()
        done, tests = Counter(), Counter()
        for t in tasks:
            done[t.job_id] += 1
            tests[t.job_id] += 1 if t.is_test else 0
        counts = [[job_id, n, tests[job_id]] for job_id, n in sorted(done.items())]
        jobs = (await conn.execute(sql.count_done, {"now": now, "rows": _dumps(counts)})).all()
        owners = {j.id: j.user_id for j in jobs}
        events = [
            [t.job_id, owners.get(t.job_id), {"job_id": t.job_id, "task_id": t.id, "state": "done",
                                              "frames": _json(t.frames)}]
            for t in tasks
        ]  # fmt: skip
        await conn.execute(sql.add_events, {"now": now, "rows": _dumps(events)})
        idle = [c.worker_id for c in ok if c.then is None]
        if idle:
            await conn.execute(sql.idle_workers, {"now": now, "rows": _dumps(idle)})
        for t in tasks:
            if t.kind == "tile" and await release_assembly(
                conn, t.job_id, _json(t.frames), t.layer
            ):
                outcome.new_work = True
        for j in jobs:
            if (view := self._jobs.get(j.id)) is not None:
                view.test_pending = j.test_pending
            if tests[j.id] and j.test_pending == 0 and not j.stop_after_test:
                outcome.new_work = True  # the test gate opened
            if j.tasks_done + j.tasks_failed >= j.tasks_total or (
                j.stop_after_test and j.test_pending == 0 and not j.approved
            ):
                self._stale = True  # it may leave the dispatching jobs now
            await settle(conn, j.id, j)

    # -- heartbeats -----------------------------------------------------------------------------

    async def _renew(self, conn: AsyncConnection, beats: list[_Beat], outcome: _Outcome) -> None:
        """Extend the leases of the attempts still running on the worker that beats for them."""
        now = time.time()
        lease = now + self._config.lease_seconds
        rows = _dumps([[b.attempt_id, b.worker_id, b.progress] for b in beats])
        renewed = {
            (r[0], r[1])
            for r in await conn.execute(self._sql.renew, {"lease": lease, "rows": rows})
        }
        seen = sorted({worker_id for _, worker_id in renewed})
        if seen:
            await conn.execute(self._sql.seen_workers, {"now": now, "rows": _dumps(seen)})
        for b in beats:
            if (b.attempt_id, b.worker_id) in renewed:
                outcome.leases[id(b)] = lease

    # -- claims ---------------------------------------------------------------------------------

    async def _assign(self, conn: AsyncConnection, claims: list[_Claim], outcome: _Outcome) -> None:
        pending = [c for c in claims if not (c.withdrawn and c.park)]
        won: list[tuple[_Claim, _Job, _Task]] = []
        idle: list[int] = []
        now = time.time()
        # Tasks picked in this round are off their lists but still queued in the database
        # until the take: they must not come back through a reservation or a take-over.
        self._picked.clear()
        for _ in range(_ROUND_TRIES):
            picks = []
            for i, claim in enumerate(pending):
                picked = await self._pick(conn, claim.worker, len(pending) - i)
                if picked is not None:
                    picks.append((claim, *picked))
                elif claim.idle_if_none:
                    idle.append(claim.worker.id)
            if not picks:
                break
            rows = [[task.id, claim.worker.id] for claim, _, task in picks]
            # Read the clock now: a task another transaction just requeued was ended before.
            now = time.time()
            taken = await conn.execute(self._sql.take, {"now": now, "rows": _dumps(rows)})
            taken_ids = {r[0] for r in taken}
            won += [p for p in picks if p[2].id in taken_ids]
            pending = [claim for claim, _, task in picks if task.id not in taken_ids]
            if not pending:
                break
            # Refused ones we reserved may still be queued (a worker-specific guard): give back.
            self._to_return.update(
                t.id for _, _, t in picks if t.reserved and t.id not in taken_ids
            )
            # Memory was behind the database (another process, a change not heard of yet).
            await self._reload(conn)
        else:
            idle += [c.worker.id for c in pending if c.idle_if_none]
        if idle:
            await conn.execute(self._sql.idle_workers, {"now": now, "rows": _dumps(idle)})
        if won:
            await self._record(conn, won, now, outcome)

    async def _pick(
        self, conn: AsyncConnection, worker: WorkerInfo, demand: int
    ) -> tuple[_Job, _Task] | None:
        """The best held task for this worker (reserving more as needed), taken off its list."""
        for job in self._order:
            if not job.accepts(worker):
                continue
            if job.top_up:
                await self._grow(conn, job, demand)
            i = job.first_for(worker.id)
            if i is None and not job.exhausted:
                await self._grow(conn, job, demand)
                i = job.first_for(worker.id)
            if i is not None:
                task = job.tasks.pop(i)
                self._picked.add(task.id)
                return job, task
        return None

    async def _grow(self, conn: AsyncConnection, job: _Job, demand: int) -> None:
        """Reserve the job's next queued tasks; with none left unreserved, take over others'."""
        now = time.time()
        params = {
            "job_id": job.id, "open": job.test_pending <= 0, "owner": self.owner, "now": now,
            "until": now + self._config.reservation_seconds,
            "n": min(max(demand, RESERVE_MIN), RESERVE_MAX),
            "held": _dumps([t.id for t in job.tasks] + list(self._picked)),
            "need": min(demand, RESERVE_MAX),  # taking over: no more than wait (the owner may live)
        }  # fmt: skip
        job.top_up = False
        rows = (await conn.execute(self._sql.reserve, params)).all()
        reserved = bool(rows)
        if not rows:
            rows = (await conn.execute(self._sql.take_over, params)).all()
        tasks = [
            _Task(
                r.id,
                r.seq,
                r.kind,
                _json(r.frames),
                _json(r.tile),
                r.layer,
                bool(r.is_test),
                reserved,
            )
            for r in rows
        ]
        retried = [t for t, r in zip(tasks, rows, strict=True) if r.failures]
        if retried:
            failed: dict[int, set[int]] = {}
            ids = _dumps([t.id for t in retried])
            found = await conn.execute(self._sql.failed_by, {"rows": ids})
            for task_id, worker_id in found:
                failed.setdefault(task_id, set()).add(worker_id)
            for t in retried:
                t.failed_by = frozenset(failed.get(t.id, ()))
        if not job.merge([t for t in tasks if t.id not in self._picked]):
            job.exhausted = True

    async def _record(
        self,
        conn: AsyncConnection,
        won: list[tuple[_Claim, _Job, _Task]],
        now: float,
        outcome: _Outcome,
    ) -> None:
        """Attempts, job and worker states and events for the tasks just taken."""
        sql, lease = self._sql, now + self._config.lease_seconds
        rows = [[task.id, claim.worker.id, claim.worker.cpu_cores] for claim, _, task in won]
        params = {"now": now, "lease": lease, "rows": _dumps(rows)}
        made = await conn.execute(sql.add_attempts, params)
        attempt_of = {task_id: attempt_id for attempt_id, task_id in made}
        for job in {id(j): j for _, j, _ in won}.values():
            if job.state == states.QUEUED:
                reason = "first task dispatched"
                await states.move(conn, job.id, states.QUEUED, states.RENDERING, reason)
                job.state = states.RENDERING
        workers = _dumps([claim.worker.id for claim, _, _ in won])
        await conn.execute(sql.busy_workers, {"now": now, "rows": workers})
        events = [
            [job.id, job.user_id, {"job_id": job.id, "task_id": task.id, "state": RUNNING,
                                   "frames": task.frames, "worker_id": claim.worker.id}]
            for claim, job, task in won
        ]  # fmt: skip
        await conn.execute(sql.add_events, {"now": now, "rows": _dumps(events)})
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

    # -- the view of dispatching jobs -----------------------------------------------------------

    async def _reload(self, conn: AsyncConnection) -> None:
        """Read the dispatching jobs again; give back what we hold for jobs that left them."""
        self._stale = False
        j = db.jobs
        columns = (j.c.id, j.c.user_id, j.c.state, j.c.priority, j.c.test_pending, j.c.ram_gb,
                   j.c.cpu_cores, j.c.gpu_count, j.c.gpu_memory_gb, j.c.tasks_total)  # fmt: skip
        query = sa.select(*columns).where(j.c.state.in_(states.DISPATCHING))
        rows = (await conn.execute(query)).all()
        ids = [r.id for r in rows]
        new = [r for r in rows if r.id not in self._static]
        await self._load_static(conn, [r.id for r in new])
        if self._sql.postgres and any(r.tasks_total >= ANALYZE_FROM for r in new):
            # Statistics that know a big new job: without them PostgreSQL may take its queued
            # tasks for a handful and sort them all to reserve the first few.
            await conn.execute(sa.text("ANALYZE tasks"))
        blocked: dict[int, set[int]] = {}
        bl = db.blocklist
        found = await conn.execute(
            sa.select(bl.c.job_id, bl.c.worker_id)
            .join(j, j.c.id == bl.c.job_id)
            .where(j.c.state.in_(states.DISPATCHING))
        )
        for job_id, worker_id in found:
            blocked.setdefault(job_id, set()).add(worker_id)
        jobs: dict[int, _Job] = {}
        for r in rows:
            held = self._jobs.pop(r.id, None)
            if held is not None:
                # Who failed a task may have been forgiven (`liveness`): read it again.
                again = [t for t in held.tasks if t.failed_by]
                if again:
                    self._to_return.update(t.id for t in again if t.reserved)
                    held.tasks = [t for t in held.tasks if not t.failed_by]
            requires, configs = self._static[r.id]
            jobs[r.id] = _Job(
                r.id, r.user_id, r.state, r.priority, r.test_pending, r.ram_gb, r.cpu_cores,
                r.gpu_count, r.gpu_memory_gb, requires, configs, blocked.get(r.id, set()),
                tasks=held.tasks if held else [], top_up=bool(held and held.tasks),
            )  # fmt: skip
        for gone in self._jobs.values():
            self._to_return.update(t.id for t in gone.tasks if t.reserved)
        self._jobs = jobs
        self._order = sorted(jobs.values(), key=lambda job: (-job.priority, job.id))
        self._static = {i: self._static[i] for i in ids}
        if self._to_return:
            await self._return_reservations(conn)

    async def _load_static(self, conn: AsyncConnection, job_ids: list[int]) -> None:
        """Requirements and hardware configs of jobs new to us (they never change)."""
        if not job_ids:
            return
        for i, (keys, configs) in (await job_needs(conn, job_ids)).items():
            self._static[i] = (Needs.of(keys), frozenset(configs))

    async def _return_reservations(self, conn: AsyncConnection) -> None:
        ids, self._to_return = sorted(self._to_return), set()
        await conn.execute(self._sql.release, {"owner": self.owner, "rows": _dumps(ids)})


class _Statements:
    """The set-based statements of a round, for one engine.

    Rows travel as one JSON array parameter (`:rows`) and come out of `_rows()` as a derived
    table with typed columns and `ord`, their position.
    """

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        rows = self._rows
        failed = ", ".join(f"'{s}'" for s in WORKER_FAILED)
        dispatching = ", ".join(f"'{s}'" for s in states.DISPATCHING)
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
        self.lock_jobs = sa.text(f"""
            SELECT id FROM jobs WHERE id IN (
                SELECT t.job_id FROM attempts a JOIN tasks t ON t.id = a.task_id
                WHERE a.id IN (SELECT v.id FROM {rows(id="int")} AS v))
            ORDER BY id FOR NO KEY UPDATE""") if postgres else None  # fmt: skip
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
                AND a.state IN ({failed}) AND a.started_at > COALESCE(t.retried_at, 0.0)""")
        self.release = sa.text(f"""
            UPDATE tasks SET reserved_by = NULL, reserved_until = NULL
            WHERE id IN (SELECT v.id FROM {rows(id="int")} AS v) AND reserved_by = :owner""")
        # Handing out: every condition memory may have wrong is checked again, row by row. The
        # job's is a scalar subquery so that PostgreSQL cannot turn it into a join that reads
        # every queued task of the job: each row is found by its id.
        self.take = sa.text(f"""
            UPDATE tasks SET state = '{RUNNING}', updated_at = :now, reserved_by = NULL,
                reserved_until = NULL
            FROM {rows(task_id="int", worker_id="int")} AS v
            WHERE tasks.id = v.task_id AND tasks.state = 'queued'
                AND (SELECT j.state IN ({dispatching}) AND (tasks.is_test OR j.test_pending = 0)
                     FROM jobs j WHERE j.id = tasks.job_id)
                AND NOT EXISTS (SELECT 1 FROM blocklist b
                                WHERE b.job_id = tasks.job_id AND b.worker_id = v.worker_id)
                AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = v.worker_id
                                AND (w.revoked_at IS NOT NULL OR w.hold IS NOT NULL))
                AND NOT EXISTS (SELECT 1 FROM attempts a
                                WHERE a.task_id = tasks.id AND a.worker_id = v.worker_id
                                AND a.state IN ({failed})
                                AND a.started_at > COALESCE(tasks.retried_at, 0.0))
            RETURNING tasks.id""")
        self.add_attempts = sa.text(f"""
            INSERT INTO attempts (task_id, worker_id, state, lease_expires, started_at, cores,
                                  message)
            SELECT v.task_id, v.worker_id, '{RUNNING}', CAST(:lease AS double precision),
                CAST(:now AS double precision), v.cores, ''
            FROM {rows(task_id="int", worker_id="int", cores="int")} AS v ORDER BY v.ord
            RETURNING id, task_id""")

    def _rows(self, param: str = "rows", **columns: str) -> str:
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


def _dumps(rows: list[Any]) -> str:
    return json.dumps(rows, separators=(",", ":"))


def _json(value: Any) -> Any:
    """A JSON column's value: drivers hand over text (SQLite) or the parsed value (asyncpg)."""
    return json.loads(value) if isinstance(value, str) else value


def _answer(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # retrieved here: a request that went away leaves no warning behind


def _remove(items: list[_Claim], item: _Claim) -> bool:
    try:
        items.remove(item)
    except ValueError:
        return False
    return True


def _retriable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a busy database (SQLite)."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)
