"""The GraphQL endpoint over real HTTP: the customer view, search, at-risk lists, precise
errors, limits refused before any store call, and the committed SDL kept current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import AuthSettings
from api.graphql.app import build_schema
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from tests.conftest import LiveServer
from tests.identity.test_resolve import TODAY, _customer_of, _load
from tests.support.paths import DOCS

SDL = DOCS / "schema.graphql"


def served(tmp: Path) -> LiveServer:
    """The test graph (resolved sample records, a household, a catalogue, Ann's sensitive
    profiles, a campaign) behind a live server whose store counts its calls."""
    store = EmbeddedStore(tmp / "kb.sqlite")
    store.apply_schema()
    _load(store, tmp)
    resolve_store(store, TODAY)
    ann = _customer_of(store, "billing:B1")
    bob = _customer_of(store, "billing:B2")
    _extras(store, ann, bob)
    store.close()
    counting = CountingStore(EmbeddedStore(tmp / "kb.sqlite"))
    live = LiveServer(
        create_app(lambda: counting, IngestSettings(rejects_dir=tmp / "rejects"), AUTH)
    )
    live.ann = ann  # type: ignore[attr-defined]
    live.bob = bob  # type: ignore[attr-defined]
    live.store = counting  # type: ignore[attr-defined]
    return live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with served(tmp_path_factory.mktemp("graphql")) as live:
        yield live


AUTH = AuthSettings.from_env(
    {
        "CKB_API_KEYS": "ana:analyst:k-analyst,agnes:agent:k-agent,lou:loader:k-loader,"
        "adam:admin:k-admin",
        "CKB_JWT_SECRET": "jwt-secret-for-tests-only-0123456789",
    }
)


def _extras(store: GraphStore, ann: str, bob: str) -> None:
    """A household, a small catalogue with holdings, and Ann's sensitive profiles."""
    store.upsert_nodes("Household", [{"id": "HH1"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow(ann, "HH1"), RelRow(bob, "HH1")]
    )
    store.upsert_nodes("ProductLine", [{"id": "mobile", "name": "Mobile"}])
    store.upsert_nodes("Product", [{"id": "MOB-10", "name": "Mobile 10 GB"}])
    store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("MOB-10", "mobile")])
    customers = store.keys_page("Customer", limit=1000)
    holdings = [
        {"id": f"A-{c}", "status": "active", "monthly_value": 10.0 + i}
        for i, c in enumerate(customers)
    ]
    store.upsert_nodes("Holding", holdings)
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(c, f"A-{c}", {"role": "primary"}) for c in customers],
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow(f"A-{c}", "MOB-10") for c in customers]
    )
    store.upsert_nodes("Customer", [{"id": ann, "national_id": "AB123456C"}])
    store.upsert_nodes("CreditProfile", [{"id": "cr-ann", "score": 720, "rating": "AA"}])
    store.upsert_relationships(
        "HAS_CREDIT_PROFILE", "Customer", "CreditProfile", [RelRow(ann, "cr-ann")]
    )
    store.upsert_nodes(
        "ThirdPartyProfile",
        [{"id": "tp-ann", "provider": "acme", "income_band": "75-100k"},
         {"id": "tp-bob", "provider": "acme", "income_band": "<25k"}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAS_THIRD_PARTY_PROFILE", "Customer", "ThirdPartyProfile",
        [RelRow(ann, "tp-ann"), RelRow(bob, "tp-bob")],
    )  # fmt: skip
    store.upsert_nodes(
        "Consent",
        [{"id": "c-ann", "purpose": "third_party_data", "channel": "any", "granted": True}],
    )
    store.upsert_relationships("HAS_CONSENT", "Customer", "Consent", [RelRow(ann, "c-ann")])
    store.upsert_nodes("Campaign", [{"id": "spring", "name": "Spring offer", "channel": "email"}])
    store.upsert_nodes(
        "Touchpoint",
        [{"id": "cc-ann", "kind": "campaign_contact", "channel": "email",
          "occurred_at": "2026-03-01T09:00:00Z"},
         {"id": "cc-bob", "kind": "campaign_contact", "channel": "email",
          "occurred_at": "2026-03-01T09:00:00Z"}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow(ann, "cc-ann"), RelRow(bob, "cc-bob")]
    )
    store.upsert_relationships(
        "PART_OF",
        "Touchpoint",
        "Campaign",
        [RelRow("cc-ann", "spring"), RelRow("cc-bob", "spring")],
    )
    store.upsert_relationships(
        "RESPONDED_TO", "Touchpoint", "Campaign", [RelRow("cc-ann", "spring", {"converted": True})]
    )


class CountingStore:
    """The embedded store, counting the calls the API makes to it."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self.calls: list[str] = []
        self.broken: set[str] = set()  # methods that fail, to see how errors reach clients

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found) or name.startswith("_"):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self.broken:
                raise RuntimeError(f"secret internal detail in {name}")
            return found(*args, **kwargs)

        return counted


def _post(
    server: Any, query: str, key: str | None = "k-analyst", **variables: Any
) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


def test_customer_view_in_one_request(server: Any) -> None:
    query = """
    query ($id: ID!) {
      customer(id: $id) {
        id name email
        sources { system recordId rule }
        touchpoints(first: 5) { id kind channel }
        value { totalMonthlyValue linesHeld }
        churnRisk(asOf: "2026-11-01") { score lapsed signals { name evidence } }
        nextBestProducts(first: 2) { line evidence }
      }
    }"""
    r = _post(server, query, id=server.ann)
    assert r.status_code == 200
    body = r.json()
    assert "errors" not in body
    customer = body["data"]["customer"]
    assert customer["name"] == "Ann Lee"
    assert sorted(s["system"] for s in customer["sources"]) == ["billing", "callcenter", "webshop"]
    assert [t["id"] for t in customer["touchpoints"]] == ["T1", "cc-ann"]  # newest first
    assert customer["churnRisk"]["lapsed"] is False
    missing = _post(server, '{ customer(id: "nobody") { id } }')
    assert missing.json()["data"] == {"customer": None}


def test_household(server: Any) -> None:
    r = _post(
        server,
        '{ household(id: "HH1") { id members { name } value { linesHeld } whiteSpace { line } } }',
    )
    household = r.json()["data"]["household"]
    assert sorted(m["name"] for m in household["members"]) == ["Ann Lee", "Bob Stone"]
    assert household["value"] == {"linesHeld": 1}
    assert household["whiteSpace"] == []  # no co-ownership rules in this graph
    r = _post(server, '{ household(id: "nope") { id } }')
    assert r.json()["data"] == {"household": None}


def test_customer_network(server: Any) -> None:
    query = """
    query ($id: ID!) {
      customer(id: $id) {
        network(hops: 2, first: 5) {
          customers households relationships communities
          members { customerId distance links betweenness community referred referralReach }
        }
      }
    }"""
    network = _post(server, query, id=server.ann).json()["data"]["customer"]["network"]
    # Ann and Bob share HH1: the household lies between them, neither between anyone.
    assert network == {
        "customers": 2, "households": 1, "relationships": 2, "communities": 1,
        "members": [
            {"customerId": server.ann, "distance": 0, "links": 1, "betweenness": 0.0,
             "community": 1, "referred": 0, "referralReach": 0},
            {"customerId": server.bob, "distance": 2, "links": 1, "betweenness": 0.0,
             "community": 1, "referred": 0, "referralReach": 0},
        ],
    }  # fmt: skip
    too_far = "query ($id: ID!) { customer(id: $id) { network(hops: 9) { customers } } }"
    error = _post(server, too_far, id=server.ann).json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "hops must be between 1 and 6" in error["message"]


def test_search_and_at_risk(server: Any) -> None:
    r = _post(
        server,
        '{ searchCustomers(text: "anne lee", first: 3) { customerId matchedOn similarity } }',
    )
    hits = r.json()["data"]["searchCustomers"]
    assert hits[0]["customerId"] == server.ann
    assert "similar_name" in hits[0]["matchedOn"]
    r = _post(
        server, '{ atRisk(tier: "bronze", minScore: 0.0, first: 5) { customerId churnScore } }'
    )
    assert r.status_code == 200
    assert "errors" not in r.json()


def test_review_queue_and_data_quality(server: Any) -> None:
    r = _post(
        server,
        "{ reviewQueue(first: 5) { id weight reason records names "
        "evidence { field level weight } } }",
    )
    [item] = r.json()["data"]["reviewQueue"]
    assert item["records"] == ["callcenter:C2", "webshop:W2"]
    assert item["reason"] == "similar names, rarely this alike by chance"
    assert {e["field"]: e["level"] for e in item["evidence"]}["name"] == "similar"
    r = _post(server, "{ dataQuality }")
    quality = r.json()["data"]["dataQuality"]
    assert quality["systems"]["billing"]["records"] == 3
    r = _post(server, "{ reviewQueue(first: 0) { id } }")
    assert r.json()["errors"][0]["message"] == (
        "Query.reviewQueue: first must be between 1 and 500, got 0"
    )


def test_bad_parameters_get_a_precise_error_not_a_trace(server: Any) -> None:
    r = _post(server, '{ atRisk(tier: "gold", first: 5000) { customerId } }')
    [error] = r.json()["errors"]
    assert error["message"] == "Query.atRisk: first must be between 1 and 500, got 5000"
    assert "Traceback" not in r.text
    r = _post(server, "{ customer(id: 1) { nope } }")
    assert "Cannot query field 'nope' on type 'Customer'" in r.json()["errors"][0]["message"]


def test_limits_refuse_before_any_store_call(server: Any) -> None:
    # No context at all: a resolver reaching for the store would fail, not answer.
    deep = '{ customer(id: "x") { pathTo(customerId: "y") { paths { steps { id } } } } }'
    result = build_schema(max_depth=3).execute_sync(deep, context_value={})
    assert result.errors
    assert "exceeds maximum operation depth of 3" in result.errors[0].message
    aliases = (
        "{ " + " ".join(f'a{i}: searchCustomers(text: "x") {{ name }}' for i in range(20)) + " }"
    )
    r = _post(server, aliases)
    assert "aliases found" in r.json()["errors"][0]["message"]


def test_committed_sdl_is_current() -> None:
    assert SDL.read_text(encoding="utf-8") == build_schema().as_str() + "\n", (
        "docs/schema.graphql is stale: regenerate it from api/graphql/schema.py"
    )


def test_a_repeated_operation_is_validated_once() -> None:
    from strawberry.extensions.validation_cache import _get_validate_cache

    schema = build_schema()
    cache = _get_validate_cache(256)
    query = "{ __typename }"
    schema.execute_sync(query, context_value={})
    hits = cache.cache_info().hits
    for _ in range(3):
        assert schema.execute_sync(query, context_value={}).errors is None
    assert cache.cache_info().hits == hits + 3
