"""`farmhand submit`, `status`, `jobs`, job actions, `login` and `presets`: their arguments.

What they do lives in `farm_run`, imported only when one of them runs, so
`farmhand analyze` starts without loading the HTTP and upload stack.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

ACTIONS = ("pause", "resume", "cancel", "approve", "retry")


def _login_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", help="server URL (default: FARMHAND_SERVER, then farmhand login)")
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add the farm subcommands."""
    p = sub.add_parser("submit", help="analyse, upload what the farm lacks, and submit a job")
    p.add_argument("scene")
    p.add_argument("--preset", action="append", default=[], help="preset name or .json file")
    p.add_argument("--name", help="job name (default: the scene's name)")
    p.add_argument("--frames", help='frame expression, e.g. "1-100[2],150"')
    p.add_argument("--layer", action="append", default=[], help="render layer (repeatable)")
    p.add_argument("--camera", action="append", default=[], help="camera (repeatable)")
    p.add_argument("--frames-per-task", type=int)
    p.add_argument("--tiles", type=int)
    p.add_argument("--tiles-type", choices=("strip", "block"))
    p.add_argument("--test-frames", help="first,middle,last and/or frame numbers")
    p.add_argument("--stop-after-test", action="store_true", default=None)
    p.add_argument("--priority", type=int)
    p.add_argument("--resolution", type=resolution, metavar="WxH",
                   help="image size, e.g. 1920x1080 (overrides the scene's)")  # fmt: skip
    p.add_argument("--blender", help="Blender used to read .blend scenes (default: on PATH)")
    p.add_argument("--project", help="Maya project folder")
    p.add_argument("--search-path", action="append", default=[], help="where moved files may be")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="analyse and hash, then print the plan (no server is contacted)",
    )
    p.add_argument("--json", metavar="FILE",
                   help="with --dry-run: write the JobSpec and the plan, task by task, as "
                        "JSON to FILE (- for standard output)")  # fmt: skip
    p.add_argument("--wait", action="store_true", help="follow the job until it ends")
    p.add_argument("--parallel", type=int, default=4, help="files uploaded at once")
    _login_args(p)
    p.set_defaults(run=_lazy("run_submit"))

    p = sub.add_parser("status", help="a job's progress (or your recent jobs)")
    p.add_argument("job", type=int, nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", action="store_true",
                   help="follow the job until it ends (exit 0 only if it completed)")  # fmt: skip
    p.add_argument("--tasks", action="store_true",
                   help="also each task: frames, layer, state, progress, attempts, node, "
                        "exit code, last message")  # fmt: skip
    _login_args(p)
    p.set_defaults(run=_lazy("run_status"), tasks=False)

    p = sub.add_parser("logs", help="a job's render log (the latest attempt, or one you name)")
    p.add_argument("job", type=int)
    p.add_argument("--task", type=int, help="task id, as `status JOB --tasks` lists them")
    p.add_argument("--attempt", type=int, metavar="K",
                   help="the task's K-th attempt, 1 the first (default: its latest)")  # fmt: skip
    p.add_argument("--follow", "-f", action="store_true",
                   help="keep printing while the attempt runs (Ctrl-C stops)")  # fmt: skip
    _login_args(p)
    p.set_defaults(run=_lazy("run_logs"))

    p = sub.add_parser("jobs", help="your jobs")
    p.add_argument("--state")
    p.add_argument("--json", action="store_true")
    _login_args(p)
    p.set_defaults(run=_lazy("run_jobs"))

    for action in ACTIONS:
        p = sub.add_parser(action, help=f"{action} a job")
        p.add_argument("job", type=int)
        if action == "retry":
            p.add_argument("task", type=int, nargs="?", help="one task (default: all failed)")
        if action == "pause":
            p.add_argument("--kill", action="store_true", help="stop running tasks too")
        _login_args(p)
        p.set_defaults(run=_lazy("run_action"), action=action)

    p = sub.add_parser("login", help="remember the server and your token")
    p.add_argument("--server", required=True)
    p.add_argument("--token", required=True)
    p.set_defaults(run=_lazy("run_login"))

    p = sub.add_parser("presets", help="list, show or check job presets")
    p.add_argument("what", choices=("list", "show", "check"))
    p.add_argument("name", nargs="?")
    p.add_argument("--offline", action="store_true", help="leave out the server's presets")
    _login_args(p)
    p.set_defaults(run=_lazy("run_presets"))
