"""The agent's screen's server side: the page at ``/`` and its files under ``/agent/``, all
from the package (no CDN), behind a strict Content-Security-Policy; the vendored graph
library matches its manifest; the phone spellings the screen pop relies on; and the
``resolveComplaint`` mutation its Resolve button sends."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import AuthSettings
from api.http.agent_page import AgentPage, AgentPageError
from api.http.app import create_app
from graph.embedded import EmbeddedStore
from graph.store import RelRow
from queries.engine import run_query
from queries.search_customers import phone_spellings
from tests.support.paths import REPO
from tests.support.serve import LiveServer

STATIC = REPO / "api" / "static" / "agent"
AGENT, ANALYST = "k-agent", "k-analyst"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    """A small store: one customer with an open complaint, behind a live server."""
    path = tmp_path / "kb.sqlite"
    store = EmbeddedStore(path)
    store.apply_schema()
    store.upsert_nodes(
        "Customer",
        [{"id": "C-ANN", "name": "Ann Lee", "phone": "+8613800138000", "email": "ann@example.com"}],
    )
    store.upsert_nodes(
        "Touchpoint",
        [
            {"id": "tp-1", "kind": "complaint", "channel": "call_center", "reason": "fees",
             "resolution_status": "open", "occurred_at": "2026-01-05T10:00:00Z"},
            {"id": "tp-2", "kind": "inquiry", "channel": "call_center", "reason": "plan",
             "resolution_status": "resolved", "occurred_at": "2026-01-06T10:00:00Z"},
        ],
    )  # fmt: skip
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("C-ANN", "tp-1"), RelRow("C-ANN", "tp-2")],
    )
    store.close()
    auth = AuthSettings.from_env({"CKB_API_KEYS": f"desk:agent:{AGENT},an:analyst:{ANALYST}"})
    with LiveServer(create_app(lambda: EmbeddedStore(path), auth_settings=auth)) as server:
        yield server


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attr in ("src", "href"):
            if named.get(attr):
                self.urls.append(named[attr] or "")


def test_the_page_is_served_at_the_root_with_a_strict_policy(live: LiveServer) -> None:
    page = httpx.get(f"{live.url}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    for rule in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
    ):
        assert rule in policy
    assert "unsafe" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert re.search(r"https?:|//[a-z]", page.text) is None, "the page names an outside address"
    found = _References()
    found.feed(page.text)
    files = [u for u in found.urls if not u.startswith("data:")]
    assert sorted(u.split("?")[0] for u in files) == ["/agent/agent.css", "/agent/app.js"]
    for ref in files:
        asset = httpx.get(f"{live.url}{ref}", timeout=10)
        assert asset.status_code == 200, ref
        name = ref.split("?")[0].removeprefix("/agent/")
        assert asset.content == (STATIC / name).read_bytes()
        assert ref.endswith(hashlib.sha256(asset.content).hexdigest()[:16])


def test_every_module_the_page_imports_is_served_from_the_package(live: LiveServer) -> None:
    imports = re.compile(r"""^\s*import\b[^'"]*['"]([^'"]+)['"]""", re.MULTILINE)
    seen: set[str] = set()
    todo = ["app.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        answer = httpx.get(f"{live.url}/agent/{name}", headers={"accept-encoding": "gzip"})
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith("text/javascript"), name
        assert answer.headers["cache-control"] == "no-cache"
        text = answer.text
        if name.startswith("vendor/"):
            continue
        assert re.search(r"https?://", text) is None, f"{name} names an outside address"
        for target in imports.findall(text):
            assert target.startswith("./"), f"{name} imports {target} (a bare or outside name)"
            todo.append(str(Path(name).parent / target[2:]).removeprefix("./"))
    assert {
        "app.js",
        "graphql.js",
        "view.js",
        "neighborhood.js",
        "vendor/cytoscape.esm.min.mjs",
    } <= seen


def test_files_revalidate_and_unknown_names_are_not_found(live: LiveServer) -> None:
    first = httpx.get(f"{live.url}/agent/agent.css", timeout=10)
    again = httpx.get(
        f"{live.url}/agent/agent.css", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    for name in ("../graphql_app.py", "README.md", "nothing.js", "vendor/manifest.jsonx"):
        assert httpx.get(f"{live.url}/agent/{name}", timeout=10).status_code == 404, name


def test_the_vendored_graph_library_matches_its_manifest() -> None:
    vendor = STATIC / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text())
    assert set(manifest["files"]) == {"cytoscape.esm.min.mjs"}
    for name, entry in manifest["files"].items():
        body = (vendor / name).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert len(body) == entry["bytes"]
    for package in manifest["packages"].values():
        assert "MIT" in (vendor / package["license"]).read_text()
    lock = json.loads((REPO / "tools" / "web-assets" / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/cytoscape"]["version"]
    assert manifest["packages"]["cytoscape"]["version"] == pinned


def test_a_package_without_the_page_stops_the_server(tmp_path: Path) -> None:
    from importlib.resources.abc import Traversable

    (tmp_path / "agent.css").write_text("")
    root: Traversable = tmp_path  # type: ignore[assignment]
    with pytest.raises(AgentPageError, match=r"app\.js is missing"):
        AgentPage(root)


@pytest.mark.parametrize(
    "typed",
    ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "8613800138000", "(138) 0013 8000"],
)
def test_a_phone_in_any_common_spelling_finds_the_caller(tmp_path: Path, typed: str) -> None:
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    store.apply_schema()
    store.upsert_nodes("Customer", [{"id": "C-ANN", "name": "Ann", "phone": "+8613800138000"}])
    hits = run_query(store, "search_customers", text=typed, first=5)
    assert [(h.customer_id, h.matched_on) for h in hits] == [("C-ANN", ("phone",))]
    store.close()


def test_phone_spellings_read_like_the_loaders(monkeypatch: pytest.MonkeyPatch) -> None:
    assert phone_spellings("+1 617 555 0123") == ["+16175550123"]  # a country code: one
    assert "+16175550123" in phone_spellings("(617) 555-0123")
    # A number the loaders kept (possible, not assigned: 154 is no Chinese mobile prefix).
    assert "+8615415288973" in phone_spellings("154 1528 8973")
    monkeypatch.setenv("CKB_PHONE_REGIONS", "DE")
    assert phone_spellings("030 1234567") == ["+49301234567"]
    for not_a_phone in ("wang wei", "12345", "C04AC758399F19413", "ann@example.com", ""):
        assert phone_spellings(not_a_phone) == [], not_a_phone


def _ask(live: LiveServer, key: str, query: str, **variables: Any) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.post(
        f"{live.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {key}"},
        timeout=10,
    ).json()
    return answer


RESOLVE = """mutation ($id: ID!, $outcome: String) {
  resolveComplaint(touchpointId: $id, outcome: $outcome) { accepted customerId recordId }
}"""
TOUCHPOINTS = '{ customer(id: "C-ANN") { touchpoints { id resolutionStatus outcome } } }'


def test_an_agent_resolves_an_open_complaint_once(live: LiveServer) -> None:
    refused = _ask(live, ANALYST, RESOLVE, id="tp-1", outcome="refunded")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = _ask(live, AGENT, RESOLVE, id="tp-1", outcome="refunded")
    assert done["data"]["resolveComplaint"] == {
        "accepted": True, "customerId": "C-ANN", "recordId": "tp-1",
    }  # fmt: skip
    shown = _ask(live, AGENT, TOUCHPOINTS)["data"]["customer"]["touchpoints"]
    assert {"id": "tp-1", "resolutionStatus": "resolved", "outcome": "refunded"} in shown
    again = _ask(live, AGENT, RESOLVE, id="tp-1")
    assert again["errors"][0]["message"] == "complaint 'tp-1' is not open"
    assert again["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for other in ("tp-2", "tp-none"):
        wrong = _ask(live, AGENT, RESOLVE, id=other)
        assert wrong["errors"][0]["message"] == f"no complaint '{other}'"
