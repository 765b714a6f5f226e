"""Who may be offered what: the eligibility rules and marketing consent alone (pure), and
next best product ranking over them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from loaders.models import ProductRecord
from scoring.eligibility import (
    RECENT_CLOSURE_DAYS,
    Applicant,
    ClosedHolding,
    HeldProduct,
    Terms,
    Verdict,
    age_on,
    judge,
    marketing_channels,
    recent_closures,
)
from scoring.whitespace import Ineligible, Offer, next_best

ON = date(2026, 6, 30)
ADULT = Terms(min_age=18)


def _person(born: date | None, **changes: Any) -> Applicant:
    return Applicant(
        changes.get("kind", "person"),
        born,
        changes.get("country"),
        changes.get("holds", ()),
        changes.get("closed", ()),
    )


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 6, 30), ON, 18),  # the 18th birthday itself
        (date(2008, 7, 1), ON, 17),  # the day before it
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # leap day, common year: not yet
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # ... a year older on 1 March
        (date(2008, 2, 29), date(2028, 2, 29), 20),  # on the day in a leap year
        (date(2014, 3, 1), ON, 12),
    ],
)
def test_age_in_whole_years_on_a_date(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_a_child_is_not_eligible_for_an_adult_product_and_is_told_why() -> None:
    assert judge("BB-1000", ADULT, _person(date(2014, 3, 1)), ON) == Verdict(
        False, ("under 18 (age 12)",)
    )
    assert judge("SAV-EASY", Terms(), _person(date(2014, 3, 1)), ON) == Verdict(True)


def test_the_18th_birthday_is_enough() -> None:
    assert judge("CC", ADULT, _person(date(2008, 6, 30)), ON) == Verdict(
        True, (), ("age 18 (18+)",)
    )
    assert not judge("CC", ADULT, _person(date(2008, 7, 1)), ON).eligible


def test_leap_day_birthday_turns_18_on_1_march_in_a_common_year() -> None:
    born = _person(date(2008, 2, 29))
    assert judge("CC", ADULT, born, date(2026, 2, 28)).reasons == ("under 18 (age 17)",)
    assert judge("CC", ADULT, born, date(2026, 3, 1)).eligible


def test_an_unknown_birth_date_is_eligible_with_a_note_to_check() -> None:
    verdict = judge("CC", ADULT, _person(None), ON)
    assert verdict == Verdict(True, (), ("age not on record (18+ only): check before offering",))
    unreadable = Applicant.from_row({"kind": "person", "birthDate": "31/02/1990"})
    assert unreadable.birth_date is None
    assert judge("CC", ADULT, unreadable, ON) == verdict


def test_customer_types_and_organisations_have_no_age() -> None:
    persons = Terms(min_age=18, customer_types=frozenset({"person"}))
    business = _person(None, kind="organization")
    assert judge("MORT", persons, business, ON) == Verdict(False, ("personal customers only",))
    assert judge("BB", ADULT, business, ON) == Verdict(True)  # min_age is about people
    firms = Terms(customer_types=frozenset({"organization"}))
    assert judge("FLEET", firms, _person(date(1980, 1, 1)), ON).reasons == (
        "business customers only",
    )
    unknown_kind = Applicant.from_row({"kind": None, "birthDate": "1980-01-01"})
    assert unknown_kind.kind == "person"
    assert judge("MORT", persons, unknown_kind, ON).eligible


def test_regions() -> None:
    uk_only = Terms(regions=frozenset({"GB"}))
    assert judge("EL", uk_only, _person(None, country="US"), ON).reasons == (
        "not sold in US (sold in GB)",
    )
    assert judge("EL", uk_only, Applicant.from_row({"country": "gb"}), ON) == Verdict(True)
    assert judge("EL", uk_only, _person(None), ON) == Verdict(
        True, (), ("country not on record (sold in GB)",)
    )


def test_exclusions_count_from_either_side() -> None:
    fixed = HeldProduct("MORT-FIX5", "Fixed-rate mortgage 5y", frozenset({"MORT-VAR"}))
    holder = _person(date(1980, 1, 1), holds=(fixed,))
    assert judge("MORT-VAR", ADULT, holder, ON).reasons == (
        "excluded by held Fixed-rate mortgage 5y",
    )
    # Declared only on the candidate's side.
    quiet = _person(date(1980, 1, 1), holds=(HeldProduct("BB-300", None),))
    both = Terms(min_age=18, excludes=frozenset({"BB-300"}))
    assert judge("BB-1000", both, quiet, ON).reasons == ("excluded by held BB-300",)
    # Every reason is given, not just the first.
    child = _person(date(2014, 3, 1), holds=(fixed,))
    assert judge("MORT-VAR", ADULT, child, ON).reasons == (
        "under 18 (age 12)",
        "excluded by held Fixed-rate mortgage 5y",
    )


def _consent(channel: str, granted: bool | None, at: str | None = None) -> dict[str, Any]:
    key = "given_at" if granted else "withdrawn_at"
    return {"channel": channel, "granted": granted, key: at}


def test_marketing_consent_is_opt_in_and_the_newest_word_wins() -> None:
    assert marketing_channels([]) == ()
    assert marketing_channels([_consent("any", True)]) == ("email", "phone", "post", "sms", "web")
    assert marketing_channels([_consent("any", False)]) == ()
    granted_then_email_withdrawn = [
        _consent("any", True, "2024-01-01T00:00:00Z"),
        _consent("email", False, "2025-01-01T00:00:00Z"),
    ]
    assert marketing_channels(granted_then_email_withdrawn) == ("phone", "post", "sms", "web")
    opted_out_then_email = [
        _consent("any", False, "2024-01-01T00:00:00Z"),
        _consent("email", True, "2025-01-01T00:00:00Z"),
    ]
    assert marketing_channels(opted_out_then_email) == ("email",)
    # A tie, or no times at all: the refusal outweighs the grant.
    assert marketing_channels([_consent("email", True), _consent("email", False)]) == ()
    assert marketing_channels([_consent("sms", True), _consent("phone", None)]) == ("sms",)


def _line(line: str, *products: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"line": line, "name": line.title(), "penetration": 0.5, "rules": [], **extra,
            "products": list(products)}  # fmt: skip


def test_next_best_proposes_an_eligible_product_and_leaves_out_lines_without_one() -> None:
    candidates = [
        _line(
            "mobile",
            {"id": "MOB-UNL", "name": "Mobile unlimited", "holders": 9, "minAge": 18},
            {"id": "MOB-10", "name": "Mobile 10 GB", "holders": 3, "minAge": 16},
            rules=[{"basis": "savings", "customers": 6, "confidence": 0.6, "lift": 2.0}],
        ),
        _line("mortgage", {"id": "MORT", "name": "Mortgage", "holders": 5, "minAge": 18}),
        _line("gift_cards"),  # nothing in the catalogue to judge: kept
        _line("savings", {"id": "SAV", "name": "Savings", "holders": 1}),
    ]
    teen = Offer(_person(date(2010, 1, 1)), ON, ("email",))
    ranked, left_out = next_best(candidates, 2, teen)
    assert [(r.line, r.product_id) for r in ranked] == [("mobile", "MOB-10"), ("gift_cards", None)]
    assert ranked[0].eligibility == (
        "Mobile 10 GB: age 16 (16+)",
        "Mobile unlimited not offered: under 18 (age 16)",
    )
    assert ranked[0].consent_allows == ("email",)
    assert ranked[0].evidence == (
        "Mobile: held by 60% of customers who hold savings (2.0 times the 50% base rate, "
        "6 customers); Mobile 10 GB: age 16 (16+); Mobile unlimited not offered: under 18 "
        "(age 16); marketing consent: email"
    )
    assert left_out == [Ineligible("mortgage", "Mortgage", ("Mortgage: under 18 (age 16)",))]
    no_consent = Offer(_person(date(1980, 1, 1)), ON, ())
    ranked, left_out = next_best(candidates, 5, no_consent)
    assert [r.line for r in ranked] == ["mobile", "gift_cards", "mortgage", "savings"]
    assert left_out == []
    assert all(r.consent_allows == () for r in ranked)
    assert ranked[-1].evidence == (
        "Savings: held by 50% of all customers; "
        "no marketing consent: offer only when the customer gets in touch"
    )


def _closed(product: str, days_ago: int) -> ClosedHolding:
    return ClosedHolding(product, ON - timedelta(days=days_ago))


HOME_PHONE = _line(
    "landline",
    {"id": "LAND", "name": "Home phone", "holders": 4},
    {"id": "LAND-INT", "name": "Home phone international", "holders": 1},
)


@pytest.mark.parametrize(
    ("closed", "left_out"),
    [
        ((_closed("LAND", 40),), ("closed Home phone 40 days ago",)),
        ((_closed("LAND", 200),), None),  # over six months: a win-back offer is fair
        ((_closed("LAND", 180),), ("closed Home phone 180 days ago",)),  # the window's last day
        ((_closed("LAND", 181),), None),
        ((_closed("LAND", 0),), ("closed Home phone today",)),
        ((_closed("LAND", 1),), ("closed Home phone 1 day ago",)),
        ((_closed("LAND", -5),), None),  # closed after asOf: not yet known on it
        ((_closed("MOB", 10),), None),  # another line
        (  # one reason per product closed, from its most recent closure
            (
                _closed("LAND", 300),
                _closed("LAND", 90),
                _closed("LAND", 30),
                _closed("LAND-INT", 2),
            ),
            ("closed Home phone 30 days ago", "closed Home phone international 2 days ago"),
        ),
    ],
)
def test_a_line_closed_within_the_window_is_not_offered_again(
    closed: tuple[ClosedHolding, ...], left_out: tuple[str, ...] | None
) -> None:
    assert RECENT_CLOSURE_DAYS == 180
    offer = Offer(_person(date(1980, 1, 1), closed=closed), ON, ())
    ranked, ineligible = next_best([HOME_PHONE], 5, offer)
    if left_out is None:
        assert [(r.line, r.product_id) for r in ranked] == [("landline", "LAND")]
        assert ineligible == []
    else:
        assert ranked == []
        assert ineligible == [Ineligible("landline", "Landline", left_out)]
    products = [("LAND", "Home phone"), ("LAND-INT", "Home phone international")]
    assert recent_closures(products, offer.applicant, ON) == (left_out or ())


def test_closed_holdings_are_read_from_store_rows() -> None:
    row = {
        "closed": [
            {"id": "LAND", "closedOn": "2026-05-21"},
            {"id": "LAND", "closedOn": "2026-05-21T09:00:00Z"},  # the same day twice: once
            {"id": "TV", "closedOn": None},  # undated: cannot be placed, dropped
            {"id": "MOB", "closedOn": "soon"},
            None,
        ]
    }
    assert Applicant.from_row(row).closed == (ClosedHolding("LAND", date(2026, 5, 21)),)
    assert recent_closures([("LAND", None)], Applicant.from_row(row), ON) == (
        "closed LAND 40 days ago",
    )


def test_the_catalogue_declares_terms_validated_on_load() -> None:
    row = {"product_id": "MORT-VAR", "name": "Variable mortgage", "line_id": "mortgage"}
    terms = ProductRecord.model_validate(
        {**row, "min_age": "18", "customer_types": "person, person", "regions": "us gb",
         "excludes": "MORT-FIX5 MORT-FIX2"}
    )  # fmt: skip
    assert (terms.min_age, terms.customer_types, terms.regions, terms.excludes) == (
        18, ["person"], ["US", "GB"], ["MORT-FIX5", "MORT-FIX2"],
    )  # fmt: skip
    blank = ProductRecord.model_validate(
        {**row, "min_age": "", "customer_types": "", "regions": " ", "excludes": []}
    )
    assert (blank.min_age, blank.customer_types, blank.regions, blank.excludes) == (None,) * 4
    for bad, field in [
        ({"min_age": "-1"}, "min_age"),
        ({"min_age": "adult"}, "min_age"),
        ({"customer_types": "person company"}, "customer_types"),
        ({"regions": "USA"}, "regions"),
        ({"excludes": "MORT-VAR"}, "cannot exclude itself"),
    ]:
        with pytest.raises(ValidationError, match=field):
            ProductRecord.model_validate({**row, **bad})
