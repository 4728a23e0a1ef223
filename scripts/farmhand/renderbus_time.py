"""Renderbus's three time fields read with Renderbus's units and meanings.

Sources (docs/jobspec.md, "Renderbus task.json", has the table):

* ``time_out`` — the Maya configuration document of the Renderbus SDK
  (``help/doc/docs/Configuration Documentation--Maya.md``): "Timeout period
  unit:hour", ``"12"``; its English SDK docs (``renderbus/docs_sdk_en``,
  ``Configuration file for Maya.md``): "Overtime reminder time, unit: sec",
  default ``"43200"``; the rayvision_api ``TASK_INFO`` default and the client
  traffic (``renderbus-client-analysis.md``): ``"43200"``. Both mean twelve
  hours, so values up to :data:`HOURS_UP_TO` are hours and larger ones
  seconds. It is a *reminder*: Renderbus stops nothing for it.
* ``job_stop_time`` — "Minor task stops due to timeout, unit: second"; "Set
  the frame timeout time, will only affect the current frame". Renderbus's
  per-frame stop: our ``time_out`` (per task attempt).
* ``task_stop_time`` — "major task stops due to timeout unit: second"; "0"
  means unlimited. Renderbus's whole-task stop: our ``job_stop_time``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOURS_UP_TO = 168
"""A ``time_out`` of at most this many (one week of hours) is hours; larger is seconds.

A reminder of under three minutes (168 s) is not a setting anyone makes, nor one of
more than a week (169 h); the two documented forms, ``"12"`` and ``"43200"``, fall on
either side."""

MAX_SECONDS = 315_360_000
"""The JobSpec's largest time (ten years), as its schema bounds ``time_out``."""


@dataclass(slots=True)
class TimeLimits:
    """What the three fields become: JobSpec fields, notes and warnings."""

    spec: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def duration(seconds: float) -> str:
    """A duration as people say it.

    >>> duration(43200), duration(5400), duration(90), duration(45)
    ('12 h', '90 min', '90 s', '45 s')
    """
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _seconds(value: float, key: str) -> int:
    if value < 0:
        raise ValueError(f"task_info.{key}: {value:g} is negative")
    if value > MAX_SECONDS:
        raise ValueError(f"task_info.{key}: {value:g} s is more than {MAX_SECONDS} s (ten years)")
    return int(value)


def reminder_seconds(value: float) -> tuple[int, str]:
    """Renderbus ``time_out`` in seconds, and the unit it was read in (see the module doc).

    >>> reminder_seconds(12), reminder_seconds(43200), reminder_seconds(0.5)
    ((43200, 'hours'), (43200, 'seconds'), (1800, 'hours'))
    """
    if 0 <= value <= HOURS_UP_TO:
        return round(value * 3600), "hours"
    return _seconds(value, "time_out"), "seconds"


def time_limits(
    time_out: float | None,
    job_stop_time: float | None,
    task_stop_time: float | None,
    frames_per_task: int,
) -> TimeLimits:
    """Map the three fields (None: absent). ``frames_per_task`` is the frames of one of our
    tasks (1 for a tiled job): Renderbus stops a *frame* after ``job_stop_time``, so a task
    of N frames may run N times as long."""
    limits = TimeLimits()
    if time_out is not None:
        _reminder(time_out, job_stop_time, limits)
    if job_stop_time:
        per_frame = _seconds(job_stop_time, "job_stop_time")
        limits.spec["time_out"] = min(per_frame * max(frames_per_task, 1), MAX_SECONDS)
        if frames_per_task > 1:
            limits.warnings.append(
                f"task_info.job_stop_time {per_frame}: Renderbus stops a frame after "
                f"{duration(per_frame)}; a task here renders {frames_per_task} frames, so its "
                f"time_out is {duration(limits.spec['time_out'])}"
            )
    if task_stop_time:  # "0" means unlimited
        limits.spec["job_stop_time"] = _seconds(task_stop_time, "task_stop_time")
    return limits


def _reminder(value: float, job_stop_time: float | None, limits: TimeLimits) -> None:
    if value < 0:
        raise ValueError(f"task_info.time_out: {value:g} is negative")
    seconds, unit = reminder_seconds(value)
    if not seconds:
        limits.notes["task_info.time_out"] = f"{value:g} (no overtime reminder)"
        return
    limits.notes["task_info.time_out"] = (
        f"{value:g}, read as {unit}: {duration(seconds)} ({seconds} s); Renderbus's overtime "
        "reminder, which Farmhand does not have"
    )
    stop = "task_info.job_stop_time" if job_stop_time else "the farm's default time_out"
    limits.warnings.append(
        f"task_info.time_out {value:g} read as {unit}: {duration(seconds)} ({seconds} s); "
        f"values up to {HOURS_UP_TO} are hours (Renderbus's Maya configuration document: "
        f'"12", unit hour), larger ones seconds (the Renderbus client sends "43200"). It is '
        f"Renderbus's overtime reminder, which stops nothing: Farmhand has no reminder, so it "
        f"is kept in notes and a task is stopped by {stop}"
    )
