"""What `farmhand submit` prints when errors block a scene: a short summary (how many of
each kind, the first few, where the full report went), the verdict on the last line."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TextIO

from farmhand.commands.analyze import print_summary
from farmhand.scene import Analysis
from farmhand.scene.model import ERROR
from farmhand.transfer.hashcache import default_cache_path

FIRST = 5


def report_path(analysis: Analysis) -> Path:
    """Where the full report of a blocked scene goes: the cache folder, by the scene's name."""
    stem = re.sub(r"[^\w.-]+", "_", Path(analysis.scene_file).stem)[:80] or "scene"
    return default_cache_path().parent / "reports" / f"{stem}.blocked.txt"


def report_blocked(analysis: Analysis, out: TextIO) -> Path | None:
    """Write the full report, print the summary to `out`; the report's path (None when it
    could not be written: the summary then says so)."""
    report = report_path(analysis)
    path: Path | None = report
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
        with report.open("w", encoding="utf-8") as f:
            print_summary(analysis, f)
    except OSError:
        path = None
    errors = [d for d in analysis.diagnostics if d.severity == ERROR]
    missing = [d for d in analysis.asset if not d.exists and not d.optional]
    w = out.write
    w(f"farmhand submit: {len(errors)} error(s) block {Path(analysis.scene_file).name}:\n")
    for code, count in Counter(d.code for d in errors).most_common():
        w(f"  {count:>6}  {code}\n")
    w(f"first {min(FIRST, len(errors))}:\n")
    for d in errors[:FIRST]:
        w(f"  {d.message}\n")
    if missing:
        kinds = ", ".join(f"{n} {k}" for k, n in Counter(d.kind for d in missing).most_common())
        w(
            f"{len(missing)} file(s) missing ({kinds}); --ignore-missing submits without them, "
            "or --search-path DIR finds moved ones\n"
        )
    w(f"full report: {path}\n" if path else "full report: `farmhand analyze SCENE`\n")
    w("farmhand submit: not submitted\n")
    return path
