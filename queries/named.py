"""Named traversals: one question, typed parameters, a typed result, two implementations.

Each query has a Cypher text (``queries/<name>.cypher``, linted, for analysts and the Neo4j
store) and an embedded implementation over the store port. Both produce the same result
type through the same constructor, and the conformance suite holds them to identical
answers on the same fixture graph (ARCHITECTURE.md §2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from graph.algorithms import shortest_routes
from graph.projection import Projection, expand
from graph.store import GraphStore, Neighbour, Node
from queries import (
    QUERY_DIR,
    QueryFile,
    insights,
    lifecycle,
    network,
    parse_query_file,
    search,
    shelf,
    tracking,
)
from queries.base import (
    QueryParameterError,
    Record,
    UnknownQueryError,
    bounded,
    cypher_reader,
    number,
)

R = TypeVar("R")


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SourceLink:
    system: str
    record_id: str
    rule: str | None
    score: float | None


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    household_id: str
    customer_id: str
    name: str | None
    role: str | None
    age_band: str | None


@dataclass(frozen=True, slots=True)
class LineValue:
    line: str
    name: str | None
    holdings: int
    monthly_value: float


@dataclass(frozen=True, slots=True)
class CustomerValue:
    customer_id: str
    lines: tuple[LineValue, ...]
    catalogue_lines: int

    @property
    def total_monthly_value(self) -> float:
        return round(sum(line.monthly_value for line in self.lines), 2)

    @property
    def lines_held(self) -> int:
        return len(self.lines)


# ----------------------------------------------------------------------------- embedded


def _sources_many(store: GraphStore, customerIds: list[str]) -> list[Record]:
    """Source records of each customer, each row tagged ``forCustomer``."""
    links = store.neighbours_many(
        "Customer", customerIds, "RESOLVED_TO", "in", "SourceRecord", limit=10_000
    )
    rows = [
        {
            "forCustomer": customer,
            "system": n.node.props.get("source_system"),
            "recordId": n.node.props.get("source_record_id"),
            "rule": n.edge.props.get("rule"),
            "score": n.edge.props.get("score"),
        }
        for customer in dict.fromkeys(customerIds)
        for n in links.get(customer, [])
    ]
    return sorted(rows, key=lambda r: (r["forCustomer"], str(r["system"]), str(r["recordId"])))


def _sources_embedded(store: GraphStore, customerId: str) -> list[Record]:
    return _untagged(_sources_many(store, [customerId]))


def _members_many(store: GraphStore, customerIds: list[str]) -> list[Record]:
    """Household members of each customer, each row tagged ``forCustomer``."""
    joined = store.neighbours_many(
        "Customer", customerIds, "MEMBER_OF", "out", "Household", limit=100
    )
    households = sorted({hh.node.key for found in joined.values() for hh in found})
    members = store.neighbours_many(
        "Household", households, "MEMBER_OF", "in", "Customer", limit=10_000
    )
    rows = []
    for customer in dict.fromkeys(customerIds):
        for hh in joined.get(customer, []):
            for m in members.get(hh.node.key, []):
                rows.append(
                    {
                        "forCustomer": customer,
                        "householdId": hh.node.key,
                        "customerId": m.node.key,
                        "name": m.node.props.get("name"),
                        "role": m.edge.props.get("role"),
                        "ageBand": m.edge.props.get("age_band"),
                    }
                )
    return sorted(rows, key=lambda r: (r["forCustomer"], r["householdId"], r["customerId"]))


def _members_embedded(store: GraphStore, customerId: str) -> list[Record]:
    return _untagged(_members_many(store, [customerId]))


def _untagged(rows: list[Record], tag: str = "forCustomer") -> list[Record]:
    return [{k: v for k, v in r.items() if k != tag} for r in rows]


def _line_values_many(
    store: GraphStore, holdings_of: dict[str, list[Node]]
) -> dict[str, list[Record]]:
    """Monthly value per product line over each owner's distinct active holdings, ordered
    by line: two store calls whatever the owners' number."""
    active = {
        h.key: h
        for found in holdings_of.values()
        for h in found
        if h.props.get("status") == "active"
    }
    products = store.neighbours_many("Holding", sorted(active), "OF_PRODUCT", limit=1)
    product_keys = sorted({found[0].node.key for found in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", limit=1)
    values: dict[str, list[Record]] = {}
    for owner, found in holdings_of.items():
        by_line: dict[str, dict[str, Any]] = {}
        for key in sorted({h.key for h in found if h.key in active}):
            product = products.get(key)
            line = lines.get(product[0].node.key) if product else None
            if not line:
                continue
            entry = by_line.setdefault(
                line[0].node.key,
                {
                    "line": line[0].node.key,
                    "name": line[0].node.props.get("name"),
                    "holdings": 0,
                    "monthlyValue": 0.0,
                },
            )
            entry["holdings"] += 1
            value = active[key].props.get("monthly_value")
            entry["monthlyValue"] += float(value) if isinstance(value, int | float) else 0.0
        values[owner] = [by_line[k] for k in sorted(by_line)]
    return values


def _value_embedded(store: GraphStore, customerId: str) -> list[Record]:
    return _value_many(store, [customerId])


def _value_many(store: GraphStore, customerIds: list[str]) -> list[Record]:
    found = store.get_nodes("Customer", customerIds)
    held = store.neighbours_many(
        "Customer", sorted(found), "HOLDS", "out", "Holding", limit=100_000
    )
    catalogue = store.counts().nodes["ProductLine"]
    lines = _line_values_many(store, {c: [h.node for h in held.get(c, [])] for c in found})
    return [
        {"customerId": c, "lines": lines[c], "catalogueLines": catalogue}
        for c in dict.fromkeys(customerIds)
        if c in found
    ]


def _household_value_embedded(store: GraphStore, householdId: str) -> list[Record]:
    return _households_value_many(store, [householdId])


def _households_value_many(store: GraphStore, householdIds: list[str]) -> list[Record]:
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
    lines = _line_values_many(
        store,
        {h: [n.node for m in ids for n in held.get(m, [])] for h, ids in member_ids.items()},
    )
    return [{"householdId": h, "members": member_ids[h], "lines": lines[h]} for h in households]


@dataclass(frozen=True, slots=True)
class HouseholdValue:
    household_id: str
    members: tuple[str, ...]
    lines: tuple[LineValue, ...]

    @property
    def total_monthly_value(self) -> float:
        return round(sum(line.monthly_value for line in self.lines), 2)


def _lines(items: list[Record]) -> tuple[LineValue, ...]:
    return tuple(
        LineValue(i["line"], i["name"], int(i["holdings"]), round(float(i["monthlyValue"]), 2))
        for i in sorted(items, key=lambda i: i["line"])
    )


def _to_household_value(rows: list[Record]) -> HouseholdValue | None:
    if not rows:
        return None
    row = rows[0]
    return HouseholdValue(row["householdId"], tuple(sorted(row["members"])), _lines(row["lines"]))


# ----------------------------------------------------------------------------- results from rows


def _to_sources(rows: list[Record]) -> list[SourceLink]:
    return [SourceLink(r["system"], r["recordId"], r["rule"], r["score"]) for r in rows]


def _to_members(rows: list[Record]) -> list[HouseholdMember]:
    return [
        HouseholdMember(r["householdId"], r["customerId"], r["name"], r["role"], r["ageBand"])
        for r in rows
    ]


def _to_value(rows: list[Record]) -> CustomerValue | None:
    if not rows:
        return None
    row = rows[0]
    return CustomerValue(row["customerId"], _lines(row["lines"]), int(row["catalogueLines"]))


MAX_TOUCHPOINTS = 500


@dataclass(frozen=True, slots=True)
class TouchpointSummary:
    id: str
    occurred_at: str | None
    channel: str | None
    kind: str | None
    reason: str | None
    outcome: str | None
    resolution_status: str | None
    agent_id: str | None


def _touchpoints_embedded(
    store: GraphStore, customerId: str, channel: str, first: int, beforeTime: str, beforeId: str
) -> list[Record]:
    return _untagged(_touchpoints_many(store, [customerId], channel, first, beforeTime, beforeId))


def _touchpoints_many(
    store: GraphStore,
    customerIds: list[str],
    channel: str,
    first: int,
    beforeTime: str,
    beforeId: str,
) -> list[Record]:
    """Each customer's most recent touchpoints, each row tagged ``forCustomer``."""
    found = store.neighbours_many(
        "Customer", customerIds, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=1_000_000
    )
    picked: dict[str, list[Node]] = {}
    for customer in dict.fromkeys(customerIds):
        mine = [
            n.node
            for n in found.get(customer, [])
            if (not channel or n.node.props.get("channel") == channel)
            and (not beforeId or _recent_key(n.node) < (beforeTime, beforeId))
        ]
        mine.sort(key=_recent_key, reverse=True)
        picked[customer] = mine[:first]
    agents = store.neighbours_many(
        "Touchpoint", [t.key for ts in picked.values() for t in ts], "HANDLED_BY", limit=1
    )
    return [
        {
            "forCustomer": customer,
            "id": t.key,
            "occurredAt": t.props.get("occurred_at"),
            "channel": t.props.get("channel"),
            "kind": t.props.get("kind"),
            "reason": t.props.get("reason"),
            "outcome": t.props.get("outcome"),
            "resolutionStatus": t.props.get("resolution_status"),
            "agentId": agents[t.key][0].node.key if t.key in agents else None,
        }
        for customer, ts in picked.items()
        for t in ts
    ]


def _to_touchpoints(rows: list[Record]) -> list[TouchpointSummary]:
    return [
        TouchpointSummary(
            r["id"],
            r["occurredAt"],
            r["channel"],
            r["kind"],
            r["reason"],
            r["outcome"],
            r["resolutionStatus"],
            r["agentId"],
        )
        for r in rows
    ]


_check_first = bounded("first", MAX_TOUCHPOINTS)


@dataclass(frozen=True, slots=True)
class HoldingSummary:
    account_id: str
    product_id: str | None
    product_name: str | None
    line: str | None
    status: str | None
    role: str | None
    opened_on: str | None
    closed_on: str | None
    balance: float | None
    monthly_value: float | None


def _holdings_many(store: GraphStore, customerIds: list[str]) -> list[Record]:
    """Every holding of each customer, each row tagged ``forCustomer``."""
    held = store.neighbours_many("Customer", customerIds, "HOLDS", "out", "Holding", limit=100_000)
    accounts = sorted({h.node.key for found in held.values() for h in found})
    products = store.neighbours_many("Holding", accounts, "OF_PRODUCT", limit=1)
    product_keys = sorted({p[0].node.key for p in products.values()})
    lines = store.neighbours_many("Product", product_keys, "IN_LINE", limit=1)
    rows = []
    for customer in dict.fromkeys(customerIds):
        for h in held.get(customer, []):
            product = products[h.node.key][0].node if h.node.key in products else None
            line = lines[product.key][0].node.key if product and product.key in lines else None
            props = h.node.props
            rows.append(
                {
                    "forCustomer": customer,
                    "accountId": h.node.key,
                    "productId": product.key if product else None,
                    "productName": product.props.get("name") if product else None,
                    "line": line,
                    "status": props.get("status"),
                    "role": h.edge.props.get("role"),
                    "openedOn": props.get("opened_on"),
                    "closedOn": props.get("closed_on"),
                    "balance": props.get("balance"),
                    "monthlyValue": props.get("monthly_value"),
                }
            )
    # Cypher sorts nulls last in ascending order.
    return sorted(
        rows,
        key=lambda r: (r["forCustomer"], r["line"] is None, r["line"] or "", r["accountId"]),
    )


def _holdings_embedded(store: GraphStore, customerId: str) -> list[Record]:
    return _untagged(_holdings_many(store, [customerId]))


def _to_holdings(rows: list[Record]) -> list[HoldingSummary]:
    return [
        HoldingSummary(
            r["accountId"],
            r["productId"],
            r["productName"],
            r["line"],
            r["status"],
            r["role"],
            r["openedOn"],
            r["closedOn"],
            number(r["balance"]),
            number(r["monthlyValue"]),
        )
        for r in rows
    ]


MAX_360_TOUCHPOINTS = 200  # the most recent touchpoints the 360 view reads, whatever the history
MAX_OPEN_COMPLAINTS = 50
CUSTOMER_FIELDS = (
    "id", "kind", "name", "email", "phone", "address", "postal_code", "city", "country",
    "birth_date", "customer_since", "status", "value_tier", "lifetime_value", "churn_score",
    "churn_signals", "rfm", "scored_on",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecentTouchpoint:
    id: str
    occurred_at: str | None
    channel: str | None
    kind: str | None
    reason: str | None
    outcome: str | None
    resolution_status: str | None


@dataclass(frozen=True, slots=True)
class OpenComplaint:
    id: str
    occurred_at: str | None
    category: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ConsentState:
    purpose: str | None
    channel: str | None
    granted: bool | None


@dataclass(frozen=True, slots=True)
class ChannelUse:
    channel: str | None
    uses: int


@dataclass(frozen=True, slots=True)
class Customer360:
    customer: dict[str, Any]  # golden attributes (sensitive ones excluded)
    sources: tuple[SourceLink, ...]
    household_members: tuple[HouseholdMember, ...]
    holdings: tuple[HoldingSummary, ...]
    touchpoints: tuple[RecentTouchpoint, ...]
    open_complaints: tuple[OpenComplaint, ...]
    consents: tuple[ConsentState, ...]
    preferred_channels: tuple[ChannelUse, ...]


def _recent_key(t: Node) -> tuple[str, str]:
    return (str(t.props.get("occurred_at", "")), t.key)


def _customer_360_embedded(store: GraphStore, customerId: str, first: int) -> list[Record]:
    customer = store.get_node("Customer", customerId)
    if customer is None:
        return []
    touchpoints = [
        n.node
        for n in store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
    ]
    recent = sorted(touchpoints, key=_recent_key, reverse=True)[:MAX_360_TOUCHPOINTS]
    complaints = sorted(
        (
            t
            for t in touchpoints
            if t.props.get("kind") == "complaint" and t.props.get("resolution_status") == "open"
        ),
        key=_recent_key,
        reverse=True,
    )[:MAX_OPEN_COMPLAINTS]
    uses: dict[Any, int] = {}
    for t in recent:
        uses[t.props.get("channel")] = uses.get(t.props.get("channel"), 0) + 1
    consents = [
        {
            "purpose": n.node.props.get("purpose"),
            "channel": n.node.props.get("channel"),
            "granted": n.node.props.get("granted"),
        }
        for n in store.neighbours(
            "Customer", customerId, "HAS_CONSENT", "out", "Consent", limit=10_000
        )
    ]
    consents.sort(
        key=lambda k: (
            k["purpose"] is None,
            str(k["purpose"]),
            k["channel"] is None,
            str(k["channel"]),
        )
    )
    return [
        {
            "customer": {f: customer.props.get(f) for f in CUSTOMER_FIELDS},
            "sources": _sources_embedded(store, customerId),
            "members": _members_embedded(store, customerId),
            "holdings": _holdings_embedded(store, customerId),
            "touchpoints": [
                {
                    "id": t.key,
                    "occurredAt": t.props.get("occurred_at"),
                    "channel": t.props.get("channel"),
                    "kind": t.props.get("kind"),
                    "reason": t.props.get("reason"),
                    "outcome": t.props.get("outcome"),
                    "resolutionStatus": t.props.get("resolution_status"),
                }
                for t in recent[:first]
            ],
            "openComplaints": [
                {
                    "id": t.key,
                    "occurredAt": t.props.get("occurred_at"),
                    "category": t.props.get("category"),
                    "reason": t.props.get("reason"),
                }
                for t in complaints
            ],
            "consents": consents,
            "channels": [
                {"channel": c, "uses": n}
                for c, n in sorted(
                    uses.items(), key=lambda item: (-item[1], item[0] is None, str(item[0]))
                )
            ],
        }
    ]


def _to_360(rows: list[Record]) -> Customer360 | None:
    if not rows:
        return None
    r = rows[0]
    return Customer360(
        customer={f: r["customer"].get(f) for f in CUSTOMER_FIELDS},
        sources=tuple(_to_sources(r["sources"])),
        household_members=tuple(_to_members(r["members"])),
        holdings=tuple(_to_holdings(r["holdings"])),
        touchpoints=tuple(
            RecentTouchpoint(
                t["id"],
                t["occurredAt"],
                t["channel"],
                t["kind"],
                t["reason"],
                t["outcome"],
                t["resolutionStatus"],
            )
            for t in r["touchpoints"]
        ),
        open_complaints=tuple(
            OpenComplaint(o["id"], o["occurredAt"], o["category"], o["reason"])
            for o in r["openComplaints"]
        ),
        consents=tuple(
            ConsentState(k["purpose"], k["channel"], k["granted"]) for k in r["consents"]
        ),
        preferred_channels=tuple(ChannelUse(c["channel"], int(c["uses"])) for c in r["channels"]),
    )


_check_360 = bounded("first", MAX_360_TOUCHPOINTS)


MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class SegmentMember:
    customer_id: str
    name: str | None
    lifetime_value: float | None


def _segment_embedded(store: GraphStore, tier: str, after: str, first: int) -> list[Record]:
    page = store.find_nodes("Customer", "value_tier", tier, limit=first, after=after or None)
    return [
        {
            "customerId": m.key,
            "name": m.props.get("name"),
            "lifetimeValue": m.props.get("lifetime_value"),
        }
        for m in page
    ]


def _to_segment(rows: list[Record]) -> list[SegmentMember]:
    return [SegmentMember(r["customerId"], r["name"], number(r["lifetimeValue"])) for r in rows]


_check_page = bounded("first", MAX_PAGE)


@dataclass(frozen=True, slots=True)
class RelatedCustomer:
    customer_id: str
    name: str | None
    kind: str | None
    direction: str  # 'out': this customer is the subject of the relationship; 'in': its object
    since: str | None


def _related_embedded(store: GraphStore, customerId: str, kind: str, first: int) -> list[Record]:
    return _untagged(_related_many(store, [customerId], kind, first))


def _related_many(store: GraphStore, customerIds: list[str], kind: str, first: int) -> list[Record]:
    """Each customer's related customers, each row tagged ``forCustomer``."""
    found = store.neighbours_many(
        "Customer", customerIds, "RELATED_TO", "both", "Customer", limit=100_000
    )
    rows = []
    for customer in dict.fromkeys(customerIds):
        mine = [
            {
                "forCustomer": customer,
                "customerId": n.node.key,
                "name": n.node.props.get("name"),
                "kind": n.edge.props.get("kind"),
                "direction": "out" if n.edge.src_key == customer else "in",
                "since": n.edge.props.get("since"),
            }
            for n in found.get(customer, [])
            if not kind or n.edge.props.get("kind") == kind
        ]
        mine.sort(
            key=lambda r: (r["kind"] is None, str(r["kind"]), r["customerId"], r["direction"])
        )
        rows.extend(mine[:first])
    return rows


def _to_related(rows: list[Record]) -> list[RelatedCustomer]:
    return [
        RelatedCustomer(r["customerId"], r["name"], r["kind"], r["direction"], r["since"])
        for r in rows
    ]


MAX_EGO_HOPS = 4  # the Cypher pattern's literal bound
MAX_EGO_SIZE = 500


@dataclass(frozen=True, slots=True)
class NetworkMember:
    customer_id: str
    name: str | None
    distance: int


def _ego_embedded(store: GraphStore, customerId: str, hops: int, limit: int) -> list[Record]:
    import networkx as nx  # here, not at start-up: its import costs every ckb command 0.1 s

    centre = ("Customer", customerId)

    def enough(graph: Projection) -> bool:
        # Every customer of the next hop sorts after the `limit` already found: stop.
        return sum(1 for label, _ in graph if label == "Customer") > limit

    around = expand(
        store, [centre], network.CUSTOMER_NETWORK, hops, until=enough, node_props=("name",)
    )
    if centre not in around:
        return []
    distances = nx.single_source_shortest_path_length(around, centre, cutoff=hops)
    people = sorted(
        (d, key) for (label, key), d in distances.items() if label == "Customer" and d > 0
    )[:limit]
    return [
        {
            "customerId": key,
            "name": around.nodes[("Customer", key)]["props"].get("name"),
            "distance": d,
        }
        for d, key in people
    ]


def _to_network(rows: list[Record]) -> list[NetworkMember]:
    return [NetworkMember(r["customerId"], r["name"], int(r["distance"])) for r in rows]


def _check_ego(params: dict[str, Any]) -> None:
    bounded("hops", MAX_EGO_HOPS)(params)
    bounded("limit", MAX_EGO_SIZE)(params)


SALES_CONTACTS = ("sales_call", "sales_visit")


@dataclass(frozen=True, slots=True)
class ContactFrequency:
    customer_id: str
    name: str | None
    value_tier: str | None
    contacts: int
    on_target: bool


def _contacts_embedded(
    store: GraphStore, agentId: str, to: str, target: int, **period: str
) -> list[Record]:
    start = period["from"]
    owned = store.neighbours("Agent", agentId, "OWNED_BY", "in", "Customer", limit=1_000_000)
    touched = store.neighbours_many(
        "Customer", [c.node.key for c in owned], "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
    )
    rows = []
    for c in owned:
        contacts = sum(
            1
            for n in touched.get(c.node.key, [])
            if n.node.props.get("kind") in SALES_CONTACTS
            and start <= str(n.node.props.get("occurred_at", "")) < to
        )
        rows.append(
            {
                "customerId": c.node.key,
                "name": c.node.props.get("name"),
                "valueTier": c.node.props.get("value_tier"),
                "contacts": contacts,
                "onTarget": contacts >= target,
            }
        )
    return sorted(rows, key=lambda r: (r["contacts"], r["customerId"]))


def _to_contacts(rows: list[Record]) -> list[ContactFrequency]:
    return [
        ContactFrequency(
            r["customerId"], r["name"], r["valueTier"], int(r["contacts"]), bool(r["onTarget"])
        )
        for r in rows
    ]


def _check_contacts(params: dict[str, Any]) -> None:
    if not 0 <= params["target"] <= 1000:
        raise QueryParameterError(f"target must be between 0 and 1000, got {params['target']}")
    if not params["from"] < params["to"]:
        raise QueryParameterError("from must be before to")


@dataclass(frozen=True, slots=True)
class CampaignCell:
    channel: str | None
    tier: str
    contacted: int
    responses: int
    conversions: int

    @property
    def response_rate(self) -> float:
        return round(self.responses / self.contacted, 4) if self.contacted else 0.0

    @property
    def conversion_rate(self) -> float:
        return round(self.conversions / self.contacted, 4) if self.contacted else 0.0


def _campaign_embedded(store: GraphStore, campaignId: str) -> list[Record]:
    return _untagged(_campaigns_many(store, [campaignId]), "forCampaign")


def _campaigns_many(store: GraphStore, campaignIds: list[str]) -> list[Record]:
    """``campaign_response`` for many campaigns, each row tagged ``forCampaign``: three
    store calls whatever their number."""
    contacts = store.neighbours_many(
        "Campaign", campaignIds, "PART_OF", "in", "Touchpoint", limit=10**7
    )
    responses = store.neighbours_many(
        "Campaign", campaignIds, "RESPONDED_TO", "in", "Touchpoint", limit=10**7
    )
    who = store.neighbours_many(
        "Touchpoint",
        [t.node.key for found in (contacts, responses) for ts in found.values() for t in ts],
        "HAD_TOUCHPOINT",
        "in",
        "Customer",
        limit=1,
    )
    return [
        {"forCampaign": campaign, **cell}
        for campaign in dict.fromkeys(campaignIds)
        for cell in _campaign_cells(contacts.get(campaign, []), responses.get(campaign, []), who)
    ]


def _campaign_cells(
    contacts: list[Neighbour], responses: list[Neighbour], who: dict[str, list[Neighbour]]
) -> list[Record]:
    responded: dict[str, bool] = {}  # customer -> converted at least once
    for r in responses:
        if r.node.key in who:
            customer = who[r.node.key][0].node.key
            responded[customer] = (
                responded.get(customer, False) or r.edge.props.get("converted") is True
            )
    cells: dict[tuple[Any, str], list[int]] = {}
    seen: set[tuple[Any, str]] = set()
    for t in contacts:
        if t.node.key not in who:
            continue
        person = who[t.node.key][0].node
        channel = t.node.props.get("channel")
        if (channel, person.key) in seen:
            continue
        seen.add((channel, person.key))
        tier = str(person.props.get("value_tier") or "none")
        cell = cells.setdefault((channel, tier), [0, 0, 0])
        cell[0] += 1
        if person.key in responded:
            cell[1] += 1
            cell[2] += responded[person.key]
    return [
        {"channel": ch, "tier": tier, "contacted": c[0], "responses": c[1], "conversions": c[2]}
        for (ch, tier), c in sorted(
            cells.items(), key=lambda i: (i[0][0] is None, str(i[0][0]), i[0][1])
        )
    ]


def _to_campaign(rows: list[Record]) -> list[CampaignCell]:
    return [
        CampaignCell(
            r["channel"], r["tier"], int(r["contacted"]), int(r["responses"]), int(r["conversions"])
        )
        for r in rows
    ]


MAX_PATH_HOPS = 6  # the Cypher pattern's literal bound; maxHops may not exceed it
MAX_PATHS = 10


@dataclass(frozen=True, slots=True)
class PathStep:
    id: str
    label: str
    name: str | None


@dataclass(frozen=True, slots=True)
class CustomerPath:
    steps: tuple[PathStep, ...]
    links: tuple[str, ...]  # relationship kind (RELATED_TO) or type (MEMBER_OF), in order


@dataclass(frozen=True, slots=True)
class RelationshipPaths:
    distance: int | None  # None: not connected within maxHops
    paths: tuple[CustomerPath, ...]


def _path_embedded(store: GraphStore, fromId: str, toId: str, maxHops: int) -> list[Record]:
    start, goal = ("Customer", fromId), ("Customer", toId)
    if fromId == toId or store.get_node(*goal) is None:
        return []
    # Grown from one end until the other is reached: every shortest route is in it.
    around = expand(
        store,
        [start],
        network.CUSTOMER_NETWORK,
        maxHops,
        until=lambda graph: goal in graph,
        node_props=("name",),
    )
    rows = [
        {
            "nodeIds": [key for _, key in nodes],
            "labels": [label for label, _ in nodes],
            "names": [_name(around.nodes[n]["props"]) for n in nodes],
            "links": [str(e["props"].get("kind", e["type"])) for e in edges],
        }
        for nodes, edges in shortest_routes(around, start, goal)
    ]
    rows.sort(key=lambda r: (r["nodeIds"], r["links"]))
    return rows[:MAX_PATHS]


def _name(props: dict[str, Any]) -> str | None:
    name = props.get("name")
    return None if name is None else str(name)


def _to_paths(rows: list[Record]) -> RelationshipPaths:
    paths = tuple(
        CustomerPath(
            tuple(
                PathStep(i, lbl, n)
                for i, lbl, n in zip(r["nodeIds"], r["labels"], r["names"], strict=True)
            ),
            tuple(r["links"]),
        )
        for r in rows
    )
    return RelationshipPaths(len(paths[0].links) if paths else None, paths)


_check_path = bounded("maxHops", MAX_PATH_HOPS)


# ----------------------------------------------------------------------------- batches
# One call answers a question for a page of customers (the API's DataLoaders use them):
# each row carries ``forCustomer`` and the result maps each customer ID to its answer.

MAX_BATCH = 500


def _batch_check(
    param: str, what: str, *more: Callable[[dict[str, Any]], None]
) -> Callable[[dict[str, Any]], None]:
    """A batch's ID list (strings, at most MAX_BATCH of them), then the ``more`` checks
    its single-subject query makes of the other parameters."""

    def check(params: dict[str, Any]) -> None:
        ids = params[param]
        if not all(isinstance(i, str) for i in ids):
            raise QueryParameterError(f"{param} must be a list of {what} strings")
        if len(ids) > MAX_BATCH:
            raise QueryParameterError(f"{param} may hold at most {MAX_BATCH} IDs, got {len(ids)}")
        for also in more:
            also(params)

    return check


_check_batch = _batch_check("customerIds", "customer ID")


def _grouped(
    convert: Callable[[list[Record]], R], tag: str = "forCustomer"
) -> Callable[[list[Record]], dict[str, R]]:
    """A batch's result: its rows grouped by their ``tag``, each group converted as the
    single-subject query converts its rows."""

    def result(rows: list[Record]) -> dict[str, R]:
        groups: dict[str, list[Record]] = {}
        for row in rows:
            groups.setdefault(row[tag], []).append(row)
        return {subject: convert(found) for subject, found in groups.items()}

    return result


def _to_values(rows: list[Record]) -> dict[str, CustomerValue]:
    return {
        r["customerId"]: CustomerValue(
            r["customerId"], _lines(r["lines"]), int(r["catalogueLines"])
        )
        for r in rows
    }


@dataclass(frozen=True)
class NamedQuery(Generic[R]):
    name: str
    embedded: Callable[..., list[Record]]  # (store, **params) -> rows shaped like Cypher's
    result: Callable[[list[Record]], R]
    check: Callable[[dict[str, Any]], None] = lambda params: None
    # Derives parameters the caller does not type (e.g. a normalised form of their text).
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda params: params
    # Answered by ``embedded`` on every store, Neo4j included (through the port): graph
    # algorithms Neo4j Community lacks. Its Cypher file is for analysts.
    in_python: bool = False

    @property
    def file(self) -> QueryFile:
        return _query_file(self.name)


@cache
def _query_file(name: str) -> QueryFile:
    return parse_query_file(QUERY_DIR / f"{name}.cypher")


QUERIES: dict[str, NamedQuery[Any]] = {
    q.name: q
    for q in (
        NamedQuery("customer_360", _customer_360_embedded, _to_360, _check_360),
        NamedQuery("customer_sources", _sources_embedded, _to_sources),
        NamedQuery("household_members", _members_embedded, _to_members),
        NamedQuery("customer_value", _value_embedded, _to_value),
        NamedQuery("household_value", _household_value_embedded, _to_household_value),
        NamedQuery("customer_holdings", _holdings_embedded, _to_holdings),
        NamedQuery("customers_holdings", _holdings_many, _grouped(_to_holdings), _check_batch),
        NamedQuery("customers_value", _value_many, _to_values, _check_batch),
        NamedQuery("customers_households", _members_many, _grouped(_to_members), _check_batch),
        NamedQuery("customers_sources", _sources_many, _grouped(_to_sources), _check_batch),
        NamedQuery(
            "customers_touchpoints",
            _touchpoints_many,
            _grouped(_to_touchpoints),
            _batch_check("customerIds", "customer ID", _check_first),
            lambda params: {"beforeTime": "", "beforeId": "", **params},
        ),
        NamedQuery(
            "customers_related",
            _related_many,
            _grouped(_to_related),
            _batch_check("customerIds", "customer ID", bounded("first", 1000)),
        ),
        NamedQuery(
            "households_value",
            _households_value_many,
            _grouped(_to_household_value, "householdId"),
            _batch_check("householdIds", "household ID"),
        ),
        NamedQuery(
            "campaigns_response",
            _campaigns_many,
            _grouped(_to_campaign, "forCampaign"),
            _batch_check("campaignIds", "campaign ID"),
        ),
        NamedQuery(
            "customer_touchpoints",
            _touchpoints_embedded,
            _to_touchpoints,
            _check_first,
            # Paging is optional: without a cursor, the newest touchpoints.
            lambda params: {"beforeTime": "", "beforeId": "", **params},
        ),
        NamedQuery("relationship_path", _path_embedded, _to_paths, _check_path),
        NamedQuery("ego_network", _ego_embedded, _to_network, _check_ego),
        NamedQuery(
            "network_influence",
            network.influence_embedded,
            network.to_influence,
            network.check_influence,
            in_python=True,
        ),
        NamedQuery(
            "customers_network_influence",
            network.influence_many,
            _grouped(network.to_influence),
            _batch_check("customerIds", "customer ID", network.check_influence),
            in_python=True,
        ),
        NamedQuery("related_customers", _related_embedded, _to_related, bounded("first", 1000)),
        NamedQuery("contact_frequency", _contacts_embedded, _to_contacts, _check_contacts),
        NamedQuery("campaign_response", _campaign_embedded, _to_campaign),
        NamedQuery("segment_members", _segment_embedded, _to_segment, _check_page),
        NamedQuery(
            "search_customers",
            search.search_embedded,
            search.to_hits,
            search.check_search,
            search.prepare_search,
        ),
        NamedQuery(
            "churn_risk",
            insights.churn_embedded,
            insights.to_churn_risk,
            insights.check_churn,
            insights.prepare_churn,
        ),
        NamedQuery(
            "at_risk",
            insights.at_risk_embedded,
            insights.to_at_risk,
            insights.check_at_risk,
            insights.prepare_at_risk,
        ),
        NamedQuery(
            "next_best_products",
            insights.next_best_embedded,
            insights.to_next_best,
            insights.check_next_best,
            insights.prepare_next_best,
        ),
        NamedQuery(
            "household_white_space",
            insights.household_white_space_embedded,
            insights.to_white_space,
            insights.check_white_space,
        ),
        NamedQuery(
            "customers_churn_risk",
            insights.churn_many_embedded,
            _grouped(insights.to_churn_risk, "customerId"),
            _batch_check("customerIds", "customer ID", insights.check_churn),
            insights.prepare_churn,
        ),
        NamedQuery(
            "customers_next_best_products",
            insights.next_best_many_embedded,
            _grouped(insights.to_next_best, "subject"),
            _batch_check("customerIds", "customer ID", insights.check_next_best),
            insights.prepare_next_best,
        ),
        NamedQuery(
            "households_white_space",
            insights.households_white_space_embedded,
            _grouped(insights.to_white_space, "subject"),
            _batch_check("householdIds", "household ID", insights.check_white_space),
        ),
        NamedQuery(
            "customers_items",
            tracking.items_many_embedded,
            _grouped(tracking.to_items),
            _batch_check("customerIds", "customer ID", tracking.check_items),
        ),
        NamedQuery(
            "instances_journey",
            tracking.journeys_embedded,
            _grouped(tracking.to_journey, "forEpc"),
            _batch_check("epcs", "EPC", tracking.check_journey),
            tracking.prepare_epcs,
        ),
        NamedQuery(
            "instances_location",
            tracking.locations_embedded,
            _grouped(tracking.to_location, "forEpc"),
            _batch_check("epcs", "EPC"),
            tracking.prepare_epcs,
        ),
        NamedQuery(
            "instances_custody",
            tracking.custodies_embedded,
            _grouped(tracking.to_custody, "forEpc"),
            _batch_check("epcs", "EPC", tracking.check_journey),
            tracking.prepare_epcs,
        ),
        NamedQuery(
            "product_journey",
            tracking.journey_embedded,
            tracking.to_journey,
            tracking.check_journey,
            tracking.prepare_epc,
        ),
        NamedQuery(
            "current_location",
            tracking.location_embedded,
            tracking.to_location,
            prepare=tracking.prepare_epc,
        ),
        NamedQuery(
            "containment_at",
            tracking.containment_embedded,
            tracking.to_containers,
            tracking.check_at,
            tracking.prepare_at,
        ),
        NamedQuery(
            "chain_of_custody",
            tracking.custody_embedded,
            tracking.to_custody,
            tracking.check_journey,
            tracking.prepare_epc,
        ),
        NamedQuery(
            "customer_items",
            tracking.items_embedded,
            tracking.to_items,
            tracking.check_items,
        ),
        NamedQuery(
            "shelf_interactions",
            shelf.shelf_embedded,
            shelf.to_interactions,
            shelf.check_shelf,
            shelf.prepare_shelf,
        ),
        NamedQuery(
            "end_of_life",
            lifecycle.end_of_life_embedded,
            lifecycle.to_end_of_life,
            prepare=tracking.prepare_epc,
        ),
        NamedQuery(
            "channel_preference",
            insights.channels_embedded,
            insights.to_channels,
            insights.check_channels,
        ),
    )
}


_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "int": int,
    "float": (int, float),
    "list": list,
}


def _checked(query: NamedQuery[Any], params: dict[str, Any]) -> dict[str, Any]:
    declared = {p.name: p.type for p in query.file.params}
    missing = sorted(declared.keys() - params.keys())
    extra = sorted(params.keys() - declared.keys())
    if missing or extra:
        # Parameters ckb derives from the others are not the caller's to give.
        typed = [p.name for p in query.file.params if "(derived" not in p.doc]
        missing = [m for m in missing if m in typed] or missing
        raise QueryParameterError(
            f"{query.name} takes {', '.join(typed)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    for name, type_name in declared.items():
        expected = _TYPES.get(type_name, object)
        value = params[name]
        if not isinstance(value, expected) or (type_name == "int" and isinstance(value, bool)):
            raise QueryParameterError(f"{query.name}: {name} must be {type_name}, got {value!r}")
    query.check(params)
    return params


def run_query(store: GraphStore, name: str, /, **params: Any) -> Any:
    """Answer a named question on whichever store this is."""
    try:
        query = QUERIES[name]
    except KeyError:
        raise UnknownQueryError(f"unknown query {name!r}; queries: {', '.join(QUERIES)}") from None
    params = _checked(query, query.prepare(params))
    read_query = cypher_reader(store)
    if read_query is not None and not query.in_python:
        rows = read_query(name, query.file.text, params)
    else:
        rows = query.embedded(store, **params)
    return query.result(rows)
