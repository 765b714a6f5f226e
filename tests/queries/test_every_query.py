"""Every registered named query runs on every store with the parameters docs/queries.md
documents for it, and answers with its result type: the annotated return type of its
result constructor (for a batch, a map from each subject to that type), checked field by
field through the result dataclasses."""

from __future__ import annotations

import dataclasses
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from epcis.epc import canonical_epc
from epcis.shelf_signals import SHELF_PICKUP
from graph.store import GraphStore, RelRow
from queries.base import Grouped
from queries.engine import QUERIES, NamedQuery, run_query
from scoring.churn import risk_key
from tests.support.epcis_events import capture_events, object_event
from tests.support.named_fixture import named_fixture
from tests.support.paths import DOCS

ITEM = "urn:epc:id:sgtin:0614141.107346.1"
CASE = "urn:epc:id:sscc:0614141.1111111111"
SHOP = "urn:epc:id:sgln:0614141.00001.0"
SHELF = "urn:epc:id:sgln:0614141.00001.1"
MAKER = "urn:epc:id:pgln:0614141.00001"

# One value for each documented parameter name, whichever query takes it: subjects the
# graph below holds, so most questions have something to answer.
EXAMPLES: dict[str, Any] = {
    "customerId": "ann",
    "customerIds": ["ann", "bob", "nobody"],
    "householdId": "h1",
    "householdIds": ["h1"],
    "campaignId": "spring",
    "campaignIds": ["spring"],
    "agentId": "ag1",
    "fromId": "ann",
    "toId": "bob",
    "epc": ITEM,
    "epcs": [ITEM],
    "store": SHOP,
    "product": "",
    "text": "ann@example.com",
    "tier": "gold",
    "after": "",
    "kind": "",
    "channel": "",
    "first": 5,
    "limit": 5,
    "hops": 2,
    "maxHops": 3,
    "target": 1,
    "minScore": 0.0,
    "asOf": "2026-11-01",
    "from": "2026-01-01",
    "to": "2027-01-01",
    "at": "2026-05-02T00:00:00Z",
}


def _documented() -> dict[str, list[str]]:
    """Each query's parameters as docs/queries.md's headings name them."""
    headings = [
        line
        for line in (DOCS / "queries.md").read_text("utf-8").splitlines()
        if line.startswith("## ")
    ]
    return {
        name: [p.strip() for p in params.split(",") if p.strip()]
        for heading in headings
        for name, params in re.findall(r"(\w+)\(([^)]*)\)", heading)
    }


def _graph(store: GraphStore, tmp_path: Path) -> None:
    named_fixture(store)
    store.upsert_nodes(
        "Customer",
        [
            {
                "id": "ann",
                "value_tier": "gold",
                "churn_score": 0.5,
                "risk_key": risk_key("gold", 0.5, None),
                "email": "ann@example.com",
            }
        ],
    )
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("ann", "cy", {"kind": "referral"})]
    )
    store.upsert_nodes("Agent", [{"id": "ag1"}])
    store.upsert_relationships("OWNED_BY", "Customer", "Agent", [RelRow("ann", "ag1")])
    store.upsert_nodes("Campaign", [{"id": "spring"}])
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": "t1",
                "kind": "sales_call",
                "channel": "phone",
                "occurred_at": "2026-03-01T10:00:00Z",
            }
        ],
    )
    store.upsert_relationships("HAD_TOUCHPOINT", "Customer", "Touchpoint", [RelRow("ann", "t1")])
    store.upsert_relationships("PART_OF", "Touchpoint", "Campaign", [RelRow("t1", "spring")])
    capture_events(
        store,
        [
            object_event("e1", "receiving", "2026-05-01T10:00:00Z", 1, bizLocation={"id": SHOP}),
            {
                "type": "AggregationEvent",
                "eventID": "p1",
                "eventTime": "2026-05-01T09:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "ADD",
                "parentID": CASE,
                "childEPCs": [ITEM],
            },
            object_event(
                "e2",
                "stocking",
                "2026-05-03T10:00:00Z",
                1,
                bizLocation={"id": SHOP},
                sourceList=[{"type": "owning_party", "source": MAKER}],
            ),
            object_event("e3", "receiving", "2026-05-04T10:00:00Z", 1, disposition="returned"),
            object_event(
                "s1",
                SHELF_PICKUP,
                "2026-05-05T10:00:00Z",
                2,
                readPoint={"id": SHELF},
                bizLocation={"id": SHOP},
            ),
        ],
        tmp_path,
    )
    store.upsert_relationships(
        "SOLD_TO",
        "ProductInstance",
        "Customer",
        [RelRow(canonical_epc(ITEM), "ann", {"sold_at": "2026-05-03T12:00:00Z"})],
    )


def _answer_type(query: NamedQuery[Any]) -> Any:
    """What the query answers: its result constructor's annotated return type."""
    if isinstance(query.result, Grouped):
        return types.GenericAlias(dict, (str, get_type_hints(query.result.convert)["return"]))
    return get_type_hints(query.result)["return"]


def _conforms(value: Any, hint: Any) -> bool:
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value) if isinstance(value, tuple) else ()
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_conforms(v, a) for v, a in zip(value, args, strict=True))
        )
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is type(None):
        return value is None
    if not isinstance(value, hint):
        return False
    if dataclasses.is_dataclass(value):
        fields = get_type_hints(type(value))
        return all(
            _conforms(getattr(value, f.name), fields[f.name]) for f in dataclasses.fields(value)
        )
    return True


def test_every_query_is_documented_with_parameters_the_examples_cover() -> None:
    documented = _documented()
    for name in QUERIES:
        assert name in documented, f"docs/queries.md has no heading for {name}"
        unknown = [p for p in documented[name] if p not in EXAMPLES]
        assert not unknown, f"{name}: no example value for {unknown}"


@pytest.mark.parametrize("name", list(QUERIES))
def test_every_query_answers_with_its_result_type(
    store: GraphStore, tmp_path: Path, name: str
) -> None:
    _graph(store, tmp_path)
    params = {p: EXAMPLES[p] for p in _documented()[name]}
    answer = run_query(store, name, **params)
    assert answer not in (None, [], {}), f"{name}: the graph above gives it nothing to answer"
    expected = _answer_type(QUERIES[name])
    assert _conforms(answer, expected), f"{name} answered {answer!r}, not {expected}"
