"""Test data for identity resolution, generated apart from ckb's own sample (issue 16).

    .venv/bin/python bench/identity_gen.py OUT --mode dedup --level medium --records 5000
    .venv/bin/python bench/identity_gen.py OUT --mode link --level high --rate dob_swap=0.2
    .venv/bin/python bench/identity_gen.py --list-rates

In the manner of the record-linkage literature's generators (FEBRL's ``dsgen``, GeCo):
clean person records are drawn from frequency-weighted look-up lists
(bench/identity_names.py: English/Australian given names and surnames with a long tail,
Chinese names in characters and pinyin, suburbs with state and postcode, streets), then
copies of them are corrupted at configurable rates, each corruption recorded.

People: given name, family name, sex, birth date, address (unit, street number, street,
suburb, state, postcode), mobile and/or landline, email, a national-ID-like number (a
9-digit tax file number with a valid check digit; written only with ``--national-id``).
A share live in households that share the family name (mostly), the address and the
landline, and some a family email: couples, parents with adult children, a father and
son of the same full name (different birth years), twins (same birth date).

Modes:

- ``dedup``: one system (``crm``). Each person has an original record, and a share of
  them 1 to ``max_dups`` duplicates (Zipf-distributed: one duplicate is likeliest).
  Originals are clean (fields a person lacks stay empty); duplicates are corrupted.
- ``link``: two systems (``crm``, ``shop``). A share of the people are in both, the rest
  in one; every record is corrupted independently (noise on both sides of a pair).

Corruptions (``RATES``; per corrupted record, the chance of each; at most
``max_corruptions`` are kept per record, drawn at random when more fire):

- names: keyboard typos, OCR errors (rn/m, 0/O, 1/l ...), phonetic replacements
  (ph/f, ck/k, Mc/Mac ...), an inserted, deleted or transposed letter, nicknames
  (William / Bill, both ways), given and family name swapped, a placeholder for the name
  ("Respondent", "Man Of The House", "Mr Smith"), the given name alone, and for Chinese
  names another writing (characters simplified or traditional, pinyin in Western order,
  family name first, syllables spaced or hyphenated, a Cantonese surname, an English
  given name);
- birth dates: missing, day and month swapped, one digit off, the year off by one,
  written ``YYYYMMDD`` or ``DD/MM/YYYY``, impossible (``1955-11-92``);
- addresses: missing, moved house, house number changed, a typo in the street or the
  suburb, the street type abbreviated or spelt out, words reordered (``3/12``,
  ``Unit 3, 12``, ``Smith Street 12``), a postcode typo (or its leading zero lost);
- phones: missing, another number, a digit typo, another presentation (+61 ...);
- emails: missing, another address, a typo; gender: missing or ``unknown``.

Levels ``low``, ``medium``, ``high`` set every rate; ``--rate NAME=VALUE`` overrides one.
Deterministic per seed: the population (people, households, who has how many records)
depends on the seed only, and each record's noise on the seed, the record and the
corruption, so the levels corrupt the same records of the same people, each more than
the last, and a rate set to 0 leaves the other corruptions as they were (bar a record
that drew more than its level's cap, which keeps another subset).

Output (OUT/): ``<system>.customers.csv`` per system in docs/formats.md's customer
format, and ``truth/``: ``identity.csv`` (source_system, source_record_id, person_id:
what ``ckb resolve --evaluate`` reads), ``records.csv`` (each record's corruptions),
``people.csv`` (the clean people, households and relations), ``settings.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_names import (
    AREA_CODES,
    CHINESE_ENGLISH_GIVEN,
    CHINESE_GIVEN,
    CHINESE_SURNAMES,
    EMAIL_DOMAINS,
    FEMALE_GIVEN,
    MALE_GIVEN,
    NICKNAMES,
    PLACEHOLDER_NAMES,
    STREET_NAMES,
    STREET_TYPES,
    SUBURB_WEIGHTS,
    SUBURBS,
    SURNAMES,
    WORK_DOMAINS,
    HanName,
    tail_surnames,
)

LEVELS = ("low", "medium", "high")

# Chance that a corrupted record gets each corruption, at low / medium / high.
RATES: dict[str, tuple[float, float, float]] = {
    "name_keyboard": (0.03, 0.06, 0.12),
    "name_ocr": (0.01, 0.02, 0.05),
    "name_phonetic": (0.02, 0.04, 0.08),
    "name_edit": (0.03, 0.06, 0.12),
    "name_nickname": (0.05, 0.10, 0.15),
    "name_swap": (0.02, 0.04, 0.08),
    "name_placeholder": (0.005, 0.01, 0.03),
    "name_given_only": (0.01, 0.03, 0.05),
    "name_translit": (0.25, 0.40, 0.60),  # Chinese names only
    "dob_missing": (0.05, 0.10, 0.20),
    "dob_swap": (0.01, 0.03, 0.06),
    "dob_digit": (0.01, 0.03, 0.06),
    "dob_year": (0.01, 0.02, 0.04),
    "dob_format": (0.01, 0.02, 0.04),
    "dob_impossible": (0.002, 0.005, 0.01),
    "addr_missing": (0.03, 0.06, 0.12),
    "addr_moved": (0.03, 0.06, 0.10),
    "addr_number": (0.01, 0.03, 0.06),
    "addr_typo": (0.02, 0.05, 0.10),
    "addr_abbrev": (0.15, 0.25, 0.35),
    "addr_reorder": (0.03, 0.06, 0.10),
    "suburb_typo": (0.01, 0.03, 0.06),
    "postcode_typo": (0.01, 0.02, 0.05),
    "phone_missing": (0.05, 0.10, 0.20),
    "phone_other": (0.03, 0.06, 0.10),
    "phone_typo": (0.01, 0.03, 0.05),
    "phone_format": (0.10, 0.20, 0.30),
    "email_missing": (0.05, 0.10, 0.20),
    "email_other": (0.03, 0.06, 0.10),
    "email_typo": (0.01, 0.02, 0.04),
    "gender_missing": (0.03, 0.06, 0.10),
    "id_missing": (0.10, 0.20, 0.30),  # only with --national-id
    "id_typo": (0.01, 0.02, 0.04),  # only with --national-id
}
MAX_CORRUPTIONS = {"low": 3, "medium": 5, "high": 8}

COLUMNS = ["source_record_id", "name", "given_name", "family_name", "birth_date", "gender",
           "email", "phone", "address", "city", "state", "postal_code", "country"]  # fmt: skip
SYSTEMS = {"dedup": ("crm",), "link": ("crm", "shop")}
ID_PREFIX = {"crm": "C", "shop": "S"}
NEWEST_BIRTH = date(2007, 12, 31)  # customers are adults


@dataclass
class Settings:
    mode: str = "dedup"
    level: str = "medium"
    records: int = 5000  # about this many records in all
    seed: int = 42
    rates: dict[str, float] = field(default_factory=dict)  # overrides of the level's rates
    max_corruptions: int | None = None  # default: the level's
    dup_share: float = 0.5  # dedup: share of people with duplicates
    max_dups: int = 3  # dedup: most duplicates of one person
    overlap: float = 0.5  # link: share of people in both systems
    link_dup_share: float = 0.0  # link: share of a system's people it holds twice
    chinese_share: float = 0.12
    household_share: float = 0.35  # share of people living with others
    national_id: bool = False

    def rate(self, name: str) -> float:
        return self.rates.get(name, RATES[name][LEVELS.index(self.level)])

    def cap(self) -> int:
        return self.max_corruptions or MAX_CORRUPTIONS[self.level]


@dataclass
class Person:
    pid: str
    given: str
    family: str
    sex: str  # female | male
    birth: date
    unit: str
    number: str
    street: str
    stype: int  # index into STREET_TYPES
    suburb: int  # index into SUBURBS
    mobile: str | None
    landline: str | None
    uses_landline: bool
    email: str | None
    national_id: str
    han: tuple[HanName, HanName] | None = None  # (surname, given name)
    han_style: str = ""  # how this person's Chinese name is usually written
    english_given: str | None = None
    household: str = ""
    role: str = ""  # in the household: head | partner | child | sibling
    relations: list[str] = field(default_factory=list)

    @property
    def phone(self) -> str | None:
        if self.uses_landline and self.landline:
            return self.landline
        return self.mobile or self.landline


@dataclass
class Rec:
    """A record being written: name parts, values as text, address parts."""

    given: str
    family: str
    full: str  # a name in one field (characters, "WANG Xiaoming", a placeholder)
    birth: str
    gender: str
    email: str
    phone: str
    unit: str
    number: str
    street: str
    stype: str
    form: str  # how the street line is written: plain | unit_first | unit_after | number_after
    suburb: str
    state: str
    postcode: str
    national_id: str


@dataclass
class RecordTruth:
    system: str
    record_id: str
    pid: str
    copy: int  # 0: the original (dedup) or first copy
    corruptions: list[str]
    row: dict[str, str]


@dataclass
class Generated:
    settings: Settings
    people: dict[str, Person]
    records: list[RecordTruth]
    files: dict[str, Path]  # system -> customers file


# ----------------------------------------------------------------------------- helpers


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z]", "", "".join(c for c in decomposed if c.isascii()).lower())


_TAIL = tail_surnames()
_KEYS = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj",
    "i": "uojk", "o": "ipkl", "p": "ol", "a": "qwsz", "s": "awedxz", "d": "serfcx",
    "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop",
    "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}  # fmt: skip
_KEYPAD = {"1": "24", "2": "135", "3": "26", "4": "157", "5": "2468", "6": "359", "7": "48",
           "8": "5790", "9": "68", "0": "8"}  # fmt: skip
_OCR = [("m", "rn"), ("rn", "m"), ("o", "0"), ("l", "1"), ("i", "1"), ("s", "5"), ("b", "8"),
        ("cl", "d"), ("d", "cl"), ("w", "vv"), ("g", "q"), ("e", "c"), ("h", "b"), ("u", "v"),
        ("n", "ri"), ("nn", "m")]  # fmt: skip
# FEBRL-style phonetic rules: (pattern, replacement, where) with where start | end | any |
# middle (neither first nor last letter).
_PHONETIC = [
    ("ph", "f", "any"), ("f", "ph", "start"), ("ck", "k", "any"), ("k", "ck", "end"),
    ("c", "k", "start"), ("k", "c", "start"), ("ie", "y", "end"), ("y", "ie", "end"),
    ("ey", "y", "end"), ("y", "ey", "end"), ("ee", "ea", "any"), ("ea", "ee", "any"),
    ("ou", "ow", "any"), ("ow", "ou", "any"), ("ei", "ie", "any"), ("ie", "ei", "middle"),
    ("ae", "e", "any"), ("th", "t", "start"), ("t", "th", "start"), ("mc", "mac", "start"),
    ("mac", "mc", "start"), ("ll", "l", "any"), ("nn", "n", "any"), ("tt", "t", "any"),
    ("ss", "s", "any"), ("z", "s", "any"), ("s", "z", "middle"), ("x", "ks", "any"),
    ("gh", "", "middle"), ("son", "sen", "end"), ("sen", "son", "end"),
    ("i", "y", "middle"), ("y", "i", "middle"), ("ine", "ene", "end"), ("ene", "ine", "end"),
    ("ph", "v", "middle"), ("sch", "sh", "any"), ("ue", "u", "any"), ("ü", "ue", "any"),
]  # fmt: skip
_SHORT_TO_FORMAL: dict[str, list[str]] = {}
for _formal, _shorts in NICKNAMES.items():
    for _short in _shorts:
        _SHORT_TO_FORMAL.setdefault(_short, []).append(_formal)


def _recase(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def _position(rng: random.Random, length: int) -> int:
    """Where a typo lands: rarely the first letter (people get those right)."""
    weights = [0.2] + [1.0] * (length - 1)
    return rng.choices(range(length), weights)[0]


def keyboard_typo(rng: random.Random, text: str) -> str:
    spots = [i for i, c in enumerate(text) if c.lower() in _KEYS]
    if not spots:
        return text
    i = spots[_position(rng, len(spots))]
    c = rng.choice(_KEYS[text[i].lower()])
    return text[:i] + (c.upper() if text[i].isupper() else c) + text[i + 1 :]


def ocr_error(rng: random.Random, text: str) -> str:
    lower = text.lower()
    found = [(i, a, b) for a, b in _OCR for i in range(len(lower)) if lower.startswith(a, i)]
    if not found:
        return text
    i, a, b = rng.choice(found)
    if i == 0 and text[:1].isupper():
        b = b[:1].upper() + b[1:]
    return text[:i] + b + text[i + len(a) :]


def phonetic_change(rng: random.Random, text: str) -> str:
    lower = text.lower()
    found = []
    for a, b, where in _PHONETIC:
        for i in range(len(lower)):
            if not lower.startswith(a, i):
                continue
            end = i + len(a) == len(lower)
            if (
                (where == "start" and i == 0)
                or (where == "end" and end)
                or (where == "middle" and i > 0 and not end)
                or where == "any"
            ):
                found.append((i, a, b))
    if not found:
        return text
    i, a, b = rng.choice(found)
    changed = lower[:i] + b + lower[i + len(a) :]
    return _recase(changed, text) if changed else text


def edit_typo(rng: random.Random, text: str) -> str:
    """One inserted, deleted or transposed letter."""
    if len(text) < 2:
        return text
    op = rng.choice(("insert", "delete", "transpose"))
    i = _position(rng, len(text))
    if op == "insert":
        c = rng.choice(_KEYS.get(text[i].lower(), "aeiou"))
        return text[: i + 1] + c + text[i + 1 :]
    if op == "delete" and len(text) > 2:
        out = text[:i] + text[i + 1 :]
        return _recase(out, text)
    j = min(i, len(text) - 2)
    out = text[:j] + text[j + 1] + text[j] + text[j + 2 :]
    return _recase(out.lower(), text) if text[:1].isupper() else out


def digit_typo(rng: random.Random, digits: str, keep: int = 0) -> str:
    """One digit of ``digits`` (not among its first ``keep`` digits) changed, or two
    neighbouring digits swapped; other characters stay."""
    spots = [i for i, c in enumerate(digits) if c.isdigit()][keep:]
    if not spots:
        return digits
    i = rng.choice(spots)
    nxt = [j for j in spots if j > i]
    if nxt and rng.random() < 0.3 and digits[i] != digits[nxt[0]]:
        j = nxt[0]
        return digits[:i] + digits[j] + digits[i + 1 : j] + digits[i] + digits[j + 1 :]
    return digits[:i] + rng.choice(_KEYPAD[digits[i]]) + digits[i + 1 :]


def tax_file_number(rng: random.Random) -> str:
    """Nine digits whose weighted sum (1 4 3 7 5 8 6 9 10) is a multiple of 11."""
    weights = (1, 4, 3, 7, 5, 8, 6, 9)
    while True:
        body = [rng.randrange(10) for _ in range(8)]
        last = sum(d * w for d, w in zip(body, weights, strict=True)) % 11
        if last < 10:
            d = "".join(map(str, [*body, last]))
            return f"{d[:3]} {d[3:6]} {d[6:]}"


# ----------------------------------------------------------------------------- people


class Population:
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.rng = random.Random(f"{settings.seed}:population")
        self.people: dict[str, Person] = {}
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.households = 0

    # -- values

    def birth(self, low: int, high: int) -> date:
        start = date(low, 1, 1)
        end = min(date(high, 12, 31), NEWEST_BIRTH)
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    @staticmethod
    def _unique(make: Any, used: set[str]) -> str:
        while True:
            value = make()
            if value not in used:
                used.add(value)
                return str(value)

    def mobile(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng

        def make() -> str:
            d = f"04{rng.randrange(10**8):08d}"
            return f"{d[:4]} {d[4:7]} {d[7:]}"

        return self._unique(make, self.phones)

    def landline(self, state: str) -> str:
        def make() -> str:
            d = f"{self.rng.randrange(2, 10)}{self.rng.randrange(10**7):07d}"
            return f"({AREA_CODES[state]}) {d[:4]} {d[4:]}"

        return self._unique(make, self.phones)

    def email(self, given: str, family: str, birth: date, rng: random.Random | None = None) -> str:
        g, f = _ascii(given) or "x", _ascii(family) or "x"
        rng = rng or self.rng

        def make() -> str:
            n = rng.randrange(1, 100)
            local = rng.choice(
                (
                    f"{g}.{f}",
                    f"{g}{f}{birth.year % 100:02d}",
                    f"{g[0]}{f}",
                    f"{f}.{g}{n}",
                    f"{g}_{f}{n}",
                    f"{g}{birth.year}",
                    f"{g[0]}.{f}{n}",
                )
            )
            return f"{local}@{_pick(rng, EMAIL_DOMAINS)}"

        return self._unique(make, self.emails)

    def address(self) -> dict[str, Any]:
        rng = self.rng
        return {
            "unit": str(rng.randrange(1, 30)) if rng.random() < 0.2 else "",
            "number": str(min(int(rng.expovariate(1 / 25)) + 1, 400)),
            "street": _pick(rng, STREET_NAMES),
            "stype": rng.choices(range(len(STREET_TYPES)), [w for *_, w in STREET_TYPES])[0],
            "suburb": rng.choices(range(len(SUBURBS)), SUBURB_WEIGHTS)[0],
        }

    def names(self, sex: str, chinese: bool) -> tuple[str, str, dict[str, Any]]:
        rng = self.rng
        if chinese:
            surname = _pick(rng, [(h, h.weight) for h in CHINESE_SURNAMES])
            given = _pick(rng, [(h, h.weight) for h in CHINESE_GIVEN if h.sex == sex[0].upper()])
            extra = {
                "han": (surname, given),
                "han_style": _pick(rng, [("western", 45), ("hanzi", 35), ("family_first", 20)]),
                "english_given": rng.choice(CHINESE_ENGLISH_GIVEN[sex[0].upper()])
                if rng.random() < 0.3
                else None,
            }
            return "".join(given.pinyin).title(), surname.pinyin[0].title(), extra
        given_name = _pick(rng, MALE_GIVEN if sex == "male" else FEMALE_GIVEN)
        family = rng.choice(_TAIL) if rng.random() < 0.4 else _pick(rng, SURNAMES)
        return given_name, family, {}

    def person(
        self,
        sex: str,
        birth: date,
        home: dict[str, Any],
        family: str | None = None,
        given: str | None = None,
        chinese: bool = False,
        landline: str | None = None,
    ) -> Person:
        rng = self.rng
        first, last, extra = self.names(sex, chinese)
        if family is not None:
            last = family
            if chinese and extra:
                # A Chinese family name given by the household: keep its characters.
                surname = next(h for h in CHINESE_SURNAMES if h.pinyin[0].title() == family)
                extra["han"] = (surname, extra["han"][1])
        if given is not None:
            first = given
        pid = f"P{len(self.people) + 1:06d}"
        mobile = self.mobile() if rng.random() < (0.9 if birth.year > 1955 else 0.6) else None
        state = SUBURBS[home["suburb"]][1]
        if landline is None and (rng.random() < 0.25 or mobile is None):
            landline = self.landline(state)
        email = self.email(first, last, birth) if rng.random() < 0.8 else None
        p = Person(
            pid=pid,
            given=first,
            family=last,
            sex=sex,
            birth=birth,
            **home,
            mobile=mobile,
            landline=landline,
            uses_landline=landline is not None and rng.random() < 0.35,
            email=email,
            national_id=tax_file_number(rng),
            **extra,
        )
        self.people[pid] = p
        return p

    def single(self) -> None:
        sex = self.rng.choice(("female", "male"))
        chinese = self.rng.random() < self.s.chinese_share
        self.person(sex, self.birth(1935, 2007), self.address(), chinese=chinese)

    def household(self) -> None:
        """People sharing an address and a landline, most a family name."""
        rng = self.rng
        self.households += 1
        hid = f"H{self.households:05d}"
        home = self.address()
        state = SUBURBS[home["suburb"]][1]
        phone = self.landline(state)
        chinese = rng.random() < self.s.chinese_share
        kind = _pick(
            rng,
            [
                ("couple", 35),
                ("family", 30),
                ("single_parent", 10),
                ("junior", 12),
                ("twins", 8),
                ("siblings", 5),
            ],
        )
        members: list[Person] = []
        young = kind == "siblings"
        head_sex = "male" if kind == "junior" else rng.choice(("female", "male"))
        head = self.person(
            head_sex,
            self.birth(1978, 2000) if young else self.birth(1938, 1982),
            home,
            chinese=chinese,
            landline=phone,
        )
        head.role = "head"
        members.append(head)
        if kind in ("couple", "family", "junior", "twins") and rng.random() < 0.9:
            partner_sex = "female" if head_sex == "male" else "male"
            if rng.random() < 0.05:
                partner_sex = head_sex
            born = head.birth + timedelta(days=rng.randrange(-6 * 365, 6 * 365))
            born = min(born, NEWEST_BIRTH)
            keeps_own = rng.random() < 0.3 or partner_sex == head_sex
            partner = self.person(
                partner_sex,
                born,
                home,
                family=None if keeps_own else head.family,
                chinese=chinese,
                landline=phone,
            )
            partner.role = "partner"
            partner.relations.append("spouse")
            head.relations.append("spouse")
            members.append(partner)
        children: list[Person] = []
        earliest = head.birth.year + 20
        if kind != "couple" and earliest <= NEWEST_BIRTH.year:
            count = {"family": rng.choice((1, 2, 2, 3)), "single_parent": 1}.get(kind, 1)
            if kind == "siblings":
                count = rng.choice((1, 2))
            for _ in range(count):
                low = head.birth.year - 6 if young else earliest
                born = self.birth(low, min(head.birth.year + 38, NEWEST_BIRTH.year))
                sex = rng.choice(("female", "male"))
                given = None
                if kind == "junior" and not children:
                    sex, given = "male", head.given
                    born = self.birth(max(low, head.birth.year + 20), head.birth.year + 38)
                child = self.person(
                    sex, born, home, family=head.family, given=given, chinese=chinese,
                    landline=phone,
                )  # fmt: skip
                if given is not None:
                    child.relations.append("junior")
                    head.relations.append("senior")
                children.append(child)
            if kind == "twins" and children:
                first = children[0]
                twin = self.person(
                    rng.choice(("female", "male")), first.birth, home, family=head.family,
                    chinese=chinese, landline=phone,
                )  # fmt: skip
                first.relations.append("twin")
                twin.relations.append("twin")
                children.append(twin)
        for c in children:
            c.role = "sibling" if young else "child"
            c.relations.append(c.role)
        if not young:
            for m in members:
                if children:
                    m.relations.append("parent")
        members.extend(children)
        if young:
            head.relations.append("sibling")
        if rng.random() < 0.15:
            shared = self.email("the" + head.family.lower() + "s", "family", head.birth)
            for m in members:
                if m.email is None or rng.random() < 0.5:
                    m.email = shared
                    m.relations.append("family_email")
        for m in members:
            m.household = hid

    def build(self, people: int) -> None:
        # households average ~2.8 people; the unit-level chance giving that share of people
        size = 2.8
        share = self.s.household_share
        p_household = share / (size - share * (size - 1))
        while len(self.people) < people:
            if self.rng.random() < p_household:
                self.household()
            else:
                self.single()


# ----------------------------------------------------------------------------- records


def clean_record(p: Person) -> Rec:
    full = ""
    given, family = p.given, p.family
    if p.han is not None:
        given, family, full = _han_name(p, p.han_style)
    suburb, state, postcode = SUBURBS[p.suburb]
    return Rec(
        given=given,
        family=family,
        full=full,
        birth=p.birth.isoformat(),
        gender=p.sex,
        email=p.email or "",
        phone=p.phone or "",
        unit=p.unit,
        number=p.number,
        street=p.street,
        stype=STREET_TYPES[p.stype][0],
        form="plain",
        suburb=suburb,
        state=state,
        postcode=postcode,
        national_id=p.national_id,
    )


def _han_name(p: Person, style: str) -> tuple[str, str, str]:
    """(given, family, full) of a Chinese name written in ``style``."""
    assert p.han is not None
    surname, given = p.han
    pinyin_given = "".join(given.pinyin).title()
    family = surname.pinyin[0].title()
    if style == "hanzi":
        return "", "", surname.simplified + given.simplified
    if style == "traditional":
        return "", "", surname.traditional + given.traditional
    if style == "family_first":
        return "", "", f"{family.upper()} {pinyin_given}"
    if style == "spaced":
        return " ".join(s.title() for s in given.pinyin), family, ""
    if style == "hyphenated":
        return "-".join(s.title() for s in given.pinyin), family, ""
    if style == "cantonese":
        return pinyin_given, surname.cantonese, ""
    if style == "english":
        return p.english_given or pinyin_given, family, ""
    return pinyin_given, family, ""


_TRANSLIT = [("hanzi", 20), ("western", 20), ("family_first", 15), ("traditional", 10),
             ("spaced", 10), ("hyphenated", 10), ("cantonese", 8), ("english", 7)]  # fmt: skip


def street_line(r: Rec) -> str:
    street = f"{r.street} {r.stype}"
    if not r.number:
        return ""
    if r.form == "unit_first" and r.unit:
        return f"Unit {r.unit}, {r.number} {street}"
    if r.form == "unit_after" and r.unit:
        return f"{r.number} {street}, Unit {r.unit}"
    if r.form == "number_after":
        return f"{street} {r.unit + '/' if r.unit else ''}{r.number}"
    return f"{r.unit + '/' if r.unit else ''}{r.number} {street}"


def _name_text(rng: random.Random, r: Rec, change: Callable[[random.Random, str], str]) -> bool:
    """Apply a character-level change to one Latin name part; whether anything changed."""
    parts = [
        k
        for k in ("given", "family", "full")
        if any(c.isascii() and c.isalpha() for c in getattr(r, k))
    ]
    if not parts:
        return False
    key = rng.choice(parts)
    old: str = getattr(r, key)
    words = old.split(" ")
    i = rng.randrange(len(words))
    words[i] = change(rng, words[i])
    new = " ".join(words)
    setattr(r, key, new)
    return new != old


def _date_text(d: date, style: str) -> str:
    if style == "yyyymmdd":
        return d.strftime("%Y%m%d")
    if style == "d/m/yyyy":
        return f"{d.day}/{d.month}/{d.year}"
    return d.strftime("%d/%m/%Y")


def _rng(key: str, name: str) -> random.Random:
    return random.Random(f"{key}:{name}")


def corrupt(key: str, p: Person, r: Rec, s: Settings, pop: Population) -> list[str]:
    """Corrupt ``r`` (a copy of ``p``) in place; the corruptions applied. ``key`` names
    the record: which corruptions fire is drawn from it, and each corruption's values from
    it and the corruption's name, so a rate changed leaves the other corruptions' values
    as they were."""
    chinese = p.han is not None
    fire = _rng(key, "fire")
    fired = [n for n in RATES if fire.random() < s.rate(n)]
    if not s.national_id:
        fired = [n for n in fired if not n.startswith("id_")]
    if not chinese:
        fired = [n for n in fired if n != "name_translit"]
    if len(fired) > s.cap():
        fired = sorted(fire.sample(fired, s.cap()), key=list(RATES).index)
    done: list[str] = []

    def did(name: str, ok: bool = True) -> None:
        if ok:
            done.append(name)

    # names: how the name is written, then letters
    if "name_translit" in fired:
        rng = _rng(key, "name_translit")
        style = _pick(rng, [(x, w) for x, w in _TRANSLIT if x != p.han_style])
        if style == "english" and not p.english_given:
            style = "spaced"
        r.given, r.family, r.full = _han_name(p, style)
        did(f"name_translit/{style}")
    if "name_nickname" in fired and not r.full:
        rng = _rng(key, "name_nickname")
        options = list(NICKNAMES.get(r.given, ())) + _SHORT_TO_FORMAL.get(r.given, [])
        if options:
            r.given = rng.choice(options)
            did("name_nickname")
    if "name_swap" in fired and r.given and r.family:
        r.given, r.family = r.family, r.given
        did("name_swap")
    if "name_given_only" in fired:
        if r.full and p.han is not None and not r.full.isascii():
            r.full = p.han[1].simplified
        elif r.full:
            r.full = r.full.split(" ")[-1]
        r.family = ""
        did("name_given_only")
    if "name_placeholder" in fired:
        rng = _rng(key, "name_placeholder")
        choice = rng.choice([*PLACEHOLDER_NAMES, "title"])
        if choice == "title":
            title = "Mr" if p.sex == "male" else rng.choice(("Mrs", "Ms", "Miss"))
            choice = f"{title} {p.family}"
        r.given, r.family, r.full = "", "", choice
        did("name_placeholder")
    for name, change in (
        ("name_keyboard", keyboard_typo),
        ("name_ocr", ocr_error),
        ("name_phonetic", phonetic_change),
        ("name_edit", edit_typo),
    ):
        if name in fired:
            did(name, _name_text(_rng(key, name), r, change))

    # birth date: value changes, then how it is written
    birth = p.birth
    if "dob_missing" in fired:
        r.birth = ""
        did("dob_missing")
    else:
        if "dob_swap" in fired and birth.day <= 12 and birth.day != birth.month:
            birth = date(birth.year, birth.day, birth.month)
            did("dob_swap")
        if "dob_digit" in fired:
            rng = _rng(key, "dob_digit")
            for _ in range(20):
                text = digit_typo(rng, birth.strftime("%Y%m%d"), keep=2)
                try:
                    new = date(int(text[:4]), int(text[4:6]), int(text[6:]))
                except ValueError:
                    continue
                if new != birth and date(1900, 1, 1) <= new <= NEWEST_BIRTH:
                    birth = new
                    did("dob_digit")
                    break
        if "dob_year" in fired:
            rng = _rng(key, "dob_year")
            year = birth.year + rng.choice((-1, 1))
            birth = birth.replace(year=year, day=min(birth.day, 28 if birth.month == 2 else 31))
            did("dob_year")
        r.birth = birth.isoformat()
        if "dob_impossible" in fired:
            rng = _rng(key, "dob_impossible")
            y, m, d = r.birth.split("-")
            if d[::-1] > "31" and d[0] != d[1]:
                d = d[::-1]  # 1955-11-29 -> 1955-11-92
            elif rng.random() < 0.5:
                m = str(rng.randrange(13, 20))
            else:
                m, d = "02", rng.choice(("30", "31"))
            r.birth = f"{y}-{m}-{d}"
            did("dob_impossible")
        elif "dob_format" in fired:
            rng = _rng(key, "dob_format")
            style = rng.choice(("yyyymmdd", "dd/mm/yyyy", "d/m/yyyy"))
            r.birth = _date_text(birth, style)
            did(f"dob_format/{style}")

    # address
    if "addr_moved" in fired:
        rng = _rng(key, "addr_moved")
        home = pop_address(rng)
        r.unit, r.number, r.street = home["unit"], home["number"], home["street"]
        r.stype = STREET_TYPES[home["stype"]][0]
        r.suburb, r.state, r.postcode = SUBURBS[home["suburb"]]
        did("addr_moved")
    if "addr_number" in fired:
        rng = _rng(key, "addr_number")
        if r.unit and rng.random() < 0.3:
            r.unit = ""
        else:
            n = int(r.number) + rng.choice((-2, -1, 1, 2, 10))
            r.number = str(n) if n > 0 else str(int(r.number) + 1)
        did("addr_number")
    if "addr_typo" in fired:
        rng = _rng(key, "addr_typo")
        old = r.street
        r.street = rng.choice((keyboard_typo, edit_typo))(rng, r.street)
        did("addr_typo", r.street != old)
    if "addr_abbrev" in fired:
        swap = {f: a for f, a, _ in STREET_TYPES} | {a: f for f, a, _ in STREET_TYPES}
        r.stype = swap.get(r.stype, r.stype)
        did("addr_abbrev")
    if "addr_reorder" in fired:
        rng = _rng(key, "addr_reorder")
        options = ["number_after"] + (["unit_first", "unit_after"] if r.unit else [])
        r.form = rng.choice(options)
        did("addr_reorder")
    if "suburb_typo" in fired:
        rng = _rng(key, "suburb_typo")
        old = r.suburb
        r.suburb = rng.choice((keyboard_typo, edit_typo))(rng, r.suburb)
        did("suburb_typo", r.suburb != old)
    if "postcode_typo" in fired:
        rng = _rng(key, "postcode_typo")
        old = r.postcode
        if old.startswith("0") and rng.random() < 0.5:
            r.postcode = old.lstrip("0")  # a spreadsheet ate the leading zero
        else:
            r.postcode = digit_typo(rng, old)
        did("postcode_typo", r.postcode != old)
    if "addr_missing" in fired:
        r.number, r.unit, r.street, r.suburb, r.postcode = "", "", "", "", ""
        did("addr_missing")

    # phone, email, gender, national ID
    if "phone_missing" in fired and r.phone:
        r.phone = ""
        did("phone_missing")
    elif r.phone or "phone_other" in fired:
        if "phone_other" in fired:
            rng = _rng(key, "phone_other")
            other = p.mobile if r.phone == p.landline else p.landline
            r.phone = other or pop.mobile(rng)
            did("phone_other")
        if "phone_typo" in fired and r.phone:
            rng = _rng(key, "phone_typo")
            r.phone = digit_typo(rng, r.phone, keep=2)  # not the 0 and area / 4
            did("phone_typo")
        if "phone_format" in fired and r.phone:
            rng = _rng(key, "phone_format")
            digits = re.sub(r"\D", "", r.phone)
            r.phone = rng.choice((f"+61 {digits[1:4]} {digits[4:7]} {digits[7:]}", digits))
            did("phone_format")
    if "email_missing" in fired and r.email:
        r.email = ""
        did("email_missing")
    elif "email_other" in fired:
        rng = _rng(key, "email_other")
        if rng.random() < 0.5:
            r.email = pop.email(p.given, p.family, p.birth, rng)  # another personal address
        else:
            r.email = f"{_ascii(p.given)}.{_ascii(p.family)}@{rng.choice(WORK_DOMAINS)}"
        did("email_other")
    if "email_typo" in fired and r.email:
        rng = _rng(key, "email_typo")
        local, _, domain = r.email.partition("@")
        local = rng.choice((keyboard_typo, edit_typo))(rng, local)
        r.email = f"{local}@{domain}"
        did("email_typo")
    if "gender_missing" in fired:
        rng = _rng(key, "gender_missing")
        r.gender = rng.choice(("", "unknown"))
        did("gender_missing")
    if "id_missing" in fired:
        r.national_id = ""
        did("id_missing")
    elif "id_typo" in fired:
        rng = _rng(key, "id_typo")
        r.national_id = digit_typo(rng, r.national_id)
        did("id_typo")
    return done


def pop_address(rng: random.Random) -> dict[str, Any]:
    """A new address for a person who moved (drawn from the record's own generator)."""
    return {
        "unit": str(rng.randrange(1, 30)) if rng.random() < 0.2 else "",
        "number": str(rng.randrange(1, 200)),
        "street": _pick(rng, STREET_NAMES),
        "stype": rng.choices(range(len(STREET_TYPES)), [w for *_, w in STREET_TYPES])[0],
        "suburb": rng.choices(range(len(SUBURBS)), SUBURB_WEIGHTS)[0],
    }


def row_of(r: Rec, national_id: bool) -> dict[str, str]:
    row = {
        "name": r.full,
        "given_name": "" if r.full else r.given,
        "family_name": "" if r.full else r.family,
        "birth_date": r.birth,
        "gender": r.gender,
        "email": r.email,
        "phone": r.phone,
        "address": street_line(r),
        "city": r.suburb,
        "state": r.state if r.suburb else "",
        "postal_code": r.postcode,
        "country": "AU",
    }
    if national_id:
        row["national_id"] = r.national_id
    return row


# ----------------------------------------------------------------------------- the whole


def _dup_count(rng: random.Random, s: Settings) -> int:
    if rng.random() >= s.dup_share:
        return 0
    ks = range(1, s.max_dups + 1)
    return rng.choices(ks, [1 / k for k in ks])[0]


def _records_per_person(s: Settings) -> float:
    ks = range(1, s.max_dups + 1)
    mean = sum(k / k for k in ks) / sum(1 / k for k in ks)
    if s.mode == "dedup":
        return 1 + s.dup_share * mean
    return (1 + s.overlap) * (1 + s.link_dup_share * mean)


def generate(out: Path, s: Settings) -> Generated:
    if s.mode not in SYSTEMS or s.level not in LEVELS:
        raise ValueError(f"mode must be one of {list(SYSTEMS)}, level one of {list(LEVELS)}")
    unknown = set(s.rates) - set(RATES)
    if unknown:
        raise ValueError(f"unknown rates: {sorted(unknown)}")
    pop = Population(s)
    pop.build(max(1, round(s.records / _records_per_person(s))))
    plan = random.Random(f"{s.seed}:{s.mode}:copies")
    copies: list[tuple[str, str, int]] = []  # (system, person, copy)
    systems = SYSTEMS[s.mode]
    for pid in pop.people:
        if s.mode == "dedup":
            copies.extend((systems[0], pid, i) for i in range(1 + _dup_count(plan, s)))
            continue
        u = plan.random()
        where = (
            systems
            if u < s.overlap
            else (systems[0],)
            if u < (1 + s.overlap) / 2
            else (systems[1],)
        )
        for system in where:
            extra = _dup_count(plan, replace(s, dup_share=s.link_dup_share))
            copies.extend((system, pid, i) for i in range(1 + extra))
    records: list[RecordTruth] = []
    for system, pid, i in copies:
        p = pop.people[pid]
        rec = clean_record(p)
        noisy = s.mode == "link" or i > 0
        done = corrupt(f"{s.seed}:{system}:{pid}:{i}", p, rec, s, pop) if noisy else []
        records.append(RecordTruth(system, "", pid, i, done, row_of(rec, s.national_id)))
    # Record IDs in an order that says nothing about who is who.
    files: dict[str, Path] = {}
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    columns = COLUMNS + (["national_id"] if s.national_id else [])
    for system in systems:
        mine = [r for r in records if r.system == system]
        random.Random(f"{s.seed}:{s.mode}:{system}:order").shuffle(mine)
        for n, r in enumerate(mine, start=1):
            r.record_id = f"{ID_PREFIX[system]}{n * 7919 % 10_000_000:07d}"
        path = out / f"{system}.customers.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            dict_writer = csv.DictWriter(f, columns)
            dict_writer.writeheader()
            for r in mine:
                dict_writer.writerow({"source_record_id": r.record_id, **r.row})
        files[system] = path
    records.sort(key=lambda r: (r.system, r.record_id))
    with (out / "truth" / "identity.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_system", "source_record_id", "person_id"])
        writer.writerows((r.system, r.record_id, r.pid) for r in records)
    with (out / "truth" / "records.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_system", "source_record_id", "person_id", "copy", "corruptions"])
        writer.writerows(
            (r.system, r.record_id, r.pid, r.copy, " ".join(r.corruptions)) for r in records
        )
    with (out / "truth" / "people.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["person_id", "given_name", "family_name", "chinese_name", "sex",
                         "birth_date", "household_id", "role", "relations", "address", "city",
                         "postal_code", "phone", "email", "national_id"])  # fmt: skip
        for p in pop.people.values():
            clean = clean_record(p)
            han = p.han[0].simplified + p.han[1].simplified if p.han else ""
            writer.writerow(
                [p.pid, p.given, p.family, han, p.sex, p.birth.isoformat(), p.household, p.role,
                 " ".join(p.relations), street_line(clean), clean.suburb, clean.postcode,
                 p.phone or "", p.email or "", p.national_id]
            )  # fmt: skip
    (out / "truth" / "settings.json").write_text(
        json.dumps(
            {
                **asdict(s),
                "effective_rates": {n: s.rate(n) for n in RATES},
                "max_corruptions": s.cap(),
                "people": len(pop.people),
                "households": pop.households,
                "records": len(records),
            },
            indent=2,
        )
        + "\n"
    )
    return Generated(s, pop.people, records, files)


def parse_rates(items: Sequence[str]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in RATES:
            raise SystemExit(f"--rate {item!r}: expected NAME=VALUE, NAME one of --list-rates")
        rates[name] = float(value)
    return rates


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--mode", choices=list(SYSTEMS), default="dedup")
    parser.add_argument("--level", choices=LEVELS, default="medium")
    parser.add_argument("--records", type=int, default=5000, help="about this many in all")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--max-corruptions", type=int, help="per record (default: the level's)")
    parser.add_argument("--dup-share", type=float, default=0.5)
    parser.add_argument("--max-dups", type=int, default=3)
    parser.add_argument("--overlap", type=float, default=0.5)
    parser.add_argument("--link-dup-share", type=float, default=0.0)
    parser.add_argument("--chinese-share", type=float, default=0.12)
    parser.add_argument("--household-share", type=float, default=0.35)
    parser.add_argument("--national-id", action="store_true", help="write national_id too")
    parser.add_argument("--list-rates", action="store_true")
    args = parser.parse_args(argv)
    if args.list_rates:
        print(f"{'corruption':<18} {'low':>6} {'medium':>6} {'high':>6}")
        for name, values in RATES.items():
            print(f"{name:<18} " + " ".join(f"{v:>6.3f}" for v in values))
        print(f"{'max per record':<18} " + " ".join(f"{MAX_CORRUPTIONS[x]:>6}" for x in LEVELS))
        return
    if args.out is None:
        parser.error("OUT is required")
    settings = Settings(
        mode=args.mode,
        level=args.level,
        records=args.records,
        seed=args.seed,
        rates=parse_rates(args.rate),
        max_corruptions=args.max_corruptions,
        dup_share=args.dup_share,
        max_dups=args.max_dups,
        overlap=args.overlap,
        link_dup_share=args.link_dup_share,
        chinese_share=args.chinese_share,
        household_share=args.household_share,
        national_id=args.national_id,
    )
    made = generate(args.out, settings)
    people = len({r.pid for r in made.records})
    print(
        f"{len(made.records):,} records of {people:,} people ({args.mode}, {args.level}) -> "
        + ", ".join(str(p) for p in made.files.values())
        + f"; truth in {args.out / 'truth'}"
    )


if __name__ == "__main__":
    main()
