"""`maya.utils` (stub): deferred calls run when the session is idle (`maya.stub.process_idle`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._session import current


def executeDeferred(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Queue a call for when Maya is idle."""
    current().deferred.append(lambda: fn(*args, **kwargs))


def executeInMainThreadWithResult(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Tests run on the main thread, so the call runs now."""
    return fn(*args, **kwargs)
