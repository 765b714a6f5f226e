"""How one person's record differs between the source systems that hold it: typos,
nicknames and pinyin in the name, a changed phone or a new address, and the generic values
a system fills in (the call center's own number or a placeholder, the shop's address) that
identity resolution must not follow. The billing system and the showcase people keep the
person as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypinyin import lazy_pinyin

from sample.context import Person, Sample

NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "James": "Jim",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Thomas": "Tom",
    "Margaret": "Peggy",
    "Richard": "Rick",
    "Joseph": "Joe",
    "Charles": "Charlie",
    "Anthony": "Tony",
    "Matthew": "Matt",
    "Patricia": "Pat",
    "Susan": "Sue",
    "Jessica": "Jess",
    "Andrew": "Andy",
    "Joshua": "Josh",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Alexander": "Alex",
    "Nicholas": "Nick",
    "Jonathan": "Jon",
    "Stephen": "Steve",
    "Edward": "Ed",
    "Kenneth": "Ken",
    "Timothy": "Tim",
    "Deborah": "Debbie",
    "Rebecca": "Becky",
    "David": "Dave",
    "Steven": "Steve",
    "Kimberly": "Kim",
}
CALL_CENTER_PHONE = {"US": "+18005550100", "CN": "+864008200100"}
STORE_ADDRESS = {
    "US": ("1 Market Square", "10001", "New York"),
    "CN": ("南京路100号", "200001", "上海市"),
}
PLACEHOLDER_PHONES = ["0000000000", "n/a", "unknown", "call back"]


@dataclass(slots=True)
class Seen:
    """A person's name and contact details as one source system has them."""

    given: str
    family: str
    phone: str
    street: str
    postal_code: str
    city: str
    email: str | None


def as_seen_by(s: Sample, p: Person, system: str) -> Seen:
    seen = Seen(p.given, p.family, p.phone, p.street, p.postal_code, p.city, p.email)
    if system == "billing" or p.showcase:
        return seen
    _misspell(s, p, seen)
    _move(s, p, seen)
    if system == "callcenter":
        _typed_by_an_agent(s, p, seen)
    if system == "stores" and s.rnd.random() < 0.04:
        # Walk-ins registered with the shop's own address.
        seen.street, seen.postal_code, seen.city = STORE_ADDRESS["CN" if p.zh else "US"]
    return seen


def _misspell(s: Sample, p: Person, seen: Seen) -> None:
    roll = s.rnd.random()
    if roll < 0.2 and not p.zh:
        if s.rnd.random() < 0.5:
            seen.family = s.typo(seen.family)
        else:
            seen.given = s.typo(seen.given)
    elif roll < 0.35 and p.kind == "person":
        if p.zh:
            seen.given, seen.family = (
                "".join(lazy_pinyin(seen.given)).title(),
                "".join(lazy_pinyin(seen.family)).title(),
            )
        else:
            seen.given = NICKNAMES.get(seen.given, seen.given)


def _move(s: Sample, p: Person, seen: Seen) -> None:
    """A new phone, a new address: the system has a later (or older) one than billing."""
    if s.rnd.random() < 0.1:
        seen.phone = s.phone(p.zh)
    if s.rnd.random() < 0.1:
        fake = s.zh if p.zh else s.en
        seen.street, seen.postal_code, seen.city = (
            fake.street_address().replace("\n", " "),
            fake.postcode(),
            fake.city(),
        )


def _typed_by_an_agent(s: Sample, p: Person, seen: Seen) -> None:
    if s.rnd.random() < 0.4:
        seen.email = None
    # Agents type the company's own number when a caller gives none, or a placeholder:
    # generic values identity resolution must not follow.
    roll = s.rnd.random()
    if roll < 0.03:
        seen.phone = CALL_CENTER_PHONE["CN" if p.zh else "US"]
    elif roll < 0.04:
        seen.phone = s.rnd.choice(PLACEHOLDER_PHONES)
