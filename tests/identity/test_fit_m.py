"""m fitted to the data (identity/model.py ``fit_m``): expectation-maximisation recovers
the chances of each level between records of one person from candidate pairs alone, and
the fitted m is what scores, is stored and is loaded back."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from graph.store import GraphStore
from identity.clustering import resolve
from identity.comparison import DECODED, FIELDS, M_PROBABILITIES
from identity.fitting import fit_m
from identity.model import Model, estimate_model
from identity.model_store import load_model, save_model
from identity.profile import profile
from tests.support.identity_fixtures import TODAY

_CODE = {levels: code for code, levels in enumerate(DECODED)}
# One person's records in some other data: names replaced or mistyped far more often,
# birth dates replaced, addresses seldom written alike (the documented m differs a lot).
TRUE_M = {
    "name": {"exact": 0.45, "close": 0.2, "nickname": 0.0, "similar": 0.1, "partial": 0.0,
             "other_given": 0.15, "different": 0.1},
    "birth_date": {"exact": 0.88, "partial": 0.02, "near": 0.02, "different": 0.08},
    "address": {"exact": 0.2, "similar": 0.55, "postal": 0.2, "different": 0.05},
}  # fmt: skip
U = {
    "name": {"exact": 0.0002, "close": 0.0002, "nickname": 0.0001, "similar": 0.0005,
             "partial": 0.0005, "other_given": 0.006, "different": 0.9925},
    "birth_date": {"exact": 0.0005, "partial": 0.0005, "near": 0.001, "different": 0.998},
    "email": {"exact": 1e-6, "different": 1.0},
    "phone": {"exact": 1e-6, "different": 1.0},
    "address": {"exact": 0.0001, "similar": 0.0003, "postal": 0.001, "different": 0.9986},
    "national_id": {"exact": 1e-6, "different": 1.0},
}  # fmt: skip


def _draw(rnd: random.Random, chances: dict[str, float]) -> str:
    levels, weights = zip(*chances.items(), strict=True)
    return rnd.choices(levels, weights)[0]


def _pairs(rnd: random.Random) -> Counter[int]:
    """Candidate pairs as blocking makes them: 3,000 of one person (levels drawn from
    TRUE_M), 20,000 others sharing a birth date and 5,000 sharing a name away from home
    (the rest of their levels drawn from U, as among random pairs)."""
    counts: Counter[int] = Counter()

    def add(name: str, birth: str, address: str) -> None:
        levels = dict.fromkeys(FIELDS) | {"name": name, "birth_date": birth, "address": address}
        counts[_CODE[tuple(levels[f] for f in FIELDS)]] += 1

    for _ in range(3000):
        add(*(_draw(rnd, TRUE_M[f]) for f in ("name", "birth_date", "address")))
    for _ in range(20_000):
        add(_draw(rnd, U["name"]), "exact", _draw(rnd, U["address"]))
    for _ in range(5000):
        address = _draw(rnd, {"postal": U["address"]["postal"], "different": 0.99})
        add("exact", _draw(rnd, U["birth_date"]), address)
    return counts


def test_fit_m_recovers_m_from_candidate_pairs() -> None:
    m = fit_m(_pairs(random.Random(7)), Model(U, {}, {}, 100_000))
    for field, levels in TRUE_M.items():
        for level, chance in levels.items():
            assert m[field][level] == pytest.approx(chance, abs=0.03), (field, level)
    # Far from the documented values where the data say otherwise.
    assert M_PROBABILITIES["name"]["different"] == 0.02
    assert m["name"]["different"] > 0.08
    assert M_PROBABILITIES["birth_date"]["different"] == 0.01
    assert m["birth_date"]["different"] > 0.06
    # No pair says anything of email or phone: they stay at the documented values.
    assert m["email"] == pytest.approx(M_PROBABILITIES["email"])


def test_twins_sharing_a_birth_date_are_not_one_person_with_two_names() -> None:
    """Where few of one person's pairs agree on the birth date (one system holds each
    person once, the other has no birth dates), the pairs that do are mostly a household's
    twins: one home, one birth date, two given names. The name's m is then fitted away
    from shared addresses, where one person's names mostly agree."""
    rnd = random.Random(11)
    counts: Counter[int] = Counter()

    def add(name: str, birth: str | None, address: str) -> None:
        levels = dict.fromkeys(FIELDS) | {"name": name, "birth_date": birth, "address": address}
        counts[_CODE[tuple(levels[f] for f in FIELDS)]] += 1

    for _ in range(1500):  # twins at home
        add(_draw(rnd, {"other_given": 0.9, "different": 0.1}), "exact", "exact")
    for _ in range(300):  # one person at one home, born on one day
        add(_draw(rnd, {"exact": 0.8, "close": 0.1, "similar": 0.1}), "exact", "exact")
    for _ in range(300):  # one person who moved
        add(_draw(rnd, {"exact": 0.8, "close": 0.1, "similar": 0.1}), "exact", "different")
    for _ in range(3000):  # one person without a birth date on one side
        add(_draw(rnd, {"exact": 0.8, "close": 0.1, "similar": 0.1}), None, "exact")
    for _ in range(20_000):  # strangers sharing a birth date
        add(_draw(rnd, U["name"]), "exact", _draw(rnd, U["address"]))
    m = fit_m(counts, Model(U, {}, {}, 100_000))
    assert m["name"]["exact"] > 0.6
    assert m["name"]["other_given"] < 0.1


def test_fit_m_without_pairs_keeps_the_documented_values() -> None:
    assert fit_m(Counter(), Model(U, {}, {}, 10)) == M_PROBABILITIES


def _profiles() -> list:
    people = [
        ("Ann Lee", "1980-01-02", "1 High St"), ("Ann Leigh", "1980-01-02", "1 High Street"),
        ("Bo Chan", "1975-05-06", "9 Low Rd"), ("Bo Chan", "1975-05-06", "9 Low Road"),
        ("Cy Diaz", "1990-07-08", "4 Mid Ave"), ("Cy Dias", "1990-07-08", "4 Mid Ave"),
    ]  # fmt: skip
    return [
        profile(f"crm:{i}", {"name": n, "birth_date": b, "address": a, "postal_code": "2000",
                             "source_system": "crm"}, TODAY)
        for i, (n, b, a) in enumerate(people)
    ]  # fmt: skip


def test_resolve_fits_an_unfitted_model_and_keeps_a_fitted_one() -> None:
    profiles = _profiles()
    fresh = estimate_model(profiles)
    assert not fresh.m_fitted
    assert fresh.m == M_PROBABILITIES
    resolve(profiles, fresh)
    assert fresh.m_fitted
    assert fresh.m != M_PROBABILITIES
    given = estimate_model(profiles)
    chosen = {f: dict(levels) for f, levels in M_PROBABILITIES.items()}
    chosen["name"]["exact"] = 0.5
    given.fit(chosen)
    found = resolve(profiles, given)
    assert given.m == chosen
    # The weights scored are the fitted m's: log2(m / u) of the name level.
    link = found.links[("crm:0", "crm:1")]
    level, weight = link.evidence["name"]
    assert level not in (None, "exact")
    assert weight == pytest.approx(min(given.weight("name", level, profiles[0]), 99), abs=1e-3)


def test_the_fitted_m_is_stored_and_loaded(store: GraphStore) -> None:
    model = Model(U, {}, {}, 1234)
    assert not load_model(store).m_fitted  # nothing stored: the documented values
    fitted = {f: dict(levels) for f, levels in M_PROBABILITIES.items()}
    fitted["birth_date"] = {
        "exact": 0.9,
        "partial": 0.01,
        "near": 0.01,
        "slips": 0.0,
        "different": 0.08,
    }
    model.fit(fitted)
    model.households = False
    save_model(store, model)
    loaded = load_model(store)
    assert loaded.households is False
    assert loaded.m_fitted
    assert loaded.m == fitted
    assert loaded.weight("birth_date", "different", profile("x", {}, TODAY)) == pytest.approx(
        model.weight("birth_date", "different", profile("x", {}, TODAY))
    )
