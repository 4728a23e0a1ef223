"""What `farmhand pause|resume|cancel|approve|retry JOB` says: what changed, or plainly why
nothing did (the server's 409 turned into the job's state in words)."""

from __future__ import annotations

from typing import Any

from farmhand.transfer.client import FarmClient, FarmError

# The state an action leads to, as a person says it.
DONE = {"pause": "paused", "resume": "resumed", "cancel": "cancelled", "approve": "approved",
        "retry": "retried"}  # fmt: skip


def outcome(action: str, job: dict[str, Any], task: int | None = None) -> tuple[str, bool]:
    """(the line to print, whether the action did something).

    A retry that found no failed or cancelled task did nothing, and says so.

    >>> outcome("retry", {"id": 3, "state": "completed", "affected": 0})
    ('job 3: nothing to retry: no task failed or was cancelled (the job is completed)', False)
    >>> outcome("retry", {"id": 3, "state": "queued", "affected": 2})
    ('job 3: 2 task(s) queued again; the job is queued', True)
    >>> outcome("pause", {"id": 3, "state": "paused"})
    ('job 3: paused', True)
    """
    if action == "retry":
        count = job.get("affected")
        if count == 0:
            what = (
                f"task {task} did not fail and was not cancelled"
                if task
                else "no task failed or was cancelled"
            )
            return f"job {job['id']}: nothing to retry: {what} (the job is {job['state']})", False
        if count is not None:
            return f"job {job['id']}: {count} task(s) queued again; the job is {job['state']}", True
    return f"job {job['id']}: {job['state']}", True


def refusal(client: FarmClient, job_id: int, action: str) -> str:
    """Why the server refused the action, from the job's state now."""
    try:
        state = client.job(job_id)["state"]
    except FarmError:
        return f"job {job_id} cannot be {DONE[action]} now"
    if action == "pause" and state == "paused":
        return f"job {job_id} is already paused; nothing to do (`farmhand resume {job_id}`)"
    if action == "cancel" and state == "cancelled":
        return f"job {job_id} is already cancelled; nothing to do"
    if action == "resume":
        return f"job {job_id} is {state}, not paused; there is nothing to resume"
    if action == "approve":
        return (
            f"job {job_id} is {state}, not awaiting approval of its test frames; "
            "there is nothing to approve"
        )
    return f"job {job_id} is {state}; a {state} job cannot be {DONE[action]}"
