"""The render-node daemon: register, report hardware, claim tasks and run them, slot by slot.

A node given an enrolment token (`fhe_…`) registers once and keeps its own
worker token in `<data_dir>/private/worker.json` (folder 0700, file 0600, out of
renders' reach: see `sandbox`); later starts use that.
Each start reports the hardware and software inventory again, so upgrading a
node's software is seen by the scheduler at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from farmhand.transfer.client import FarmError, server_list

from farmhand_worker.config import ConfigError, WorkerConfig
from farmhand_worker.farm_client import Stale, WorkerClient
from farmhand_worker.files.cache import BlobCache
from farmhand_worker.hardware import Hardware, detect
from farmhand_worker.run import orphans, sandbox
from farmhand_worker.run.guard import RenderGuard
from farmhand_worker.task import Outcome, TaskRun

log = logging.getLogger("farmhand.worker")
ENROLMENT_PREFIX = "fhe_"


def report(config: WorkerConfig, hardware: Hardware) -> dict[str, Any]:
    """The registration body: this node's hardware, tags and software."""
    body: dict[str, Any] = {
        "name": config.name, "hostname": hardware.hostname, "platform": hardware.platform,
        "ram_gb": hardware.ram_gb, "cpu_cores": hardware.cpu_cores,
        "gpu_count": len(hardware.gpus), "gpu_memory_gb": hardware.gpu_memory_gb,
        "tags": list(config.tags), "software": config.software_report(), "slots": config.slots,
    }  # fmt: skip
    if config.hardware_config_id:
        body["hardware_config_id"] = config.hardware_config_id
    return body


class Worker:
    """One node: `start()` connects and begins claiming; `stop()` ends it cleanly."""

    def __init__(self, config: WorkerConfig, hardware: Hardware | None = None) -> None:
        self.config = config
        self.hardware = hardware or detect()
        # Before anything is written under data_dir: renders must not reach the token.
        self.render_user = sandbox.render_user(config.render_user)
        self.private_dir = sandbox.secure_data_dir(config.data_dir, self.render_user)
        self.shutdown = threading.Event()
        self.cache = BlobCache(config.cache_dir, int(config.cache_max_gb * 1024**3))
        self.client: WorkerClient | None = None
        self.worker_id: int | None = None
        self.outcomes: list[Outcome] = []
        self.running: dict[int, TaskRun] = {}  # attempt id → run
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.guard = RenderGuard()
        self._orphans: list[orphans.Orphan] = []
        self._token = ""

    # -- connecting ---------------------------------------------------------------------------
    def connect(self) -> WorkerClient:
        """Register (with an enrolment token) or re-report (with a worker token)."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self._orphans = orphans.reap(self.config.data_dir)
        for orphan in self._orphans:
            if orphan.stopped:
                log.warning("stopped render process group %s left by a previous run", orphan.pid)
        token = self._saved_token() or self.config.token
        if not token:
            raise ConfigError("no token: pass --token (a worker or enrolment token)")
        body = report(self.config, self.hardware)
        if token.startswith(ENROLMENT_PREFIX):
            registered = WorkerClient(self.config.server, token).register(body)
            token = registered["token"]
            self._save_token(int(registered["id"]), token)
            log.info("registered as worker %s", registered["id"])
        client = WorkerClient(self.config.server, token)
        self._token = token  # the render guard reports lost attempts with it
        me = client.update_self(body)
        self.worker_id = int(me["id"])
        self.client = client
        self._report_orphans(client)
        return client

    def _report_orphans(self, client: WorkerClient) -> None:
        """The attempts a previous run held when it died are lost: say so, so that the server
        hands their tasks on now rather than when their leases lapse."""
        for orphan in self._orphans:
            if orphan.attempt_id is None:
                continue
            message = "the worker stopped while rendering this (it was restarted)"
            try:
                client.fail(orphan.attempt_id, None, message, lost=True)
                log.warning(
                    "reported attempt %s, left by a previous run, as lost", orphan.attempt_id
                )
            except Stale:
                pass  # the server took it back already (its lease lapsed)
            except Exception as exc:  # its lease lapses anyway
                log.warning("could not report attempt %s as lost: %s", orphan.attempt_id, exc)
        self._orphans = []

    def _state_file(self) -> Path:
        return self.private_dir / "worker.json"

    def _saved_token(self) -> str | None:
        legacy = self.config.data_dir / "worker.json"  # where earlier workers kept it
        if legacy.is_file() and not self._state_file().exists():
            os.replace(legacy, self._state_file())
        with contextlib.suppress(OSError, ValueError, KeyError):
            saved = json.loads(self._state_file().read_text(encoding="utf-8"))
            # Any address in common: the same farm (addresses may be added or removed).
            if set(server_list(saved["server"])) & set(server_list(self.config.server)):
                return str(saved["token"])
        return None

    def _save_token(self, worker_id: int, token: str) -> None:
        fd = os.open(self._state_file(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "server": ",".join(server_list(self.config.server)),
                    "worker_id": worker_id,
                    "token": token,
                },
                f,
            )

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect, then run one claiming thread per slot (returns at once)."""
        if self.client is None:
            self.connect()
        self.guard.start(",".join(server_list(self.config.server)), self._token)
        for slot in range(self.config.slots):
            thread = threading.Thread(target=self._slot, name=f"slot-{slot}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def run_forever(self) -> None:
        """`start` and wait until `stop` (or Ctrl-C / SIGTERM via the CLI)."""
        self.start()
        while not self.shutdown.wait(1.0):
            pass
        self.join()

    def stop(self) -> None:
        """Stop claiming; running renders are stopped and their attempts handed back."""
        self.shutdown.set()
        with self._lock:
            for run in self.running.values():
                run.stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the slots to finish after `stop`; then the render guard ends too."""
        for thread in self._threads:
            thread.join(timeout)
        if not any(thread.is_alive() for thread in self._threads):
            self.guard.close()

    def _forget_job(self, job_id: int) -> None:
        # Under the lock: a slot taking a task of this job registers under it too, so it
        # never lays its files out into a folder being removed.
        if self.config.keep_jobs or any(int(r.job["id"]) == job_id for r in self.running.values()):
            return
        # The job's files are links to cached blobs: removing them lets eviction free the space.
        shutil.rmtree(self.config.jobs_dir / f"job-{job_id}", ignore_errors=True)

    def _slot(self) -> None:
        """Claim and run tasks until the worker stops; a finished task's completion claims the
        next one (one request per task), a plain claim only when it brought none."""
        assignment: dict[str, Any] | None = None
        delay = 1.0  # before the next claim after a failed one, longer each time in a row
        while not self.shutdown.is_set():
            if assignment is None:
                try:
                    assignment = self._claim()
                except _ClaimFailed:
                    self.shutdown.wait(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                delay = 1.0
                if assignment is None:
                    continue
            assignment = self._run(assignment).next
        if assignment is not None:  # claimed by a completion as the worker began to stop
            self._hand_back(assignment)

    def _claim(self) -> dict[str, Any] | None:
        """One claim (a long-poll): an assignment, or None when nothing came (or the server
        refused the token: then the worker stops). _ClaimFailed: try again later."""
        assert self.client is not None
        try:
            return self.client.claim(self.config.claim_wait)
        except FarmError as exc:
            if exc.status in (401, 403):
                log.error("the server refused this worker's token: %s", exc.message)
                self.shutdown.set()
                return None
            log.warning("claim failed: %s", exc)
            raise _ClaimFailed() from exc
        except Exception as exc:  # the server is away: try again, slower each time
            log.warning("cannot reach the server to claim: %s", exc)
            raise _ClaimFailed() from exc

    def _run(self, assignment: dict[str, Any]) -> Outcome:
        """Run one assignment to its end; its outcome (with the next task, if it claimed one)."""
        assert self.client is not None
        run = TaskRun(
            assignment,
            self.client,
            self.config,
            self.cache,
            self.shutdown,
            self.render_user,
            self.guard,
            claim_next=True,
        )
        with self._lock:
            self.running[run.attempt_id] = run
        try:
            outcome = run.run()
        finally:
            with self._lock:
                self.running.pop(run.attempt_id, None)
                self._forget_job(int(run.job["id"]))
        self.outcomes.append(outcome)
        log.info(
            "attempt %s: %s %s",
            outcome.attempt_id,
            "done" if outcome.ok else "failed",
            outcome.message,
        )
        return outcome

    def _hand_back(self, assignment: dict[str, Any]) -> None:
        """Give back a task the worker will not run: lost, not failed, so it is queued again
        at once and may come back to this worker later."""
        assert self.client is not None
        attempt_id = int(assignment["attempt_id"])
        try:
            self.client.fail(attempt_id, None, "the worker stopped before starting it", lost=True)
        except Stale:
            pass  # the server took it back already
        except Exception as exc:  # its lease lapses anyway
            log.warning("could not hand back attempt %s: %s", attempt_id, exc)


class _ClaimFailed(Exception):
    """A claim got no answer, or an error to try again after (logged already)."""
