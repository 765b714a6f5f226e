"""household_value and households_value: a household's members and its monthly value per
product line over the members' active holdings, each account counted once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from graph.store import GraphStore
from queries.base import Grouped, batch_check
from queries.customer_value import LineRow, LineValue, line_values_many, to_lines
from queries.engine import named_query


class HouseholdValueRow(TypedDict):
    householdId: str
    members: list[str]
    lines: list[LineRow]


@dataclass(frozen=True, slots=True)
class HouseholdValue:
    household_id: str
    members: tuple[str, ...]
    lines: tuple[LineValue, ...]

    @property
    def total_monthly_value(self) -> float:
        return round(sum(line.monthly_value for line in self.lines), 2)


def to_household_value(rows: list[HouseholdValueRow]) -> HouseholdValue | None:
    if not rows:
        return None
    row = rows[0]
    return HouseholdValue(row["householdId"], tuple(sorted(row["members"])), to_lines(row["lines"]))


@named_query(
    "households_value",
    Grouped(to_household_value, "householdId"),
    batch_check("householdIds", "household ID"),
)
def households_value(store: GraphStore, householdIds: list[str]) -> list[HouseholdValueRow]:
    """``household_value`` for many households: five store calls whatever their number."""
    found = store.get_nodes("Household", householdIds)
    households = [h for h in dict.fromkeys(householdIds) if h in found]
    members = store.neighbours_many(
        "Household", households, "MEMBER_OF", "in", "Customer", limit=10_000
    )
    member_ids = {h: [m.node.key for m in members.get(h, [])] for h in households}
    held = store.neighbours_many(
        "Customer",
        sorted({m for ids in member_ids.values() for m in ids}),
        "HOLDS",
        "out",
        "Holding",
        limit=100_000,
    )
    lines = line_values_many(
        store,
        {h: [n.node for m in ids for n in held.get(m, [])] for h, ids in member_ids.items()},
    )
    return [{"householdId": h, "members": member_ids[h], "lines": lines[h]} for h in households]


@named_query("household_value", to_household_value)
def household_value(store: GraphStore, householdId: str) -> list[HouseholdValueRow]:
    return households_value(store, [householdId])
