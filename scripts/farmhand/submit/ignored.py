"""Dependencies the artist ignores for one submission, applied to an analysis.

Ignoring a missing file takes it out of the job: the dependency leaves the
analysis, its error no longer blocks, and a notice says it will be absent on
the farm. The scene itself is untouched. A reference or a cache left out
changes what renders (whole objects vanish), so it is a warning, not a notice.

>>> from farmhand.scene.model import Dependency
>>> dep = Dependency("texture", "file1", "fileTextureName", "a.png")
>>> ignore_key(dep)
('file1', 'fileTextureName', 'a.png')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from farmhand.scene import Analysis, Dependency, Diagnostic
from farmhand.scene.diagnostics import NO_RENDERABLE_CAMERA
from farmhand.scene.model import NOTICE, WARNING

IGNORED = "ignored-for-submission"
"""Diagnostic code (notice) of a missing file the artist chose to leave out."""

IgnoreKey = tuple[str, str, str]

WHOLE_THINGS = {"reference", "alembic", "gpu_cache", "cache", "standin", "volume", "yeti",
                "xgen", "xgen_data"}  # fmt: skip
"""Kinds of file whose absence drops objects from the render, not just a look."""


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
    diagnostics += [_left_out(d) for d in dropped]
    return dataclasses.replace(analysis, asset=kept, diagnostics=diagnostics)


def _left_out(dep: Dependency) -> Diagnostic:
    """The diagnostic for one missing file the artist left out."""
    if dep.kind in WHOLE_THINGS:
        return Diagnostic(
            IGNORED,
            WARNING,
            f"{dep.plug}: the missing {dep.kind} {dep.path} is left out of this submission; "
            "what it brings in will not render",
            dep.node,
            dep.path,
            "locate it, or restore it in Assets, unless the shot does not need it",
        )
    return Diagnostic(
        IGNORED,
        NOTICE,
        f"{dep.plug} is left out of this submission: {dep.path} will be missing on the farm",
        dep.node,
        dep.path,
        "restore it in Assets if the render needs it",
    )


def with_picked_cameras(analysis: Analysis, layers_with_a_pick: Collection[str]) -> Analysis:
    """A copy without the "no renderable camera" error of each layer the artist ticked a
    camera in (the panel renders that camera, so the layer has one; the scene is untouched)."""
    picked = set(layers_with_a_pick)
    kept = [
        d for d in analysis.diagnostics if not (d.code == NO_RENDERABLE_CAMERA and d.node in picked)
    ]
    if len(kept) == len(analysis.diagnostics):
        return analysis
    return dataclasses.replace(analysis, diagnostics=kept)
