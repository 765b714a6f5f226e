"""Identity normalisers, pure: phones to E.164, emails, addresses, postal codes, birth
dates and IDs normalised or flagged, never crashing on any input; any record profiles."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.normalize import (
    Normal,
    address_tokens,
    already_e164,
    normalize_birth_date,
    normalize_email,
    normalize_id,
    normalize_phone,
    normalize_postal,
    parsed_phone,
)
from identity.profile import profile
from tests.support.identity_fixtures import TODAY


@pytest.mark.parametrize(
    ("raw", "country", "value", "flag"),
    [
        ("+86 153 4233 1444", None, "+8615342331444", None),
        ("(030) 123456", "DE", "+4930123456", None),
        ("000000", None, None, "placeholder_phone"),
        ("N/A", None, None, "placeholder_phone"),
        ("12", "US", None, "invalid_phone"),
        ("call me", "US", None, "invalid_phone"),
        (None, None, None, None),
    ],
)
def test_phones_to_e164_or_a_flag(
    raw: str | None, country: str | None, value: str | None, flag: str | None
) -> None:
    normal = normalize_phone(raw, country)
    assert (normal.value, normal.flag) == (value, flag)


def test_emails_addresses_dates_ids() -> None:
    assert normalize_email(" Ann.Lee+news@Example.COM ").value == "ann.lee@example.com"
    assert normalize_email("not-an-email").flag == "invalid_email"
    assert normalize_email("none").flag == "placeholder_email"
    assert address_tokens("Apt. 5, 12 N Main St") == (
        "apartment",
        "5",
        "12",
        "north",
        "main",
        "street",
    )
    assert address_tokens("12 North Main Street Apartment 5") != ()
    # Australia Post's abbreviations: one address however the street type is written.
    assert address_tokens("2 Main Cct") == address_tokens("2 Main Circuit")
    assert address_tokens("4/9 Ocean Pde") == ("4", "9", "ocean", "parade")
    assert normalize_postal("sw1a 1aa").value == "SW1A1AA"
    assert normalize_postal("00000").flag == "invalid_postal_code"
    assert normalize_birth_date("2999-01-01", TODAY).flag == "future_birth_date"
    assert normalize_birth_date("1985-02-30", TODAY).flag == "invalid_birth_date"
    assert normalize_birth_date("1985-02-03", TODAY).value == "1985-02-03"
    assert normalize_id("000-000-000").flag == "placeholder_id"


@given(st.text(max_size=40), st.sampled_from([None, "US", "CN", "DE", "XX"]))
def test_phone_normaliser_never_crashes(raw: str, country: str | None) -> None:
    normal = normalize_phone(raw, country)
    assert normal.value is None or normal.value.startswith("+")


@given(st.text(max_size=20) | st.from_regex(r"\A\d{1,4}[-/.]\d{1,4}[-/.]\d{1,4}\Z"))
def test_birth_date_normaliser_never_crashes_and_reads_only_plausible_dates(raw: str) -> None:
    normal = normalize_birth_date(raw, TODAY)
    if normal.value is not None:
        assert "1900-01-01" <= normal.value <= TODAY.isoformat()
    else:
        assert normal.flag in (None, "invalid_birth_date", "future_birth_date")


@given(st.dictionaries(st.sampled_from(["name", "email", "phone", "birth_date", "birth_date_raw", "address", "address_line2", "postal_code", "national_id", "country"]), st.text(max_size=30)))  # fmt: skip
def test_any_record_profiles_without_crashing(props: dict[str, str]) -> None:
    p = profile("r", props, TODAY)
    assert p.key == "r"


# Plus-and-digits spellings, biased to real calling codes so the fast path is exercised.
_E164_LIKE = st.builds(
    lambda code, rest: f"+{code}{rest}",
    st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    st.text("0123456789", min_size=1, max_size=13),
)


@given(raw=st.one_of(_E164_LIKE, st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)))
def test_the_e164_shortcut_agrees_with_the_phonenumbers_parser(raw: str) -> None:
    """A number already in E.164 skips the parser; whenever it does, the parser would have
    said the same (identity/normalize.py ``already_e164``)."""
    digits = raw[1:]
    if len(set(digits)) == 1:
        return  # a placeholder: flagged before either path
    if already_e164(raw):
        assert parsed_phone(raw, None) == Normal(raw)
    assert normalize_phone(raw) == parsed_phone(raw, None)
