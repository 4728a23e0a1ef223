"""Fixtures for the dashboard's end-to-end tests: a real server, real Blender workers, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from farmhand.transfer.client import FarmClient
from server_harness import RunningServer, start_server

CHROMIUM = os.environ.get("FARMHAND_CHROMIUM", "/usr/bin/chromium")


@dataclass
class Person:
    """A user of the farm: their name, token and API client."""

    name: str
    token: str
    client: FarmClient


@dataclass
class Farm:
    """A server with its admin and two artists."""

    server: RunningServer
    root: str  # http://127.0.0.1:port
    admin: Person
    ann: Person
    bob: Person


def person(server: RunningServer, name: str, role: str = "artist") -> Person:
    """A new user with a fresh token."""
    admin = server.session()
    user = admin.post(server.url("/users"), json={"name": name, "role": role})
    assert user.status_code == 201, user.text
    token = admin.post(server.url(f"/users/{user.json()['id']}/tokens"), json={}).json()["token"]
    return Person(name, token, FarmClient(server.base.removesuffix("/api/v1"), token))


@pytest.fixture(scope="module")
def farm(tmp_path_factory) -> Iterator[Farm]:
    """A server (SQLite) for the module, with the first admin and artists ann and bob."""
    server = start_server(tmp_path_factory.mktemp("dashboard") / "data")
    root = server.base.removesuffix("/api/v1")
    admin = Person("admin", server.admin_token, FarmClient(root, server.admin_token))
    try:
        yield Farm(server, root, admin, person(server, "ann"), person(server, "bob"))
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), for one module.

    Not for the session: Playwright's sync API keeps an asyncio loop running on the main
    thread while it is open, and later tests that call `asyncio.run()` would fail.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page; console errors and page errors are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


@pytest.fixture
def sign_in(farm: Farm):
    """`sign_in(page, who)`: open the dashboard, sign in with `who`'s token, on the jobs page."""
    return lambda page, who: _sign_in(page, farm, who)


def _sign_in(page, farm: Farm, who: Person) -> None:
    page.goto(farm.root + "/")
    page.fill("#token", who.token)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#jobs-table")
    page.wait_for_function("document.querySelector('#main').dataset.loaded")
