"""`farmhand submit` warns when no online node can render the scene's Maya version;
`farmhand status` says why a job waits. Against a real server, through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests
from cli_support import farm_env
from farmhand.submit.farm_check import software_warning
from farmhand.transfer.client import FarmClient
from server_harness import RunningServer
from shot import write_project

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, server: RunningServer, token: str) -> dict[str, str]:
    return farm_env(tmp_path, server, token)


def _register(server: RunningServer, name: str, software: dict) -> None:
    admin = server.session()
    enrol = admin.post(server.url("/workers/enrolment-tokens"), json={}).json()["token"]
    headers = {"Authorization": f"Bearer {enrol}"}
    body = {"name": name, "software": software}
    assert requests.post(server.url("/workers/register"), json=body, headers=headers).ok


def test_submit_warns_and_status_says_why_the_job_waits(farm, tmp_path: Path) -> None:
    server, token = farm
    files = write_project(tmp_path / "proj")  # saved with Maya 2025, mtoa 5.4.5
    env = _env(tmp_path, server, token)

    def farmhand(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "farmhand", *args], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    _register(server, "old", {"Maya": {"2024": {"plugins": {"mtoa": "5.4.5"}}}})
    submitted = farmhand("submit", str(files["scene"]), "--search-path", str(files["wood"].parent))
    assert submitted.returncode == 0, submitted.stderr  # a warning, not a refusal
    assert (
        "farmhand submit: warning: no online render node has Maya ≥ 2025 (the scene was saved "
        "with Maya 2025; online: Maya 2024 on 1 worker): the job will wait"
    ) in submitted.stderr
    job_id = submitted.stdout.split("job ")[1].split(" ")[0]
    status = farmhand("status", job_id)
    assert status.returncode == 0, status.stderr
    assert "waiting: no online worker has Maya ≥ 2025 (online: Maya 2024 on 1 worker)" in (
        status.stdout
    )
    assert "waiting: no online worker has Maya ≥ 2025" in farmhand("jobs").stdout

    _register(server, "new", {"Maya": {"2026": {"plugins": {"mtoa": "5.4.5"}}}})
    again = farmhand("submit", str(files["scene"]), "--search-path", str(files["wood"].parent))
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr
    assert "waiting" not in farmhand("status", job_id).stdout


def test_the_panel_check_names_what_the_nodes_have(farm) -> None:
    server, token = farm
    client = FarmClient(server.base.removesuffix("/api/v1"), token)
    spec = {"software": {"cg_name": "Maya", "cg_version": "2023", "accept": "exact"}}
    assert software_warning(client, spec) == (
        "no render node is online: the job will wait for one with Maya 2023"
    )
    _register(server, "a", {"Maya": {"2025": {}}})
    _register(server, "b", {"Maya": {"2025": {}}, "Blender": {"3.4": {}}})
    assert software_warning(client, spec) == (
        "no online render node has Maya 2023 (the scene was saved with Maya 2023; "
        "online: Maya 2025 on 2 workers): the job will wait"
    )
    assert software_warning(client, {"software": {**spec["software"], "accept": "minimum"}}) is None
