"""Evaluation: resolved clusters scored against a ground truth of who is who.

Pure domain code; no store, no I/O. Pairwise precision and recall, and per person: whole,
split or mixed with others. ``ckb resolve --truth`` and the benches report these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations


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


def truth_clusters(
    rows: Iterable[Mapping[str, str]], known: set[str] | None = None
) -> list[list[str]]:
    """Ground-truth clusters of source record keys (``system:record_id``) from rows with
    source_system, source_record_id and person_id: every record of the truth, or, given
    ``known``, only those in it (a score over the loaded records alone: what the
    loader rejected would not count)."""
    people: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        key = f"{row['source_system']}:{row['source_record_id']}"
        if known is None or key in known:
            people[row["person_id"]].append(key)
    return sorted(sorted(v) for v in people.values())


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Resolved clusters scored against every record of a truth file."""

    pairs: PairwiseScores
    people: ClusterScores
    truth_records: int
    absent: int  # truth records not among the resolved: rejected at load, or never loaded
    absent_pairs: int  # true pairs with an absent record: each a missed pair


def evaluate(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> Evaluation:
    """Pairwise and per-person scores of ``found`` clusters against ``truth`` clusters
    (truth_clusters): a truth record not found is a record whose pairs were all missed."""
    known = {key for cluster in found for key in cluster}
    absent = sum(key not in known for group in truth for key in group)
    absent_pairs = sum(
        len(group) * (len(group) - 1) // 2 - (n := sum(k in known for k in group)) * (n - 1) // 2
        for group in truth
    )
    return Evaluation(
        pairwise_scores(found, truth),
        cluster_scores(found, truth),
        sum(len(group) for group in truth),
        absent,
        absent_pairs,
    )
