"""What `farmhand submit`, `status`, `jobs`, the job actions, `login` and `presets` do.

Server and token come from `--server`/`--token`, then `FARMHAND_SERVER` /
`FARMHAND_TOKEN`, then the file `farmhand login` writes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from farmhand.commands import reach
from farmhand.commands.analyze import not_a_scene
from farmhand.commands.blocked import report_blocked
from farmhand.scene import SceneError
from farmhand.spec import presets as preset_files
from farmhand.submit import dry_run
from farmhand.submit.farm_check import software_warning
from farmhand.submit.pipeline import Blocked, Choices, SpecInvalid, prepare
from farmhand.submit.send import Watch, submit_scene
from farmhand.transfer.changes import FileChanged
from farmhand.transfer.client import FarmClient, FarmError, resolve_login, save_login, server_url
from farmhand.transfer.hashing import Cancelled, HashError
from farmhand.transfer.upload import Progress
from farmhand.units import size as _size

FINAL = ("completed", "failed", "cancelled")


def _client(args: argparse.Namespace) -> FarmClient:
    server, token = resolve_login(args.server, args.token)
    return FarmClient(server, token)


def _client_or_none(args: argparse.Namespace) -> FarmClient | None:
    """A client when a token is known (server presets are then looked up), else None."""
    server, token = resolve_login(getattr(args, "server", None), getattr(args, "token", None))
    return FarmClient(server, token) if token else None


def _test_frames(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    choice: dict[str, Any] = {"custom": []}
    for part in text.split(","):
        part = part.strip()
        if part in ("first", "middle", "last"):
            choice[part] = True
        elif part:
            choice["custom"].append(int(part))
    return choice


def run_submit(args: argparse.Namespace) -> int:
    """Analyse, hash, upload, submit; exit 0 submitted (or completed with --wait)."""
    refusal = not_a_scene(args.scene)
    if refusal:
        print(f"farmhand submit: {refusal}", file=sys.stderr)
        return 2
    client = _client(args)
    try:
        if not args.dry_run:  # before the long hashing, not after it
            reach.preflight(client, args.server)
        preset_client = _client_or_none(args) if args.preset else None
        chosen = [preset_files.find(p, preset_client, warn=_preset_warning) for p in args.preset]
        _say_tiles(args, chosen)
        choices = Choices(
            name=args.name,
            frames=args.frames,
            layers=args.layer,
            cameras=args.camera,
            frames_per_task=args.frames_per_task,
            tiles=args.tiles,
            tiles_type=args.tiles_type,
            test_frames=_test_frames(args.test_frames),
            stop_after_test=args.stop_after_test,
            priority=args.priority,
            presets=chosen,
            resolution=args.resolution,
            ignore_missing=args.ignore_missing,
        )
        search = tuple(args.search_path)
        if args.dry_run:
            prepared = prepare(
                args.scene,
                choices,
                project=args.project,
                search_paths=search,
                progress=_hash_progress,
                blender=args.blender,
            )
            _say_left_out(prepared.analysis)
            _dry_run(prepared.spec, args.json)
            return 0
        watch = Watch(hashing=_hash_progress, uploading=_upload_progress, retrying=_say_retry)
        done = submit_scene(
            client,
            args.scene,
            choices,
            project=args.project,
            search_paths=search,
            watch=watch,
            cancel=threading.Event(),
            parallel=args.parallel,
            chunk_size=_chunk_size(),
            blender=args.blender,
            before_upload=lambda spec: _warn_software(client, spec),
            on_prepared=lambda prepared: _say_left_out(prepared.analysis),
        )
    except reach.Unreachable as exc:
        print(f"farmhand submit: {exc}", file=sys.stderr)
        return 1
    except (preset_files.PresetError, SceneError, ValueError) as exc:
        print(f"farmhand submit: {exc}", file=sys.stderr)
        return 2
    except Blocked as exc:
        report_blocked(exc.analysis, sys.stderr)
        return 1
    except SpecInvalid as exc:
        print("farmhand submit: the job spec is not valid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except FileChanged as exc:  # the pipeline's words: it changed on every try
        print(f"\nfarmhand submit: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(
            f"\nfarmhand submit: {reach.unreachable(client.server, args.server, exc)}",
            file=sys.stderr,
        )
        return 1
    except (FarmError, Cancelled, HashError) as exc:  # HashError: a file gone or unreadable
        print(f"\nfarmhand submit: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nfarmhand submit: interrupted; run it again to resume the upload", file=sys.stderr)
        return 130
    report = done.upload
    print(
        f"\nuploaded {report.files_sent} file(s), {_size(report.bytes_sent)}; "
        f"{report.files_skipped} already on the farm"
    )
    print(f"job {done.job['id']} submitted: {done.url}")
    return _follow(client, done.job["id"]) if args.wait else 0


def _say_retry(note: str) -> None:
    """Files changed during the upload: say they are hashed and sent again."""
    print(f"\nfarmhand submit: {note}", file=sys.stderr, flush=True)


def _preset_warning(problem: str) -> None:
    print(f"farmhand submit: warning: skipped a preset: {problem}", file=sys.stderr)


def _say_tiles(args: argparse.Namespace, presets: list[preset_files.Preset]) -> None:
    """`--tiles N` without `--tiles-type` (nor a preset's): say the strips it gives."""
    if not args.tiles or args.tiles_type or any("tiles_type" in p.fields for p in presets):
        return
    print(
        f"farmhand submit: --tiles {args.tiles} without --tiles-type: each frame is cut into "
        f"{args.tiles} horizontal strips (--tiles-type block for a grid of blocks)",
        file=sys.stderr,
    )


def _say_left_out(analysis: Any) -> None:
    """With --ignore-missing: how many missing files are left out, the first few, and a
    warning for each reference or cache (whole objects will not render)."""
    from farmhand.submit.ignored import IGNORED

    left = [d for d in analysis.diagnostics if d.code == IGNORED]
    if not left:
        return
    print(
        f"farmhand submit: {len(left)} missing file(s) left out (--ignore-missing):",
        file=sys.stderr,
    )
    shown = [d for d in left if d.severity == "warning"][:10] or left[:5]
    for d in shown:
        print(f"  {d.severity}: {d.message}", file=sys.stderr)
    if len(left) > len(shown):
        print(
            f"  … and {len(left) - len(shown)} more (`farmhand analyze` lists them all)",
            file=sys.stderr,
        )


def _dry_run(spec: dict[str, Any], json_to: str | None) -> None:
    """The plan: as JSON (spec and tasks) to a file or standard output, else a summary."""
    if json_to is None:
        print(dry_run.summary(spec))
        print("(the JobSpec and every task's argv: --json -)")
        return
    text = json.dumps(dry_run.as_json(spec), indent=2, ensure_ascii=False)
    if json_to == "-":
        print(text)
    else:
        with open(json_to, "w", encoding="utf-8") as out:
            out.write(text + "\n")


def _warn_software(client: FarmClient, spec: dict[str, Any]) -> None:
    """Say (not refuse) when no online node can render the scene's version."""
    warning = software_warning(client, spec)
    if warning:
        print(f"\nfarmhand submit: warning: {warning}", file=sys.stderr, flush=True)


def _chunk_size() -> int:
    """Upload chunk size: `FARMHAND_UPLOAD_CHUNK` bytes (for slow links), else 16 MiB."""
    return int(os.environ.get("FARMHAND_UPLOAD_CHUNK", str(16 * 1024 * 1024)))


def _follow(client: FarmClient, job_id: int) -> int:
    last = None
    while True:
        job = client.job(job_id)
        line = (
            f"job {job_id}: {job['state']} {job['progress']:.0f}% ({job['tasks_done']}/"
            f"{job['tasks_total']} tasks, {job['tasks_failed']} failed)"
        )
        if job.get("waiting_reason"):
            line += f" — waiting: {job['waiting_reason']}"
        if line != last:
            print(line, flush=True)
            last = line
        if job["state"] in FINAL:
            if job["state"] != "completed" and job.get("state_reason"):
                print(f"  {job['state']}: {job['state_reason']}", flush=True)
            return 0 if job["state"] == "completed" else 1
        time.sleep(1.0)


def _hash_progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
    _line(
        f"hashing   {_bar(bytes_done, bytes_total)} {files_done}/{files_total} files, "
        f"{_size(bytes_done)}/{_size(bytes_total)}"
    )


def _upload_progress(p: Progress) -> None:
    eta = f", {p.eta:.0f} s left" if p.eta is not None and p.bytes_done else ""
    _line(
        f"uploading {_bar(p.bytes_done, p.bytes_total)} {p.files_done}/{p.files_total} files, "
        f"{_size(p.bytes_done)}/{_size(p.bytes_total)} at {_size(p.rate)}/s{eta}"
    )


def _bar(done: int, total: int, width: int = 24) -> str:
    """`[#########...............]  37%`"""
    fraction = done / total if total else 1.0
    filled = int(width * fraction)
    return f"[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:3.0f}%"


_print_lock = threading.Lock()


def _line(text: str) -> None:
    if sys.stderr.isatty():
        with _print_lock:
            sys.stderr.write("\r" + text[:120].ljust(120))
            sys.stderr.flush()


def _with_errors(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except FarmError as exc:
            print(f"farmhand {args.command}: {exc}", file=sys.stderr)
            return 1
        except requests.RequestException as exc:
            server, _ = resolve_login(getattr(args, "server", None))
            line = reach.unreachable(server, getattr(args, "server", None), exc)
            print(f"farmhand {args.command}: {line}", file=sys.stderr)
            return 1

    return run


@_with_errors
def run_status(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.job is None:
        return run_jobs(args)
    if getattr(args, "wait", False) and not args.json:
        code = _follow(client, args.job)
        if args.tasks:
            _print_tasks(client, client.job(args.job), as_json=False)
        return code
    job = client.job(args.job)
    if args.json and args.tasks:
        _print_tasks(client, job, as_json=True)
        return 0
    if args.json:
        print(json.dumps(job, indent=2))
        return 0
    # Only a rendering (or queued) job has a time left; a job awaiting approval or paused
    # waits for a person, whatever an older server says.
    eta = job.get("eta_seconds") if job["state"] in ("queued", "rendering") else None
    print(
        f"job {job['id']} {job['name']}: {job['state']}, {job['progress']:.0f}% "
        f"({job['tasks_done']}/{job['tasks_total']} tasks, {job['tasks_failed']} failed)"
        + (f", about {eta:.0f} s left" if eta else "")
    )
    if job.get("waiting_reason"):
        print(f"  waiting: {job['waiting_reason']}")
    if job["state"] in FINAL and job["state"] != "completed" and job.get("state_reason"):
        print(f"  {job['state']}: {job['state_reason']}")
    if args.tasks:
        _print_tasks(client, job, as_json=False)
    return 0


@_with_errors
def run_logs(args: argparse.Namespace) -> int:
    """`farmhand logs`: see `farmhand.commands.logs_run`."""
    from farmhand.commands import logs_run

    return logs_run.run_logs(args, _client(args))


def _print_tasks(client: FarmClient, job: dict[str, Any], as_json: bool) -> None:
    from farmhand.commands import task_table

    tasks = client.tasks(job["id"])
    if as_json:
        rows = [task_table.row(t, job.get("spec")) for t in tasks]
        print(json.dumps({**job, "tasks": rows}, indent=2))
    else:
        print(task_table.render(tasks, job.get("spec")))


@_with_errors
def run_jobs(args: argparse.Namespace) -> int:
    jobs = _client(args).jobs(getattr(args, "state", None))
    if getattr(args, "json", False):
        print(json.dumps(jobs, indent=2))
        return 0
    if not jobs:
        print("no jobs" + (f" in state {args.state}" if getattr(args, "state", None) else ""))
        return 0
    print(f"{'job':>6}  {'state':<18} {'done':>6}  name")
    for job in jobs:
        print(f"{job['id']:>6}  {job['state']:<18} {job['progress']:>5.0f}%  {job['name']}")
        if job.get("waiting_reason"):
            print(f"{'':>6}  waiting: {job['waiting_reason']}")
    return 0


@_with_errors
def run_action(args: argparse.Namespace) -> int:
    """pause, resume, cancel, approve, retry: what changed, or why nothing did (exit 1)."""
    from farmhand.commands import job_actions

    body: dict[str, Any] = {}
    if args.action == "retry" and args.task:
        body["task_id"] = args.task
    if args.action == "pause" and args.kill:
        body["kill"] = True
    client = _client(args)
    try:
        job = client.job_action(args.job, args.action, body)
    except FarmError as exc:
        if exc.code != "invalid_transition":
            raise
        print(
            f"farmhand {args.action}: {job_actions.refusal(client, args.job, args.action)}",
            file=sys.stderr,
        )
        return 1
    line, ok = job_actions.outcome(args.action, job, getattr(args, "task", None))
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def run_login(args: argparse.Namespace) -> int:
    """Check the server and token (`GET /me`), then remember them."""
    server = server_url(args.server)
    try:
        me = reach.preflight(FarmClient(server, args.token), args.server)
    except reach.Unreachable as exc:
        print(f"farmhand login: {exc}", file=sys.stderr)
        return 1
    path = save_login(server, args.token)
    print(f"logged in to {server} as {me['name']}; saved in {path}")
    return 0


def run_presets(args: argparse.Namespace) -> int:
    """`farmhand presets`: see `farmhand.commands.presets_run`."""
    from farmhand.commands import presets_run

    return presets_run.run(args)
