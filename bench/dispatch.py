"""Benchmark the farm server's dispatch path on SQLite and PostgreSQL.

Starts ``farmhand server`` as its own process (one per engine; PostgreSQL is a throwaway server
from ``tests/pg_server.py``), drives it over real HTTP from this process with aiohttp, and
prints three figures per engine against the targets of the server issue:

1. **Job creation**: wall time of ``POST /jobs`` for a 100,000-frame job (one frame per task),
   measured by the client, from sending the request to the 201.
2. **Assignments per second**: 500 simulated workers (asyncio tasks sharing one
   ``aiohttp.ClientSession``) each loop ``POST /workers/claim {"wait": 5}`` then
   ``POST /attempts/{id}/complete`` on a job with enough frames; one completion is one
   assignment. Reported over the whole run (from the first claim sent to the ``--tasks``-th
   completion) and in steady state (between the 10 % and 90 % completions).
3. **Idle claim latency**: 20 workers long-poll with ``wait: 30``; a one-frame job is
   submitted and the time from just before the submit request is sent to the moment the first
   claim response arrives is measured; repeated, median and p99 reported.

Also reported, to say where the time goes: CPU of the server (and of its main thread), of
PostgreSQL and of this client during figure 2, server CPU per assignment, claim and complete
latencies under load, and the server's CPU while all 500 workers long-poll with nothing to do.
``--py-spy`` samples the server's stacks during figure 2 (py-spy must be installed);
``--profile-server`` runs it under cProfile instead (slower; stats and a summary per engine).

Usage::

    python bench/dispatch.py                         # both engines, 20,000 assignments or 60 s
    python bench/dispatch.py --engines sqlite --tasks 2000 --json
    python bench/dispatch.py --log-dir /tmp/fh-logs  # keep the server logs
    python bench/dispatch.py --profile-server /tmp/fh-prof   # server under cProfile
    python bench/dispatch.py --py-spy --log-dir /tmp/fh-logs  # stacks sampled in figure 2

Everything listens on 127.0.0.1. The server's stdout and stderr go to log files; tracebacks,
errors and 5xx responses are reported at the end. Server processes, the PostgreSQL server and
temp dirs are removed on the way out, also on errors and Ctrl-C. Exit status: 0 whatever the
targets say (this is a benchmark, not a test); 1 when something crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import os
import pstats
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import xxhash

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "tests"))

import pg_server  # noqa: E402  (tests/pg_server.py: a throwaway PostgreSQL server)

ENGINES = ("sqlite", "postgresql")
TARGET_CREATE_SECONDS = 3.0
TARGET_ASSIGNMENTS_PER_SECOND = 1000.0
TARGET_IDLE_LATENCY_MS = 100.0
API = "/api/v1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0  # seconds for the server to print its token and answer
STOP_GRACE = 20.0  # seconds for a graceful stop (cProfile writes its stats then)
WORKER_CAPS = {"ram_gb": 32, "cpu_cores": 8, "software": {"blender": {"3.4": {}}}}
SUSPICIOUS = re.compile(r"Traceback|ERROR|CRITICAL|Exception|Error:|Warning|Unclosed", re.I)


class BenchError(Exception):
    """The benchmark cannot go on (the server died, a setup request failed, ...)."""


def log(message: str) -> None:
    print(f"[dispatch] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time of a process, or of one of its threads (0 when it is gone)."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the server process ----------------------------------------------------------------------


@dataclass
class ServerProcess:
    """``farmhand server`` in its own process group, its logs and its admin token."""

    proc: subprocess.Popen[bytes]
    base: str
    admin_token: str
    stdout_path: Path
    stderr_path: Path
    profile_path: Path | None

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def main_thread_cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid, self.proc.pid)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(
                f"the server exited with status {self.proc.returncode}:\n{tail(self.stderr_path)}"
            )

    def stop(self) -> None:
        """SIGINT (a graceful stop, so cProfile writes its stats), then SIGKILL the group."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(STOP_GRACE if self.profile_path else 5)
            except subprocess.TimeoutExpired:
                log("the server did not stop on SIGINT; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_server(
    data_dir: Path, database_url: str, log_dir: Path, engine: str, profile_dir: Path | None
) -> ServerProcess:
    """Start the server and wait until it printed its admin token and answers HTTP."""
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "scripts"), str(REPO / "server"), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    for key in [k for k in env if k.startswith("FARMHAND_")]:
        del env[key]  # the command line says everything
    argv = [sys.executable]
    profile_path = None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profile_path = profile_dir / f"server-{engine}.prof"
        argv += ["-m", "cProfile", "-o", str(profile_path)]
    argv += ["-m", "farmhand", "server", "--data-dir", str(data_dir), "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--database-url", database_url]
    stdout_path = log_dir / f"server-{engine}.out"
    stderr_path = log_dir / f"server-{engine}.err"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=data_dir,
            start_new_session=True,
        )  # fmt: skip
    server = ServerProcess(
        proc, f"http://127.0.0.1:{port}{API}", "", stdout_path, stderr_path, profile_path
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            server.check_alive()
            text = stdout_path.read_text(errors="replace")
            match = re.search(r"shown once:\s*\n\s*(\S+)", text)
            if match and "Farmhand server on" in text:
                server.admin_token = match.group(1)
                break
            if "Farmhand server on" in text:
                raise BenchError("the server started without printing an admin token")
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not start within {START_TIMEOUT:g} s")
            time.sleep(0.05)
        while True:  # the token is printed on startup, before the socket listens
            server.check_alive()
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not listen within {START_TIMEOUT:g} s")
            time.sleep(0.05)
    except BaseException:
        server.stop()
        raise
    return server


class Sampler:
    """py-spy recording the server's stacks (all threads) while a figure runs, if asked for."""

    def __init__(self, py_spy: str | None, out: Path | None, pid: int, seconds: float) -> None:
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None
        if py_spy and out:
            argv = [py_spy, "record", "-p", str(pid), "-r", "100", "--threads", "--nonblocking"]
            argv += ["--format", "raw", "-d", str(int(seconds) + 5), "-o", str(out)]
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _owner(frame: str) -> str:
    """The library a py-spy frame ("func (path/file.py:line)") belongs to."""
    path = frame.rpartition(" (")[2]
    for name in ("jsonschema", "sqlalchemy", "asyncpg", "aiosqlite", "aiohttp", "farmhand_server"):
        if name in path:
            return name
    if path.startswith(("asyncio/", "selectors")):
        return "asyncio (mostly socket I/O)"
    return "other"


def stack_summary(path: Path, limit: int = 12) -> dict[str, Any]:
    """What the server's main thread was doing, from py-spy's raw (collapsed) stacks."""
    total = idle = 0
    by_library: Counter = Counter()
    by_function: Counter = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or "MainThread" not in frames[0]:
            continue
        n = int(count)
        total += n
        if frames[-1].startswith("EpollSelector.select"):
            idle += n
            continue
        by_library[_owner(frames[-1])] += n
        for name in {f.split(" (")[0] for f in frames if "farmhand_server" in f}:
            by_function[name] += n
    busy = total - idle
    return {
        "main_thread_samples": busy,
        "self_by_library": {k: v / busy for k, v in by_library.most_common()} if busy else {},
        "inclusive_by_function": (
            {k: v / busy for k, v in by_function.most_common(limit)} if busy else {}
        ),
    }


# -- HTTP --------------------------------------------------------------------------------------


@dataclass
class Client:
    """One aiohttp session to the server, counting every status it sees."""

    session: aiohttp.ClientSession
    base: str
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # client-side exceptions by type
    samples_5xx: list[str] = field(default_factory=list)

    async def request(
        self,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, Any]:
        hdrs = {"Authorization": f"Bearer {token}", **(headers or {})}
        try:
            async with self.session.request(
                method, self.base + path, json=body if data is None else None, data=data,
                headers=hdrs, timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:  # fmt: skip
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.errors[type(exc).__name__] += 1
            raise
        self.statuses[status] += 1
        if status >= 500 and len(self.samples_5xx) < 10:
            self.samples_5xx.append(f"{method} {path} -> {status}: {raw[:300]!r}")
        payload = None
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
        return status, payload

    async def expect(self, method: str, path: str, token: str, body: Any = None, **kw) -> Any:
        """A request that must succeed (2xx); its JSON."""
        status, payload = await self.request(method, path, token, body, **kw)
        if not 200 <= status < 300:
            raise BenchError(f"{method} {path}: HTTP {status}: {payload}")
        return payload


async def new_user(client: Client, admin: str) -> str:
    user = await client.expect("POST", "/users", admin, {"name": "bench", "role": "artist"})
    return (await client.expect("POST", f"/users/{user['id']}/tokens", admin, {}))["token"]


async def upload_scene(client: Client, token: str) -> dict[str, Any]:
    data = b"//Maya ASCII 2025 scene\n// farmhand dispatch benchmark " + os.urandom(16) + b"\n"
    ref = {
        "md5": hashlib.md5(data).hexdigest(),
        "xxh64": xxhash.xxh64(data).hexdigest(),
        "size": len(data),
    }
    upload = await client.expect("POST", "/uploads", token, ref)
    if not upload.get("complete"):
        await client.expect(
            "PUT", f"/uploads/{upload['id']}", token, data=data,
            headers={"Upload-Offset": str(upload["offset"]),
                     "Content-Type": "application/octet-stream"},
        )  # fmt: skip
        await client.expect("POST", f"/uploads/{upload['id']}/complete", token)
    return ref


def job_spec(scene: dict[str, Any], frames: str, name: str, priority: int = 50) -> dict[str, Any]:
    return {
        "name": name,
        "scene": {"path": "C:/proj/scenes/bench.ma", "blob": scene},
        "software": {"cg_name": "blender", "cg_version": "3.4"},
        "renderer": {"adapter": "blender"},
        "frames": frames,
        "frames_per_task": 1,
        "priority": priority,
    }


async def submit(client: Client, token: str, spec: dict[str, Any]) -> dict[str, Any]:
    return await client.expect("POST", "/jobs", token, spec, timeout=120)


async def enrol_workers(client: Client, admin: str, count: int, prefix: str) -> list[str]:
    enrol = (await client.expect("POST", "/workers/enrolment-tokens", admin, {"uses": count}))[
        "token"
    ]
    gate = asyncio.Semaphore(50)

    async def register(i: int) -> str:
        async with gate:
            body = {"name": f"{prefix}{i:04d}", "hostname": f"{prefix}{i:04d}", **WORKER_CAPS}
            return (await client.expect("POST", "/workers/register", enrol, body))["token"]

    return list(await asyncio.gather(*(register(i) for i in range(count))))


# -- figures -----------------------------------------------------------------------------------


async def figure_create(client: Client, token: str, scene: dict, frames: int) -> dict[str, Any]:
    """Figure 1: POST /jobs with a `frames`-frame job, one frame per task."""
    spec = job_spec(scene, f"1-{frames}", f"create-{frames}")
    started = time.perf_counter()
    job = await submit(client, token, spec)
    seconds = time.perf_counter() - started
    if job["tasks_total"] != frames:
        raise BenchError(f"the job has {job['tasks_total']} tasks, not {frames}")
    # Out of the way of the other figures (its tasks stay in the table, as on a real farm).
    started = time.perf_counter()
    await client.expect("POST", f"/jobs/{job['id']}/cancel", token, timeout=120)
    cancel_seconds = time.perf_counter() - started
    return {"frames": frames, "seconds": seconds, "cancel_seconds": cancel_seconds}


async def figure_throughput(
    client: Client,
    token: str,
    scene: dict,
    workers: list[str],
    tasks: int,
    max_seconds: float,
    server: ServerProcess,
    pg_pid: int | None,
    sampler_out: tuple[str | None, Path | None] = (None, None),
) -> dict[str, Any]:
    """Figure 2: `workers` claim-and-complete loops until `tasks` completions (or time's up)."""
    # Spare frames so that no worker waits for work at the end of the run.
    frames = tasks + 2 * len(workers)
    job = await submit(client, token, job_spec(scene, f"1-{frames}", f"throughput-{tasks}"))
    done_times: list[float] = []
    claim_ms: list[float] = []
    complete_ms: list[float] = []
    outcome: Counter = Counter()
    stop = asyncio.Event()

    async def worker(token_: str) -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                status, assignment = await client.request(
                    "POST", "/workers/claim", token_, {"wait": 5}, timeout=30
                )
            except (aiohttp.ClientError, TimeoutError):
                outcome["claim_error"] += 1
                await asyncio.sleep(0.1)
                continue
            claim_ms.append((time.perf_counter() - t0) * 1000)
            if status == 204:
                outcome["claim_empty"] += 1
                continue
            if status != 200:
                outcome[f"claim_{status}"] += 1
                await asyncio.sleep(0.1)
                continue
            # A busy node completes and takes its next task in one request (`next`).
            while assignment is not None and not stop.is_set():
                t1 = time.perf_counter()
                try:
                    status, answer = await client.request(
                        "POST", f"/attempts/{assignment['attempt_id']}/complete", token_,
                        {"peak_memory_mb": 512, "next": True}, timeout=30,
                    )  # fmt: skip
                except (aiohttp.ClientError, TimeoutError):
                    outcome["complete_error"] += 1
                    break
                now = time.perf_counter()
                complete_ms.append((now - t1) * 1000)
                if status != 200:
                    outcome[f"complete_{status}"] += 1
                    break
                done_times.append(now)
                if len(done_times) >= tasks:
                    stop.set()
                assignment = answer.get("next") if isinstance(answer, dict) else None

    server_cpu0, client_cpu0 = server.cpu_seconds(), own_cpu_seconds()
    main_cpu0, pg_cpu0 = server.main_thread_cpu_seconds(), postgres_cpu(pg_pid)
    sampler = Sampler(*sampler_out, server.proc.pid, max_seconds)

    async def watchdog() -> None:  # a dead server ends the run at once
        while not stop.is_set() and server.proc.poll() is None:
            await asyncio.sleep(0.2)
        stop.set()

    started = time.perf_counter()
    loops = [asyncio.create_task(worker(t)) for t in workers]
    watching = asyncio.create_task(watchdog())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max_seconds)
    finally:
        stop.set()
        sampler.stop()
        await watching
    ended = done_times[tasks - 1] if len(done_times) >= tasks else time.perf_counter()
    server_cpu1, client_cpu1 = server.cpu_seconds(), own_cpu_seconds()
    main_cpu1, pg_cpu1 = server.main_thread_cpu_seconds(), postgres_cpu(pg_pid)
    done_at_snapshot = len(done_times)
    # Let every worker finish the claim and complete it has in flight (no orphaned long-polls).
    _, pending = await asyncio.wait(loops, timeout=40)
    for loop in pending:
        loop.cancel()
    server.check_alive()
    counted = done_times[:tasks]
    wall = ended - started
    steady = None
    if len(counted) >= 20:
        lo, hi = int(len(counted) * 0.1), int(len(counted) * 0.9)
        steady = (hi - lo) / (counted[hi] - counted[lo]) if counted[hi] > counted[lo] else None
    await client.expect("POST", f"/jobs/{job['id']}/cancel", token, timeout=120)
    return {
        "workers": len(workers),
        "target_tasks": tasks,
        "completed": len(counted),
        "completed_after_stop": len(done_times) - len(counted),
        "seconds": wall,
        "assignments_per_second": len(counted) / wall if wall > 0 else 0.0,
        "steady_assignments_per_second": steady,
        "claim_ms_p50": percentile(claim_ms, 50),
        "claim_ms_p99": percentile(claim_ms, 99),
        "complete_ms_p50": percentile(complete_ms, 50),
        "complete_ms_p99": percentile(complete_ms, 99),
        "timed_out": len(done_times) < tasks,
        "py_spy": stack_summary(sampler.out) if sampler.out and sampler.out.exists() else None,
        "outcomes": dict(outcome),
        "cpu_seconds": {
            "server": server_cpu1 - server_cpu0,
            "server_main_thread": main_cpu1 - main_cpu0,
            "postgres": postgres_cpu_delta(pg_cpu0, pg_cpu1) if pg_pid else None,
            "client": client_cpu1 - client_cpu0,
        },
        "server_cpu_ms_per_assignment": (
            (server_cpu1 - server_cpu0) * 1000 / done_at_snapshot if done_at_snapshot else None
        ),
        # The simulated workers' own cost: they must not be what limits the figure.
        "client_cpu_ms_per_assignment": (
            (client_cpu1 - client_cpu0) * 1000 / done_at_snapshot if done_at_snapshot else None
        ),
    }


async def figure_idle_load(
    client: Client, workers: list[str], server: ServerProcess, pg_pid: int | None
) -> dict[str, Any]:
    """Extra: the server's CPU while every worker long-polls and there is nothing to do."""
    wait = 8.0
    answers: Counter = Counter()

    async def poll(token_: str) -> None:
        try:
            status, _ = await client.request(
                "POST", "/workers/claim", token_, {"wait": wait}, timeout=wait + 30
            )
            answers[status] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            answers[type(exc).__name__] += 1

    polls = [asyncio.create_task(poll(t)) for t in workers]
    await asyncio.sleep(2.0)  # every request in and parked
    cpu0, pg0, t0 = server.cpu_seconds(), postgres_cpu(pg_pid), time.perf_counter()
    await asyncio.sleep(4.0)
    cpu1, pg1, t1 = server.cpu_seconds(), postgres_cpu(pg_pid), time.perf_counter()
    claims0 = answers.total()
    await asyncio.wait(polls, timeout=wait + 40)  # they all end with 204
    return {
        "workers": len(workers),
        "server_cpu": (cpu1 - cpu0) / (t1 - t0),
        "postgres_cpu": postgres_cpu_delta(pg0, pg1) / (t1 - t0) if pg_pid else None,
        "answered_while_measured": claims0,
        "answers": {str(k): v for k, v in answers.items()},
    }


def postgres_cpu(postmaster: int | None) -> dict[int, float]:
    """CPU seconds of the postmaster and each of its live children (backends, writers)."""
    if postmaster is None:
        return {}
    return {p: proc_cpu_seconds(p) for p in [postmaster, *children_of(postmaster)]}


def postgres_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots by the processes alive at the second."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def figure_idle_latency(
    client: Client, token: str, scene: dict, workers: list[str], rounds: int
) -> dict[str, Any]:
    """Figure 3: idle workers long-poll; submit a 1-frame job, time until the first claim."""
    arrivals: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
    outstanding = 0  # claims sent and not yet answered
    stopping = False
    outcome: Counter = Counter()

    async def poller(index: int, token_: str) -> None:
        nonlocal outstanding
        while True:
            outstanding += 1
            try:
                status, assignment = await client.request(
                    "POST", "/workers/claim", token_, {"wait": 30}, timeout=45
                )
            except (aiohttp.ClientError, TimeoutError):
                outcome["claim_error"] += 1
                await asyncio.sleep(0.1)
                continue
            finally:
                outstanding -= 1
            arrived = time.perf_counter()
            if status == 204:
                outcome["claim_empty"] += 1
                continue
            if status != 200:
                outcome[f"claim_{status}"] += 1
                await asyncio.sleep(0.1)
                continue
            arrivals.put_nowait((arrived, index))
            status, _ = await client.request(
                "POST", f"/attempts/{assignment['attempt_id']}/complete", token_,
                {"peak_memory_mb": 512},
            )  # fmt: skip
            if status != 200:
                outcome[f"complete_{status}"] += 1
            if stopping:
                return

    async def all_parked() -> None:
        deadline = time.monotonic() + 10
        while outstanding < len(workers) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.25)  # time for the server to run its first look and park them

    async def timed_submit(spec: dict[str, Any]) -> float:
        await submit(client, token, spec)
        return time.perf_counter()

    pollers = [asyncio.create_task(poller(i, t)) for i, t in enumerate(workers)]
    latencies: list[float] = []
    submit_ms: list[float] = []
    winners: Counter = Counter()
    try:
        for n in range(rounds):
            await all_parked()
            spec = job_spec(scene, "1", f"idle-{n}", priority=60)
            started = time.perf_counter()
            submitted = asyncio.create_task(timed_submit(spec))
            arrived, index = await asyncio.wait_for(arrivals.get(), 30)
            submit_ms.append((await submitted - started) * 1000)
            latencies.append((arrived - started) * 1000)
            winners[index] += 1
            while not arrivals.empty():  # more than one claim for a one-task job: a bug
                arrivals.get_nowait()
                outcome["extra_assignment"] += 1
        # Drain: a job with one task per poller ends every long-poll by assignment.
        await all_parked()
        stopping = True
        await submit(client, token, job_spec(scene, f"1-{len(workers)}", "idle-drain"))
        await asyncio.wait(pollers, timeout=15)
    finally:
        for p in pollers:
            p.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
    return {
        "workers": len(workers),
        "rounds": len(latencies),
        "ms_p50": statistics.median(latencies) if latencies else float("nan"),
        "ms_p99": percentile(latencies, 99),
        "ms_min": min(latencies, default=float("nan")),
        "ms_max": max(latencies, default=float("nan")),
        "submit_ms_p50": statistics.median(submit_ms) if submit_ms else float("nan"),
        "distinct_winners": len(winners),
        "outcomes": dict(outcome),
    }


# -- one engine --------------------------------------------------------------------------------


@dataclass
class Options:
    frames: int
    tasks: int
    workers: int
    idle_workers: int
    rounds: int
    max_seconds: float
    profile_dir: Path | None
    log_dir: Path
    py_spy: str | None = None


async def drive(
    server: ServerProcess, opts: Options, pg_pid: int | None, result: dict[str, Any]
) -> None:
    """Set up a user, a scene and workers, then measure the figures into `result` as they come."""
    connector = aiohttp.TCPConnector(limit=opts.workers + opts.idle_workers + 100)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = Client(session, server.base)
        try:
            await _figures(client, server, opts, pg_pid, result)
        finally:
            result["http_statuses"] = {str(k): v for k, v in sorted(client.statuses.items())}
            result["client_errors"] = dict(client.errors)
            result["http_5xx_samples"] = client.samples_5xx


async def _figures(
    client: Client, server: ServerProcess, opts: Options, pg_pid: int | None, result: dict
) -> None:
    admin = server.admin_token
    token = await new_user(client, admin)
    scene = await upload_scene(client, token)
    t0 = time.perf_counter()
    workers = await enrol_workers(client, admin, opts.workers, "node")
    idle = await enrol_workers(client, admin, opts.idle_workers, "idle")
    result["enrol_seconds"] = time.perf_counter() - t0
    log(f"  enrolled {len(workers) + len(idle)} workers in {result['enrol_seconds']:.1f} s")

    log(f"  figure 1: POST /jobs with {opts.frames:,} frames")
    create = result["create"] = await figure_create(client, token, scene, opts.frames)
    log(f"    {create['seconds']:.2f} s (its cancel: {create['cancel_seconds']:.2f} s)")
    server.check_alive()

    log(f"  figure 2: {opts.workers} workers, {opts.tasks:,} assignments")
    before = Counter(client.statuses)
    spy_out = opts.log_dir / f"py-spy-{result['engine']}.txt" if opts.py_spy else None
    throughput = result["throughput"] = await figure_throughput(
        client, token, scene, workers, opts.tasks, opts.max_seconds, server, pg_pid,
        (opts.py_spy, spy_out),
    )  # fmt: skip
    throughput["statuses"] = {str(k): v for k, v in (client.statuses - before).items()}
    log(
        f"    {throughput['assignments_per_second']:.0f}/s over "
        f"{throughput['seconds']:.1f} s (steady: "
        f"{fmt(throughput['steady_assignments_per_second'], '.0f')}/s)"
    )
    server.check_alive()

    log(f"  idle load: {opts.workers} workers long-polling with nothing to do")
    idle_load = result["idle_load"] = await figure_idle_load(client, workers, server, pg_pid)
    log(f"    server CPU {idle_load['server_cpu']:.0%} of one core")
    server.check_alive()

    log(f"  figure 3: {opts.idle_workers} idle workers, {opts.rounds} rounds")
    latency = result["idle_latency"] = await figure_idle_latency(
        client, token, scene, idle, opts.rounds
    )
    log(f"    median {latency['ms_p50']:.1f} ms, p99 {latency['ms_p99']:.1f} ms")
    server.check_alive()


def scan_log(path: Path) -> list[str]:
    """Lines of a server log that look like trouble (with a little context)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if SUSPICIOUS.search(line)][:40]


def profile_summary(path: Path, limit: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def run_engine(engine: str, opts: Options) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"fh-dispatch-{engine}-"))
    result: dict[str, Any] = {"engine": engine}
    server: ServerProcess | None = None
    try:
        with contextlib.ExitStack() as stack:
            pg_pid = None
            if engine == "postgresql":
                reason = pg_server.available()
                if reason:
                    result["skipped"] = reason
                    log(f"{engine}: skipped: {reason}")
                    return result
                pg = stack.enter_context(pg_server.PostgresServer(max_connections=200))
                url = pg.url
                result["postgres_version"] = pg.version
                assert pg.data_dir is not None
                with contextlib.suppress(OSError, ValueError, IndexError):
                    pg_pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
            else:
                url = f"sqlite:///{data_dir / 'farmhand.db'}"
            result["revision"] = revision()
            log(f"{engine}: starting the server ({url}) at {result['revision']}")
            server = start_server(data_dir, url, opts.log_dir, engine, opts.profile_dir)
            try:
                asyncio.run(drive(server, opts, pg_pid, result))
            except (BenchError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log(f"{engine}: crashed: {type(exc).__name__}: {exc}")
                result["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if server is not None:
        result["server_exit_status"] = server.proc.returncode
        result["server_log_findings"] = scan_log(server.stderr_path)
        if server.profile_path and server.profile_path.exists():
            result["profile"] = str(server.profile_path)
    return result


# -- report ------------------------------------------------------------------------------------


def fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec)


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "MISSED")


def figure_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, verdict) for the figures this engine got as far as."""
    rows = []
    if c := r.get("create"):
        rows.append((
            f"create a {c['frames']:,}-frame job", f"{c['seconds']:.2f} s",
            f"< {TARGET_CREATE_SECONDS:g} s", verdict(c["seconds"] < TARGET_CREATE_SECONDS),
        ))  # fmt: skip
    if t := r.get("throughput"):
        rate = t["assignments_per_second"]
        rows.append((
            f"assignments/s ({t['workers']} workers, {t['completed']:,} tasks)", f"{rate:.0f}/s",
            f">= {TARGET_ASSIGNMENTS_PER_SECOND:g}/s",
            verdict(rate >= TARGET_ASSIGNMENTS_PER_SECOND),
        ))  # fmt: skip
        steady = t["steady_assignments_per_second"]
        rows.append(("  steady state (10%-90% of completions)", f"{fmt(steady, '.0f')}/s", "", ""))
    if i := r.get("idle_latency"):
        for label, key in (("median", "ms_p50"), ("p99", "ms_p99")):
            rows.append((
                f"idle claim latency, {label} ({i['rounds']} rounds)", f"{i[key]:.1f} ms",
                f"< {TARGET_IDLE_LATENCY_MS:g} ms", verdict(i[key] < TARGET_IDLE_LATENCY_MS),
            ))  # fmt: skip
    return rows


def print_table(results: list[dict[str, Any]], opts: Options) -> None:
    for r in results:
        title = f"== {r['engine']}"
        if r.get("postgres_version"):
            title += f" {r['postgres_version']}"
        if r.get("revision"):
            title += f" (server code at {r['revision']})"
        print(title + " " + "=" * max(0, 78 - len(title)))
        if "skipped" in r:
            print(f"  skipped: {r['skipped']}\n")
            continue
        for what, value, target, ok in figure_rows(r):
            print(f"  {what:<50} {value:>11}  {target:>10}  {ok}")
        if t := r.get("throughput"):
            wall = t["seconds"] or float("nan")
            busy = ", ".join(
                f"{k} {v / wall:.0%}" for k, v in t["cpu_seconds"].items() if v is not None
            )
            print(f"  figure 2: CPU {busy} of one core ({os.cpu_count()} cores here)")
            per, client = t["server_cpu_ms_per_assignment"], t["client_cpu_ms_per_assignment"]
            print(
                f"  figure 2: CPU per assignment: server {fmt(per, '.2f')} ms, "
                f"this client {fmt(client, '.2f')} ms"
            )
            print(
                f"  figure 2: claim p50/p99 {t['claim_ms_p50']:.0f}/{t['claim_ms_p99']:.0f} ms, "
                f"complete p50/p99 {t['complete_ms_p50']:.0f}/{t['complete_ms_p99']:.0f} ms"
            )
            if t["timed_out"]:
                print(f"  figure 2 stopped at its {opts.max_seconds:g} s limit")
        if i := r.get("idle_latency"):
            print(
                f"  figure 3: min/max {i['ms_min']:.1f}/{i['ms_max']:.1f} ms, POST /jobs "
                f"(1 frame) p50 {i['submit_ms_p50']:.1f} ms, {i['distinct_winners']} "
                "distinct winners"
            )
        if c := r.get("create"):
            print(f"  cancel of the {c['frames']:,}-frame job: {c['cancel_seconds']:.2f} s")
        if load := r.get("idle_load"):
            pg = load["postgres_cpu"]
            print(
                f"  idle load: {load['workers']} workers long-polling, no work: server CPU "
                f"{load['server_cpu']:.0%}" + (f", postgres {pg:.0%}" if pg is not None else "")
                + f" of one core; answers {load['answers']}"
            )  # fmt: skip
        if spy := (r.get("throughput") or {}).get("py_spy"):
            libs = ", ".join(f"{k} {v:.0%}" for k, v in list(spy["self_by_library"].items())[:6])
            print(f"  py-spy, figure 2, {spy['main_thread_samples']} main-thread samples:")
            print(f"    own time by library: {libs}")
            funcs = ", ".join(
                f"{k} {v:.0%}" for k, v in list(spy["inclusive_by_function"].items())[:8]
            )
            print(f"    farmhand_server functions (inclusive): {funcs}")
        outcomes = {
            **r.get("throughput", {}).get("outcomes", {}),
            **{f"idle_{k}": v for k, v in r.get("idle_latency", {}).get("outcomes", {}).items()},
        }
        odd = {k: v for k, v in outcomes.items() if not k.endswith("claim_empty")}
        if odd:
            print(f"  unexpected worker outcomes: {odd}")
        if "http_statuses" in r:
            print(f"  HTTP statuses: {r['http_statuses']}")
        if r.get("client_errors"):
            print(f"  client errors: {r['client_errors']}")
        for sample in r.get("http_5xx_samples", []):
            print(f"  5xx: {sample}")
        if r.get("error"):
            print(f"  CRASHED: {r['error']}")
        findings = r.get("server_log_findings") or []
        print(f"  server stderr: {len(findings)} suspicious line(s)")
        for line in findings[:15]:
            print(f"    {line[:160]}")
        if r.get("profile"):
            print(f"  server profile: {r['profile']}")
        print()


def revision() -> str:
    """The commit the server code is at, "+changes" when server/ differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "server"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(ENGINES), help="sqlite,postgresql")
    parser.add_argument("--frames", type=int, default=100_000, help="frames of figure 1's job")
    parser.add_argument("--tasks", type=int, default=20_000, help="assignments in figure 2")
    parser.add_argument("--workers", type=int, default=500, help="simulated workers, figure 2")
    parser.add_argument("--idle-workers", type=int, default=20, help="long-pollers, figure 3")
    parser.add_argument("--rounds", type=int, default=30, help="submissions timed in figure 3")
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="time limit of figure 2 (per engine)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--py-spy",
        nargs="?",
        const="py-spy",
        metavar="PATH",
        help="sample the server with py-spy during figure 2 (py-spy on PATH unless given); "
        "raw stacks go to the log dir",
    )
    parser.add_argument("--log-dir", type=Path, help="keep the server logs here")
    parser.add_argument(
        "--profile-server",
        type=Path,
        metavar="DIR",
        help="run the server under cProfile; stats go to DIR/server-ENGINE.prof "
        "(the figures are then slower than without it)",
    )
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)} (choose from {', '.join(ENGINES)})")
    if min(args.tasks, args.workers, args.idle_workers, args.rounds, args.frames) < 1:
        parser.error("--frames, --tasks, --workers, --idle-workers and --rounds must be >= 1")
    if args.workers + args.idle_workers > 10_000:
        parser.error("at most 10,000 workers (one enrolment token's uses)")
    # Many sockets: 500 workers plus the server's side of them, plus database connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * (args.workers + args.idle_workers) + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    py_spy = None
    if args.py_spy:
        py_spy = shutil.which(args.py_spy)
        if py_spy is None:
            parser.error(f"py-spy not found: {args.py_spy}")
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="fh-dispatch-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    opts = Options(
        frames=args.frames, tasks=args.tasks, workers=args.workers,
        idle_workers=args.idle_workers, rounds=args.rounds, max_seconds=args.max_seconds,
        profile_dir=args.profile_server, log_dir=log_dir, py_spy=py_spy,
    )  # fmt: skip
    results: list[dict[str, Any]] = []
    crashed = False
    started = time.monotonic()
    try:
        for engine in engines:
            try:
                result = run_engine(engine, opts)
            except (BenchError, OSError, pg_server.PostgresError) as exc:
                log(f"{engine}: crashed: {type(exc).__name__}: {exc}")
                result = {"engine": engine, "error": f"{type(exc).__name__}: {exc}"}
            crashed = crashed or "error" in result
            results.append(result)
    finally:
        if args.log_dir is None:
            shutil.rmtree(log_dir, ignore_errors=True)
    total = time.monotonic() - started
    if args.json:
        document = {
            "targets": {
                "create_seconds": TARGET_CREATE_SECONDS,
                "assignments_per_second": TARGET_ASSIGNMENTS_PER_SECOND,
                "idle_latency_ms": TARGET_IDLE_LATENCY_MS,
            },
            "options": {
                "frames": opts.frames,
                "tasks": opts.tasks,
                "workers": opts.workers,
                "idle_workers": opts.idle_workers,
                "rounds": opts.rounds,
                "max_seconds": opts.max_seconds,
                "profiled": opts.profile_dir is not None,
            },
            "cpu_count": os.cpu_count(),
            "total_seconds": total,
            "engines": {r["engine"]: r for r in results},
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print_table(results, opts)
        print(f"total {total:.0f} s")
    if opts.profile_dir is not None:
        for r in results:
            if r.get("profile"):
                summary = profile_summary(Path(r["profile"]))
                Path(r["profile"]).with_suffix(".txt").write_text(summary)
                log(f"{r['engine']}: profile summary in {Path(r['profile']).with_suffix('.txt')}")
    return 1 if crashed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted (servers stopped, temp dirs removed)")
        sys.exit(130)
