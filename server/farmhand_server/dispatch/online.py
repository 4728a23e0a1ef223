"""What the workers seen recently offer: the farm's software, and why a job no one can take waits.

A worker is online when it was seen (registered, claimed, heartbeat, finished) within
`Config.online_seconds` and its token is not revoked. The reasons name each need no online
worker meets (software versions under the job's policy, RAM, cores, GPUs, tags, plugins,
hardware configs) with what the online workers have instead; a job whose needs are each met
by someone, but never all by one worker, or only by workers it blocklisted, says so.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from farmhand.spec import versions
from sqlalchemy.ext.asyncio import AsyncConnection

from farmhand_server.jobs.requirements import capability_keys
from farmhand_server.store import schema as db

_SOFTWARE_SHOWN = 4  # software versions a reason names when none is the one asked for


@dataclass(frozen=True, slots=True)
class Online:
    """One online worker, as the reasons compare it."""

    id: int
    name: str
    ram_gb: float
    cpu_cores: int
    gpu_count: int
    gpu_memory_gb: float
    hardware_config_id: str
    software: dict[str, Any]  # as registered: {name: {version: {"plugins": {…}}}}
    offers: versions.Offers
    slots: int = 1  # tasks it runs at once


@dataclass(frozen=True, slots=True)
class _Check:
    what: str  # "Maya ≥ 2023"
    test: Callable[[Online], bool]
    # What the online workers have, "" when it says nothing more: worked out only when a
    # reason is written (`explain`), not for every match (`able`).
    instead: Callable[[], str]


async def online_workers(conn: AsyncConnection, online_seconds: float) -> list[Online]:
    """Workers seen within `online_seconds` whose token is not revoked."""
    w = db.workers
    since = time.time() - online_seconds
    # The JSON columns as text: what a worker offers is parsed once per distinct registration
    # (`_offers`), not on every read (each page of jobs reads every online worker).
    rows = await conn.execute(
        sa.select(
            w.c.id,
            w.c.name,
            w.c.ram_gb,
            w.c.cpu_cores,
            w.c.gpu_count,
            w.c.gpu_memory_gb,
            w.c.hardware_config_id,
            sa.cast(w.c.tags, sa.Text).label("tags"),
            sa.cast(w.c.software, sa.Text).label("software"),
            w.c.slots,
        )
        .where(w.c.revoked_at.is_(None), w.c.last_seen >= since)
        .order_by(w.c.id)
    )
    found = []
    for r in rows:
        software, offers = _offers(r.tags, r.software)
        found.append(
            Online(
                r.id,
                r.name,
                r.ram_gb,
                r.cpu_cores,
                r.gpu_count,
                r.gpu_memory_gb,
                r.hardware_config_id or "",
                software,
                offers,
                r.slots or 1,
            )
        )
    return found


_OFFERS: dict[tuple[str | None, str | None], tuple[dict[str, Any], versions.Offers]] = {}
_OFFERS_KEPT = 10_000  # distinct registrations remembered (a farm has a handful)


def _offers(tags: str | None, software: str | None) -> tuple[dict[str, Any], versions.Offers]:
    """A registration's software (parsed) and what it offers, from the columns' JSON text."""
    key = (tags, software)
    hit = _OFFERS.get(key)
    if hit is None:
        parsed = dict(json.loads(software) if software else {})
        offers = versions.Offers.of(
            capability_keys({"tags": json.loads(tags) if tags else [], "software": parsed})
        )
        if len(_OFFERS) >= _OFFERS_KEPT:
            _OFFERS.clear()
        hit = _OFFERS[key] = (parsed, offers)
    return hit


def software_summary(workers: Iterable[Online]) -> list[dict[str, Any]]:
    """Per software and version, how many of these workers have it (no worker identities)."""
    counts: Counter[tuple[str, str]] = Counter()
    shown: dict[str, str] = {}  # clean name → the first spelling a worker reported
    for worker in workers:
        seen = set()
        for name, installed in worker.software.items():
            key = versions.clean_name(str(name))
            shown.setdefault(key, str(name))
            for version in installed or {}:
                seen.add((key, str(version)))
        counts.update(seen)
    return [
        {"name": shown[name], "version": version, "workers": n}
        for (name, version), n in sorted(counts.items())
    ]


def _versions_of(name: str, workers: list[Online]) -> dict[str, int]:
    return dict(
        Counter(v for w in workers for v in set(w.offers.versions.get(name, ()))).most_common()
    )


def _other_software(workers: list[Online]) -> str:
    """What the online workers have when none has the software asked for (a few, most first)."""
    summary = sorted(software_summary(workers), key=lambda s: (-s["workers"], s["name"]))
    if not summary:
        return "the online workers offer no software"
    shown = [
        f"{versions.title(versions.clean_name(s['name']))} {s['version']} on {s['workers']} "
        f"worker{'' if s['workers'] == 1 else 's'}"
        for s in summary[:_SOFTWARE_SHOWN]
    ]
    more = len(summary) - _SOFTWARE_SHOWN
    return "online: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _instead(values: Iterable[Any], unit: str = "") -> str:
    counts = Counter(values)
    parts = [f"{v:g}{unit}" if isinstance(v, float) else f"{v}{unit}" for v in sorted(counts)]
    return "online: " + ", ".join(
        f"{p} on {counts[v]} worker{'' if counts[v] == 1 else 's'}"
        for p, v in zip(parts, sorted(counts), strict=True)
    )


def _checks(
    job: Any, keys: Iterable[str], configs: set[str], workers: list[Online]
) -> list[_Check]:
    checks = []
    for field, what, unit in (
        ("ram_gb", "GB of RAM", " GB"),
        ("cpu_cores", "CPU cores", ""),
        ("gpu_count", "GPUs", ""),
        ("gpu_memory_gb", "GB of GPU memory", " GB"),
    ):
        need = getattr(job, field) or 0
        if need > 0:
            checks.append(
                _Check(f"{need:g} {what}", _at_least(field, need), _having(field, unit, workers))
            )
    needs = versions.Needs.of(keys)
    for software in needs.software:
        instead = functools.partial(_software_instead, software.name, workers)
        checks.append(_Check(software.describe(), _software_test(software), instead))
    for key in sorted(needs.plain):
        kind, _, rest = key.partition(":")
        label = versions.title(rest) if kind == "software" else f"{kind} {rest.replace(':', ' ')}"
        checks.append(_Check(label, _offering(key), str))
    if configs:
        listed = ", ".join(sorted(configs))
        checks.append(
            _Check(
                f"hardware config {listed}",
                lambda w: w.hardware_config_id in configs,
                lambda: _instead(w.hardware_config_id or "none" for w in workers),
            )
        )
    return checks


def _at_least(field: str, need: float) -> Callable[[Online], bool]:
    return lambda worker: getattr(worker, field) >= need


def _having(field: str, unit: str, workers: list[Online]) -> Callable[[], str]:
    return lambda: _instead((getattr(w, field) for w in workers), unit)


def _offering(key: str) -> Callable[[Online], bool]:
    return lambda worker: key in worker.offers.keys


def _software_test(need: versions.Need) -> Callable[[Online], bool]:
    """Whether a worker has a version meeting the need; decided once per registration (workers
    registered alike share one `Offers`), not once per worker."""
    decided: dict[int, tuple[versions.Offers, bool]] = {}

    def test(worker: Online) -> bool:
        hit = decided.get(id(worker.offers))
        if hit is None or hit[0] is not worker.offers:
            met = any(need.met_by_version(v) for v in worker.offers.versions.get(need.name, ()))
            hit = decided[id(worker.offers)] = (worker.offers, met)
        return hit[1]

    return test


def _software_instead(name: str, workers: list[Online]) -> str:
    have = _versions_of(name, workers)
    return "online: " + versions.on_workers(name, have) if have else _other_software(workers)


def able(job: Any, keys: Iterable[str], configs: set[str], workers: list[Online]) -> list[Online]:
    """The workers among `workers` that meet every need of the job (blocklists aside).

    `job` has the job row's `ram_gb`, `cpu_cores`, `gpu_count` and `gpu_memory_gb`; `keys` are
    its requirement keys, `configs` its hardware config ids.
    """
    checks = _checks(job, keys, configs, workers)
    return [w for w in workers if all(c.test(w) for c in checks)]


def explain(
    job: Any, keys: Iterable[str], configs: set[str], blocked: set[int], workers: list[Online]
) -> str | None:
    """Why no online worker can take the job, None when one can.

    `job`, `keys` and `configs` as for `able`; `blocked` the workers the job blocklisted.
    """
    if not workers:
        return "no worker is online"
    checks = _checks(job, keys, configs, workers)
    unmet = [c for c in checks if not any(c.test(w) for w in workers)]
    if unmet:
        return "; ".join(
            f"no online worker has {c.what}" + (f" ({instead})" if (instead := c.instead()) else "")
            for c in unmet
        )
    fits = [w for w in workers if all(c.test(w) for c in checks)]
    if not fits:
        return "no single online worker has all of: " + ", ".join(c.what for c in checks)
    if all(w.id in blocked for w in fits):
        return (
            f"every online worker that could take it ({len(fits)}) is blocklisted "
            "for this job after failures"
        )
    return None


async def blocklists(conn: AsyncConnection, job_ids: list[int]) -> dict[int, set[int]]:
    """The workers each job blocklisted (by job id)."""
    blocked: dict[int, set[int]] = {i: set() for i in job_ids}
    bl = db.blocklist
    for job_id, worker_id in await conn.execute(
        sa.select(bl.c.job_id, bl.c.worker_id).where(bl.c.job_id.in_(job_ids))
    ):
        blocked[job_id].add(worker_id)
    return blocked


async def waiting_reasons(
    conn: AsyncConnection, jobs: list[Any], online_seconds: float
) -> dict[int, str]:
    """For each of these jobs that waits: why (by job id); see `waiting.job_reasons`."""
    from farmhand_server.jobs import waiting  # it builds on this module

    return await waiting.job_reasons(conn, jobs, online_seconds)
