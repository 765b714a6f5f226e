"""Clustering: scored links into groups of records that are one person.

Pure domain code; no store, no I/O. **Over-merge guards.** Clusters grow by the
strongest links first, and two clusters join only when every pair across them has direct
evidence of its own (a deterministic rule, or ``MIN_DIRECT_WEIGHT``: 16 times likelier a
match, with birth dates not clearly apart) and the result stays under ``MAX_CLUSTER``
records — so A~B and B~C never merge A and C on the strength of B alone. A cluster never
holds two records of a system found to hold each person once, unless the system counted
that person twice (``counted_twice``).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import floordiv, itemgetter, lt, mod

from identity.blocking import candidate_codes
from identity.comparison import Comparer
from identity.fitting import fit_home_u, fit_m
from identity.matching import (
    AUTO_MERGE_WEIGHT,
    REVIEW_WEIGHT,
    Link,
    PairScorer,
    counted_twice,
    is_link,
    worth_review,
)
from identity.model import Model, estimate_model
from identity.parallel import chunked
from identity.profile import Profile

MAX_CLUSTER = 50
PROGRESS_EVERY = 20_000  # candidate pairs between progress reports
MIN_DIRECT_WEIGHT = 4.0  # every pair across two joining clusters needs this much evidence
# ... where the data hold households; where they hold none, no pair across may weigh
# against (a parent and child of one name, the chaining this guards against, are absent,
# and one person's records corrupted apart often share little but the person) more than
# the joining link weighs above AUTO_MERGE_WEIGHT (apart_floor).
MIN_DIRECT_WEIGHT_APART = 0.0
SOLE_MARGIN = 6.0  # the next candidate at least this much weaker (64 times less likely)
SOLE_WEIGHT = 11.0
# The least weight at which clustering reads a probabilistic pair's evidence (direct
# evidence, review), or a weight can decide a sole candidate (as the runner-up): a pair
# weighing less keeps only its weight (ScoredPairs).
KEEP_WEIGHT = min(MIN_DIRECT_WEIGHT, REVIEW_WEIGHT, SOLE_WEIGHT - SOLE_MARGIN)


class ScoredPairs(Mapping[tuple[str, str], Link]):
    """Every scored pair of records, in the order scored, as a mapping (a, b) -> Link.

    Blocking makes several candidate pairs for each true match, and most score low (20k
    customers: 266k pairs, three in four below ``KEEP_WEIGHT``). A Link with its
    per-field evidence costs about 1 KB, and holding one for every pair made the peak
    memory of ``ckb resolve`` grow with the pairs compared. So a pair keeps its Link
    only when it has a rule or weighs at least ``KEEP_WEIGHT``; any other keeps its
    weight in two arrays (16 bytes), and its Link, if ever asked for, is scored again:
    scoring is a pure function of the two profiles and the model."""

    def __init__(
        self, profiles: Sequence[Profile], model: Model, comparer: Comparer | None = None
    ) -> None:
        self._profiles = profiles
        self._position_of = {p.key: i for i, p in enumerate(profiles)}
        # A pair of profile positions (i, j), in the order they were scored, as i * n + j.
        self._codes = array("q")
        self._weights = array("d")
        self._ascending = 0  # the leading codes in ascending order: found by bisection
        self._later: dict[int, int] = {}  # code -> index, for the codes after those
        self._kept: dict[int, Link] = {}
        self._scorer = PairScorer(profiles, model, KEEP_WEIGHT, comparer)

    def score(self, i: int, j: int) -> Link:
        """Score the profiles at positions ``i`` and ``j`` (a pair not scored before)."""
        code = i * len(self._profiles) + j
        if (
            i < j
            and self._ascending == len(self._codes)
            and (not self._codes or code > self._codes[-1])
        ):
            self._ascending += 1  # blocking's pairs, in order: no look-up needed
        elif self._index(i, j) is not None:
            raise ValueError(f"pair ({i}, {j}) is scored already")
        else:
            self._later[code] = len(self._codes)
        link = self._scorer.link(i, j)
        self._codes.append(code)
        self._weights.append(link.weight)
        if link.rule != "probabilistic" or link.weight >= KEEP_WEIGHT:
            self._kept[code] = link
        return link

    def score_ascending(self, codes: Sequence[int], levels: Sequence[int] | None = None) -> None:
        """Score blocking's pairs, each as ``i * n + j`` with ``i < j``, the codes in
        ascending order and above every code scored so far (as ``score`` one by one,
        without building a Link for a pair that does not keep one). ``levels``: the
        pairs' levels, when compared already (``Comparer.codes``)."""
        if not codes:
            return
        n = len(self._profiles)
        firsts = list(map(floordiv, codes, repeat(n)))
        seconds = list(map(mod, codes, repeat(n)))
        if (
            self._ascending != len(self._codes)
            or (self._codes and codes[0] <= self._codes[-1])
            or not all(map(lt, codes[:-1], codes[1:]))
            or not all(map(lt, firsts, seconds))
        ):
            raise ValueError("pairs out of blocking's order, or scored already")
        outcomes = self._scorer.weigh(firsts, seconds, levels)
        profiles, kept = self._profiles, self._kept
        for at in compress(range(len(codes)), map(itemgetter(3), outcomes)):
            total, rule, evidence, _ = outcomes[at]
            x, y = profiles[firsts[at]].key, profiles[seconds[at]].key
            kept[codes[at]] = Link(*((x, y) if x < y else (y, x)), total, rule, dict(evidence))
        self._codes.extend(codes)
        self._weights.extend(map(itemgetter(0), outcomes))
        self._ascending += len(codes)

    def scored(self) -> None:
        """Blocking's pairs are all scored: the comparisons kept to score them (a few
        hundred MB at 100k customers) go; a pair asked for later is compared again."""
        self._scorer.forget()

    def between(self, a: str, b: str) -> Link | None:
        """The Link of two records, scored (and kept as above) if it was not yet; None
        for a pair scored before and not kept (no rule, under ``KEEP_WEIGHT``)."""
        i, j = self._position_of[a], self._position_of[b]
        index = self._index(i, j)
        if index is None:
            return self.score(i, j)
        return self._kept.get(self._codes[index])

    def weight(self, a: str, b: str) -> float:
        """The weight of two records' pair, scored if it was not yet."""
        i, j = self._position_of[a], self._position_of[b]
        index = self._index(i, j)
        return self.score(i, j).weight if index is None else self._weights[index]

    def kept(self) -> Iterator[Link]:
        """The pairs that keep their Link: every one with a rule or ``KEEP_WEIGHT``."""
        return iter(self._kept.values())

    def weighed(self) -> Iterator[tuple[str, str, float]]:
        """Every pair as (a, b, weight), in the order scored, without building Links;
        a and b in either order."""
        profiles, n = self._profiles, len(self._profiles)
        for code, weight in zip(self._codes, self._weights, strict=True):
            i, j = divmod(code, n)
            yield profiles[i].key, profiles[j].key, weight

    def _keys(self, code: int, n: int) -> tuple[str, str]:
        i, j = divmod(code, n)
        x, y = self._profiles[i].key, self._profiles[j].key
        return (x, y) if x < y else (y, x)

    def _index(self, i: int, j: int) -> int | None:
        n = len(self._profiles)
        low, high = min(i, j) * n + max(i, j), max(i, j) * n + min(i, j)
        # Ascending codes come from blocking's sorted pairs, each with i < j.
        at = bisect_left(self._codes, low, 0, self._ascending)
        if at < self._ascending and self._codes[at] == low:
            return at
        return self._later.get(low, self._later.get(high))

    def _link(self, code: int) -> Link:
        kept = self._kept.get(code)
        if kept is not None:
            return kept
        return self._scorer.link(*divmod(code, len(self._profiles)))

    def _found(self, key: object) -> int | None:
        if not isinstance(key, tuple) or len(key) != 2:
            return None
        i, j = (self._position_of.get(k) for k in key)
        return None if i is None or j is None else self._index(i, j)

    def __getitem__(self, key: tuple[str, str]) -> Link:
        index = self._found(key)
        if index is None:
            raise KeyError(key)
        return self._link(self._codes[index])

    def __contains__(self, key: object) -> bool:
        return self._found(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        n = len(self._profiles)
        return (self._keys(code, n) for code in self._codes)

    def __len__(self) -> int:
        return len(self._codes)


@dataclass
class Resolution:
    clusters: list[list[str]]  # source record keys, each cluster sorted, clusters sorted
    links: ScoredPairs  # every scored candidate pair
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
    them; None: found from the data (one_record_systems). A model whose m was not fitted
    to data yet (``Model.m_fitted``) is fitted to the candidate pairs first (``fit_m``)."""
    model = model or estimate_model(profiles)
    forbidden = {tuple(sorted(pair)) for pair in cannot_link}
    # The pairs as i * n + j in one array, in order: as a set of tuples they weigh about
    # 100 bytes each (2.5M pairs at 100k customers), and scoring them fills memory.
    pairs, skipped_blocks = candidate_codes(profiles, model.generic)
    # Compared first (each pair's levels as one number, 2 bytes), weighed once m is known.
    comparer = Comparer(profiles)
    levels = _levels(comparer, pairs, len(profiles), compared)
    if not model.m_fitted:
        _fit(model, profiles, levels)
        if not model.households:
            # Without households a name word shared in a postal code, and a house in any
            # postal code, are worth comparing too (blocking_keys); its pairs are a
            # superset of those fitted on.
            pairs, skipped_blocks = candidate_codes(profiles, model.generic, households=False)
            levels = _levels(comparer, pairs, len(profiles), None)
    links = ScoredPairs(profiles, model, comparer)
    for done in range(0, len(pairs), PROGRESS_EVERY):
        links.score_ascending(
            pairs[done : done + PROGRESS_EVERY], levels[done : done + PROGRESS_EVERY]
        )
    links.scored()
    del pairs, levels
    by_key = {p.key: p for p in profiles}
    parent = {p.key: p.key for p in profiles}
    members = {p.key: [p.key] for p in profiles}
    single = (
        frozenset(one_record)
        if one_record is not None
        else one_record_systems(links.kept(), {p.key: p.system for p in profiles})
    )
    # Per cluster, its records' systems among those holding each person once.
    held = {p.key: frozenset({p.system}) & single for p in profiles}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    direct_evidence = _PairEvidence(links, model.households)

    refused: list[Link] = []

    def twice(left: list[str], right: list[str], systems: frozenset[str | None]) -> bool:
        """Whether every pair across of one of these systems was counted twice."""
        return all(
            counted_twice(links.between(min(x, y), max(x, y)), by_key[x], by_key[y])
            for x in left
            if by_key[x].system in systems
            for y in right
            if by_key[y].system == by_key[x].system
        )

    def join(link: Link) -> bool:
        ra, rb = find(link.a), find(link.b)
        if ra == rb:
            return True
        left, right = members[ra], members[rb]
        floor = apart_floor(link)
        both = held[ra] & held[rb]
        if len(left) == len(right) == 1:
            # Two records alone: the one pair across is the link's (asked as below).
            if (both and not counted_twice(link, by_key[link.a], by_key[link.b])) or not (
                (not forbidden or (min(link.a, link.b), max(link.a, link.b)) not in forbidden)
                and _direct_evidence(link, model.households)
            ):
                return False
        elif (
            len(left) + len(right) > MAX_CLUSTER
            or (both and not twice(left, right, both))
            or not all(
                # Pair by pair, in this order: a pair never scored is scored when asked.
                (not forbidden or (min(x, y), max(x, y)) not in forbidden)
                and direct_evidence(x, y, floor)
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
        (lk for lk in links.kept() if is_link(lk)),
        key=lambda lk: (lk.rule == "probabilistic", -lk.weight, lk.a, lk.b),
    )
    for link in strong:
        if not join(link):
            refused.append(link)
    if single:
        for link in sole_candidates(links.kept(), by_key, single, model):
            if find(link.a) != find(link.b):
                join(link)
    clusters = sorted(sorted(group) for group in members.values())
    review = sorted(
        (
            lk
            for lk in links.kept()
            if lk.weight >= REVIEW_WEIGHT
            and find(lk.a) != find(lk.b)
            and (lk.a, lk.b) not in forbidden
            and worth_review(lk, model)
        ),
        key=lambda lk: (-lk.weight, lk.a, lk.b),
    )
    return Resolution(clusters, links, review, refused, skipped_blocks, single)


class _PairEvidence:
    """Whether two records have enough evidence between them alone to share a cluster: a
    deterministic rule, or MIN_DIRECT_WEIGHT (where the data hold no households: the
    ``floor`` the joining link allows, apart_floor). Remembered once asked: a join
    refused is often asked again (the next link between the same two clusters)."""

    def __init__(self, links: ScoredPairs, households: bool) -> None:
        self._links = links
        self._households = households
        # The answer, or (no households, no rule) the pair's weight.
        self._known: dict[tuple[str, str], bool | float] = {}

    def __call__(self, x: str, y: str, floor: float) -> bool:
        pair = (x, y) if x < y else (y, x)
        found = self._known.get(pair)
        if found is None:
            link = self._links.between(*pair)
            if self._households or (link is not None and link.rule != "probabilistic"):
                found = _direct_evidence(link, self._households)
            else:
                found = self._links.weight(*pair)
            self._known[pair] = found
        if isinstance(found, bool):
            return found
        return found >= floor


def _fit(model: Model, profiles: Sequence[Profile], levels: Sequence[int]) -> None:
    """Fit m to the candidate pairs' ``levels``, then the household u with that m."""
    model.fit(fit_m(Counter(levels), model))
    home = fit_home_u(profiles, model)
    model.u_home, model.households = home.u_home, home.households


def _levels(
    comparer: Comparer,
    pairs: Sequence[int],
    n: int,
    compared: Callable[[int, int], None] | None,
) -> array[int]:
    """Each candidate pair's levels (``Comparer.codes``), in the pairs' order; from
    ``PARALLEL_LEAST`` pairs on (20k customers and more), chunks shared with forked
    processes (identity/parallel.py)."""

    def chunk_levels(start: int, stop: int) -> array[int]:
        chunk = pairs[start:stop]
        firsts, seconds = list(map(floordiv, chunk, repeat(n))), list(map(mod, chunk, repeat(n)))
        return array("H", comparer.codes(firsts, seconds))

    total = len(pairs)
    if compared is not None:
        compared(0, total)
    done = None if compared is None else lambda stop: compared(stop, total)
    levels = array("H")
    for part in chunked(chunk_levels, total, PROGRESS_EVERY, done):
        levels.extend(part)
    return levels


def apart_floor(link: Link) -> float:
    """Where the data hold no households: the least weight each pair across two clusters
    may have for ``link`` to join them. The link's evidence less the strongest evidence
    against across must still reach ``AUTO_MERGE_WEIGHT``; and at most
    ``MIN_DIRECT_WEIGHT_APART`` (nothing against, for a link just strong enough)."""
    if link.rule != "probabilistic":
        return MIN_DIRECT_WEIGHT_APART
    return min(MIN_DIRECT_WEIGHT_APART, AUTO_MERGE_WEIGHT - link.weight)


def _direct_evidence(link: Link | None, households: bool = True) -> bool:
    if link is None:
        return False  # no rule, under KEEP_WEIGHT: under MIN_DIRECT_WEIGHT too
    if link.rule != "probabilistic":
        return True
    # Where people share homes, birth dates clearly apart say two people, whatever else a
    # household shares (a parent and child of one name): such a pair never ends up in
    # one cluster through others. Where the data hold no households (Model.households),
    # a birth date is one more field, weighed by how often it differs for one person.
    return link.weight >= MIN_DIRECT_WEIGHT and (
        not households or link.evidence["birth_date"][0] != "different"
    )


def sole_candidates(
    links: Iterable[Link], by_key: Mapping[str, Profile], single: frozenset[str], model: Model
) -> list[Link]:
    """Possible matches that two systems holding each person once make certain.

    Between two such systems a record has at most one counterpart. A pair worth a
    person's look (no conflict, agreement beyond chance) whose records are each other's
    strongest candidate in the other system — nothing else there comes close — is that
    counterpart. Strongest first. ``links`` may leave out links weighing less than
    ``SOLE_WEIGHT - SOLE_MARGIN`` without a rule: such a runner-up is never close."""
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
