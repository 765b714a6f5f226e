"""next_best_products on every store: eligibility (age, customer type, exclusive
products, a line closed recently) and consent decide what is offered, and why not."""

from __future__ import annotations

from typing import Any

import pytest

from graph.store import GraphStore, RelRow
from queries.base import QueryParameterError
from queries.engine import run_query
from tests.support.named_fixture import eligibility_catalogue
from tests.support.page_batches import batch_answers_like_single


def _next_best(store: GraphStore, customer: str, **params: Any) -> Any:
    return run_query(store, "next_best_products", customerId=customer, first=10, **params)


def test_next_best_products_offers_a_child_nothing_for_adults(store: GraphStore) -> None:
    eligibility_catalogue(store)
    kid = _next_best(store, "kid", asOf="2026-06-30")
    assert kid.as_of == "2026-06-30"
    assert [(r.line, r.product_id) for r in kid.recommendations] == [("savings", "SAV-EASY")]
    assert {i.line: i.reasons for i in kid.ineligible} == {
        "broadband": ("Fibre 300: under 18 (age 12)", "Fibre 1000: under 18 (age 12)"),
        "credit_card": ("Classic card: under 18 (age 12)",),
        "home_services": ("Boiler cover: under 18 (age 12)",),
        "mobile": ("Mobile unlimited: under 18 (age 12)", "Mobile 10 GB: under 16 (age 12)"),
        "mortgage_fixed": ("Fixed-rate mortgage 5y: under 18 (age 12)",),
        "mortgage_variable": ("Variable mortgage: under 18 (age 12)",),
    }
    # Ages are taken today without asOf: still a child for years to come.
    assert [r.line for r in _next_best(store, "kid").recommendations] == ["savings"]
    with pytest.raises(QueryParameterError, match="asOf must be a date"):
        _next_best(store, "kid", asOf="soon")


def test_next_best_products_proposes_the_eligible_product_of_a_line(store: GraphStore) -> None:
    eligibility_catalogue(store)
    teen = _next_best(store, "teen", asOf="2026-06-30")
    mobile = next(r for r in teen.recommendations if r.line == "mobile")
    assert (mobile.product_id, mobile.product_name) == ("MOB-10", "Mobile 10 GB")
    assert mobile.eligibility == (
        "Mobile 10 GB: age 16 (16+)",
        "Mobile unlimited not offered: under 18 (age 16)",
    )
    assert mobile.evidence == (
        "Mobile: held by 0% of all customers; Mobile 10 GB: age 16 (16+); Mobile unlimited "
        "not offered: under 18 (age 16); no marketing consent: offer only when the customer "
        "gets in touch"
    )


def test_next_best_products_gives_a_business_no_personal_product(store: GraphStore) -> None:
    eligibility_catalogue(store)
    acme = _next_best(store, "acme", asOf="2026-06-30")
    assert [(r.line, r.product_id) for r in acme.recommendations] == [
        ("broadband", "BB-300"),
        ("credit_card", "CC-CLASSIC"),
        ("mobile", "MOB-UNL"),  # no age for a business
        ("savings", "SAV-EASY"),
    ]
    assert {i.line: i.reasons for i in acme.ineligible} == {
        "home_services": ("Boiler cover: personal customers only",),
        "mortgage_fixed": ("Fixed-rate mortgage 5y: personal customers only",),
        "mortgage_variable": ("Variable mortgage: personal customers only",),
    }
    assert {r.consent_allows for r in acme.recommendations} == {
        ("email", "phone", "post", "sms", "web")
    }


def test_next_best_products_a_fixed_rate_mortgage_excludes_the_variable_one(
    store: GraphStore,
) -> None:
    eligibility_catalogue(store)
    fay = _next_best(store, "fay", asOf="2026-06-30")
    assert fay.held_lines == ("mortgage_fixed",)
    assert [i.line for i in fay.ineligible] == ["mortgage_variable"]
    assert fay.ineligible[0].reasons == (
        "Variable mortgage: excluded by held Fixed-rate mortgage 5y",
    )
    assert "mortgage_variable" not in [r.line for r in fay.recommendations]
    broadband = fay.recommendations[0]
    assert (broadband.line, broadband.product_id) == ("broadband", "BB-300")
    assert broadband.eligibility == ("Fibre 300: age 46 (18+)",)
    # Marketing by email only: the phone consent was withdrawn.
    assert broadband.consent_allows == ("email",)
    assert broadband.evidence.endswith("; Fibre 300: age 46 (18+); marketing consent: email")


def test_next_best_products_does_not_offer_again_a_line_closed_recently(
    store: GraphStore,
) -> None:
    eligibility_catalogue(store)
    store.upsert_nodes("Customer", [{"id": "gus", "kind": "person", "birth_date": "1970-01-01"}])
    holdings = [
        ("gus-sav", "SAV-EASY", "active", None),
        ("gus-mob", "MOB-10", "closed", "2026-05-21"),  # 40 days before asOf
        ("gus-mob0", "MOB-10", "closed", "2024-01-01"),  # an older closure of the same
        ("gus-bb", "BB-1000", "closed", "2026-01-01"),  # 180 days before: still too soon
        ("gus-cc", "CC-CLASSIC", "closed", "2025-12-12"),  # 200 days: a win-back is fair
        ("gus-hs", "HS-BOILER", "suspended", None),  # not closed: does not block
    ]
    store.upsert_nodes(
        "Holding",
        [{"id": h, "status": s, **({"closed_on": on} if on else {})} for h, _, s, on in holdings],
    )
    store.upsert_relationships(
        "HOLDS", "Customer", "Holding", [RelRow("gus", h[0]) for h in holdings]
    )
    store.upsert_relationships(
        "OF_PRODUCT", "Holding", "Product", [RelRow(h, p) for h, p, _, _ in holdings]
    )
    gus = _next_best(store, "gus", asOf="2026-06-30")
    assert gus.held_lines == ("savings",)
    assert {i.line: i.reasons for i in gus.ineligible} == {
        "broadband": ("closed Fibre 1000 180 days ago",),
        "mobile": ("closed Mobile 10 GB 40 days ago",),
    }
    assert [r.line for r in gus.recommendations] == [
        "credit_card", "home_services", "mortgage_fixed", "mortgage_variable",
    ]  # fmt: skip
    # Half a year on, both lines may be offered again.
    later = _next_best(store, "gus", asOf="2026-12-31")
    assert later.ineligible == ()
    assert {"broadband", "mobile"} <= {r.line for r in later.recommendations}
    for as_of in ("2026-06-30", "2026-12-31"):
        batch_answers_like_single(
            store, "customers_next_best_products", "next_best_products", "customerId",
            ["gus", "fay", "kid"], first=10, asOf=as_of,
        )  # fmt: skip
