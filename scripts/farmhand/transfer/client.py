"""A small client of the farm server's HTTP API (`docs/server.md`), for the CLI and the panel.

Where the server and token come from, in order: arguments, the environment
(`FARMHAND_SERVER`, `FARMHAND_TOKEN`), then the user config file that
`farmhand login` writes (`~/.config/farmhand/config.json`, readable by the
user only).

A server setting may name several server processes of one farm, separated by commas
(`http://farm1:8642,http://farm2:8642`): a request that cannot connect to one is sent to
the next (`FarmClient.request`), and later requests stay with the one that answered.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from farmhand.user_dirs import config_path

DEFAULT_SERVER = "http://127.0.0.1:8642"
MISSING_BATCH = 1000


class FarmError(Exception):
    """An error answer from the server: HTTP status, stable code, message, details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def server_url(text: str) -> str:
    """A server address as typed, as a URL: `http://` added when no scheme is given.

    >>> server_url("127.0.0.1:8642/"), server_url("https://farm.example"), server_url(" farm ")
    ('http://127.0.0.1:8642', 'https://farm.example', 'http://farm')
    """
    text = text.strip().rstrip("/")
    return text if "://" in text else f"http://{text}"


def save_login(server: str, token: str, path: Path | None = None) -> Path:
    """Remember a server and token for this user (file mode 0600)."""
    server = ",".join(server_list(server))
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"server": server.rstrip("/"), "token": token}, f)
    return path


def resolve_login(server: str | None = None, token: str | None = None) -> tuple[str, str]:
    """(server URL, token) from arguments, environment, then the config file."""
    saved: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        saved = json.loads(config_path().read_text(encoding="utf-8"))
    server = server or os.environ.get("FARMHAND_SERVER") or saved.get("server") or DEFAULT_SERVER
    token = token or os.environ.get("FARMHAND_TOKEN") or saved.get("token") or ""
    return ",".join(server_list(server)), token


MAX_SERVERS = 16  # addresses one setting may list


def server_list(server: str) -> list[str]:
    """The addresses a server setting names: one URL, or several separated by commas.

    At most `MAX_SERVERS` (the first ones) are kept.
    """
    found = [server_url(s) for s in server.replace(" ", ",").split(",") if s.strip()]
    return found[:MAX_SERVERS] or [DEFAULT_SERVER]


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the request never reached a server (refused, no route, connect time-out)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def login_source(server: str | None = None) -> str:
    """Where `resolve_login` took the server from, said for a person: an argument, the
    environment, the saved login or the built-in default."""
    if server:
        return "--server"
    if os.environ.get("FARMHAND_SERVER"):
        return "FARMHAND_SERVER"
    with contextlib.suppress(OSError, ValueError):
        if json.loads(config_path().read_text(encoding="utf-8")).get("server"):
            return f"the login saved in {config_path()}"
    return "the default, as no server is set"


class FarmClient:
    """Calls the API with a bearer token; error answers raise FarmError.

    With several server addresses (`server_list`), a request that finds one unreachable
    fails over to the next: at once when it never connected, whatever the method; a request
    cut off after it was sent is raised (it may have been carried out: the caller decides
    whether to repeat it), and the next request goes to the next address.
    """

    def __init__(self, server: str, token: str, timeout: float = 120.0) -> None:
        self.servers = server_list(server)
        self._current = 0
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    @property
    def server(self) -> str:
        """The server address in use."""
        return self.servers[self._current]

    @property
    def base(self) -> str:
        """The API root of the server in use."""
        return self.server + "/api/v1"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; raises FarmError for an error answer, requests errors for no answer."""
        kwargs.setdefault("timeout", self.timeout)
        for turn in range(len(self.servers)):
            current = self._current
            try:
                response = self.session.request(method, self.base + path, **kwargs)
                break
            except requests.ConnectionError as exc:
                if len(self.servers) == 1:
                    raise
                if self._current == current:  # another thread may have moved on already
                    self._current = (current + 1) % len(self.servers)
                if turn + 1 == len(self.servers) or not _never_connected(exc):
                    raise
        if response.status_code >= 400:
            raise _error(response)
        return response

    def json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """A JSON request and its JSON answer (None for an empty answer)."""
        if body is not None:
            kwargs["json"] = body
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    # -- blobs ----------------------------------------------------------------------------
    def missing_blobs(self, refs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Which of these `{md5, xxh64, size}` the server lacks for this user (in batches)."""
        missing: list[dict[str, Any]] = []
        for batch in _batches(list(refs), MISSING_BATCH):
            missing += self.json("POST", "/blobs/missing", {"blobs": batch})["missing"]
        return missing

    def start_upload(self, ref: dict[str, Any]) -> dict[str, Any]:
        """Start or resume an upload; the server says where it stands (`offset`, `complete`)."""
        return self.json("POST", "/uploads", ref)

    def upload_status(self, upload_id: str) -> dict[str, Any]:
        return self.json("GET", f"/uploads/{upload_id}")

    def put_chunk(self, upload_id: str, offset: int, data: bytes) -> dict[str, Any]:
        """Append bytes at `offset`; the server's new offset."""
        headers = {"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"}
        return self.json("PUT", f"/uploads/{upload_id}", data=data, headers=headers)

    def complete_upload(self, upload_id: str) -> dict[str, Any]:
        """Ask the server to verify and store the blob."""
        return self.json("POST", f"/uploads/{upload_id}/complete")

    # -- jobs -------------------------------------------------------------------------------
    def submit_job(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.json("POST", "/jobs", spec)

    def job(self, job_id: int) -> dict[str, Any]:
        return self.json("GET", f"/jobs/{job_id}")

    def jobs(self, state: str | None = None) -> list[dict[str, Any]]:
        """The newest jobs (one page: the server's default of 500)."""
        params = {"state": state} if state else None
        return self.json("GET", "/jobs", params=params)["jobs"]

    def farm_software(self) -> dict[str, Any]:
        """`{workers_online, online_seconds, software: [{name, version, workers}]}`: online now."""
        return self.json("GET", "/farm/software")

    def tasks(self, job_id: int) -> list[dict[str, Any]]:
        """Every task of a job, in dispatch order (following the server's pages)."""
        return list(self.pages(f"/jobs/{job_id}/tasks", "tasks"))

    def attempt_log(
        self, attempt_id: int, offset: int = 0, tail: int | None = None
    ) -> tuple[bytes, int, str | None]:
        """An attempt's log from byte `offset`: (the bytes, the log's full size, attempt state).

        With `tail`, at most its last `tail` bytes. The state (running, done, failed, …) is
        the server's `X-Attempt-State`, None from a server that does not send it.
        """
        params: dict[str, int] | None = {"offset": offset} if offset else None
        if tail is not None:
            params = {**(params or {}), "tail": tail}
        response = self.request("GET", f"/attempts/{attempt_id}/log", params=params)
        size = int(response.headers.get("X-Log-Size", offset + len(response.content)))
        return response.content, size, response.headers.get("X-Attempt-State")

    def outputs(self, job_id: int, tiles: bool = False) -> list[dict[str, Any]]:
        """Every output of a job, in frame order (following the server's pages)."""
        params = {"tiles": "true"} if tiles else {}
        return list(self.pages(f"/jobs/{job_id}/outputs", "outputs", params))

    def pages(
        self, path: str, key: str, params: dict[str, Any] | None = None, limit: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """The items of a paged listing: `?limit=&after=` until its `next` is null."""
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        while True:
            page = self.json("GET", path, params=query)
            yield from page[key]
            if page.get("next") is None:
                return
            query["after"] = page["next"]

    def job_action(self, job_id: int, action: str, body: dict | None = None) -> dict[str, Any]:
        """pause | resume | cancel | approve | retry."""
        return self.json("POST", f"/jobs/{job_id}/{action}", body or {})

    def job_url(self, job_id: int) -> str:
        """Where a person finds the job."""
        return f"{self.base}/jobs/{job_id}"


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error(response: requests.Response) -> FarmError:
    try:
        error = response.json()["error"]
        return FarmError(
            response.status_code,
            error.get("code", "error"),
            error.get("message", ""),
            error.get("details"),
        )
    except (ValueError, KeyError, TypeError):
        text = response.text[:200] or response.reason
        return FarmError(response.status_code, "http_error", text)
