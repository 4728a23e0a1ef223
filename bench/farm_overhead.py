"""What the farm costs on top of rendering: a Blender job on 2 local workers vs plain blender.

In one run, on the same generated scene (Cycles, fixed seed):

* **plain**: 2 ``blender -b scene -s A -e B -a`` processes in parallel, each rendering half
  of the frames (the fastest a person with a terminal could do it on this machine);
* **farm**: a local farm as the README's demo runs it (``farmhand server`` on SQLite, two
  ``farmhand worker`` processes), the same frames submitted with ``farmhand submit`` and
  ``--frames-per-task`` (default: half the frames, so each worker starts Blender as often as
  a plain process does). Timed from the start of ``farmhand submit`` (analysis of the .blend
  by Blender's own probe, hashing, upload, submission) to the job's completion as the
  server reports it — claim, fetching files, the render, previews, uploading the images,
  reporting — and, for reference, from the job's acceptance to its completion.

Rounds alternate plain and farm; the medians are printed with the ratio farm ÷ plain
(target ≤ 1.10). The farm's frames are checked to be pixel-identical to the plain ones.

Usage::

    python bench/farm_overhead.py                  # 20 frames, 320x180, 64 samples, 3 rounds
    python bench/farm_overhead.py --width 160 --height 90 --samples 32   # 0.3 s frames

The default frames take about 2 s each here (plain: about 40 s). The farm's
costs are mostly per job and per task, not per frame: the .blend's analysis at
submission (Blender starting, about 1 s), fetching the files, sending the
images and previews back. With frames of a fraction of a second they weigh
far more (about 1.4× with 160x90 at 32 samples); a farm's frames take minutes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from blender_scenes import make_scene  # noqa: E402
from local_farm import LocalFarm  # noqa: E402


def plain(scene: Path, frames: int, out: Path) -> float:
    """Two parallel blender processes, half the frames each; wall seconds."""
    half = frames // 2
    ranges = [(1, half), (half + 1, frames)]
    started = time.monotonic()
    processes = [
        subprocess.Popen(["blender", "-b", str(scene), "-o", str(out / "plain_####"), "-F", "PNG",
                          "-s", str(a), "-e", str(b), "-a"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for a, b in ranges
    ]  # fmt: skip
    for p in processes:
        if p.wait() != 0:
            raise RuntimeError("plain blender failed")
    return time.monotonic() - started


def farm(work: Path, scene: Path, frames: int, per_task: int) -> tuple[float, float, Path]:
    """The job on a local farm: (submit → done, accepted → done, folder of the frames)."""
    with LocalFarm(work, workers=2).start() as local:
        started = time.monotonic()
        job_id = local.submit(scene, "--frames", f"1-{frames}", "--frames-per-task", str(per_task))
        accepted = time.monotonic()
        job = local.wait(job_id)
        done = time.monotonic()
        if job["state"] != "completed":
            raise RuntimeError(f"the farm job ended {job['state']}; see logs in {work}")
        out = work / "frames"
        local.download(job_id, out)
    return done - started, done - accepted, out


def same_pixels(farm_dir: Path, plain_dir: Path, frames: int) -> bool:
    """True when every farm frame equals the plain frame of the same number."""
    for f in range(1, frames + 1):
        ours = next(farm_dir.rglob(f"*{f:04d}.png"))
        theirs = plain_dir / f"plain_{f:04d}.png"
        if not np.array_equal(np.asarray(Image.open(ours)), np.asarray(Image.open(theirs))):
            return False
    return True


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--frames-per-task", type=int, default=None)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=180)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    per_task = args.frames_per_task or max(1, args.frames // 2)
    with tempfile.TemporaryDirectory(prefix="farm-overhead-") as tmp:
        root = Path(tmp)
        scene = make_scene(root / "shot" / "shot.blend", frames=(1, args.frames),
                           width=args.width, height=args.height, samples=args.samples)  # fmt: skip
        print(f"farm overhead: {args.frames} frames of a {args.width}x{args.height} Cycles scene "
              f"({args.samples} samples), 2 workers, {per_task} frames per task")  # fmt: skip
        plains, farms, accepted = [], [], []
        identical = True
        for round_ in range(1, args.rounds + 1):
            plain_dir = root / f"plain{round_}"
            plain_dir.mkdir()
            plains.append(plain(scene, args.frames, plain_dir))
            total, after_accept, farm_dir = farm(root / f"farm{round_}", scene, args.frames,
                                                 per_task)  # fmt: skip
            farms.append(total)
            accepted.append(after_accept)
            identical &= same_pixels(farm_dir, plain_dir, args.frames)
            print(f"  round {round_}: plain {plains[-1]:.2f} s, farm {total:.2f} s "
                  f"(accepted → done {after_accept:.2f} s)", flush=True)  # fmt: skip
    p, f, a = statistics.median(plains), statistics.median(farms), statistics.median(accepted)
    print(f"plain blender, 2 processes : {p:.2f} s")
    print(f"farm, submit → done        : {f:.2f} s")
    print(f"farm, accepted → done      : {a:.2f} s")
    print(f"farm ÷ plain               : {f / p:.3f}  (target ≤ 1.10)")
    print(f"farm (accepted) ÷ plain    : {a / p:.3f}")
    print(f"frames pixel-identical     : {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
