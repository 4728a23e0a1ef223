"""Server configuration: embedded defaults, a TOML file, then environment overrides.

With no file the server runs on SQLite and a blob directory under `data_dir`,
listening on 127.0.0.1:8642. Every key can be set from the environment as
`FARMHAND_<KEY>` (upper case), e.g. `FARMHAND_DATABASE_URL=postgresql://…`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "farmhand-server"


@dataclass(slots=True)
class Config:
    """Everything the server reads at start."""

    host: str = "127.0.0.1"
    port: int = 8642
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: sqlite:///<data_dir>/farmhand.db
    lease_seconds: float = 60.0  # a worker must heartbeat within this
    online_seconds: float = 120.0  # a worker seen within this is online (farm software, reasons)
    claim_wait_seconds: float = 25.0  # how long a claim long-poll is held
    reservation_seconds: float = 30.0  # queued tasks a process holds lapse after this
    auth_cache_seconds: float = 5.0  # how long a token check is reused in one process
    revocation_poll_seconds: float = 1.0  # how often a process looks for revocations it missed
    reap_interval: float = 1.0  # how often lapsed leases and time limits are checked
    task_time_out: int = 12 * 3600  # default per-task time limit, seconds
    max_retries: int = 3
    # Tasks one job may have, counted before anything is built (a 400-byte spec could ask for
    # billions). 200,000 tasks plan in ~1 s and ~100 MB (`bench/abuse.py`).
    max_tasks_per_job: int = 200_000
    blocklist_after: int = 3  # failures of one worker on one job before it is blocklisted
    # The liveness rule (`liveness`): how often all dispatching jobs are checked; how long a
    # job may have no online worker able to run it before its tasks fail (0: for ever); and
    # whether a task every able node failed is offered to them again (until max_retries).
    liveness_interval: float = 5.0
    unmatched_grace_seconds: float = 1800.0
    retry_on_failed_nodes: bool = False
    upload_chunk_max: int = 64 * 1024 * 1024
    log_max_bytes: int = 64 * 1024 * 1024  # per attempt; more is cut with a note
    blob_retention_days: float = 30.0
    # Storage (`storage`): 0 turns a limit off.
    upload_max_bytes: int = 64 * 1024**3  # the largest blob an upload may declare
    quota_uploading_bytes: int = 200 * 1024**3  # per user: declared sizes of open uploads
    quota_stored_bytes: int = 2 * 1024**4  # per user: blobs held plus open uploads
    disk_reserve_bytes: int = 2 * 1024**3  # free space uploads never take (507 below it)
    disk_reserve_percent: float = 0.0  # or this share of the filesystem, if more
    upload_abandon_hours: float = 24.0  # an upload untouched this long is collected
    gc_interval_seconds: float = 3600.0  # how often blobs and abandoned uploads are collected
    access_log: bool = False  # one log line per request (costly under load)
    public_url: str = ""  # how clients reach the server, for links; default from host/port
    # Webhooks (`webhooks`): a JSON POST to each URL on these job events; retried with a
    # doubling delay, at most `webhook_tries` times; an optional HMAC secret signs the body.
    webhook_urls: list[str] = field(default_factory=list)
    webhook_events: list[str] = field(
        default_factory=lambda: ["completed", "failed", "awaiting_approval"]
    )
    webhook_secret: str = ""
    webhook_tries: int = 5
    webhook_backoff_seconds: float = 2.0
    webhook_timeout_seconds: float = 10.0
    webhook_queue: int = 1000  # deliveries waiting at most; more are dropped (and logged)
    webhook_poll_seconds: float = 1.0

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL (async driver) of the database."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'farmhand.db'}"
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        return url

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Defaults, then the TOML file (if given), then `FARMHAND_*` environment variables."""
    values: dict[str, Any] = {}
    if path is not None:
        with open(path, "rb") as f:
            values.update(tomllib.load(f))
    env = os.environ if env is None else env
    fields = {f.name: f for f in dataclasses.fields(Config)}
    for name in fields:
        key = f"FARMHAND_{name.upper()}"
        if key in env:
            values[name] = env[key]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown configuration keys: {', '.join(unknown)}")
    config = Config()
    for name, raw in values.items():
        default = getattr(config, name)
        setattr(config, name, _coerce(name, raw, default))
    return config


def _coerce(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, list):
            items = raw if isinstance(raw, list) else str(raw).replace(",", " ").split()
            return [str(item) for item in items]
        if isinstance(default, Path):
            return Path(raw).expanduser()
        if isinstance(default, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"configuration {name}: {raw!r} is not a valid value") from exc
