"""The record models a loader checks rows with: CSV strings become typed values, each
kind's field and cross-field rules give their reasons, GTINs are normalised."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from loaders.checking import validation_reasons
from loaders.models import CustomerRecord, HoldingRecord, ProductRecord, TouchpointRecord


def reasons(model: Any, data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return validation_reasons(caught.value)


def test_csv_strings_become_typed_values() -> None:
    rec = CustomerRecord.model_validate(
        {
            "source_record_id": " 7 ",
            "name": "Ann",
            "birth_date": "1980-02-29",
            "country": "no",
            "email": "",
            "gender": "",
        }
    )
    assert rec.source_record_id == "7"
    assert rec.country == "NO"
    assert rec.email is None
    assert rec.birth_date is not None
    assert rec.birth_date.isoformat() == "1980-02-29"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"source_record_id": "1", "name": "A", "email": "nope"}, "email: not an email address"),
        ({"source_record_id": "1", "name": "A", "gender": "robot"}, "gender: Input should be"),
        (
            {"source_record_id": "1", "name": "A", "country": "Norway"},
            "country must be an ISO 3166",
        ),
        ({"source_record_id": "1"}, "needs a name (name, or given_name / family_name)"),
        ({"name": "A"}, "source_record_id: Field required"),
        (
            {"source_record_id": "\x00SO1", "name": "A"},
            "source_record_id: must not contain control characters (got '\\x00SO1')",
        ),
        ({"source_record_id": "S\tO1", "name": "A"}, "must not contain control characters"),
    ],
)
def test_customer_rules(data: dict[str, Any], expected: str) -> None:
    assert any(expected in r for r in reasons(CustomerRecord, data)), reasons(CustomerRecord, data)


@pytest.mark.parametrize("raw", ["1985-02-30", "1850-01-01", "2999-01-01"])
def test_a_birth_date_that_is_no_sure_date_is_kept_as_written_not_rejected(raw: str) -> None:
    rec = CustomerRecord.model_validate({"source_record_id": "1", "name": "A", "birth_date": raw})
    assert (rec.birth_date, rec.birth_date_raw) == (None, raw)


def test_gtin_check_digit_and_normal_form() -> None:
    assert (
        ProductRecord.model_validate(
            {"product_id": "p", "name": "n", "line_id": "l", "gtin": "614141107346"}
        ).gtin
        == "00614141107346"
    )
    assert "GTIN check digit is wrong" in " ".join(
        reasons(
            ProductRecord, {"product_id": "p", "name": "n", "line_id": "l", "gtin": "614141107347"}
        )
    )


def test_holding_and_touchpoint_cross_field_rules() -> None:
    base = {"account_id": "a", "customer_id": "c", "product_id": "p", "opened_on": "2022-05-01"}
    assert "closed_on is before opened_on" in reasons(
        HoldingRecord, {**base, "status": "closed", "closed_on": "2021-01-01"}
    )
    assert "a closed holding needs closed_on" in reasons(
        HoldingRecord, {**base, "status": "closed"}
    )
    tp = {
        "touchpoint_id": "t",
        "customer_id": "c",
        "occurred_at": "2025-01-01T10:00:00Z",
        "channel": "call_center",
    }
    assert "complaint needs resolution_status (open or resolved)" in reasons(
        TouchpointRecord, {**tp, "kind": "complaint"}
    )
    assert "a campaign_response needs campaign_id" in reasons(
        TouchpointRecord, {**tp, "kind": "campaign_response"}
    )
    assert "needs customer_id (the source system's ID) or ckb_customer_id" in reasons(
        TouchpointRecord, {**tp, "customer_id": "", "kind": "visit"}
    )
    naive = TouchpointRecord.model_validate(
        {**tp, "occurred_at": "2025-01-01 10:00:00", "kind": "visit"}
    )
    assert naive.occurred_at.utcoffset() is not None
    shifted = TouchpointRecord.model_validate(
        {**tp, "occurred_at": "2025-01-01T12:00:00+02:00", "kind": "visit"}
    )
    assert shifted.occurred_at.hour == 10
