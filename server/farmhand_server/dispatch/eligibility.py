"""Which task a worker may get: each condition written once, for memory and for SQL.

`RULES` is the one list. A claim is decided in memory, from the dispatcher's view of the
dispatching jobs (`allows_job` skips a job, `allows_task` a task it holds); the UPDATE that
hands the task out then re-checks in SQL (`guard`) the conditions that may have changed
since the view read them, in another server process or in this one before a reload. So each
rule carries up to two forms of the same condition:

* `memory`, over the view's `JobFacts`, `TaskFacts` and the claiming worker (`WorkerInfo`).
  None for a condition memory cannot know: a worker revoked or held by an admin (a revoked
  token is refused, a held worker's claims wait and end empty before reaching the dispatcher;
  the guard refuses it the rest: the `next` of its completions, a claim that raced the hold).
* `sql`, over the task row `{t}`, its job row `j`, the worker's id `{worker}` and (for a
  worker's hardware) its row `w`. None where no SQL says it: software and plugin versions are
  compared by `farmhand.spec.versions`, not by the database.

`recheck` says whether the guard includes the SQL form: only conditions that can change after
the view loaded them do. A job's needs are written once at submission and a worker's hardware
at registration: memory compared the same values the database would.
`tests/server/test_eligibility.py` checks that both forms decide alike on generated cases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Set
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from farmhand.spec.versions import Needs

from farmhand_server.dispatch.rules import WORKER_FAILED, WorkerInfo
from farmhand_server.jobs import states


class JobFacts(Protocol):
    """What the view knows of a dispatching job."""

    @property
    def state(self) -> str: ...
    @property
    def test_pending(self) -> int: ...
    @property
    def ram_gb(self) -> float: ...
    @property
    def cpu_cores(self) -> int: ...
    @property
    def gpu_count(self) -> int: ...
    @property
    def gpu_memory_gb(self) -> float: ...
    @property
    def requires(self) -> Needs: ...
    @property
    def configs(self) -> frozenset[str]: ...
    @property
    def blocked(self) -> Set[int]: ...


class TaskFacts(Protocol):
    """What the view knows of a queued task it holds."""

    @property
    def is_test(self) -> bool: ...
    @property
    def failed_by(self) -> frozenset[int]: ...


# What a memory form looks at: `job` (decided once per job and claim; a `JobCheck`) or
# `task` (per held task; a `TaskCheck`).
Level = Literal["job", "task"]
JobCheck = Callable[[JobFacts, WorkerInfo], bool]
TaskCheck = Callable[[JobFacts, TaskFacts, WorkerInfo], bool]
# Which rows an SQL form reads, hence where `guard` places it: `task` (the task row and the
# worker id, other tables by subquery), `job` (also the job row `j`: one scalar subquery for
# all of them), `hardware` (the job row `j` and the worker row `w`).
Scope = Literal["task", "job", "hardware"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One condition a task must meet to go to a worker, in memory and in SQL."""

    name: str
    says: str
    level: Level
    memory: JobCheck | TaskCheck | None
    scope: Scope
    sql: str | None
    recheck: bool  # the SQL form is part of the guard of the UPDATE that hands the task out


def gate_open(job: JobFacts) -> bool:
    """No test task of the job is pending: its other tasks may go too (the view reserves
    only test tasks while it is shut)."""
    return job.test_pending <= 0


def _ands(parts: Collection[str]) -> str:
    return " AND ".join(f"({p})" for p in parts)


_DISPATCHING = ", ".join(f"'{s}'" for s in states.DISPATCHING)
_FAILED = ", ".join(f"'{s}'" for s in WORKER_FAILED)
# Attempt `a` is a failure of its task `{t}` on its worker since the task was last retried (by
# a person, or by `liveness` offering it again): memory loads these (`sql.failed_by`).
FAILED_SINCE_RETRY = f"a.state IN ({_FAILED}) AND a.started_at > COALESCE({{t}}.retried_at, 0.0)"

RULES: tuple[Rule, ...] = (
    Rule("queued", "the task is queued (the view holds queued tasks only)",
         "task", None,
         "task", f"{{t}}.state = '{states.QUEUED}'", True),
    Rule("dispatching", "its job is queued or rendering (not paused, held or finished)",
         "job", lambda job, worker: job.state in states.DISPATCHING,
         "job", f"j.state IN ({_DISPATCHING})", True),
    Rule("test gate", "test tasks come first: nothing else while any is pending",
         "task", lambda job, task, worker: task.is_test or gate_open(job),
         "job", "{t}.is_test OR j.test_pending <= 0", True),
    Rule("blocklist", "the job has not blocklisted the worker",
         "job", lambda job, worker: worker.id not in job.blocked,
         "task", "NOT EXISTS (SELECT 1 FROM blocklist b WHERE b.job_id = {t}.job_id "
                 "AND b.worker_id = {worker})", True),
    Rule("not failed here", "the worker has not failed the task since it was last retried",
         "task", lambda job, task, worker: worker.id not in task.failed_by,
         "task", "NOT EXISTS (SELECT 1 FROM attempts a WHERE a.task_id = {t}.id "
                 f"AND a.worker_id = {{worker}} AND {FAILED_SINCE_RETRY})", True),
    Rule("worker active", "the worker is neither revoked nor held by an admin",
         "job", None,
         "task", "NOT EXISTS (SELECT 1 FROM workers w0 WHERE w0.id = {worker} "
                 "AND (w0.revoked_at IS NOT NULL OR w0.hold IS NOT NULL))", True),
    Rule("ram", "the worker has the RAM the job asks for",
         "job", lambda job, worker: job.ram_gb <= worker.ram_gb,
         "hardware", "j.ram_gb <= w.ram_gb", False),
    Rule("cores", "the worker has the CPU cores the job asks for",
         "job", lambda job, worker: job.cpu_cores <= worker.cpu_cores,
         "hardware", "j.cpu_cores <= w.cpu_cores", False),
    Rule("gpus", "the worker has the GPUs the job asks for",
         "job", lambda job, worker: job.gpu_count <= worker.gpu_count,
         "hardware", "j.gpu_count <= w.gpu_count", False),
    Rule("gpu memory", "the worker has the GPU memory the job asks for",
         "job", lambda job, worker: job.gpu_memory_gb <= worker.gpu_memory_gb,
         "hardware", "j.gpu_memory_gb <= w.gpu_memory_gb", False),
    Rule("hardware config", "the job names no hardware config, or the worker's",
         "job", lambda job, worker: not job.configs or worker.hardware_config_id in job.configs,
         "hardware", "NOT EXISTS (SELECT 1 FROM job_hardware_configs h WHERE h.job_id = j.id) "
                     "OR EXISTS (SELECT 1 FROM job_hardware_configs h WHERE h.job_id = j.id "
                     "AND h.config_id = COALESCE(w.hardware_config_id, ''))", False),
    Rule("software", "the worker has every software, plugin and tag the job requires",
         "job", lambda job, worker: job.requires.met_by(worker.offers),
         "job", None, False),
)  # fmt: skip

# The memory forms by level (a rule's `level` says which of the two signatures it has).
_JOB_CHECKS = tuple(cast(JobCheck, r.memory) for r in RULES if r.level == "job" and r.memory)
_TASK_CHECKS = tuple(cast(TaskCheck, r.memory) for r in RULES if r.level == "task" and r.memory)


def allows_job(job: JobFacts, worker: WorkerInfo) -> bool:
    """Memory: whether the job may give the worker any task (its job-wide rules)."""
    return all(check(job, worker) for check in _JOB_CHECKS)


def allows_task(job: JobFacts, task: TaskFacts, worker: WorkerInfo) -> bool:
    """Memory: whether a queued task the view holds for an allowing job may go to the worker."""
    return all(check(job, task, worker) for check in _TASK_CHECKS)


def guard(task: str, worker: str, rechecked_only: bool = True) -> str:
    """The SQL form of the rules: a condition on task row `task` for the worker id `worker`.

    By default only what may have changed since the view loaded it (the guard of the take);
    `rechecked_only=False` gives every rule that has an SQL form (to compare with memory).
    """
    chosen = [r for r in RULES if r.sql is not None and (r.recheck or not rechecked_only)]
    forms = {
        scope: [
            sql.format(t=task, worker=worker)
            for r in chosen
            if r.scope == scope and (sql := r.sql) is not None
        ]
        for scope in ("task", "job", "hardware")
    }
    parts: list[str] = []
    for rule in chosen:  # in the order of RULES: SQLite tries them in this order
        if rule.scope == "task":
            parts.append(forms["task"].pop(0))
        elif rule.scope == "job" and forms["job"]:
            # The job's rules as one scalar subquery, each row found by its id: PostgreSQL
            # cannot turn it into a join that reads every queued task of the job.
            parts.append(f"(SELECT {_ands(forms['job'])} FROM jobs j WHERE j.id = {task}.job_id)")
            forms["job"] = []
        elif rule.scope == "hardware" and forms["hardware"]:
            parts.append(
                f"EXISTS (SELECT 1 FROM jobs j JOIN workers w ON w.id = {worker} "
                f"WHERE j.id = {task}.job_id AND {_ands(forms['hardware'])})"
            )
            forms["hardware"] = []
    return _ands(parts)
