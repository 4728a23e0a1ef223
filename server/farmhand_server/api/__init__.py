"""Request handlers, one module per area; `HANDLERS` maps operationId → handler."""

from __future__ import annotations

from . import accounts, blobs

HANDLERS = {**accounts.HANDLERS, **blobs.HANDLERS}
