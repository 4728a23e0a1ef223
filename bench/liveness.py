"""What the liveness rule's periodic check costs with a big queued job (docs/server.md).

A 100,000-frame job is submitted over HTTP to a server on each engine (PostgreSQL is a
throwaway server from tests/pg_server.py); 20 workers register, and a few tasks fail on
some of them. Then `liveness.check` over every dispatching job is timed on its own
connection, as the reaper runs it every `liveness_interval` seconds.

    .venv/bin/python bench/liveness.py [--frames 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "server"), str(ROOT / "tests"),
                str(ROOT / "tests" / "server")]  # fmt: skip

import pg_server  # noqa: E402
from farm import claim, fail, new_user, new_worker, submit  # noqa: E402
from farmhand_server.config import Config  # noqa: E402
from farmhand_server.dispatch import liveness  # noqa: E402
from farmhand_server.store import schema as db  # noqa: E402
from server_harness import start_server  # noqa: E402


async def _time_checks(config: Config, rounds: int) -> list[float]:
    engine = db.create_engine(config.db_url)
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            async with engine.begin() as conn:
                await liveness.check(conn, config, clock=liveness.Clock())
            times.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return times


def run(database_url: str, data: Path, frames: int) -> list[float]:
    server = start_server(data, database_url)
    try:
        ann = new_user(server, "ann")
        started = time.perf_counter()
        submit(server, ann, frames=f"1-{frames}")
        print(f"  submitted {frames} frames in {time.perf_counter() - started:.1f} s")
        nodes = [new_worker(server, f"n{i}") for i in range(20)]
        for node in nodes[:5]:  # five tasks failed once, each on its own node
            assert fail(server, node, claim(server, node)) == 200
        return asyncio.run(_time_checks(server.config, 20))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engines = [("SQLite", f"sqlite:///{tmp}/farmhand.db")]
        pg = None
        if pg_server.available() is None:
            pg = pg_server.PostgresServer()
            pg.start()
            engines.append(("PostgreSQL", pg.create_database("bench_liveness")))
        try:
            for name, url in engines:
                print(name)
                times = run(url, Path(tmp) / name, args.frames)
                print(f"  liveness.check: median {statistics.median(times) * 1000:.1f} ms, "
                      f"max {max(times) * 1000:.1f} ms over {len(times)} runs")  # fmt: skip
        finally:
            if pg is not None:
                pg.stop()


if __name__ == "__main__":
    main()
