"""Blocking: which pairs of records are compared at all, and the keys that say so.

Pure domain code; no store, no I/O. Blocking keeps cost near-linear: only records
sharing a key are compared — email, its mailbox name, phone, its last digits, national
ID, the romanised name with the birth date, the romanised name with the postal code, the
first three letters of each name word (a typo late in a word, with nothing else shared),
and without the name: the birth date (day and month in either order), the birth date
with the postal code, and the house (postal code, house numbers, the sound of the
street). A block larger than ``MAX_BLOCK`` is skipped (and counted): common values fall
back on the other keys. Generic values (identity/model.py) make no key.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from identity.names import phonetic_code
from identity.profile import Profile

MAX_BLOCK = 50
PHONE_DIGITS = 8  # a phone's last digits: a blocking key whatever the country code read


_IDENTIFIER_PREFIX = {"email": "e", "phone": "p", "national_id": "n"}


def identifier_key(field_name: str, value: str) -> str:
    """The blocking key of an identifier (email, phone, national_id) value."""
    return f"{_IDENTIFIER_PREFIX[field_name]}:{value}"


def _birth_key(birth_date: str) -> str:
    """A birth date with day and month in order of size: 1980-03-04 and 1980-04-03 (a
    day and month swapped) share it."""
    year, month, day = birth_date.split("-")
    return f"{year}|{min(month, day)}|{max(month, day)}"


def _house_key(p: Profile) -> str | None:
    """Postal code, house and unit numbers and the sound of the street's first word:
    one house, whatever the name on the record."""
    street = _street_key(p)
    if not p.postal or not street:
        return None
    return f"{p.postal}|{street}"


def _keys_without_households(p: Profile) -> list[str]:
    """``blocking_keys``' keys for data without households: each name word with the
    postal code and with the sound of the street's first word, and the house in any
    postal code."""
    keys: list[str] = []
    words = sorted(w for w in set(p.name_words) if len(w) >= 3)
    if p.postal:
        keys.extend(f"wp:{w}|{p.postal}" for w in words)
    street = _street_key(p)
    if street:
        keys.append(f"hs:{street}")
    first = next((t for t in p.address if not t.isdigit()), "")
    if first:
        sound = phonetic_code(first)
        keys.extend(f"ws:{w}|{sound}" for w in words)
    return keys


def _street_key(p: Profile) -> str | None:
    """House and unit numbers and the sound of the street's first word (no postal code)."""
    numbers = sorted(t for t in p.address if t.isdigit())
    if not numbers:
        return None
    street = next((t for t in p.address if not t.isdigit()), "")
    return f"{' '.join(numbers)}|{phonetic_code(street)}"


def blocking_keys(
    p: Profile, generic: Mapping[str, frozenset[str]], households: bool = True
) -> list[str]:
    """A record's blocking keys. Where the data hold no households (``households``
    false) also each word of the name with the postal code (with households, a shared
    family name in a postal code is a household's), for data where a given name is often
    written as another's; the house without its postal code (house numbers and the
    sound of the street's first word: with households, neighbours across towns), for
    data where a postal code is mistyped (2012 for 2022); and each word of the name with
    the sound of the street's first word, for a house number and postal code both
    mistyped or missing."""
    keys = []
    email = p.email if p.email and p.email not in generic.get("email", ()) else None
    phone = p.phone if p.phone and p.phone not in generic.get("phone", ()) else None
    if email:
        keys.append(identifier_key("email", email))
        keys.append(f"el:{email.partition('@')[0]}")  # the same mailbox name elsewhere
    if phone:
        keys.append(identifier_key("phone", phone))
        keys.append(f"pd:{phone[-PHONE_DIGITS:]}")  # read with another country code
    if p.national_id:
        keys.append(identifier_key("national_id", p.national_id))
    if p.name_key and p.birth_date:
        keys.append(f"nb:{p.name_key}|{p.birth_date}")
    if p.name_key and p.postal:
        keys.append(f"np:{p.name_key}|{p.postal}")
    if p.name_stem and "|" in p.name_stem:
        keys.append(f"ns:{p.name_stem}")
    if not households:
        keys.extend(_keys_without_households(p))
    if p.birth_date:
        # Without the name: a typo, a nickname or a placeholder leaves these standing.
        # The birth date alone outgrows MAX_BLOCK at about a million records; with the
        # postal code it does not.
        keys.append(f"b:{_birth_key(p.birth_date)}")
        if p.postal:
            keys.append(f"bp:{_birth_key(p.birth_date)}|{p.postal}")
    house = _house_key(p)
    if house:
        keys.append(f"h:{house}")
        # The house numbers alone in the postal code: the street's words in another order,
        # a line before it ("8 Emerald College Fawkner Street", "8 Fawkner Street").
        numbers = " ".join(sorted(t for t in p.address if t.isdigit()))
        keys.append(f"hn:{p.postal}|{numbers}")
    return keys


def term(key: str) -> str:
    """A blocking key as an index term: letters and digits only, whatever the key holds."""
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def match_terms(p: Profile) -> list[str]:
    """What a SourceRecord stores in ``match_keys``: its blocking keys, and its name alone
    (for counting how common the name is, not for blocking), as index terms."""
    keys = set(blocking_keys(p, {}))
    if p.name_key:
        keys.add(f"n:{p.name_key}")
    return sorted(term(k) for k in keys)


@dataclass
class Blocking:
    pairs: set[tuple[int, int]] = field(default_factory=set)
    skipped_blocks: int = 0


def candidate_pairs(profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]]) -> Blocking:
    blocks, skipped = _blocks(profiles, generic)
    result = Blocking(skipped_blocks=skipped)
    for members in blocks:
        result.pairs.update(combinations(members, 2))
    return result


def candidate_codes(
    profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]], households: bool = True
) -> tuple[array[int], int]:
    """``candidate_pairs``' pairs (i, j) as ``i * n + j`` (``n`` profiles), ascending, and
    the blocks skipped. A pair as two numbers in a tuple in a set weighs about 100 bytes
    and takes as long to make (2.5M pairs at 100k customers); as one number, a fraction."""
    n = len(profiles)
    blocks, skipped = _blocks(profiles, generic, households)
    # Per record, the later members of each of its blocks: its pairs, in order, are
    # those records sorted (one sort per record is cheaper than one of every pair).
    later: list[list[list[int]]] = [[] for _ in range(n)]
    for members in blocks:
        for at, i in enumerate(members[:-1]):
            later[i].append(members[at + 1 :])
    codes = array("q")
    for i, lists in enumerate(later):
        if lists:
            base = i * n
            if len(lists) == 1:
                codes.extend([base + j for j in lists[0]])
            else:
                codes.extend(sorted({base + j for js in lists for j in js}))
    return codes, skipped


def _blocks(
    profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]], households: bool = True
) -> tuple[list[list[int]], int]:
    """The blocks of two to ``MAX_BLOCK`` profiles (positions, ascending), and how many
    blocks were larger (skipped)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for key in blocking_keys(p, generic, households):
            blocks[key].append(i)
    compared: list[list[int]] = []
    skipped = 0
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            skipped += 1
        elif len(members) > 1:
            # A profile makes each key once, in position order: members are ascending.
            compared.append(members)
    return compared, skipped
