"""`farmhand worker`: run this machine as a render node."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from farmhand_worker.config import Software


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `worker` subcommand."""
    p = sub.add_parser("worker", help="run this machine as a render node")
    p.add_argument(
        "--server",
        help="farm server URL (default http://127.0.0.1:8642); several "
        "processes of one farm separated by commas, tried in turn",
    )
    p.add_argument("--token", help="this node's worker token, or an enrolment token (fhe_…)")
    p.add_argument("--config", type=Path, help="worker.toml (docs/worker.md)")
    p.add_argument("--name", help="name shown on the farm (default: the host name)")
    p.add_argument("--data-dir", type=Path, help="job folders, blob cache and saved token")
    p.add_argument("--slots", type=int, help="tasks run at once (default 1)")
    p.add_argument("--tag", action="append", dest="tags", help="a tag jobs can ask for")
    p.add_argument("--render-user", help="run renders as this user (the worker runs as root)")
    p.add_argument("--blender", help="register Blender with this executable (path or name)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from farmhand_worker import config as config_module
    from farmhand_worker.daemon import Worker

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        config = config_module.load(
            args.config,
            server=args.server,
            token=args.token,
            name=args.name,
            data_dir=args.data_dir,
            slots=args.slots,
            tags=args.tags,
            render_user=args.render_user,
        )
        if args.blender:
            config.software.append(_blender(args.blender))
    except config_module.ConfigError as exc:
        print(f"farmhand worker: {exc}")
        return 2
    try:
        worker = Worker(config)
    except config_module.ConfigError as exc:
        print(f"farmhand worker: {exc}")
        return 2
    try:
        worker.connect()
    except Exception as exc:
        print(f"farmhand worker: cannot connect to {config.server}: {exc}")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    print(
        f"farmhand worker {config.name} (id {worker.worker_id}) serving {config.server}", flush=True
    )
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
        worker.join(timeout=60)
    return 0


def _blender(executable: str) -> Software:
    import shutil
    import subprocess

    from farmhand_worker.config import ConfigError, Software

    path = shutil.which(executable) or executable
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise ConfigError(f"--blender {executable}: {exc.strerror}") from None
    first = (out.stdout.splitlines() or [""])[0]  # "Blender 3.4.1"
    version = ".".join(first.split()[-1].split(".")[:2]) if first.startswith("Blender") else ""
    if not version:
        raise ConfigError(f"--blender {executable}: cannot read its version")
    return Software("blender", version, path)
