"""Configuration (TOML + environment) and the `farmhand admin` command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from farmhand_server.config import Config, load
from server_harness import start_server

REPO = Path(__file__).resolve().parents[2]


def test_defaults_toml_then_environment(tmp_path: Path) -> None:
    defaults = load(env={})
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8642)
    assert defaults.db_url.startswith("sqlite+aiosqlite:///") and defaults.db_url.endswith(".db")
    toml = tmp_path / "farmhand.toml"
    toml.write_text('port = 9000\ndata_dir = "/srv/farm"\nlease_seconds = 30\n')
    config = load(
        toml, env={"FARMHAND_PORT": "9100", "FARMHAND_DATABASE_URL": "postgresql://u@h/db"}
    )
    assert config.port == 9100 and config.data_dir == Path("/srv/farm")
    assert config.lease_seconds == 30.0
    assert config.db_url == "postgresql+asyncpg://u@h/db"


def test_bad_configuration_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "farmhand.toml"
    toml.write_text("prot = 1\n")
    with pytest.raises(ValueError, match="unknown configuration keys: prot"):
        load(toml, env={})
    with pytest.raises(ValueError, match="port"):
        load(env={"FARMHAND_PORT": "eighty"})


def _admin(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "scripts"), str(REPO / "server")])
    )
    argv = [sys.executable, "-m", "farmhand", "admin", "--data-dir", str(data_dir), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def test_admin_cli_users_tokens_and_enrolment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = _admin(data, "create-user", "ann", "--role", "admin")
    assert made.returncode == 0, made.stderr
    token = made.stdout.split("token: ")[1].strip()
    assert _admin(data, "create-user", "ann").returncode == 1  # exists
    enrol = _admin(data, "enrol-token", "--uses", "2").stdout.strip()
    assert enrol.startswith("fhe_")
    listed = _admin(data, "users").stdout
    assert "ann" in listed and "admin" in listed
    server = start_server(data)
    try:
        me = requests.get(server.url("/me"), headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "ann" and me.json()["role"] == "admin"
        assert server.admin_token == ""  # users existed: no first-start admin
        registered = requests.post(server.url("/workers/register"), json={"name": "n"},
                                   headers={"Authorization": f"Bearer {enrol}"})  # fmt: skip
        assert registered.status_code == 201
        token_id = _admin(data, "issue-token", "ann").stdout.split()[2].rstrip(":")
        assert _admin(data, "revoke-token", token_id).returncode == 0
        assert _admin(data, "revoke-token", "999").returncode == 1
    finally:
        server.stop()


def test_server_command_prints_the_first_admin_token(tmp_path: Path) -> None:
    from server_harness import free_port, start_server_process

    process, token = start_server_process(tmp_path / "d", "", free_port())
    try:
        assert token.startswith("fhu_")
        me = requests.get(process.base + "/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "admin"
        assert Config().port == 8642
    finally:
        process.stop()
