"""The farm dashboard: a small front end of static files served at `/` by the API's own process.

The page is plain ES modules and CSS shipped in `static/` (no build step, nothing fetched
from elsewhere at run time). It calls the JSON API with the user's API token as a bearer
header, kept in the browser's sessionStorage: the server sets no cookie and reads none, so a
page on another site cannot make the browser act with the user's rights (no CSRF).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from aiohttp import web

# Only what the dashboard itself loads: scripts from this origin, no inline script or style,
# images from this origin or the blob: URLs it makes of downloaded previews.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
PREFIX = "/dashboard/"


def _assets() -> dict[str, tuple[bytes, str]]:
    """Every shipped file by its name under `static/`, with its content type."""
    found: dict[str, tuple[bytes, str]] = {}
    folder = resources.files(__package__).joinpath("static")

    def walk(node: Traversable, prefix: str) -> None:
        for entry in node.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
                continue
            kind = TYPES.get("." + entry.name.rpartition(".")[2])
            if kind:
                found[prefix + entry.name] = (entry.read_bytes(), kind)

    walk(folder, "")
    return found


def _answer(body: bytes, content_type: str) -> web.Response:
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


def routes() -> list[web.RouteDef]:
    """`GET /` (the page) and `GET /dashboard/{name}` (its scripts and styles)."""
    assets = _assets()
    page = assets["index.html"]

    async def index(_request: web.Request) -> web.Response:
        return _answer(*page)

    async def asset(request: web.Request) -> web.Response:
        found = assets.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return _answer(*found)

    return [web.get("/", index), web.get(PREFIX + "{name:.+}", asset)]
