"""Simulated render nodes: hundreds of lightweight workers in one process (asyncio).

Each simulated worker registers with an enrolment token (or reuses a worker token), then
loops: long-poll `POST /workers/claim`, "render" for a time drawn from a distribution while
heartbeating every `heartbeat` seconds, then `POST /attempts/{id}/complete` (with `next`, so a
busy node makes one request per task). It speaks to a list of server addresses and fails over
to the next on a connection error, as the real worker does; a heartbeat that gets 409 drops
the task (the server took it back). Used by `bench/load.py` and `tests/chaos/`.

Chaos hooks: `SimWorker.kill()` ends a worker at once, as `kill -9` would (no report: its lease
lapses); `SimFarm.restart(worker)` starts it again with the same token, reporting the attempt
it held as lost (what a real worker's next start does). Every request's latency is recorded per
operation; every attempt a worker received and how it ended is kept for accounting.

Usage (a running farm; prints a summary)::

    python bench/simworkers.py --server http://127.0.0.1:8642 --enrol fhe_… --workers 200 \\
        --render uniform:0.5:2 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

SOFTWARE = {"blender": {"3.4": {}}, "python": {"3.11": {}}}


def parse_render(text: str) -> tuple[str, float, float]:
    """`const:S`, `uniform:A:B` or `exp:MEAN` (seconds) → (kind, a, b)."""
    kind, _, rest = text.partition(":")
    numbers = [float(x) for x in rest.split(":") if x]
    if kind == "const" and len(numbers) == 1:
        return kind, numbers[0], numbers[0]
    if kind == "uniform" and len(numbers) == 2 and 0 <= numbers[0] <= numbers[1]:
        return kind, numbers[0], numbers[1]
    if kind == "exp" and len(numbers) == 1 and numbers[0] > 0:
        return kind, numbers[0], numbers[0]
    raise ValueError(f"render time {text!r}: use const:S, uniform:A:B or exp:MEAN")


def draw(render: tuple[str, float, float], rng: random.Random) -> float:
    """One render time from the distribution."""
    kind, a, b = render
    if kind == "uniform":
        return rng.uniform(a, b)
    if kind == "exp":
        return min(rng.expovariate(1 / a), 20 * a)
    return a


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Stats:
    """Latencies per operation and errors, shared by all simulated workers of a farm."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def summary(self) -> dict[str, Any]:
        """p50/p99 (ms) and count per operation, errors per kind."""
        ops = {
            op: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                 "p99_ms": round(percentile(v, 99) * 1000, 1)}
            for op, v in sorted(self.latency.items())
        }  # fmt: skip
        return {"ops": ops, "errors": dict(self.errors)}


class Servers:
    """A list of server addresses; `current` until a connection error moves it on."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [r.rstrip("/") for r in roots]
        self.index = 0

    def base(self) -> str:
        return self.roots[self.index % len(self.roots)] + "/api/v1"

    def failed(self, base: str) -> None:
        if base == self.base():
            self.index += 1


class SimWorker:
    """One simulated node (an asyncio task)."""

    def __init__(self, farm: SimFarm, name: str, token: str, index: int) -> None:
        self.farm = farm
        self.name = name
        self.token = token
        self.servers = Servers(farm.roots)
        self.servers.index = index  # spread the workers over the processes
        self.rng = random.Random(index)
        self.holding: int | None = None  # the attempt being rendered
        self.task: asyncio.Task | None = None
        self.last_ok_base = ""  # where the last answered request went
        self.answered_at = 0.0  # when a request last got an answer
        self.switched_at: list[float] = []  # when an answer first came from another server

    async def call(self, op: str, path: str, body: Any, timeout: float) -> tuple[int, Any]:
        """POST with failover; (status, json or None). Connection errors try the next server."""
        session, stats = self.farm.session, self.farm.stats
        for _ in range(len(self.servers.roots) * 2):
            base = self.servers.base()
            started = time.monotonic()
            try:
                async with session.post(
                    base + path, json=body, headers={"Authorization": f"Bearer {self.token}"},
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as response:  # fmt: skip
                    data = await response.json() if response.status == 200 else None
                    status = response.status
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                stats.errors[f"{op}: {type(exc).__name__}"] += 1
                self.servers.failed(base)
                await asyncio.sleep(0.2)
                continue
            stats.latency[op].append(time.monotonic() - started)
            if status >= 500:
                stats.errors[f"{op}: {status}"] += 1
            if self.last_ok_base and base != self.last_ok_base:
                self.switched_at.append(time.monotonic())
            self.last_ok_base, self.answered_at = base, time.monotonic()
            return status, data
        return 0, None

    async def run(self, report_lost: int | None = None) -> None:
        """Claim, render, report until the farm stops."""
        farm = self.farm
        if report_lost is not None:
            await self.call("fail", f"/attempts/{report_lost}/fail",
                            {"exit_code": None, "message": "simulated restart", "lost": True},
                            30)  # fmt: skip
        assignment = None
        while not farm.stopping.is_set():
            if assignment is None:
                status, assignment = await self.call(
                    "claim", "/workers/claim", {"wait": farm.claim_wait}, farm.claim_wait + 30
                )
                if status in (401, 403):
                    return
                if status != 200:
                    assignment = None
                    continue
            attempt = int(assignment["attempt_id"])
            farm.received[attempt] = (self.name, int(assignment["task"]["id"]))
            self.holding = attempt
            kept = await self.render(attempt, draw(farm.render, self.rng))
            self.holding = None
            if not kept:
                assignment = None
                continue
            status, answer = await self.call(
                "complete", f"/attempts/{attempt}/complete", {"next": True}, 60
            )
            if status == 200:
                farm.completed.append((attempt, int(assignment["task"]["id"])))
                assignment = (answer or {}).get("next")
            else:
                assignment = None

    async def render(self, attempt: int, seconds: float) -> bool:
        """Sleep `seconds`, heartbeating; False when the server took the attempt back."""
        ends = time.monotonic() + seconds
        # Real nodes start renders at scattered times: so do the heartbeats here, each then on
        # its own cadence (as `farmhand_worker.task`). Not `heartbeat` seconds after each
        # answer: the dispatcher answers a round's heartbeats at once, so sleeping from the
        # answer lines them up, round after round, into ever bigger bursts.
        due = time.monotonic() + self.rng.uniform(0.0, self.farm.heartbeat)
        while (left := ends - time.monotonic()) > 0:
            await asyncio.sleep(max(0.0, min(left, due - time.monotonic())))
            now = time.monotonic()
            if now >= ends:
                break
            while due <= now:  # one beat per slot, even after a slow answer
                due += self.farm.heartbeat
            status, _ = await self.call("heartbeat", f"/attempts/{attempt}/heartbeat", {}, 30)
            if status in (404, 409):
                self.farm.taken_back.append(attempt)
                return False
        return True

    def kill(self) -> int | None:
        """End at once (no report), as `kill -9`; the attempt it held, if any."""
        if self.task is not None:
            self.task.cancel()
        return self.holding


class SimFarm:
    """Many simulated workers against a list of server addresses."""

    def __init__(
        self, roots: list[str], render: str = "uniform:0.05:0.2", heartbeat: float = 1.0,
        claim_wait: float = 5.0, seed: int = 1,
    ) -> None:  # fmt: skip
        self.roots = roots
        self.render = parse_render(render)
        self.heartbeat = heartbeat
        self.claim_wait = claim_wait
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.workers: list[SimWorker] = []
        self.received: dict[int, tuple[str, int]] = {}  # attempt → (worker, task)
        self.completed: list[tuple[int, int]] = []  # (attempt, task) answered 200
        self.taken_back: list[int] = []
        self.stopping = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SimFarm:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self.session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        if self.session is not None:
            await self.session.close()

    async def enrol(self, count: int, enrol_token: str, prefix: str = "sim") -> None:
        """Register `count` workers with one enrolment token (it needs that many uses)."""
        base = self.roots[0].rstrip("/") + "/api/v1"
        for i in range(len(self.workers), len(self.workers) + count):
            name = f"{prefix}{i:04d}"
            body = {"name": name, "ram_gb": 32, "cpu_cores": 8, "software": SOFTWARE}
            async with self.session.post(
                base + "/workers/register", json=body,
                headers={"Authorization": f"Bearer {enrol_token}"},
            ) as response:  # fmt: skip
                if response.status != 201:
                    raise RuntimeError(
                        f"register {name}: {response.status} {await response.text()}"
                    )
                token = (await response.json())["token"]
            self.workers.append(SimWorker(self, name, token, i))

    def start(self) -> None:
        """Every enrolled worker begins claiming."""
        for worker in self.workers:
            if worker.task is None or worker.task.done():
                worker.task = asyncio.create_task(worker.run())

    def restart(self, worker: SimWorker, lost_attempt: int | None) -> None:
        """Start a killed worker again, reporting the attempt it held as lost."""
        worker.task = asyncio.create_task(worker.run(report_lost=lost_attempt))

    async def stop(self) -> None:
        self.stopping.set()
        tasks = [w.task for w in self.workers if w.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _main(opts: argparse.Namespace) -> int:
    async with SimFarm(opts.server.split(","), opts.render, opts.heartbeat) as farm:
        await farm.enrol(opts.workers, opts.enrol)
        farm.start()
        started = time.monotonic()
        await asyncio.sleep(opts.seconds)
        elapsed = time.monotonic() - started
        await farm.stop()
    summary = farm.stats.summary()
    done = len(farm.completed)
    print(f"{opts.workers} simulated workers for {elapsed:.0f} s: {done} tasks completed "
          f"({done / elapsed:.1f}/s), {len(farm.taken_back)} taken back")  # fmt: skip
    for op, figures in summary["ops"].items():
        print(
            f"  {op:<10} n={figures['n']:<7} p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms"
        )
    print(f"  errors: {summary['errors'] or 'none'}")
    lat = [v for values in farm.stats.latency.values() for v in values]
    if lat:
        print(f"  all requests: median {statistics.median(lat) * 1000:.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="server root URL(s), comma-separated")
    p.add_argument("--enrol", required=True, help="an enrolment token with enough uses")
    p.add_argument("--workers", type=int, default=200)
    p.add_argument("--render", default="uniform:0.5:2", help="const:S | uniform:A:B | exp:MEAN")
    p.add_argument("--heartbeat", type=float, default=5.0)
    p.add_argument("--seconds", type=float, default=60.0)
    return asyncio.run(_main(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
