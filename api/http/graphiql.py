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

import html
import json
import os
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.auth import AuthError, AuthSettings, authenticate
from api.http.pages import (
    PageFileMissingError,
    StaticFiles,
    content_security_policy,
    html_page,
    page_headers,
)
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
YEAR = 365 * 24 * 3600
# The strict policy (api/http/pages.py), and fonts as data: URLs: GraphiQL's stylesheet carries
# its fonts and icons that way. The page's settings are a JSON block, not inline script.
CONTENT_SECURITY_POLICY = content_security_policy({"font-src": "data:"})


class GraphiQLConfigError(CkbError):
    """The GraphiQL settings in the environment cannot be used."""


def _json_for_script(value: object) -> str:
    """JSON that cannot end the <script> block it sits in."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class GraphiQL:
    """The page and its files, read once from the package."""

    def __init__(self, default_key: str | None = None, root: Traversable | None = None) -> None:
        root = root or resources.files("api").joinpath("static", "graphiql")
        self.default_key = default_key
        try:
            # Every file, however small, goes gzipped to a client that takes it.
            self.files = StaticFiles.named(
                root, (*STYLES, *SCRIPTS), not_found="no such GraphiQL file", gzip_over=0
            )
        except PageFileMissingError as exc:
            raise GraphiQLConfigError(
                f"GraphiQL file {exc.name} is missing from the ckb package "
                "(see api/static/graphiql/README.md)"
            ) from None

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
        return f"{request.url.path}?{ASSET_PARAM}={quote(name)}&v={self.files.version(name)}"

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
        body = "\n".join(
            (
                '    <div id="graphiql">Loading…</div>',
                '    <script id="ckb-graphiql-config" type="application/json">'
                f"{_json_for_script(config)}</script>",
                scripts,
            )
        )
        # no-store: the page may carry the demo key; it is small.
        headers = page_headers(CONTENT_SECURITY_POLICY, cache_control="no-store")
        return HTMLResponse(html_page("GraphiQL", head=styles, body=body), headers=headers)

    async def asset(self, request: Request) -> Response:
        name = request.query_params.get(ASSET_PARAM, "")
        asset = self.files.assets.get(name)
        # Cached for a year at the address naming the file's current version; revalidated
        # at any other.
        current = asset is not None and request.query_params.get("v") == asset.version
        cache = f"public, max-age={YEAR}, immutable" if current else "no-cache"
        return await self.files.response(request, name, cache_control=cache)
