"""Dependencies the artist ignores for one submission, applied to an analysis.

Ignoring a missing file takes it out of the job: the dependency leaves the
analysis, its error no longer blocks, and a notice says it will be absent on
the farm. The scene itself is untouched.

>>> from farmhand.scene.model import Dependency
>>> dep = Dependency("texture", "file1", "fileTextureName", "a.png")
>>> ignore_key(dep)
('file1', 'fileTextureName', 'a.png')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from farmhand.scene import Analysis, Dependency, Diagnostic
from farmhand.scene.model import NOTICE

IGNORED = "ignored-for-submission"
"""Diagnostic code (notice) of a missing file the artist chose to leave out."""

IgnoreKey = tuple[str, str, str]


def ignore_key(dep: Dependency) -> IgnoreKey:
    """What identifies a dependency to ignore: node, attribute and path as written."""
    return (dep.node, dep.attribute, dep.path)


def without_ignored(analysis: Analysis, ignored: Collection[IgnoreKey]) -> Analysis:
    """A copy of the analysis without the ignored missing dependencies (the input is kept)."""
    keys = set(ignored)
    if not keys:
        return analysis
    dropped = [d for d in analysis.asset if not d.exists and ignore_key(d) in keys]
    if not dropped:
        return analysis
    gone = {(d.node, d.path) for d in dropped}
    kept = [d for d in analysis.asset if not (not d.exists and ignore_key(d) in keys)]
    diagnostics = [
        d for d in analysis.diagnostics if not (d.severity != NOTICE and (d.node, d.path) in gone)
    ]
    diagnostics += [
        Diagnostic(
            IGNORED, NOTICE,
            f"{d.plug} is left out of this submission: {d.path} will be missing on the farm",
            d.node, d.path,
            "restore it in Assets if the render needs it",
        )
        for d in dropped
    ]  # fmt: skip
    return dataclasses.replace(analysis, asset=kept, diagnostics=diagnostics)
