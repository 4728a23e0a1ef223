"""What a job needs from a worker, and the blobs it names; its tasks come from `farmhand.spec.plan`.

Pure functions: no database here. The task planner is shared with the
client (`farmhand.spec.plan`), so `farmhand submit --dry-run` and the panel count
the tasks the server creates; it is re-exported here for the server's use.
"""

from __future__ import annotations

from typing import Any

from farmhand.scene import plugins
from farmhand.spec import versions
from farmhand.spec.blobs import key_of
from farmhand.spec.plan import JobPlan, PlanError, TaskPlan, count_tasks, plan_job

__all__ = [
    "JobPlan",
    "PlanError",
    "TaskPlan",
    "blob_keys",
    "capability_keys",
    "count_tasks",
    "plan_job",
    "requirement_keys",
]


def requirement_keys(spec: dict[str, Any]) -> list[str]:
    """What a worker must offer to take the job's tasks, as capability keys.

    The software key follows the job's version policy (`farmhand.spec.versions`); plugins are
    matched exactly, except those every Maya carries (`farmhand.scene.plugins`).

    >>> requirement_keys({"software": {"cg_name": "Maya", "cg_version": "2025",
    ...     "plugins": {"mtoa": "5.4.1"}}, "hardware": {"tags": ["linux"]}})
    ['plugin:mtoa:5.4.1', 'software:maya>=2025', 'tag:linux']
    """
    keys = set()
    software = spec.get("software") or {}
    if key := versions.requirement_key(software):
        keys.add(key)
    maya = str(software.get("cg_name", "")).lower() == "maya"
    for plugin, version in (software.get("plugins") or {}).items():
        if maya and not plugins.needs_install(plugin):
            continue
        keys.add(f"plugin:{plugin.lower()}:{version}" if version else f"plugin:{plugin.lower()}")
    for tag in (spec.get("hardware") or {}).get("tags") or []:
        keys.add(f"tag:{tag}")
    return sorted(keys)


def capability_keys(worker: dict[str, Any]) -> list[str]:
    """What a registered worker offers, in the same key form as `requirement_keys`.

    `software` is `{cg_name: {version: {"plugins": {name: version}}}}`.

    >>> capability_keys({"tags": ["gpu"], "software": {"Maya": {"2025": {"plugins":
    ...     {"mtoa": "5.4.1"}}}}})
    ['plugin:mtoa', 'plugin:mtoa:5.4.1', 'software:maya', 'software:maya:2025', 'tag:gpu']
    """
    keys = {f"tag:{t}" for t in worker.get("tags") or []}
    for name, installed in (worker.get("software") or {}).items():
        keys.update(versions.capability_keys(name))
        for version, details in (installed or {}).items():
            keys.update(versions.capability_keys(name, version))
            for plugin, plugin_version in ((details or {}).get("plugins") or {}).items():
                keys.add(f"plugin:{plugin.lower()}")
                keys.add(f"plugin:{plugin.lower()}:{plugin_version}")
    return sorted(keys)


def blob_keys(spec: dict[str, Any]) -> list[str]:
    """Every blob a job needs (scene and manifest), as `<md5>-<size>` keys."""
    keys = []
    scene_blob = (spec.get("scene") or {}).get("blob")
    if scene_blob:
        keys.append(key_of(scene_blob))
    for entry in spec.get("manifest") or []:
        keys.append(key_of(entry))
    return list(dict.fromkeys(keys))
