"""Benchmark the transfer path: hashing a 2 GB set of files against ``md5sum``, and (later)
the first upload against ``curl --data-binary`` and an unchanged resubmission.

Generates, in a temporary directory deleted afterwards unless ``--keep``, a production-shaped
set: one 800 MB scene and about 1.2 GB of textures (300 files of 1-8 MB). The bytes are
pseudo-random (a 16 MiB random block repeated with a per-block counter, textures cut from it
at per-file offsets with a per-file header), so every file and every block differs and
nothing compresses trivially.

Hashing, in one run with the page cache warm (one warm-up of every variant first, then best
of N rounds, interleaved):

* ``md5sum FILES...`` (one process, the argv list): MD5 only, read and digest in turn;
* ``hash_files(FILES, workers=1)``: MD5 + xxh64, one file after the other;
* ``hash_files(FILES)``: MD5 + xxh64, default workers (parallel files);
* a naive single-thread loop (read, MD5, xxh64 in one thread), for reference: what xxh64
  would cost without the reader/digest overlap.

Targets (issue 4): ours / md5sum <= 1.05 for both hashes together, and parallel / sequential
< 1.0 on the 2-core machine. Every digest is checked: MD5 against md5sum's output, xxh64
against a plain ``xxhash`` loop over the file, so a hasher that skips work cannot look fast.
A GIL probe (skip with ``--no-gil``) shows whether hashlib's MD5 and xxhash's update
release the GIL while they hash, the premise of that overlap.

Usage::

    python bench/transfer.py                        # generate 2 GB, best of 3, then delete
    python bench/transfer.py --repeat 5 --json
    python bench/transfer.py --keep /tmp/fhset      # keep the set (and its set.json)
    python bench/transfer.py --set /tmp/fhset       # reuse a kept set
    python bench/transfer.py --blocks 1,2,4,8       # also sweep hash_files' block size (MiB)
    python bench/transfer.py --scene-mb 100 --textures-mb 150   # a quick small run

Exit status: 0 whatever the targets say (a benchmark, not a test); 1 when a digest is wrong
or something fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xxhash

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "scripts"))

from farmhand.transfer.hashing import (  # noqa: E402
    DEFAULT_BLOCK_SIZE,
    FileHash,
    default_workers,
    hash_files,
)

MIB = 1 << 20
RATIO_TARGET = 1.05  # (MD5 + xxh64) / md5sum
SPEEDUP_TARGET = 1.0  # parallel / sequential, exclusive
SET_MANIFEST = "set.json"
POOL_BYTES = 16 * MIB


class BenchError(Exception):
    """A failure that makes the benchmark meaningless (exit 1)."""


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the file set


def texture_sizes(total: int, count: int, rng: random.Random) -> list[int]:
    """COUNT sizes between 1 and 8 MiB (before scaling) that add up to TOTAL bytes."""
    raw = [rng.uniform(1.0, 8.0) for _ in range(count)]
    scale = total / sum(raw)  # bytes per unit: keeps the 1:8 spread, hits the total
    sizes = [max(1, int(r * scale)) for r in raw]
    sizes[-1] += total - sum(sizes)
    return sizes


def write_file(path: Path, size: int, pool: bytes, tag: int, offset: int) -> None:
    """SIZE bytes: POOL repeated from OFFSET, every 16 MiB block stamped with (TAG, counter)."""
    block = bytearray(POOL_BYTES)
    rotated = pool[offset:] + pool[:offset]
    written, counter = 0, 0
    with open(path, "wb") as f:
        while written < size:
            block[:] = rotated
            block[:16] = tag.to_bytes(8, "little") + counter.to_bytes(8, "little")
            n = min(POOL_BYTES, size - written)
            f.write(memoryview(block)[:n])
            written += n
            counter += 1


def generate_set(root: Path, scene_mb: float, textures_mb: float, count: int, seed: int) -> dict:
    """Write the scene and the textures under ROOT; return (and save) the set's description."""
    started = time.perf_counter()
    rng = random.Random(seed)
    pool = rng.randbytes(POOL_BYTES)
    root.mkdir(parents=True, exist_ok=True)
    (root / "textures").mkdir(exist_ok=True)
    files: list[dict[str, Any]] = []
    scene = root / "bench_scene.mb"
    scene_size = int(scene_mb * 1e6)
    write_file(scene, scene_size, pool, 0, 0)
    files.append({"path": scene.name, "size": scene_size})
    sizes = texture_sizes(int(textures_mb * 1e6), count, rng) if count else []
    for i, size in enumerate(sizes, 1):
        path = root / "textures" / f"tex_{i:04d}.exr"
        write_file(path, size, pool, i, rng.randrange(POOL_BYTES))
        files.append({"path": f"textures/{path.name}", "size": size})
    os.sync()  # no write-back of the fresh files during the timed runs
    info = {
        "seed": seed,
        "files": files,
        "total_bytes": sum(f["size"] for f in files),
        "generated_s": round(time.perf_counter() - started, 2),
    }
    (root / SET_MANIFEST).write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def load_set(root: Path) -> dict:
    """A kept set's description, checked against the files on disk."""
    try:
        info = json.loads((root / SET_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(f"{root} is not a kept set ({SET_MANIFEST}: {exc})") from None
    for f in info["files"]:
        path = root / f["path"]
        if not path.is_file() or path.stat().st_size != f["size"]:
            raise BenchError(f"{path} is missing or has changed since the set was generated")
    return info


def set_paths(root: Path, info: dict) -> list[str]:
    """Absolute paths of the set's files, scene first."""
    return [str(root / f["path"]) for f in info["files"]]


# ----------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of FN() and its result."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def timed_cpu(fn: Callable[[], Any], child: bool) -> tuple[float, float, Any]:
    """Wall and CPU seconds (user + system, all threads; of the waited-for children when
    CHILD) of FN(), and its result."""
    who = resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF
    before = resource.getrusage(who)
    seconds, result = timed(fn)
    after = resource.getrusage(who)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, result


def run_md5sum(paths: list[str]) -> dict[str, str]:
    """``md5sum PATHS...`` (no shell); {path: md5}."""
    done = subprocess.run(["md5sum", "--", *paths], capture_output=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"md5sum failed (exit {done.returncode}): {done.stderr.decode()}")
    digests = {}
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        digest, _, path = line.partition("  ")
        digests[path] = digest
    return digests


def naive_single_thread(paths: list[str], block: int = DEFAULT_BLOCK_SIZE) -> dict[str, FileHash]:
    """Reference: read, MD5 and xxh64 in turn in one thread (what hash_files avoids)."""
    buf = bytearray(block)
    view = memoryview(buf)
    out = {}
    for path in paths:
        md5, xxh, size = hashlib.md5(), xxhash.xxh64(), 0
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                md5.update(view[:n])
                xxh.update(view[:n])
                size += n
        out[path] = FileHash(md5.hexdigest(), xxh.hexdigest(), size)
    return out


def check_digests(paths: list[str], md5sum: dict[str, str], ours: dict[str, FileHash]) -> None:
    """Every MD5 equals md5sum's, every xxh64 a plain xxhash loop's; raise BenchError if not."""
    for path in paths:
        if ours[path].md5 != md5sum.get(path):
            raise BenchError(f"MD5 of {path}: ours {ours[path].md5}, md5sum {md5sum.get(path)}")
        xxh = xxhash.xxh64()
        with open(path, "rb") as f:
            while chunk := f.read(MIB):
                xxh.update(chunk)
        expected = xxh.hexdigest()
        if ours[path].xxh64 != expected:
            raise BenchError(f"xxh64 of {path}: ours {ours[path].xxh64}, xxhash {expected}")
        if ours[path].size != os.stat(path).st_size:
            raise BenchError(f"size of {path}: ours {ours[path].size}")


def bench_hashing(paths: list[str], repeat: int, workers: int) -> dict[str, Any]:
    """md5sum vs hash_files sequential and parallel (and the naive loop), best of REPEAT."""
    variants: dict[str, Callable[[], Any]] = {
        "md5sum": lambda: run_md5sum(paths),
        "sequential": lambda: hash_files(paths, workers=1),
        "parallel": lambda: hash_files(paths, workers=workers),
        "naive_single_thread": lambda: naive_single_thread(paths),
    }
    runs: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    progress("warm-up: every variant once (page cache warm)")
    results = {name: fn() for name, fn in variants.items()}
    progress("checking digests against md5sum and a plain xxhash loop")
    for name in ("sequential", "parallel", "naive_single_thread"):
        check_digests(paths, results["md5sum"], results[name])
    for i in range(repeat):
        for name, fn in variants.items():
            seconds, cpu_s, _ = timed_cpu(fn, child=name == "md5sum")
            runs[name].append(seconds)
            cpu[name].append(cpu_s)
        progress(
            f"round {i + 1}/{repeat}: "
            + ", ".join(f"{name} {runs[name][-1]:.3f} s" for name in variants)
        )
    best = {name: min(times) for name, times in runs.items()}
    total = sum(os.stat(p).st_size for p in paths)
    seq_ratio = best["sequential"] / best["md5sum"]
    par_ratio = best["parallel"] / best["md5sum"]
    speedup = best["parallel"] / best["sequential"]
    return {
        "files": len(paths),
        "total_bytes": total,
        "workers": workers,
        "block_bytes": DEFAULT_BLOCK_SIZE,
        "cpu_count": os.cpu_count(),
        "repeat": repeat,
        "best_s": {name: round(s, 4) for name, s in best.items()},
        "runs_s": {name: [round(s, 4) for s in times] for name, times in runs.items()},
        "cpu_s": {name: round(min(times), 3) for name, times in cpu.items()},
        "mb_per_s": {name: round(total / 1e6 / s, 1) for name, s in best.items()},
        "ratio_sequential_vs_md5sum": round(seq_ratio, 3),
        "ratio_parallel_vs_md5sum": round(par_ratio, 3),
        "ratio_naive_vs_md5sum": round(best["naive_single_thread"] / best["md5sum"], 3),
        "parallel_vs_sequential": round(speedup, 3),
        "targets": {
            "sequential_vs_md5sum": verdict(seq_ratio <= RATIO_TARGET),
            "parallel_vs_md5sum": verdict(par_ratio <= RATIO_TARGET),
            "parallel_vs_sequential": verdict(speedup < SPEEDUP_TARGET),
        },
    }


def bench_blocks(paths: list[str], blocks_mib: list[float], repeat: int, workers: int) -> dict:
    """hash_files' best time per block size, sequential and parallel."""
    out = {}
    for mib in blocks_mib:
        block = int(mib * MIB)
        hash_files(paths, workers=workers, block=block)  # warm-up
        seq = min(
            timed(lambda b=block: hash_files(paths, workers=1, block=b))[0] for _ in range(repeat)
        )
        par = min(
            timed(lambda b=block: hash_files(paths, workers=workers, block=b))[0]
            for _ in range(repeat)
        )
        out[f"{mib:g}"] = {"sequential_s": round(seq, 4), "parallel_s": round(par, 4)}
        progress(f"block {mib:g} MiB: sequential {seq:.3f} s, parallel {par:.3f} s")
    return out


def gil_probe(mib: int = 256) -> dict[str, Any]:
    """Does a hash call release the GIL while it hashes? Evidence for the reader/digest overlap.

    A Python thread counts in a loop; the main thread makes ONE call on a MIB MiB buffer and
    we see how far the counter got during the call, as a percentage of its solo rate. A call
    that holds the GIL lets it run only at the edges (a few %: the switch interval is lowered
    to 0.5 ms for the probe); one that releases the GIL lets it run throughout (up to 100%,
    less when other processes compete for the CPUs). ``bytes.count`` is the control: it
    holds the GIL.
    """
    big = os.urandom(mib * MIB)
    state = {"count": 0, "stop": False}

    def count() -> None:
        while not state["stop"]:
            state["count"] += 1

    cases: dict[str, Callable[[], Any]] = {
        "hashlib.md5().update": lambda: hashlib.md5().update(big),
        "xxhash.xxh64().update": lambda: xxhash.xxh64().update(big),
        "xxhash.xxh64_hexdigest": lambda: xxhash.xxh64_hexdigest(big),
        "bytes.count (control)": lambda: big.count(b"\x00\x01\x02\x03"),
    }
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    thread = threading.Thread(target=count, daemon=True)
    thread.start()
    out: dict[str, Any] = {}
    try:
        time.sleep(0.1)
        c0, t0 = state["count"], time.perf_counter()
        time.sleep(0.5)
        solo = (state["count"] - c0) / (time.perf_counter() - t0)
        for name, fn in cases.items():
            best = 0.0
            for _ in range(3):
                c0, t0 = state["count"], time.perf_counter()
                fn()
                seconds = time.perf_counter() - t0
                best = max(best, 100 * (state["count"] - c0) / (solo * seconds))
            out[name] = {"call_ms": round(seconds * 1000, 1), "other_thread_pct": round(best, 1)}
            out[name]["releases_gil"] = best > 20
    finally:
        state["stop"] = True
        thread.join()
        sys.setswitchinterval(old_interval)
    out["xxhash_version"] = xxhash.VERSION
    out["hashlib_md5"] = getattr(hashlib.md5, "__name__", "?")
    return out


# ----------------------------------------------------------------------------- upload


def bench_upload(root: Path, paths: list[str], args: argparse.Namespace) -> dict | None:
    """First upload vs ``curl --data-binary`` of the same bytes to the same server (target
    >= 0.8), and an unchanged resubmission (target < 2% of the first submission's time).

    A server runs in its own process on loopback. Our side: hash (empty cache) and upload
    every file with the Uploader (several at once). curl's side, for another user so the
    server has nothing yet: each file one ``curl --data-binary @file`` PUT plus its
    ``complete`` (the server checks MD5 and xxh64 for both). The resubmission hashes through
    the now-filled cache and asks which blobs are missing: none.
    """
    from farmhand.transfer.client import FarmClient
    from farmhand.transfer.hashcache import HashCache
    from farmhand.transfer.upload import LocalFile, Uploader

    old = time.time() - 3600  # older than the cache's 2 s "too recent to trust" window
    for path in paths:
        os.utime(path, (old, old))
    work = Path(tempfile.mkdtemp(prefix="fh-upload-"))
    server = None
    try:
        port = _free_port()
        # curl sends each file in one request; let the server take that whole.
        env = dict(
            os.environ,
            FARMHAND_UPLOAD_CHUNK_MAX=str(1 << 40),
            PYTHONPATH=os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")]),
        )
        log = open(work / "server.log", "wb")  # noqa: SIM115 - closed in finally
        argv = [sys.executable, "-m", "farmhand", "server", "--data-dir", str(work / "data"),
                "--port", str(port)]  # fmt: skip
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        admin_token = _wait_for_token(work / "server.log", server)
        admin = FarmClient(base, admin_token)
        tokens = []
        for name in ("ours", "curl"):
            user = admin.json("POST", "/users", {"name": name})
            tokens.append(admin.json("POST", f"/users/{user['id']}/tokens", {})["token"])
        ours, theirs = FarmClient(base, tokens[0]), FarmClient(base, tokens[1])
        total = sum(os.path.getsize(p) for p in paths)

        cache = HashCache(work / "hashes.sqlite3")
        started = time.perf_counter()
        stamped = cache.hash_and_stat(paths)
        files = [LocalFile(Path(p), fh, key.mtime_ns) for p, (fh, key) in stamped.items()]
        hashed = time.perf_counter()
        report = Uploader(ours, parallel=4).upload(files)
        first_done = time.perf_counter()
        upload_s = first_done - hashed
        first_s = first_done - started

        started = time.perf_counter()
        stamped = cache.hash_and_stat(paths)
        again = Uploader(ours).upload(
            [LocalFile(Path(p), fh, key.mtime_ns) for p, (fh, key) in stamped.items()]
        )
        resubmit_s = time.perf_counter() - started

        curl_s = 0.0
        for local in files:
            upload = theirs.start_upload(local.ref)
            t0 = time.perf_counter()
            subprocess.run(
                ["curl", "-sS", "-f", "-o", os.devnull, "-X", "PUT", "--data-binary",
                 f"@{local.path}", "-H", f"Authorization: Bearer {tokens[1]}",
                 "-H", "Upload-Offset: 0", "-H", "Content-Type: application/octet-stream",
                 f"{base}/api/v1/uploads/{upload['id']}"],
                check=True,
            )  # fmt: skip
            theirs.complete_upload(upload["id"])
            curl_s += time.perf_counter() - t0
        return {
            "bytes": total,
            "files": len(files),
            "ours_upload_s": round(upload_s, 3),
            "ours_mb_s": round(total / upload_s / 1e6, 1),
            "curl_s": round(curl_s, 3),
            "curl_mb_s": round(total / curl_s / 1e6, 1),
            "throughput_ratio": round(curl_s / upload_s, 3),
            "first_submission_s": round(first_s, 3),
            "resubmission_s": round(resubmit_s, 4),
            "resubmission_fraction": round(resubmit_s / first_s, 4),
            "resubmission_bytes_sent": again.bytes_sent,
            "first_bytes_sent": report.bytes_sent,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_token(log: Path, process: subprocess.Popen) -> str:
    import re

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"fhu_[A-Za-z0-9_-]+", log.read_text(errors="replace"))
        if found and "Farmhand server on" in log.read_text(errors="replace"):
            return found.group(0)
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


# ----------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(report: dict[str, Any]) -> None:
    """The human-readable report."""
    ds, h = report["set"], report["hashing"]
    print("Farmhand transfer benchmark")
    print(
        f"  set        {ds['files']} files, {ds['total_bytes'] / 1e6:,.0f} MB "
        f"(scene {ds['scene_bytes'] / 1e6:,.0f} MB + {ds['files'] - 1} textures)"
        f" in {ds['root']}"
    )
    print(
        f"  method     best of {h['repeat']} interleaved rounds after one warm-up of each "
        f"(page cache warm); {h['cpu_count']} CPUs; block {h['block_bytes'] // MIB} MiB"
    )
    load = report["loadavg"]
    print(
        f"  load avg   {load['start'][0]:.2f} at start, {load['end'][0]:.2f} at the end "
        "(other processes on the machine skew the timings: best-of-N absorbs some)"
    )
    names = {
        "md5sum": "md5sum FILES (MD5 only)",
        "sequential": "hash_files workers=1",
        "parallel": f"hash_files workers={h['workers']}",
        "naive_single_thread": "naive 1-thread loop (ref.)",
    }
    for key, label in names.items():
        runs = " ".join(f"{s:.3f}" for s in h["runs_s"][key])
        print(
            f"  {label:<28}{h['best_s'][key]:8.3f} s  {h['mb_per_s'][key]:7.0f} MB/s"
            f"  cpu {h['cpu_s'][key]:6.2f} s   runs {runs}"
        )
    print()
    print(f"  {'target':<44}{'value':>7}   {'limit':<8} result")
    rows = [
        (
            "MD5+xxh64 sequential / md5sum",
            h["ratio_sequential_vs_md5sum"],
            "<= 1.05",
            h["targets"]["sequential_vs_md5sum"],
        ),
        (
            "MD5+xxh64 parallel / md5sum",
            h["ratio_parallel_vs_md5sum"],
            "<= 1.05",
            h["targets"]["parallel_vs_md5sum"],
        ),
        (
            "parallel / sequential",
            h["parallel_vs_sequential"],
            "< 1.00",
            h["targets"]["parallel_vs_sequential"],
        ),
    ]
    for label, value, limit, result in rows:
        print(f"  {label:<44}{value:>7.3f}   {limit:<8} {result}")
    print(f"  (reference: naive 1-thread MD5+xxh64 / md5sum = {h['ratio_naive_vs_md5sum']:.3f})")
    if report.get("blocks"):
        print()
        print("  block size sweep (best s)   sequential   parallel")
        for mib, row in report["blocks"].items():
            print(f"    {mib:>5} MiB {'':14}{row['sequential_s']:10.3f} {row['parallel_s']:10.3f}")
    if report.get("gil"):
        gil = report["gil"]
        print()
        print(
            f"  GIL probe (xxhash {gil['xxhash_version']}, hashlib.md5 = {gil['hashlib_md5']}):"
            " a counting thread's progress during ONE call on 256 MiB, % of its solo rate"
        )
        for name, row in gil.items():
            if isinstance(row, dict):
                print(
                    f"    {name:<26} {row['call_ms']:7.1f} ms {row['other_thread_pct']:6.1f} %  "
                    f"{'releases the GIL' if row['releases_gil'] else 'holds the GIL'}"
                )
    print()
    upload = report["upload"]
    if upload is not None:
        print(
            f"  upload     ours {upload['ours_upload_s']:.2f} s ({upload['ours_mb_s']} MB/s), "
            f"curl {upload['curl_s']:.2f} s ({upload['curl_mb_s']} MB/s): curl/ours "
            f"{upload['throughput_ratio']:.2f} (target >= 0.8) "
            f"{verdict(upload['throughput_ratio'] >= 0.8)}"
        )
        print(
            f"  resubmit   {upload['resubmission_s']:.3f} s vs first "
            f"{upload['first_submission_s']:.2f} s: "
            f"{100 * upload['resubmission_fraction']:.2f}% (target < 2%) "
            f"{verdict(upload['resubmission_fraction'] < 0.02)}; "
            f"{upload['resubmission_bytes_sent']} bytes sent"
        )
    if report["upload"] is None:
        print("  upload: not measured yet")
    else:
        print("  upload: " + json.dumps(report["upload"]))


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scene-mb", type=float, default=800.0, help="scene size (default 800)")
    p.add_argument("--textures-mb", type=float, default=1200.0, help="textures (default 1200)")
    p.add_argument("--textures", type=int, default=300, help="number of textures (300)")
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--repeat", type=int, default=3, help="timed rounds, best of (default 3)")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default ours)")
    p.add_argument("--blocks", default="", help="also sweep block sizes, MiB, e.g. 1,2,4,8")
    p.add_argument("--no-gil", action="store_true", help="skip the GIL probe")
    p.add_argument("--keep", type=Path, help="generate the set here and keep it")
    p.add_argument("--set", type=Path, help="reuse a set kept with --keep")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    if args.keep and args.set:
        p.error("--keep and --set exclude each other")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workers = args.workers or default_workers()
    temp: Path | None = None
    try:
        if args.set:
            root = args.set.resolve()
            info = load_set(root)
        else:
            root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="fh-bench-"))
            temp = None if args.keep else root
            progress(f"generating {args.scene_mb + args.textures_mb:,.0f} MB in {root}")
            info = generate_set(root, args.scene_mb, args.textures_mb, args.textures, args.seed)
            progress(f"generated in {info['generated_s']:.1f} s")
        paths = set_paths(root, info)
        report: dict[str, Any] = {
            "set": {
                "root": str(root),
                "files": len(paths),
                "total_bytes": info["total_bytes"],
                "scene_bytes": info["files"][0]["size"],
                "kept": temp is None,
            },
        }
        load_start = os.getloadavg()
        report["hashing"] = bench_hashing(paths, args.repeat, workers)
        if args.blocks:
            blocks = [float(b) for b in args.blocks.split(",") if b.strip()]
            report["blocks"] = bench_blocks(paths, blocks, args.repeat, workers)
        if not args.no_gil:
            progress("GIL probe")
            report["gil"] = gil_probe()
        report["loadavg"] = {"start": load_start, "end": os.getloadavg()}
        report["upload"] = bench_upload(root, paths, args)
    except BenchError as exc:
        print(f"bench/transfer.py: {exc}", file=sys.stderr)
        return 1
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
