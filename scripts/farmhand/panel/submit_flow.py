"""One submission from the panel, run in a background thread: hash, upload, submit.

It calls the library the CLI uses (`prepare_analysis`, then
`upload_and_submit`) and reports each stage and its progress through one
callback, as `SubmitEvent`s the panel shows. A file that changes between
hashing and upload is hashed again (the cache re-reads only that file), as
`farmhand submit` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from farmhand.scene import Analysis
from farmhand.submit.pipeline import Choices, Submitted, prepare_analysis, upload_and_submit
from farmhand.transfer.client import FarmClient
from farmhand.transfer.upload import FileChanged, Progress

HASHING, UPLOADING, SUBMITTING = "hashing", "uploading", "submitting"
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class SubmitEvent:
    """Where a submission stands: its stage and that stage's counts."""

    stage: str
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    rate: float = 0.0
    eta: float | None = None
    hashed_files: int = 0  # once hashing is over: how many files, how many bytes were hashed
    hashed_bytes: int = 0


def submit(
    client: FarmClient,
    analysis: Analysis,
    choices: Choices,
    cancel: threading.Event,
    progress: Callable[[SubmitEvent], Any],
    parallel: int = 4,
) -> Submitted:
    """Hash, upload what the farm lacks, submit; raises Blocked, SpecInvalid, Cancelled, …"""

    def hashed(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        progress(SubmitEvent(HASHING, files_done, files_total, bytes_done, bytes_total))

    hashed_total = [0, 0]

    def uploaded(p: Progress) -> None:
        progress(SubmitEvent(UPLOADING, p.files_done, p.files_total, p.bytes_done,
                             p.bytes_total, p.rate, p.eta, *hashed_total))  # fmt: skip

    for attempt in range(1, ATTEMPTS + 1):
        progress(SubmitEvent(HASHING))
        prepared = prepare_analysis(analysis, choices, progress=hashed, cancel=cancel)
        hashed_total[:] = [len(prepared.files), sum(f.hash.size for f in prepared.files)]
        progress(SubmitEvent(UPLOADING, hashed_files=hashed_total[0],
                             hashed_bytes=hashed_total[1]))  # fmt: skip
        try:
            done = upload_and_submit(client, prepared, uploaded, cancel, parallel=parallel)
        except FileChanged:
            if attempt == ATTEMPTS:
                raise
            continue
        progress(SubmitEvent(SUBMITTING, 1, 1, hashed_files=hashed_total[0],
                             hashed_bytes=hashed_total[1]))  # fmt: skip
        return done
    raise AssertionError("unreachable")  # pragma: no cover
