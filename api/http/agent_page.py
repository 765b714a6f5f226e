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

import html
from importlib import resources
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.http.pages import StaticFiles, content_security_policy, html_page, page_headers
from graph.errors import CkbError

PREFIX = "/agent/"
ENTRY = "app.js"
STYLESHEET = "agent.css"
# The strict policy (api/http/pages.py) as it is: cytoscape draws on a canvas and sets element
# styles from script (CSSOM, which style-src does not govern). The one <style> element
# cytoscape would add is not added: it looks for its stylesheet by ID first, and the page's
# own stylesheet carries that ID and that rule (agent.css).
CONTENT_SECURITY_POLICY = content_security_policy()
CYTOSCAPE_STYLESHEET_ID = "__________cytoscape_stylesheet"
PAGE_HEADERS = page_headers(CONTENT_SECURITY_POLICY, cache_control="no-cache")
# Files of 1 KiB or less go uncompressed: gzip would save next to nothing.
GZIP_OVER = 1024


class AgentPageError(CkbError):
    """The agent's screen's files are missing from the package."""


class AgentPage:
    """The page and its files, read once from the package."""

    def __init__(self, root: Traversable | None = None) -> None:
        root = root or resources.files("api").joinpath("static", "agent")
        try:
            self.files = StaticFiles.folder(root, not_found="no such file", gzip_over=GZIP_OVER)
        except OSError as exc:
            raise AgentPageError(
                f"the agent's screen cannot be read from the package: {exc}"
            ) from exc
        for name in (ENTRY, STYLESHEET):
            if name not in self.files.assets:
                raise AgentPageError(
                    f"the agent's screen file {name} is missing from the ckb package "
                    "(api/static/agent/)"
                )
        stylesheet, entry = html.escape(self.url(STYLESHEET)), html.escape(self.url(ENTRY))
        self._page = html_page(
            "Agent",
            head=f'    <link rel="stylesheet" href="{stylesheet}" id="{CYTOSCAPE_STYLESHEET_ID}">',
            body=(
                '    <div id="app"><p class="loading">Loading…</p></div>\n'
                "    <noscript>The agent's screen needs JavaScript.</noscript>\n"
                f'    <script type="module" src="{entry}"></script>'
            ),
        )

    def url(self, name: str) -> str:
        return f"{PREFIX}{name}?v={self.files.version(name)}"

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self._page, headers=PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        # Revalidated on every load: the modules import each other by plain relative names,
        # so a versioned address cannot reach them all.
        return await self.files.response(
            request, request.path_params["name"], cache_control="no-cache"
        )
