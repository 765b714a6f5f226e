"""Normalisers for identity resolution: phones, emails, addresses, dates.

Pure functions. Each returns the normal form (``None`` when there is nothing usable) and,
for a value that was present but unusable, a flag naming the problem, so the quality
report can count it — a bad value is flagged, never silently dropped and never a crash.
Names are in identity/names.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers

# Values people type when they have nothing to type. Compared after normalisation.
PLACEHOLDERS = frozenset(
    {"", "n/a", "na", "none", "null", "unknown", "-", "--", ".", "0", "x", "xx", "xxx", "tbd"}
)


@dataclass(frozen=True, slots=True)
class Normal:
    value: str | None
    flag: str | None = None  # e.g. "invalid_phone"; None when fine or simply absent


def _blank(raw: str | None) -> bool:
    return raw is None or raw.strip().casefold() in PLACEHOLDERS


@lru_cache(maxsize=262_144)
def normalize_phone(raw: str | None, country: str | None = None) -> Normal:
    """E.164 (``+4930123456``). Numbers without a country code are read in ``country``.

    Cached: one person's number recurs in every system that knows them."""
    if _blank(raw):
        return Normal(None, "placeholder_phone" if raw and raw.strip() else None)
    assert raw is not None
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return Normal(None, "invalid_phone")
    if len(set(digits)) == 1:  # 000000, 1111111: a placeholder, not a number
        return Normal(None, "placeholder_phone")
    if already_e164(raw):
        return Normal(raw)
    return parsed_phone(raw, country)


def parsed_phone(raw: str, country: str | None) -> Normal:
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return Normal(None, "invalid_phone")
    if not phonenumbers.is_possible_number(number):
        return Normal(None, "invalid_phone")
    return Normal(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_PLUS_DIGITS = re.compile(r"\+[1-9][0-9]{6,14}")


@lru_cache(maxsize=512)
def _plain_national(country_code: int) -> tuple[re.Pattern[str] | None, frozenset[int]] | None:
    """For a country calling code: the national prefix ``phonenumbers`` strips when
    parsing, and the lengths of a possible (not local-only) national number."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or metadata.general_desc is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    general = metadata.general_desc
    lengths = frozenset(general.possible_length) - frozenset(general.possible_length_local_only)
    return (re.compile(prefix) if prefix else None), lengths


def already_e164(raw: str) -> bool:
    """Whether ``phonenumbers`` would give back ``raw`` itself as E.164 — known without
    running its parser (a tenth of a load's time), by the steps it takes on a plus and
    digits: the first known country calling code of one to three digits, then nothing
    to strip (no national prefix, no leading zero) and a possible length."""
    if not _PLUS_DIGITS.fullmatch(raw):
        return False
    digits = raw[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return False
    national = digits[size:]
    rule = _plain_national(code)
    if rule is None or national[0] == "0":
        return False
    prefix, lengths = rule
    return len(national) in lengths and not (prefix and prefix.match(national))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


@lru_cache(maxsize=65_536)  # one person's email recurs in every system that knows them
def normalize_email(raw: str | None) -> Normal:
    """Trimmed, lower-cased; a '+tag' in the local part is dropped (same mailbox)."""
    if _blank(raw):
        return Normal(None, "placeholder_email" if raw and raw.strip() else None)
    assert raw is not None
    value = unicodedata.normalize("NFKC", raw).strip().casefold()
    if not _EMAIL.match(value):
        return Normal(None, "invalid_email")
    local, _, domain = value.partition("@")
    return Normal(f"{local.split('+', 1)[0]}@{domain}")


# Street-type and direction words and their standard forms (USPS-style, Australia Post's
# and Royal Mail's, plus common variants); Chinese addresses keep their characters.
_ADDRESS_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "blvd": "boulevard", "dr": "drive", "ln": "lane", "ct": "court", "pl": "place",
    "sq": "square", "hwy": "highway", "pkwy": "parkway", "cir": "circle", "ter": "terrace",
    "apt": "apartment", "ste": "suite", "fl": "floor", "bldg": "building",
    # Australia Post's and Royal Mail's common street-type abbreviations.
    "cres": "crescent", "cr": "crescent", "pde": "parade", "cl": "close", "tce": "terrace",
    "cct": "circuit", "gr": "grove", "gve": "grove", "esp": "esplanade", "bvd": "boulevard",
    "bvde": "boulevard", "crt": "court", "wy": "way", "hts": "heights", "gdns": "gardens",
    "mt": "mount", "pwy": "parkway", "rdge": "ridge", "cnr": "corner",
    "n": "north", "s": "south", "e": "east", "w": "west",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
    "no": "number", "nr": "number",
}  # fmt: skip
_ADDRESS_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65_536)  # a household's address recurs, and each member's records
def address_tokens(raw: str | None) -> tuple[str, ...]:
    """Standardised address tokens: 'Apt. 5, 12 N Main St' -> apartment 5 12 north main street."""
    if _blank(raw):
        return ()
    assert raw is not None
    text = unicodedata.normalize("NFKC", raw).casefold()
    return tuple(_ADDRESS_WORDS.get(t, t) for t in _ADDRESS_TOKEN.findall(text))


@lru_cache(maxsize=65_536)  # postal codes recur: a code serves a street or a town
def normalize_postal(raw: str | None) -> Normal:
    """Upper-case, no spaces or dashes. Junk (flagged): not letters and digits, shorter than
    3 or longer than 10 characters, all zeros, or one letter repeated (``XXXX``). A digit
    repeated is a real code in places (2222 and 3333 are Australian postcodes)."""
    if _blank(raw):
        return Normal(None)
    assert raw is not None
    value = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw)).upper()
    junk = set(value) == {"0"} or (len(set(value)) == 1 and value.isalpha())
    if not value.isalnum() or not 3 <= len(value) <= 10 or junk:
        return Normal(None, "invalid_postal_code")
    return Normal(value)


# Birth date spellings: year first (ISO 2024-12-25, 2024/12/25, 2024.12.25, an ISO time
# after it ignored), eight digits (20241225) and day or month first (25/12/2024, 5/1/2024,
# 25.12.2024, 25-12-2024). Two-digit years are not read: which century is a guess.
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ].*)?")
_EIGHT_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def read_date(raw: str) -> tuple[date | None, bool]:
    """The date a birth date's text spells, and whether it is ambiguous: day first
    (25/12/2024) unless only month first is a date (12/25/2024); when both readings are
    dates and differ (06/05/2024), the day-first one, ambiguous. (None, False): no date."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if m := _YEAR_FIRST.fullmatch(text):
        return _date(m[1], m[3], m[4]), False
    if m := _EIGHT_DIGITS.fullmatch(text):
        return _date(m[1], m[2], m[3]), False
    if m := _YEAR_LAST.fullmatch(text):
        day_first, month_first = _date(m[4], m[3], m[1]), _date(m[4], m[1], m[3])
        if day_first and month_first:
            return day_first, day_first != month_first
        return day_first or month_first, False
    return None, False


@lru_cache(maxsize=65_536)  # 80 years are 30,000 dates; a load reads each twice (model, profile)
def normalize_birth_date(raw: str | None, today: date) -> Normal:
    """ISO date from the spellings ``read_date`` knows. Flagged: ``invalid_birth_date``
    (not a date, or before 1900) and ``future_birth_date`` with no value;
    ``ambiguous_birth_date`` with the day-first reading."""
    if _blank(raw):
        return Normal(None)
    assert raw is not None
    value, ambiguous = read_date(raw)
    if value is None or value.year < 1900:
        return Normal(None, "invalid_birth_date")
    if value > today:
        return Normal(None, "future_birth_date")
    return Normal(value.isoformat(), "ambiguous_birth_date" if ambiguous else None)


def normalize_id(raw: str | None) -> Normal:
    """National IDs and similar: letters and digits only, upper-case; all-same digits are
    placeholders."""
    if _blank(raw):
        return Normal(None)
    assert raw is not None
    value = re.sub(r"[^0-9A-Za-z]", "", raw).upper()
    if not value or len(set(value)) == 1:
        return Normal(None, "placeholder_id")
    return Normal(value)
