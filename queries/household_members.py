"""household_members and customers_households: the people a customer lives with, by
household."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.store import GraphStore
from queries.base import Grouped, check_customer_batch, results, untagged
from queries.engine import named_query


class MemberRow(TypedDict):
    householdId: str
    customerId: str
    # Stored properties as read: the schema's types, which no store checks.
    name: Any
    role: Any
    ageBand: Any


class TaggedMemberRow(MemberRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    household_id: str
    customer_id: str
    name: str | None
    role: str | None
    age_band: str | None


def to_members(rows: list[MemberRow]) -> list[HouseholdMember]:
    return results(HouseholdMember, rows)


@named_query("customers_households", Grouped(to_members), check_customer_batch)
def members_many(store: GraphStore, customerIds: list[str]) -> list[TaggedMemberRow]:
    """Household members of each customer, each row tagged ``forCustomer``."""
    joined = store.neighbour_nodes_many(
        "Customer", customerIds, "MEMBER_OF", "out", "Household", limit=100
    )
    households = sorted({hh.key for found in joined.values() for hh in found})
    members = store.neighbours_many(
        "Household", households, "MEMBER_OF", "in", "Customer", limit=10_000
    )
    rows: list[TaggedMemberRow] = []
    for customer in dict.fromkeys(customerIds):
        for hh in joined.get(customer, []):
            for m in members.get(hh.key, []):
                rows.append(
                    {
                        "forCustomer": customer,
                        "householdId": hh.key,
                        "customerId": m.node.key,
                        "name": m.node.props.get("name"),
                        "role": m.edge.props.get("role"),
                        "ageBand": m.edge.props.get("age_band"),
                    }
                )
    return sorted(rows, key=lambda r: (r["forCustomer"], r["householdId"], r["customerId"]))


@named_query("household_members", to_members)
def members(store: GraphStore, customerId: str) -> list[MemberRow]:
    return untagged(members_many(store, [customerId]))
