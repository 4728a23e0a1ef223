"""Presets the studio publishes from the server: `GET /presets`, and admins `PUT` and
`DELETE` them.

They are JSON files in `<data_dir>/presets/`, checked against the preset schema
before they are stored, so every server process sharing the folder serves them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from aiohttp import web
from farmhand.spec.jobspec import validate_preset

from farmhand_server.errors import bad_request, not_found
from farmhand_server.keys import BODY, CONFIG, PARAMS


def _folder(app: web.Application) -> Path:
    folder = app[CONFIG].data_dir / "presets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def list_presets(request: web.Request) -> web.Response:
    found = []
    for path in sorted(_folder(request.app).glob("*.json")):
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file being written, or broken by hand: not served
        found.append({"name": path.stem, "fields": fields})
    return web.json_response({"presets": found})


async def put_preset(request: web.Request) -> web.Response:
    name = request[PARAMS]["preset_name"]
    fields = request[BODY]
    problems = validate_preset(fields)
    if problems:
        raise bad_request(f"preset: {problems[0]}", problems)
    folder = _folder(request.app)
    part = folder / f".{name}.json.part"
    part.write_text(json.dumps(fields, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(part, folder / f"{name}.json")  # readers see the old file or the new, whole
    return web.json_response({"name": name, "fields": fields})


async def delete_preset(request: web.Request) -> web.Response:
    name = request[PARAMS]["preset_name"]
    try:
        (_folder(request.app) / f"{name}.json").unlink()
    except FileNotFoundError:
        raise not_found(f"preset {name}") from None
    return web.Response(status=204)


HANDLERS = {"list_presets": list_presets, "put_preset": put_preset, "delete_preset": delete_preset}
