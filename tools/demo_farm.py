"""The README's main job: a whole render farm on this machine, start to finish.

1. `farmhand server` on SQLite (embedded defaults, a fresh data folder under `.demo/`);
2. two render nodes, `farmhand worker --blender blender`, enrolled with a token;
3. an animated `.blend` made through Blender's own Python;
4. `farmhand submit` of a 10-frame job (two frames per task) and of one frame in 4 tiles;
5. `farmhand download` of both jobs into `demo-output/`, as their frames complete.

Prints what happened and where the images are; exits 0 only when both jobs completed and
every image came back.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from blender_scenes import make_scene  # noqa: E402  (tests/: the scene generator)
from local_farm import LocalFarm  # noqa: E402


def main() -> int:
    """Run the demo; the exit status."""
    started = time.monotonic()
    work, out = REPO / ".demo", REPO / "demo-output"
    farm = LocalFarm(work, workers=2)
    print(f"farm: starting a server and 2 workers under {work} …", flush=True)
    with farm.start():
        print(f"farm: server at {farm.url}, 2 workers enrolled", flush=True)
        scene = make_scene(work / "shot" / "shot.blend", frames=(1, 10), width=320, height=180,
                           samples=32)  # fmt: skip
        print(f"scene: {scene} (10 frames, 320x180, Cycles, one image texture)", flush=True)
        frames = farm.submit(scene, "--name", "demo frames", "--frames", "1-10",
                             "--frames-per-task", "2")  # fmt: skip
        tiles = farm.submit(scene, "--name", "demo tiles", "--frames", "5", "--tiles", "4",
                            "--tiles-type", "block")  # fmt: skip
        print(f"submitted: job {frames} (10 frames, 2 per task), job {tiles} (frame 5 in 4 "
              "tiles, then assembled)", flush=True)  # fmt: skip
        results = {}
        for job_id, name in ((frames, "frames"), (tiles, "tiles")):
            text = farm.download(job_id, out / name)
            results[job_id] = farm.job(job_id)
            print(text.strip().splitlines()[-1], flush=True)
    images = sorted(p for p in out.rglob("*.png"))
    ok = all(job["state"] == "completed" for job in results.values()) and len(images) >= 11
    for job in results.values():
        print(f"job {job['id']} {job['name']!r}: {job['state']}, {job['tasks_done']}/"
              f"{job['tasks_total']} tasks")  # fmt: skip
    print(f"{len(images)} images in {out} after {time.monotonic() - started:.0f} s — "
          f"{'done' if ok else 'FAILED'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
