"""The whole analysis of every corpus and hand-written scene, compared with recorded JSON.

The golden files under `tests/scene/golden/` were recorded from main before the parser's
speed work (issue 14), so any change to what the analysis reports shows up here as a diff.
A change that is meant (a new rule, a fixed rule) is recorded again, on purpose, with::

    FARMHAND_RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/scene/test_golden.py

and the diff of the golden files is then part of the commit that changes the rule.
Absolute paths are written relative to `$CORPUS` / `$SCENES`, and files' modification times
are left out, so the golden files do not depend on where or when the repository was checked out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_root
from farmhand.scene import analyze
from farmhand.scene.errors import SceneError

REPO = Path(__file__).resolve().parents[2]
SCENES = REPO / "tests" / "scenes"
GOLDEN = Path(__file__).resolve().parent / "golden"
RECORD = os.environ.get("FARMHAND_RECORD_GOLDEN") == "1"


def _corpus_files() -> list[str]:
    index = corpus_root() / "INDEX.tsv"
    if not index.is_file():
        return []
    rows = index.read_text(encoding="utf-8").splitlines()[1:]
    return sorted(row.split("\t", 1)[0] for row in rows if row.strip())


def _scene_files() -> list[str]:
    return sorted(p.relative_to(SCENES).as_posix() for p in SCENES.rglob("*.ma"))


def _relative(value: Any, roots: dict[str, str]) -> Any:
    """The analysis JSON with each checkout-dependent folder named by its placeholder."""
    if isinstance(value, dict):  # a file's mtime is the checkout's, not the analysis'
        return {k: _relative(v, roots) for k, v in value.items() if k != "mtime"}
    if isinstance(value, list):
        return [_relative(v, roots) for v in value]
    if isinstance(value, str):
        for root, name in roots.items():
            value = value.replace(root, name)
    return value


def _check(scene: Path, golden: Path, roots: dict[str, str]) -> None:
    try:
        found = _relative(analyze(scene).to_dict(), roots)
    except SceneError as exc:  # a malformed scene's message is part of what is reported
        found = _relative({"error": type(exc).__name__, "message": str(exc)}, roots)
    found.pop("scene_file_size", None)  # checkouts may differ in line endings
    text = json.dumps(found, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if RECORD:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden}: record with FARMHAND_RECORD_GOLDEN=1"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert json.loads(text) == expected


@pytest.mark.parametrize("name", _corpus_files())
def test_corpus_analysis_is_unchanged(name: str, corpus_dir: Path) -> None:
    golden = GOLDEN / "corpus" / (name.replace("/", "__") + ".json")
    _check(corpus_dir / name, golden, {str(corpus_dir.resolve()): "$CORPUS"})


@pytest.mark.parametrize("name", _scene_files())
def test_handwritten_analysis_is_unchanged(name: str) -> None:
    golden = GOLDEN / "scenes" / (name.replace("/", "__") + ".json")
    _check(SCENES / name, golden, {str(SCENES.resolve()): "$SCENES"})
