"""`maya.standalone` (stub): start and end a batch session with an empty scene."""

from __future__ import annotations

from typing import Any


def initialize(name: str = "python", **kwargs: Any) -> None:
    """Start a batch session (as mayapy does); `maya.stub.stub_open` then opens a file in it."""
    from . import stub

    stub.stub_new(batch=True)


def uninitialize(**kwargs: Any) -> None:
    """End the session."""
    from . import stub

    stub.close()
