"""Flag names for stub commands: long or short spelling, anything else refused."""

from __future__ import annotations

from typing import Any

COMMON = {"query": "q", "edit": "e", "exists": "ex"}


def parse(command: str, kwargs: dict[str, Any], spec: dict[str, str]) -> dict[str, Any]:
    """`kwargs` keyed by long flag name; `spec` maps each implemented long name to its short one.

    A flag the stub does not implement raises NotImplementedError naming it.
    """
    short_to_long = {short: long for long, short in spec.items()}
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        long = key if key in spec else short_to_long.get(key)
        if long is None:
            raise NotImplementedError(
                f"maya stub: cmds.{command}() flag {key!r} is not implemented"
            )
        out[long] = value
    return out


def no_match(name: str) -> ValueError:
    """The error Maya raises for an object name that matches nothing."""
    return ValueError(f"No object matches name: {name}")
