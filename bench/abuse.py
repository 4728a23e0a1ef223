"""Hostile requests against the farm server: its memory peak and its latency while each runs.

Starts ``farmhand server`` as its own process on SQLite and on PostgreSQL (a throwaway server
from ``tests/pg_server.py``, skipped when none is available), like ``bench/dispatch.py``, and
sends, one at a time, the requests of issue 11 (finding 2):

* a 400-byte job of ``frames: "1-1000000", tiles: 4096`` (4,097,000,000 tasks);
* 0.5 MB, 2 MB and 63 MB bodies of ``{}`` items to ``POST /blobs/missing``;
* a JSON body nested 328 levels deep;
* a 1,000,000-frame job cut into 200,000 tasks (the default ``max_tasks_per_job``), created;
* a 1,000,000-frame job of one frame per task (1,000,000 tasks: refused by the cap, or
  created when ``--max-tasks`` raises it).

While each runs, ``GET /health`` is sent every 20 ms and a worker that can take none of the
jobs claims (``wait: 0``) every 20 ms, through the dispatcher's rounds. Per request it prints
the answer, the time to it, the server's memory peak over its idle RSS (``VmHWM`` after
resetting it through ``/proc/PID/clear_refs``, and RSS sampled every 5 ms), and the p99
latency of the health checks and claims, against the targets: peak < 500 MB over idle,
p99 < 100 ms.

Usage::

    python bench/abuse.py                        # both engines
    python bench/abuse.py --engines sqlite --json
    python bench/abuse.py --max-tasks 1000000    # also create the 1,000,000-task job

Exit status: 0 whatever the targets say (a benchmark, not a test); 1 when something crashed
or a request got an answer other than the one it should.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import dispatch  # noqa: E402  (bench/dispatch.py: the server process, HTTP client, helpers)
from dispatch import API, BenchError, Client, ServerProcess, percentile  # noqa: E402

pg_server = dispatch.pg_server
TARGET_PEAK_MB = 500.0
TARGET_P99_MS = 100.0
PROBE_EVERY = 0.02  # seconds between health checks (and between claims)
DEFAULT_MAX_TASKS = 200_000


def log(message: str) -> None:
    print(f"[abuse] {message}", file=sys.stderr, flush=True)


# -- memory of the server process -------------------------------------------------------------


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class MemoryWatch:
    """The server's RSS peak during a request: VmHWM (reset first) and RSS sampled every 5 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.idle_kb = _status_kb(pid, "VmRSS")
        self.hwm_reset = True
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        except OSError:
            self.hwm_reset = False
        self.sampled_kb = self.idle_kb
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            with contextlib.suppress(OSError, ValueError):
                self.sampled_kb = max(self.sampled_kb, _status_kb(self.pid, "VmRSS"))

    def peak_over_idle_mb(self) -> float:
        """Stop watching; the highest RSS seen, less the idle RSS, in MB."""
        self._stop.set()
        self._thread.join()
        peak = self.sampled_kb
        if self.hwm_reset:
            with contextlib.suppress(OSError, ValueError):
                peak = max(peak, _status_kb(self.pid, "VmHWM"))
        return (peak - self.idle_kb) / 1024


# -- the server --------------------------------------------------------------------------------


def start_server(
    data_dir: Path, database_url: str, log_dir: Path, engine: str, max_tasks: int
) -> ServerProcess:
    """`farmhand server` with a config file setting `max_tasks_per_job`."""
    config = data_dir / "server.toml"
    config.write_text(f"max_tasks_per_job = {max_tasks}\n")
    port = dispatch.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FARMHAND_")}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(dispatch.REPO / "scripts"), str(dispatch.REPO / "server"),
                    env.get("PYTHONPATH", "")) if p
    )  # fmt: skip
    env["PYTHONUNBUFFERED"] = "1"
    argv = [sys.executable, "-m", "farmhand", "server", "--config", str(config),
            "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port),
            "--database-url", database_url]  # fmt: skip
    out_path, err_path = log_dir / f"abuse-{engine}.out", log_dir / f"abuse-{engine}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=data_dir,
            start_new_session=True,
        )  # fmt: skip
    server = ServerProcess(proc, f"http://127.0.0.1:{port}{API}", "", out_path, err_path, None)
    try:
        deadline = time.monotonic() + dispatch.START_TIMEOUT
        while not server.admin_token:
            server.check_alive()
            text = out_path.read_text(errors="replace")
            if "Farmhand server on" in text:
                found = re.search(r"shown once:\s*\n\s*(\S+)", text)
                if not found:
                    raise BenchError("the server started without printing an admin token")
                server.admin_token = found.group(1)
            elif time.monotonic() > deadline:
                raise BenchError("the server did not start")
            time.sleep(0.05)
        while True:
            server.check_alive()
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise BenchError("the server did not listen")
            time.sleep(0.05)
    except BaseException:
        server.stop()
        raise
    return server


# -- the hostile requests ----------------------------------------------------------------------


def empty_objects(count: int) -> bytes:
    return b'{"blobs": [' + b",".join([b"{}"] * count) + b"]}"


Send = Callable[[], Awaitable[tuple[int, Any]]]


def hostile_requests(
    client: Client, token: str, scene: dict[str, Any], max_tasks: int
) -> list[tuple[str, int, Send]]:
    """(what, the status it must get, how to send it) for each hostile request."""
    json_headers = {"Content-Type": "application/json"}

    def raw(path: str, body: bytes) -> Send:
        return lambda: client.request("POST", path, token, data=body, headers=json_headers,
                                      timeout=600)  # fmt: skip

    def job(**fields: Any) -> Send:
        spec = {**dispatch.job_spec(scene, "1", "abuse"), **fields}
        return lambda: client.request("POST", "/jobs", token, spec, timeout=600)

    tiles = {"frames": "1-1000000", "tiles": 4096, "tiles_type": "strip", "width": 8192,
             "height": 8192}  # fmt: skip
    one_per_task = 201 if max_tasks >= 1_000_000 else 422
    deep = b'{"blobs": ' + b"[" * 328 + b"]" * 328 + b"}"
    return [
        (
            "job 1-1000000 x 4096 tiles (400 bytes)",
            422,
            _tiled(client, token, scene, tiles),
        ),
        ("/blobs/missing 0.5 MB of {}", 413, raw("/blobs/missing", empty_objects(174_761))),
        ("/blobs/missing 2 MB of {}", 413, raw("/blobs/missing", empty_objects(699_051))),
        ("/blobs/missing 63 MB of {}", 413, raw("/blobs/missing", empty_objects(22_000_000))),
        ("JSON nested 328 deep", 400, raw("/jobs", deep)),
        ("job 1,000,000 frames, 5 per task", 201, job(frames="1-1000000", frames_per_task=5)),
        ("job 1,000,000 frames, 1 per task", one_per_task, job(frames="1-1000000")),
    ]


def _tiled(client: Client, token: str, scene: dict[str, Any], fields: dict) -> Send:
    spec = {**dispatch.job_spec(scene, "1", "tiles"), **fields}
    spec.pop("frames_per_task", None)  # tiles and frames_per_task do not mix
    return lambda: client.request("POST", "/jobs", token, spec, timeout=600)


async def probe(client: Client, path: str, token: str, body: Any, stop: threading.Event,
                latencies: list[float], failures: list[str]) -> None:  # fmt: skip
    """Send one request every PROBE_EVERY seconds until `stop`, timing each."""
    method = "GET" if body is None else "POST"
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _ = await client.request(method, path, token, body, timeout=120)
            if status >= 400:
                failures.append(f"{path}: HTTP {status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            failures.append(f"{path}: {type(exc).__name__}")
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(PROBE_EVERY)


class Probes:
    """`/health` and a worker's claims, sent from a thread of their own (own event loop), so
    that sending a 63 MB body from the main loop does not delay them on this side."""

    def __init__(self, base: str, worker: str) -> None:
        self.health: list[float] = []
        self.claims: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(base, worker),))
        self._thread.start()

    async def _run(self, base: str, worker: str) -> None:
        async with aiohttp.ClientSession() as session:
            client = Client(session, base)
            await asyncio.gather(
                probe(client, "/health", "", None, self._stop, self.health, self.failures),
                probe(client, "/workers/claim", worker, {"wait": 0}, self._stop, self.claims,
                      self.failures),
            )  # fmt: skip

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def measure(
    client: Client, server: ServerProcess, what: str, expected: int, send: Send, worker: str
) -> dict[str, Any]:
    """Send one hostile request while probing; its answer, time, memory peak and latencies."""
    await asyncio.sleep(1.0)  # let the last request's garbage go
    probes = Probes(server.base, worker)
    await asyncio.sleep(0.3)
    memory = MemoryWatch(server.proc.pid)
    started = time.perf_counter()
    try:
        status, payload = await send()
        error = (payload or {}).get("error", {}) if isinstance(payload, dict) else {}
        message = error.get("message", "") if isinstance(error, dict) else ""
    except (aiohttp.ClientError, TimeoutError) as exc:
        status, message = 0, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    await asyncio.sleep(0.3)
    peak = memory.peak_over_idle_mb()
    probes.stop()
    server.check_alive()
    health, claims = probes.health, probes.claims
    return {
        "what": what, "status": status, "expected": expected, "message": message[:160],
        "seconds": seconds, "peak_mb_over_idle": peak, "idle_rss_mb": memory.idle_kb / 1024,
        "health_ms_p99": percentile(health, 99), "health_ms_max": max(health, default=0.0),
        "claim_ms_p99": percentile(claims, 99), "probes": len(health) + len(claims),
        "probe_failures": probes.failures[:5],
    }  # fmt: skip


async def drive(server: ServerProcess, max_tasks: int, result: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=20)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = Client(session, server.base)
        token = await dispatch.new_user(client, server.admin_token)
        scene = await dispatch.upload_scene(client, token)
        enrol = await client.expect("POST", "/workers/enrolment-tokens", server.admin_token, {})
        # A worker that can take none of the jobs: its claims go through the dispatcher's rounds.
        body = {"name": "probe", "hostname": "probe", "ram_gb": 1, "cpu_cores": 1, "software": {}}
        worker = (await client.expect("POST", "/workers/register", enrol["token"], body))["token"]
        # Warm up: the first submission loads the JobSpec validator, the first claim the views.
        await client.expect("POST", "/jobs", token, dispatch.job_spec(scene, "1", "warm-up"))
        await client.request("POST", "/workers/claim", worker, {"wait": 0})
        result["requests"] = []
        for what, expected, send in hostile_requests(client, token, scene, max_tasks):
            log(f"{result['engine']}: {what}")
            row = await measure(client, server, what, expected, send, worker)
            result["requests"].append(row)
            peak, p99 = row["peak_mb_over_idle"], row["health_ms_p99"]
            log(f"  -> {row['status']} in {row['seconds']:.2f} s, peak {peak:.0f} MB, "
                f"/health p99 {p99:.0f} ms")  # fmt: skip


def run_engine(engine: str, max_tasks: int, log_dir: Path) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"fh-abuse-{engine}-"))
    result: dict[str, Any] = {"engine": engine}
    try:
        with contextlib.ExitStack() as stack:
            if engine == "postgresql":
                reason = pg_server.available()
                if reason:
                    result["skipped"] = reason
                    return result
                pg = stack.enter_context(pg_server.PostgresServer())
                url = pg.url
                result["postgres_version"] = pg.version
            else:
                url = f"sqlite:///{data_dir / 'farmhand.db'}"
            server = start_server(data_dir, url, log_dir, engine, max_tasks)
            try:
                asyncio.run(drive(server, max_tasks, result))
            except (BenchError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                server.stop()
            result["server_log_findings"] = dispatch.scan_log(server.stderr_path)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    for r in results:
        title = f"== {r['engine']}" + (
            f" {r['postgres_version']}" if r.get("postgres_version") else ""
        )
        print(title + " " + "=" * max(0, 100 - len(title)))
        if "skipped" in r:
            print(f"  skipped: {r['skipped']}\n")
            continue
        print(f"  {'request':<40} {'answer':>9} {'time':>8} {'peak/idle':>12} "
              f"{'/health p99':>13} {'claim p99':>11}")  # fmt: skip
        for q in r.get("requests", []):
            answer = f"{q['status']}" + (
                "" if q["status"] == q["expected"] else f"≠{q['expected']}"
            )
            peak = q["peak_mb_over_idle"] / TARGET_PEAK_MB
            health = q["health_ms_p99"] / TARGET_P99_MS
            print(
                f"  {q['what']:<40} {answer:>9} {q['seconds']:>7.2f}s "
                f"{q['peak_mb_over_idle']:>6.0f} MB {peak:>4.2f}x "
                f"{q['health_ms_p99']:>6.1f} ms {health:>4.2f}x {q['claim_ms_p99']:>8.1f} ms"
            )
            if q["probe_failures"]:
                print(f"    probe failures: {q['probe_failures']}")
        print(f"  targets: peak < {TARGET_PEAK_MB:g} MB over the idle server, /health p99 < "
              f"{TARGET_P99_MS:g} ms (ratios: measured / target, < 1 meets it)")  # fmt: skip
        if r.get("error"):
            print(f"  CRASHED: {r['error']}")
        findings = r.get("server_log_findings") or []
        print(f"  server stderr: {len(findings)} suspicious line(s)")
        for line in findings[:10]:
            print(f"    {line[:160]}")
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(dispatch.ENGINES), help="sqlite,postgresql")
    parser.add_argument("--max-tasks", type=int, default=DEFAULT_MAX_TASKS,
                        help="the server's max_tasks_per_job")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--log-dir", type=Path, help="keep the server logs here")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := [e for e in engines if e not in dispatch.ENGINES]:
        parser.error(f"unknown engine(s): {', '.join(unknown)}")
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="fh-abuse-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        results = [run_engine(engine, args.max_tasks, log_dir) for engine in engines]
    finally:
        if args.log_dir is None:
            shutil.rmtree(log_dir, ignore_errors=True)
    if args.json:
        print(json.dumps({"targets": {"peak_mb_over_idle": TARGET_PEAK_MB,
                                      "health_ms_p99": TARGET_P99_MS},
                          "engines": results}, indent=2, default=str))  # fmt: skip
    else:
        print_table(results)
    wrong = any(q["status"] != q["expected"] for r in results for q in r.get("requests", []))
    return 1 if wrong or any("error" in r for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted (servers stopped, temp dirs removed)")
        sys.exit(130)
