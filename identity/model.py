"""The Fellegi-Sunter model: what each comparison level weighs, estimated from the data.

Pure domain code; no store, no I/O (identity/model_store.py keeps the estimate).

A level carries a match weight ``log2(m / u)``: ``m`` is the chance of that level when
the records are the same customer, ``u`` the chance when they are not — both *estimated
from the data being resolved*: ``u`` on random record pairs, ``m`` by expectation-
maximisation on the candidate pairs (identity/fitting.py), starting from, and drawn
towards, the documented values of identity/comparison.py.
Missing fields weigh nothing. Exact names are term-frequency adjusted: ``u`` is the share
of records carrying that very name, so agreeing on a rare surname is strong evidence and
agreeing on 王伟 or John Smith is weak. So is another given name under a shared word
(``other_given``): sharing Berryman tells more than sharing Smith (:meth:`Model.
shared_word_bits`).

**Households.** Different people at one address share a family name, a landline and
sometimes a birth date (twins) far more often than random pairs: a second u, estimated
among them (``u_home``), weighs those fields for records at one address.

**Generic values.** A value held by records of more than ``GENERIC_NAMES`` different
names, or by more than ``MAX_SHARED`` records (a call-center number, a shop address, a
family email), is *generic*: it is left out of blocking and of the deterministic rules.
Agreeing on a generic email or phone weighs nothing. A generic address is also where many
people live (a dormitory, a care home, barracks): agreeing on it weighs by its own share
of the records (term frequency, ``address_shares``), as a common name's does.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from identity.comparison import (
    FIELDS,
    M_PROBABILITIES,
    birth_level,
    compare,
    name_level,
)
from identity.profile import Profile
from identity.slips import email_level, typo_level

GENERIC_NAMES = 3
MAX_SHARED = 20
U_FLOOR = 1e-6
RANDOM_PAIRS = 60_000
# Most a shared name word's rarity adds to ``other_given``, in bits: the model keeps the
# share of each word common enough to weigh less (a few thousand at most, whatever the
# number of records), and every rarer word weighs this.
SHARED_WORD_BITS = 2.0


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
    # m: P(level | one person). The documented values until fitted to the data (fit_m).
    m: dict[str, dict[str, float]] = field(
        default_factory=lambda: {f: dict(levels) for f, levels in M_PROBABILITIES.items()}
    )
    m_fitted: bool = False
    # Whether the data hold households at all: two different people at one address (a
    # fit found too few: matching weighs no household correction and lets a birth date
    # differ within a cluster, see identity/fitting.py fit_home_u). Assumed until fitted.
    households: bool = True
    # Share of records whose name holds the word, for the words common enough that their
    # rarity adds less than SHARED_WORD_BITS (see shared_word_bits), and the share of the
    # word two random records' names share, on average: sum(f^2) / sum(f).
    word_share: dict[str, float] = field(default_factory=dict)
    shared_word_share: float = 0.0
    # Which stored model this is (identity/model_store.py): 0 for one not stored yet.
    version: int = 0
    # Share of the records at each generic address, by ``address_term``: what agreeing on
    # it weighs (generic_address_weight). Stored hashed: a model holds no address.
    address_shares: dict[str, float] = field(default_factory=dict)
    # log2(m / u) per (field, level): scoring asks for the same few dozen weights hundreds
    # of thousands of times. u does not change once a model is estimated or loaded.
    _weights: dict[tuple[str, str], float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def fit(self, m: Mapping[str, Mapping[str, float]]) -> None:
        """Take m fitted to the data (``fit_m``); a level it lacks (stored before the level
        was) keeps its documented value."""
        self.m = {f: {**levels, **m.get(f, {})} for f, levels in M_PROBABILITIES.items()}
        self.m_fitted = True
        self._weights.clear()

    def shared_word_bits(self, shared: Sequence[str]) -> float:
        """What the name words two names share (``other_given``: one shared, the other
        plainly another name) add to the level's weight: ``log2(sum f^2 / sum f / f_w)``
        for the rarest shared word ``w``, the share of records whose name holds ``w``
        against the average share of a word two random records share. Among random pairs
        a shared word is ``w`` as often as ``f_w^2`` says; among one person's records as
        often as ``f_w``. Rare family names add (at most ``SHARED_WORD_BITS``), common
        ones take away."""
        if not shared or not self.shared_word_share:
            return 0.0
        rarest = min(self.word_share.get(w, 0.0) for w in shared)
        if rarest <= 0.0:
            return SHARED_WORD_BITS  # not kept: rarer than the kept words
        return min(math.log2(self.shared_word_share / rarest), SHARED_WORD_BITS)

    def other_given_weight(self, shared: Sequence[str]) -> float:
        """The weight of ``other_given`` between names sharing the words ``shared``."""
        weight = self._fs_weight("name", "other_given") + self.shared_word_bits(shared)
        if self.households:
            # A family name shared, the given name another: relatives at most, never more
            # alike than wholly different names (where few share a family name, u is tiny
            # and the ratio alone would count it as agreement). Where the data hold no
            # households, a given name written as another's is one person's as often as
            # the fitted m says: the shared family name counts.
            weight = min(weight, self._level_weight("name", "different"))
        return weight

    def home_weight(self, field_name: str, level: str | None) -> float | None:
        """A level's weight between records at one address, where the other record is
        the same person or someone of the household (None: no estimate for it)."""
        u = self.u_home.get(field_name, {}).get(level or "")
        if u is None or level is None:
            return None
        return math.log2(self.m[field_name][level] / max(u, U_FLOOR))

    def weight(self, field_name: str, level: str | None, a: Profile) -> float:
        if level is None:
            return 0.0
        if (
            level in _AGREEING_ON_A_VALUE
            and field_name in _GENERIC_FIELDS
            and self.is_generic(field_name, a)
        ):
            # A shop's number, or the number mistyped (close), says nothing of the person.
            return self.generic_address_weight(a) if field_name == "address" else 0.0
        if field_name == "name":
            if level == "swapped" and "swapped" not in self.u.get("name", {}):
                # A model stored before names had the level weighed them as the same.
                return self.weight(field_name, "exact", a)
            u = self.name_u(level, a)
            if u is not None:
                return math.log2(self.m[field_name][level] / u)
        return self._level_weight(field_name, level)

    def generic_address_weight(self, a: Profile) -> float:
        """What agreeing on ``a``'s generic address weighs: ``log2(m / share)`` for the
        share of the records at it (between random records the same address is that
        likely), never more than an ordinary address's agreement nor less than nothing.
        Two records of one name in a hall of 125 residents among 20,000 records: +7 bits;
        a shop's address on a third of the records: +1."""
        share = self.address_shares.get(address_term(a) or "")
        if not share:
            return 0.0
        fitted = math.log2(self.m["address"]["exact"] / share)
        return max(min(fitted, self._level_weight("address", "exact")), 0.0)

    def name_u(self, level: str, a: Profile) -> float | None:
        """The term-frequency u of an exact or swapped name: the share of records
        carrying ``a``'s name (swapped: times how much rarer random pairs carry one name
        in two orders than in one); None for another level, or no name."""
        if not a.name_key or level not in ("exact", "swapped"):
            return None
        share = self.name_share.get(a.name_key, U_FLOOR)
        if level == "swapped":
            names = self.u.get("name", {})
            if not names.get("exact") or "swapped" not in names:
                return None
            share *= names["swapped"] / names["exact"]
        return max(share, U_FLOOR)

    def _fs_weight(self, field_name: str, level: str) -> float:
        """``log2(m / u)`` of a level; 0 for a level the stored model has no estimate for
        (it predates the level): no evidence until the next ``ckb resolve`` estimates one."""
        u = self.u.get(field_name, {}).get(level)
        if u is None:
            return 0.0
        return math.log2(self.m[field_name][level] / max(u, U_FLOOR))

    def _level_weight(self, field_name: str, level: str) -> float:
        found = self._weights.get((field_name, level))
        if found is None:
            if field_name == "name" and level == "other_given":
                found = self.other_given_weight(())  # no shared word known: no rarity
            else:
                found = self._fs_weight(field_name, level)
            self._weights[(field_name, level)] = found
        return found

    def generic_bits(self, a: Profile) -> int:
        """Whether a record's email (1), phone (2) and address (4) are generic, as bits:
        ``is_generic`` of each, at the cost of a few set look-ups."""
        if not self.generic and not self.address_shares:
            return 0
        generic = self.generic
        email, phone = a.email, a.phone
        bits = 1 if email is not None and email in generic.get("email", ()) else 0
        if phone is not None and phone in generic.get("phone", ()):
            bits |= 2
        if a.address and self.is_generic("address", a):
            bits |= 4
        return bits

    def is_generic(self, field_name: str, a: Profile) -> bool:
        """Whether a record's email, phone or address (``field_name``) is generic. A stored
        model knows its generic addresses by their shares (``address_shares``)."""
        value = _identifiers(a)[field_name]
        if value is None:
            return False
        found = self.generic.get(field_name)
        if found is not None:  # a batch run's own (the shares are made from them)
            return value in found
        shares = self.address_shares
        return field_name == "address" and bool(shares) and address_term(a) in shares


def _address_key(p: Profile) -> str | None:
    return f"{p.postal or ''}|{' '.join(p.address)}" if p.address else None


def address_term(p: Profile) -> str | None:
    """A record's address (postal code and words) as a hash: how a model keeps it."""
    key = _address_key(p)
    return _hashed(key) if key else None


def _hashed(address_key: str) -> str:
    return hashlib.blake2b(address_key.encode(), digest_size=8).hexdigest()


def address_shares(
    profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]]
) -> dict[str, float]:
    """The share of ``profiles`` at each generic address, by ``address_term``."""
    addresses = generic.get("address")
    if not addresses or not profiles:
        return {}
    counts = Counter(k for k in map(_address_key, profiles) if k in addresses)
    return {_hashed(k): c / len(profiles) for k, c in counts.items()}


_GENERIC_FIELDS = frozenset({"email", "phone", "address"})  # fields a value can be generic in
_AGREEING_ON_A_VALUE = frozenset({"exact", "close"})  # where a generic value counts for little


def _identifiers(p: Profile) -> dict[str, str | None]:
    return {"email": p.email, "phone": p.phone, "address": _address_key(p)}


def find_generic(profiles: Sequence[Profile]) -> dict[str, frozenset[str]]:
    """Identifier values shared by too many records or too many different names."""
    generic: dict[str, frozenset[str]] = {}
    for field_name, values in (
        ("email", [p.email for p in profiles]),
        ("phone", [p.phone for p in profiles]),
        ("address", [_address_key(p) for p in profiles]),
    ):
        # A household shares an address: only many names, or very many records, make an
        # address generic; an email or phone is personal, so a few names suffice.
        limit = GENERIC_NAMES * 3 if field_name == "address" else GENERIC_NAMES
        counts = Counter(filter(None, values))
        found = {v for v, n in counts.items() if n > MAX_SHARED}
        # More names than records is impossible: only values this common are asked for
        # their names.
        asked = {v for v, n in counts.items() if limit < n <= MAX_SHARED}
        if asked:
            names: dict[str, set[str]] = defaultdict(set)
            for p, value in zip(profiles, values, strict=True):
                if value in asked:
                    names[value].add(p.name_key or "")
            found.update(v for v, carriers in names.items() if len(carriers) > limit)
        if found:
            generic[field_name] = frozenset(found)
    return generic


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
    model = Model(u, share, generic, n, estimate_home_u(profiles, generic, seed))
    model.word_share, model.shared_word_share = word_shares(profiles)
    model.address_shares = address_shares(profiles, generic)
    return model


def word_shares(profiles: Sequence[Profile]) -> tuple[dict[str, float], float]:
    """``Model.word_share`` and ``Model.shared_word_share`` of these records."""
    n = len(profiles)
    if not n:
        return {}, 0.0
    counts = Counter(w for p in profiles for w in set(p.name_words))
    # sum(f^2) / sum(f) with f = c / n, in integers: a float sum's last digit depends on
    # the order of the words, which is the order of a set of strings and so changes with
    # the process's hash seed; the model's digest would then call an unchanged model new.
    total = sum(counts.values())
    shared = sum(c * c for c in counts.values()) / (n * total) if total else 0.0
    # Rarer words than this all add SHARED_WORD_BITS: they need not be kept.
    least = shared / 2**SHARED_WORD_BITS
    return {w: c / n for w, c in counts.items() if c / n > least}, shared


MIN_HOME_PAIRS = 20  # fewer pairs of one kind than this: no household estimate for a field
HOME_PAIRS = 10_000  # pairs at one address to estimate from, at most (a random sample)
# Fields whose chance of agreeing changes when two different people share a home.
HOME_FIELDS = ("name", "birth_date", "email", "phone")


def home_pairs(
    profiles: Sequence[Profile], generic: Mapping[str, frozenset[str]], seed: int = 7
) -> list[tuple[Profile, Profile]]:
    """Pairs of records at one (not generic) address, at most ``HOME_PAIRS`` of them."""
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
    return pairs


def home_levels(a: Profile, b: Profile) -> tuple[str | None, ...]:
    """The levels of ``HOME_FIELDS`` between two records."""
    return (
        name_level(a, b),
        birth_level(a, b),
        email_level(a.email, b.email),
        typo_level(a.phone, b.phone),
    )


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
    tallies: dict[str, Counter[str]] = {f: Counter() for f in HOME_FIELDS}
    for a, b in home_pairs(profiles, generic, seed):
        pair = dict(zip(HOME_FIELDS, home_levels(a, b), strict=True))
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
