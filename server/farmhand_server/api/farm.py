"""What the farm offers (software by version, for artists before they submit) and its figures
(for admins)."""

from __future__ import annotations

import time

from aiohttp import web

from farmhand_server.dispatch import online
from farmhand_server.errors import bad_request
from farmhand_server.keys import CONFIG, DB, PARAMS
from farmhand_server.reports import farm as farmstats


async def get_farm_software(request: web.Request) -> web.Response:
    """Per software and version, how many online workers have it; no worker is named."""
    seconds = request.app[CONFIG].online_seconds
    async with request.app[DB].read() as conn:
        workers = await online.online_workers(conn, seconds)
    return web.json_response(
        {
            "online_seconds": seconds,
            "workers_online": len(workers),
            "software": online.software_summary(workers),
        }
    )


async def get_farm_stats(request: web.Request) -> web.Response:
    """Throughput, queue, core-hours by user and project since `since`, blob storage."""
    now = time.time()
    since = request[PARAMS].get("since", now - 86400)
    if since > now:
        raise bad_request("query since: in the future")
    if since < now - farmstats.MAX_PERIOD:
        raise bad_request(f"query since: at most {farmstats.MAX_PERIOD // 86400} days back")
    async with request.app[DB].read() as conn:
        stats = await farmstats.farm_stats(conn, since, now)
    return web.json_response(stats)


HANDLERS = {"get_farm_software": get_farm_software, "get_farm_stats": get_farm_stats}
