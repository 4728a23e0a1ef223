"""farmhand.transfer.hashing (MD5 + xxh64 in one read, files in parallel) and its hashcache."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest
import xxhash
from farmhand.transfer.changes import FileChanged, StatKey, is_unchanged, stat_key
from farmhand.transfer.hashcache import (
    CACHE_DIR_ENV,
    HashCache,
    default_cache_path,
)
from farmhand.transfer.hashing import (
    DEFAULT_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    Cancelled,
    FileHash,
    HashError,
    hash_file,
    hash_files,
)

REPO = Path(__file__).resolve().parents[2]
SMALL_BLOCK = MIN_BLOCK_SIZE  # 64 KiB: many blocks from small files
HOUR_NS = 3600 * 10**9


def expected(path: Path) -> FileHash:
    """The digests computed independently of farmhand.transfer.hashing."""
    data = path.read_bytes()
    return FileHash(hashlib.md5(data).hexdigest(), xxhash.xxh64_hexdigest(data), len(data))


def write(path: Path, size: int, seed: int = 0, age_ns: int = HOUR_NS) -> Path:
    """SIZE pseudo-random bytes at PATH, with an mtime AGE_NS in the past (not racy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    age(path, age_ns)
    return path


def age(path: Path, age_ns: int = HOUR_NS) -> None:
    """Set PATH's mtime AGE_NS before now."""
    then = time.time_ns() - age_ns
    os.utime(path, ns=(then, then))


def file_set(root: Path, sizes: list[int]) -> list[Path]:
    return [write(root / f"f{i:03d}.bin", size, seed=i) for i, size in enumerate(sizes)]


VARIED = [0, 1, 100, SMALL_BLOCK - 1, SMALL_BLOCK, SMALL_BLOCK + 1, 3 * SMALL_BLOCK + 12345]


# ----------------------------------------------------------------------------- hash_file


@pytest.mark.parametrize("size", VARIED)
def test_hash_file_matches_hashlib_and_xxhash(tmp_path: Path, size: int) -> None:
    path = write(tmp_path / "f.bin", size, seed=size)
    assert hash_file(path, block=SMALL_BLOCK) == expected(path)
    assert hash_file(path) == expected(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty", 0)
    fh = hash_file(path)
    assert fh == FileHash("d41d8cd98f00b204e9800998ecf8427e", "ef46db3751d8e999", 0)
    assert hash_files([path]) == {path: fh}


def test_file_bigger_than_default_block(tmp_path: Path) -> None:
    """Several default-size blocks and a short last one: the threaded path of hash_file."""
    path = write(tmp_path / "big.bin", 2 * DEFAULT_BLOCK_SIZE + 777, seed=7)
    assert hash_file(path) == expected(path)
    assert hash_file(path, block=3 * MIN_BLOCK_SIZE + 5) == expected(path)  # odd block size


def test_digests_are_what_the_jobspec_schema_accepts(tmp_path: Path) -> None:
    schema = json.loads((REPO / "scripts/farmhand/spec/schemas/jobspec.schema.json").read_text())
    blob_schema = {"$defs": schema["$defs"], "$ref": "#/$defs/blob"}
    for size in (0, 5, SMALL_BLOCK * 2):
        fh = hash_file(write(tmp_path / f"{size}.bin", size, seed=size))
        jsonschema.validate(fh.as_blob(), blob_schema)
        assert len(fh.md5) == 32 and len(fh.xxh64) == 16
        assert fh.key == f"{fh.md5}-{size}"


def test_hash_file_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        hash_file(tmp_path / "missing.tif")
    assert info.value.filename == str(tmp_path / "missing.tif")
    with pytest.raises(IsADirectoryError) as info:
        hash_file(tmp_path)
    assert info.value.filename == str(tmp_path)


def test_block_and_workers_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path / "f", 10)
    with pytest.raises(ValueError, match="block"):
        hash_file(path, block=1024)
    with pytest.raises(ValueError, match="workers"):
        hash_files([path], workers=0)


# ----------------------------------------------------------------------------- hash_files


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_parallel_equals_sequential_and_independent(tmp_path: Path, workers: int) -> None:
    sizes = VARIED + [random.Random(i).randrange(4 * SMALL_BLOCK) for i in range(25)]
    paths = file_set(tmp_path, sizes)
    sequential = hash_files(paths, workers=1, block=SMALL_BLOCK)
    parallel = hash_files(paths, workers=workers, block=SMALL_BLOCK)
    assert parallel == sequential
    assert sequential == {path: expected(path) for path in paths}
    assert hash_files(paths, workers=workers) == sequential  # default block: one block each


def test_keys_are_the_paths_as_given_and_duplicates_hashed_once(tmp_path: Path) -> None:
    a, b = file_set(tmp_path, [10, 20])
    hashed = hash_files([a, str(b), a, str(b)])
    assert list(hashed) == [a, str(b)]
    assert hashed[a] == expected(a) and hashed[str(b)] == expected(b)
    assert hash_files([]) == {}


def test_errors_are_collected_and_name_every_path(tmp_path: Path) -> None:
    good = file_set(tmp_path, [5, SMALL_BLOCK * 3])
    missing = tmp_path / "missing.exr"
    folder = tmp_path / "a folder"
    folder.mkdir()
    with pytest.raises(HashError) as info:
        hash_files([good[0], missing, folder, good[1]], block=SMALL_BLOCK)
    exc = info.value
    assert isinstance(exc, OSError)
    assert set(exc.errors) == {missing, folder}
    assert isinstance(exc.errors[missing], FileNotFoundError)
    assert exc.filename == str(missing)
    assert str(missing) in str(exc) and str(folder) in str(exc)
    assert exc.results == {path: expected(path) for path in good}


def test_progress_reaches_totals_monotonic_and_serialised(tmp_path: Path) -> None:
    sizes = [0, 1, SMALL_BLOCK * 5 + 3, *range(1000, 40000, 3000)]
    paths = file_set(tmp_path, sizes)
    calls: list[tuple[int, int, int, int]] = []
    busy = threading.Lock()
    overlapped = []

    def progress(*args: int) -> None:
        if not busy.acquire(blocking=False):
            overlapped.append(args)
            return
        try:
            calls.append(args)
            time.sleep(0.0005)  # widen the window in which another call could overlap
        finally:
            busy.release()

    hash_files(paths, workers=4, progress=progress, block=SMALL_BLOCK)
    assert not overlapped
    assert calls[-1] == (len(paths), len(paths), sum(sizes), sum(sizes))
    for before, after in itertools.pairwise(calls):
        assert after[0] >= before[0] and after[2] >= before[2]
        assert after[1] == len(paths) and after[3] == sum(sizes)
    assert {call[0] for call in calls} >= {len(paths)}
    assert len(calls) >= len(paths)


def test_progress_counts_failed_files_as_done(tmp_path: Path) -> None:
    paths = [*file_set(tmp_path, [100, 200]), tmp_path / "missing"]
    calls = []
    with pytest.raises(HashError):
        hash_files(paths, progress=lambda *a: calls.append(a))
    assert calls[-1] == (3, 3, 300, 300)


def test_cancel_before_start_and_during(tmp_path: Path) -> None:
    paths = file_set(tmp_path, [SMALL_BLOCK * 4] * 12)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled) as info:
        hash_files(paths, cancel=cancel, block=SMALL_BLOCK)
    assert info.value.results == {}
    with pytest.raises(Cancelled):
        hash_file(paths[0], cancel=cancel)
    assert str(Cancelled("upload cancelled")) == "upload cancelled"  # the upload raises it too

    cancel = threading.Event()
    seen = []

    def progress(done_files: int, total_files: int, done_bytes: int, total_bytes: int) -> None:
        seen.append(done_bytes)
        if done_files >= 2:
            cancel.set()

    with pytest.raises(Cancelled) as info:
        hash_files(paths, workers=2, progress=progress, cancel=cancel, block=SMALL_BLOCK)
    partial = info.value.results
    assert 2 <= len(partial) < len(paths)
    assert all(fh == expected(path) for path, fh in partial.items())
    assert seen[-1] < sum(os.path.getsize(p) for p in paths)


def test_a_failing_progress_callback_stops_and_is_raised(tmp_path: Path) -> None:
    paths = file_set(tmp_path, [SMALL_BLOCK * 3] * 6)

    def progress(*args: int) -> None:
        raise RuntimeError("panel went away")

    with pytest.raises(RuntimeError, match="panel went away"):
        hash_files(paths, workers=2, progress=progress, block=SMALL_BLOCK)


def test_no_threads_left_behind(tmp_path: Path) -> None:
    paths = file_set(tmp_path, [SMALL_BLOCK * 2] * 4)
    hash_files(paths, workers=3, block=SMALL_BLOCK)
    hash_file(write(tmp_path / "big", DEFAULT_BLOCK_SIZE + 1))
    with pytest.raises(HashError):
        hash_files([*paths, tmp_path / "missing"], workers=3)
    assert not [t for t in threading.enumerate() if t.name.startswith("farmhand-hash")]


# ----------------------------------------------------------------------------- the cache


class CountingHasher:
    """hash_files, recording every path it is asked to read."""

    def __init__(self) -> None:
        self.calls: list[list[object]] = []

    @property
    def read(self) -> list[object]:
        return [path for call in self.calls for path in call]

    def __call__(self, paths, workers=None, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        self.calls.append(list(paths))
        return hash_files(paths, workers=workers, progress=progress, cancel=cancel)


@pytest.fixture
def cache(tmp_path: Path):  # type: ignore[no-untyped-def]
    with HashCache(tmp_path / "cache" / "hashes.sqlite3") as c:
        yield c


def test_put_get_and_stale_rows(tmp_path: Path, cache: HashCache) -> None:
    path = write(tmp_path / "scene.ma", 1000)
    fh = expected(path)
    assert cache.get(path) is None
    size, mtime_ns = stat_key(path)
    cache.put(path, fh, size, mtime_ns)
    assert cache.get(path) == fh
    assert cache.get(str(path)) == fh and len(cache) == 1
    os.utime(path, ns=(mtime_ns, mtime_ns + 1))  # same size, new mtime_ns
    assert cache.get(path) is None
    os.utime(path, ns=(mtime_ns, mtime_ns))
    assert cache.get(path) == fh
    path.write_bytes(path.read_bytes() + b"x")  # new size
    os.utime(path, ns=(mtime_ns, mtime_ns))
    assert cache.get(path) is None
    path.unlink()
    assert cache.get(path) is None
    with pytest.raises(ValueError, match="bytes"):
        cache.put(path, fh, size + 1, mtime_ns)


def test_cache_hit_does_not_read_the_file(tmp_path: Path, cache: HashCache) -> None:
    paths = file_set(tmp_path / "tex", [0, 10, SMALL_BLOCK * 3, 5000])
    hasher = CountingHasher()
    first = cache.hash_with_cache(paths, hasher=hasher)
    assert first == {path: expected(path) for path in paths}
    assert sorted(hasher.read) == sorted(paths)
    second = cache.hash_with_cache(paths, hasher=hasher)
    assert second == first
    assert len(hasher.calls) == 1  # nothing to hash: the hasher was not even called
    with HashCache(cache.path) as again:  # the rows are on disk, for the next process too
        assert again.hash_with_cache(paths, hasher=hasher) == first
    assert len(hasher.calls) == 1


def test_changed_files_are_hashed_again(tmp_path: Path, cache: HashCache) -> None:
    paths = file_set(tmp_path, [4000, 4000, 4000])
    hasher = CountingHasher()
    cache.hash_with_cache(paths, hasher=hasher)
    # Same size, new content and new mtime_ns.
    old = stat_key(paths[0])
    paths[0].write_bytes(random.Random(99).randbytes(4000))
    os.utime(paths[0], ns=(old.mtime_ns + 1000, old.mtime_ns + 1000))
    # New size, old mtime_ns.
    old1 = stat_key(paths[1])
    paths[1].write_bytes(b"shorter")
    os.utime(paths[1], ns=(old1.mtime_ns, old1.mtime_ns))
    hashed = cache.hash_with_cache(paths, hasher=hasher)
    assert hasher.calls[-1] == [paths[0], paths[1]]
    assert hashed == {path: expected(path) for path in paths}
    cache.hash_with_cache(paths, hasher=hasher)
    assert len(hasher.calls) == 2


def test_recently_written_files_are_not_cached(tmp_path: Path) -> None:
    fresh = write(tmp_path / "fresh.ma", 100, age_ns=0)
    old = write(tmp_path / "old.ma", 100, seed=1)
    hasher = CountingHasher()
    with HashCache(tmp_path / "c.sqlite3") as cache:
        assert cache.hash_with_cache([fresh, old], hasher=hasher)[fresh] == expected(fresh)
        assert cache.get(fresh) is None and cache.get(old) == expected(old)
        cache.hash_with_cache([fresh, old], hasher=hasher)
        assert hasher.calls[-1] == [fresh]
    with HashCache(tmp_path / "d.sqlite3", racy_window_ns=0) as cache:
        cache.hash_with_cache([fresh], hasher=hasher)
        assert cache.get(fresh) == expected(fresh)


def test_a_file_changed_while_hashing_is_hashed_again(tmp_path: Path, cache: HashCache) -> None:
    path = write(tmp_path / "scene.ma", 5000)
    calls = []

    def hasher(paths, **kwargs):  # type: ignore[no-untyped-def]
        result = hash_files(paths, **kwargs)
        calls.append(paths)
        if len(calls) == 1:  # something saves the scene while we read it
            path.write_bytes(b"saved again")
            age(path, HOUR_NS // 2)
        return result

    assert cache.hash_and_stat([path], hasher=hasher) == {path: (expected(path), stat_key(path))}
    assert len(calls) == 2
    assert cache.get(path) == expected(path)


def test_a_file_that_keeps_changing_fails(tmp_path: Path, cache: HashCache) -> None:
    path = write(tmp_path / "growing.exr", 100)
    other = write(tmp_path / "ok.exr", 100, seed=2)

    def hasher(paths, **kwargs):  # type: ignore[no-untyped-def]
        result = hash_files(paths, **kwargs)
        with path.open("ab") as f:
            f.write(b"more")
        return result

    with pytest.raises(HashError) as info:
        cache.hash_with_cache([path, other], hasher=hasher)
    assert isinstance(info.value.errors[path], FileChanged)
    assert info.value.results == {other: expected(other)}
    assert cache.get(other) == expected(other)


def test_errors_keep_the_good_hashes(tmp_path: Path, cache: HashCache) -> None:
    good = write(tmp_path / "good", 10)
    cached = write(tmp_path / "cached", 20, seed=1)
    cache.hash_with_cache([cached])
    missing = tmp_path / "missing"
    with pytest.raises(HashError) as info:
        cache.hash_with_cache([good, missing, cached])
    assert set(info.value.errors) == {missing}
    assert info.value.results == {good: expected(good), cached: expected(cached)}
    assert cache.get(good) == expected(good)


def test_cancel_keeps_the_finished_hashes(tmp_path: Path, cache: HashCache) -> None:
    paths = file_set(tmp_path, [SMALL_BLOCK * 2] * 10)
    cancel = threading.Event()

    def hasher(paths, workers=None, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        def stop_after_three(done_files: int, *rest: int) -> None:
            if done_files >= 3:
                cancel.set()

        return hash_files(paths, workers=1, progress=stop_after_three, cancel=cancel)

    with pytest.raises(Cancelled) as info:
        cache.hash_with_cache(paths, cancel=cancel, hasher=hasher)
    done = info.value.results
    assert 3 <= len(done) < len(paths)
    counting = CountingHasher()
    assert cache.hash_with_cache(paths, hasher=counting) == {p: expected(p) for p in paths}
    assert sorted(counting.read) == sorted(set(paths) - set(done))


def test_cache_progress_counts_cached_files(tmp_path: Path, cache: HashCache) -> None:
    paths = file_set(tmp_path, [100, 200, 300])
    cache.hash_with_cache(paths[:2])
    calls: list[tuple[int, ...]] = []
    cache.hash_with_cache(paths, progress=lambda *a: calls.append(a))
    assert calls[0] == (2, 3, 300, 600)
    assert calls[-1] == (3, 3, 600, 600)
    calls.clear()
    cache.hash_with_cache(paths, progress=lambda *a: calls.append(a))
    assert calls == [(3, 3, 600, 600)]


def test_is_unchanged_and_stat_key(tmp_path: Path) -> None:
    path = write(tmp_path / "tex.tif", 64)
    key = stat_key(path)
    assert isinstance(key, StatKey) and key == (64, os.stat(path).st_mtime_ns)
    assert is_unchanged(path, key)
    os.utime(path, ns=(key.mtime_ns, key.mtime_ns + 1))
    assert not is_unchanged(path, key)
    assert not is_unchanged(tmp_path / "missing", key)


def test_cache_is_safe_across_threads(tmp_path: Path, cache: HashCache) -> None:
    paths = file_set(tmp_path, [random.Random(i).randrange(5000) for i in range(40)])
    want = {path: expected(path) for path in paths}
    failures = []

    def work(seed: int) -> None:
        try:
            order = paths[:]
            random.Random(seed).shuffle(order)
            for path in order:
                cache.put(path, want[path], *stat_key(path))
                assert cache.get(path) == want[path]
            assert cache.hash_with_cache(order, workers=2) == {p: want[p] for p in order}
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(cache) == len(paths)


WRITER = """
import sys
from farmhand.transfer.hashcache import HashCache
from farmhand.transfer.hashing import FileHash
with HashCache(sys.argv[1]) as cache:
    for i in range(int(sys.argv[3])):
        cache.put(f"/{sys.argv[2]}/{i}", FileHash("0" * 32, "1" * 16, i), i, i)
"""


def test_two_processes_write_the_same_cache(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    argv = [sys.executable, "-c", WRITER, str(db)]
    children = [subprocess.Popen([*argv, name, "300"], env=env) for name in ("a", "b")]
    with HashCache(db) as cache:
        for i in range(300):
            cache.put(f"/c/{i}", FileHash("2" * 32, "3" * 16, i), i, i)
    assert [child.wait(timeout=60) for child in children] == [0, 0]
    with HashCache(db) as cache:
        assert len(cache) == 900
        assert cache._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_corrupt_cache_is_replaced(tmp_path: Path) -> None:
    db = tmp_path / "hashes.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    path = write(tmp_path / "f", 10)
    with HashCache(db) as cache:
        assert cache.hash_with_cache([path]) == {path: expected(path)}
        assert cache.get(path) == expected(path)
    assert list(tmp_path.glob("hashes.sqlite3.corrupt-*"))


def test_an_unusable_cache_path_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    path = write(tmp_path / "f", 10)
    with HashCache(blocker / "hashes.sqlite3") as cache:
        assert cache.hash_with_cache([path]) == {path: expected(path)}
        assert cache.get(path) == expected(path)


def test_schema_version_and_prune(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with HashCache(db) as cache:
        cache.put("/x", FileHash("0" * 32, "1" * 16, 1), 1, 1)
        assert cache.prune(max_age_days=1) == 0
        assert cache.prune(max_age_days=-1) == 1
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "fh"))
    assert default_cache_path() == tmp_path / "fh" / "hashes.sqlite3"
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if sys.platform != "win32":
        assert default_cache_path() == tmp_path / ".cache" / "farmhand" / "hashes.sqlite3"
