"""The small graphs the named-query and customer-list tests hand-check their answers
against, on every store: three customers with sources, a household and holdings (and, for
the customer lists, a fourth customer, tiers, cities and touchpoints); a network of people
related in several ways; a catalogue with eligibility terms and customers it tests."""

from __future__ import annotations

from graph.store import GraphStore, RelRow
from queries.customer_filter import Compare, Related


def named_fixture(store: GraphStore) -> None:
    """Ann, Bob and Cy; Ann's three source records; a household of Ann and Bob; mobile and
    savings holdings (one closed, one shared by Ann and Bob, one without a value)."""
    store.upsert_nodes(
        "ProductLine",
        [
            {"id": "mobile", "name": "Mobile"},
            {"id": "savings", "name": "Savings"},
            {"id": "tv", "name": "TV"},
        ],
    )
    store.upsert_nodes("Product", [{"id": "MOB"}, {"id": "MOB2"}, {"id": "SAV"}])
    store.upsert_relationships(
        "IN_LINE",
        "Product",
        "ProductLine",
        [RelRow("MOB", "mobile"), RelRow("MOB2", "mobile"), RelRow("SAV", "savings")],
    )
    store.upsert_nodes(
        "Customer",
        [{"id": "ann", "name": "Ann"}, {"id": "bob", "name": "Bob"}, {"id": "cy", "name": "Cy"}],
    )
    store.upsert_nodes(
        "SourceRecord",
        [
            {"id": "web:1", "source_system": "web", "source_record_id": "1"},
            {"id": "billing:B7", "source_system": "billing", "source_record_id": "B7"},
            {"id": "billing:B8", "source_system": "billing", "source_record_id": "B8"},
        ],
    )
    store.upsert_relationships(
        "RESOLVED_TO",
        "SourceRecord",
        "Customer",
        [
            RelRow("web:1", "ann", {"rule": "email", "score": 0.97}),
            RelRow("billing:B7", "ann", {"rule": "singleton", "score": 1.0}),
            RelRow("billing:B8", "bob", {"rule": "singleton", "score": 1.0}),
        ],
    )
    store.upsert_nodes("Household", [{"id": "h1"}])
    store.upsert_relationships(
        "MEMBER_OF",
        "Customer",
        "Household",
        [
            RelRow("ann", "h1", {"role": "head", "age_band": "35-44"}),
            RelRow("bob", "h1", {"role": "partner"}),
        ],
    )
    store.upsert_nodes(
        "Holding",
        [
            {"id": "a1", "status": "active", "monthly_value": 20.5},
            {"id": "a2", "status": "active", "monthly_value": 14},
            {"id": "a3", "status": "closed", "monthly_value": 99.0},
            {"id": "a4", "status": "active", "monthly_value": 5.25},
            {"id": "a5", "status": "active"},
        ],
    )
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [
            RelRow("ann", "a1"),
            RelRow("ann", "a2"),
            RelRow("ann", "a3"),
            RelRow("ann", "a4"),
            RelRow("bob", "a4"),
            RelRow("ann", "a5"),
        ],
    )
    store.upsert_relationships(
        "OF_PRODUCT",
        "Holding",
        "Product",
        [
            RelRow("a1", "MOB"),
            RelRow("a2", "MOB2"),
            RelRow("a3", "SAV"),
            RelRow("a4", "SAV"),
            RelRow("a5", "SAV"),
        ],
    )


def customer_list_fixture(store: GraphStore) -> None:
    """On top of ``named_fixture``: Dee, tiers, cities, lifetime values and touchpoints
    (complaints in August and October, an inquiry)."""
    named_fixture(store)
    store.upsert_nodes(
        "Customer",
        [
            {"id": "ann", "value_tier": "gold", "city": "Oslo", "lifetime_value": 900.0},
            {"id": "bob", "value_tier": "silver", "city": "Bergen", "lifetime_value": 120.0},
            {"id": "cy", "value_tier": "gold"},
            {"id": "dee", "name": "Dee", "value_tier": "bronze", "city": "Oslo"},
        ],
    )
    store.upsert_nodes(
        "Touchpoint",
        [
            {"id": "t1", "kind": "complaint", "occurred_at": "2026-10-20T10:00:00Z"},
            {"id": "t2", "kind": "complaint", "occurred_at": "2026-08-01T10:00:00Z"},
            {"id": "t3", "kind": "inquiry", "occurred_at": "2026-10-21T10:00:00Z"},
            {"id": "t4", "kind": "complaint", "occurred_at": "2026-10-25T10:00:00Z"},
        ],
    )
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow("ann", "t1"), RelRow("bob", "t2"), RelRow("bob", "t3"), RelRow("cy", "t4")],
    )


def people_network(store: GraphStore) -> None:
    """Customers a..e and z: a -family- b -referral- c; a and d share household h;
    d -employer- c (two routes a..c); a -co_signer- b too; e -referral- c; z alone."""
    store.upsert_nodes(
        "Customer", [{"id": k, "name": k.upper()} for k in ("a", "b", "c", "d", "e", "z")]
    )
    store.upsert_nodes("Household", [{"id": "h"}])
    store.upsert_relationships(
        "MEMBER_OF", "Customer", "Household", [RelRow("a", "h"), RelRow("d", "h")]
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow("a", "b", {"kind": "family"}),
            RelRow("b", "c", {"kind": "referral"}),
            RelRow("c", "d", {"kind": "employer"}),
            RelRow("a", "b", {"kind": "co_signer"}),
            RelRow("e", "c", {"kind": "referral"}),
        ],
    )


def eligibility_catalogue(store: GraphStore) -> None:
    """Adult-only, person-only and mutually exclusive products; a 12-year-old, a
    16-year-old, a business and a fixed-rate mortgage holder, with their consents."""
    lines = {
        "broadband": [("BB-300", "Fibre 300", 5, {"min_age": 18, "excludes": ["BB-1000"]}),
                      ("BB-1000", "Fibre 1000", 2, {"min_age": 18})],
        "home_services": [("HS-BOILER", "Boiler cover", 4, {"min_age": 18, "customer_types": ["person"]})],
        "mortgage_fixed": [("MORT-FIX5", "Fixed-rate mortgage 5y", 3, {"min_age": 18, "customer_types": ["person"]})],
        "mortgage_variable": [("MORT-VAR", "Variable mortgage", 3, {"min_age": 18, "customer_types": ["person"], "excludes": ["MORT-FIX5"]})],
        "credit_card": [("CC-CLASSIC", "Classic card", 6, {"min_age": 18})],
        "mobile": [("MOB-UNL", "Mobile unlimited", 9, {"min_age": 18}),
                   ("MOB-10", "Mobile 10 GB", 3, {"min_age": 16})],
        "savings": [("SAV-EASY", "Easy-access savings", 1, {})],
    }  # fmt: skip
    store.upsert_nodes("ProductLine", [{"id": line, "name": line.title()} for line in lines])
    store.upsert_nodes(
        "Product",
        [{"id": p, "name": n, "holders": h, **t} for ps in lines.values() for p, n, h, t in ps],
    )
    store.upsert_relationships(
        "IN_LINE", "Product", "ProductLine",
        [RelRow(p[0], line) for line, ps in lines.items() for p in ps],
    )  # fmt: skip
    store.upsert_nodes(
        "Customer",
        [
            {"id": "kid", "kind": "person", "birth_date": "2014-03-01", "country": "US"},
            {"id": "teen", "kind": "person", "birth_date": "2010-01-01"},
            {"id": "acme", "kind": "organization", "name": "Acme Ltd"},
            {"id": "fay", "kind": "person", "birth_date": "1980-05-01"},
        ],
    )
    store.upsert_nodes("Holding", [{"id": "fay-m", "status": "active", "monthly_value": 900.0}])
    store.upsert_relationships("HOLDS", "Customer", "Holding", [RelRow("fay", "fay-m")])
    store.upsert_relationships("OF_PRODUCT", "Holding", "Product", [RelRow("fay-m", "MORT-FIX5")])
    consents = [
        ("acme", "any", True, "2024-01-01T00:00:00Z"),
        ("fay", "email", True, "2024-01-01T00:00:00Z"),
        ("fay", "phone", False, "2025-01-01T00:00:00Z"),
    ]
    store.upsert_nodes(
        "Consent",
        [{"id": f"k-{c}-{ch}", "purpose": "marketing", "channel": ch, "granted": g,
          "given_at" if g else "withdrawn_at": at} for c, ch, g, at in consents]
        + [{"id": "k-kid-3p", "purpose": "third_party_data", "channel": "any", "granted": True}],
    )  # fmt: skip
    store.upsert_relationships(
        "HAS_CONSENT", "Customer", "Consent",
        [RelRow(c, f"k-{c}-{ch}") for c, ch, _, _ in consents] + [RelRow("kid", "k-kid-3p")],
    )  # fmt: skip


def one_way_world(store: GraphStore) -> None:
    """The named-query fixture, the people network and the eligibility catalogue, a
    self-loop (read "in", the port gives it as an outgoing relationship), touchpoints on two
    channels with their agents, co-ownership rules, a product in two lines (``limit=1``
    takes the first) and a customer with many touchpoints: every shape of one-way read."""
    named_fixture(store)
    people_network(store)
    eligibility_catalogue(store)
    store.upsert_relationships(
        "RELATED_TO", "Customer", "Customer", [RelRow("z", "z", {"kind": "self"})]
    )
    _touchpoints_and_rules(store)


def _touchpoints_and_rules(store: GraphStore) -> None:
    """Touchpoints on two channels with their agents, a complaint; co-ownership rules; a
    product in two lines (``limit=1`` takes the first); a customer with many touchpoints."""
    store.upsert_nodes("Agent", [{"id": "ag1"}, {"id": "ag2"}])
    kinds = ("visit", "complaint", "call", "inquiry")
    store.upsert_nodes(
        "Touchpoint",
        [
            {
                "id": f"t{i}",
                "occurred_at": f"2025-0{1 + i % 5}-1{i % 3}T10:00:00Z",
                "channel": "phone" if i % 2 else "web",
                "kind": kinds[i % 4],
            }
            for i in range(12)
        ],
    )
    people = ("ann", "bob", "fay", "kid")
    store.upsert_relationships(
        "HAD_TOUCHPOINT", "Customer", "Touchpoint",
        [RelRow(people[i % 4], f"t{i}") for i in range(12)],
    )  # fmt: skip
    store.upsert_relationships(
        "HANDLED_BY", "Touchpoint", "Agent",
        [RelRow(f"t{i}", "ag2" if i % 3 else "ag1") for i in range(0, 12, 2)],
    )  # fmt: skip
    store.upsert_relationships(
        "CO_HELD", "ProductLine", "ProductLine",
        [RelRow("mobile", "broadband", {"customers": 4, "confidence": 0.5, "lift": 1.5}),
         RelRow("savings", "credit_card", {"customers": 2, "confidence": 0.25, "lift": 1.1}),
         RelRow("mobile", "savings", {"customers": 3, "confidence": 0.4, "lift": 1.2})],
    )  # fmt: skip
    store.upsert_relationships("IN_LINE", "Product", "ProductLine", [RelRow("MOB", "tv")])
    # Keys out of their insertion order: the answer's order is the keys', not the rows'.
    many = [f"m{i:03d}" for i in (7, 3, 250, 1, 99, 42, *range(100, 160))]
    store.upsert_nodes("Customer", [{"id": "dan", "name": "Dan"}])
    store.upsert_nodes("Touchpoint", [{"id": k, "channel": "web"} for k in many])
    store.upsert_relationships("HAD_TOUCHPOINT", "Customer", "Touchpoint", [
        RelRow("dan", k) for k in many
    ])  # fmt: skip


RECENT_COMPLAINT = Related(
    "touchpoints",
    "some",
    (Compare("kind", "eq", "complaint"), Compare("occurred_at", "gte", "2026-10-01")),
)
"""Customers with a complaint since October (Ann and Cy in ``customer_list_fixture``)."""
