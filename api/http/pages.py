"""What ckb's own browser pages share: their Content-Security-Policy, their HTML shell and
their files, served from the package.

Two pages use it: the agent's screen (api/http/agent_page.py) and GraphiQL (api/http/graphiql.py).
Each page's files are read from a package folder once, at start-up, and served by name
from a dict, never looked up on the file system: a name not read is a 404, whatever
``..`` or slashes it holds. Bodies carry an ETag (the start of their SHA-256), answer
``If-None-Match`` with 304 and go gzipped to clients that take it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from graph.errors import CkbError

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
# What every page allows: scripts, styles and images from this server only (no inline
# script, no eval), talking to it alone (connect-src 'self' covers the websocket on the same
# host and port), not framed, no forms, no <base>.
STRICT_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}
SHELL = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>ckb · {title}</title>
    <link rel="icon" href="data:,">
{head}
  </head>
  <body>
{body}
  </body>
</html>
"""


class PageFileMissingError(CkbError):
    """A file a page needs is not in the package."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is missing from the ckb package")
        self.name = name


def content_security_policy(extra: Mapping[str, str] | None = None) -> str:
    """The strict policy, with ``extra`` directives added (or replacing the strict ones)."""
    directives = {**STRICT_POLICY, **(extra or {})}
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def page_headers(policy: str, cache_control: str) -> dict[str, str]:
    """The headers of a page (not its files): its policy, no referrer, no sniffing."""
    return {
        "content-security-policy": policy,
        "cache-control": cache_control,
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
    }


def html_page(title: str, head: str, body: str) -> str:
    """A page: ``head`` and ``body`` are the elements inside them, already escaped."""
    return SHELL.format(title=title, head=head, body=body)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    version: str  # the start of the body's SHA-256


def _asset(name: str, body: bytes) -> Asset:
    return Asset(body, MEDIA_TYPES[_suffix(name)], hashlib.sha256(body).hexdigest()[:16])


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return base[base.rfind(".") :] if "." in base else ""


def _walk(root: Traversable, prefix: str = "") -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for entry in root.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
        elif _suffix(name) in MEDIA_TYPES:
            found[name] = _asset(name, entry.read_bytes())
    return found


class StaticFiles:
    """A page's files, read once from a package folder, and their responses."""

    def __init__(
        self, assets: Mapping[str, Asset], not_found: str = "no such file", gzip_over: int = 0
    ) -> None:
        self.assets = dict(assets)
        self.not_found = not_found
        self.gzip_over = gzip_over  # bodies of this many bytes or fewer go as they are
        self._gzipped: dict[str, bytes] = {}

    @classmethod
    def folder(cls, root: Traversable, not_found: str, gzip_over: int) -> StaticFiles:
        """Every file of a known type under ``root``, by its path below it; an OSError
        when the folder cannot be read."""
        return cls(_walk(root), not_found, gzip_over)

    @classmethod
    def named(
        cls, root: Traversable, names: Iterable[str], not_found: str, gzip_over: int
    ) -> StaticFiles:
        """Just ``names`` under ``root``; PageFileMissingError when one cannot be read."""
        assets: dict[str, Asset] = {}
        for name in names:
            try:
                assets[name] = _asset(name, root.joinpath(*name.split("/")).read_bytes())
            except OSError:
                raise PageFileMissingError(name) from None
        return cls(assets, not_found, gzip_over)

    def version(self, name: str) -> str:
        return self.assets[name].version

    async def response(self, request: Request, name: str, cache_control: str) -> Response:
        """The file called ``name`` (404 when there is none), 304 when the client has it."""
        asset = self.assets.get(name)
        if asset is None:
            return PlainTextResponse(self.not_found, status_code=404)
        etag = f'W/"{asset.version}"'
        headers = {
            "cache-control": cache_control,
            "etag": etag,
            "vary": "accept-encoding",
            "x-content-type-options": "nosniff",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", "") and len(body) > self.gzip_over:
            body = await self._gzip(name)
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)

    async def _gzip(self, name: str) -> bytes:
        found = self._gzipped.get(name)
        if found is None:
            found = await run_in_threadpool(gzip.compress, self.assets[name].body, 6, mtime=0)
            self._gzipped[name] = found
        return found
