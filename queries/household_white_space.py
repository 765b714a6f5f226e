"""household_white_space and households_white_space: the product lines no member of a
household holds, ranked by how often the household's lines are held with them."""

from __future__ import annotations

from graph.store import GraphStore, Node
from queries.base import Grouped, batch_check
from queries.engine import named_query
from queries.next_best_products import (
    WhiteSpaceRow,
    check_white_space,
    products_held,
    to_white_space,
    white_space_many,
)


def _active_products(
    store: GraphStore, customers: list[str]
) -> dict[str, dict[str, tuple[Node, str]]]:
    """For each customer, the products they hold in an active account, each with its line:
    three store calls whatever their number."""
    return products_held(store, customers)[0]


@named_query(
    "households_white_space",
    Grouped(to_white_space, "subject"),
    batch_check("householdIds", "household ID", check_white_space),
)
def households_white_space(
    store: GraphStore, householdIds: list[str], first: int
) -> list[WhiteSpaceRow]:
    """``household_white_space``'s rows for many households: nine store calls whatever
    their number."""
    found = store.get_nodes("Household", householdIds)
    households = [h for h in dict.fromkeys(householdIds) if h in found]
    if not households:
        return []
    members = store.neighbours_many(
        "Household", households, "MEMBER_OF", "in", "Customer", limit=10_000
    )
    held = _active_products(
        store, sorted({m.node.key for h in households for m in members.get(h, [])})
    )
    spaces = white_space_many(
        store,
        {
            h: {line for m in members.get(h, []) for _, line in held[m.node.key].values()}
            for h in households
        },
        first,
    )
    return [spaces[h] for h in households]


@named_query("household_white_space", to_white_space, check_white_space)
def household_white_space(store: GraphStore, householdId: str, first: int) -> list[WhiteSpaceRow]:
    return households_white_space(store, [householdId], first)
