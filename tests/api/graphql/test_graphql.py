"""The GraphQL endpoint over real HTTP: the customer view, search, at-risk lists, precise
errors, limits refused before any store call, and the committed SDL kept current."""

from __future__ import annotations

from typing import Any

from api.graphql.app import build_schema
from tests.support.graphql_client import post_graphql
from tests.support.paths import DOCS

SDL = DOCS / "schema.graphql"


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
    r = post_graphql(server, query, id=server.ann)
    assert r.status_code == 200
    body = r.json()
    assert "errors" not in body
    customer = body["data"]["customer"]
    assert customer["name"] == "Ann Lee"
    assert sorted(s["system"] for s in customer["sources"]) == ["billing", "callcenter", "webshop"]
    assert [t["id"] for t in customer["touchpoints"]] == ["T1", "cc-ann"]  # newest first
    assert customer["churnRisk"]["lapsed"] is False
    missing = post_graphql(server, '{ customer(id: "nobody") { id } }')
    assert missing.json()["data"] == {"customer": None}


def test_household(server: Any) -> None:
    r = post_graphql(
        server,
        '{ household(id: "HH1") { id members { name } value { linesHeld } whiteSpace { line } } }',
    )
    household = r.json()["data"]["household"]
    assert sorted(m["name"] for m in household["members"]) == ["Ann Lee", "Bob Stone"]
    assert household["value"] == {"linesHeld": 1}
    assert household["whiteSpace"] == []  # no co-ownership rules in this graph
    r = post_graphql(server, '{ household(id: "nope") { id } }')
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
    network = post_graphql(server, query, id=server.ann).json()["data"]["customer"]["network"]
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
    error = post_graphql(server, too_far, id=server.ann).json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "hops must be between 1 and 6" in error["message"]


def test_search_and_at_risk(server: Any) -> None:
    r = post_graphql(
        server,
        '{ searchCustomers(text: "anne lee", first: 3) { customerId matchedOn similarity } }',
    )
    hits = r.json()["data"]["searchCustomers"]
    assert hits[0]["customerId"] == server.ann
    assert "similar_name" in hits[0]["matchedOn"]
    r = post_graphql(
        server, '{ atRisk(tier: "bronze", minScore: 0.0, first: 5) { customerId churnScore } }'
    )
    assert r.status_code == 200
    assert "errors" not in r.json()


def test_review_queue_and_data_quality(server: Any) -> None:
    r = post_graphql(
        server,
        "{ reviewQueue(first: 5) { id weight reason records names "
        "evidence { field level weight } } }",
    )
    [item] = r.json()["data"]["reviewQueue"]
    assert item["records"] == ["callcenter:C2", "webshop:W2"]
    assert item["reason"] == "similar names, rarely this alike by chance"
    assert {e["field"]: e["level"] for e in item["evidence"]}["name"] == "similar"
    r = post_graphql(server, "{ dataQuality }")
    quality = r.json()["data"]["dataQuality"]
    assert quality["systems"]["billing"]["records"] == 3
    r = post_graphql(server, "{ reviewQueue(first: 0) { id } }")
    assert r.json()["errors"][0]["message"] == (
        "Query.reviewQueue: first must be between 1 and 500, got 0"
    )


def test_bad_parameters_get_a_precise_error_not_a_trace(server: Any) -> None:
    r = post_graphql(server, '{ atRisk(tier: "gold", first: 5000) { customerId } }')
    [error] = r.json()["errors"]
    assert error["message"] == "Query.atRisk: first must be between 1 and 500, got 5000"
    assert "Traceback" not in r.text
    r = post_graphql(server, "{ customer(id: 1) { nope } }")
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
    r = post_graphql(server, aliases)
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
