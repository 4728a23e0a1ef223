"""Fixtures for the scale-out and chaos suite: a real PostgreSQL, the worker simulator.

Not a conftest.py: a conftest here would be imported as `conftest` before `tests/conftest.py`
(doctest collection goes in name order) and hide it. Test modules import these fixtures.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pg_server
import pytest


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.PostgresServer]:
    """One PostgreSQL server for the session (each test gets its own database)."""
    yield from pg_server.session_server()


@pytest.fixture(scope="session")
def simworkers() -> ModuleType:
    """`bench/simworkers.py`, imported."""
    path = Path(__file__).resolve().parents[2] / "bench" / "simworkers.py"
    spec = importlib.util.spec_from_file_location("simworkers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["simworkers"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
