"""One assignment, start to finish: files, render (or assembly), outputs, report.

The attempt's lease is renewed by a heartbeat thread for as long as the task
runs; when the server answers 409 (the job was cancelled or paused with kill,
or the lease was lost) the render is stopped at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmhand.spec.pathmap import PathMapper
from farmhand.spec.tiles import Tile

from farmhand_worker import adapters
from farmhand_worker.config import WorkerConfig
from farmhand_worker.farm_client import Stale, WorkerClient, deliver
from farmhand_worker.files import prepare as node_files
from farmhand_worker.files import remap
from farmhand_worker.files.cache import BlobCache
from farmhand_worker.files.layout import lay_out, place
from farmhand_worker.outputs import results
from farmhand_worker.run import orphans, process, sandbox
from farmhand_worker.run.guard import RenderGuard
from farmhand_worker.run.logs import LogStream

log = logging.getLogger("farmhand.worker")


@dataclass(slots=True)
class Outcome:
    """How an attempt ended on this worker (for logs and tests)."""

    attempt_id: int
    ok: bool
    message: str = ""
    stale: bool = False
    next: dict[str, Any] | None = None  # the assignment its completion claimed (`claim_next`)


class TaskRun:
    """Runs one assignment; `stop` ends it early (worker shutdown)."""

    def __init__(
        self,
        assignment: dict[str, Any],
        client: WorkerClient,
        config: WorkerConfig,
        cache: BlobCache,
        shutdown: threading.Event,
        render_user: sandbox.RenderUser | None = None,
        guard: RenderGuard | None = None,
        claim_next: bool = False,
    ) -> None:
        self.assignment = assignment
        # Its completion also claims the slot's next task (unless the worker is stopping).
        self.claim_next = claim_next
        self.render_user = render_user  # None: renders run as the worker's own user
        self.guard = guard  # ends the render if the worker dies (`guard`); None: no guard
        self.client = client
        self.config = config
        self.cache = cache
        self.shutdown = shutdown
        self.attempt_id = int(assignment["attempt_id"])
        self.task = assignment["task"]
        self.job = assignment["job"]
        self.spec = self.job.get("spec") or {}
        self.stop = threading.Event()  # set: stop the render now
        self.stale = threading.Event()  # set: the server took the attempt back
        base = config.jobs_dir / f"job-{self.job['id']}"
        self.job_root = base / "root"
        self.attempt_dir = base / f"attempt-{self.attempt_id}"
        self.output_dir = self.attempt_dir / "out"
        self.work_dir = self.attempt_dir / "work"
        self.pid: int | None = None  # the renderer's process (group leader), while it runs
        self.progress: float | None = None  # of the frame rendering, as the adapter reads it

    # -- the whole attempt --------------------------------------------------------------------
    def run(self) -> Outcome:
        """Do the task and report how it ended; never raises for a task's own failure."""
        logs = LogStream(
            self.client,
            self.attempt_id,
            self.config.log_batch_bytes,
            self.config.log_batch_seconds,
            self.config.log_cap_bytes,
        )
        beat = threading.Thread(target=self._heartbeat, name=f"beat-{self.attempt_id}", daemon=True)
        beat.start()
        pinned: list[dict[str, Any]] = []
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self.work_dir.mkdir(parents=True, exist_ok=True)
            logs.write(
                f"[farmhand] worker {self.config.name}: attempt {self.attempt_id}, "
                f"{self.task['kind']} {self.task['frames']}\n"
            )
            if self.task["kind"] == "assemble":
                produced, peak = self._assemble(pinned, logs), None
            else:
                produced, peak = self._render(pinned, logs)
            if self.stop.is_set():
                raise _Stopped()
            sending = time.monotonic()
            outputs = deliver(
                lambda: results.upload(self.client.for_attempt(self.attempt_id), produced),
                self.stale,
                "outputs",
            )
            logs.write(
                f"[farmhand] uploaded {len(outputs)} file(s) in "
                f"{time.monotonic() - sending:.2f} s\n"
            )
            logs.close()
            return Outcome(self.attempt_id, True, next=self._complete(outputs, peak))
        except (_Stopped, Stale):
            logs.close(timeout=5)
            reason = "the server stopped the attempt" if self.stale.is_set() else "worker stopping"
            if not self.stale.is_set():
                self._report_failure(None, f"{reason}: task interrupted")
            return Outcome(self.attempt_id, False, reason, stale=self.stale.is_set())
        except _Failed as exc:
            logs.write(f"[farmhand] FAILED: {exc.message}\n")
            logs.close()
            self._report_failure(exc.exit_code, exc.message)
            return Outcome(self.attempt_id, False, exc.message)
        except Exception as exc:
            message = f"worker error: {type(exc).__name__}: {exc}"
            logs.write(f"[farmhand] {message}\n{traceback.format_exc()}")
            logs.close()
            self._report_failure(None, message)
            return Outcome(self.attempt_id, False, message)
        finally:
            self.stop.set()
            for blob in pinned:
                self.cache.release(blob)
            if not self.config.keep_jobs:
                shutil.rmtree(self.attempt_dir, ignore_errors=True)

    def _complete(self, outputs: list[dict[str, Any]], peak: float | None) -> dict[str, Any] | None:
        """Report success until the server answers; the next task it handed over, if asked.

        Only the first try asks for one, and only while the worker is taking work: when a try
        must be sent again its answer was lost, and an assignment it may have carried lapses
        with its lease on the server (the retry's 409 ends this attempt as it always did).
        """
        tries = 0

        def send() -> dict[str, Any] | None:
            nonlocal tries
            tries += 1
            ask = self.claim_next and tries == 1 and not self.shutdown.is_set()
            return self.client.complete(self.attempt_id, outputs, peak, claim_next=ask)

        return deliver(send, None, "complete")

    def _report_failure(self, exit_code: int | None, message: str) -> None:
        # Stale: the server already moved on (killed, requeued); nothing to add.
        with contextlib.suppress(Stale):
            deliver(lambda: self.client.fail(self.attempt_id, exit_code, message), None, "fail")

    # -- rendering ----------------------------------------------------------------------------
    def _render(self, pinned: list, logs: LogStream) -> tuple[list[results.Produced], float]:
        mapper = PathMapper.for_job(
            self.job_root,
            self.spec,
            worker_rules=self.config.path_mapping,
            allowed_roots=self.config.allowed_roots,
        )
        manifest = list(self.spec.get("manifest") or [])
        scene = self.spec["scene"]
        if not any(m["path"] == scene["path"] for m in manifest):
            manifest.append({"path": scene["path"], **scene["blob"]})
        local = {m["path"]: mapper.to_local(m["path"]) for m in manifest}
        inside = []
        for m in manifest:
            path = local[m["path"]]
            if path.is_relative_to(self.job_root):
                inside.append(m)
            elif not path.exists():  # mapped onto studio storage by a rule: it must be there
                logs.write(
                    f"[farmhand] warning: {path} (for {m['path']}) "
                    "is not on this worker's storage\n"
                )
        started = time.monotonic()
        renderer = self.spec.get("renderer") or {}
        rewriter = (
            remap.JobRewriter(self.job_root, mapper) if renderer.get("adapter") == "maya" else None
        )
        laid = lay_out(
            inside, mapper, self.cache, self.client.download_blob, self.stop.is_set, rewriter
        )
        pinned.extend(laid.pinned)
        logs.write(
            f"[farmhand] {len(laid.files)} file(s) ready in {time.monotonic() - started:.1f} s\n"
        )
        if renderer.get("adapter") not in self.config.adapters:
            enabled = ", ".join(self.config.adapters)
            raise _Failed(
                None,
                f"this worker does not run the {renderer.get('adapter')!r} "
                f"adapter (enabled: {enabled})",
            )
        adapter = adapters.get(renderer.get("adapter", ""))
        project_dir = mapper.to_local(scene["project_path"]) if scene.get("project_path") else None
        failed = node_files.prepare(
            renderer.get("adapter", ""),
            local[scene["path"]],
            project_dir,
            laid,
            local,
            rewriter.done if rewriter else [],
            mapper,
            logs.write,
        )
        if failed:
            raise _Failed(None, failed)
        software = self.spec.get("software") or {}
        tile = self.task.get("tile")
        render_task = adapters.RenderTask(
            job_id=int(self.job["id"]),
            task_id=int(self.task["id"]),
            attempt_id=self.attempt_id,
            kind=self.task["kind"],
            frames=list(self.task["frames"]),
            scene=local[scene["path"]],
            job_root=self.job_root,
            output_dir=self.output_dir,
            work_dir=self.work_dir,
            spec=self.spec,
            tile=tile_job(tile) if tile else None,
            executable=self.config.executable(
                software.get("cg_name", renderer.get("adapter", "")),
                software.get("cg_version"),
                software.get("accept"),
            ),
            project_dir=project_dir,
            path_map=mapper.path_map(local),
            layer=self.task.get("layer"),
        )
        try:
            command = adapter.build(render_task)
        except adapters.AdapterError as exc:
            raise _Failed(None, f"cannot build the render command: {exc}") from None
        logs.write("[farmhand] running: " + " ".join(str(a) for a in command.argv) + "\n")
        limits = process.Limits(
            self.job.get("time_out") or None, self.config.hung_after, self.config.kill_grace
        )
        user = self.render_user
        # Written while the work folder is still the worker's alone: once it is handed over,
        # a render process left from an earlier task could put a link where a file goes.
        process.write_files(command)
        command = dataclasses.replace(command, files={})
        sandbox.hand_over(user, self.output_dir, self.work_dir)
        env = sandbox.environment(command.env, user, self.work_dir, self.config.render_env)
        try:
            result = process.run(
                command,
                logs.write,
                adapter.parse_line,
                self.stop,
                limits,
                on_progress=self._progressed,
                on_start=self._started,
                launch=process.Launch(env, user),
            )
        finally:
            if self.pid is not None:
                orphans.forget(self.config.data_dir, self.pid)
                if self.guard is not None:
                    self.guard.remove(self.pid)
            self.pid = None
            sandbox.take_back(user, self.output_dir)
        results.clear_previews(self.output_dir)  # only the worker makes previews
        logs.write(
            f"[farmhand] exit code {result.exit_code} after {result.seconds:.1f} s, "
            f"peak memory {result.peak_memory_mb:.0f} MB\n"
        )
        if result.ended_by == process.STOPPED:
            raise _Stopped()
        if not result.ok:
            raise _Failed(result.exit_code, _why(result, self.job.get("time_out")))
        try:
            files = results.check_expected(self.output_dir, command.expected, render_task.frames)
        except results.MissingOutput as exc:
            raise _Failed(result.exit_code, str(exc)) from None
        produced = results.describe(
            self.output_dir,
            files,
            self.task["kind"],
            render_task.frames,
            command.tile_mode,
            command.tile_modes,
        )
        results.add_previews(self.output_dir, produced)
        return produced, result.peak_memory_mb

    def _progressed(self, fraction: float) -> None:
        self.progress = fraction

    def _started(self, pid: int) -> None:
        if self.pid is not None:  # the command's previous step ended (with its group)
            orphans.forget(self.config.data_dir, self.pid)
            if self.guard is not None:
                self.guard.remove(self.pid)
        self.pid = pid
        if self.guard is not None:
            self.guard.add(pid, self.attempt_id)
        orphans.record(self.config.data_dir, pid, self.attempt_id)

    # -- assembly -----------------------------------------------------------------------------
    def _assemble(self, pinned: list, logs: LogStream) -> list[results.Produced]:
        from farmhand_worker.outputs.assemble import (  # numpy and OpenEXR only where needed
            TileImage,
            assemble,
        )

        inputs = self.task.get("inputs") or []
        count = (self.task.get("tile") or {}).get("count")
        if count is not None and len(inputs) != count:
            raise _Failed(None, f"assembly needs {count} tiles, the server has {len(inputs)}")
        frame = self.task["frames"][0]
        tiles = []
        tiles_dir = self.work_dir / "tiles"
        for item in inputs:
            cached = self.cache.get(item["blob"], self.client.download_blob)
            pinned.append(item["blob"])
            local = tiles_dir / item["name"]
            place(cached, local)
            tiles.append(TileImage(local, _tile(item["tile"]), item.get("tile_mode") or "full"))
        # The frame's size travels with each tile (a layer group's own size in a version 2 job).
        size = (inputs[0].get("tile") or {}) if inputs else {}
        width = int(size.get("image_width") or self.spec["width"])
        height = int(size.get("image_height") or self.spec["height"])
        name = assembled_name(inputs[0]["name"] if inputs else "", frame)
        dest = self.output_dir / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            assemble(tiles, width, height, dest)
        except (ValueError, OSError) as exc:
            raise _Failed(None, f"assembly of frame {frame} failed: {exc}") from None
        logs.write(
            f"[farmhand] assembled {len(tiles)} tiles into {name} in "
            f"{time.monotonic() - started:.1f} s\n"
        )
        produced = [results.Produced(dest, name, "image", frame)]
        results.add_previews(self.output_dir, produced)
        return produced

    # -- lease --------------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        lease = float(self.assignment.get("lease_seconds") or 60)
        every = max(0.2, min(lease / 3, self.config.heartbeat_seconds))
        # On a fixed cadence from the start, not `every` after each answer: the server answers
        # the heartbeats of one dispatch round together, and waiting from the answer would line
        # up the nodes' heartbeats into bursts that grow round after round.
        due = time.monotonic() + every
        while not self.stop.wait(max(0.0, due - time.monotonic())):
            now = time.monotonic()
            while due <= now:  # one heartbeat per slot, even after a slow answer
                due += every
            if self.shutdown.is_set():
                self.stop.set()
                return
            try:
                self.client.heartbeat(self.attempt_id, self.progress)
            except Stale:
                log.info("attempt %s stopped by the server", self.attempt_id)
                self.stale.set()
                self.stop.set()
                return
            except Exception as exc:  # unreachable: keep rendering, keep trying
                log.warning("heartbeat of attempt %s failed: %s", self.attempt_id, exc)


def assembled_name(tile_name: str, frame: int) -> str:
    """The frame's file name from one of its tiles' names (the tile marker taken out).

    >>> assembled_name("shot_tile02_0007.exr", 7)
    'shot_0007.exr'
    >>> assembled_name("beauty/shot.0007.tile_3.png", 7)
    'beauty/shot.0007.png'
    >>> assembled_name("", 12)
    'frame_0012.exr'
    """
    import re

    if not tile_name:
        return f"frame_{frame:04d}.exr"
    cleaned = re.sub(r"[._-]?tile[._-]?\d+", "", tile_name, flags=re.IGNORECASE)
    if cleaned == tile_name or Path(cleaned).name in ("", Path(tile_name).suffix):
        return f"frame_{frame:04d}{Path(tile_name).suffix}"
    return cleaned


def _tile(rect: dict[str, Any]) -> Tile:
    """A tile rectangle from the server's JSON (the inverse of `Tile.to_dict`)."""
    return Tile(*(int(rect[k]) for k in ("index", "x", "y", "width", "height")))


def tile_job(tile: dict[str, Any]) -> adapters.TileJob:
    """A task's tile as the server sends it (rectangle, count, frame size), for an adapter."""
    return adapters.TileJob(
        _tile(tile), int(tile["count"]), int(tile["image_width"]), int(tile["image_height"])
    )


def _why(result: process.RunResult, time_out: Any) -> str:
    if result.ended_by == process.TIME_OUT:
        return f"killed after exceeding time_out ({time_out} s)"
    if result.ended_by == process.HUNG:
        return "killed: no output for too long (hung)"
    if result.ended_by == process.FATAL:
        return f"renderer reported a fatal problem: {result.fatal}"
    return f"renderer exited with code {result.exit_code}"


class _Stopped(Exception):
    """The task was stopped before it finished (by the server or a shutdown)."""


class _Failed(Exception):
    def __init__(self, exit_code: int | None, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message
