"""Named queries over scores and rules: churn risk, at risk, next best product, household
white space, channel preference.

Each has its Cypher file in queries/; the embedded implementations here return rows shaped
like Cypher's, and the result constructors hand them to the pure domain code (churn.py,
whitespace.py) so both stores are judged by one implementation of the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.store import GraphStore, Neighbour, Node
from queries.base import QueryParameterError, Record, bounded, number
from scoring.churn import (
    COMPETITOR_CATEGORIES,
    COMPETITOR_REASONS,
    ChurnInputs,
    ChurnRisk,
    Window,
    assess,
    churn_inputs,
    risk_key_bounds,
)
from scoring.eligibility import Applicant, marketing_channels
from scoring.whitespace import Ineligible, Offer, Recommendation, next_best, rank_white_space

# ----------------------------------------------------------------------------- churn_risk


def _window(params: dict[str, Any]) -> Window:
    try:
        return Window(date.fromisoformat(params["asOf"]))
    except (TypeError, ValueError):
        raise QueryParameterError(
            f"asOf must be a date, YYYY-MM-DD, got {params['asOf']!r}"
        ) from None


def prepare_churn(params: dict[str, Any]) -> dict[str, Any]:
    """Risk is assessed today unless the caller names a date."""
    params = {"asOf": date.today().isoformat(), **params}
    if not isinstance(params.get("asOf"), str):
        return params
    return {
        **params,
        **_window(params).params(),
        "competitorReasons": list(COMPETITOR_REASONS),
        "competitorCategories": list(COMPETITOR_CATEGORIES),
    }


def churn_embedded(store: GraphStore, customerId: str, asOf: str, **_: Any) -> list[Record]:
    return churn_many_embedded(store, [customerId], asOf)


def churn_many_embedded(
    store: GraphStore, customerIds: list[str], asOf: str, **_: Any
) -> list[Record]:
    """``churn_risk``'s inputs for many customers: three store calls whatever their number."""
    found = store.get_nodes("Customer", customerIds)
    customers = [c for c in dict.fromkeys(customerIds) if c in found]
    window = Window(date.fromisoformat(asOf))
    holdings = store.neighbours_many("Customer", customers, "HOLDS", "out", "Holding", limit=10**6)
    touchpoints = store.neighbours_many(
        "Customer", customers, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
    )
    return [
        _churn_row(c, asOf, window, touchpoints.get(c, []), holdings.get(c, [])) for c in customers
    ]


def _churn_row(
    customerId: str,
    asOf: str,
    window: Window,
    touchpoints: list[Neighbour],
    holdings: list[Neighbour],
) -> Record:
    inputs = churn_inputs(
        ({**n.node.props, "id": n.node.key} for n in touchpoints),
        ({**n.node.props, "id": n.node.key} for n in holdings),
        window,
    )
    return {
        "customerId": customerId,
        "asOf": asOf,
        "holdings": inputs.holdings,
        "activeHoldings": inputs.active_holdings,
        "closedRecently": list(inputs.closed_recently),
        "complaints": inputs.complaints_90d,
        "openComplaints": inputs.open_complaints,
        "oldestOpenComplaint": inputs.oldest_open_complaint,
        "competitorInquiries": inputs.competitor_inquiries,
        "lastCompetitorInquiry": inputs.last_competitor_inquiry,
        "inboundRecent": inputs.inbound_recent,
        "inboundPrior": inputs.inbound_prior,
    }


def to_churn_risk(rows: list[Record]) -> ChurnRisk | None:
    if not rows:
        return None
    r = rows[0]
    inputs = ChurnInputs(
        holdings=int(r["holdings"]),
        active_holdings=int(r["activeHoldings"]),
        closed_recently=tuple(sorted(r["closedRecently"])),
        complaints_90d=int(r["complaints"]),
        open_complaints=int(r["openComplaints"]),
        oldest_open_complaint=r["oldestOpenComplaint"],
        competitor_inquiries=int(r["competitorInquiries"]),
        last_competitor_inquiry=r["lastCompetitorInquiry"],
        inbound_recent=int(r["inboundRecent"]),
        inbound_prior=int(r["inboundPrior"]),
    )
    return assess(r["customerId"], inputs, Window(date.fromisoformat(r["asOf"])))


def check_churn(params: dict[str, Any]) -> None:
    _window(params)


# ----------------------------------------------------------------------------- at_risk

MAX_AT_RISK = 500


@dataclass(frozen=True, slots=True)
class AtRisk:
    customer_id: str
    name: str | None
    churn_score: float
    signals: tuple[str, ...]
    lifetime_value: float | None
    scored_on: str | None


def at_risk_embedded(
    store: GraphStore, tier: str, minScore: float, first: int, low: str, high: str
) -> list[Record]:
    found = store.find_range("Customer", "risk_key", low=low, high=high, limit=first)
    return [
        {
            "customerId": n.key,
            "name": n.props.get("name"),
            "churnScore": n.props.get("churn_score"),
            "signals": n.props.get("churn_signals"),
            "lifetimeValue": n.props.get("lifetime_value"),
            "scoredOn": n.props.get("scored_on"),
        }
        for n in found
    ]


def prepare_at_risk(params: dict[str, Any]) -> dict[str, Any]:
    tier, score = params.get("tier"), params.get("minScore")
    if not isinstance(tier, str) or not isinstance(score, int | float):
        return params
    low, high = risk_key_bounds(tier, float(score))
    return {**params, "low": low, "high": high}


def to_at_risk(rows: list[Record]) -> list[AtRisk]:
    return [
        AtRisk(
            r["customerId"],
            r["name"],
            float(r["churnScore"]),
            tuple(r["signals"] or ()),
            number(r["lifetimeValue"]),
            r["scoredOn"],
        )
        for r in rows
    ]


def check_at_risk(params: dict[str, Any]) -> None:
    bounded("first", MAX_AT_RISK)(params)
    bounded("minScore", 1, least=0)(params)


# ----------------------------------------------------------------------------- white space

MAX_RECOMMENDATIONS = 50


@dataclass(frozen=True, slots=True)
class WhiteSpace:
    subject: str  # the customer or household
    held_lines: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    # For a customer: the date eligibility was judged on, and the white-space lines left
    # out because no product in them may be offered to them, with why.
    as_of: str | None = None
    ineligible: tuple[Ineligible, ...] = ()


def _terms(product: Node) -> Record:
    """A product's eligibility terms, keyed as next_best_products.cypher returns them."""
    return {
        "minAge": product.props.get("min_age"),
        "customerTypes": product.props.get("customer_types"),
        "regions": product.props.get("regions"),
        "excludes": product.props.get("excludes"),
    }


def _white_space_many(
    store: GraphStore, held_of: dict[str, set[str]], first: int
) -> dict[str, Record]:
    """The white-space row of each subject (customer or household: the product lines it
    holds), shaped like next_best_products.cypher's: four store calls whatever their number."""
    lines = store.keys_page("ProductLine", None, 100_000)
    nodes = store.get_nodes("ProductLine", lines)
    rules = store.neighbours_many(
        "ProductLine", sorted(set().union(*held_of.values())), "CO_HELD", "out", limit=100_000
    )
    products = store.neighbours_many(
        "ProductLine", lines, "IN_LINE", "in", "Product", limit=100_000
    )
    offered = {
        line: [
            {
                "id": p.node.key,
                "name": p.node.props.get("name"),
                "holders": p.node.props.get("holders"),
                **_terms(p.node),
            }
            for p in products.get(line, [])
        ]
        for line in lines
    }
    return {
        subject: _white_space_row(subject, held, lines, nodes, rules, offered, first)
        for subject, held in held_of.items()
    }


def _white_space_row(
    subject: str,
    held: set[str],
    lines: list[str],
    nodes: dict[str, Node],
    rules: dict[str, list[Neighbour]],
    offered: dict[str, list[Record]],
    first: int,
) -> Record:
    by_candidate: dict[str, list[Record]] = {}
    for basis in sorted(held):
        for n in rules.get(basis, []):
            by_candidate.setdefault(n.node.key, []).append(
                {
                    "basis": basis,
                    "customers": n.edge.props.get("customers"),
                    "confidence": n.edge.props.get("confidence"),
                    "lift": n.edge.props.get("lift"),
                }
            )
    return {
        "subject": subject,
        "held": sorted(held),
        "candidates": [
            {
                "line": line,
                "name": nodes[line].props.get("name") if line in nodes else None,
                "penetration": nodes[line].props.get("penetration") if line in nodes else None,
                "rules": by_candidate.get(line, []),
                "products": offered[line],
            }
            for line in lines
            if line not in held
        ],
        "first": first,
    }


def _active_products(
    store: GraphStore, customers: list[str]
) -> dict[str, dict[str, tuple[Node, str]]]:
    """For each customer, the products they hold in an active account, each with its line:
    three store calls whatever their number."""
    return _products_held(store, customers)[0]


def _products_held(
    store: GraphStore, customers: list[str], closed: bool = False
) -> tuple[dict[str, dict[str, tuple[Node, str]]], dict[str, list[Record]]]:
    """:func:`_active_products`, and with ``closed`` each customer's closed holdings as
    next_best_products.cypher returns them (``{id, closedOn}``, id the product's): three
    store calls whatever their number."""
    held = store.neighbours_many("Customer", customers, "HOLDS", "out", "Holding", limit=100_000)
    status = {n.node.key: n.node.props.get("status") for f in held.values() for n in f}
    wanted = ("active", "closed") if closed else ("active",)
    products = store.neighbours_many(
        "Holding", sorted(h for h, s in status.items() if s in wanted), "OF_PRODUCT", limit=1
    )
    active = {p[0].node.key for h, p in products.items() if status[h] == "active"}
    lines = store.neighbours_many("Product", sorted(active), "IN_LINE", limit=1)
    found: dict[str, dict[str, tuple[Node, str]]] = {}
    left: dict[str, list[Record]] = {}
    for customer in dict.fromkeys(customers):
        mine = found[customer] = {}
        gone = left[customer] = []
        for n in held.get(customer, []):
            if n.node.key not in products:
                continue
            product = products[n.node.key][0].node
            if status[n.node.key] == "active" and product.key in lines:
                mine[product.key] = (product, lines[product.key][0].node.key)
            elif status[n.node.key] == "closed":
                gone.append({"id": product.key, "closedOn": n.node.props.get("closed_on")})
    return found, left


def next_best_embedded(store: GraphStore, customerId: str, first: int, asOf: str) -> list[Record]:
    return next_best_many_embedded(store, [customerId], first, asOf)


def next_best_many_embedded(
    store: GraphStore, customerIds: list[str], first: int, asOf: str
) -> list[Record]:
    """``next_best_products``' rows for many customers: nine store calls whatever their
    number."""
    found = store.get_nodes("Customer", customerIds)
    customers = [c for c in dict.fromkeys(customerIds) if c in found]
    if not customers:
        return []
    held, closed = _products_held(store, customers, closed=True)
    consents = store.neighbours_many(
        "Customer", customers, "HAS_CONSENT", "out", "Consent", limit=10_000
    )
    spaces = _white_space_many(
        store, {c: {line for _, line in held[c].values()} for c in customers}, first
    )
    rows = []
    for c in customers:
        row = spaces[c]
        row["asOf"] = asOf
        row["customer"] = {
            "kind": found[c].props.get("kind"),
            "birthDate": found[c].props.get("birth_date"),
            "country": found[c].props.get("country"),
            "holds": [
                {"id": key, "name": p.props.get("name"), "excludes": p.props.get("excludes")}
                for key, (p, _) in sorted(held[c].items())
            ],
            "closed": closed[c],
            "marketing": [
                {f: k.node.props.get(f) for f in ("channel", "granted", "given_at", "withdrawn_at")}
                for k in consents.get(c, [])
                if k.node.props.get("purpose") == "marketing"
            ],
        }
        rows.append(row)
    return rows


def household_white_space_embedded(store: GraphStore, householdId: str, first: int) -> list[Record]:
    return households_white_space_embedded(store, [householdId], first)


def households_white_space_embedded(
    store: GraphStore, householdIds: list[str], first: int
) -> list[Record]:
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
    spaces = _white_space_many(
        store,
        {
            h: {line for m in members.get(h, []) for _, line in held[m.node.key].values()}
            for h in households
        },
        first,
    )
    return [spaces[h] for h in households]


def to_white_space(rows: list[Record]) -> WhiteSpace | None:
    if not rows:
        return None
    r = rows[0]
    return WhiteSpace(
        r["subject"],
        tuple(sorted(r["held"])),
        tuple(rank_white_space(r["candidates"], int(r["first"]))),
    )


check_white_space = bounded("first", MAX_RECOMMENDATIONS)


def to_next_best(rows: list[Record]) -> WhiteSpace | None:
    if not rows:
        return None
    r = rows[0]
    customer = r["customer"]
    offer = Offer(
        Applicant.from_row(customer),
        date.fromisoformat(r["asOf"]),
        marketing_channels(customer.get("marketing") or ()),
    )
    recommendations, ineligible = next_best(r["candidates"], int(r["first"]), offer)
    return WhiteSpace(
        r["subject"],
        tuple(sorted(r["held"])),
        tuple(recommendations),
        r["asOf"],
        tuple(ineligible),
    )


def prepare_next_best(params: dict[str, Any]) -> dict[str, Any]:
    """Ages are taken today unless the caller names a date."""
    return {"asOf": date.today().isoformat(), **params}


def check_next_best(params: dict[str, Any]) -> None:
    check_white_space(params)
    try:
        date.fromisoformat(params["asOf"])
    except ValueError:
        raise QueryParameterError(
            f"asOf must be a date, YYYY-MM-DD, got {params['asOf']!r}"
        ) from None


# ----------------------------------------------------------------------------- channels


@dataclass(frozen=True, slots=True)
class ChannelStats:
    channel: str | None
    inbound: int
    outbound: int
    campaign_contacts: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        return round(self.responses / self.campaign_contacts, 4) if self.campaign_contacts else None


@dataclass(frozen=True, slots=True)
class ChannelPreference:
    channels: tuple[ChannelStats, ...]
    by_use: str | None  # most customer-initiated contacts
    by_response: str | None  # best campaign response rate (at least one response)


def channels_embedded(store: GraphStore, customerId: str, **period: str) -> list[Record]:
    start, end = period["from"], period["to"]
    touched = [
        n.node
        for n in store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
        if start <= str(n.node.props.get("occurred_at", "")) < end
        and n.node.props.get("occurred_at") is not None
    ]
    campaigns = store.neighbours_many("Touchpoint", [t.key for t in touched], "PART_OF", limit=1)
    answered: set[str] = set()
    if campaigns:
        everything = store.neighbours(
            "Customer", customerId, "HAD_TOUCHPOINT", "out", "Touchpoint", limit=10**7
        )
        responses = store.neighbours_many(
            "Touchpoint", [n.node.key for n in everything], "RESPONDED_TO", limit=10_000
        )
        answered = {n.node.key for found in responses.values() for n in found}
    cells: dict[Any, list[int]] = {}
    for t in touched:
        cell = cells.setdefault(t.props.get("channel"), [0, 0, 0, 0])
        direction = t.props.get("direction")
        cell[0] += direction == "inbound"
        cell[1] += direction == "outbound"
        if t.key in campaigns:
            cell[2] += 1
            cell[3] += campaigns[t.key][0].node.key in answered
    return [
        {
            "channel": channel,
            "inbound": c[0],
            "outbound": c[1],
            "campaignContacts": c[2],
            "responses": c[3],
        }
        for channel, c in sorted(cells.items(), key=lambda i: (i[0] is None, str(i[0])))
    ]


def to_channels(rows: list[Record]) -> ChannelPreference:
    channels = tuple(
        ChannelStats(
            r["channel"],
            int(r["inbound"]),
            int(r["outbound"]),
            int(r["campaignContacts"]),
            int(r["responses"]),
        )
        for r in rows
    )
    used = [c for c in channels if c.inbound]
    by_use = min(used, key=lambda c: (-c.inbound, str(c.channel))).channel if used else None
    answered = [c for c in channels if c.responses]
    by_response = (
        min(
            answered,
            key=lambda c: (-(c.response_rate or 0.0), -c.responses, str(c.channel)),
        ).channel
        if answered
        else None
    )
    return ChannelPreference(channels, by_use, by_response)


def check_channels(params: dict[str, Any]) -> None:
    if not params["from"] < params["to"]:
        raise QueryParameterError("from must be before to")
