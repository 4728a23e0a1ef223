"""Load: 500 simulated workers heartbeating plus 20 clients polling and submitting.

For each configuration (one server process on SQLite, one on PostgreSQL, two on PostgreSQL
sharing the database and the blob folder) this starts `farmhand server` process(es), enrols
the simulated workers of `bench/simworkers.py` (each holds a long task and heartbeats every
`--heartbeat` seconds, spread over the processes, as workers given every address do), and runs
`--clients` artist clients that each, once a second, list jobs (`GET /jobs?limit=50`), read one
job (`GET /jobs/{id}`), and every tenth round submit a small job (`POST /jobs`). After a warm-up
it measures for `--seconds` (default 60; `--minutes 5` for the issue's figure) and prints p50 /
p99 latency per operation and the error count (connection errors, 5xx and timeouts). Claims
are long-polls and are not counted in the latency figures (they wait on purpose).

``--windows 30`` also prints p50 / p99 of every 30-s window of the run, to see latency grow (or
not) as jobs and tasks accumulate; ``--profile DIR`` runs each server under cProfile (through a
``sitecustomize`` hook; stats to ``DIR/<config>-<pid>.prof`` when the server stops).

``--pg-statements N`` (PostgreSQL configurations) loads `pg_stat_statements` and prints the N
statements that took the database longest over the measured time, with calls, mean time, rows
and buffers per call: what grows with the data, independent of the machine's load.

Usage::

    python bench/load.py                      # 60 s per configuration
    python bench/load.py --minutes 5          # the issue's 5 minutes
    python bench/load.py --configs pg2 --workers 200 --seconds 20
    python bench/load.py --configs pg1 --seconds 120 --windows 30 --profile /tmp/fh-prof
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts"), str(REPO / "server")]

import pg_server  # noqa: E402
from farmhand.transfer.client import FarmClient  # noqa: E402
from server_harness import free_port, start_server_process  # noqa: E402


def _simworkers():
    spec = importlib.util.spec_from_file_location("simworkers", REPO / "bench" / "simworkers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["simworkers"] = module
    spec.loader.exec_module(module)
    return module


sim = _simworkers()


def _spec(ref: dict, frames: str, name: str) -> dict:
    return {
        "name": name, "scene": {"path": "C:/proj/load.blend", "blob": ref},
        "software": {"cg_name": "blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender"}, "frames": frames,
    }  # fmt: skip


async def _client(index: int, roots: list[str], token: str, ref: dict, stats, stop) -> None:
    """One artist: poll the list and a job each second, submit every tenth round."""
    rng = random.Random(index)
    headers = {"Authorization": f"Bearer {token}"}
    servers = sim.Servers(roots)
    servers.index = index
    job_ids: list[int] = []
    round_ = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        while not stop.is_set():
            round_ += 1
            calls = [("list", "GET", "/jobs?limit=50", None)]
            if job_ids:
                calls.append(("job", "GET", f"/jobs/{rng.choice(job_ids)}", None))
            if round_ % 10 == index % 10:
                calls.append(("submit", "POST", "/jobs", _spec(ref, "1-10", f"c{index}-{round_}")))
            for op, method, path, body in calls:
                base = servers.base()
                started = time.monotonic()
                try:
                    async with session.request(
                        method, base + path, json=body, timeout=aiohttp.ClientTimeout(total=30)
                    ) as response:
                        data = await response.read()
                        status = response.status
                except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                    stats.errors[f"{op}: {type(exc).__name__}"] += 1
                    servers.failed(base)
                    continue
                stats.latency[op].append(time.monotonic() - started)
                if status >= 400:
                    stats.errors[f"{op}: {status}"] += 1
                elif op == "submit":
                    job_ids.append(json.loads(data)["id"])
            await asyncio.sleep(1.0 + rng.uniform(-0.1, 0.1))


PROFILE_HOOK = """\
import atexit, cProfile, os, signal, sys
_profile = cProfile.Profile()
_profile.enable()
def _dump(*_):
    _profile.disable()
    _profile.dump_stats(os.path.join(os.environ["FARMHAND_PROFILE_DIR"],
                                     f"{os.environ['FARMHAND_PROFILE_NAME']}-{os.getpid()}.prof"))
atexit.register(_dump)
def _term(signum, frame):
    sys.exit(0)
signal.signal(signal.SIGTERM, _term)
"""


def _profile_env(directory: str, name: str) -> dict[str, str]:
    """Environment that makes a server process run under cProfile (a sitecustomize hook)."""
    hook = Path(directory) / "hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(PROFILE_HOOK)
    path = os.pathsep.join([str(hook), str(REPO / "scripts"), str(REPO / "server")])
    return {"PYTHONPATH": path, "FARMHAND_PROFILE_DIR": str(Path(directory).resolve()),
            "FARMHAND_PROFILE_NAME": name}  # fmt: skip


class Windows:
    """p50 / p99 per operation over consecutive windows of the run (only the new samples)."""

    def __init__(self, *stats) -> None:
        self.stats = stats
        self.seen: dict[str, int] = {}
        self.rows: list[str] = []

    def reset(self) -> None:
        self.seen = {}

    def cut(self, label: str, pids: list[int]) -> None:
        parts, everything = [], []
        for stats in self.stats:
            for op, values in sorted(stats.latency.items()):
                if op == "claim":
                    continue
                new = values[self.seen.get(op, 0) :]
                self.seen[op] = len(values)
                everything += new
                if new:
                    parts.append(f"{op} {sim.percentile(new, 50) * 1000:.0f}/"
                                 f"{sim.percentile(new, 99) * 1000:.0f}")  # fmt: skip
        if everything:
            row = (f"  window {label}: all p50 {sim.percentile(everything, 50) * 1000:.1f} ms "
                   f"p99 {sim.percentile(everything, 99) * 1000:.1f} ms n={len(everything)}; "
                   f"{'; '.join(parts)} (ms p50/p99); servers' CPU {_cpu(pids):.1f} s, "
                   f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
            self.rows.append(row)
            print(row, flush=True)


def _cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (user + system)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


async def _measure(
    roots: list[str], admin_token: str, opts: argparse.Namespace, pids: list[int], on_start=None
) -> dict:
    admin = FarmClient(",".join(roots), admin_token)
    scene = Path(tempfile.mkdtemp()) / "scene.blend"
    scene.write_bytes(b"load scene")
    from farmhand.transfer.hashing import hash_file
    from farmhand.transfer.upload import LocalFile, Uploader

    local = LocalFile(scene, hash_file(scene), scene.stat().st_mtime_ns)
    Uploader(admin).upload([local])
    ref = local.ref
    # Enough long tasks that every worker holds one and heartbeats for the whole run.
    admin.submit_job(_spec(ref, f"1-{opts.workers * 2}", "long"))
    enrol = admin.json("POST", "/workers/enrolment-tokens", {"uses": opts.workers})["token"]
    tokens = []
    for i in range(opts.clients):  # each artist uploads the scene: blobs are per user
        user = admin.json("POST", "/users", {"name": f"artist{i}"})
        tokens.append(admin.json("POST", f"/users/{user['id']}/tokens", {})["token"])
        Uploader(FarmClient(",".join(roots), tokens[-1])).upload([local])
    render = f"const:{opts.seconds + opts.warmup + 60}"
    async with sim.SimFarm(roots, render, heartbeat=opts.heartbeat, claim_wait=20.0) as farm:
        await farm.enrol(opts.workers, enrol)
        farm.start()
        clients_stats = sim.Stats()
        stop = asyncio.Event()
        clients = [asyncio.create_task(_client(i, roots, tokens[i], ref, clients_stats, stop))
                   for i in range(opts.clients)]  # fmt: skip
        await asyncio.sleep(opts.warmup)
        farm.stats.latency.clear()
        farm.stats.errors.clear()
        clients_stats.latency.clear()
        clients_stats.errors.clear()
        if on_start is not None:
            on_start()
        servers_cpu, own_cpu, wall = _cpu(pids), _cpu([os.getpid()]), time.monotonic()
        windows = Windows(farm.stats, clients_stats)
        if opts.windows:
            end = wall + opts.seconds
            while (left := end - time.monotonic()) > 0:
                await asyncio.sleep(min(opts.windows, left))
                windows.cut(f"{time.monotonic() - wall:5.0f} s", pids)
        else:
            await asyncio.sleep(opts.seconds)
        stop.set()
        wall = time.monotonic() - wall
        cpu = {"servers_cores": round((_cpu(pids) - servers_cpu) / wall, 2),
               "bench_cores": round((_cpu([os.getpid()]) - own_cpu) / wall, 2),
               "machine_load": round(os.getloadavg()[0], 1)}  # fmt: skip
        snapshot = {
            "workers": farm.stats.summary(), "clients": clients_stats.summary(),
            "holding": sum(1 for w in farm.workers if w.holding is not None), "cpu": cpu,
            "windows": windows.rows,
        }  # fmt: skip
        all_latency = [v for op, vs in farm.stats.latency.items() if op != "claim" for v in vs]
        all_latency += [v for vs in clients_stats.latency.values() for v in vs]
        snapshot["all"] = {
            "n": len(all_latency),
            "p50_ms": round(sim.percentile(all_latency, 50) * 1000, 1),
            "p99_ms": round(sim.percentile(all_latency, 99) * 1000, 1),
            "errors": sum(farm.stats.errors.values()) + sum(clients_stats.errors.values()),
        }
        for task in clients:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return snapshot


STATEMENTS_SQL = """
SELECT calls, round((total_exec_time / calls)::numeric, 3), round(rows::numeric / calls, 1),
       round((shared_blks_hit + shared_blks_read)::numeric / calls, 1),
       round(total_exec_time::numeric / 1000, 2), left(regexp_replace(query, '\\s+', ' ', 'g'), 150)
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time DESC LIMIT {n}
"""


def _statements(pg, dbname: str, n: int) -> list[str]:
    """The n statements that took PostgreSQL longest since the reset, one line each."""
    rows = pg.psql(STATEMENTS_SQL.format(n=int(n)), dbname=dbname).strip().splitlines()
    lines = ["    PostgreSQL: calls | mean ms | rows/call | buffers/call | total s | statement"]
    return lines + [f"      {r}" for r in rows]


def _run_config(name: str, opts: argparse.Namespace, pg) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"farmhand-load-{name}-"))
    dbname = f"load_{name}_{time.time_ns()}"
    url = "" if name == "sqlite1" else pg.create_database(dbname)
    on_start = None
    if url and opts.pg_statements:
        pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname=dbname)

        def on_start() -> None:
            pg.psql("SELECT pg_stat_statements_reset()", dbname=dbname)

    count = 2 if name == "pg2" else 1
    servers = []
    env = _profile_env(opts.profile, name) if opts.profile else None
    try:
        first, token = start_server_process(tmp / "data", url, free_port(), env)
        servers.append(first)
        for _ in range(count - 1):
            servers.append(start_server_process(tmp / "data", url, free_port(), env)[0])
        roots = [s.base.removesuffix("/api/v1") for s in servers]
        result = asyncio.run(
            _measure(roots, token, opts, [s.process.pid for s in servers], on_start)
        )
        if on_start is not None:
            result["statements"] = _statements(pg, dbname, opts.pg_statements)
        return result
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", default="sqlite1,pg1,pg2", help="of sqlite1, pg1, pg2")
    p.add_argument("--workers", type=int, default=500)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--heartbeat", type=float, default=5.0)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--minutes", type=float, help="measure this long instead of --seconds")
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--windows", type=float, default=0.0, help="print p50/p99 every N seconds")
    p.add_argument("--profile", metavar="DIR", help="run the servers under cProfile; stats in DIR")
    p.add_argument(
        "--pg-statements",
        type=int,
        default=0,
        metavar="N",
        help="print PostgreSQL's N costliest statements (pg_stat_statements)",
    )
    p.add_argument("--json", action="store_true")
    opts = p.parse_args(argv)
    if opts.minutes:
        opts.seconds = opts.minutes * 60
    results = {}
    with contextlib.ExitStack() as stack:
        pg = None
        if any(c.startswith("pg") for c in opts.configs.split(",")):
            reason = pg_server.available()
            if reason:
                print(f"PostgreSQL not available: {reason}", file=sys.stderr)
                return 1
            settings = (
                {"shared_preload_libraries": "pg_stat_statements"} if opts.pg_statements else {}
            )
            pg = stack.enter_context(
                pg_server.PostgresServer(max_connections=200, settings=settings)
            )
        for name in opts.configs.split(","):
            results[name] = _run_config(name, opts, pg)
            r = results[name]
            print(f"{name}: {opts.workers} workers (heartbeat {opts.heartbeat:g} s), "
                  f"{opts.clients} clients, {opts.seconds:.0f} s: all requests p50 "
                  f"{r['all']['p50_ms']} ms, p99 {r['all']['p99_ms']} ms, "
                  f"{r['all']['n']} requests, {r['all']['errors']} errors; "
                  f"{r['holding']} workers holding a task; CPU: servers "
                  f"{r['cpu']['servers_cores']} cores, this bench {r['cpu']['bench_cores']}, "
                  f"load average {r['cpu']['machine_load']}", flush=True)  # fmt: skip
            for who in ("workers", "clients"):
                for op, f in r[who]["ops"].items():
                    print(f"    {op:<10} n={f['n']:<7} p50 {f['p50_ms']} ms  p99 {f['p99_ms']} ms")
                if r[who]["errors"]:
                    print(f"    {who} errors: {r[who]['errors']}")
            for line in r.get("statements", ()):
                print(line, flush=True)
    if opts.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
