"""Why a job or a task is not running: one reason, in words, or None when nothing holds it.

The reasons, in the order they are judged (`docs/server.md`, "Why a job waits"):

* the job awaits approval of its test frames, or is paused — a person decides;
* no worker is online, or none online has what it asks for (software, version, RAM, cores,
  GPUs, tags, plugins, hardware config), naming what the online workers have
  (`online.explain`), or every able one is blocklisted for the job;
* a dependency is not met: a task other than a test frame waits for the job's test frames,
  an assembly waits for its frame's tiles;
* (a task) every able online worker has failed it (the liveness rule then decides);
* every online worker able to run it is busy, with N tasks ahead of it (tasks of jobs
  before it in dispatch order — priority, then age — that those workers could take, and,
  for a task, its own job's queued tasks before it).

One `Farm` snapshot answers a whole page: a handful of queries (the online workers, the
unfinished jobs, their needs and blocklists, the running attempts, one count), none per job
or per task. Running attempts are found through running tasks of unfinished jobs, so the
reads are bounded by the farm's size and the number of unfinished jobs, not by history.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.dispatch import online
from farmhand_server.dispatch import rules as scheduler
from farmhand_server.jobs import states
from farmhand_server.store import schema as db

AWAITING = "awaiting approval of its test frames: approve it to render the rest"
PAUSED = "paused: resume it to render the rest"
JOB_PAUSED = "its job is paused"
JOB_AWAITING = "its job awaits approval of its test frames"
_UNFINISHED = (states.QUEUED, states.RENDERING, states.AWAITING, states.PAUSED)
WORKERS_FRESH_SECONDS = 1.0  # how stale the online workers behind a reason may be
# (engine, online_seconds) → (fresh until, signature, the online workers, who fits which needs)
_ONLINE: dict[tuple[Any, float], tuple[float, tuple[int, int], list[online.Online], dict]] = {}
_NEEDS: dict[Any, dict[int, tuple[set[str], set[str]]]] = {}  # engine → job id → needs
_NAMES_SHOWN = 5  # worker names a reason lists before "and N more"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _names(workers: Iterable[online.Online]) -> str:
    names = [w.name for w in workers]
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


@dataclass(slots=True)
class Farm:
    """What the reasons read of the farm at one moment."""

    workers: list[online.Online]
    jobs: dict[int, Any]  # unfinished jobs (rows), by id
    order: list[int]  # dispatching jobs by priority, then age (the dispatcher's order)
    needs: dict[int, tuple[set[str], set[str]]]
    blocked: dict[int, set[int]]
    busy: Counter[int]  # worker id → running attempts
    running: Counter[int]  # job id → running attempts
    _able: dict[int, list[online.Online]] = field(default_factory=dict)
    _ahead: dict[frozenset[int], dict[int, int]] = field(default_factory=dict)
    _fits: dict[tuple, list[online.Online]] = field(default_factory=dict)
    _explained: dict[tuple, str | None] = field(default_factory=dict)

    def _needs(self, job_id: int) -> tuple:
        """What decides who can run the job: jobs alike are matched once (`_fits`)."""
        row = self.jobs[job_id]
        keys, configs = self.needs[job_id]
        return (
            frozenset(keys),
            frozenset(configs),
            row.ram_gb,
            row.cpu_cores,
            row.gpu_count,
            row.gpu_memory_gb,
        )

    def able(self, job_id: int) -> list[online.Online]:
        """Online workers meeting the job's needs and not blocklisted for it."""
        if job_id not in self._able:
            alike = self._needs(job_id)
            fits = self._fits.get(alike)
            if fits is None:
                keys, configs = self.needs[job_id]
                fits = self._fits[alike] = online.able(
                    self.jobs[job_id], sorted(keys), configs, self.workers
                )
            blocked = self.blocked[job_id]
            # Most jobs blocklist nobody: they share the matched list rather than copy it (a
            # copy per job made a page cost jobs × workers).
            self._able[job_id] = [w for w in fits if w.id not in blocked] if blocked else fits
        return self._able[job_id]

    def idle(self, workers: Iterable[online.Online]) -> list[online.Online]:
        """Those with a free slot."""
        return [w for w in workers if self.busy[w.id] < max(w.slots, 1)]

    def capability(self, job_id: int) -> str | None:
        """Why no online worker can take the job at all (`online.explain`), else None."""
        if self.workers and self.able(job_id):
            return None  # someone online may take it (what `explain` says then too)
        alike = (self._needs(job_id), frozenset(self.blocked[job_id]))
        if alike not in self._explained:
            keys, configs = self.needs[job_id]
            self._explained[alike] = online.explain(
                self.jobs[job_id], sorted(keys), configs, self.blocked[job_id], self.workers
            )
        return self._explained[alike]

    def ahead(self, job_id: int, candidates: list[online.Online]) -> int:
        """Tasks waiting in jobs dispatched before this one that these workers could take.

        One pass over the dispatch order per set of workers asked about, kept: a page of
        jobs that mostly wait for the same workers costs one pass, not one per job.
        """
        ids = frozenset(w.id for w in candidates)
        before = self._ahead.get(ids)
        if before is None:
            before = self._ahead[ids] = {}
            count = 0
            for other in self.order:
                before[other] = count
                if any(w.id in ids for w in self.able(other)):
                    row = self.jobs[other]
                    left = row.tasks_total - row.tasks_done - row.tasks_failed
                    count += max(left - self.running[other], 0)
        return before.get(job_id, 0)


async def farm(conn: AsyncConnection, online_seconds: float) -> Farm:
    """A snapshot of the farm for the reasons (a fixed handful of queries).

    The unfinished jobs are read each time (their counts move); their needs never change
    after submission and are read once per job (`_needs_of`); blocklists and running attempts
    are found by joining the unfinished jobs, not by a list of their ids, so the statements
    stay the same size however many jobs wait.
    """
    j, t, a, bl = db.jobs, db.tasks, db.attempts, db.blocklist
    unfinished = j.c.state.in_(_UNFINISHED)
    rows = await conn.execute(
        sa.select(
            j.c.id,
            j.c.state,
            j.c.priority,
            j.c.ram_gb,
            j.c.cpu_cores,
            j.c.gpu_count,
            j.c.gpu_memory_gb,
            j.c.tasks_total,
            j.c.tasks_done,
            j.c.tasks_failed,
            j.c.test_pending,
        ).where(unfinished)
    )
    jobs = {r.id: r for r in rows}
    order = sorted(
        (r for r in jobs.values() if r.state in states.DISPATCHING),
        key=lambda r: (-r.priority, r.id),
    )
    busy: Counter[int] = Counter()
    running: Counter[int] = Counter()
    blocked: dict[int, set[int]] = {i: set() for i in jobs}
    if jobs:
        for job_id, worker_id in await conn.execute(
            sa.select(t.c.job_id, a.c.worker_id)
            .select_from(t.join(a, a.c.task_id == t.c.id).join(j, j.c.id == t.c.job_id))
            .where(unfinished, t.c.state == "running", a.c.state == "running")
        ):
            busy[worker_id] += 1
            running[job_id] += 1
        for job_id, worker_id in await conn.execute(
            sa.select(bl.c.job_id, bl.c.worker_id)
            .select_from(bl.join(j, j.c.id == bl.c.job_id))
            .where(unfinished)
        ):
            if job_id in blocked:  # a job that ended between the two reads has no row
                blocked[job_id].add(worker_id)
    workers, fits = await _online(conn, online_seconds)
    return Farm(
        workers=workers,
        jobs=jobs,
        order=[r.id for r in order],
        needs=await _needs_of(conn, list(jobs)),
        blocked=blocked,
        busy=busy,
        running=running,
        _fits=fits,
    )


async def _needs_of(
    conn: AsyncConnection, job_ids: list[int]
) -> dict[int, tuple[set[str], set[str]]]:
    """Each job's requirement keys and hardware configs, read only for jobs not seen before.

    They are written with the job and never change; kept per database (engine), and only
    for the jobs still unfinished, so memory follows the queue, not history.
    """
    known = _NEEDS.get(conn.sync_engine)
    if known is None:
        if len(_NEEDS) > 64:  # engines of apps gone (tests start many)
            _NEEDS.clear()
        known = _NEEDS[conn.sync_engine] = {}
    missing = [i for i in job_ids if i not in known]
    if missing:
        known.update(await scheduler.job_needs(conn, missing))
    if len(known) > len(job_ids):
        _NEEDS[conn.sync_engine] = known = {i: known[i] for i in job_ids}
    return {i: known[i] for i in job_ids}


async def _online(
    conn: AsyncConnection, online_seconds: float
) -> tuple[list[online.Online], dict[tuple, list[online.Online]]]:
    """The online workers, read again only when the set of them changed (one count), a
    worker of this process re-registered (`forget_workers`), or `WORKERS_FRESH_SECONDS` passed.

    Every page of jobs and every job read asks; with hundreds of workers, reading them all
    each time was most of what a page cost. Jobs, tasks and attempts are read fresh. With
    them comes which of them meet each set of needs (`Farm.able`), kept as long as they are:
    it depends on nothing else.
    """
    now = time.monotonic()
    w = db.workers
    since = time.time() - online_seconds
    found = (
        await conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(w.c.id), 0)).where(
                w.c.revoked_at.is_(None), w.c.last_seen >= since
            )
        )
    ).one()
    signature = (int(found[0]), int(found[1]))
    key = (conn.sync_engine, online_seconds)
    hit = _ONLINE.get(key)
    if hit is None or hit[0] < now or hit[1] != signature:
        if len(_ONLINE) > 64:  # engines of apps gone (tests start many)
            _ONLINE.clear()
        workers = await online.online_workers(conn, online_seconds)
        hit = _ONLINE[key] = (now + WORKERS_FRESH_SECONDS, signature, workers, {})
    return hit[2], hit[3]


def forget_workers() -> None:
    """A worker's registration changed in this process: the next reason reads them again."""
    _ONLINE.clear()


def job_reason(snapshot: Farm, job_id: int) -> str | None:
    """Why the job is not running, None when it renders or is about to (or has ended)."""
    row = snapshot.jobs.get(job_id)
    if row is None:
        return None
    if row.state == states.AWAITING:
        return AWAITING
    if row.state == states.PAUSED:
        return PAUSED
    if (why := snapshot.capability(job_id)) is not None:
        return why
    if snapshot.running[job_id]:
        return None  # it renders; its queued tasks say why they wait (`task_reasons`)
    able = snapshot.able(job_id)
    if snapshot.idle(able):
        return None
    return _busy(len(able), snapshot.ahead(job_id, able))


def _busy(able: int, ahead: int) -> str:
    nodes = (
        "the only online node able to run it is"
        if able == 1
        else f"all {able} online nodes able to run it are"
    )
    return f"{nodes} busy, {_plural(ahead, 'task')} ahead of it"


async def job_reasons(
    conn: AsyncConnection, jobs: Sequence[Any], online_seconds: float
) -> dict[int, str]:
    """For each of these jobs that waits: why (by job id). One snapshot for them all."""
    if not any(j.state in _UNFINISHED for j in jobs):
        return {}
    snapshot = await farm(conn, online_seconds)
    found = {}
    for job in jobs:
        if (why := job_reason(snapshot, job.id)) is not None:
            found[job.id] = why
    return found


async def task_reasons(
    conn: AsyncConnection,
    job: Any,
    tasks: list[dict[str, Any]],
    retried: dict[int, float],
    online_seconds: float,
) -> dict[int, str]:
    """For each queued or waiting task of this page of the job's tasks: why (by task id).

    `tasks` are `jobs.tasks_with_attempts` rows in `seq` order; `retried` each task's
    `retried_at` (failures before it no longer keep a worker from it).
    """
    pending = [t for t in tasks if t["state"] in (states.QUEUED, "waiting")]
    if not pending or job.state not in _UNFINISHED:
        return {}
    if job.state == states.PAUSED:
        return {t["id"]: JOB_PAUSED for t in pending}
    if job.state == states.AWAITING:
        return {t["id"]: JOB_AWAITING for t in pending}
    snapshot = await farm(conn, online_seconds)
    row = snapshot.jobs.get(job.id)
    if row is None:  # it ended meanwhile
        return {}
    capability = snapshot.capability(job.id)
    able = snapshot.able(job.id)
    found: dict[int, str] = {}
    queued_before: int | None = None  # queued tasks of the job before this page, counted once
    position = 0  # queued tasks of the job before this one, on this page
    for task in pending:
        why = capability or _dependency(task, row)
        if why is None:
            failed = _failed_by(task, retried.get(task["id"]))
            left = [w for w in able if w.id not in failed]
            if not left:
                why = f"it failed on every online node able to run it: {_names(able)}"
            elif not snapshot.idle(left):
                if queued_before is None:
                    queued_before = await _queued_before(conn, job.id, tasks[0]["seq"])
                ahead = snapshot.ahead(job.id, left) + queued_before + position
                why = _busy(len(left), ahead)
        if why is not None:
            found[task["id"]] = why
        if task["state"] == states.QUEUED:
            position += 1
    return found


def _dependency(task: dict[str, Any], job: Any) -> str | None:
    if task["state"] == "waiting":
        frames = task.get("frames") or []
        frame = f" of frame {frames[0]}" if len(frames) == 1 else ""
        return f"waits for every tile{frame} to render before assembling them"
    if not task.get("is_test") and job.test_pending > 0:
        return f"waits for the job's test frames ({_plural(job.test_pending, 'task')} left)"
    return None


def _failed_by(task: dict[str, Any], retried_at: float | None) -> set[int]:
    since = retried_at or 0.0
    return {
        a["worker_id"]
        for a in task.get("attempts") or []
        if a["state"] in scheduler.WORKER_FAILED and a["started_at"] > since
    }


async def _queued_before(conn: AsyncConnection, job_id: int, seq: int) -> int:
    t = db.tasks
    return int(
        await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.job_id == job_id, t.c.state == states.QUEUED, t.c.seq < seq)
        )
        or 0
    )
