"""What the worker's rewrite of a laid-out ``.ma`` costs, against copying the file.

Generates a production-shaped scene (``bench/synthetic_scene.py``: meshes, thousands of
file textures under ``C:/proj/sourceimages``, references with edits), makes the textures'
folder exist under a job root as a worker's layout would, then times:

* a plain copy of the file (``shutil.copyfile``), the floor for any rewrite;
* ``farmhand_worker.files.remap.rewrite_file`` (one streaming pass to find the path strings,
  one to copy with them replaced), with the paths it changed and the process's peak RSS.

Usage::

    python bench/remap.py --size-mb 200
    python bench/remap.py --size-mb 800 --json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("scripts", "server")]

from farmhand.spec.pathmap import PathMapper  # noqa: E402
from farmhand_worker.files import remap  # noqa: E402
from synthetic_scene import PROJECT, generate_scene  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size_mb: float) -> dict:
    """Generate, copy, rewrite; the figures."""
    with tempfile.TemporaryDirectory(prefix="farmhand-remap-bench-") as tmp:
        folder = Path(tmp)
        scene = folder / "scene.ma"
        summary = generate_scene(scene, size_mb)
        root = folder / "root"
        mapper = PathMapper(root)
        mapper.to_local(f"{PROJECT}/sourceimages/x").parent.mkdir(parents=True)
        started = time.perf_counter()
        shutil.copyfile(scene, folder / "copy.ma")
        copy_s = time.perf_counter() - started
        (folder / "copy.ma").unlink()
        before = peak_rss_mb()
        started = time.perf_counter()
        changes = remap.rewrite_file(scene, folder / "rewritten.ma", remap.local_paths(mapper))
        rewrite_s = time.perf_counter() - started
        size = scene.stat().st_size
        return {
            "scene_mb": round(size / 1e6, 1),
            "file_textures": summary.n_file_textures,
            "paths_mapped": len(changes),
            "copy_s": round(copy_s, 2),
            "rewrite_s": round(rewrite_s, 2),
            "rewrite_mb_per_s": round(size / 1e6 / rewrite_s, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_rss_before_mb": round(before, 1),
        }


def main(argv: list[str] | None = None) -> int:
    """Print the figures (as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.size_mb)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
