"""next_best_products and customers_next_best_products: the product lines a customer does
not hold, ranked by how often their lines are held with them (the ``CO_HELD`` rules ``ckb
segment`` computes), each with the products in it the customer may be offered; and the
white-space row household_white_space shares.

The embedded implementation returns rows shaped like next_best_products.cypher's; the
result constructor hands them to the pure rules (scoring/whitespace.py, eligibility.py),
so both stores are judged by one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from graph.clock import today
from graph.store import GraphStore, Neighbour, Node
from queries.base import Grouped, QueryParameterError, Record, batch_check, bounded
from queries.engine import named_query
from scoring.eligibility import Applicant, marketing_channels
from scoring.whitespace import Ineligible, Offer, Recommendation, next_best, rank_white_space

MAX_RECOMMENDATIONS = 50

check_white_space = bounded("first", MAX_RECOMMENDATIONS)


class WhiteSpaceRow(TypedDict):
    subject: str  # the customer or household
    held: list[str]  # the product lines it holds
    candidates: list[Record]  # the other lines, as scoring.whitespace ranks them
    first: int


class NextBestRow(WhiteSpaceRow):
    asOf: str
    customer: Record  # who is asking, as scoring.eligibility judges them


@dataclass(frozen=True, slots=True)
class WhiteSpace:
    subject: str  # the customer or household
    held_lines: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    # For a customer: the date eligibility was judged on, and the white-space lines left
    # out because no product in them may be offered to them, with why.
    as_of: str | None = None
    ineligible: tuple[Ineligible, ...] = ()


def to_white_space(rows: list[WhiteSpaceRow]) -> WhiteSpace | None:
    if not rows:
        return None
    r = rows[0]
    return WhiteSpace(
        r["subject"],
        tuple(sorted(r["held"])),
        tuple(rank_white_space(r["candidates"], int(r["first"]))),
    )


def to_next_best(rows: list[NextBestRow]) -> WhiteSpace | None:
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
    return {"asOf": today().isoformat(), **params}


def check_next_best(params: dict[str, Any]) -> None:
    check_white_space(params)
    try:
        date.fromisoformat(params["asOf"])
    except ValueError:
        raise QueryParameterError(
            f"asOf must be a date, YYYY-MM-DD, got {params['asOf']!r}"
        ) from None


def _terms(product: Node) -> Record:
    """A product's eligibility terms, keyed as next_best_products.cypher returns them."""
    return {
        "minAge": product.props.get("min_age"),
        "customerTypes": product.props.get("customer_types"),
        "regions": product.props.get("regions"),
        "excludes": product.props.get("excludes"),
    }


def white_space_many(
    store: GraphStore, held_of: dict[str, set[str]], first: int
) -> dict[str, WhiteSpaceRow]:
    """The white-space row of each subject (customer or household: the product lines it
    holds), shaped like next_best_products.cypher's: four store calls whatever their number."""
    lines = store.keys_page("ProductLine", None, 100_000)
    nodes = store.get_nodes("ProductLine", lines)
    rules = store.neighbours_many(
        "ProductLine",
        sorted(set().union(*held_of.values())),
        "CO_HELD",
        "out",
        limit=100_000,
    )
    products = store.neighbour_nodes_many(
        "ProductLine", lines, "IN_LINE", "in", "Product", limit=100_000
    )
    offered = {
        line: [
            {
                "id": p.key,
                "name": p.props.get("name"),
                "holders": p.props.get("holders"),
                **_terms(p),
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
) -> WhiteSpaceRow:
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


def products_held(
    store: GraphStore, customers: list[str], closed: bool = False
) -> tuple[dict[str, dict[str, tuple[Node, str]]], dict[str, list[Record]]]:
    """The products each customer holds in an active account, each with its line; and
    with ``closed`` each customer's closed holdings as next_best_products.cypher returns
    them (``{id, closedOn}``, id the product's): three store calls whatever their number."""
    held = store.neighbour_nodes_many(
        "Customer", customers, "HOLDS", "out", "Holding", limit=100_000
    )
    status = {h.key: h.props.get("status") for f in held.values() for h in f}
    wanted = ("active", "closed") if closed else ("active",)
    products = store.neighbour_nodes_many(
        "Holding", sorted(h for h, s in status.items() if s in wanted), "OF_PRODUCT", limit=1
    )
    active = {p[0].key for h, p in products.items() if status[h] == "active"}
    lines = store.neighbour_nodes_many("Product", sorted(active), "IN_LINE", limit=1)
    found: dict[str, dict[str, tuple[Node, str]]] = {}
    left: dict[str, list[Record]] = {}
    for customer in dict.fromkeys(customers):
        mine = found[customer] = {}
        gone = left[customer] = []
        for holding in held.get(customer, []):
            if holding.key not in products:
                continue
            product = products[holding.key][0]
            if status[holding.key] == "active" and product.key in lines:
                mine[product.key] = (product, lines[product.key][0].key)
            elif status[holding.key] == "closed":
                gone.append({"id": product.key, "closedOn": holding.props.get("closed_on")})
    return found, left


@named_query(
    "customers_next_best_products",
    Grouped(to_next_best, "subject"),
    batch_check("customerIds", "customer ID", check_next_best),
    prepare_next_best,
)
def next_best_many(
    store: GraphStore, customerIds: list[str], first: int, asOf: str
) -> list[NextBestRow]:
    """``next_best_products``' rows for many customers: nine store calls whatever their
    number."""
    found = store.get_nodes("Customer", customerIds)
    customers = [c for c in dict.fromkeys(customerIds) if c in found]
    if not customers:
        return []
    held, closed = products_held(store, customers, closed=True)
    consents = store.neighbour_nodes_many(
        "Customer", customers, "HAS_CONSENT", "out", "Consent", limit=10_000
    )
    spaces = white_space_many(
        store, {c: {line for _, line in held[c].values()} for c in customers}, first
    )
    rows: list[NextBestRow] = []
    for c in customers:
        customer = {
            "kind": found[c].props.get("kind"),
            "birthDate": found[c].props.get("birth_date"),
            "country": found[c].props.get("country"),
            "holds": [
                {"id": key, "name": p.props.get("name"), "excludes": p.props.get("excludes")}
                for key, (p, _) in sorted(held[c].items())
            ],
            "closed": closed[c],
            "marketing": [
                {f: k.props.get(f) for f in ("channel", "granted", "given_at", "withdrawn_at")}
                for k in consents.get(c, [])
                if k.props.get("purpose") == "marketing"
            ],
        }
        rows.append({**spaces[c], "asOf": asOf, "customer": customer})
    return rows


@named_query("next_best_products", to_next_best, check_next_best, prepare_next_best)
def next_best_products(
    store: GraphStore, customerId: str, first: int, asOf: str
) -> list[NextBestRow]:
    return next_best_many(store, [customerId], first, asOf)
