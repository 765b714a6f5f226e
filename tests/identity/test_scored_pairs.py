"""ScoredPairs: every scored pair of records answers as its Link would, whether the Link
was kept (a rule, or weight at least KEEP_WEIGHT) or only its weight (scored again on
demand) — resolve's memory saving must not change an answer."""

from __future__ import annotations

import itertools

import pytest

from identity.clustering import KEEP_WEIGHT, ScoredPairs
from identity.matching import score
from identity.model import estimate_model
from identity.profile import Profile, profile
from tests.support.identity_fixtures import TODAY

PEOPLE = [
    ("crm:1", {"name": "Ann Lee", "email": "ann@example.com", "birth_date": "1980-02-03"}),
    ("web:1", {"name": "Ann Lee", "email": "ann@example.com", "postal_code": "10115"}),
    ("shop:1", {"name": "Anne Lee", "birth_date": "1980-02-03", "postal_code": "10115"}),
    ("crm:2", {"name": "Bob Stone", "phone": "+4930123456", "birth_date": "1975-07-01"}),
    ("web:2", {"name": "Robert Stone", "phone": "+4930123456"}),
    ("crm:3", {"name": "Cy Young", "postal_code": "20095", "birth_date": "1990-12-24"}),
    ("web:3", {"name": "Dee Park", "email": "dee@example.org"}),
]


def _profiles() -> list[Profile]:
    return [profile(key, props, TODAY) for key, props in PEOPLE]


def test_every_pair_answers_as_its_link_kept_or_not() -> None:
    profiles = _profiles()
    model = estimate_model(profiles)
    pairs = ScoredPairs(profiles, model)
    everything = list(itertools.combinations(range(len(profiles)), 2))
    # Blocking's pairs come sorted; a pair found later (direct evidence) comes after.
    for i, j in everything[:-3]:
        pairs.score(i, j)
    for i, j in reversed(everything[-3:]):
        pairs.score(j, i)
    expected = {
        (profiles[i].key, profiles[j].key): score(profiles[i], profiles[j], model)
        for i, j in everything
    }
    assert len(pairs) == len(everything)
    for (a, b), link in expected.items():
        assert pairs[(a, b)] == link
        assert pairs.get((b, a)) == link
    kept = {(link.a, link.b) for link in pairs.kept()}
    should_keep = {
        (link.a, link.b)
        for link in expected.values()
        if link.rule != "probabilistic" or link.weight >= KEEP_WEIGHT
    }
    assert kept == should_keep
    assert kept != {(link.a, link.b) for link in expected.values()}  # some were not kept
    weighed = {frozenset((a, b)): weight for a, b, weight in pairs.weighed()}
    assert weighed == {frozenset(pair): link.weight for pair, link in expected.items()}


def test_a_pair_is_scored_once_and_between_scores_a_new_one() -> None:
    profiles = _profiles()
    pairs = ScoredPairs(profiles, estimate_model(profiles))
    pairs.score(0, 1)
    with pytest.raises(ValueError, match="scored already"):
        pairs.score(1, 0)
    fresh = pairs.between("crm:2", "web:2")
    assert fresh is not None
    assert ("crm:2", "web:2") in pairs
    assert ("crm:3", "web:3") not in pairs
