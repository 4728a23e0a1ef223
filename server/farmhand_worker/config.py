"""The worker's settings: a TOML file, then `FARMHAND_WORKER_*` environment, then flags.

```toml
server = "http://farm:8642"
token = "fhw_…"            # this node's worker token, or an enrolment token (fhe_…) once
name = "node07"
data_dir = "/var/lib/farmhand-worker"   # job folders, the blob cache, the saved token
cache_max_gb = 50
slots = 1
tags = ["linux", "gpu"]
adapters = ["maya", "blender"]  # add "command" to run jobs' own argv templates
hung_after = 900            # seconds without a line of output before a render counts as hung
render_user = "farmhand-render"   # a worker running as root renders as this user (security.md)
render_env = ["ADSKFLEX_LICENSE_FILE"]  # variables renders get besides PATH, LANG, …
kill_grace = 10             # seconds between SIGTERM and SIGKILL

[software.blender."3.4"]
executable = "/usr/bin/blender"

[software.maya."2025"]
executable = "/usr/autodesk/maya2025/bin/Render"
plugins = { mtoa = "5.4.1" }

[[path_mapping]]            # studio rules, before the job's own
from = "Y:/"
to = "/mnt/projects/"
```

`allowed_roots = ["/mnt/projects"]` lists where a job's own `path_mapping` may
point besides the job's folder (a job cannot map files anywhere else).
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmhand.spec.versions import pick as pick_version

ENV_PREFIX = "FARMHAND_WORKER_"


class ConfigError(ValueError):
    """A setting is missing or has the wrong type; the message names it."""


@dataclass(slots=True)
class Software:
    """One installed DCC version: where its executable is and which plugins it has."""

    name: str
    version: str
    executable: str | None = None
    plugins: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class WorkerConfig:
    """Everything the daemon needs to run; defaults suit one local node."""

    server: str = "http://127.0.0.1:8642"
    token: str = ""
    name: str = field(default_factory=socket.gethostname)
    data_dir: Path = field(default_factory=lambda: Path.home() / ".farmhand-worker")
    cache_max_gb: float = 50.0
    slots: int = 1
    tags: list[str] = field(default_factory=list)
    software: list[Software] = field(default_factory=list)
    path_mapping: list[dict[str, str]] = field(default_factory=list)
    # Renderer adapters this node runs. `command` runs any argv a job sends, so it is opt-in.
    adapters: list[str] = field(default_factory=lambda: ["maya", "blender"])
    # Where a job's own path_mapping rules may point, besides the job's folder.
    allowed_roots: list[str] = field(default_factory=list)
    claim_wait: float = 20.0
    # Heartbeats renew the lease and are how a cancel or a pause with kill reaches a render,
    # so they come more often than the lease needs (a third of it, at most this).
    heartbeat_seconds: float = 5.0
    hung_after: float = 900.0
    kill_grace: float = 10.0
    log_batch_bytes: int = 64 * 1024
    log_batch_seconds: float = 1.0
    log_cap_bytes: int = 64 * 1024 * 1024
    keep_jobs: bool = False  # keep job folders after tasks (for debugging)
    # A worker running as root runs renders as this unprivileged user (docs/security.md).
    render_user: str | None = None
    # Variables a render gets from the worker's environment besides sandbox.RENDER_ENV.
    render_env: list[str] = field(default_factory=list)
    hardware_config_id: str | None = None

    @property
    def cache_dir(self) -> Path:
        """Where blobs are cached by their hash."""
        return self.data_dir / "cache"

    @property
    def jobs_dir(self) -> Path:
        """Where each job's files are laid out by their mapped paths."""
        return self.data_dir / "jobs"

    def executable(
        self, cg_name: str, version: str | None = None, accept: str | list[str] | None = None
    ) -> str | None:
        """The configured executable to render a job's software with.

        The lowest installed version the job's policy accepts (`farmhand.spec.versions.pick`: a
        Maya 2023 scene on a node with 2024 and 2026 renders with 2024); when none does (the
        server only sends jobs a node can take, so a job older than the policy), the first
        configured one.
        """
        found = [s for s in self.software if s.name.lower() == cg_name.lower() and s.executable]
        job = {"cg_name": cg_name, "cg_version": version or "", "accept": accept}
        best = pick_version(job, [s.version for s in found]) if version is not None else None
        chosen = [s for s in found if s.version == best] or found
        return chosen[0].executable if chosen else None

    def software_report(self) -> dict[str, Any]:
        """The inventory as the server's registration takes it."""
        report: dict[str, dict[str, Any]] = {}
        for s in self.software:
            report.setdefault(s.name, {})[s.version] = {"plugins": dict(s.plugins)}
        return report


_SIMPLE = {
    "server": str, "token": str, "name": str, "cache_max_gb": float, "slots": int,
    "claim_wait": float, "heartbeat_seconds": float, "hung_after": float, "kill_grace": float,
    "log_batch_bytes": int, "log_batch_seconds": float, "log_cap_bytes": int, "keep_jobs": bool,
    "hardware_config_id": str, "render_user": str,
}  # fmt: skip


def load(
    path: Path | None = None, env: Mapping[str, str] | None = None, **flags: Any
) -> WorkerConfig:
    """Settings from a TOML file (optional), the environment, then non-None flags."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    env = os.environ if env is None else env
    for key in (*_SIMPLE, "data_dir"):
        value = env.get(ENV_PREFIX + key.upper())
        if value is not None:
            raw[key] = value
    raw.update({k: v for k, v in flags.items() if v is not None})
    return _build(raw, str(path or "settings"))


def _build(raw: dict[str, Any], where: str) -> WorkerConfig:
    config = WorkerConfig()
    for key, value in raw.items():
        if key == "server" and isinstance(value, list):  # several processes of one farm
            value = ",".join(str(v) for v in value)
        if key in _SIMPLE:
            setattr(config, key, _convert(value, _SIMPLE[key], f"{where}: {key}"))
        elif key == "data_dir":
            config.data_dir = Path(str(value)).expanduser().absolute()
        elif key == "tags":
            config.tags = [str(t) for t in _list(value, f"{where}: tags")]
        elif key == "software":
            config.software = _software(value, where)
        elif key == "path_mapping":
            config.path_mapping = _rules(value, where)
        elif key == "adapters":
            config.adapters = [str(a) for a in _list(value, f"{where}: adapters")]
        elif key == "render_env":
            config.render_env = _env_names(value, f"{where}: render_env")
        elif key == "allowed_roots":
            config.allowed_roots = [str(r) for r in _list(value, f"{where}: allowed_roots")]
        else:
            raise ConfigError(f"{where}: unknown setting {key!r}")
    if config.slots < 1:
        raise ConfigError(f"{where}: slots must be at least 1")
    return config


def _convert(value: Any, kind: type, what: str) -> Any:
    if kind is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{what}: {value!r} is not true or false")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a {kind.__name__}") from None


def _list(value: Any, what: str) -> list[Any]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise ConfigError(f"{what}: expected a list")
    return value


def _env_names(value: Any, what: str) -> list[str]:
    names = [str(n) for n in _list(value, what)]
    for name in names:
        if name.upper().startswith("FARMHAND") or not name.replace("_", "a").isalnum():
            raise ConfigError(f"{what}: {name!r} cannot be passed to renders")
    return names


def _software(value: Any, where: str) -> list[Software]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: software must be a table of [software.NAME."VERSION"]')
    found = []
    for name, versions in value.items():
        if not isinstance(versions, dict):
            raise ConfigError(f"{where}: software.{name} must be a table of versions")
        for version, details in versions.items():
            details = details or {}
            if not isinstance(details, dict):
                raise ConfigError(f"{where}: software.{name}.{version} must be a table")
            plugins = {str(k): str(v) for k, v in (details.get("plugins") or {}).items()}
            exe = details.get("executable")
            found.append(Software(str(name), str(version), str(exe) if exe else None, plugins))
    return found


def _rules(value: Any, where: str) -> list[dict[str, str]]:
    rules = []
    for rule in _list(value, f"{where}: path_mapping"):
        if not isinstance(rule, dict) or not rule.get("from") or not rule.get("to"):
            raise ConfigError(f"{where}: each path_mapping rule needs `from` and `to`")
        rules.append({"from": str(rule["from"]), "to": str(rule["to"])})
    return rules
