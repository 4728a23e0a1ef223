"""Renderbus's three time fields read with Renderbus's units and meanings.

Sources (docs/jobspec.md, "Renderbus task.json", has the table):

* ``time_out`` — the Maya configuration document of the Renderbus SDK
  (``help/doc/docs/Configuration Documentation--Maya.md``): "Timeout period
  unit:hour", ``"12"``; the client traffic (``renderbus-client-analysis.md``)
  and the rayvision_api ``TASK_INFO`` default: ``"43200"``, seconds. Both mean
  twelve hours, so values up to :data:`HOURS_UP_TO` are hours and larger ones
  seconds; it becomes our ``time_out``, the limit of one task attempt. (The
  English SDK docs call it an "overtime reminder"; Farmhand has no reminder,
  and a limit is what a studio moving its jobs expects to keep.)
* ``job_stop_time`` — "Minor task stops due to timeout, unit: second", "will
  only affect the current frame": a per-frame stop. ``time_out`` already
  limits each task, so it is kept in the job's notes, with a warning.
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
    """Map the three fields (None: absent; see the module doc). ``frames_per_task`` is the
    frames of one of our tasks (1 for a tiled job), named in the per-frame warning."""
    limits = TimeLimits()
    if time_out is not None:
        _limit(time_out, limits)
    if job_stop_time:
        per_frame = _seconds(job_stop_time, "job_stop_time")
        limits.notes["task_info.job_stop_time"] = (
            f"{per_frame} s: Renderbus's per-frame stop ({duration(per_frame)})"
        )
        limit = limits.spec.get("time_out")
        applied = f"time_out's {duration(limit)} per task" if limit else "the farm's time_out"
        limits.warnings.append(
            f"task_info.job_stop_time {per_frame}: Renderbus's per-frame stop "
            f"({duration(per_frame)}) is kept in notes; a task of {frames_per_task} frame(s) "
            f"is limited by {applied}"
        )
    if task_stop_time:  # "0" means unlimited
        limits.spec["job_stop_time"] = _seconds(task_stop_time, "task_stop_time")
    return limits


def _limit(value: float, limits: TimeLimits) -> None:
    if value < 0:
        raise ValueError(f"task_info.time_out: {value:g} is negative")
    seconds, unit = reminder_seconds(value)
    if not seconds:  # Renderbus writes 0 for "no limit": the farm's default applies
        return
    limits.spec["time_out"] = seconds
    limits.warnings.append(
        f"task_info.time_out {value:g} read as {unit}: {duration(seconds)} ({seconds} s) per "
        f"task; values up to {HOURS_UP_TO} are hours (Renderbus's Maya configuration "
        f'document: "12", unit hour), larger ones seconds (the Renderbus client sends '
        f'"43200")'
    )
