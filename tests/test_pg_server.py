"""The throwaway PostgreSQL server the server suite runs on: start, connect, databases, cleanup."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pg_server
import pytest

REASON = pg_server.available()
if REASON:
    pytest.skip(REASON, allow_module_level=True)

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def pg():
    with pg_server.PostgresServer() as server:
        yield server


def psql_url(pg: pg_server.PostgresServer, url: str, sql: str) -> str:
    """Run SQL through psql given only a URL, the way the server under test gets it."""
    argv = [str(pg.bindir / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_select_1_through_the_url(pg):
    assert pg.url == f"postgresql://farmhand@127.0.0.1:{pg.port}/farmhand"
    assert pg.dsn == {
        "host": "127.0.0.1",
        "port": pg.port,
        "user": "farmhand",
        "dbname": "farmhand",
    }
    assert psql_url(pg, pg.url, "SELECT 1") == "1"
    assert psql_url(pg, pg.url, "SELECT current_database() || ' ' || current_user") == (
        "farmhand farmhand"
    )
    assert pg.psql("SELECT 1") == "1\n"


def test_unix_socket_in_the_temp_dir(pg):
    assert pg.socket_dir == pg.base_dir
    assert (pg.socket_dir / f".s.PGSQL.{pg.port}").exists()
    url = f"postgresql://{pg.user}@/{pg.dbname}?host={pg.socket_dir}&port={pg.port}"
    assert psql_url(pg, url, "SELECT 1") == "1"


def test_test_settings(pg):
    show = {
        name: pg.psql(f"SHOW {name}").strip()
        for name in (
            "max_connections",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "listen_addresses",
            "server_encoding",
            "lc_collate",
        )
    }
    assert int(show.pop("max_connections")) >= 200
    assert show == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
        "server_encoding": "UTF8",
        "lc_collate": "C",
    }
    assert pg.version and pg.version[0].isdigit()


def test_runs_unprivileged(pg):
    owner = pwd.getpwuid(pg.data_dir.stat().st_uid).pw_name
    if os.geteuid() == 0:
        assert owner == "postgres"
    else:
        assert pg.data_dir.stat().st_uid == os.geteuid()
    pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0, "the postmaster must not run as root"
    assert pg.psql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t\n"


def test_create_database_twice_gives_two_usable_databases(pg):
    one = pg.create_database("one")
    two = pg.create_database()
    assert one == f"postgresql://farmhand@127.0.0.1:{pg.port}/one"
    assert one != two
    psql_url(pg, one, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    psql_url(pg, two, "CREATE TABLE t (x int); INSERT INTO t VALUES (2), (3)")
    assert psql_url(pg, one, "SELECT sum(x) FROM t") == "1"
    assert psql_url(pg, two, "SELECT sum(x) FROM t") == "5"
    with pytest.raises(pg_server.PostgresError, match="already exists"):
        pg.create_database("one")
    pg.drop_database("one")
    assert pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'one'") == "0\n"


def test_rejects_names_that_are_not_plain_identifiers(pg):
    with pytest.raises(ValueError):
        pg.create_database('x"; DROP DATABASE farmhand; --')


def test_everything_is_gone_after_exit_and_a_taken_port_is_retried(monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy])  # as if another process took our free port before the server bound it
        real_free_port = pg_server._free_port
        monkeypatch.setattr(pg_server, "_free_port", lambda: next(ports, None) or real_free_port())
        with pg_server.PostgresServer(dbname="solo") as server:
            base, port = server.base_dir, server.port
            assert port != busy
            assert base.is_dir() and port_open(port)
            assert server.psql("SELECT current_database()") == "solo\n"
    assert not base.exists()
    assert not port_open(port)
    assert not server.running
    with pytest.raises(pg_server.PostgresError, match="not running"):
        server.url  # noqa: B018
    server.stop()  # idempotent


def test_watchdog_cleans_up_after_a_killed_process():
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "import pg_server\n"
        "pg = pg_server.PostgresServer().start()\n"
        "print(json.dumps([str(pg.base_dir), pg.port]), flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        base, port = json.loads(child.stdout.readline())
        assert Path(base).is_dir() and port_open(port)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (Path(base).exists() or port_open(port)):
        time.sleep(0.05)
    assert not Path(base).exists()
    assert not port_open(port)


def test_find_bindir_prefers_the_highest_version():
    paths = [f"/usr/lib/postgresql/{v}/bin/pg_ctl" for v in ("9.6", "15", "10", "16")]
    assert sorted(paths, key=pg_server._version_key)[-1] == "/usr/lib/postgresql/16/bin/pg_ctl"
    assert sorted(paths, key=pg_server._version_key)[0] == "/usr/lib/postgresql/9.6/bin/pg_ctl"
