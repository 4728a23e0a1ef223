"""Corrupted scenes: the analysis returns a result or raises SceneError, never anything else.

Real corpus files are damaged at random (truncated, bytes flipped, inserted or deleted,
stray quotes and parentheses, chunks duplicated) and analysed under a time guard. A
result must serialise to JSON; any exception other than `SceneError` (or its subclasses
`SceneParseError`, `BinarySceneError`) fails, and so does an analysis that does not
return within `TIMEOUT_S`. Runs are derandomised, so CI sees the same examples each time.
"""

from __future__ import annotations

import json
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from farmhand.scene import analyze
from farmhand.scene.errors import BinarySceneError, SceneError, SceneParseError
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

TIMEOUT_S = 10.0

# Small real scenes, each with a different trait: codeset 936 with two references, a
# 53-line shader export without cameras, an Arnold scene, a UTF-8 Maya 2016 scene, and a
# Maya 2023 scene with a texture, a mayaBinary reference and wrapped statements.
FUZZ_SOURCES = [
    "zclongpop123/asset_exporter/example/test_scene2.ma",
    (
        "Alejanwong/riff-intern/pipeline/TestProject/Asset/Character/Woody/version_01/lookdev/"
        "TestProject_lookdev_Woody.ma"
    ),
    "sebastienblor/arnold-usd/testsuite/test_0350/data/ref.ma",
    (
        "Autodesk/maya-usd/plugin/pxr/maya/lib/usdMaya/testenv/UsdExportAssemblyEditsTest/"
        "UsdExportAssemblyEditsTest.ma"
    ),
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/cube/scene/cube.ma",
]

CUBE = "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/cube/scene/cube.ma"
MAYA_BINARY = (
    "aws-deadline/deadline-cloud-for-maya/job_bundle_output_tests/cube/scene/"
    "scene_file_to_reference.mb"
)

STRAY = [b'"', b"(", b")", b";", b"\\", b"+", b"-", b"\n", b"\r", b"\t", b"\x00", b"\xff"]
OPERATIONS = ["truncate", "flip", "insert", "delete", "stray", "duplicate"]


@cache
def _source_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _analyse_guarded(path: Path) -> dict[str, Any]:
    """Run analyze(path) in a daemon thread; fail when it does not return in time."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = analyze(str(path))
        except BaseException as exc:  # handed back to the test thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="fuzz-analyze", daemon=True)
    worker.start()
    worker.join(TIMEOUT_S)
    if worker.is_alive():
        pytest.fail(f"analyze() did not return within {TIMEOUT_S:.0f} s on {path}")
    return box


def _corrupt(data: st.DataObject, original: bytes) -> tuple[bytes, list[str]]:
    """Apply 1-4 random corruptions; returns the bytes and a readable log of what was done."""
    buf = bytearray(original)
    log: list[str] = []
    for _ in range(data.draw(st.integers(1, 4), label="corruptions")):
        op = data.draw(st.sampled_from(OPERATIONS), label="operation")
        pos = data.draw(st.integers(0, len(buf)), label="offset")
        if op == "truncate":
            del buf[pos:]
        elif op == "flip" and buf:
            pos = min(pos, len(buf) - 1)
            mask = data.draw(st.integers(1, 255), label="xor")
            buf[pos] ^= mask
            op = f"flip(xor {mask:#04x})"
        elif op == "insert":
            chunk = data.draw(st.binary(min_size=1, max_size=16), label="bytes")
            buf[pos:pos] = chunk
            op = f"insert {chunk!r}"
        elif op == "delete":
            size = data.draw(st.integers(1, 256), label="size")
            del buf[pos : pos + size]
            op = f"delete {size}"
        elif op == "stray":
            char = data.draw(st.sampled_from(STRAY), label="char")
            buf[pos:pos] = char
            op = f"stray {char!r}"
        elif op == "duplicate":
            size = data.draw(st.integers(1, 512), label="size")
            chunk = bytes(buf[pos : pos + size])
            target = data.draw(st.integers(0, len(buf)), label="target")
            buf[target:target] = chunk
            op = f"duplicate {len(chunk)} bytes to {target}"
        log.append(f"{op} at {pos}")
    return bytes(buf), log


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a hang costs TIMEOUT_S per attempt; the failure message already
    # carries the source file and every corruption applied.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_corrupted_scene_returns_result_or_scene_error(
    corpus_dir: Path, fuzz_dir: Path, data: st.DataObject
) -> None:
    rel = data.draw(st.sampled_from(FUZZ_SOURCES), label="source")
    corrupted, log = _corrupt(data, _source_bytes(str(corpus_dir / rel)))
    path = fuzz_dir / Path(rel).name
    path.write_bytes(corrupted)

    outcome = _analyse_guarded(path)
    where = f"{rel} after {log}"
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, SceneError):
            event(f"raised {type(error).__name__}")  # see --hypothesis-show-statistics
            return
        raise AssertionError(
            f"{type(error).__name__} (not SceneError) on {where}: {error}"
        ) from error
    result = outcome["result"]
    event("returned a result")
    try:
        json.dumps(result.to_dict())
    except Exception as exc:
        raise AssertionError(f"to_dict() is not JSON-serialisable on {where}: {exc}") from exc


# --------------------------------------------------------------------------------------
# A file cut in the middle of a statement names the line where it stops
# --------------------------------------------------------------------------------------
# cube.ma, read by hand:
#   l.191  `	setAttr ".ftn" -type "string" "D:/deadline-clients/.../deadline_logo_48x48.png";`
#   l.8-10 `file -r ... -op` / `"VERS|2023|..."` / `-typ "mayaBinary" "D:/.../...mb";`
#   l.203  `	setAttr ".o" 537;`
TRUNCATIONS = [
    pytest.param(191, '"D:/deadline-clients/deadline-cloud', id="inside-string"),
    pytest.param(10, '"D:/deadline-clients/deadline-cloud', id="inside-wrapped-statement"),
    pytest.param(203, '".o" 53', id="before-semicolon"),
]


def _cut(source: bytes, line: int, marker: str) -> bytes:
    """Source up to the end of `marker` on `line` (1-based); the file then stops there."""
    lines = source.split(b"\n")
    text = lines[line - 1]
    at = text.index(marker.encode()) + len(marker)
    return b"\n".join([*lines[: line - 1], text[:at]])


@pytest.mark.parametrize(("line", "marker"), TRUNCATIONS)
def test_truncated_scene_names_the_line_where_it_stops(
    corpus_dir: Path, tmp_path: Path, line: int, marker: str
) -> None:
    source = (corpus_dir / CUBE).read_bytes()
    truncated = _cut(source, line, marker)
    assert truncated.count(b"\n") + 1 == line  # the copy really stops on that line
    path = tmp_path / "cube.ma"
    path.write_bytes(truncated)

    with pytest.raises(SceneParseError) as caught:
        analyze(str(path))
    message = str(caught.value)
    assert re.search(rf"(?::|\bline ){line}\b", message), message


# --------------------------------------------------------------------------------------
# Maya binary scenes are refused with the version that saved them
# --------------------------------------------------------------------------------------
def _binary_header_says_2023(path: Path) -> None:
    head = path.read_bytes()[:256]
    assert head.startswith(b"FOR8"), "64-bit IFF group"
    vers = head.index(b"VERS")
    assert b"2023" in head[vers : vers + 32], "VERS chunk of the header"


def test_maya_binary_scene_raises_binary_scene_error(corpus_dir: Path) -> None:
    path = corpus_dir / MAYA_BINARY
    _binary_header_says_2023(path)

    with pytest.raises(BinarySceneError) as caught:
        analyze(str(path))
    assert "Maya 2023" in str(caught.value)


def test_maya_binary_content_is_detected_whatever_the_extension(
    corpus_dir: Path, tmp_path: Path
) -> None:
    source = corpus_dir / MAYA_BINARY
    _binary_header_says_2023(source)
    disguised = tmp_path / "scene.ma"
    disguised.write_bytes(source.read_bytes())

    with pytest.raises(BinarySceneError) as caught:
        analyze(str(disguised))
    assert "Maya 2023" in str(caught.value)
