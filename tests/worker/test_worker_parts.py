"""The worker's parts on their own: blob cache, settings, hardware, results, process limits."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
import xxhash
from farmhand.spec.pathmap import PathMapper
from farmhand_worker.adapters import RenderCommand
from farmhand_worker.config import ConfigError, load
from farmhand_worker.daemon import report
from farmhand_worker.files.cache import BlobCache
from farmhand_worker.files.layout import lay_out
from farmhand_worker.hardware import Hardware, detect
from farmhand_worker.outputs import results
from farmhand_worker.run import process
from farmhand_worker.task import assembled_name


def blob(data: bytes) -> dict:
    import hashlib

    return {"md5": hashlib.md5(data).hexdigest(), "xxh64": xxhash.xxh64(data).hexdigest(),
            "size": len(data)}  # fmt: skip


class Source:
    """Serves blobs from memory, as the server would, counting fetches."""

    def __init__(self, *payloads: bytes) -> None:
        self.data = {blob(p)["md5"]: p for p in payloads}
        self.fetches = 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, ref: dict, dest: Path) -> None:
        self.gate.wait(10)
        self.fetches += 1
        dest.write_bytes(self.data[ref["md5"]])


def test_the_cache_fetches_once_and_evicts_least_recently_used(tmp_path):
    a, b, c = b"a" * 400, b"b" * 400, b"c" * 400
    source = Source(a, b, c)
    cache = BlobCache(tmp_path / "cache", max_bytes=1000)
    pa = cache.get(blob(a), source)
    cache.release(blob(a))
    pb = cache.get(blob(b), source)
    cache.release(blob(b))
    assert cache.get(blob(a), source) == pa and source.fetches == 2  # a again: no fetch
    cache.release(blob(a))
    os.utime(pb, (time.time() - 100, time.time() - 100))  # b is the least recently used
    cache.get(blob(c), source)
    cache.release(blob(c))
    assert pa.exists() and not pb.exists() and cache.size() <= 1000


def test_a_pinned_blob_is_never_evicted(tmp_path):
    a, b = b"a" * 600, b"b" * 600
    source = Source(a, b)
    cache = BlobCache(tmp_path / "cache", max_bytes=1000)
    pa = cache.get(blob(a), source)  # held by a running task
    os.utime(pa, (time.time() - 100, time.time() - 100))
    cache.get(blob(b), source)
    assert pa.exists()  # over the limit for a while rather than pulled from under a render


def test_two_slots_asking_for_one_blob_fetch_it_once(tmp_path):
    data = b"x" * 1000
    source = Source(data)
    source.gate.clear()
    cache = BlobCache(tmp_path / "cache", max_bytes=10_000)
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(blob(data), source)))
               for _ in range(3)]  # fmt: skip
    for t in threads:
        t.start()
    time.sleep(0.2)
    source.gate.set()
    for t in threads:
        t.join(10)
    assert source.fetches == 1 and len(set(got)) == 1


def test_a_failed_download_leaves_nothing_behind(tmp_path):
    def broken(ref, dest):
        dest.write_bytes(b"half")
        raise ConnectionError("cut")

    cache = BlobCache(tmp_path / "cache", max_bytes=10_000)
    with pytest.raises(ConnectionError):
        cache.get(blob(b"whole"), broken)
    assert list((tmp_path / "cache").iterdir()) == []


def test_layout_links_files_under_their_mapped_paths(tmp_path):
    scene, texture = b"scene", b"texture"
    source = Source(scene, texture)
    cache = BlobCache(tmp_path / "cache", max_bytes=10_000)
    mapper = PathMapper(tmp_path / "job", worker_rules=[{"from": "Y:/", "to": str(tmp_path / "y")}])
    manifest = [{"path": "C:/Proj/shot 1.ma", **blob(scene)},
                {"path": "Y:/lib/tex.exr", **blob(texture)}]  # fmt: skip
    laid = lay_out(manifest, mapper, cache, source)
    assert laid.files["C:/Proj/shot 1.ma"] == tmp_path / "job" / "C" / "Proj" / "shot 1.ma"
    assert laid.files["C:/Proj/shot 1.ma"].read_bytes() == scene
    assert laid.files["Y:/lib/tex.exr"] == tmp_path / "y" / "lib" / "tex.exr"
    with pytest.raises(ValueError):
        lay_out([{"path": "C:/Proj/../../etc/passwd", **blob(scene)}], mapper, cache, source)


def test_settings_from_toml_environment_and_flags(tmp_path):
    toml = tmp_path / "worker.toml"
    toml.write_text(
        'server = "http://farm:8642"\nslots = 2\ntags = ["gpu"]\n'
        '[software.maya."2025"]\nexecutable = "/opt/maya/bin/Render"\n'
        'plugins = { mtoa = "5.4.1" }\n'
        '[[path_mapping]]\nfrom = "Y:/"\nto = "/mnt/projects/"\n'
    )
    config = load(toml, env={"FARMHAND_WORKER_SLOTS": "3"}, name="node7")
    assert (config.server, config.slots, config.name, config.tags) == (
        "http://farm:8642",
        3,
        "node7",
        ["gpu"],
    )
    assert config.executable("Maya", "2025") == "/opt/maya/bin/Render"
    assert config.software_report() == {"maya": {"2025": {"plugins": {"mtoa": "5.4.1"}}}}
    assert config.path_mapping == [{"from": "Y:/", "to": "/mnt/projects/"}]
    body = report(config, Hardware("h", "linux-x86_64", 64.0, 16))
    assert body["software"] == config.software_report() and body["slots"] == 3


def test_the_executable_is_the_lowest_installed_version_the_policy_accepts(tmp_path):
    toml = tmp_path / "worker.toml"
    toml.write_text("".join(f'[software.maya."{v}"]\nexecutable = "/opt/maya{v}/bin/Render"\n'
                            for v in ("2026", "2022", "2024")))  # fmt: skip
    config = load(toml)
    assert config.executable("Maya", "2023") == "/opt/maya2024/bin/Render"  # a minimum
    assert config.executable("Maya", "2022") == "/opt/maya2022/bin/Render"
    assert config.executable("Maya", "2023", ["2025", "2026"]) == "/opt/maya2026/bin/Render"
    assert config.executable("Maya", "2025ff03") == "/opt/maya2026/bin/Render"


@pytest.mark.parametrize("text, message", [
    ("slots = 'many'", "slots: 'many' is not a int"),
    ("colour = 'red'", "unknown setting 'colour'"),
    ("slots = 0", "slots must be at least 1"),
    ("[[path_mapping]]\nfrom = 'Y:/'", "needs `from` and `to`"),
    ("server = ", "worker.toml"),
])  # fmt: skip
def test_bad_settings_are_named(tmp_path, text, message):
    toml = tmp_path / "worker.toml"
    toml.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(toml, env={})


def test_hardware_of_this_machine():
    found = detect(nvidia_smi=None)
    assert found.cpu_cores == os.cpu_count() and found.ram_gb > 0 and found.gpus == []


def test_a_render_is_first_in_line_for_the_oom_killer(tmp_path):
    seen = {}

    def started(pid: int) -> None:
        seen["adj"] = Path(f"/proc/{pid}/oom_score_adj").read_text().strip()

    command = RenderCommand([sys.executable, "-c", "import time; time.sleep(0.5)"], tmp_path)
    result = process.run(command, lambda _: None, lambda _: None, threading.Event(),
                         process.Limits(), on_start=started)  # fmt: skip
    assert result.ok and seen["adj"] == "1000"


def test_a_stopped_render_reports_why(tmp_path):
    stop = threading.Event()
    command = RenderCommand([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    threading.Timer(0.5, stop.set).start()
    result = process.run(command, lambda _: None, lambda _: None, stop,
                         process.Limits(kill_grace=1.0))  # fmt: skip
    assert result.ended_by == process.STOPPED and result.exit_code != 0


def test_expected_outputs_are_checked(tmp_path):
    (tmp_path / "f_0001.png").write_bytes(b"x")
    (tmp_path / "f_0002.png").write_bytes(b"")
    with pytest.raises(results.MissingOutput, match=r"f_0002\.png"):
        results.check_expected(tmp_path, [tmp_path / "f_0001.png", tmp_path / "f_0002.png"], [1, 2])
    with pytest.raises(results.MissingOutput, match=r"frame\(s\) \[2\]"):
        results.check_expected(tmp_path, [], [1, 2])
    assert results.check_expected(tmp_path, [tmp_path / "f_0001.png"], [1]) == [
        tmp_path / "f_0001.png"
    ]


def test_assembled_frames_are_named_after_their_tiles():
    assert assembled_name("shot_tile0003_0007.png", 7) == "shot_0007.png"
    assert assembled_name("beauty/sh_tile0001_0002_v2.exr", 2) == "beauty/sh_0002_v2.exr"
    assert assembled_name("tile0001.exr", 4) == "frame_0004.exr"


def test_placing_one_file_from_many_threads_at_once(tmp_path):
    from farmhand_worker.files.layout import place

    cached = tmp_path / "blob"
    cached.write_bytes(b"pixels")
    local = tmp_path / "job" / "C" / "tex.png"
    errors = []

    def put():
        try:
            for _ in range(50):
                place(cached, local)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and local.read_bytes() == b"pixels"
    assert sorted(p.name for p in local.parent.iterdir()) == ["tex.png"]


def test_symbolic_links_in_the_output_folder_are_not_sent(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("token")
    out = tmp_path / "out"
    out.mkdir()
    (out / "frame_0001.png").write_bytes(b"x")
    (out / "frame_0002.png").symlink_to(secret)
    assert results.check_expected(out, [], [1]) == [out / "frame_0001.png"]


def test_the_render_does_not_inherit_the_workers_token(tmp_path, monkeypatch):
    monkeypatch.setenv("FARMHAND_WORKER_TOKEN", "fhw_secret")
    lines: list[str] = []
    program = "import os; print(os.environ.get('FARMHAND_WORKER_TOKEN', 'none'))"
    process.run(RenderCommand([sys.executable, "-c", program], tmp_path, env={"X": "1"}),
                lines.append, lambda _: None, threading.Event(), process.Limits())  # fmt: skip
    assert lines == ["none\n"]
