"""Between laying out a job's files and rendering: make them what the node opens, and check.

For a Maya job the job folder's ``.ma`` and ``.xgen`` copies were rewritten with
the node's paths as they were laid out (``remap.JobRewriter``); what that did is
logged, then the scene is analysed as the node will open it (``node_check``). For
every job, a file whose blob could not be fetched fails the attempt by name. Each
step writes its result into the attempt's log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from farmhand_worker.files import check as node_check
from farmhand_worker.files import remap
from farmhand_worker.files.layout import LaidOut

Log = Callable[[str], None]


def prepare(
    adapter: str,
    scene: Path,
    project: Path | None,
    laid: LaidOut,
    every: dict[str, Path],
    remapped: list[remap.FileRemap],
    mapper: remap.Mapper,
    log: Log,
) -> str | None:
    """Check a laid-out job; the failure message, or None when it may render.

    `every` is each manifest file's local path by client path (those on studio storage
    too); `remapped` what the rewrite did as the files were laid out.
    """
    if adapter == "maya":
        return _maya(scene, project, laid, every, remapped, mapper, log)
    _log_unavailable(laid, log)
    return _not_fetched(laid) if laid.unavailable else None


def _log_unavailable(laid: LaidOut, log: Log) -> None:
    for client, why in laid.unavailable.items():
        log(f"[farmhand] missing: {client}: {why}\n")


def _not_fetched(laid: LaidOut) -> str:
    names = list(laid.unavailable)
    shown = ", ".join(names[: node_check.MAX_LISTED])
    more = (
        f" and {len(names) - node_check.MAX_LISTED} more"
        if len(names) > node_check.MAX_LISTED
        else ""
    )
    return f"{len(names)} file(s) could not be fetched to this node: {shown}{more}"


def _maya(
    scene: Path,
    project: Path | None,
    laid: LaidOut,
    every: dict[str, Path],
    done: list[remap.FileRemap],
    mapper: remap.Mapper,
    log: Log,
) -> str | None:
    for line in remap.describe(done):
        log(line)
    renamed = {c.new.rstrip("/"): c.old for item in done for c in item.changes}
    _log_unavailable(laid, log)
    if scene.suffix.lower() != ".ma":
        log(f"[farmhand] node check: {scene.name} is not Maya ASCII; not analysed here\n")
        return _not_fetched(laid) if laid.unavailable else None
    manifest = {local: client for client, local in every.items()}
    started = time.monotonic()
    check = node_check.check_scene(
        scene, project, manifest, renamed, laid.unavailable, mapper.to_local
    )
    for line in check.log_lines():
        log(line)
    log(f"[farmhand] node check took {time.monotonic() - started:.2f} s\n")
    return None if check.ok else check.failure()
