"""The GraphQL API's production behaviour over real HTTP: roles and sensitive fields, no
N+1 on pages, cursors, filters and aggregates, limits refused before any store call,
GraphQL over HTTP and persisted queries."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from tests.support.graphql_client import data_of, post_graphql
from tests.support.graphql_documents import RECORD_TOUCHPOINT

PAGE = """
query ($first: Int!) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name household { customerId } holdings { accountId line }
                          value { totalMonthlyValue } } }
  }
}"""


# ----------------------------------------------------------------------------- auth


def test_roles_decide_what_resolves(server: Any) -> None:
    query = "query ($id: ID!) { customer(id: $id) { name nationalId creditProfile { score } } }"
    anonymous = post_graphql(server, query, key=None, id=server.ann).json()
    assert anonymous["data"] == {"customer": None}
    assert anonymous["errors"][0]["message"] == (
        "Query.customer needs authentication: send Authorization: Bearer <API key or JWT>"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    agent = post_graphql(server, query, key="k-agent", id=server.ann).json()
    assert agent["data"]["customer"] == {
        "name": "Ann Lee",
        "nationalId": None,
        "creditProfile": None,
    }
    assert {e["message"] for e in agent["errors"]} == {
        "Customer.nationalId needs role admin; you have agent",
        "Customer.creditProfile needs role admin or analyst; you have agent",
    }
    analyst = post_graphql(server, query, key="k-analyst", id=server.ann).json()
    assert analyst["data"]["customer"]["creditProfile"] == {"score": 720}
    assert [e["path"] for e in analyst["errors"]] == [["customer", "nationalId"]]
    admin = post_graphql(server, query, key="k-admin", id=server.ann).json()
    assert "errors" not in admin
    assert admin["data"]["customer"]["nationalId"] == "AB123456C"

    loader = post_graphql(server, query, key="k-loader", id=server.ann).json()
    assert loader["errors"][0]["message"] == (
        "Query.customer needs role admin or agent or analyst; you have loader"
    )


def test_third_party_data_only_where_consent_allows(server: Any) -> None:
    query = """query ($a: ID!, $b: ID!) {
      a: customer(id: $a) { demographics { incomeBand } }
      b: customer(id: $b) { demographics { incomeBand } } }"""
    data = data_of(post_graphql(server, query, a=server.ann, b=server.bob))
    assert data["a"]["demographics"] == {"incomeBand": "75-100k"}  # consent on record
    assert data["b"]["demographics"] is None  # a profile exists, consent does not


def test_bad_credentials_are_refused_with_401(server: Any) -> None:
    r = post_graphql(server, "{ customers(first: 1) { totalCount } }", key="not-a-key")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_jwt_bearer_tokens_carry_roles(server: Any) -> None:
    secret = "jwt-secret-for-tests-only-0123456789"
    exp = datetime.now(UTC) + timedelta(minutes=5)
    token = jwt.encode({"sub": "desk-7", "roles": ["agent"], "exp": exp}, secret, "HS256")
    r = post_graphql(server, "{ customers(first: 1) { totalCount } }", key=token)
    assert data_of(r)["customers"]["totalCount"] == 85
    expired = jwt.encode(
        {"sub": "desk-7", "roles": ["agent"], "exp": datetime.now(UTC) - timedelta(minutes=1)},
        secret,
        "HS256",
    )
    r = post_graphql(server, "{ customers(first: 1) { totalCount } }", key=expired)
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == "the token has expired"
    forged = jwt.encode(
        {"sub": "x", "roles": ["admin"], "exp": exp}, "another-secret-0123456789abcdef-xyz", "HS256"
    )
    assert (
        post_graphql(server, "{ customers(first: 1) { totalCount } }", key=forged).status_code
        == 401
    )


# ----------------------------------------------------------------------------- N+1


def _calls(server: Any, query: str, **variables: Any) -> tuple[Any, list[str]]:
    server.store.calls.clear()
    data = data_of(post_graphql(server, query, **variables))
    return data, list(server.store.calls)


def test_a_page_costs_the_same_store_calls_whatever_its_size(server: Any) -> None:
    small, small_calls = _calls(server, PAGE, first=2)
    big, big_calls = _calls(server, PAGE, first=50)
    assert len(small["customers"]["edges"]) == 2
    assert len(big["customers"]["edges"]) == 50
    assert sorted(small_calls) == sorted(big_calls)
    assert len(big_calls) <= 15, big_calls
    node = next(e["node"] for e in big["customers"]["edges"] if e["node"]["id"] == server.ann)
    assert node["holdings"][0]["line"] == "mobile"
    assert {m["customerId"] for m in node["household"]} == {server.ann, server.bob}
    assert node["value"]["totalMonthlyValue"] > 10


def test_pages_follow_cursors_to_the_end(server: Any) -> None:
    seen: list[str] = []
    after = None
    while True:
        query = """query ($after: String) { customers(first: 40, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
        page = data_of(post_graphql(server, query, after=after))["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 85
    assert seen == sorted(seen)


def test_where_order_by_and_aggregates(server: Any) -> None:
    query = """query ($where: CustomerWhere, $order: [CustomerOrder!], $first: Int! = 5) {
      customers(where: $where, orderBy: $order, first: $first) {
        totalCount edges { node { id name value { totalMonthlyValue } } } } }"""
    complained = {
        "touchpoints": {"some": {"kind": {"eq": "complaint"}, "occurredAt": {"gte": "2026-09-01"}}}
    }
    page = data_of(post_graphql(server, query, where=complained))["customers"]
    assert [e["node"]["id"] for e in page["edges"]] == [server.ann]
    no_mobile = {"AND": [complained, {"holdings": {"none": {"line": {"eq": "mobile"}}}}]}
    assert data_of(post_graphql(server, query, where=no_mobile))["customers"]["totalCount"] == 0
    by_value = [{"field": "TOTAL_VALUE", "direction": "DESC"}]
    richest = data_of(post_graphql(server, query, order=by_value))["customers"]
    values = [e["node"]["value"]["totalMonthlyValue"] for e in richest["edges"]]
    assert values == sorted(values, reverse=True)
    assert values[0] == 10.0 + 84  # the last of 85 customers holds the largest account
    either = {"OR": [{"name": {"startsWith": "Ann"}}, {"NOT": {"name": {"contains": "e"}}}]}
    found = data_of(post_graphql(server, query, where=either, first=100))["customers"]["edges"]
    names = [e["node"]["name"] for e in found]
    assert "Ann Lee" in names
    assert all(n.startswith("Ann") or "e" not in n for n in names)
    totals = """query ($where: CustomerWhere) { customersAggregate(where: $where) {
        count totalMonthlyValue { count sum avg min max } byLine { line customers holdings } } }"""
    everyone = data_of(post_graphql(server, totals))["customersAggregate"]
    assert everyone["count"] == 85
    assert everyone["totalMonthlyValue"]["min"] == 10.0
    assert everyone["totalMonthlyValue"]["max"] == 94.0
    assert everyone["byLine"] == [{"line": "mobile", "customers": 85, "holdings": 85}]
    bad = post_graphql(server, query, where={"lifetimeValue": {"gt": "lots"}}).json()
    assert "Float cannot represent non numeric value: 'lots'" in bad["errors"][0]["message"]


def test_touchpoints_page_by_cursor(server: Any) -> None:
    query = """query ($id: ID!, $after: String) { customer(id: $id) {
        touchpoints(first: 1, after: $after) { id cursor } } }"""
    first = data_of(post_graphql(server, "{ customers(first: 1) { edges { node { id } } } }"))
    someone = first["customers"]["edges"][0]["node"]["id"]
    for n, moment in enumerate(("2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z") * 2):
        visit = {"customerId": someone, "channel": "store", "kind": "visit", "occurredAt": moment}
        data_of(
            post_graphql(server, RECORD_TOUCHPOINT, key="k-agent", input=visit, idem=f"visit-{n}")
        )
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = data_of(post_graphql(server, query, id=someone, after=after))["customer"][
            "touchpoints"
        ]
        if not page:
            break
        seen.append(page[0]["id"])
        after = page[0]["cursor"]
    every = data_of(post_graphql(server, query.replace("first: 1", "first: 50"), id=someone))
    assert len(seen) == 4
    assert seen == [t["id"] for t in every["customer"]["touchpoints"]]
    bad = post_graphql(server, query, id=server.bob, after="nonsense").json()
    assert bad["errors"][0]["message"] == "not a touchpoint cursor: 'nonsense'"


# ----------------------------------------------------------------------------- limits


def test_limits_are_refused_before_any_store_call(server: Any) -> None:
    over_page = "{ customers(first: 1000) { totalCount } }"
    costly = (
        "{ customers(first: 100) { edges { node { "
        "touchpoints(first: 500) { id kind channel reason outcome } } } } }"
    )
    for query, message, code in (
        (over_page, "Query.customers: first must be between 1 and 100, got 1000", "BAD_USER_INPUT"),
        (costly, "the query would cost", "QUERY_TOO_COSTLY"),
    ):
        server.store.calls.clear()
        r = post_graphql(server, query)
        assert message in r.json()["errors"][0]["message"]
        assert r.json()["errors"][0]["extensions"]["code"] == code
        assert server.store.calls == []
    deep_fragments = """
    query { customer(id: "x") { ...A } }
    fragment A on Customer { household { customerId } a1: name a2: name a3: name a4: name
      a5: name a6: name a7: name a8: name a9: name a10: name a11: name a12: name a13: name
      a14: name a15: name a16: name }"""
    r = post_graphql(server, deep_fragments)
    assert "aliases found" in r.json()["errors"][0]["message"]


def test_an_agent_desktop_list_of_50_customers_is_allowed(server: Any) -> None:
    # The agent list docs/api.md costs (2,002): holdings, household and value for 50.
    query = """{ customers(first: 50) { edges { node {
      id name valueTier holdings { productName monthlyValue } household { customerId name }
      value { totalMonthlyValue } } } } }"""
    data = data_of(post_graphql(server, query, key="k-agent"))
    assert data["customers"]["edges"]


def test_internal_errors_are_masked_with_a_request_id(server: Any) -> None:
    server.store.broken.add("get_nodes")
    try:
        r = post_graphql(server, "{ customers(first: 2) { edges { node { name } } } }")
    finally:
        server.store.broken.clear()
    [error] = r.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert len(error["extensions"]["requestId"]) >= 16
    assert "secret" not in r.text
    assert "Traceback" not in r.text


# ----------------------------------------------------------------------------- protocol


def test_graphql_over_http_media_types_and_status_codes(server: Any) -> None:
    url = f"{server.url}/graphql"
    auth = {"authorization": "Bearer k-analyst"}
    strict = {**auth, "accept": "application/graphql-response+json"}
    bad = {"query": "{ customers(first: 1) { nope } }"}
    r = httpx.post(url, json=bad, headers=strict)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in r.json()
    r = httpx.post(url, json=bad, headers=auth)
    assert r.status_code == 200
    ok = httpx.post(url, json={"query": "{ customers(first: 1) { totalCount } }"}, headers=strict)
    assert ok.status_code == 200
    assert ok.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(url, params={"query": "{ customers(first: 1) { totalCount } }"}, headers=auth)
    assert r.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(
        url,
        params={"query": 'mutation { eraseCustomer(customerId: "x") { customerId } }'},
        headers=auth,
    )
    assert r.status_code == 405
    r = httpx.post(url, content=b"{not json", headers={**auth, "content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "Unable to parse request body as JSON"


def test_automatic_persisted_queries(server: Any) -> None:
    url = f"{server.url}/graphql"
    auth = {"authorization": "Bearer k-analyst"}
    query = "{ customers(first: 3) { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    r = httpx.get(url, params={"extensions": ext}, headers=auth)
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    r = httpx.post(url, json={"query": query, "extensions": json.loads(ext)}, headers=auth)
    assert r.json()["data"]["customers"]["totalCount"] == 85
    r = httpx.get(url, params={"extensions": ext}, headers=auth)  # now by hash alone
    assert r.json()["data"]["customers"]["totalCount"] == 85
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    r = httpx.post(url, json={"query": query, "extensions": wrong}, headers=auth)
    assert r.json()["errors"][0]["message"] == "provided sha256Hash does not match query"
