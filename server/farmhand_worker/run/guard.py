"""Renders die with their worker: a small guard process ends them when the worker goes.

A render runs as the leader of its own session (so that cancel reaches all of it), which
also means it outlives a worker killed with SIGKILL, crashed or taken by the OOM killer. On
Linux the worker therefore starts one guard, a tiny process of its own (the standard library
only, `python -I -S guard.py`), as the worker's user in a session of its own, and tells it
through a pipe of each render's process group as it starts and ends. The worker holds the
only write end of the pipe: when the worker process ends, however it ends, the kernel closes
it, the guard reads end-of-file and SIGKILLs every group it was told of whose leader is
still the process it was told of (its start time in /proc, so a reused pid is never hit).
A worker that stops cleanly says so first (`q`) and nothing is killed. Then the guard tells
the server that the attempts those renders were for are lost (`POST /attempts/{id}/fail`
with `lost`, the worker's token, two tries of 5 s each), so their tasks go to another node
at once rather than when their leases lapse; the worker's restart reports them too
(`orphans`), and the server ignores the second report.

This works whoever the render runs as (`render_user`): the guard runs as the worker's user,
which can signal the render user's processes (root, when it runs renders as another user),
and unlike a parent-death signal (PR_SET_PDEATHSIG) it reaches the whole group, is not
cleared by the render's change of user, and does not fire when the worker *thread* that
started the render ends. What is left — the guard itself killed first — is covered by
`orphans`: the next start of the worker kills what its predecessor recorded.

Protocol, one line each: `s SERVER TOKEN` (where to report, first; through the pipe, never
on a command line), `+ PID TICKS [ATTEMPT]` (a render group started for an attempt; TICKS
its leader's start time), `- PID` (it ended), `q` (the worker stops cleanly: exit, kill
nothing).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

log = logging.getLogger("farmhand.worker")


def start_ticks(pid: int) -> int | None:
    """A process's start time (clock ticks after boot, /proc/PID/stat field 22), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rindex(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


class RenderGuard:
    """The worker's side: start the guard, tell it of render groups, stop it.

    Every method is safe to call from any slot thread and never raises: a guard that is
    gone is logged once, and renders go on (`orphans` still covers a restart).
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._broken = False

    @staticmethod
    def supported() -> bool:
        """Linux only: the guard reads /proc and signals process groups."""
        return sys.platform.startswith("linux")

    def start(self, server: str = "", token: str = "") -> None:
        """Start the guard process (a no-op where unsupported or already started); with
        `server` and the worker's `token`, it reports lost attempts there."""
        if self._process is not None or not self.supported():
            return
        # -I: no environment, user site or script folder on sys.path; -S: no site module.
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        if server and token and not any(c.isspace() for c in server + token):
            self._send(f"s {server.rstrip('/')} {token}\n")

    def add(self, pid: int, attempt_id: int | None = None) -> None:
        """A render group led by `pid` started (for this attempt)."""
        ticks = start_ticks(pid)
        if ticks is not None:
            attempt = f" {attempt_id}" if attempt_id is not None else ""
            self._send(f"+ {pid} {ticks}{attempt}\n")

    def remove(self, pid: int) -> None:
        """The render group led by `pid` ended (the worker stopped it or it exited)."""
        self._send(f"- {pid}\n")

    def close(self) -> None:
        """The worker stops cleanly: the guard exits without killing anything."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None  # started with stdin=PIPE
        with contextlib.suppress(OSError, ValueError):
            process.stdin.write(b"q\n")
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def _send(self, line: str) -> None:
        with self._lock:
            process = self._process
            if process is None or self._broken:
                return
            assert process.stdin is not None  # started with stdin=PIPE
            try:
                process.stdin.write(line.encode())
                process.stdin.flush()
            except (OSError, ValueError):
                self._broken = True
                log.warning("the render guard is gone: renders may outlive a killed worker")


LOST_MESSAGE = "the worker process died while rendering this (its render guard reported it)"


def _kill_all(groups: dict[int, int]) -> None:
    for pid, ticks in groups.items():
        if start_ticks(pid) == ticks:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def report_lost(server: str, token: str, attempts: list[int], tries: int = 2) -> None:
    """Tell the server these attempts are lost (best effort: a lapsed lease does it later).

    `server` may list several addresses of one farm, separated by commas: each try goes to
    the next one.
    """
    body = json.dumps({"exit_code": None, "message": LOST_MESSAGE, "lost": True}).encode()
    servers = [s for s in server.split(",") if s] or [server]
    tries = max(tries, len(servers))
    for attempt in attempts:
        for n in range(tries):
            request = urllib.request.Request(
                f"{servers[n % len(servers)]}/api/v1/attempts/{attempt}/fail",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    answer.read()
                break
            except urllib.error.HTTPError:
                break  # the server answered: not ours any more, or already reported
            except OSError:
                if n + 1 < tries:
                    time.sleep(1.0 if n % len(servers) == len(servers) - 1 else 0.0)


def main() -> None:
    """The guard process: follow the worker's lines; at end-of-file kill what is left and
    report its attempts lost."""
    for name in ("SIGINT", "SIGHUP"):  # a terminal's signals are for the worker
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    groups: dict[int, int] = {}  # leader pid → its start ticks
    attempts: dict[int, int] = {}  # leader pid → the attempt it renders
    server = token = ""
    for raw in sys.stdin.buffer:
        parts = raw.split()
        if parts == [b"q"]:
            return
        with contextlib.suppress(ValueError, IndexError):
            if parts[0] == b"+":
                groups[int(parts[1])] = int(parts[2])
                if len(parts) > 3:
                    attempts[int(parts[1])] = int(parts[3])
            elif parts[0] == b"-":
                groups.pop(int(parts[1]), None)
                attempts.pop(int(parts[1]), None)
            elif parts[0] == b"s":
                server, token = parts[1].decode(), parts[2].decode()
    _kill_all(groups)
    if server and token and attempts:
        report_lost(server, token, sorted(set(attempts.values())))


if __name__ == "__main__":
    main()
