"""Small graphs written straight through the store port, for the store tests."""

from __future__ import annotations

from graph.store import GraphStore, RelRow


def add_customers(store: GraphStore, *keys: str) -> None:
    """Customers with these keys, each named ``name <key>``."""
    store.upsert_nodes("Customer", [{"id": k, "name": f"name {k}"} for k in keys])


def add_star(store: GraphStore) -> None:
    """Customer a at the centre: head of household h1, holding acc2 and acc1 (b holds
    acc1 too), a -family-> b and c -referral-> a; c holds nothing."""
    add_customers(store, "a", "b", "c")
    store.upsert_nodes("Household", [{"id": "h1"}])
    store.upsert_nodes("Holding", [{"id": "acc2"}, {"id": "acc1"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h1", {"role": "head"})]
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow("a", "acc2"), RelRow("a", "acc1"), RelRow("b", "acc1")],
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [RelRow("a", "b", {"kind": "family"}), RelRow("c", "a", {"kind": "referral"})],
    )
