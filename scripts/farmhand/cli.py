"""The `farmhand` command line: one subcommand per capability."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from farmhand import __version__
from farmhand.commands import analyze as analyze_command
from farmhand.commands import download as download_command
from farmhand.commands import farm as farm_commands
from farmhand.commands import panel as panel_command


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="farmhand", description="Submit Maya scenes to a Farmhand render farm."
    )
    parser.add_argument("--version", action="version", version=f"farmhand {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    analyze_command.register(sub)
    farm_commands.register(sub)
    panel_command.register(sub)
    download_command.register(sub)
    # Other installed packages (the server, the worker) add their subcommands here.
    for entry in entry_points(group="farmhand.commands"):
        entry.load()(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Output piped to a reader that stops early (`| head`) ends the command quietly with
    141 (128 + SIGPIPE, what the shell reports for a program the pipe killed).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # here, not at exit, where a closed pipe prints a warning
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    return code


BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """What is still buffered for the closed pipe goes nowhere (Python flushes at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (captured in tests)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
