"""Shared fixtures: where the read-only Maya corpus and our own test scenes live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENES = REPO / "tests" / "scenes"
EXAMPLES = REPO / "examples"


def corpus_root() -> Path:
    """The corpus of real `.ma` files: `$FARMHAND_CORPUS` or `<repo>/../shared/corpus/maya`."""
    env = os.environ.get("FARMHAND_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus" / "maya"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The corpus folder; tests that need it skip with a visible reason when it is absent."""
    root = corpus_root()
    if not (root / "INDEX.tsv").is_file():
        pytest.skip(f"shared Maya corpus not found at {root} (set FARMHAND_CORPUS)")
    return root


@pytest.fixture(scope="session")
def scenes_dir() -> Path:
    """Hand-written scenes that ship with the tests."""
    return SCENES


@pytest.fixture
def farm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    """A running server and an artist's token; hashes cached under tmp_path."""
    monkeypatch.setenv("FARMHAND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from server_harness import start_server  # the server stack, only for tests that use it

    server = start_server(tmp_path / "server")
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": "ann"}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    yield server, token
    server.stop()
