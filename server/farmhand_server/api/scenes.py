"""`POST /scenes/analyse`: the analysis `farmhand analyze` gives, run on the server.

The scene and the files it names (a manifest of uploaded blobs) are laid out
in a scratch folder at their server paths (`C:/proj/a.ma` → `<tmp>/C/proj/a.ma`,
the Renderbus rule), analysed there, and the paths in the result are turned
back into the client's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from farmhand.scene import SceneError, analyze
from farmhand.spec.blobs import key_of
from farmhand.spec.jobspec import server_path

from farmhand_server.accounts.auth import Principal
from farmhand_server.errors import ApiError, bad_request
from farmhand_server.jobs import lifecycle as jobs
from farmhand_server.keys import BODY, CONFIG, DB, PRINCIPAL, STORE


async def analyse_scene(request: web.Request) -> web.Response:
    body = request[BODY]
    user: Principal = request[PRINCIPAL]
    scene = body["scene"]
    entries = [{"path": scene["path"], **scene["blob"]}, *body.get("manifest", [])]
    try:
        placed = {server_path(e["path"]): e for e in entries}
        project = server_path(body["project_path"]) if body.get("project_path") else None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    keys = list(dict.fromkeys(key_of(e) for e in entries))
    async with request.app[DB].read() as conn:
        try:
            await jobs.check_blobs(conn, user.id, keys)
        except jobs.MissingBlobs as exc:
            raise ApiError(
                424, "missing_blobs", "upload the scene and its files first", {"missing": exc.keys}
            ) from None
    scratch = request.app[CONFIG].data_dir / "analysis" / uuid.uuid4().hex
    store = request.app[STORE]
    try:
        for spath, entry in placed.items():
            _place(store.path(key_of(entry)), scratch, spath)
        scene_file = scratch / server_path(scene["path"]).lstrip("/")
        project_dir = scratch / project.lstrip("/") if project else None
        try:
            result = await asyncio.to_thread(analyze, scene_file, project_dir)
        except SceneError as exc:
            raise ApiError(422, "unreadable_scene", str(exc).replace(str(scratch), "")) from None
        data = result.to_dict()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    clients = {spath: e["path"] for spath, e in placed.items()}
    return web.json_response(_client_paths(data, str(scratch), clients))


def _place(blob: Path, root: Path, spath: str) -> None:
    target = root / spath.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(blob, target)  # same filesystem: no copy
    except OSError:
        shutil.copyfile(blob, target)


def _client_paths(value: Any, scratch: str, clients: dict[str, str]) -> Any:
    """Replace scratch-folder paths in the result by the client's own paths."""
    if isinstance(value, dict):
        return {k: _client_paths(v, scratch, clients) for k, v in value.items()}
    if isinstance(value, list):
        return [_client_paths(v, scratch, clients) for v in value]
    if isinstance(value, str) and value.startswith(scratch):
        spath = value[len(scratch) :] or "/"
        return clients.get(spath, spath)
    return value


HANDLERS = {"analyse_scene": analyse_scene}
