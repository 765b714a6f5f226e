"""Identity matching: whether two source records are the same customer, and why.

Pure domain code — profiles in, a scored link out; no store, no I/O. The parts:
identity/profile.py (a record normalised), identity/comparison.py (field levels),
identity/model.py (Fellegi-Sunter weights, estimated), identity/blocking.py (which pairs
are compared), identity/clustering.py (links into people, with the over-merge guards).

**Score.** Each pair of records is compared field by field; the pair's weight is the sum
of its levels' weights (identity/model.py).

**Households.** For records at one address the household u weighs name, birth date,
email and phone (evidence ``household: home``). Without it, agreeing on address and
landline counts once, and the same name at the same address with birth dates clearly
different (a parent and child of one name) makes the name and the home weigh nothing.

**Deterministic rules** link without scoring: the same national ID; the same email or
phone with names that do not disagree and birth dates that are not clearly different.
Generic values never take part.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from identity.comparison import DECODED, FIELDS, LEVELS, Comparer, compare
from identity.model import HOME_FIELDS, Model
from identity.profile import Profile

AUTO_MERGE_WEIGHT = 12.0  # at least 4,000 times likelier a match than not
REVIEW_WEIGHT = 6.0  # 64 times: worth a person's look


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
        # Each field's household u is fitted with the other fields' evidence
        # (fit_home_u, from the rule of thumb estimate_home_u). A household's namesakes
        # are born years apart and its twins named apart: the same name *and* birth date
        # at one address are as telling as anywhere, so agreement on one weighs as at
        # home only where the other disagrees.
        if (
            f in AGREEING
            and levels[f] in AGREEING[f]
            and levels[_PARTNER[f]] in AGREEING[_PARTNER[f]]
        ):
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


# Levels at which two records agree on a field (a slip, a nickname, a part included).
AGREEING = {
    "name": frozenset({"exact", "swapped", "close", "nickname", "similar", "partial"}),
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
        and levels["name"] in ("exact", "swapped", "close")
        and levels["address"] in ("exact", "similar")
    ):
        name = max(evidence["name"][1], 0.0)
        address = max(evidence["address"][1], 0.0)
        return "namesakes", -round(name + max([address, *shared]), 3)
    if len(shared) > 1:
        return "shared", -round(sum(shared) - max(shared), 3)
    return None


def shared_words(a: Profile, b: Profile) -> list[str]:
    """The words two records' names share."""
    return sorted(set(a.name_words) & set(b.name_words))


def score(a: Profile, b: Profile, model: Model) -> Link:
    levels = compare(a, b)
    other_given = (
        model.other_given_weight(shared_words(a, b)) if levels["name"] == "other_given" else None
    )
    total, rule, evidence = _weigh(levels, a, model, other_given)
    x, y = sorted((a.key, b.key))
    return Link(x, y, total, rule, evidence)


Evidence = dict[str, tuple[str | None, float]]


def _weigh(
    levels: Mapping[str, str | None], a: Profile, model: Model, other_given: float | None = None
) -> tuple[float, str, Evidence]:
    """A pair's weight, rule and evidence from its levels. Of the records, only the
    first's exact-agreement weights and generic email and phone count (``PairScorer``
    relies on it); ``other_given``: the name's weight at that level, which depends on the
    word the names share (``Model.other_given_weight``)."""
    evidence = {f: (lvl, round(model.weight(f, lvl, a), 3)) for f, lvl in levels.items()}
    if other_given is not None:
        evidence["name"] = ("other_given", round(other_given, 3))
    # A generic address (a dormitory, a care home, a prison: many records, many names) is
    # no household: agreeing there weighs nothing, and neither does living together.
    household = (
        (_home(levels, evidence, model) or _household(levels, evidence))
        if model.households and not model.is_generic("address", a)
        else None
    )
    if household is not None:
        evidence["household"] = household
    total = round(sum(w for _, w in evidence.values()), 3)
    rule = "probabilistic"
    generic = model.generic
    if levels["national_id"] == "exact":
        rule = "national_id"
    elif (
        levels["name"] in ("exact", "swapped", "close", "similar")
        and levels["birth_date"] != "different"
    ):
        if levels["email"] == "exact" and a.email not in generic.get("email", ()):
            rule = "email"
        elif levels["phone"] == "exact" and a.phone not in generic.get("phone", ()):
            rule = "phone"
    return total, rule, evidence


class PairScorer:
    """``score`` for many pairs among one list of profiles, by position: the same Links,
    for a fraction of the work.

    Levels come from a ``Comparer`` (each field compared once per distinct pair of
    values). A pair's weight, rule and evidence follow from its levels and, of the
    first record, only what ``_weigh`` reads of it: its exact-name weight (term
    frequency, when the names agree exactly or are swapped) and whether its email, phone
    and address are generic; and, when the names share a word under another given name,
    that word's weight (once per pair of names). A few thousand such outcomes cover
    millions of pairs: each is worked out once."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        model: Model,
        keep: float = -math.inf,
        comparer: Comparer | None = None,
    ) -> None:
        self._profiles = profiles
        self._model = model
        self._keep = keep
        self._comparer = comparer or Comparer(profiles)
        self._outcomes: dict[int, Outcome] = {}
        # other_given's weight by pair of name numbers, as a number (a multiple of 8,
        # like the exact-name weights'), and the weight each number stands for.
        self._other_given: dict[tuple[int, int], int] = {}
        self._other_given_numbers: dict[float, int] = {}
        self._other_given_weights: dict[int, float] = {}
        # A record's generic bits, and for a generic address the number of what agreeing
        # on it weighs (its share of the records), above every name number.
        addresses: dict[float, int] = {}
        self._generic = [
            bits
            + (
                _GENERIC_ADDRESS
                * addresses.setdefault(
                    round(model.generic_address_weight(p), 3), len(addresses) + 1
                )
                if bits & 4
                else 0
            )
            for bits, p in zip(map(model.generic_bits, profiles), profiles, strict=True)
        ]
        # Each record's exact-name weight, numbered (as a multiple of 8, above the
        # generic bits): a name's records share it.
        numbers: dict[float, int] = {}
        by_name: dict[int, int] = {}
        self._exact_name: list[int] = []
        for p, name in zip(profiles, self._comparer.names, strict=True):
            found = by_name.get(name)
            if found is None:
                weight = round(model.weight("name", "exact", p), 3)
                found = by_name[name] = 8 * numbers.setdefault(weight, len(numbers) + 1)
            self._exact_name.append(found)

    def weigh(
        self, firsts: list[int], seconds: list[int], codes: Sequence[int] | None = None
    ) -> list[Outcome]:
        """For each pair of positions (``firsts[k]``, ``seconds[k]``): ``score`` of its
        profiles, as (weight, rule, evidence, kept: whether it has a rule or weighs at
        least the ``keep`` given). ``codes``: the pairs' levels, when compared already
        (``Comparer.codes``). The evidence is shared by every pair of one outcome: copy it
        before changing it."""
        if codes is None:
            codes = self._comparer.codes(firsts, seconds)
        keys = [
            code + _CODES * (generic + (name if _NAME_EXACT_FIRST <= code < _NAME_SAME_END else 0))
            for code, generic, name in zip(
                codes,
                map(self._generic.__getitem__, firsts),
                map(self._exact_name.__getitem__, firsts),
                strict=True,
            )
        ]
        for at, code in enumerate(codes):
            if _OTHER_GIVEN_FIRST <= code < _OTHER_GIVEN_END:
                keys[at] += _CODES * self._other_given_number(firsts[at], seconds[at])
        # The same fill-in-what-is-missing look-up as comparison._Column.levels, written
        # out: a shared helper costs a call per new key (+7% matching CPU at 20k).
        outcomes = self._outcomes
        found = list(map(outcomes.get, keys))
        if None in found:
            for at in [at for at, outcome in enumerate(found) if outcome is None]:
                key = keys[at]
                outcome = outcomes.get(key)
                if outcome is None:
                    # Any pair of an outcome will do: what it depends on is in the key.
                    outcome = outcomes[key] = self._outcome(key % _CODES, firsts[at], key)
                found[at] = outcome
        return found  # type: ignore[return-value]

    def forget(self) -> None:
        """Drop the field comparisons kept so far (``Comparer.forget``)."""
        self._comparer.forget()
        self._other_given.clear()

    def _other_given_number(self, i: int, j: int) -> int:
        """The number of ``other_given``'s weight between the names of profiles ``i``
        and ``j``: once per pair of names."""
        names = self._comparer.names
        x, y = names[i], names[j]
        pair = (x, y) if x < y else (y, x)
        found = self._other_given.get(pair)
        if found is None:
            shared = shared_words(self._profiles[i], self._profiles[j])
            weight = round(self._model.other_given_weight(shared), 3)
            numbers = self._other_given_numbers
            found = numbers.get(weight)
            if found is None:
                found = numbers[weight] = 8 * (len(numbers) + 1)
                self._other_given_weights[found] = weight
            self._other_given[pair] = found
        return found

    def _outcome(self, code: int, i: int, key: int) -> Outcome:
        levels = dict(zip(FIELDS, DECODED[code], strict=True))
        other_given = None
        if _OTHER_GIVEN_FIRST <= code < _OTHER_GIVEN_END:
            other_given = self._other_given_weights[key // _CODES % _GENERIC_ADDRESS & ~7]
        total, rule, evidence = _weigh(levels, self._profiles[i], self._model, other_given)
        return total, rule, evidence, rule != "probabilistic" or total >= self._keep

    def link(self, i: int, j: int) -> Link:
        """``score(profiles[i], profiles[j], model)``."""
        total, rule, evidence, _ = self.weigh([i], [j])[0]
        x, y = self._profiles[i].key, self._profiles[j].key
        return Link(*((x, y) if x < y else (y, x)), total, rule, dict(evidence))


Outcome = tuple[float, str, Evidence, bool]
# The codes with the names of the same words, exact or swapped (Comparer.codes numbers the
# name level first): their weight depends on the name's frequency.
_REST = (None,) * (len(FIELDS) - 1)  # every field but the name missing
_NAME_EXACT_FIRST = DECODED.index(("exact", *_REST))
_NAME_SAME_END = DECODED.index(("close", *_REST))
if DECODED[_NAME_SAME_END - 1][0] != "swapped":
    raise ImportError("PairScorer reads exact and swapped names as neighbouring levels")
_CODES = len(DECODED)
# Above every exact-name and other-given number (multiples of 8 below it).
_GENERIC_ADDRESS = 2**40
_OTHER_GIVEN_FIRST = DECODED.index(("other_given", *_REST))
_OTHER_GIVEN_END = _OTHER_GIVEN_FIRST + len(DECODED) // len(LEVELS["name"])


MAX_NAMESAKES = 3  # records carrying a name that may still all be one person's
_CONTACT = ("email", "phone", "address")


def rare_name_weight(model: Model) -> float:
    """The exact-name weight of a name carried by at most ``MAX_NAMESAKES`` records.

    A name's weight is ``log2(m * N / c)`` for ``c`` carriers among ``N`` records; the
    chance that one other record is the same person is about ``1 / N``, so what a name
    alone says about two records depends on ``c`` only. A fixed weight threshold instead
    lets ever more namesakes through as the population grows (their pairs grow as N²)."""
    carriers = MAX_NAMESAKES + 0.5  # evidence weights are rounded; stay clear of the edge
    return math.log2(model.m["name"]["exact"] * max(model.records, 1) / carriers)


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
    same = [label for f, label in _PERSONAL_NAMES.items() if levels.get(f) == "exact"]
    if (
        "different" in (levels.get("birth_date"), levels.get("national_id"))
        # Two wholly different names sharing a birth date are two people born on one day
        # far more often than one person misnamed: thousands of such pairs in a large
        # population, each weighing a review's worth where m says names change often.
        or (same == ["birth date"] and levels.get("name") == "different")
    ):
        return None
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
    carriers = model.m["name"]["exact"] * max(model.records, 1) / 2**name_weight
    return f"rare name: {max(round(carriers), 1)} record(s) carry it"


def worth_review(link: Link, model: Model) -> bool:
    return review_reason(link, model) is not None


def is_link(link: Link) -> bool:
    return link.rule != "probabilistic" or link.weight >= AUTO_MERGE_WEIGHT


# What tells two people apart where a pair agrees on full name and birth date.
_APART_FIELDS = ("email", "phone", "national_id", "gender")


def counted_twice(link: Link | None, a: Profile, b: Profile) -> bool:
    """Whether two records (``a``, ``b``: the link's) of a system that holds each person
    once are one person all the same: the system counted them twice (a census counting
    someone at two addresses). Its links among its own records are otherwise the
    matcher's mistakes, and those differ in what this asks for: twins in their given
    names, a parent and child of one name in their birth dates, namesakes born the same day
    in an email, phone, ID or gender. So: a link agreeing exactly on the full name (a
    given and a family name on each: twins written by family name alone agree too) and
    the full birth date, nothing of those fields apart."""
    if link is None or not is_link(link) or min(len(a.name_words), len(b.name_words)) < 2:
        return False
    levels = {name: level for name, (level, _) in link.evidence.items()}
    return (
        levels.get("name") == "exact"
        and levels.get("birth_date") == "exact"
        and all(levels.get(name) != "different" for name in _APART_FIELDS)
    )
