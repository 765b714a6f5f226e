"""GraphiQL as a person meets it, offline: ``ckb serve`` with ``CKB_GRAPHIQL=1`` and the
demo key pre-filled. The page names no outside address and every file it loads is served;
in Debian's headless chromium (driven over the DevTools protocol) the IDE renders, runs a
query and a subscription with the pre-filled key and shows the store's data, with no
request leaving the server and no Content-Security-Policy violation. A default key that
is not a configured key stops the server before it starts."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx
import jwt
import pytest

from api.http.app import create_app
from api.http.graphiql import GraphiQL, GraphiQLConfigError
from graph.embedded import EmbeddedStore
from tests.support.browser import DevTools, chromium_or_skip, headless
from tests.support.commands import run_ckb
from tests.support.paths import REPO
from tests.support.serve import LiveServer, ckb_serve, free_port

KEY = "ckb-demo-key"
SECRET = "jwt-secret-for-tests-only-0123456789"
ENV = {
    "CKB_API_KEYS": f"demo:analyst+agent:{KEY}",
    "CKB_GRAPHIQL": "1",
    "CKB_GRAPHIQL_DEFAULT_KEY": KEY,
}
STATIC = REPO / "api" / "static" / "graphiql"
SCREENSHOT = REPO / "build" / "screenshots" / "graphiql.png"
QUERY = '{ customer(id: "C-ANN") { id name email valueTier } }'
SUBSCRIPTION = 'subscription { customerChanged(id: "C-ANN") { customerId change detail } }'
TOUCH = """mutation ($input: TouchpointInput!) {
  recordTouchpoint(input: $input) { accepted reasons }
}"""


@dataclass
class Served:
    url: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``ckb serve`` on a small store, as ``make serve`` runs it."""
    tmp = tmp_path_factory.mktemp("graphiql")
    store = EmbeddedStore(tmp / "kb.sqlite")
    store.apply_schema()
    store.upsert_nodes(
        "Customer",
        [
            {"id": "C-ANN", "name": "Ann Lee", "email": "ann@example.com", "value_tier": "gold"},
            {"id": "C-BOB", "name": "Bob Stone", "email": "bob@example.com"},
        ],
    )
    store.close()
    log = tmp / "serve.log"
    with ckb_serve(f"embedded:{tmp / 'kb.sqlite'}", free_port(), log, ENV) as url:
        yield Served(url, log)


# ----------------------------------------------------------------------------- the page


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.config = ""
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self._in_config = named.get("id") == "ckb-graphiql-config"
        if tag == "script" and named.get("src"):
            self.urls.append(named["src"] or "")
        if tag == "link" and named.get("href"):
            self.urls.append(named["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config += data

    def handle_endtag(self, tag: str) -> None:
        self._in_config = False


def _page(server: Served) -> httpx.Response:
    return httpx.get(f"{server.url}/graphql", headers={"accept": "text/html"}, timeout=10)


def test_the_page_names_only_this_servers_files_and_each_is_served(server: Served) -> None:
    page = _page(server)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert re.search(r"https?:|//[a-z]", page.text) is None, "the page names an outside address"
    found = _References()
    found.feed(page.text)
    files = [u for u in found.urls if not u.startswith("data:")]
    assert len(files) == 8  # 3 stylesheets, 5 scripts
    assert json.loads(json.loads(found.config)["headers"]) == {"authorization": f"Bearer {KEY}"}
    for ref in files:
        asset = httpx.get(urljoin(f"{server.url}/graphql", ref), timeout=10)
        assert asset.status_code == 200, ref
        kind = "text/css" if ".css" in ref else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), ref
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable", ref
        assert asset.headers["content-encoding"] == "gzip", ref
        name = parse_qs(urlsplit(ref).query)["asset"][0]
        assert asset.content == (STATIC / name).read_bytes(), ref
        unchanged = httpx.get(
            urljoin(f"{server.url}/graphql", ref),
            headers={"if-none-match": asset.headers["etag"]},
            timeout=10,
        )
        assert unchanged.status_code == 304, ref


def test_an_unknown_or_stale_file_is_not_cached(server: Served) -> None:
    unknown = httpx.get(f"{server.url}/graphql?asset=../graphql_app.py", timeout=10)
    assert unknown.status_code == 404
    stale = httpx.get(f"{server.url}/graphql?asset=ckb-graphiql.js&v=old", timeout=10)
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "no-cache"


def test_a_default_key_that_is_not_configured_stops_the_server(tmp_path: Path) -> None:
    env = {**ENV, "CKB_GRAPHIQL_DEFAULT_KEY": "not-a-key"}
    graph = f"embedded:{tmp_path / 'kb.sqlite'}"
    done = run_ckb("--graph", graph, "serve", "--port", str(free_port()), env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "ckb: error: CKB_GRAPHIQL_DEFAULT_KEY is not one of the API keys in CKB_API_KEYS "
        "(it pre-fills GraphiQL's headers with a configured key, for demos)"
    )
    assert "not-a-key" not in done.stderr


def test_the_default_key_must_be_a_configured_api_key() -> None:
    on = {"CKB_GRAPHIQL": "1", "CKB_API_KEYS": "demo:agent:k-demo", "CKB_INGEST_TOKENS": "k-in"}
    assert GraphiQL.from_env({**on, "CKB_GRAPHIQL": "0"}) is None
    blank = GraphiQL.from_env({**on, "CKB_GRAPHIQL_DEFAULT_KEY": " "})
    assert blank is not None
    assert blank.default_key is None
    for key in ("k-demo", "k-in"):
        ide = GraphiQL.from_env({**on, "CKB_GRAPHIQL_DEFAULT_KEY": key})
        assert ide is not None
        assert ide.default_key == key
    signed = jwt.encode({"sub": "x", "roles": ["agent"], "exp": time.time() + 60}, SECRET)
    jwt_on = {**on, "CKB_JWT_SECRET": SECRET, "CKB_GRAPHIQL_DEFAULT_KEY": signed}
    with pytest.raises(GraphiQLConfigError, match="not one of the API keys"):
        GraphiQL.from_env(jwt_on)  # a token is not a key


def test_without_ckb_graphiql_there_is_no_page_and_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CKB_GRAPHIQL", raising=False)
    with LiveServer(create_app(lambda: EmbeddedStore(tmp_path / "kb.sqlite"))) as live:
        page = httpx.get(f"{live.url}/graphql", headers={"accept": "text/html"}, timeout=10)
        assert page.status_code == 404
        asset = httpx.get(f"{live.url}/graphql?asset=ckb-graphiql.js", timeout=10)
        assert asset.status_code == 400
        assert "javascript" not in asset.headers["content-type"]


# ----------------------------------------------------------------------------- the browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    """Headless chromium on about:blank, its page driven over the DevTools protocol."""
    with headless(chromium_or_skip(), tmp_path, size=(1400, 900)) as tools:
        yield tools


RESULT = "(document.querySelector('.result-window')?.innerText ?? '')"
HEADERS = "document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden)')"


def _open(tools: DevTools, server: Served, query: str) -> None:
    tools.call("Page.navigate", url=f"{server.url}/graphql?q={quote(query)}")
    tools.wait_for(
        "!!document.querySelector('.graphiql-execute-button')"
        " && !!document.querySelector('.graphiql-query-editor .CodeMirror')",
        "GraphiQL to render",
    )


def _json(shown: str) -> Any:
    """The result pane's text (CodeMirror indents with no-break spaces) as JSON."""
    return json.loads(shown.replace("\xa0", " "))


def _run(tools: DevTools) -> None:
    tools.evaluate("document.querySelector('.graphiql-execute-button').click()")


def test_graphiql_renders_and_runs_a_query_and_a_subscription_offline(
    server: Served, browser: DevTools
) -> None:
    tools = browser
    tools.watch()

    _open(tools, server, QUERY)
    headers = tools.wait_for(f"{HEADERS}?.innerText", "the Headers editor")
    assert f"Bearer {KEY}" in headers, headers
    _run(tools)
    shown = tools.wait_for(f"{RESULT}.includes('Ann Lee') && {RESULT}", "the query's result")
    answer = _json(shown)
    assert answer == {
        "data": {
            "customer": {
                "id": "C-ANN", "name": "Ann Lee", "email": "ann@example.com", "valueTier": "gold",
            }
        }
    }  # fmt: skip
    tools.evaluate("document.querySelector('[aria-label=\"Show GraphiQL Explorer\"]').click()")
    explorer = "document.querySelector('.graphiql-plugin')?.innerText ?? ''"
    tools.wait_for(f"({explorer}).includes('searchCustomers')", "the explorer plugin")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = tools.call("Page.captureScreenshot", format="png")
    SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
    assert tools.evaluate("window.__csp") == []

    # Subscriptions: graphql-transport-ws on /graphql, the pre-filled key in connection_init.
    _open(tools, server, SUBSCRIPTION)
    _run(tools)
    complaint = {
        "customerId": "C-ANN", "channel": "call_center", "kind": "complaint",
        "resolutionStatus": "open",
    }  # fmt: skip
    heard = ""
    for _ in range(10):  # the subscription may not be registered yet: touch again
        touched = httpx.post(
            f"{server.url}/graphql",
            json={"query": TOUCH, "variables": {"input": complaint}},
            headers={"authorization": f"Bearer {KEY}"},
            timeout=10,
        ).json()
        assert touched["data"]["recordTouchpoint"]["accepted"] is True, touched
        deadline = time.monotonic() + 1
        while "touchpoint" not in heard and time.monotonic() < deadline:
            heard = tools.evaluate(RESULT)
            time.sleep(0.1)
        if "touchpoint" in heard:
            break
    assert _json(heard)["data"]["customerChanged"] == {
        "customerId": "C-ANN", "change": "touchpoint", "detail": "complaint",
    }  # fmt: skip

    assert tools.evaluate("window.__csp") == []
    stored = json.loads(tools.evaluate("JSON.stringify(localStorage)"))
    assert "customerChanged" in stored["graphiql:queries"]  # the history kept both runs,
    assert KEY not in json.dumps(stored)  # but not their headers
    sockets = [e["url"] for e in tools.named("Network.webSocketCreated")]
    assert sockets, "the subscription opened no websocket"
    assert set(sockets) == {server.url.replace("http:", "ws:") + "/graphql"}
    requested = [e["request"]["url"] for e in tools.named("Network.requestWillBeSent")]
    outside = [u for u in requested if not u.startswith((server.url, "data:"))]
    assert requested, "the browser made no request"
    assert outside == [], outside
    failed = tools.named("Network.loadingFailed")
    assert failed == [], failed
    assert tools.named("Runtime.exceptionThrown") == []
    errors = [e for e in tools.named("Log.entryAdded") if e["entry"]["level"] == "error"]
    errors += [e for e in tools.named("Runtime.consoleAPICalled") if e["type"] == "error"]
    assert errors == [], errors
