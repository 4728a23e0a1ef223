"""`farmhand submit`, `status`, `jobs`, job actions, `login` and `presets`: their arguments.

What they do lives in `farm_run`, imported only when one of them runs, so
`farmhand analyze` starts without loading the HTTP and upload stack.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from farmhand.spec.defaults import default_of

ACTIONS = ("pause", "resume", "cancel", "approve", "retry")


def _login_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        help="server URL, http:// when no scheme is given (default: FARMHAND_SERVER, "
        "then farmhand login)",
    )
    p.add_argument("--token", help="API token (default: FARMHAND_TOKEN, then farmhand login)")


def _lazy(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module("farmhand.commands.farm_run"), name)(args)

    return run


def resolution(text: str) -> tuple[int, int]:
    """``1920x1080`` → ``(1920, 1080)``; an argparse error otherwise.

    >>> resolution("1920x1080"), resolution("64X48")
    ((1920, 1080), (64, 48))
    """
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) and int(height)):
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT in pixels (e.g. 1920x1080)")
    return int(width), int(height)


def priority(text: str) -> int:
    """A job priority, 0 to 100; an argparse error otherwise.

    >>> priority("0"), priority("100")
    (0, 100)
    """
    if not text.strip().isdigit() or not 0 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a priority from 0 (lowest) to 100")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the farm subcommands."""
    p = sub.add_parser("submit", help="analyse, upload what the farm lacks, and submit a job")
    p.add_argument("scene", help="the scene to render: a Maya ASCII .ma file or a .blend")
    p.add_argument(
        "--preset",
        action="append",
        default=[],
        help="preset name or .json file (repeatable; later ones win, your options over all)",
    )
    p.add_argument("--name", help="job name (default: the scene's name)")
    p.add_argument("--frames", help='frame expression, e.g. "1-100[2],150"')
    p.add_argument(
        "--layer",
        action="append",
        default=[],
        help="render layer to render (repeatable; default: the renderable ones)",
    )
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        help="camera to render (repeatable; default: each layer's renderable ones)",
    )
    p.add_argument(
        "--frames-per-task",
        type=int,
        metavar="N",
        help=f"frames each task renders, 1-100000 (default {default_of('frames_per_task')}; "
        "not with --tiles)",
    )
    p.add_argument(
        "--tiles",
        type=int,
        metavar="N",
        help="split each frame into N tiles (2-4096) rendered on several nodes, "
        "then assembled; see --tiles-type",
    )
    p.add_argument(
        "--tiles-type",
        choices=("strip", "block"),
        help="with --tiles: horizontal strips, or a grid of blocks (default "
        f"{default_of('tiles_type')}, said when --tiles is given without "
        "it)",
    )
    p.add_argument(
        "--test-frames",
        metavar="LIST",
        help="frames rendered before the others: first,middle,last and/or frame "
        "numbers, e.g. first,last,50",
    )
    p.add_argument(
        "--stop-after-test",
        action="store_true",
        default=None,
        help="render the test frames first, then wait for `farmhand approve JOB`",
    )
    p.add_argument(
        "--priority",
        type=priority,
        metavar="0-100",
        help=f"0 lowest to 100 highest (default: {default_of('priority')})",
    )
    p.add_argument(
        "--resolution",
        type=resolution,
        metavar="WxH",
        help="image size, e.g. 1920x1080 (overrides the scene's)",
    )
    p.add_argument("--blender", help="Blender used to read .blend scenes (default: on PATH)")
    p.add_argument(
        "--project", metavar="DIR", help="Maya project folder (default: found by workspace.mel)"
    )
    p.add_argument(
        "--search-path",
        action="append",
        default=[],
        metavar="DIR",
        help="folder to look in, by file name, for files that moved (repeatable)",
    )
    p.add_argument(
        "--ignore-missing",
        action="store_true",
        help="submit without the files that are missing (as the panel's Ignore); "
        "each is listed, and a missing reference or cache is a warning",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="analyse and hash, then print the plan (no server is contacted)",
    )
    p.add_argument(
        "--json",
        metavar="FILE",
        help="with --dry-run: write the JobSpec and the plan, task by task, as "
        "JSON to FILE (- for standard output)",
    )
    p.add_argument("--wait", action="store_true", help="follow the job until it ends")
    p.add_argument(
        "--parallel", type=int, default=4, metavar="N", help="files uploaded at once (default 4)"
    )
    _login_args(p)
    p.set_defaults(run=_lazy("run_submit"))

    p = sub.add_parser("status", help="a job's progress (or your recent jobs)")
    p.add_argument("job", type=int, nargs="?", help="job id (default: list your jobs)")
    p.add_argument("--json", action="store_true", help="print the server's JSON")
    p.add_argument(
        "--wait",
        action="store_true",
        help="follow the job until it ends (exit 0 only if it completed)",
    )
    p.add_argument(
        "--tasks",
        action="store_true",
        help="also each task: frames, layer, state, progress, attempts, node, "
        "exit code, last message",
    )
    _login_args(p)
    p.set_defaults(run=_lazy("run_status"), tasks=False)

    p = sub.add_parser("logs", help="a job's render log (the latest attempt, or one you name)")
    p.add_argument("job", type=int, help="job id")
    p.add_argument("--task", type=int, help="task id, as `status JOB --tasks` lists them")
    p.add_argument(
        "--attempt",
        type=int,
        metavar="K",
        help="the task's K-th attempt, 1 the first (default: its latest)",
    )
    p.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep printing while the attempt runs (Ctrl-C stops)",
    )
    _login_args(p)
    p.set_defaults(run=_lazy("run_logs"))

    p = sub.add_parser("jobs", help="your jobs")
    p.add_argument("--state", help="only jobs in this state (queued, rendering, failed, …)")
    p.add_argument("--json", action="store_true", help="print the server's JSON")
    _login_args(p)
    p.set_defaults(run=_lazy("run_jobs"))

    for action in ACTIONS:
        p = sub.add_parser(action, help=f"{action} a job")
        p.add_argument("job", type=int, help="job id")
        if action == "retry":
            p.add_argument("task", type=int, nargs="?", help="one task (default: all failed)")
        if action == "pause":
            p.add_argument("--kill", action="store_true", help="stop running tasks too")
        _login_args(p)
        p.set_defaults(run=_lazy("run_action"), action=action)

    p = sub.add_parser(
        "login",
        help="remember the server and your token",
        description="Check that the server accepts the token, then remember both "
        "for this user (a file only you can read).",
    )
    p.add_argument(
        "--server",
        required=True,
        help="the farm server's address, e.g. http://farm:8642 (http:// when no scheme is given)",
    )
    p.add_argument("--token", required=True, help="your API token (from your farm admin)")
    p.set_defaults(run=_lazy("run_login"))

    p = sub.add_parser(
        "presets",
        help="list, show, check, publish or delete job presets",
        description="Presets of one name layer field by field: studio folders, then the "
        "server's, then your own; `show` says where each field came from and what it hides.",
    )
    p.add_argument(
        "what",
        choices=("list", "show", "check", "publish", "delete"),
        help="list them all; show one's fields layer by layer; check one; publish "
        "a local preset or file to the server, or delete a server preset "
        "(both for farm admins)",
    )
    p.add_argument("name", nargs="?", help="preset name or .json file")
    p.add_argument(
        "--as",
        dest="publish_as",
        metavar="NAME",
        help="with publish: the name on the server (default: the preset's)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="with publish: replace a server preset of that name",
    )
    p.add_argument("--json", action="store_true", help="with show: the layered fields as JSON")
    p.add_argument("--offline", action="store_true", help="leave out the server's presets")
    _login_args(p)
    p.set_defaults(run=_lazy("run_presets"))
