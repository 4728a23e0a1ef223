"""`farmhand logs JOB [--task N] [--attempt K] [--follow]`: an attempt's render log.

Which attempt: `--task N` (a task id, as `status --tasks` lists them) and `--attempt K`
(its K-th try, 1 the first); without `--attempt` the task's latest try, without `--task`
the job's latest attempt (the one started last, whatever its task). The choice is said on
standard error, so standard output is the log alone.

`--follow` polls the log from the size already printed (`GET /attempts/{id}/log?offset=`)
while the attempt runs, then reads once more for what the worker flushed at its end.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from farmhand.spec.plan import frames_label
from farmhand.transfer.client import FarmClient

POLL_SECONDS = 0.5
# After its attempt ended a follower reads once more, this long after: the worker may send
# a last batch after reporting.
SETTLE_SECONDS = 1.0


class NoAttempt(LookupError):
    """The job, task or try asked for has no attempt (yet)."""


def choose(
    tasks: list[dict[str, Any]], task_id: int | None, attempt: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(task, attempt) the arguments name; NoAttempt with a message saying why none."""
    if task_id is not None:
        matching = [t for t in tasks if t["id"] == task_id]
        if not matching:
            ids = ", ".join(str(t["id"]) for t in tasks[:10])
            raise NoAttempt(
                f"the job has no task {task_id} (its tasks: {ids}"
                f"{', …' if len(tasks) > 10 else ''})"
            )
        task = matching[0]
        tries = task.get("attempts") or []
        if not tries:
            raise NoAttempt(f"task {task_id} has not run yet (it is {task['state']})")
        if attempt is None:
            return task, tries[-1]
        if not 1 <= attempt <= len(tries):
            raise NoAttempt(
                f"task {task_id} has {len(tries)} attempt(s); --attempt 1 to {len(tries)}"
            )
        return task, tries[attempt - 1]
    if attempt is not None:
        raise NoAttempt("--attempt needs --task (the attempt is counted within a task)")
    latest = None
    for task in tasks:
        for a in task.get("attempts") or []:
            if latest is None or a["id"] > latest[1]["id"]:
                latest = (task, a)
    if latest is None:
        raise NoAttempt("no task of the job has run yet")
    return latest


def describe(job_id: int, task: dict[str, Any], attempt: dict[str, Any]) -> str:
    """The line saying which log this is."""
    number = [a["id"] for a in task["attempts"]].index(attempt["id"]) + 1
    node = attempt.get("worker") or f"worker #{attempt.get('worker_id')}"
    return (
        f"job {job_id}, task {task['id']} (frames {frames_label(task)}), attempt "
        f"{number} of {len(task['attempts'])} on {node}: {attempt['state']}"
    )


def copy_log(
    client: FarmClient,
    attempt_id: int,
    out: BinaryIO,
    follow: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Write the log to `out`; with `follow`, until its attempt ends. The last state seen."""
    offset, settled = 0, False
    while True:
        data, _size, state = client.attempt_log(attempt_id, offset)
        if data:
            out.write(data)
            out.flush()
        offset += len(data)
        if not follow or state is None or (state != "running" and settled):
            return state
        if state != "running":
            settled = True
            sleep(SETTLE_SECONDS)
        else:
            sleep(POLL_SECONDS)


def run_logs(args: argparse.Namespace, client: FarmClient) -> int:
    """Print (or follow) the chosen attempt's log; 1 when there is none, 130 on Ctrl-C."""
    try:
        try:
            tasks = client.tasks(args.job)
            task, attempt = choose(tasks, args.task, args.attempt)
        except NoAttempt as exc:
            print(f"farmhand logs: job {args.job}: {exc}", file=sys.stderr)
            return 1
        print(f"farmhand logs: {describe(args.job, task, attempt)}", file=sys.stderr, flush=True)
        copy_log(client, attempt["id"], sys.stdout.buffer, args.follow)
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the reader chose to stop; no traceback
    return 0
