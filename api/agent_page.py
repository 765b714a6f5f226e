"""The call-center agent's screen, served by ckb itself at ``/``: no CDN, no build step.

The page is plain ES modules (``api/static/agent/``) plus the graph-drawing library
cytoscape (``api/static/agent/vendor/``, copied from npm by ``tools/web-assets``). Every
file is read from the package once, at start-up, and served under ``/agent/NAME``: a name
not in the package is a 404 (the lookup is in a dict, never on the file system). Files
are revalidated on every load (``no-cache`` and an ETag: the modules import each other by
plain relative names, so a versioned address cannot reach them all); the page itself names
the entry module and stylesheet with their hash, so a new release is picked up at once.

The page holds no data and no credential: the agent signs in with an API key or JWT,
which the page keeps in ``sessionStorage`` (gone when the tab closes) and sends to
``/graphql`` only. Its Content-Security-Policy lets it load scripts and styles from this
server and talk to it alone (HTTP and the graphql-transport-ws websocket on /graphql).
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from graph.errors import CkbError

PREFIX = "/agent/"
ENTRY = "app.js"
STYLESHEET = "agent.css"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
# Scripts and styles from this server only, no inline script, no eval; cytoscape draws on
# a canvas and sets element styles from script (CSSOM, which style-src does not govern).
# The one <style> element cytoscape would add is not added: it looks for its stylesheet by
# ID first, and the page's own stylesheet carries that ID and that rule (agent.css).
# connect-src 'self' covers the websocket on the same host and port.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>ckb · Agent</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{stylesheet}" id="__________cytoscape_stylesheet">
  </head>
  <body>
    <div id="app"><p class="loading">Loading…</p></div>
    <noscript>The agent's screen needs JavaScript.</noscript>
    <script type="module" src="{entry}"></script>
  </body>
</html>
"""
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class AgentPageError(CkbError):
    """The agent's screen's files are missing from the package."""


@dataclass(frozen=True, slots=True)
class AgentAsset:
    body: bytes
    media_type: str
    version: str  # the start of the body's SHA-256


def _walk(root: Traversable, prefix: str = "") -> dict[str, AgentAsset]:
    found: dict[str, AgentAsset] = {}
    for entry in root.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
            continue
        suffix = name[name.rfind(".") :] if "." in entry.name else ""
        if suffix in MEDIA_TYPES:
            body = entry.read_bytes()
            found[name] = AgentAsset(
                body, MEDIA_TYPES[suffix], hashlib.sha256(body).hexdigest()[:16]
            )
    return found


class AgentPage:
    """The page and its files, read once from the package."""

    def __init__(self, root: Traversable | None = None) -> None:
        root = root or resources.files("api").joinpath("static", "agent")
        try:
            self.assets = _walk(root)
        except OSError as exc:
            raise AgentPageError(
                f"the agent's screen cannot be read from the package: {exc}"
            ) from exc
        for name in (ENTRY, STYLESHEET):
            if name not in self.assets:
                raise AgentPageError(
                    f"the agent's screen file {name} is missing from the ckb package "
                    "(api/static/agent/)"
                )
        self._gzipped: dict[str, bytes] = {}
        self._page = PAGE.format(
            stylesheet=html.escape(self.url(STYLESHEET)), entry=html.escape(self.url(ENTRY))
        )

    def url(self, name: str) -> str:
        return f"{PREFIX}{name}?v={self.assets[name].version}"

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self._page, headers=PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        asset = self.assets.get(name)
        if asset is None:
            return PlainTextResponse("no such file", status_code=404)
        etag = f'W/"{asset.version}"'
        headers = {
            "cache-control": "no-cache",
            "etag": etag,
            "vary": "accept-encoding",
            "x-content-type-options": "nosniff",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
            body = await self._gzip(name)
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)

    async def _gzip(self, name: str) -> bytes:
        found = self._gzipped.get(name)
        if found is None:
            found = await run_in_threadpool(gzip.compress, self.assets[name].body, 6, mtime=0)
            self._gzipped[name] = found
        return found
