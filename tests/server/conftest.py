"""Fixtures for the server suite: every test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pg_server
import pytest
from server_harness import RunningServer, start_server

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.PostgresServer]:
    """One PostgreSQL server for the session (each test gets its own database)."""
    yield from pg_server.session_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'farmhand.db'}"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t{next(_names)}")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    """A running server on a fresh database and data dir."""
    running = start_server(tmp_path / "data", database_url)
    yield running
    running.stop()
