"""Identity matching: which source records are the same customer, and why.

Pure domain code — profiles in, scored links and clusters out; no store, no I/O.

**Model (Fellegi-Sunter).** Each pair of records is compared field by field; each field
lands on a comparison level (exact, close, different ... or missing). A level carries a
match weight ``log2(m / u)``: ``m`` is the chance of that level when the records are the
same customer (documented expert values below), ``u`` the chance when they are not,
*estimated from the data* on random record pairs. Missing fields weigh nothing. The
pair's weight is the sum. Exact names are term-frequency adjusted: ``u`` is the share of
records carrying that very name, so agreeing on a rare surname is strong evidence and
agreeing on 王伟 or John Smith is weak.

**Names.** Names sharing a word are told apart by the rest: a nickname of it
(``nickname``) or plainly another given name (``other_given``: a twin, a sibling).

**Households.** Different people at one address share a family name, a landline and
sometimes a birth date (twins) far more often than random pairs: a second u, estimated
among them (``u_home``), weighs those fields for records at one address (evidence
``household: home``). Without it, agreeing on address and landline counts once, and the
same name at the same address with birth dates clearly different (a parent and child
of one name) makes the name and the home weigh nothing. Birth dates a slip apart (one
digit, two digits swapped, a year, day and month swapped) agree partly.

**Deterministic rules** link without scoring: the same national ID; the same email or
phone with names that do not disagree and birth dates that are not clearly different.
Generic values never take part (see below).

**Blocking** keeps cost near-linear: only records sharing a key are compared — email,
its mailbox name, phone, its last digits, national ID, the romanised name with the birth
date, the romanised name with the postal code, the first three letters of each name word
(a typo late in a word, with nothing else shared), and without the name: the birth date
(day and month in either order), the birth date with the postal code, and the house
(postal code, house numbers, the sound of the street). A block larger than ``MAX_BLOCK``
is skipped (and counted): common values fall back on the other keys.

**Over-merge guards.** A value held by records of more than ``GENERIC_NAMES`` different
names, or by more than ``MAX_SHARED`` records (a call-center number, a shop address, a
family email), is *generic*: it is left out of blocking and of the deterministic rules,
and its agreement weighs nothing. Clusters grow by the strongest links first, and two
clusters join only when every pair across them has direct evidence of its own (a
deterministic rule, or ``MIN_DIRECT_WEIGHT``: 16 times likelier a match, with birth dates
not clearly apart) and the result stays under
``MAX_CLUSTER`` records — so A~B and B~C never merge A and C on the strength of B alone.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz

from identity.names import (
    given_name_relation,
    name_similarity,
    name_tokens,
    partial_name_relation,
    person_name_words,
    phonetic_code,
)
from identity.normalize import (
    address_tokens,
    normalize_birth_date,
    normalize_email,
    normalize_id,
    normalize_phone,
    normalize_postal,
)

MAX_BLOCK = 50
PHONE_DIGITS = 8  # a phone's last digits: a blocking key whatever the country code read
GENERIC_NAMES = 3
MAX_SHARED = 20
MAX_CLUSTER = 50
PROGRESS_EVERY = 20_000  # candidate pairs between progress reports
AUTO_MERGE_WEIGHT = 12.0  # at least 4,000 times likelier a match than not
REVIEW_WEIGHT = 6.0  # 64 times: worth a person's look
MIN_DIRECT_WEIGHT = 4.0  # every pair across two joining clusters needs this much evidence
U_FLOOR = 1e-6
RANDOM_PAIRS = 60_000

# m: P(level | same customer). Documented judgement, not fitted.
M_PROBABILITIES: dict[str, dict[str, float]] = {
    "name": {
        "exact": 0.70,
        "close": 0.13,
        "nickname": 0.04,  # one word shared, the other a nickname of it (Bill, William)
        "similar": 0.08,
        "partial": 0.02,  # a given or family name alone, or with slips
        "other_given": 0.01,  # one word shared, the other plainly another name
        "different": 0.02,
    },
    "birth_date": {"exact": 0.92, "partial": 0.03, "near": 0.035, "different": 0.015},
    "email": {"exact": 0.90, "different": 0.10},
    "phone": {"exact": 0.85, "different": 0.15},
    "address": {"exact": 0.72, "similar": 0.08, "postal": 0.05, "different": 0.15},
    "national_id": {"exact": 0.99, "different": 0.01},
}
FIELDS = tuple(M_PROBABILITIES)


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
    return Profile(
        key=key,
        system=_text(props, "source_system"),
        name=name or None,
        name_key="".join(sorted(tokens)) or None,
        name_stem="|".join(t[:3] for t in sorted(tokens)) or None,
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
    )


# ----------------------------------------------------------------------------- comparisons


def _name_level(a: Profile, b: Profile) -> str | None:
    if not a.name_words or not b.name_words:
        return None
    if a.name_key == b.name_key:
        return "exact"
    relation = given_name_relation(a.name_words, b.name_words)
    if relation is not None:
        return relation
    similarity = name_similarity(" ".join(a.name_words), " ".join(b.name_words), cutoff=0.8)
    if similarity >= 0.92:
        return "close"
    if similarity >= 0.8:
        return "similar"
    return partial_name_relation(a.name_words, b.name_words) or "different"


def _birth_level(a: Profile, b: Profile) -> str | None:
    if not a.birth_date or not b.birth_date:
        return None
    if a.birth_date == b.birth_date:
        return "exact"
    ya, ma, da = a.birth_date.split("-")
    yb, mb, db = b.birth_date.split("-")
    if ya == yb and (ma == mb or (ma, da) == (db, mb)):
        return "partial"
    return "near" if near_birth_dates(a.birth_date, b.birth_date) else "different"


def near_birth_dates(x: str, y: str) -> bool:
    """Two ISO birth dates a slip apart: one digit off, two neighbouring digits swapped
    (1976-01-31, 1976-10-31; 1976, 1967), or the year one off with the same day and
    month."""
    if len(x) == len(y):
        apart = [i for i, (c, d) in enumerate(zip(x, y, strict=True)) if c != d]
        if len(apart) == 1:
            return True
        if len(apart) == 2 and apart[1] == apart[0] + 1:
            i = apart[0]
            if x[i] == y[i + 1] and x[i + 1] == y[i]:
                return True
    yx, _, rest_x = x.partition("-")
    yy, _, rest_y = y.partition("-")
    return rest_x == rest_y and yx.isdigit() and yy.isdigit() and abs(int(yx) - int(yy)) == 1


def _exact_level(x: str | None, y: str | None) -> str | None:
    if not x or not y:
        return None
    return "exact" if x == y else "different"


def _address_level(a: Profile, b: Profile) -> str | None:
    if not a.address or not b.address:
        return None
    same_postal = bool(a.postal) and a.postal == b.postal
    if a.address == b.address and (same_postal or not a.postal or not b.postal):
        return "exact"
    if fuzz.ratio(" ".join(a.address), " ".join(b.address)) >= 85:
        return "similar"
    return "postal" if same_postal else "different"


def compare(a: Profile, b: Profile) -> dict[str, str | None]:
    return {
        "name": _name_level(a, b),
        "birth_date": _birth_level(a, b),
        "email": _exact_level(a.email, b.email),
        "phone": _exact_level(a.phone, b.phone),
        "address": _address_level(a, b),
        "national_id": _exact_level(a.national_id, b.national_id),
    }


# ----------------------------------------------------------------------------- the model


@dataclass
class Model:
    """u-probabilities estimated from the data, name frequencies, generic values."""

    u: dict[str, dict[str, float]]
    name_share: dict[str, float]  # name_key -> share of records carrying it
    generic: dict[str, frozenset[str]]  # field -> generic values
    records: int
    # u among different people at one address (a household): see estimate_home_u.
    u_home: dict[str, dict[str, float]] = field(default_factory=dict)
    # Systems the last batch run found to hold each person once (one_record_systems):
    # a record pushed later never joins a customer holding another record of its system.
    one_record: frozenset[str] = frozenset()
    # log2(m / u) per (field, level): scoring asks for the same few dozen weights hundreds
    # of thousands of times. u does not change once a model is estimated or loaded.
    _weights: dict[tuple[str, str], float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def home_weight(self, field_name: str, level: str | None) -> float | None:
        """A level's weight between records at one address, where the other record is
        the same person or someone of the household (None: no estimate for it)."""
        u = self.u_home.get(field_name, {}).get(level or "")
        if u is None or level is None:
            return None
        return math.log2(M_PROBABILITIES[field_name][level] / max(u, U_FLOOR))

    def weight(self, field_name: str, level: str | None, a: Profile) -> float:
        if level is None:
            return 0.0
        if level == "exact":
            if field_name in _GENERIC_FIELDS and self._is_generic(field_name, a):
                return 0.0
            if field_name == "name" and a.name_key:
                u = max(self.name_share.get(a.name_key, U_FLOOR), U_FLOOR)
                return math.log2(M_PROBABILITIES[field_name][level] / u)
        return self._level_weight(field_name, level)

    def _level_weight(self, field_name: str, level: str) -> float:
        found = self._weights.get((field_name, level))
        if found is None:
            if level not in self.u.get(field_name, {}):
                # A level the stored model has no estimate for (it predates the level):
                # no evidence until the next ``ckb resolve`` estimates one.
                found = self._weights[(field_name, level)] = 0.0
                return found
            m = M_PROBABILITIES[field_name][level]
            u = self.u[field_name][level]
            found = math.log2(m / max(u, U_FLOOR))
            if level == "other_given":
                # A family name shared, the given name another: relatives at most, never
                # more alike than wholly different names (where few share a family name,
                # u is tiny and the ratio alone would count it as agreement).
                found = min(found, self._level_weight(field_name, "different"))
            self._weights[(field_name, level)] = found
        return found

    def _is_generic(self, field_name: str, a: Profile) -> bool:
        value = _identifiers(a)[field_name]
        return value is not None and value in self.generic.get(field_name, frozenset())


def _address_key(p: Profile) -> str | None:
    return f"{p.postal or ''}|{' '.join(p.address)}" if p.address else None


_GENERIC_FIELDS = frozenset({"email", "phone", "address"})  # fields a value can be generic in


def _identifiers(p: Profile) -> dict[str, str | None]:
    return {"email": p.email, "phone": p.phone, "address": _address_key(p)}


def find_generic(profiles: Sequence[Profile]) -> dict[str, frozenset[str]]:
    """Identifier values shared by too many records or too many different names."""
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: Counter[tuple[str, str]] = Counter()
    for p in profiles:
        for field_name, value in _identifiers(p).items():
            if value:
                counts[(field_name, value)] += 1
                names[(field_name, value)].add(p.name_key or "")
    generic: dict[str, set[str]] = defaultdict(set)
    for (field_name, value), n in counts.items():
        distinct = len(names[(field_name, value)])
        # A household shares an address: only many names, or very many records, make an
        # address generic; an email or phone is personal, so a few names suffice.
        limit = GENERIC_NAMES * 3 if field_name == "address" else GENERIC_NAMES
        if n > MAX_SHARED or distinct > limit:
            generic[field_name].add(value)
    return {k: frozenset(v) for k, v in generic.items()}


def estimate_model(profiles: Sequence[Profile], seed: int = 7) -> Model:
    """u from random pairs (almost all non-matches); name shares; generic values."""
    generic = find_generic(profiles)
    n = len(profiles)
    tallies: dict[str, Counter[str]] = {f: Counter() for f in FIELDS}
    rnd = random.Random(seed)  # noqa: S311 - sampling, not secrecy
    pairs = min(RANDOM_PAIRS, n * (n - 1) // 2)
    for _ in range(pairs):
        i, j = rnd.randrange(n), rnd.randrange(n)
        if i == j:
            continue
        for field_name, level in compare(profiles[i], profiles[j]).items():
            if level is not None:
                tallies[field_name][level] += 1
    u: dict[str, dict[str, float]] = {}
    for field_name, levels in tallies.items():
        total = sum(levels.values())
        u[field_name] = {
            level: max((levels[level] + 0.5) / (total + 1), U_FLOOR)
            for level in M_PROBABILITIES[field_name]
        }
    name_counts = Counter(p.name_key for p in profiles if p.name_key)
    share = {k: c / n for k, c in name_counts.items()} if n else {}
    return Model(u, share, generic, n, estimate_home_u(profiles, generic, seed))


MIN_HOME_PAIRS = 20  # fewer pairs of one kind than this: no household estimate for a field
HOME_PAIRS = 10_000  # pairs at one address to estimate from, at most (a random sample)
# Fields whose chance of agreeing changes when two different people share a home.
HOME_FIELDS = ("name", "birth_date", "email", "phone")


def estimate_home_u(
    profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]], seed: int = 7
) -> dict[str, dict[str, float]]:
    """u among different people who share an address: a household.

    Two records at one address are one person or two of a household, and for a
    household the chances differ from random pairs' — a family name, a landline, a
    family email and (twins) a birth date are shared far more often. Each field's u is
    read off the pairs at one address that another field marks as two people: names,
    phones and emails off pairs whose birth dates clearly differ; birth dates off pairs
    whose given names plainly differ with the family name shared (``other_given``)."""
    homes: dict[str, list[Profile]] = defaultdict(list)
    generic_address = generic.get("address", frozenset())
    for p in profiles:
        key = _address_key(p)
        if key and key not in generic_address:
            homes[key].append(p)
    pairs = [
        pair
        for members in homes.values()
        if 2 <= len(members) <= MAX_SHARED
        for pair in combinations(members, 2)
    ]
    if len(pairs) > HOME_PAIRS:
        pairs = random.Random(seed).sample(pairs, HOME_PAIRS)  # noqa: S311 - sampling
    tallies: dict[str, Counter[str]] = {f: Counter() for f in HOME_FIELDS}
    for a, b in pairs:
        pair = {
            "name": _name_level(a, b),
            "birth_date": _birth_level(a, b),
            "email": _exact_level(a.email, b.email),
            "phone": _exact_level(a.phone, b.phone),
        }
        if pair["birth_date"] == "different":
            for f in ("name", "email", "phone"):
                level = pair[f]
                if level is not None:
                    tallies[f][level] += 1
        birth = pair["birth_date"]
        if pair["name"] == "other_given" and birth is not None:
            tallies["birth_date"][birth] += 1
    u_home: dict[str, dict[str, float]] = {}
    for field_name, counts in tallies.items():
        total = sum(counts.values())
        if total < MIN_HOME_PAIRS:
            continue
        u_home[field_name] = {
            level: (counts[level] + 0.5) / (total + 1) for level in M_PROBABILITIES[field_name]
        }
    if "name" in u_home:
        # A parent and child of one name, one of the two names with a typo, are as common
        # at home as a typo is: "close" says there what "exact" says.
        names = u_home["name"]
        names["close"] = max(names["close"], names["exact"] * _M_NAME_CLOSE_SHARE)
    return u_home


_M_NAME_CLOSE_SHARE = M_PROBABILITIES["name"]["close"] / M_PROBABILITIES["name"]["exact"]


# ----------------------------------------------------------------------------- pairs


@dataclass(frozen=True, slots=True)
class Link:
    a: str
    b: str
    weight: float
    rule: str  # national_id | email | phone | probabilistic
    evidence: dict[str, tuple[str | None, float]]  # field -> (level, weight)

    @property
    def probability(self) -> float:
        """Posterior with even prior odds among compared pairs (a readable 0..1 score)."""
        return round(1 / (1 + 2 ** (-self.weight)), 6) if self.weight > -60 else 0.0


# What people living together share: agreeing on both is one fact, not two.
_HOUSEHOLD = ("address", "phone")


def _home(
    levels: Mapping[str, str | None],
    evidence: Mapping[str, tuple[str | None, float]],
    model: Model,
) -> tuple[str, float] | None:
    """The correction for two records at one address, from the household u: each
    field's weight as it is between a person and someone of their household, less its
    weight between random records. None when the model has no household estimates."""
    if not model.u_home or not _at_one_home(levels):
        return None
    correction = 0.0
    for f in HOME_FIELDS:
        # Each field's household u was read off pairs another field marks as two people
        # (estimate_home_u). A household's namesakes are born years apart and its twins
        # named apart: the same name *and* birth date at one address are as telling as
        # anywhere, so agreement on one weighs as at home only where the other disagrees.
        if f in _AGREE and levels[f] in _AGREE[f] and levels[_PARTNER[f]] in _AGREE[_PARTNER[f]]:
            continue
        home = model.home_weight(f, levels[f])
        if home is not None:
            change = home - evidence[f][1]
            if levels[f] not in _DISAGREE:
                # A household never makes agreement more telling than between strangers
                # (a rare level's household u, read off few pairs, can come out below u).
                change = min(change, 0.0)
            correction += change
    return "home", round(correction, 3)


_AGREE = {
    "name": frozenset({"exact", "close", "nickname", "similar", "partial"}),
    "birth_date": frozenset({"exact", "partial", "near"}),
}
_PARTNER = {"name": "birth_date", "birth_date": "name"}
_DISAGREE = frozenset({"different", "other_given"})


def _at_one_home(levels: Mapping[str, str | None]) -> bool:
    """The same address; or a similar one (a typo, its words in another order, the
    house next door) under names that do not agree — where an address typo on one
    person's records would otherwise cost the household weights their matches."""
    address = levels["address"]
    return address == "exact" or (
        address == "similar" and levels["name"] in ("other_given", "different", None)
    )


def _household(
    levels: Mapping[str, str | None], evidence: Mapping[str, tuple[str | None, float]]
) -> tuple[str, float] | None:
    """The correction for what a household explains, as a level and a weight, or None.

    ``namesakes``: the same name at the same address with birth dates clearly different
    (not a slip) is a parent and child of one name: the name and the home weigh nothing.
    ``shared``: an address and a phone both exact is one household's landline, counted
    once (the stronger of the two)."""
    shared = [evidence[f][1] for f in _HOUSEHOLD if levels[f] == "exact" and evidence[f][1] > 0]
    if (
        levels["birth_date"] == "different"
        and levels["name"] in ("exact", "close")
        and levels["address"] in ("exact", "similar")
    ):
        name = max(evidence["name"][1], 0.0)
        address = max(evidence["address"][1], 0.0)
        return "namesakes", -round(name + max([address, *shared]), 3)
    if len(shared) > 1:
        return "shared", -round(sum(shared) - max(shared), 3)
    return None


def score(a: Profile, b: Profile, model: Model) -> Link:
    levels = compare(a, b)
    evidence = {f: (lvl, round(model.weight(f, lvl, a), 3)) for f, lvl in levels.items()}
    household = _home(levels, evidence, model) or _household(levels, evidence)
    if household is not None:
        evidence["household"] = household
    total = round(sum(w for _, w in evidence.values()), 3)
    rule = "probabilistic"
    generic = model.generic
    if levels["national_id"] == "exact":
        rule = "national_id"
    elif levels["name"] in ("exact", "close", "similar") and levels["birth_date"] != "different":
        if levels["email"] == "exact" and a.email not in generic.get("email", ()):
            rule = "email"
        elif levels["phone"] == "exact" and a.phone not in generic.get("phone", ()):
            rule = "phone"
    x, y = sorted((a.key, b.key))
    return Link(x, y, total, rule, evidence)


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
    numbers = sorted(t for t in p.address if t.isdigit())
    street = next((t for t in p.address if not t.isdigit()), "")
    if not p.postal or not numbers:
        return None
    return f"{p.postal}|{' '.join(numbers)}|{phonetic_code(street)}"


def blocking_keys(p: Profile, generic: Mapping[str, frozenset[str]]) -> list[str]:
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
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for key in blocking_keys(p, generic):
            blocks[key].append(i)
    result = Blocking()
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            result.skipped_blocks += 1
            continue
        result.pairs.update(combinations(sorted(members), 2))
    return result


MAX_NAMESAKES = 3  # records carrying a name that may still all be one person's
_CONTACT = ("email", "phone", "address")


def rare_name_weight(model: Model) -> float:
    """The exact-name weight of a name carried by at most ``MAX_NAMESAKES`` records.

    A name's weight is ``log2(m * N / c)`` for ``c`` carriers among ``N`` records; the
    chance that one other record is the same person is about ``1 / N``, so what a name
    alone says about two records depends on ``c`` only. A fixed weight threshold instead
    lets ever more namesakes through as the population grows (their pairs grow as N²)."""
    carriers = MAX_NAMESAKES + 0.5  # evidence weights are rounded; stay clear of the edge
    return math.log2(M_PROBABILITIES["name"]["exact"] * max(model.records, 1) / carriers)


_PERSONAL_NAMES = {"email": "email", "phone": "phone", "national_id": "national ID",
                   "birth_date": "birth date"}  # fmt: skip


def review_reason(link: Link, model: Model) -> str | None:
    """Why a possible match is worth a person's look, or None when it is not: no hard
    conflict (different birth dates or national IDs), and agreement on something personal
    beyond the name — the same email, phone, national ID or birth date. An address is
    shared by a household, so a name with an address is what relatives have in common.
    Without personal agreement, a pair is worth a look only when the records do not
    contradict each other on every contact detail (email, phone and address all
    different) and the name agreement is rare: the same name carried by at most
    ``MAX_NAMESAKES`` records, or names as unlikely to be this alike by chance."""
    levels = {f: level for f, (level, _) in link.evidence.items()}
    if "different" in (levels.get("birth_date"), levels.get("national_id")):
        return None
    same = [label for f, label in _PERSONAL_NAMES.items() if levels.get(f) == "exact"]
    if same:
        return "same " + " and ".join(same)
    if all(levels.get(f) == "different" for f in _CONTACT):
        return None
    name_level, name_weight = link.evidence.get("name", (None, 0.0))
    if name_weight < rare_name_weight(model):
        return None
    if name_level != "exact":
        # Not term-frequency adjusted: names this alike are as rare by chance as a name
        # carried by a few records.
        return f"{name_level} names, rarely this alike by chance"
    carriers = M_PROBABILITIES["name"]["exact"] * max(model.records, 1) / 2**name_weight
    return f"rare name: {max(round(carriers), 1)} record(s) carry it"


def worth_review(link: Link, model: Model) -> bool:
    return review_reason(link, model) is not None


def is_link(link: Link) -> bool:
    return link.rule != "probabilistic" or link.weight >= AUTO_MERGE_WEIGHT


# ----------------------------------------------------------------------------- clusters


@dataclass
class Resolution:
    clusters: list[list[str]]  # source record keys, each cluster sorted, clusters sorted
    links: dict[tuple[str, str], Link]  # every scored candidate pair
    review: list[Link]  # possible matches for a person to decide
    refused: list[Link]  # links the over-merge guards refused
    skipped_blocks: int
    # Systems found to hold each person at most once (see one_record_systems).
    one_record: frozenset[str] = frozenset()


MIN_CROSS_LINKS = 50  # links to other systems below this: too little to tell
ONE_RECORD_SHARE = 0.05  # links within a system, at most this share of those across


def one_record_systems(links: Iterable[Link], systems: Mapping[str, str | None]) -> frozenset[str]:
    """Systems that, by the data, hold each person at most once: two of their records
    are two people.

    A system that keeps one record per person (a shop's accounts, a register) still
    shows a few links among its own records — the matcher's own mistakes (a parent and
    child of one name, twins) — while it links to another system's records wherever a
    person is in both. A system holding duplicates links among its own records about as
    readily as across. So a system whose records link among themselves less than
    ``ONE_RECORD_SHARE`` as often as to the other systems' records (and that links to
    them at least ``MIN_CROSS_LINKS`` times: enough to tell) is taken to hold each person
    once. A lone system never is: there is nothing to compare with."""
    within: Counter[str] = Counter()
    across: Counter[str] = Counter()
    for link in links:
        if not is_link(link):
            continue
        sa, sb = systems.get(link.a), systems.get(link.b)
        if sa is None or sb is None:
            continue
        if sa == sb:
            within[sa] += 1
        else:
            across[sa] += 1
            across[sb] += 1
    return frozenset(
        s for s, n in across.items() if n >= MIN_CROSS_LINKS and within[s] <= ONE_RECORD_SHARE * n
    )


def resolve(
    profiles: Sequence[Profile],
    model: Model | None = None,
    cannot_link: Iterable[tuple[str, str]] = (),
    compared: Callable[[int, int], None] | None = None,
    one_record: Iterable[str] | None = None,
) -> Resolution:
    """Cluster the records. ``cannot_link`` pairs (a person rejected the match) never end
    up in one cluster, however strong the links around them. ``compared(done, total)`` is
    told how many candidate pairs are scored, now and then. ``one_record``: the systems
    that hold each person at most once — a cluster never holds two records of one of
    them; None: found from the data (one_record_systems)."""
    model = model or estimate_model(profiles)
    forbidden = {tuple(sorted(pair)) for pair in cannot_link}
    blocking = candidate_pairs(profiles, model.generic)
    links: dict[tuple[str, str], Link] = {}
    pairs = sorted(blocking.pairs)
    for n, (i, j) in enumerate(pairs):
        if compared is not None and n % PROGRESS_EVERY == 0:
            compared(n, len(pairs))
        link = score(profiles[i], profiles[j], model)
        links[(link.a, link.b)] = link
    if compared is not None:
        compared(len(pairs), len(pairs))
    by_key = {p.key: p for p in profiles}
    parent = {p.key: p.key for p in profiles}
    members = {p.key: [p.key] for p in profiles}
    single = (
        frozenset(one_record)
        if one_record is not None
        else one_record_systems(links.values(), {p.key: p.system for p in profiles})
    )
    # Per cluster, its records' systems among those holding each person once.
    held = {p.key: frozenset({p.system}) & single for p in profiles}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def direct_evidence(x: str, y: str) -> bool:
        """Enough evidence between these two records alone: a deterministic rule, or
        MIN_DIRECT_WEIGHT."""
        a, b = sorted((x, y))
        if (a, b) not in links:
            links[(a, b)] = score(by_key[a], by_key[b], model)
        link = links[(a, b)]
        if link.rule != "probabilistic":
            return True
        # Birth dates clearly apart say two people, whatever else a household shares
        # (a parent and child of one name): such a pair never ends up in one cluster
        # through others.
        return link.weight >= MIN_DIRECT_WEIGHT and link.evidence["birth_date"][0] != "different"

    refused: list[Link] = []

    def join(link: Link) -> bool:
        ra, rb = find(link.a), find(link.b)
        if ra == rb:
            return True
        left, right = members[ra], members[rb]
        if (
            len(left) + len(right) > MAX_CLUSTER
            or held[ra] & held[rb]
            or any(
                (min(x, y), max(x, y)) in forbidden or not direct_evidence(x, y)
                for x in left
                for y in right
            )
        ):
            return False
        if len(left) < len(right):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
        held[ra] |= held.pop(rb)
        return True

    strong = sorted(
        (lk for lk in links.values() if is_link(lk)),
        key=lambda lk: (lk.rule == "probabilistic", -lk.weight, lk.a, lk.b),
    )
    for link in strong:
        if not join(link):
            refused.append(link)
    if single:
        for link in sole_candidates(links.values(), by_key, single, model):
            if find(link.a) != find(link.b):
                join(link)
    clusters = sorted(sorted(group) for group in members.values())
    review = sorted(
        (
            lk
            for lk in links.values()
            if lk.weight >= REVIEW_WEIGHT
            and worth_review(lk, model)
            and find(lk.a) != find(lk.b)
            and (lk.a, lk.b) not in forbidden
        ),
        key=lambda lk: (-lk.weight, lk.a, lk.b),
    )
    return Resolution(clusters, links, review, refused, blocking.skipped_blocks, single)


def sole_candidates(
    links: Iterable[Link], by_key: Mapping[str, Profile], single: frozenset[str], model: Model
) -> list[Link]:
    """Possible matches that two systems holding each person once make certain.

    Between two such systems a record has at most one counterpart. A pair worth a
    person's look (no conflict, agreement beyond chance) whose records are each other's
    strongest candidate in the other system — nothing else there comes close — is that
    counterpart. Strongest first."""
    # Per record and other system, the two strongest weights of its links there.
    top: dict[tuple[str, str], list[float]] = {}
    near: list[Link] = []
    for link in links:
        sa, sb = by_key[link.a].system, by_key[link.b].system
        if sa is None or sb is None or sa == sb or sa not in single or sb not in single:
            continue
        for key in ((link.a, sb), (link.b, sa)):
            best = top.setdefault(key, [-math.inf, -math.inf])
            if link.weight > best[0]:
                best[1], best[0] = best[0], link.weight
            elif link.weight > best[1]:
                best[1] = link.weight
        if SOLE_WEIGHT <= link.weight < AUTO_MERGE_WEIGHT and link.rule == "probabilistic":
            near.append(link)

    def sole(key: tuple[str, str], weight: float) -> bool:
        first, second = top[key]
        return first == weight and second < weight - SOLE_MARGIN

    found = [
        link
        for link in near
        if sole((link.a, str(by_key[link.b].system)), link.weight)
        and sole((link.b, str(by_key[link.a].system)), link.weight)
        and worth_review(link, model)
    ]
    return sorted(found, key=lambda lk: (-lk.weight, lk.a, lk.b))


SOLE_MARGIN = 6.0  # the next candidate at least this much weaker (64 times less likely)
SOLE_WEIGHT = 11.0


# ----------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class PairwiseScores:
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for group in groups:
        out.update(combinations(sorted(group), 2))
    return out


def pairwise_scores(
    found: Iterable[Iterable[str]], truth: Iterable[Iterable[str]]
) -> PairwiseScores:
    got, want = _pairs(found), _pairs(truth)
    return PairwiseScores(len(want), len(got), len(got & want))


@dataclass(frozen=True, slots=True)
class ClusterScores:
    """Cluster-level figures: how many people came out whole, split or mixed with others."""

    people: int  # people in the truth
    exact: int  # people whose records form exactly one found cluster, nothing else in it
    split: int  # people whose records are spread over several found clusters
    mixed: int  # found clusters holding records of more than one person


def cluster_scores(found: Iterable[Iterable[str]], truth: Iterable[Iterable[str]]) -> ClusterScores:
    people = [tuple(sorted(group)) for group in truth]
    person = {key: i for i, group in enumerate(people) for key in group}
    clusters = [tuple(sorted(group)) for group in found]
    cluster = {key: i for i, group in enumerate(clusters) for key in group}
    exact = len(set(people) & set(clusters))
    split = sum(len({cluster.get(key) for key in group}) > 1 for group in people)
    mixed = sum(len({person[k] for k in group if k in person}) > 1 for group in clusters)
    return ClusterScores(len(people), exact, split, mixed)
