"""Send a job to the farm: hash, upload what the farm lacks, submit — and the one retry policy.

`farmhand submit` calls `submit_scene` (a scene file) and the Maya panel, in its background
thread, calls `submit_analysis` (the analysis it shows); both see the stages, the progress and
the retries through a `Watch`, and get the same errors with the same words.

What is retried, and how often:

* A file that changed after it was hashed (a texture saved during the upload): the other
  files are sent, then only the changed ones are hashed again (`pipeline.rehash`: the scene is
  not analysed again) and sent; `ATTEMPTS` upload rounds in all, each announced
  (`retry_note`), then `FileChanged` says to submit again once the file is saved. When the
  changed file is the scene itself and the scene was read from its file (`submit_scene`), it
  is analysed again, since the saved scene may name other files; the panel's analysis comes
  from Maya, so there only the scene file is hashed again.
* A chunk that cannot reach the server or times out is sent again by the uploader, up to 6
  times with a growing pause (0.4 s to 10 s); a blob whose bytes were damaged on the way (the
  server refuses it) is sent again from its start, up to 6 times.
* A file that keeps changing while it is hashed is read again twice by the hash cache, then a
  `HashError` names it.
* Never the submit request itself: one that reached the server but whose answer was lost
  would make a second job.

Cancel (the panel's button) stops hashing and upload at the next block or chunk; nothing is
submitted, and what was uploaded stays on the farm, so the next try sends only the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmhand.scene import Analysis
from farmhand.submit.pipeline import Choices, Prepared, prepare, prepare_analysis, rehash
from farmhand.transfer.changes import AFTER_HASHING, FileChanged
from farmhand.transfer.client import FarmClient
from farmhand.transfer.hashcache import HashCache
from farmhand.transfer.upload import CHUNK, Progress, Uploader, UploadReport

__all__ = [
    "ATTEMPTS",
    "HASHING",
    "SUBMITTING",
    "UPLOADING",
    "Submitted",
    "Watch",
    "retry_note",
    "send",
    "submit_analysis",
    "submit_scene",
    "upload_and_submit",
]

HASHING, UPLOADING, SUBMITTING = "hashing", "uploading", "submitting"
ATTEMPTS = 3  # upload rounds; files that changed are hashed again between two


def _nothing(*_: object) -> None:
    """A callback that shows nothing."""


@dataclass
class Watch:
    """What a submission tells whoever drives it; every callback is optional.

    ``stage(name, prepared)`` as each stage starts: HASHING (``prepared`` None the first time;
    again, with the job as it was, before files that changed are hashed again), UPLOADING and
    SUBMITTING. ``hashing(files_done, files_total, bytes_done, bytes_total)`` and
    ``uploading(Progress)`` count within a stage, from worker threads too. ``retrying(note)``
    when files changed and are about to be hashed and sent again.
    """

    stage: Callable[[str, Prepared | None], Any] = _nothing
    hashing: Callable[[int, int, int, int], Any] | None = None
    uploading: Callable[[Progress], Any] | None = None
    retrying: Callable[[str], Any] = _nothing


@dataclass
class Submitted:
    """What a submission did: the job, and what was uploaded (over every round)."""

    job: dict[str, Any]
    upload: UploadReport
    url: str


def submit_scene(
    client: FarmClient,
    scene: str | Path,
    choices: Choices,
    *,
    project: str | None = None,
    search_paths: tuple[str, ...] = (),
    watch: Watch | None = None,
    cancel: threading.Event | None = None,
    parallel: int = 4,
    chunk_size: int = CHUNK,
    attempts: int = ATTEMPTS,
    blender: str | None = None,
    cache: HashCache | None = None,
    before_upload: Callable[[dict[str, Any]], None] | None = None,
    on_prepared: Callable[[Prepared], None] | None = None,
) -> Submitted:
    """Analyse a scene file (`pipeline.prepare`), then `send` it.

    `on_prepared` sees the Prepared (what was left out, for instance) and `before_upload` its
    JobSpec before anything is sent (the CLI's checks that warn); both once.
    """
    watch = watch or Watch()
    with _opened(cache) as hashes:

        def analysed() -> Prepared:
            return prepare(
                scene,
                choices,
                project=project,
                search_paths=search_paths,
                cache=hashes,
                progress=watch.hashing,
                cancel=cancel,
                blender=blender,
            )

        watch.stage(HASHING, None)
        prepared = analysed()
        if on_prepared is not None:
            on_prepared(prepared)
        if before_upload is not None:
            before_upload(prepared.spec)
        return send(
            client,
            prepared,
            watch=watch,
            cancel=cancel,
            parallel=parallel,
            chunk_size=chunk_size,
            attempts=attempts,
            cache=hashes,
            analyse_again=analysed,
        )


def submit_analysis(
    client: FarmClient,
    analysis: Analysis,
    choices: Choices,
    *,
    watch: Watch | None = None,
    cancel: threading.Event | None = None,
    parallel: int = 4,
    chunk_size: int = CHUNK,
    attempts: int = ATTEMPTS,
    cache: HashCache | None = None,
) -> Submitted:
    """Hash the files of an analysis already made (`pipeline.prepare_analysis`), then `send`."""
    watch = watch or Watch()
    with _opened(cache) as hashes:
        watch.stage(HASHING, None)
        prepared = prepare_analysis(
            analysis, choices, cache=hashes, progress=watch.hashing, cancel=cancel
        )
        return send(
            client,
            prepared,
            watch=watch,
            cancel=cancel,
            parallel=parallel,
            chunk_size=chunk_size,
            attempts=attempts,
            cache=hashes,
        )


def send(
    client: FarmClient,
    prepared: Prepared,
    *,
    watch: Watch | None = None,
    cancel: threading.Event | None = None,
    parallel: int = 4,
    chunk_size: int = CHUNK,
    attempts: int = ATTEMPTS,
    cache: HashCache | None = None,
    analyse_again: Callable[[], Prepared] | None = None,
) -> Submitted:
    """Upload what the farm lacks and submit, with the retries of the module docstring.

    `analyse_again` prepares the scene anew (`submit_scene` gives it): used only when the
    scene file itself changed. Raises FileChanged after `attempts` rounds, and whatever
    hashing, uploading or submitting raise (Cancelled, HashError, FarmError, ...).
    """
    watch = watch or Watch()
    total = UploadReport()
    changed: list[Path] = []
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            watch.retrying(retry_note(changed, attempt, attempts))
            watch.stage(HASHING, prepared)
            if analyse_again is not None and Path(prepared.analysis.scene_file) in changed:
                prepared = analyse_again()
            else:
                prepared = rehash(
                    prepared, changed, cache=cache, progress=watch.hashing, cancel=cancel
                )
        watch.stage(UPLOADING, prepared)
        uploader = Uploader(
            client,
            chunk_size=chunk_size,
            parallel=parallel,
            progress=watch.uploading,
            cancel=cancel,
            report_changed=True,
        )
        report = uploader.upload(prepared.files)
        _add(total, report, first=attempt == 1)
        changed = report.changed
        if not changed:
            watch.stage(SUBMITTING, prepared)
            job = client.submit_job(prepared.spec)
            return Submitted(job, total, client.job_url(job["id"]))
    raise FileChanged(
        changed[0], f"{AFTER_HASHING}, on each of {attempts} tries: submit again once it is saved"
    )


def upload_and_submit(
    client: FarmClient,
    prepared: Prepared,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    parallel: int = 4,
    chunk_size: int = CHUNK,
) -> Submitted:
    """One round, no retry: upload what the farm lacks, then submit; FileChanged when a file
    changed after it was hashed (`send` hashes it again and retries)."""
    uploader = Uploader(
        client, chunk_size=chunk_size, parallel=parallel, progress=progress, cancel=cancel
    )
    report = uploader.upload(prepared.files)
    job = client.submit_job(prepared.spec)
    return Submitted(job, report, client.job_url(job["id"]))


def retry_note(changed: list[Path], attempt: int, attempts: int) -> str:
    """What the artist is told when files changed during the upload.

    >>> retry_note([Path("/shot/wall.png")], 2, 3)
    '/shot/wall.png changed after it was hashed: hashing it again and sending it (try 2 of 3)'
    >>> retry_note([Path(f"/t/{n}.png") for n in "abcd"], 3, 3)
    '4 files changed after they were hashed (/t/a.png, /t/b.png, /t/c.png, …): hashing them again and sending them (try 3 of 3)'
    """  # noqa: E501
    if len(changed) == 1:
        return (
            f"{changed[0]} {AFTER_HASHING}: hashing it again and sending it "
            f"(try {attempt} of {attempts})"
        )
    shown = ", ".join(str(p) for p in changed[:3]) + (", …" if len(changed) > 3 else "")
    return (
        f"{len(changed)} files changed after they were hashed ({shown}): hashing them "
        f"again and sending them (try {attempt} of {attempts})"
    )


def _add(total: UploadReport, report: UploadReport, first: bool) -> None:
    """Count one upload round into the submission's report; the files already on the farm
    are those of the first round (later rounds find the first one's uploads there)."""
    total.files_sent += report.files_sent
    total.bytes_sent += report.bytes_sent
    total.retries += report.retries
    total.seconds += report.seconds
    if first:
        total.files_skipped = report.files_skipped
    total.changed = list(report.changed)


@contextmanager
def _opened(cache: HashCache | None) -> Iterator[HashCache]:
    """The given hash cache, else the user's, opened for one submission and closed after."""
    if cache is not None:
        yield cache
        return
    with HashCache() as opened:
        yield opened
