"""Resolve's fast paths answer as the plain functions do: ``Comparer`` as ``compare``,
``PairScorer`` as ``score``, ``candidate_codes`` as ``candidate_pairs`` and
``ScoredPairs.score_ascending`` as ``ScoredPairs.score`` pair by pair — on records drawn
from small pools of values, so that values repeat (the caches are hit), some agree
partly (nicknames, typos, swapped dates) and some are generic."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity.blocking import candidate_codes, candidate_pairs
from identity.clustering import ScoredPairs, resolve
from identity.comparison import Comparer, compare, whole_name_level
from identity.matching import PairScorer, score
from identity.model import estimate_model
from identity.names import name_tokens, spelling
from identity.profile import Profile, profile
from tests.support.identity_fixtures import TODAY

NAMES = [
    "Ann Lee", "Anne Lee", "Lee Ann", "Ann Li", "Kelsy Berryman", "Phoebe Berryman", "Bill Stone", "William Stone", "Will Stone",
    "Wiliam Stone", "James Stone", "John Stone", "Jon Stone", "Mr Stone", "王伟", "Wang Wei",
    "Wei Wang", "Wangwei", "Giulia", "Giulia Jackson", "Gijulia Jackson", "Unknown",
    "Paul Man Of The House", "Bec Taylor", "Rebecca Taykor", "Draren Bguyen", "Darren Nguyen",
]  # fmt: skip
BIRTHS = ["1980-02-03", "1980-03-02", "1980-02-04", "1981-02-03", "1908-02-03", "1975-07-01",
          "1981-03-02", "1980-12-05", "1955-11-92", "03/02/1980", ""]  # fmt: skip
EMAILS = ["ann@example.com", "ANN@example.com", "ann@exmaple.com", "bill@example.com",
          "info@shop.com", "", "n/a"]  # fmt: skip
PHONES = ["+4930123456", "+4930123457", "+4930123465", "030 123456", "", "0000000"]
GENDERS = ["female", "male", "other", "unknown", ""]
ADDRESSES = [
    "5 Elm Street",
    "5 Elm St",
    "Elm Street 5",
    "7 Elm Street",
    "1 Oak Lane",
    "5 Quay Road",
    "",
]
POSTALS = ["10115", "10117", "", "XXXX"]
IDS = ["AB123", "AB124", "", "000000"]
SYSTEMS = ["crm", "web", "shop"]


def _record() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES),
            "birth_date": st.sampled_from(BIRTHS),
            "email": st.sampled_from(EMAILS),
            "phone": st.sampled_from(PHONES),
            "address": st.sampled_from(ADDRESSES),
            "postal_code": st.sampled_from(POSTALS),
            "national_id": st.sampled_from(IDS),
            "gender": st.sampled_from(GENDERS),
            "source_system": st.sampled_from(SYSTEMS),
            "country": st.just("DE"),
        }
    )


def _profiles(records: list[dict[str, Any]]) -> list[Profile]:
    return [profile(f"{r['source_system']}:{n}", r, TODAY) for n, r in enumerate(records)]


RECORDS = st.lists(_record(), min_size=2, max_size=24)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(RECORDS)
def test_comparer_levels_are_compare_levels(records: list[dict[str, Any]]) -> None:
    profiles = _profiles(records)
    comparer = Comparer(profiles)
    for i, j in itertools.permutations(range(len(profiles)), 2):
        assert comparer.levels(i, j) == tuple(compare(profiles[i], profiles[j]).values())


@SETTINGS
@given(RECORDS, st.booleans())
def test_pair_scorer_links_are_score_links(records: list[dict[str, Any]], homes: bool) -> None:
    profiles = _profiles(records)
    model = estimate_model(profiles)
    # Without households another given name weighs by its shared word: a weight per
    # pair of names, not per level.
    model.households = homes
    scorer = PairScorer(profiles, model, keep=4.0)
    n = len(profiles)
    pairs = list(itertools.permutations(range(n), 2))
    outcomes = scorer.weigh([i for i, _ in pairs], [j for _, j in pairs])
    for (i, j), (weight, rule, evidence, kept) in zip(pairs, outcomes, strict=True):
        expected = score(profiles[i], profiles[j], model)
        assert scorer.link(i, j) == expected
        assert (weight, rule, evidence) == (expected.weight, expected.rule, expected.evidence)
        assert kept == (rule != "probabilistic" or weight >= 4.0)


@pytest.mark.parametrize("homes", [False, True])
def test_pair_scorer_weighs_each_shared_word_as_score_does(homes: bool) -> None:
    """Every name against every other: pairs of one level and different shared words
    (Stone, Berryman) weigh apart, and the scorer tells them apart."""
    records = [
        {"name": name, "address": "5 Elm Street", "postal_code": "10115",
         "source_system": "crm", "country": "DE"}
        for name in NAMES
    ]  # fmt: skip
    profiles = _profiles(records)
    model = estimate_model(profiles)
    model.households = homes
    scorer = PairScorer(profiles, model)
    pairs = list(itertools.permutations(range(len(profiles)), 2))
    outcomes = scorer.weigh([i for i, _ in pairs], [j for _, j in pairs])
    weights = set()
    for (i, j), (weight, rule, evidence, _) in zip(pairs, outcomes, strict=True):
        expected = score(profiles[i], profiles[j], model)
        assert (weight, rule, evidence) == (expected.weight, expected.rule, expected.evidence)
        if evidence["name"][0] == "other_given":
            weights.add(evidence["name"][1])
    assert len(weights) == (1 if homes else 2)


@SETTINGS
@given(RECORDS)
def test_candidate_codes_are_candidate_pairs(records: list[dict[str, Any]]) -> None:
    profiles = _profiles(records)
    generic = estimate_model(profiles).generic
    blocking = candidate_pairs(profiles, generic)
    codes, skipped = candidate_codes(profiles, generic)
    n = len(profiles)
    assert list(codes) == sorted(i * n + j for i, j in blocking.pairs)
    assert skipped == blocking.skipped_blocks


@SETTINGS
@given(RECORDS)
def test_scoring_ascending_is_scoring_one_by_one(records: list[dict[str, Any]]) -> None:
    profiles = _profiles(records)
    model = estimate_model(profiles)
    n = len(profiles)
    codes = [i * n + j for i, j in itertools.combinations(range(n), 2)]
    one_by_one, at_once = ScoredPairs(profiles, model), ScoredPairs(profiles, model)
    for code in codes:
        one_by_one.score(*divmod(code, n))
    half = len(codes) // 2
    at_once.score_ascending(codes[:half])
    at_once.score_ascending(codes[half:])
    assert list(at_once.weighed()) == list(one_by_one.weighed())
    assert list(at_once.kept()) == list(one_by_one.kept())
    assert dict(at_once.items()) == dict(one_by_one.items())


WORDS = ["ann", "anne", "an", "lee", "li", "bill", "william", "will", "wiliam", "stone", "stones",
         "jon", "john", "james", "wang", "wei", "wangwei", "giulia", "gijulia", "jackson", "bec",
         "rebecca", "taylor", "taykor", "darren", "draren", "nguyen", "bguyen", "suzy", "susan"]  # fmt: skip
NAME = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple)


@settings(max_examples=300, deadline=None)
@given(NAME, NAME)
def test_whole_name_level_is_the_same_either_way(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    """Comparer works it out once for both orders of two names."""
    spelt_a, spelt_b = spelling(name_tokens(" ".join(a))), spelling(name_tokens(" ".join(b)))
    assert whole_name_level(a, spelt_a, b, spelt_b) == whole_name_level(b, spelt_b, a, spelt_a)


@settings(max_examples=100, deadline=None)
@given(st.lists(NAME, min_size=2, max_size=12))
def test_comparer_names_in_both_orders_are_name_levels(names: list[tuple[str, ...]]) -> None:
    profiles = _profiles([{"name": " ".join(n), "source_system": "crm"} for n in names])
    comparer = Comparer(profiles)
    for i, j in itertools.permutations(range(len(profiles)), 2):
        assert comparer.levels(i, j) == tuple(compare(profiles[i], profiles[j]).values())


@SETTINGS
@given(RECORDS, st.data())
def test_pairs_a_person_rejected_stay_apart(records: list[dict[str, Any]], data: Any) -> None:
    """Joining two records alone takes the short way; with rejected pairs about, neither
    it nor the long way puts a rejected pair in one cluster or up for review."""
    profiles = _profiles(records)
    keys = [p.key for p in profiles]
    pairs = list(itertools.combinations(keys, 2))
    rejected = data.draw(st.lists(st.sampled_from(pairs), max_size=len(pairs)))
    result = resolve(profiles, cannot_link=[(b, a) for a, b in rejected])
    apart = {frozenset(pair) for pair in rejected}
    for cluster in result.clusters:
        assert not apart & {frozenset(p) for p in itertools.combinations(cluster, 2)}
    assert not apart & {frozenset((lk.a, lk.b)) for lk in result.review}
    unrejected = resolve(profiles)
    if not rejected:
        assert result.clusters == unrejected.clusters
