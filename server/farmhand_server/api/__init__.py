"""Request handlers, one module per area; `HANDLERS` maps operationId → handler."""

from __future__ import annotations

from farmhand_server.api import (
    accounts,
    blobs,
    farm,
    holds,
    jobs,
    logs,
    presets,
    scenes,
    stream,
    work,
)

HANDLERS = {
    **accounts.HANDLERS,
    **blobs.HANDLERS,
    **jobs.HANDLERS,
    **work.HANDLERS,
    **stream.HANDLERS,
    **scenes.HANDLERS,
    **logs.HANDLERS,
    **presets.HANDLERS,
    **farm.HANDLERS,
    **holds.HANDLERS,
}
