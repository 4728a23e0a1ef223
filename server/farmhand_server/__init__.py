"""The Farmhand farm manager (aiohttp): accounts, blobs, jobs, the scheduler, events.

`create_app(config)` builds the application; `farmhand server` runs it. The
web stack is imported on first use, so `farmhand --help` (which loads this
package's subcommands) stays quick.
"""

from __future__ import annotations

from typing import Any

from farmhand_server.config import Config, load

__all__ = ["Config", "create_app", "load"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from farmhand_server.app import create_app

        return create_app
    raise AttributeError(name)
