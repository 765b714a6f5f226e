"""The query cost model (api/graphql/limits.py) computes the figures docs/api.md documents.

Each worked example in the doc's Limits section is costed here against the real schema,
its figure asserted and looked up in the doc, and its answer (allowed or refused with
``QUERY_TOO_COSTLY``) checked through the schema's extensions — a refused request stops
before any resolver runs.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from api.graphql.app import build_schema
from api.graphql.limits import MAX_COST, TOO_COSTLY, LimitError, request_cost
from tests.support.graphql_documents import CUSTOMER_PAGE as EVERY_FIELD
from tests.support.graphql_documents import HOUSEHOLD
from tests.support.paths import DOCS

DOC = DOCS / "api.md"
SCHEMA = build_schema()

AGENT_LIST = """{
  customers(first: 50) {
    edges {
      node {
        id name valueTier
        holdings { productName monthlyValue }
        household { customerId name }
        value { totalMonthlyValue }
      }
    }
  }
}"""
ONE_FIELD_EACH = """{ customers(first: 50) { edges { node {
  holdings { line } household { name } value { totalMonthlyValue } } } } }"""
HUGE = """{ customers(first: 100) { edges { node {
  touchpoints(first: 200) { id kind channel reason outcome } } } } }"""


def cost(query: str, **variables: Any) -> int:
    document = parse(query)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return request_cost(SCHEMA._schema, operation, fragments, variables)


def refused_for_cost(query: str, **variables: Any) -> bool:
    result = SCHEMA.execute_sync(query, variable_values=variables)
    codes = [(e.extensions or {}).get("code") for e in result.errors or ()]
    return codes == [TOO_COSTLY]


def limits_section() -> str:
    text = DOC.read_text()
    return text[text.index("## Limits") : text.index("**Request bodies**")]


@pytest.mark.parametrize(
    ("query", "variables", "figure", "allowed"),
    [
        (AGENT_LIST, {}, 2_002, True),
        (ONE_FIELD_EACH, {}, 1_052, True),
        (EVERY_FIELD, {"first": 100}, 45_502, False),
        (EVERY_FIELD, {"first": 50}, 22_752, True),
        (HUGE, {}, 100_202, False),
    ],
    ids=["agent-list", "one-field-each", "every-field-100", "every-field-50", "huge"],
)
def test_each_documented_example_costs_its_documented_figure(
    query: str, variables: dict[str, Any], figure: int, allowed: bool
) -> None:
    assert cost(query, **variables) == figure
    assert f"{figure:,}" in limits_section()
    assert (figure <= MAX_COST) is allowed
    if not allowed:
        assert refused_for_cost(query, **variables)


def test_the_documented_agent_list_is_the_one_costed() -> None:
    [block] = re.findall(r"```graphql\n(.*?)```", limits_section(), re.S)
    assert block.strip() == AGENT_LIST
    assert "= 2 + 50 × 40 = 2,002" in limits_section()


def test_a_page_is_counted_once_not_again_for_its_edges() -> None:
    # The connection passes first to its edges; each edge has one node.
    for first in (1, 10, 100):
        q = f"{{ customers(first: {first}) {{ edges {{ node {{ id }} }} }} }}"
        assert cost(q) == 2 + first * 2
    assert cost("{ customers(first: 7) { totalCount pageInfo { hasNextPage } } }") == 4
    # The default page (20) when first is not given.
    assert cost("{ customers { edges { cursor } } }") == 2 + 20
    # A variable's value counts as the literal would.
    by_variable = "query ($n: Int!) { customers(first: $n) { edges { node { id } } } }"
    assert cost(by_variable, n=30) == cost("{ customers(first: 30) { edges { node { id } } } }")


def test_lists_without_first_count_their_expected_size() -> None:
    one = 'query { customer(id: "x") { holdings { line } household { name } consents { id } } }'
    assert cost(one) == 1 + (1 + 10) + (1 + 6) + (1 + 10)
    # A list of scalars is one field.
    assert cost('{ customer(id: "x") { churnSignals } }') == 2
    # Household members: 6 each, their own lists under them.
    assert cost('{ household(id: "h") { members { id holdings { line } } } }') == 1 + 1 + 6 * 12
    assert cost(HOUSEHOLD, id="h") <= MAX_COST


def test_fragments_and_inline_fragments_cost_what_they_select() -> None:
    spread = """{ customers(first: 50) { ...Page } }
      fragment Page on CustomerConnection { edges { node { ...Row } } }
      fragment Row on Customer { id name valueTier holdings { productName monthlyValue }
        household { customerId name } value { totalMonthlyValue } }"""
    assert cost(spread) == cost(AGENT_LIST)
    inline = "{ customers(first: 50) { ... on CustomerConnection { edges { node { id } } } } }"
    assert cost(inline) == 2 + 50 * 2


def test_a_page_out_of_bounds_is_refused_before_its_cost() -> None:
    with pytest.raises(LimitError, match=r"Query\.customers: first must be between 1 and 100"):
        cost("{ customers(first: 500) { edges { node { touchpoints(first: 200) { id } } } } }")
    with pytest.raises(LimitError, match=r"Customer\.touchpoints: first must be between 1 and 500"):
        cost('{ customer(id: "x") { touchpoints(first: 501) { id } } }')


def _codes(query: str, **variables: Any) -> list[Any]:
    """The codes of the request's errors; an allowed request runs its resolvers without a
    context here (they fail: INTERNAL)."""
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables))
    return [(e.extensions or {}).get("code") for e in result.errors or ()]


def test_a_repeated_operation_is_costed_once_only_when_no_variable_sets_a_page() -> None:
    # The parser cache hands each repeat the same document; its cost is remembered only
    # while no variable can change it.
    by_variable = """query ($n: Int!) { customers(first: $n) { edges { node {
      touchpoints(first: 500) { id } } } } }"""
    assert TOO_COSTLY not in _codes(by_variable, n=1)  # allowed: 2 + 1 x 502
    assert _codes(by_variable, n=100) == [TOO_COSTLY]  # the same document, refused
    assert TOO_COSTLY not in _codes(by_variable, n=1)
    nested = """query ($n: Int!) { customers(first: 100) { edges { node {
      touchpoints(first: $n) { id } } } } }"""
    assert TOO_COSTLY not in _codes(nested, n=1)  # 2 + 100 x 3
    assert _codes(nested, n=500) == [TOO_COSTLY]  # 2 + 100 x 502
    assert TOO_COSTLY not in _codes(nested, n=1)
    literal = "{ customers(first: 100) { edges { node { touchpoints(first: 500) { id } } } } }"
    assert _codes(literal) == [TOO_COSTLY]
    assert _codes(literal) == [TOO_COSTLY]  # refused every time, never remembered


def test_a_remembered_operation_still_refuses_bad_variables_and_pages() -> None:
    query = "query ($id: ID!) { customer(id: $id) { touchpoints(first: 5) { id } } }"
    assert _codes(query, id="x") == ["INTERNAL"]  # allowed: its resolver ran
    assert _codes(query, id="x") == ["INTERNAL"]
    # A variable of the wrong type: refused before execution, after remembering too.
    assert _codes(query, id={"no": 1}) == ["GRAPHQL_VALIDATION_FAILED"]
    out_of_bounds = '{ customer(id: "x") { touchpoints(first: 501) { id } } }'
    assert _codes(out_of_bounds) == ["BAD_USER_INPUT"]
    assert _codes(out_of_bounds) == ["BAD_USER_INPUT"]
