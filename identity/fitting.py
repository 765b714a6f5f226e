"""m and the household u fitted to the data being resolved, by expectation-maximisation.

Pure domain code; no store, no I/O. identity/model.py estimates u on random pairs; here
the chances that need the matches themselves are fitted to the candidate pairs: ``m``
(the chance of each level between two records of one person, ``fit_m``) and, given m,
the household u (between two people of one address, ``fit_home_u``). Both start from
the documented or rule-of-thumb values and are drawn towards them by ``M_PRIOR_PAIRS``,
so a small or narrow data set stays near them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from identity.comparison import DECODED, FIELDS, M_PROBABILITIES
from identity.matching import AGREEING
from identity.model import (
    HOME_FIELDS,
    MIN_HOME_PAIRS,
    U_FLOOR,
    Model,
    home_levels,
    home_pairs,
)
from identity.profile import Profile

EM_ROUNDS = 30
# The documented m counts as this many matched pairs: little data stays near it, much
# data speaks for itself.
M_PRIOR_PAIRS = 20.0
_FIELD_AT = {f: i for i, f in enumerate(FIELDS)}
_AT_ONE_ADDRESS = frozenset({"exact", "similar"})
_SAME_NAME = frozenset({"exact", "swapped"})  # the same words, in any order


def fit_m(level_counts: Mapping[int, int], model: Model) -> dict[str, dict[str, float]]:
    """m estimated from the candidate pairs: ``level_counts`` counts them by their levels
    (``Comparer.codes``, spelt out by ``DECODED``).

    Expectation-maximisation of a two-class mixture (one person, or two) with ``u`` held
    at the model's estimate from random pairs, as in Splink. Blocking made the candidate
    pairs agree on something, so non-matches among them agree on it far more often than
    ``u`` says; each field's m is therefore fitted on pairs selected by *another* field,
    leaving the selecting field out (Splink's training sessions): every field but the
    birth date on pairs whose birth dates agree, the birth date on pairs whose names
    agree (the same words, in any order) — away from a shared address, where a
    household's parent and child of one name would pass for one person with two birth
    dates. Fields a session has too few pairs for stay near the documented values
    (``M_PRIOR_PAIRS``). A name m that says one person's two records more often carry two
    given names than one name came from twins, and is fitted again away from shared
    addresses."""
    m = {f: dict(levels) for f, levels in M_PROBABILITIES.items()}
    birth_at, name_at, address_at = (_FIELD_AT[f] for f in ("birth_date", "name", "address"))
    by_birth: Counter[tuple[str | None, ...]] = Counter()
    by_name: Counter[tuple[str | None, ...]] = Counter()
    by_birth_away: Counter[tuple[str | None, ...]] = Counter()
    for code, count in level_counts.items():
        levels = DECODED[code]
        if levels[birth_at] == "exact":
            by_birth[levels] += count
            if levels[address_at] not in _AT_ONE_ADDRESS:
                by_birth_away[levels] += count
        if levels[name_at] in _SAME_NAME and levels[address_at] not in _AT_ONE_ADDRESS:
            by_name[levels] += count
    others = tuple(f for f in FIELDS if f != "birth_date")
    m.update(_em_session(by_birth, others, model.u))
    name = m["name"]
    if name["exact"] < name["other_given"] + name["different"]:
        # One person's records carrying two given names more often than one name: the
        # session has learnt a household's twins (one birth date, one home, two names),
        # as where one system holds each person once and the other has no birth dates.
        # The name is fitted again away from a shared address, where no twins are.
        m["name"] = _em_session(by_birth_away, ("name",), model.u)["name"]
    m["birth_date"] = _em_session(by_name, ("birth_date",), model.u, leave_out="name")["birth_date"]
    return m


def _em_session(
    patterns: Mapping[tuple[str | None, ...], int],
    fields: Sequence[str],
    u: Mapping[str, Mapping[str, float]],
    leave_out: str = "birth_date",
) -> dict[str, dict[str, float]]:
    """EM on pairs counted by their levels (all fields, in FIELDS order): m of
    ``fields``; every field but ``leave_out`` (what selected the pairs) is evidence,
    weighed against u as estimated on random pairs. (Fitting the address's u within the
    session as well — blocking keys pair records by name or birth date and postal code —
    was measured: no better on any data set, and worse at telling a birth date's typos
    from two people.)"""
    evidence = [(i, f) for i, f in enumerate(FIELDS) if f != leave_out and f in u]
    if not sum(patterns.values()):
        return {f: dict(M_PROBABILITIES[f]) for f in fields}
    m = {f: dict(M_PROBABILITIES[f]) for _, f in evidence}
    others = {f: {level: max(p, U_FLOOR) for level, p in u[f].items()} for _, f in evidence}
    total = sum(patterns.values())
    share = 0.3  # of pairs that are one person: a start, fitted below
    for _ in range(EM_ROUNDS):
        tallies: dict[str, dict[str, float]] = {f: defaultdict(float) for _, f in evidence}
        matched = 0.0
        for levels, count in patterns.items():
            p_match = p_other = 1.0
            for i, f in evidence:
                level = levels[i]
                if level is not None:
                    p_match *= m[f][level]
                    p_other *= others[f].get(level, U_FLOOR)
            one = share * p_match
            weight = count * one / (one + (1 - share) * p_other)
            matched += weight
            for i, f in evidence:
                level = levels[i]
                if level is not None:
                    tallies[f][level] += weight
        share = min(max(matched / total, 1e-4), 1 - 1e-4)
        for _, f in evidence:
            m[f] = _smoothed(tallies[f], M_PROBABILITIES[f])
    return {f: m.get(f, dict(M_PROBABILITIES[f])) for f in fields}


def _smoothed(tally: Mapping[str, float], prior: Mapping[str, float]) -> dict[str, float]:
    """Chances from a weighted tally, drawn towards ``prior`` by ``M_PRIOR_PAIRS``."""
    seen = sum(tally.values())
    return {
        level: max((tally.get(level, 0.0) + M_PRIOR_PAIRS * p) / (seen + M_PRIOR_PAIRS), U_FLOOR)
        for level, p in prior.items()
    }


HOME_ROUNDS = 40
# A pair at one address agreeing on both name and birth date is one person: a household's
# namesakes are born apart, its twins named apart (matching.py's _home).
_NAME_AGREE, _BIRTH_AGREE = AGREEING["name"], AGREEING["birth_date"]


class HomeFit(NamedTuple):
    u_home: dict[str, dict[str, float]]
    # Pairs of two different people among the pairs at one address, as fitted (of at
    # most HOME_PAIRS); infinite when too few pairs share an address to tell.
    two_people: float
    pairs: int = 0  # pairs at one address fitted on

    @property
    def households(self) -> bool:
        """Whether the data hold households: assumed unless enough pairs at one address
        were fitted and two people are fewer than MIN_HOME_PAIRS of them or under
        ``HOUSEHOLD_SHARE`` (a data set of people living alone still shows a few, the
        mixture's own error: FEBRL 0-1.6% of its pairs at one address, data with
        households 35-85%)."""
        return self.two_people >= max(MIN_HOME_PAIRS, HOUSEHOLD_SHARE * self.pairs)


HOUSEHOLD_SHARE = 0.05


def fit_home_u(profiles: Sequence[Profile], model: Model, seed: int = 7) -> HomeFit:
    """u among different people at one address, fitted with the model's m: the pairs at
    one address are a mixture of one person's records (m) and two of a household's
    members (the household u fitted here), in a share fitted too.

    The rule-of-thumb estimate (``estimate_home_u``) takes a pair at one address whose
    birth dates differ for two people; in data whose records of one person often carry
    another birth date or given name and whose people seldom share a home (FEBRL), those
    pairs are the same person, and the household u it reads off them weighed true
    matches down as twins and siblings. Here a pair agreeing on both name and birth date
    is one person; each field's household u is read off the others weighted by the
    chance of two people given the *other* fields (a twin's shared birth date must not
    make itself likely), the birth date only where the given names plainly differ (as
    ``_home`` weighs it). Pairs missing the name or the birth date say too little to
    tell and are left out. Starts from, and falls back on, ``model.u_home``."""
    patterns: Counter[tuple[str | None, ...]] = Counter()
    for a, b in home_pairs(profiles, model.generic, seed):
        levels = home_levels(a, b)
        if levels[0] is not None and levels[1] is not None:
            patterns[levels] += 1
    total = sum(patterns.values())
    if total < MIN_HOME_PAIRS or any(f not in model.u for f in HOME_FIELDS):
        return HomeFit(model.u_home, math.inf)  # too little to tell: households assumed
    fields = list(enumerate(HOME_FIELDS))
    home = {f: dict(model.u_home.get(f) or model.u[f]) for f in HOME_FIELDS}
    share = 0.5  # of pairs at one address that are one person: a start, fitted below
    for _ in range(HOME_ROUNDS):
        tallies: dict[str, dict[str, float]] = {f: defaultdict(float) for f in HOME_FIELDS}
        matched = 0.0
        for levels, count in patterns.items():
            if levels[0] in _NAME_AGREE and levels[1] in _BIRTH_AGREE:
                matched += count
                continue
            ratios = [
                (model.m[f][level], max(home[f].get(level, U_FLOOR), U_FLOOR))
                if level is not None
                else (1.0, 1.0)
                for f, level in zip(HOME_FIELDS, levels, strict=True)
            ]
            matched += count * _one_person(share, ratios, skip=-1)
            for i, f in fields:
                level = levels[i]
                if level is None or (f == "birth_date" and levels[0] != "other_given"):
                    continue
                tallies[f][level] += count * (1 - _one_person(share, ratios, skip=i))
        share = min(max(matched / total, 1e-4), 1 - 1e-4)
        home = {f: _smoothed(tallies[f], model.u[f]) for f in HOME_FIELDS}
    names = home["name"]
    # A parent and child of one name, one of the two names with a typo, are as common at
    # home as a typo is: "close" says there what "exact" says.
    names["close"] = max(names["close"], names["exact"] * _M_NAME_CLOSE_SHARE)
    return HomeFit(home, total * (1 - share), total)


_M_NAME_CLOSE_SHARE = M_PROBABILITIES["name"]["close"] / M_PROBABILITIES["name"]["exact"]


def _one_person(share: float, ratios: Sequence[tuple[float, float]], skip: int) -> float:
    """The chance a pair at one address is one person, from the (m, household u) of its
    fields but the one at ``skip``."""
    one = other = 1.0
    for i, (m, u) in enumerate(ratios):
        if i != skip:
            one *= m
            other *= u
    one *= share
    return one / (one + (1 - share) * other)
