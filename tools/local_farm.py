"""A whole farm on this machine, run the way a studio runs one: separate processes, real CLI.

`farmhand server` on SQLite in a fresh data folder, an artist made with
`farmhand admin create-user`, render nodes started with `farmhand worker`
and an enrolment token, jobs sent with `farmhand submit` and fetched with
`farmhand download`. Used by the README's demo (tools/demo_farm.py) and by
bench/farm_overhead.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def farmhand(*args: str) -> list[str]:
    """The argv of a `farmhand` command run by this Python."""
    return [sys.executable, "-m", "farmhand", *args]


@dataclass
class LocalFarm:
    """Server + workers in their own processes under `root`; `stop()` ends them all."""

    root: Path
    workers: int = 2
    port: int = field(default_factory=_free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)
    token: str = ""

    @property
    def url(self) -> str:
        """The server's URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, worker_args: tuple[str, ...] = ("--blender", "blender")) -> LocalFarm:
        """Start the server, make an artist, start and enrol the workers."""
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        server_dir = self.root / "server"
        self._spawn("server", farmhand("server", "--data-dir", str(server_dir),
                                       "--port", str(self.port)))  # fmt: skip
        self._wait_health()
        admin = self._run(farmhand("admin", "--data-dir", str(server_dir), "create-user", "artist"))
        self.token = re.search(r"token: (\S+)", admin).group(1)
        enrol = self._run(farmhand("admin", "--data-dir", str(server_dir), "enrol-token",
                                   "--uses", str(self.workers)))  # fmt: skip
        enrol_token = re.search(r"fhe_\S+", enrol).group(0)
        for n in range(1, self.workers + 1):
            node = self.root / f"node{n}"
            self._spawn(f"node{n}", farmhand("worker", "--server", self.url, "--token", enrol_token,
                                             "--name", f"node{n}", "--data-dir", str(node),
                                             *worker_args))  # fmt: skip
        self._wait_workers()
        return self

    def submit(self, scene: Path, *args: str) -> int:
        """`farmhand submit SCENE …`; the new job's id."""
        out = self._run(farmhand("submit", str(scene), "--server", self.url, "--token", self.token,
                                 *args))  # fmt: skip
        return int(re.search(r"job (\d+) submitted", out).group(1))

    def job(self, job_id: int) -> dict:
        """The job as the server reports it."""
        answer = requests.get(f"{self.url}/api/v1/jobs/{job_id}", timeout=30,
                              headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
        answer.raise_for_status()
        return answer.json()

    def wait(self, job_id: int, timeout: float = 600.0) -> dict:
        """Wait for the job to end, told by the server's event stream (no polling); the job."""
        final = ("completed", "failed", "cancelled")
        headers = {"Authorization": f"Bearer {self.token}"}
        url, params = f"{self.url}/api/v1/events", {"max_seconds": timeout}
        with requests.get(url, params=params, headers=headers, stream=True,
                          timeout=timeout + 30) as stream:  # fmt: skip
            job = self.job(job_id)  # after the stream is open: no event can slip between
            if job["state"] in final:
                return job
            kind = ""
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind == "job":
                    event = json.loads(line[5:])
                    if event.get("job_id") == job_id and event.get("state") in final:
                        return self.job(job_id)
        raise TimeoutError(f"job {job_id} did not finish within {timeout} s")

    def download(self, job_id: int, dest: Path) -> str:
        """`farmhand download JOB --dest DEST` (follows the job until it ends); its output."""
        return self._run(farmhand("download", str(job_id), "--dest", str(dest), "--server",
                                  self.url, "--token", self.token))  # fmt: skip

    def stop(self) -> None:
        """SIGTERM every process (workers hand back their tasks), then SIGKILL stragglers."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def __enter__(self) -> LocalFarm:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- plumbing -----------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(REPO / "scripts"), str(REPO / "server"), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        env["FARMHAND_CACHE_DIR"] = str(self.root / "artist-cache")
        env["XDG_CONFIG_HOME"] = str(self.root / "artist-config")
        return env

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self._env())
        self.processes.append(process)
        return process

    def _run(self, argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, env=self._env(), timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[2:4])} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def _wait_health(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start; see {self.root / 'server.log'}")

    def _wait_workers(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = [(self.root / f"node{n}.log").read_text(errors="replace")
                    for n in range(1, self.workers + 1)]  # fmt: skip
            if all("serving" in text for text in logs):
                return
            time.sleep(0.1)
        raise RuntimeError(f"workers did not start; see their logs in {self.root}")


def main() -> int:  # pragma: no cover - a manual helper
    """Start a farm and keep it running until Ctrl-C (prints how to reach it)."""
    farm = LocalFarm(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / ".farm").start()
    print(json.dumps({"server": farm.url, "token": farm.token}))
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        farm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
