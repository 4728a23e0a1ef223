"""A throwaway PostgreSQL server for tests: initdb in a temp dir, start, use, stop, delete.

Uses the server binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/*/bin``,
highest version first), or those ``pg_config --bindir`` names, or ``$FARMHAND_PG_BINDIR``.
``tools/ensure_postgres.sh`` installs the package when run as root (CI does).

    reason = pg_server.available()
    if reason:
        pytest.skip(reason)
    with pg_server.PostgresServer() as pg:
        engine_url = pg.url                      # postgresql://farmhand@127.0.0.1:PORT/farmhand
        other_url = pg.create_database("other")  # a fresh, empty database

PostgreSQL refuses to run as root. When this process is root, ``initdb`` and ``pg_ctl`` run as
the ``postgres`` system user the package creates (``runuser -u postgres -- ...``) and the temp
dir is owned by that user; otherwise they run as the current user. Clients (``psql``,
``createdb``, drivers) run as whoever we are: authentication is ``trust`` for the Unix socket
and for 127.0.0.1, so no password is needed.

The server is stopped (``pg_ctl stop -m immediate``) and its directory removed on ``__exit__``,
at interpreter exit (atexit), and, should this process be killed outright (SIGKILL, SIGTERM), by
a small watchdog process that notices the closed pipe and cleans up.

The temp dir goes on /dev/shm when that RAM disk has 2 GiB free (initdb and CREATE DATABASE are
much faster there), else in ``$TMPDIR`` (or /tmp); ``$FARMHAND_PG_TMPDIR`` overrides both.

Only the standard library is imported here: the watchdog runs this file as a script.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: Users the server may run as when we are root, in order of preference.
UNPRIVILEGED_USERS = ("postgres",)
#: Binaries a usable install must have in its bindir.
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres", "psql", "createdb", "dropdb")
#: Settings for a disposable test server: no durability, no replication, no JIT.
TEST_SETTINGS: dict[str, str | int] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": 0,
    "archive_mode": "off",
    "jit": "off",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "logging_collector": "off",
    "log_min_messages": "warning",
}
# Unix socket paths must fit in sun_path (108 bytes, NUL included).
_SOCKET_NAME_MAX = len("/.s.PGSQL.65535.lock")
_SUN_PATH_MAX = 107
_START_ATTEMPTS = 5
#: Free space /dev/shm must have for servers to go there rather than to $TMPDIR.
RAM_DISK_MIN_FREE = 2 << 30
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_counter = itertools.count(1)


class PostgresError(RuntimeError):
    """initdb, pg_ctl or a client failed; the message carries its output."""


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parts[-3]  # /usr/lib/postgresql/<version>/bin/pg_ctl
    return tuple(int(p) for p in re.findall(r"\d+", version)) or (0,)


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_BINARIES)


def find_bindir() -> Path | None:
    """The directory holding ``initdb``/``pg_ctl``/``postgres``, or None.

    ``$FARMHAND_PG_BINDIR`` if set; else the highest ``/usr/lib/postgresql/<version>/bin``;
    else ``pg_config --bindir``.
    """
    override = os.environ.get("FARMHAND_PG_BINDIR")
    if override:
        return Path(override) if _complete(Path(override)) else None
    for pg_ctl in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)[::-1]:
        if _complete(Path(pg_ctl).parent):
            return Path(pg_ctl).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if out and _complete(Path(out)):
            return Path(out)
    return None


def _server_user() -> pwd.struct_passwd | None:
    """Who runs initdb/pg_ctl: None for the current user, else an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresError(
        "running as root, and PostgreSQL refuses to: no unprivileged user to run it as "
        f"(looked for {', '.join(UNPRIVILEGED_USERS)}; Debian's postgresql package creates one)"
    )


def available() -> str | None:
    """None when a test server can be started here, else the reason it cannot (for skips)."""
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries not found (looked in $FARMHAND_PG_BINDIR, "
            "/usr/lib/postgresql/*/bin and pg_config --bindir): install Debian's postgresql "
            "package (as root: bash tools/ensure_postgres.sh)"
        )
    try:
        _server_user()
    except PostgresError as exc:
        return str(exc)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root and runuser (util-linux) is missing: cannot drop privileges"
    return None


def _clean_env() -> dict[str, str]:
    """Our environment without libpq's PG* variables, which would redirect or alter clients."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _reachable_by_others(path: Path) -> bool:
    """True when every directory from / down to path can be traversed by any user."""
    for part in [path, *path.parents]:
        try:
            if not os.stat(part).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _ram_disk() -> Path | None:
    """/dev/shm when it is a writable RAM disk with room for test databases, else None."""
    shm = Path("/dev/shm")
    try:
        st = os.statvfs(shm)
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < RAM_DISK_MIN_FREE or not os.access(shm, os.W_OK | os.X_OK):
        return None
    return shm


def _tmp_root(for_other_user: bool) -> Path:
    """Where to make the server's temp dir.

    ``$FARMHAND_PG_TMPDIR`` if set; else /dev/shm when it has room (a RAM disk makes initdb
    twice and CREATE DATABASE six times as fast); else ``$TMPDIR``; else /tmp. A directory is
    skipped if the socket path would be too long or the server's user could not reach it.
    """
    override = os.environ.get("FARMHAND_PG_TMPDIR")
    if override:
        candidates = [Path(override)]
    else:
        ram = _ram_disk()
        candidates = [*([ram] if ram else []), Path(tempfile.gettempdir()), Path("/tmp")]
    for root in candidates:
        # mkdtemp adds "fhpg-" plus 8 characters; the socket lives in that directory.
        if len(str(root)) + 1 + 13 + _SOCKET_NAME_MAX > _SUN_PATH_MAX:
            continue
        if for_other_user and not _reachable_by_others(root):
            continue
        return root
    raise PostgresError(
        f"no temp dir usable for the server (tried {', '.join(map(str, candidates))}: "
        "path too long for a Unix socket or not traversable by the server's user)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _conf_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _run(argv: list[str], what: str, **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, env=_clean_env(), **kwargs)
    if proc.returncode != 0:
        raise PostgresError(
            f"{what} failed (exit {proc.returncode}): {argv}\n{proc.stdout}{proc.stderr}".rstrip()
        )
    return proc


def _teardown(stop_argv: list[str], data_dir: str, base_dir: str) -> None:
    """Stop the server (immediate mode: the data is thrown away) and delete its directory."""
    pid = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    if pid is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                stop_argv,
                capture_output=True,
                timeout=30,
                cwd=base_dir,
                env=_clean_env(),
                check=False,
            )
        # pg_ctl -w has waited; if it could not stop the postmaster, kill it outright
        # (its children exit on their own once the postmaster is gone).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.02)
        if _alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(base_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie that has exited but is not reaped yet is gone for our purposes.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


class PostgresServer:
    """A private PostgreSQL server in a temp dir, for the duration of a ``with`` block.

    Attributes once started: ``host`` (127.0.0.1), ``port``, ``user`` (a superuser),
    ``dbname`` (created at start), ``socket_dir``, ``data_dir``, ``base_dir`` (everything
    lives under it), ``bindir``, ``version`` (e.g. ``"15.8"``), ``url`` and ``dsn``.
    """

    def __init__(
        self,
        *,
        dbname: str = "farmhand",
        user: str = "farmhand",
        max_connections: int = 300,
        settings: dict[str, str | int | bool] | None = None,
        bindir: str | os.PathLike[str] | None = None,
    ) -> None:
        for name in (dbname, user):
            _check_name(name)
        self.dbname = dbname
        self.user = user
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.settings: dict[str, str | int | bool] = {
            **TEST_SETTINGS,
            "max_connections": max_connections,
            **(settings or {}),
        }
        self._bindir_arg = bindir
        self.bindir: Path | None = None
        self.base_dir: Path | None = None
        self.data_dir: Path | None = None
        self.socket_dir: Path | None = None
        self.version: str | None = None
        self._runas: list[str] = []
        self._owner: pwd.struct_passwd | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._owner_pid: int | None = None

    # -- connection details ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``postgresql://USER@127.0.0.1:PORT/DBNAME`` for the database created at start."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        self._require_running()
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    @property
    def dsn(self) -> dict[str, str | int]:
        """Connection parts: ``host``, ``port``, ``user``, ``dbname`` (no password needed)."""
        self._require_running()
        assert self.port is not None
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}

    @property
    def running(self) -> bool:
        return self.port is not None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> PostgresServer:
        if self.running:
            raise PostgresError("server already started")
        self.bindir = Path(self._bindir_arg) if self._bindir_arg else find_bindir()
        if self.bindir is None or not _complete(self.bindir):
            raise PostgresError(available() or f"incomplete PostgreSQL bindir {self.bindir}")
        self._owner = _server_user()
        if self._owner is not None:
            if shutil.which("runuser") is None:
                raise PostgresError("running as root and runuser (util-linux) is missing")
            self._runas = ["runuser", "-u", self._owner.pw_name, "--"]
        self.base_dir = Path(
            tempfile.mkdtemp(prefix="fhpg-", dir=_tmp_root(self._owner is not None))
        )
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir
        try:
            if self._owner is not None:
                os.chown(self.base_dir, self._owner.pw_uid, self._owner.pw_gid)
            self._start_watchdog()
            self._initdb()
            self._start_server()
            self._owner_pid = os.getpid()
            atexit.register(self._atexit_stop)
            self.create_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        if self.base_dir is not None:
            assert self.bindir is not None and self.data_dir is not None
            _teardown(self._stop_argv(), str(self.data_dir), str(self.base_dir))
        self.port = None
        self.base_dir = None
        atexit.unregister(self._atexit_stop)
        self._stop_watchdog()

    def _atexit_stop(self) -> None:
        if os.getpid() == self._owner_pid:  # not in a forked child
            self.stop()

    # -- databases ---------------------------------------------------------------------------

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a unique name when none is given) and return its URL."""
        self._require_running()
        if name is None:
            name = f"test_{os.getpid()}_{next(_counter)}"
        _check_name(name)
        self._client("createdb", name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        self._require_running()
        _check_name(name)
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', dbname="postgres")

    def psql(self, sql: str, *, dbname: str | None = None) -> str:
        """Run SQL with ``psql`` and return its unaligned, tuples-only output.

        Stops at the first error, raising PostgresError with psql's message.
        """
        self._require_running()
        options = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        return self._client("psql", *options, "-c", sql, dbname or self.dbname).stdout

    # -- internals ---------------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self.running:
            raise PostgresError("the server is not running (use it inside the with block)")

    def _bin(self, name: str) -> str:
        assert self.bindir is not None
        return str(self.bindir / name)

    def _client(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [self._bin(program), "-h", self.host, "-p", str(self.port), "-U", self.user, *args]
        return _run(argv, program, timeout=60)

    def _as_server_user(self, program: str, *args: str) -> list[str]:
        return [*self._runas, self._bin(program), *args]

    def _stop_argv(self) -> list[str]:
        return self._as_server_user("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate")

    def _initdb(self) -> None:
        argv = self._as_server_user(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",  # no fsync of the new cluster
        )
        _run(argv, "initdb", cwd=self.base_dir, timeout=120)
        assert self.data_dir is not None
        self.version = (self.data_dir / "PG_VERSION").read_text().strip()
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# Farmhand test server\ninclude 'farmhand_test.conf'\n")

    def _write_settings(self, port: int) -> None:
        assert self.data_dir is not None
        settings = {
            **self.settings,
            "listen_addresses": self.host,
            "port": port,
            "unix_socket_directories": str(self.socket_dir),
        }
        path = self.data_dir / "farmhand_test.conf"
        path.write_text(
            "".join(f"{key} = {_conf_value(value)}\n" for key, value in settings.items()),
            encoding="utf-8",
        )
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _start_server(self) -> None:
        assert self.base_dir is not None
        log = self.base_dir / "server.log"
        failure = ""
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            self._write_settings(port)
            argv = self._as_server_user(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(log)
            )
            proc = subprocess.run(
                argv, capture_output=True, text=True, cwd=self.base_dir, env=_clean_env()
            )
            if proc.returncode == 0:
                self.port = port
                self.version = self._server_version() or self.version
                return
            log_text = log.read_text(errors="replace") if log.exists() else ""
            failure = f"{proc.stdout}{proc.stderr}\n{log_text[-4000:]}"
            if "Address already in use" not in log_text:
                break  # a real failure; otherwise another process took the port: try another
        raise PostgresError(f"pg_ctl start failed in {self.base_dir}:\n{failure}".rstrip())

    def _server_version(self) -> str | None:
        with contextlib.suppress(PostgresError, subprocess.SubprocessError):
            return self.psql("SHOW server_version", dbname="postgres").split()[0]
        return None

    def _start_watchdog(self) -> None:
        """A process that stops the server and deletes its files if we die without doing it.

        It waits for EOF on a pipe only we hold: a clean stop writes "done" first.
        It runs in its own session so a Ctrl-C aimed at us does not kill it too.
        """
        assert self.base_dir is not None
        spec = {
            "stop": self._stop_argv(),
            "data_dir": str(self.data_dir),
            "base_dir": str(self.base_dir),
        }
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "--watchdog", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _stop_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        with contextlib.suppress(OSError):
            assert watchdog.stdin is not None
            watchdog.stdin.write(b"done")
            watchdog.stdin.close()
        try:
            watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def _check_name(name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")


def _watchdog_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    data = sys.stdin.buffer.read()  # returns at EOF: our owner closed the pipe or died
    if data != b"done":
        _teardown(spec["stop"], spec["data_dir"], spec["base_dir"])
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--watchdog"]:
    sys.exit(_watchdog_main(sys.argv[2]))


def session_server() -> Iterator[PostgresServer]:
    """Body of a session fixture: one running server (each test makes its own database);
    skips the tests when PostgreSQL cannot run here, saying why."""
    import pytest

    reason = available()
    if reason:
        pytest.skip(f"PostgreSQL not available: {reason}")
    with PostgresServer() as server:
        yield server
