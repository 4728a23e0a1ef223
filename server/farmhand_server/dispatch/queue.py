"""The dispatcher's request queue: claims, completions and heartbeats answered in rounds.

One claim used to be an eligibility query plus half a dozen statements in a transaction of
its own, and one completion as many again: a few milliseconds of server CPU per task. Here,
per server process, requests queue up and a round takes all of them: one transaction writes
them (`writes`), and every request of the round is answered after it commits (group commit).
Under load a round carries many requests; alone, a request waits for one short transaction.

Owns the queues, the rounds (a round that hits a deadlock or a busy database is tried again),
the long-polls that wait for work (parked, woken by `work_changed` or every `RECHECK_SECONDS`)
and the answers. Claims are decided from the in-memory view (`view`) of the dispatching
jobs, reloaded when work may have appeared: a job submitted or acted on, a task requeued,
here or, through PostgreSQL NOTIFY, in another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.config import Config
from farmhand_server.dispatch.rules import Assignment, JobCache, StaleAttempt, WorkerInfo
from farmhand_server.dispatch.sql import Statements, retriable
from farmhand_server.dispatch.view import View
from farmhand_server.dispatch.writes import Beat, Claim, Completion, Outcome, RoundWriter
from farmhand_server.jobs import outputs
from farmhand_server.store.database import Database, hold_dispatch

log = logging.getLogger("farmhand.server")

RECHECK_SECONDS = 10.0  # waiting long-polls look again at least this often, woken or not
_ROUND_TRIES = 3  # a round that hits a deadlock or a busy database is tried again


class Dispatcher:
    """Claims, completions and heartbeats of one server process (see the module docstring).

    `start()` once the database is open; `stop()` before it closes.
    """

    def __init__(self, database: Database, config: Config, job_cache: JobCache) -> None:
        self.owner = uuid.uuid4().hex  # this process, in tasks.reserved_by
        self._db = database
        sql = Statements(database.is_postgres)
        self._view = View(sql, self.owner, config.reservation_seconds)
        self._writer = RoundWriter(sql, self._view, config, job_cache)
        self._claims: list[Claim] = []
        self._completions: list[Completion] = []
        self._beats: list[Beat] = []
        self._parked: dict[Claim, None] = {}  # long-polls with nothing to do, oldest first
        self._retry_parked = False
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._busy = False  # a round is in progress
        self._stopping = False

    # -- what request handlers call -----------------------------------------------------------

    def start(self) -> None:
        """Begin processing rounds (on the running event loop)."""
        self._runner = asyncio.create_task(self._run(), name="farmhand-dispatcher")

    async def claim(self, worker: WorkerInfo, wait: float) -> Assignment | None:
        """The worker's next task, waiting up to `wait` seconds for one to appear; None if none."""
        claim = Claim(worker, asyncio.get_running_loop().create_future(), wait > 0)
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
        then = Claim(worker, loop.create_future(), False, True) if then_claim else None
        done = Completion(worker.id, attempt_id, peak_memory_mb, files, loop.create_future(), then)
        self._completions.append(done)
        self._wake.set()
        await done.future
        return await then.future if then is not None else None

    async def heartbeat(self, worker_id: int, attempt_id: int, progress: float | None) -> float:
        """Renew the worker's lease on an attempt (and record its progress); the new expiry.

        Raises StaleAttempt if the attempt is no longer the worker's (lease lost, killed,
        cancelled, finished): it must stop.
        """
        beat = Beat(worker_id, attempt_id, progress, asyncio.get_running_loop().create_future())
        self._beats.append(beat)
        self._wake.set()
        return await beat.future

    def work_changed(self) -> None:
        """Work may have appeared or jobs changed: reload the view; waiting claims look again."""
        self._view.stale = True
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
            if self._queued():
                self._wake.set()
            # Let the round in progress (and any queued one) finish before cancelling.
            for _ in range(1000):
                if not (self._busy or self._queued()):
                    break
                await asyncio.sleep(0.01)
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        self._view.forget()
        if self._view.has_to_give_back():
            try:
                async with self._db.write() as conn:
                    await self._view.give_back(conn)
            except Exception:  # they lapse at reserved_until anyway
                log.exception("could not give back task reservations")

    # -- rounds -------------------------------------------------------------------------------

    def _queued(self) -> bool:
        return bool(self._claims or self._completions or self._beats)

    def _withdraw(self, claim: Claim) -> None:
        """A long-poll ends: answer nothing now, unless a round is deciding it (that answers)."""
        claim.withdrawn = True
        if self._parked.pop(claim, 0) is None or _remove(self._claims, claim):
            _answer(claim.future, None)

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
        """Take what is queued, write it in one transaction (tried again if it may pass), and
        answer every request of the round."""
        completions, self._completions = self._completions, []
        claims, self._claims = self._claims, []
        beats, self._beats = self._beats, []
        if self._retry_parked:
            self._retry_parked = False
            claims = [*self._parked, *claims]
            self._parked.clear()
        if not (completions or claims or beats or self._view.has_to_give_back()):
            return
        for attempt in range(1, _ROUND_TRIES + 1):
            try:
                outcome = await self._write(completions, claims, beats)
                break
            except Exception as exc:
                self._view.forget()  # memory may be wrong: reload on the next try
                if attempt < _ROUND_TRIES and retriable(exc):
                    log.warning("dispatch round retried after: %s", exc)
                    continue
                futures: list[asyncio.Future[Any]] = [r.future for r in completions]
                futures += [r.future for r in claims] + [r.future for r in beats]
                for future in futures:
                    _fail(future, exc)
                raise
        self._answer_round(completions, claims, beats, outcome)

    async def _write(
        self, completions: list[Completion], claims: list[Claim], beats: list[Beat]
    ) -> Outcome:
        """One transaction: completions, then claims (they may use what completions released),
        then heartbeats (`writes`)."""
        outcome = Outcome()
        async with self._db.write() as conn:
            await hold_dispatch(conn, exclusive=False)
            now = time.time()
            await self._view.give_back(conn)
            if self._view.stale:
                await self._view.reload(conn)
            if completions:
                await self._writer.complete(conn, completions, now, outcome)
                claims = claims + [
                    c.then
                    for c in completions
                    if c.then is not None and id(c) not in outcome.refused
                ]
            if claims:
                await self._writer.assign(conn, claims, outcome)
            if beats:
                await self._renew(conn, beats, outcome)
            if outcome.new_work:
                await self._db.announce_work(conn)
        return outcome

    async def _renew(self, conn: AsyncConnection, beats: list[Beat], outcome: Outcome) -> None:
        await self._writer.renew(conn, beats, outcome)

    def _answer_round(
        self,
        completions: list[Completion],
        claims: list[Claim],
        beats: list[Beat],
        outcome: Outcome,
    ) -> None:
        """After the commit: each request its answer; claims with nothing to do park or end."""
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


def _answer(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # retrieved here: a request that went away leaves no warning behind


def _remove(items: list[Claim], item: Claim) -> bool:
    try:
        items.remove(item)
    except ValueError:
        return False
    return True
