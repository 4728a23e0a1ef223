"""Benchmark tile assembly against reading and writing the whole frame once.

Generates a 4096x2160 RGBA half-float EXR shaped like a render (smooth gradients and shapes
plus sampling noise, so it compresses as renders do), cuts it into the 64 tiles of an 8x8
block grid (``farmhand.spec.tiles.tile_rects(4096, 2160, 64, "block")``) and writes each tile
cropped (tile-sized, as Blender's border render with crop writes them) with the frame's
compression. Then, in the same process, interleaved, median of N rounds after one warm-up
of each:

* **baseline**: ``read_image(frame)`` + ``write_image(frame)``: the whole image read and
  written once;
* **assembly**: ``assemble(tiles)``: every tile read and placed, the frame written;
* for reference, the assembly with one reading thread (``workers=1``).

All three use the same image I/O (``farmhand_worker.outputs.images``: OpenEXR, with its thread pool
on every core) and the same compression, so the ratio isolates what assembly adds: opening
64 files and copying the pixels into place. Target (issue 5): assembly / baseline <= 1.5.

The assembled frame is compared bit for bit with the original, so an assembly that skips
work cannot look fast. One untimed assembly under ``tracemalloc`` reports the peak memory
numpy allocated, against the frame's size: tiles are placed as they are read, not held.

Usage::

    python bench/assemble.py                        # ZIP and PIZ, median of 5
    python bench/assemble.py --compression piz --repeat 9 --json
    python bench/assemble.py --mode full --repeat 1 # frame-sized tiles (64 whole frames read)
    python bench/assemble.py --keep /tmp/asm        # keep the frame and tiles

Exit status: 0 whatever the target says (a benchmark, not a test); 1 when the assembled
frame differs from the original or something fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "server")]

from farmhand.spec.tiles import Tile, tile_rects  # noqa: E402
from farmhand_worker.outputs.assemble import DEFAULT_WORKERS, TileImage, assemble  # noqa: E402
from farmhand_worker.outputs.images import EXR, Image, read_image, write_image  # noqa: E402

WIDTH, HEIGHT, TILES = 4096, 2160, 64
RATIO_TARGET = 1.5  # assembly / (read + write once)
COMPRESSIONS = {
    "zip": OpenEXR.ZIP_COMPRESSION,
    "piz": OpenEXR.PIZ_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "none": OpenEXR.NO_COMPRESSION,
}


class BenchError(Exception):
    """A failure that makes the benchmark meaningless (exit 1)."""


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the frame


def render_like(width: int, height: int, seed: int) -> dict[str, np.ndarray]:
    """RGBA half planes: gradients, soft discs and a horizon, plus per-pixel noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = x / width, y / height
    sky = np.where(v < 0.45, 1.0 - v, 0.3 + 0.2 * np.sin(u * 40) * np.cos(v * 25))
    discs = np.zeros_like(u)
    for _ in range(12):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.15)
        d2 = ((u - cx) * width / height) ** 2 + (v - cy) ** 2
        discs += rng.uniform(0.5, 4.0) * np.exp(-d2 / (r * r))
    planes = {}
    for i, name in enumerate("RGB"):
        noise = rng.normal(0.0, 0.02, (height, width)).astype(np.float32)
        planes[name] = ((sky * (0.6 + 0.2 * i) + discs * (1.0 - 0.3 * i)) * (1 + noise)).astype(
            np.float16
        )
    alpha = np.clip(0.2 + discs + (v < 0.45), 0.0, 1.0)
    planes["A"] = alpha.astype(np.float16)
    return planes


def write_tiles(frame: Image, tiles: list[Tile], mode: str, folder: Path) -> list[TileImage]:
    """Each tile as its own file: tile-sized (cropped) or frame-sized with only its region."""
    folder.mkdir(parents=True, exist_ok=True)
    result = []
    for tile in tiles:
        if mode == "cropped":
            planes = {
                n: np.ascontiguousarray(a[tile.y : tile.bottom, tile.x : tile.right])
                for n, a in frame.channels.items()
            }
        else:
            planes = {}
            for name, array in frame.channels.items():
                plane = np.zeros_like(array)
                plane[tile.y : tile.bottom, tile.x : tile.right] = array[
                    tile.y : tile.bottom, tile.x : tile.right
                ]
                planes[name] = plane
        path = write_image(
            Image(planes, EXR, dict(frame.attributes)), folder / f"t{tile.index:02d}.exr"
        )
        result.append(TileImage(path, tile, mode))
    return result


def prepare(root: Path, compression: str, mode: str, seed: int) -> tuple[Path, list[TileImage]]:
    """Write the frame and its tiles under ROOT/<compression>-<mode>."""
    folder = root / f"{compression}-{mode}"
    folder.mkdir(parents=True, exist_ok=True)
    rects = tile_rects(WIDTH, HEIGHT, TILES, "block")
    if len(rects) != TILES:
        raise BenchError(f"tile_rects gave {len(rects)} tiles, not {TILES}")
    attributes = {"compression": COMPRESSIONS[compression]}
    frame = Image(render_like(WIDTH, HEIGHT, seed), EXR, attributes)
    frame_path = write_image(frame, folder / "frame.exr")
    tiles = write_tiles(frame, rects, mode, folder / "tiles")
    return frame_path, tiles


# ----------------------------------------------------------------------------- timing


def timed(run: Callable[[], Any]) -> float:
    """Wall seconds of one call."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def same_pixels(a: Image, b: Image) -> bool:
    """Same channels and the same bits in each."""
    if set(a.channels) != set(b.channels):
        return False
    return all(
        a.channels[n].dtype == b.channels[n].dtype
        and np.array_equal(a.channels[n].view(np.uint16), b.channels[n].view(np.uint16))
        for n in a.channels
    )


def bench_one(root: Path, compression: str, mode: str, repeat: int, seed: int) -> dict[str, Any]:
    """Time baseline, assembly and one-thread assembly for one compression."""
    progress(f"{compression}: writing the frame and {TILES} {mode} tiles")
    frame_path, tiles = prepare(root, compression, mode, seed)
    folder = frame_path.parent
    out_base, out_asm, out_one = (folder / n for n in ("base.exr", "asm.exr", "one.exr"))

    def baseline() -> None:
        write_image(read_image(frame_path), out_base)

    variants: dict[str, Callable[[], Any]] = {
        "baseline": baseline,
        "assembly": lambda: assemble(tiles, WIDTH, HEIGHT, out_asm),
        "assembly_1_thread": lambda: assemble(tiles, WIDTH, HEIGHT, out_one, workers=1),
    }
    for run in variants.values():  # warm-up: page cache, OpenEXR's pool, imports
        run()
    original = read_image(frame_path)
    if not same_pixels(read_image(out_asm), original):
        raise BenchError(f"{compression}: the assembled frame differs from the original")
    runs: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(repeat):
        for name, run in variants.items():
            runs[name].append(timed(run))
        progress(
            f"{compression} round {i + 1}/{repeat}: "
            + ", ".join(f"{name} {r[-1]:.3f} s" for name, r in runs.items())
        )
    median = {name: statistics.median(r) for name, r in runs.items()}
    tracemalloc.start()
    try:
        assemble(tiles, WIDTH, HEIGHT, out_asm)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    frame_bytes = sum(a.nbytes for a in original.channels.values())
    ratio = median["assembly"] / median["baseline"]
    return {
        "compression": compression,
        "mode": mode,
        "frame_bytes_on_disk": frame_path.stat().st_size,
        "tile_bytes_on_disk": sum(t.path.stat().st_size for t in tiles),
        "runs_s": {name: [round(s, 4) for s in r] for name, r in runs.items()},
        "median_s": {name: round(s, 4) for name, s in median.items()},
        "ratio": round(ratio, 3),
        "ratio_1_thread": round(median["assembly_1_thread"] / median["baseline"], 3),
        "target": {"max": RATIO_TARGET, "result": "PASS" if ratio <= RATIO_TARGET else "FAIL"},
        "peak_alloc_mb": round(peak / 1e6, 1),
        "frame_mb": round(frame_bytes / 1e6, 1),
        "identical": True,
    }


# ----------------------------------------------------------------------------- report


def print_report(report: dict[str, Any]) -> None:
    """The human-readable report."""
    print("Farmhand tile assembly benchmark")
    print(
        f"  frame      {WIDTH}x{HEIGHT} RGBA half EXR, {TILES} {report['mode']} tiles "
        f"(8x8 block grid); assembly / (read + write once), same compression for both"
    )
    print(
        f"  method     median of {report['repeat']} interleaved rounds after one warm-up of each; "
        f"{report['cpu_count']} CPUs; OpenEXR {OpenEXR.__version__} pool "
        f"{OpenEXR.global_thread_count()} threads; assembly reads {DEFAULT_WORKERS} tiles at once"
    )
    load = report["loadavg"]
    print(
        f"  load avg   {load['start'][0]:.2f} at start, {load['end'][0]:.2f} at the end "
        "(other processes on the machine skew the timings)"
    )
    print()
    print(
        f"  {'compression':<12}{'read+write':>11}{'assembly':>10}{'1 thread':>10}"
        f"{'ratio':>8}{'limit':>8}  result   peak alloc / frame"
    )
    for row in report["results"]:
        m = row["median_s"]
        print(
            f"  {row['compression'].upper():<12}{m['baseline']:>9.3f} s{m['assembly']:>8.3f} s"
            f"{m['assembly_1_thread']:>8.3f} s{row['ratio']:>8.3f}{'<= 1.5':>8}  "
            f"{row['target']['result']:<8} {row['peak_alloc_mb']:.0f} / {row['frame_mb']:.0f} MB"
        )
    print("  (every assembled frame is bit-identical to the original)")


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--compression",
        default="zip,piz",
        help=f"comma-separated, of {', '.join(COMPRESSIONS)} (default zip,piz)",
    )
    p.add_argument("--mode", choices=("cropped", "full"), default="cropped", help="tile files")
    p.add_argument("--repeat", type=int, default=5, help="timed rounds, median of (default 5)")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--keep", type=Path, help="write the frame and tiles here and keep them")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    args.compressions = [c.strip().lower() for c in args.compression.split(",") if c.strip()]
    unknown = [c for c in args.compressions if c not in COMPRESSIONS]
    if unknown or not args.compressions:
        p.error(f"--compression: unknown {', '.join(unknown) or '(none)'}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="fh-assemble-"))
    try:
        load_start = os.getloadavg()
        results = [
            bench_one(root, compression, args.mode, args.repeat, args.seed)
            for compression in args.compressions
        ]
        report = {
            "mode": args.mode,
            "repeat": args.repeat,
            "cpu_count": os.cpu_count(),
            "results": results,
            "loadavg": {"start": load_start, "end": os.getloadavg()},
        }
    except (BenchError, ValueError, OSError) as exc:
        print(f"bench/assemble.py: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
