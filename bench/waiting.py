"""What the waiting reasons cost a read (docs/server.md, "Why a job waits").

A server on SQLite gets `--jobs` queued jobs of 100 frames each (priorities mixed) and
`--workers` workers, each busy with one task; then `GET /jobs?limit=500`, one job's
`GET /jobs/{id}` and its `GET /jobs/{id}/tasks` are timed over HTTP, with the reasons and
with them switched off (`--without`), so the difference is what they cost.

    .venv/bin/python bench/waiting.py [--jobs 300] [--workers 20] [--without]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "server"), str(ROOT / "tests"),
                str(ROOT / "tests" / "server")]  # fmt: skip

from farm import claim, job_spec, new_user, new_worker, upload  # noqa: E402
from farmhand_server.jobs import waiting  # noqa: E402
from server_harness import start_server  # noqa: E402


def _timed(session, url: str, rounds: int = 21) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert session.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, max(times) * 1000


def main() -> None:
    """Run the bench and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--without", action="store_true", help="the reasons switched off")
    args = parser.parse_args()
    if args.without:

        async def nothing(*_args, **_kwargs) -> dict:
            return {}

        waiting.job_reasons = nothing  # type: ignore[assignment]
        waiting.task_reasons = nothing  # type: ignore[assignment]
    server = start_server(Path(tempfile.mkdtemp()) / "data")
    try:
        ann = new_user(server, "ann")
        scene = upload(server, ann, b"a scene for the bench")
        for i in range(args.jobs):
            spec = job_spec(scene, frames="1-100", priority=i % 7 * 10)
            assert ann.post(server.url("/jobs"), json=spec).status_code == 201
        for i in range(args.workers):
            assert claim(server, new_worker(server, f"n{i}")) is not None
        last = ann.get(server.url("/jobs?limit=1")).json()["jobs"][0]
        print(f"{args.jobs} queued jobs, {args.workers} busy workers; reasons "
              f"{'off' if args.without else 'on'}: {last['waiting_reason']!r}")  # fmt: skip
        for label, path in (("GET /jobs?limit=500", "/jobs?limit=500"),
                            ("GET /jobs/{id}", f"/jobs/{last['id']}"),
                            ("GET /jobs/{id}/tasks", f"/jobs/{last['id']}/tasks")):  # fmt: skip
            median, worst = _timed(ann, server.url(path))
            print(f"  {label:<22} median {median:6.1f} ms, max {worst:6.1f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
