"""Fetch a job's finished outputs, as they complete: verified, and never twice.

Each output is named by the server relative to the job's output folder; it
lands at `<dest>/<name>` (a name that would leave `dest` is refused). A file
already there with the same size and xxh64 is skipped, so running the
command again (or following a job that is still rendering) fetches only what
is new. Bytes go to a temporary file first and take their name only once the
hash matches.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import xxhash

from farmhand.transfer.client import FarmClient
from farmhand.transfer.hashing import hash_file

FINAL = {"completed", "failed", "cancelled"}
_BLOCK = 1024 * 1024


class DownloadError(Exception):
    """An output could not be fetched intact (bad name, hash mismatch)."""


@dataclass
class DownloadReport:
    """What a download run did."""

    fetched: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    bytes: int = 0
    job_state: str = ""


def target_for(dest: Path, name: str) -> Path:
    """Where an output named `name` lands under `dest` (refuses names that leave it).

    >>> str(target_for(Path("/out"), "beauty/shot.0001.exr"))
    '/out/beauty/shot.0001.exr'
    >>> target_for(Path("/out"), "../x")
    Traceback (most recent call last):
    ...
    farmhand.transfer.download.DownloadError: refusing output name '../x': it leaves the destination
    """
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or "\\" in name or ".." in parts or ":" in parts[0]:
        raise DownloadError(f"refusing output name {name!r}: it leaves the destination")
    return dest.joinpath(*parts)


def same_file(path: Path, blob: dict[str, Any]) -> bool:
    """True when `path` holds exactly this blob (size, then xxh64)."""
    try:
        return path.stat().st_size == blob["size"] and hash_file(path).xxh64 == blob["xxh64"]
    except OSError:
        return False


def fetch(client: FarmClient, blob: dict[str, Any], target: Path) -> int:
    """Download one blob to `target`, verified; the bytes received."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    digest = xxhash.xxh64()
    size = 0
    try:
        response = client.request("GET", f"/blobs/{blob['key']}", stream=True)
        with response, open(part, "wb") as f:
            for chunk in response.iter_content(_BLOCK):
                digest.update(chunk)
                size += len(chunk)
                f.write(chunk)
        if size != blob["size"] or digest.hexdigest() != blob["xxh64"]:
            raise DownloadError(
                f"{target.name}: received {size} bytes with xxh64 {digest.hexdigest()}, "
                f"expected {blob['size']} bytes with xxh64 {blob['xxh64']}"
            )
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return size


def download_job(
    client: FarmClient,
    job_id: int,
    dest: Path,
    *,
    follow: bool = True,
    previews: bool = False,
    poll: float = 2.0,
    on_file: Callable[[Path, bool], None] | None = None,
    stop: threading.Event | None = None,
) -> DownloadReport:
    """Fetch every output of a job into `dest`; with `follow`, until the job ends.

    `on_file(path, fetched)` is called for each output (fetched False: it was
    already there).
    """
    report = DownloadReport()
    done: set[int] = set()
    stop = stop or threading.Event()
    while True:
        state = client.job(job_id)["state"]  # read first, so outputs listed after it are complete
        for output in client.outputs(job_id):
            if output["id"] in done:
                continue
            _one(client, dest, output["name"], output["blob"], report, on_file)
            if previews and output.get("preview"):
                name = f".previews/{output['name']}.jpg"
                _one(client, dest, name, output["preview"], report, on_file)
            done.add(output["id"])
        report.job_state = state
        if not follow or state in FINAL or stop.is_set():
            return report
        stop.wait(poll) if poll else time.sleep(0)


def _one(
    client: FarmClient,
    dest: Path,
    name: str,
    blob: dict,
    report: DownloadReport,
    on_file: Callable[[Path, bool], None] | None,
) -> None:
    target = target_for(dest, name)
    if same_file(target, blob):
        report.skipped.append(target)
        fetched = False
    else:
        report.bytes += fetch(client, blob, target)
        report.fetched.append(target)
        fetched = True
    if on_file is not None:
        on_file(target, fetched)
