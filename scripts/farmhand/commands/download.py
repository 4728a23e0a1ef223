"""`farmhand download JOB`: fetch a job's outputs as they finish, verified, never twice."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `download` subcommand."""
    p = sub.add_parser("download", help="fetch a job's finished outputs (as they complete)")
    p.add_argument("job", type=int, help="job id")
    p.add_argument("--dest", type=Path, help="folder for the outputs (default: ./job-<id>)")
    p.add_argument("--no-follow", action="store_true", help="fetch what is done now, then stop")
    p.add_argument("--previews", action="store_true", help="also fetch the small previews")
    p.add_argument("--server", help="server URL (default: FARMHAND_SERVER, then farmhand login)")
    p.add_argument("--token", help="API token (default: FARMHAND_TOKEN, then farmhand login)")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import requests

    from farmhand.commands import reach
    from farmhand.transfer.client import FarmClient, FarmError, resolve_login
    from farmhand.transfer.download import DownloadError, download_job

    server, token = resolve_login(args.server, args.token)
    client = FarmClient(server, token)
    dest = args.dest or Path(f"job-{args.job}")

    def show(path: Path, fetched: bool) -> None:
        print(f"{'fetched' if fetched else 'present'}  {path}", flush=True)

    try:
        report = download_job(
            client, args.job, dest, follow=not args.no_follow, previews=args.previews, on_file=show
        )
    except (FarmError, DownloadError) as exc:
        print(f"farmhand download: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        line = reach.unreachable(client.server, args.server, exc)
        print(f"farmhand download: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(
        f"job {args.job} is {report.job_state}: {len(report.fetched)} file(s) fetched "
        f"({report.bytes} bytes), {len(report.skipped)} already present, in {dest}"
    )
    return 0 if report.job_state != "failed" else 1
