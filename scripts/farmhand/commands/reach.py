"""What the CLI says when the farm server cannot be reached or refuses a request: one line,
naming the server it tried, where that address came from and how to set another; never a
library's exception text."""

from __future__ import annotations

from typing import Any

import requests

from farmhand.transfer.client import FarmClient, FarmError, login_source

HOW_TO_SET = "set one with `farmhand login --server URL --token TOKEN`, --server or FARMHAND_SERVER"
PREFLIGHT_TIMEOUT = 10.0


class Unreachable(Exception):
    """The server cannot be used; the message is the one line to print."""


def why(exc: requests.RequestException, timeout: float | None = None) -> str:
    """What went wrong, in words, from the kind of requests error (not its text).

    >>> why(requests.exceptions.MissingSchema("x"))
    'is not a server address'
    >>> why(requests.exceptions.ConnectTimeout("x"), 10)
    'did not answer within 10 s'
    """
    bad_address = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                   requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)  # fmt: skip
    if isinstance(exc, bad_address):
        return "is not a server address"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"did not answer within {timeout:g} s" if timeout else "did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "refused a secure connection (its TLS certificate or the https:// scheme)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "does not answer (is the server running, and is the address right?)"
    return "could not be talked to (the connection broke)"


def unreachable(
    server: str, given: str | None, exc: requests.RequestException, timeout: float | None = None
) -> str:
    """The one line for a server that gave no answer.

    `given` is the `--server` argument, if any (to say where the address came from).
    """
    return f"the farm server {server} ({login_source(given)}) {why(exc, timeout)}; {HOW_TO_SET}"


def refused(server: str, exc: FarmError) -> str:
    """The one line for a server that answered with an error before any work."""
    if exc.status == 401:
        return (
            f"the farm server {server} does not accept your token ({exc.message}); "
            "log in with `farmhand login --server URL --token TOKEN` or set FARMHAND_TOKEN"
        )
    if exc.status == 404:
        return f"{server} answers, but not as a Farmhand server (no /api/v1); {HOW_TO_SET}"
    return f"the farm server {server} refused: {exc}"


def preflight(client: FarmClient, given: str | None) -> dict[str, Any]:
    """Who the server says we are (`GET /me`), asked before any long work; Unreachable
    with the line to print when there is no usable answer."""
    try:
        return client.json("GET", "/me", timeout=PREFLIGHT_TIMEOUT)
    except FarmError as exc:
        raise Unreachable(refused(client.server, exc)) from None
    except requests.RequestException as exc:
        raise Unreachable(unreachable(client.server, given, exc, PREFLIGHT_TIMEOUT)) from None
    except ValueError:  # an answer that is not JSON: something else listens there
        raise Unreachable(
            f"{client.server} answers, but not as a Farmhand server; {HOW_TO_SET}"
        ) from None
