"""What the farm offers, for artists checking before they submit: software by version."""

from __future__ import annotations

from aiohttp import web

from .. import online
from ..keys import CONFIG, DB


async def get_farm_software(request: web.Request) -> web.Response:
    """Per software and version, how many online workers have it; no worker is named."""
    seconds = request.app[CONFIG].online_seconds
    async with request.app[DB].read() as conn:
        workers = await online.online_workers(conn, seconds)
    return web.json_response({
        "online_seconds": seconds,
        "workers_online": len(workers),
        "software": online.software_summary(workers),
    })  # fmt: skip


HANDLERS = {"get_farm_software": get_farm_software}
