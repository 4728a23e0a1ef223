"""One submission from the panel, run in a background thread: hash, upload, submit.

It drives the pipeline the CLI drives (`farmhand.submit.send.submit_analysis`, which owns the
retries) and reports each stage and its progress through one callback, as `SubmitEvent`s the
panel shows. A file that changes between hashing and upload is hashed again (only that
file), with a note the panel shows, as `farmhand submit` prints it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from farmhand.scene import Analysis
from farmhand.submit.pipeline import Choices, Prepared
from farmhand.submit.send import HASHING, SUBMITTING, UPLOADING, Submitted, Watch, submit_analysis
from farmhand.transfer.client import FarmClient
from farmhand.transfer.upload import Progress

__all__ = ["HASHING", "SUBMITTING", "UPLOADING", "SubmitEvent", "submit"]


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
    note: str = ""  # a retry: which files changed and are hashed and sent again


def submit(
    client: FarmClient,
    analysis: Analysis,
    choices: Choices,
    cancel: threading.Event,
    progress: Callable[[SubmitEvent], Any],
    parallel: int = 4,
) -> Submitted:
    """Hash, upload what the farm lacks, submit; raises Blocked, SpecInvalid, Cancelled, …"""
    hashed_total = [0, 0]
    note = [""]

    def stage(name: str, prepared: Prepared | None) -> None:
        if prepared is not None:
            hashed_total[:] = [len(prepared.files), sum(f.hash.size for f in prepared.files)]
        if name == HASHING:
            progress(SubmitEvent(HASHING, note=note[0]))
        elif name == UPLOADING:
            progress(
                SubmitEvent(UPLOADING, hashed_files=hashed_total[0], hashed_bytes=hashed_total[1])
            )
        else:
            progress(
                SubmitEvent(
                    SUBMITTING, 1, 1, hashed_files=hashed_total[0], hashed_bytes=hashed_total[1]
                )
            )

    def hashed(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        progress(
            SubmitEvent(HASHING, files_done, files_total, bytes_done, bytes_total, note=note[0])
        )

    def uploaded(p: Progress) -> None:
        progress(
            SubmitEvent(
                UPLOADING,
                p.files_done,
                p.files_total,
                p.bytes_done,
                p.bytes_total,
                p.rate,
                p.eta,
                hashed_files=hashed_total[0],
                hashed_bytes=hashed_total[1],
            )
        )

    def retrying(text: str) -> None:
        note[0] = text

    watch = Watch(stage=stage, hashing=hashed, uploading=uploaded, retrying=retrying)
    return submit_analysis(client, analysis, choices, watch=watch, cancel=cancel, parallel=parallel)
