"""The GraphQL layer's own pieces: the customer field lists derived from graph/schema.py
match the types docs/schema.graphql declares, a retired customer ID is followed to the
customer it joined (in one batch), third-party data follows the consent rule, and the
result classes GraphQL shows stay the frozen dataclasses queries/ made."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from api.graphql.context import Loaders
from api.graphql.filters import CUSTOMER_WHERE_FIELDS, CustomerWhere
from api.graphql.types import results
from api.graphql.types.customer import CUSTOMER_PROPS, Customer
from api.graphql.types.nodes import plain_fields
from governance.consent import allows_third_party_data
from graph.embedded import EmbeddedStore
from graph.store import RelRow


def test_customer_type_shows_the_derived_profile() -> None:
    assert plain_fields(Customer) == ["id", *CUSTOMER_PROPS]


def test_customer_where_offers_the_derived_filters() -> None:
    offered = set(plain_fields(CustomerWhere)) - {"and_", "or_", "not_", "touchpoints", "holdings"}
    assert offered == set(CUSTOMER_WHERE_FIELDS)


def test_consent_rule() -> None:
    granted = {"purpose": "third_party_data", "granted": True}
    assert allows_third_party_data([{"purpose": "marketing", "granted": True}, granted])
    assert not allows_third_party_data([{"purpose": "third_party_data", "granted": False}])
    assert not allows_third_party_data([{"purpose": "marketing", "granted": True}])
    assert not allows_third_party_data([])


def test_current_customer_follows_retired_ids(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    store.apply_schema()
    store.upsert_nodes("Customer", [{"id": "C1", "name": "Ann"}, {"id": "C2", "name": "Bob"}])
    store.upsert_nodes("CustomerAlias", [{"id": "R1", "reason": "merged"}])
    store.upsert_relationships("ALIAS_OF", "CustomerAlias", "Customer", [RelRow("R1", "C2")])

    async def load() -> list[str | None]:
        found = await Loaders(store).current_customer.load_many(["C1", "R1", "nobody"])
        return [None if node is None else node.key for node in found]

    try:
        assert asyncio.run(load()) == ["C1", "C2", None]
    finally:
        store.close()


def test_exposed_results_stay_frozen_positional_dataclasses() -> None:
    # strawberry.type(Result, name=...) works in place: queries/ must keep its classes.
    for name in results.__all__:
        result = getattr(results, name)
        if not isinstance(result, type):
            continue
        values = [None] * len(dataclasses.fields(result))
        made = result(*values)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.__setattr__(dataclasses.fields(result)[0].name, "changed")
        assert made == result(*values)
