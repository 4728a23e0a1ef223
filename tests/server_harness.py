"""Run a real Farmhand server for tests: in a background thread, on a free port.

Tests talk to it over real HTTP with `requests`, the way the CLI, the panel
and the workers do.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from aiohttp import web
from farmhand_server.app import FIRST_ADMIN_TOKEN, create_app
from farmhand_server.config import Config


@dataclass
class RunningServer:
    """A server started by `start_server`; `stop()` shuts it down."""

    base: str  # e.g. http://127.0.0.1:40123/api/v1
    admin_token: str
    config: Config
    _loop: asyncio.AbstractEventLoop
    _runner: web.AppRunner
    _thread: threading.Thread

    def session(self, token: str | None = None) -> requests.Session:
        """A requests session sending `token` (default: the admin's)."""
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token or self.admin_token}"
        return s

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


def start_server(data_dir: Path, database_url: str = "", **overrides) -> RunningServer:
    """Start a server on 127.0.0.1 with a fresh data dir; returns once it answers."""
    config = Config(data_dir=data_dir, database_url=database_url, port=0, **overrides)
    loop = asyncio.new_event_loop()
    ready: dict = {}

    async def boot() -> None:
        app = create_app(config)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        ready.update(runner=runner, port=port, token=app.get(FIRST_ADMIN_TOKEN, ""))

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(boot())
        except BaseException as exc:  # report start-up failures to the test
            ready["error"] = exc
            return
        finally:
            started.set()
        loop.run_forever()

    started = threading.Event()
    thread = threading.Thread(target=main, name="farmhand-test-server", daemon=True)
    thread.start()
    started.wait(60)
    if "error" in ready:
        raise ready["error"]
    config.port = ready["port"]
    return RunningServer(
        base=f"http://127.0.0.1:{ready['port']}/api/v1",
        admin_token=ready["token"],
        config=config,
        _loop=loop,
        _runner=ready["runner"],
        _thread=thread,
    )


@dataclass
class ServerProcess:
    """A server in its own process (`farmhand server`), for crash and restart tests."""

    process: subprocess.Popen
    base: str
    log: Path

    def url(self, path: str) -> str:
        return self.base + path

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server_process(
    data_dir: Path, database_url: str, port: int, extra_env: dict[str, str] | None = None
) -> tuple[ServerProcess, str]:
    """Run `python -m farmhand server`; returns it and the admin token it printed (first start)."""
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(repo / "scripts"), str(repo / "server"), env.get("PYTHONPATH", "")]
    )
    env.update(extra_env or {})
    log = data_dir.parent / f"server-{port}-{time.time_ns()}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "farmhand", "server", "--data-dir", str(data_dir),
        "--database-url", database_url, "--port", str(port),
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")
    found = re.search(r"fhu_[A-Za-z0-9_-]+", log.read_text(errors="replace"))
    return ServerProcess(process, base, log), found.group(0) if found else ""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 15.0):
    """Poll `check` until it returns something true, and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        time.sleep(0.05)
    return value
