"""The JobSpec the panel will send, before any file is hashed, and what is wrong with it.

The preview is built by `farmhand.submit.pipeline.build_spec` from the analysis and
the choices, like the real submission; files that are not hashed yet carry
zero hashes and their real sizes, so `validate_jobspec` checks everything
else (frames, tiles, test frames, hardware, …) and names the field of each
problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from farmhand.scene import Analysis
from farmhand.spec import plan
from farmhand.spec.jobspec import server_path, validate_jobspec
from farmhand.spec.scheduling import Scheduling
from farmhand.submit.client_files import client_files
from farmhand.submit.pipeline import Choices, build_spec

ZERO_MD5 = "0" * 32
ZERO_XXH64 = "0" * 16
SHOWN_MANIFEST = 8
MANIFEST = "manifest"


@dataclass
class Preview:
    """A JobSpec as it will be sent (hashes still zero), with its problems and a task count."""

    spec: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    frames: int = 0
    tasks: int = 0
    manifest_problems: list[str] | None = None  # to pass to the next preview of the analysis

    @property
    def ok(self) -> bool:
        """True when nothing stops the submission."""
        return not self.problems

    def text(self) -> str:
        """The spec as indented JSON: the job's fields first, then the manifest, one file a
        line and cut to its first entries."""
        shown = {k: v for k, v in self.spec.items() if k != "manifest"}
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        manifest = self.spec.get("manifest")
        if manifest is None or not shown:
            return text
        lines = [json.dumps(entry, ensure_ascii=False) for entry in manifest[:SHOWN_MANIFEST]]
        if len(manifest) > SHOWN_MANIFEST:
            more = f"… {len(manifest) - SHOWN_MANIFEST:,} more files"
            lines.append(json.dumps(more, ensure_ascii=False))
        body = ",\n".join(f"    {line}" for line in lines)
        return f'{text[:-2]},\n  "manifest": [\n{body}\n  ]\n}}'


def local_sizes(analysis: Analysis) -> dict[str, int]:
    """Size of every local file the job would send, by local path."""
    sizes = {analysis.scene_file: analysis.scene_file_size}
    for dep in analysis.asset:
        if not dep.exists or not dep.resolved:
            continue
        if dep.pattern:
            for entry in dep.files:
                sizes[entry.path] = entry.size
        else:
            sizes[dep.resolved] = dep.size or 0
    return sizes


def preview(
    analysis: Analysis,
    choices: Choices,
    extra_problems: Iterable[str] = (),
    manifest_problems: list[str] | None = None,
) -> Preview:
    """The spec `prepare_analysis` would build, with placeholder hashes, and its problems.

    The manifest depends on the analysis only, and checking thousands of entries takes
    a while; pass the `manifest_problems` of an earlier preview of the same analysis to
    check only the rest of the spec (the scene's own entry is still checked).
    """
    sizes = local_sizes(analysis)
    pairs = client_files(analysis)
    manifest = []
    problems = list(extra_problems)
    for client, local in pairs:
        try:
            mapped = server_path(client)
        except ValueError as exc:
            problems.append(f"manifest: {client}: {exc}")
            continue
        manifest.append(
            {
                "path": client,
                "server_path": mapped,
                "md5": ZERO_MD5,
                "xxh64": ZERO_XXH64,
                "size": sizes.get(local, 0),
            }
        )
    scene_blob = {"md5": ZERO_MD5, "xxh64": ZERO_XXH64, "size": analysis.scene_file_size}
    try:
        spec = build_spec(analysis, manifest, scene_blob, choices)
    except ValueError as exc:  # a layer's frames that do not parse
        return Preview({}, [*problems, f"frames: {exc}"])
    if manifest_problems is None:
        checked = validate_jobspec(spec)
        manifest_problems = [p for p in checked if p.startswith(MANIFEST)]
    else:
        light = {**spec, "manifest": spec["manifest"][:1]}  # the scene's entry comes first
        checked = [p for p in validate_jobspec(light) if not p.startswith(MANIFEST)]
        checked += manifest_problems
    problems += checked
    frames, tasks, refused = plan_check(spec)
    problems += refused
    if analysis.blocking:
        errors = sum(d.severity == "error" for d in analysis.diagnostics)
        problems.append(f"(scene): {errors} error(s) in Checks block submission")
    locals_ = {local for _, local in pairs}
    result = Preview(spec, _unique(problems), len(locals_), sum(sizes.get(p, 0) for p in locals_))
    result.frames, result.tasks = frames, tasks
    result.manifest_problems = manifest_problems
    return result


def plan_check(spec: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(frames, tasks, problems) of a spec by the shared planner: a layer's frames that do not
    parse, tiles that do not fit, custom test frames no chosen layer renders."""
    try:
        frames, tasks = plan.count(spec)
        groups = plan.layer_groups(spec)
    except plan.PlanError as exc:
        return 0, 0, [str(exc)]
    except (ValueError, TypeError, KeyError, AttributeError):
        return 0, 0, []  # the schema's messages already say what is wrong
    if spec.get("spec_version") != 2:
        return frames, tasks, []
    rendered = {frame for group in groups for frame in group.frames}
    custom = Scheduling.of(spec).test_frames.custom
    strays = [str(f) for f in custom if isinstance(f, int) and f not in rendered]
    if strays:
        problem = (
            f"test_frames.custom: frame(s) {', '.join(strays)} are not rendered by any chosen layer"
        )
        return frames, tasks, [problem]
    return frames, tasks, []


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
