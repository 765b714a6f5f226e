"""GraphiQL, served by ckb itself: the IDE's page and every file it loads, no CDN.

``CKB_GRAPHIQL=1`` turns it on. A browser's GET of ``/graphql`` gets the page; the files
it loads — React, GraphiQL and its explorer plugin (``api/static/graphiql/vendor/``,
copied from npm by ``tools/web-assets``) and ckb's start-up script and styles beside them
— come from the same endpoint as ``/graphql?asset=NAME&v=VERSION``, cached for a year
(the version is the file's hash, so a new file gets a new address). The page's
Content-Security-Policy lets it load scripts and styles from this server only and talk to
it alone (HTTP and the graphql-transport-ws websocket on the same path).

``CKB_GRAPHIQL_DEFAULT_KEY`` (demo only) pre-fills the Headers editor with
``{"authorization": "Bearer <key>"}``: anyone who can open the page uses that key. It
must be one of the configured API keys, else the server does not start.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from api.auth import AuthError, AuthSettings, authenticate
from graph.errors import CkbError

ASSET_PARAM = "asset"
STYLES = ("vendor/graphiql.min.css", "vendor/plugin-explorer.css", "ckb-graphiql.css")
SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/plugin-explorer.umd.js",
    "ckb-graphiql.js",
)
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
YEAR = 365 * 24 * 3600
# Scripts and stylesheets from this server only: no inline script or style, no eval (the
# page's settings are a JSON block); GraphiQL's stylesheet carries its fonts and icons as
# data: URLs. connect-src 'self' covers the websocket on the same host and port.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src data:",
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
    <title>ckb · GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script id="ckb-graphiql-config" type="application/json">{config}</script>
{scripts}
  </body>
</html>
"""


class GraphiQLConfigError(CkbError):
    """The GraphiQL settings in the environment cannot be used."""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    version: str  # the start of the body's SHA-256


def _load(root: Traversable, name: str) -> Asset:
    file = root.joinpath(*name.split("/"))
    try:
        body = file.read_bytes()
    except OSError:
        raise GraphiQLConfigError(
            f"GraphiQL file {name} is missing from the ckb package "
            "(see api/static/graphiql/README.md)"
        ) from None
    suffix = name[name.rfind(".") :]
    return Asset(body, MEDIA_TYPES[suffix], hashlib.sha256(body).hexdigest()[:16])


def _json_for_script(value: object) -> str:
    """JSON that cannot end the <script> block it sits in."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class GraphiQL:
    """The page and its files, read once from the package."""

    def __init__(self, default_key: str | None = None, root: Traversable | None = None) -> None:
        root = root or resources.files("api").joinpath("static", "graphiql")
        self.default_key = default_key
        self.assets = {name: _load(root, name) for name in (*STYLES, *SCRIPTS)}
        self._gzipped: dict[str, bytes] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GraphiQL | None:
        """The IDE when ``CKB_GRAPHIQL`` is on; its default key checked against the keys."""
        env = os.environ if env is None else env
        if env.get("CKB_GRAPHIQL", "").lower() not in ("1", "true", "yes"):
            return None
        key = env.get("CKB_GRAPHIQL_DEFAULT_KEY", "").strip() or None
        if key is not None:
            try:
                known = authenticate(key, AuthSettings.from_env(env)).via == "api-key"
            except AuthError:
                known = False
            if not known:
                raise GraphiQLConfigError(
                    "CKB_GRAPHIQL_DEFAULT_KEY is not one of the API keys in CKB_API_KEYS "
                    "(it pre-fills GraphiQL's headers with a configured key, for demos)"
                )
        return cls(default_key=key)

    def url(self, request: Request, name: str) -> str:
        return f"{request.url.path}?{ASSET_PARAM}={quote(name)}&v={self.assets[name].version}"

    def page(self, request: Request) -> HTMLResponse:
        config: dict[str, str] = {}
        if self.default_key is not None:
            bearer = {"authorization": f"Bearer {self.default_key}"}
            config["headers"] = json.dumps(bearer, indent=2)
        styles = "\n".join(
            f'    <link rel="stylesheet" href="{html.escape(self.url(request, name))}">'
            for name in STYLES
        )
        scripts = "\n".join(
            f'    <script src="{html.escape(self.url(request, name))}"></script>'
            for name in SCRIPTS
        )
        body = PAGE.format(styles=styles, scripts=scripts, config=_json_for_script(config))
        headers = {
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "cache-control": "no-store",  # it may carry the demo key; it is small
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        }
        return HTMLResponse(body, headers=headers)

    async def asset(self, request: Request) -> Response:
        name = request.query_params.get(ASSET_PARAM, "")
        asset = self.assets.get(name)
        if asset is None:
            return PlainTextResponse("no such GraphiQL file", status_code=404)
        current = request.query_params.get("v") == asset.version
        etag = f'W/"{asset.version}"'
        headers = {
            "cache-control": f"public, max-age={YEAR}, immutable" if current else "no-cache",
            "etag": etag,
            "vary": "accept-encoding",
            "x-content-type-options": "nosniff",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = await self._gzip(name)
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)

    async def _gzip(self, name: str) -> bytes:
        found = self._gzipped.get(name)
        if found is None:
            found = await run_in_threadpool(gzip.compress, self.assets[name].body, 6, mtime=0)
            self._gzipped[name] = found
        return found
