"""Clustering: scored links into groups of records that are one person.

Pure domain code; no store, no I/O. **Over-merge guards.** Clusters grow by the
strongest links first, and two clusters join only when every pair across them has direct
evidence of its own (a deterministic rule, or ``MIN_DIRECT_WEIGHT``: 16 times likelier a
match, with birth dates not clearly apart) and the result stays under ``MAX_CLUSTER``
records — so A~B and B~C never merge A and C on the strength of B alone. A cluster never
holds two records of a system found to hold each person once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from identity.blocking import candidate_pairs
from identity.matching import (
    AUTO_MERGE_WEIGHT,
    REVIEW_WEIGHT,
    Link,
    is_link,
    score,
    worth_review,
)
from identity.model import Model, estimate_model
from identity.profile import Profile

MAX_CLUSTER = 50
PROGRESS_EVERY = 20_000  # candidate pairs between progress reports
MIN_DIRECT_WEIGHT = 4.0  # every pair across two joining clusters needs this much evidence


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
