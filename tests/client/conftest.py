"""Fixtures for client tests: a real server (SQLite), a user, and an isolated hash cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_harness import RunningServer, start_server


@pytest.fixture
def farm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningServer, str]]:
    """A running server and an artist's token; hashes cached under tmp_path."""
    monkeypatch.setenv("FARMHAND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    server = start_server(tmp_path / "server")
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": "ann"}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    yield server, token
    server.stop()
