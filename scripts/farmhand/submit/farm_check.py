"""Checked before submit: can an online render node serve the job's software version?

A warning, never a refusal: nodes come and go, and a job waits for the right one. The
panel calls `software_warning` the same way as `farmhand submit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from farmhand.spec import versions
from farmhand.transfer.client import FarmClient, FarmError


def version_warning(software: Mapping[str, Any], farm: Mapping[str, Any]) -> str | None:
    """What is wrong with the job's software on this farm (`GET /farm/software`), or None.

    >>> farm = {"workers_online": 3, "software": [{"name": "Maya", "version": "2022",
    ...     "workers": 3}, {"name": "Blender", "version": "3.4", "workers": 1}]}
    >>> for part in version_warning({"cg_name": "Maya", "cg_version": "2023"}, farm).split("; "):
    ...     print(part)
    no online render node has Maya ≥ 2023 (the scene was saved with Maya 2023
    online: Maya 2022 on 3 workers): the job will wait
    >>> version_warning({"cg_name": "Maya", "cg_version": "2021"}, farm) is None
    True
    """
    key = versions.requirement_key(software)
    if key is None:
        return None
    need = versions.parse_need(key)
    name = need.name if need else key.removeprefix("software:")
    wanted = need.describe() if need else versions.title(name)
    if not farm.get("workers_online"):
        return f"no render node is online: the job will wait for one with {wanted}"
    counts: dict[str, int] = {}
    for entry in farm.get("software") or []:
        if versions.clean_name(str(entry.get("name", ""))) == name:
            counts[str(entry.get("version"))] = int(entry.get("workers") or 0)
    if counts and (need is None or any(need.met_by_version(v) for v in counts)):
        return None
    saved = f"{versions.title(name)} {software.get('cg_version')}"
    have = versions.on_workers(name, counts) if counts else f"no {versions.title(name)}"
    return (
        f"no online render node has {wanted} (the scene was saved with {saved}; "
        f"online: {have}): the job will wait"
    )


def software_warning(client: FarmClient, spec: Mapping[str, Any]) -> str | None:
    """`version_warning` for a JobSpec against the farm now; None too when the farm cannot say."""
    try:
        farm = client.farm_software()
    except (FarmError, requests.RequestException, ValueError):
        return None  # an older server, or none reachable: submitting will say so
    return version_warning(spec.get("software") or {}, farm)
