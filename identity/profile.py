"""A source record normalised for matching: the profile every comparison reads.

Pure domain code: a record's properties in, its normal forms out (identity/normalize.py,
identity/names.py), with flags for what was wrong with it; no store, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from identity.names import name_tokens, person_name_words
from identity.normalize import (
    address_tokens,
    normalize_birth_date,
    normalize_email,
    normalize_id,
    normalize_phone,
    normalize_postal,
)


@dataclass(frozen=True, slots=True)
class Profile:
    """A source record normalised for matching."""

    key: str  # SourceRecord id
    system: str | None
    name: str | None
    name_key: str | None  # sorted romanised name tokens, joined
    name_stem: str | None  # the first three letters of each sorted token: survives late typos
    name_words: tuple[str, ...]
    birth_date: str | None
    email: str | None
    phone: str | None
    address: tuple[str, ...]
    postal: str | None
    national_id: str | None
    flags: tuple[str, ...] = ()
    # Written in Chinese, Japanese or Korean characters: the order of its words, read out
    # in Latin letters, says nothing of which is the family name.
    name_in_characters: bool = False
    # female, male or other as a system records it; None where it is unknown.
    gender: str | None = None


def _text(props: Mapping[str, Any], name: str) -> str | None:
    value = props.get(name)
    return value if isinstance(value, str) else None


def profile(key: str, props: Mapping[str, Any], today: date) -> Profile:
    name = _text(props, "name") or " ".join(
        p for p in (_text(props, "given_name"), _text(props, "family_name")) if p
    )
    written = name_tokens(name) if name else ()
    tokens = person_name_words(written)
    country = _text(props, "country")
    phone = normalize_phone(_text(props, "phone"), country)
    email = normalize_email(_text(props, "email"))
    # The birth date as written, when kept, says what is wrong with it (an impossible or
    # future one is read as missing; an ambiguous one day first); else the date.
    birth = normalize_birth_date(
        _text(props, "birth_date_raw") or _text(props, "birth_date"), today
    )
    postal = normalize_postal(_text(props, "postal_code"))
    national = normalize_id(_text(props, "national_id"))
    flags = [n.flag for n in (phone, email, birth, postal, national) if n.flag]
    if written and not tokens:
        flags.append("placeholder_name")
    if not tokens:
        flags.append("missing_name")
    ordered = sorted(tokens)
    return Profile(
        key=key,
        system=_text(props, "source_system"),
        name=name or None,
        name_key="".join(ordered) or None,
        name_stem="|".join(t[:3] for t in ordered) or None,
        name_words=tokens,
        birth_date=birth.value,
        email=email.value,
        phone=phone.value,
        address=address_tokens(
            " ".join(t for t in (_text(props, "address"), _text(props, "address_line2")) if t)
        ),
        postal=postal.value,
        national_id=national.value,
        flags=tuple(flags),
        name_in_characters=bool(name) and _IN_CHARACTERS.search(name) is not None,
        gender=_gender(_text(props, "gender")),
    )


def _gender(value: str | None) -> str | None:
    """A record's gender, or None where it says nothing ("unknown", blank)."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if value in _GENDERS else None


_GENDERS = frozenset({"female", "male", "other"})  # loaders/models.py's, bar "unknown"


# CJK ideographs (and their radicals, compatibility forms) and Hangul syllables.
_IN_CHARACTERS = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
