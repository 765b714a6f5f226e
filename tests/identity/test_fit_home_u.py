"""The household u fitted with m (identity/fitting.py ``fit_home_u``): where people share
homes, a different given name and birth date at one address are two people; where they
do not, the same pairs are one person's records and must not be weighed as twins."""

from __future__ import annotations

import math

import pytest

from identity import clustering
from identity.blocking import candidate_codes
from identity.clustering import resolve
from identity.comparison import M_PROBABILITIES
from identity.fitting import HomeFit, fit_home_u
from identity.model import MIN_HOME_PAIRS, Model, estimate_model
from identity.profile import Profile, profile
from tests.support.identity_fixtures import TODAY

GIVEN = ["Ann", "Bob", "Cleo", "Dirk", "Edna", "Fritz", "Gwen", "Hugo", "Iris", "Jules"]
SYLLABLES = ["mar", "tel", "vor", "kin", "das", "lum", "pri", "zet"]


def _record(key: str, given: str, i: int, born: str) -> Profile:
    family = (SYLLABLES[i % 8] + SYLLABLES[i // 8 % 8] + SYLLABLES[i // 64 % 8]).title()
    props = {"given_name": given, "family_name": family, "birth_date": born,
             "address": f"{i + 1} Long Road", "postal_code": "4000", "source_system": "crm"}  # fmt: skip
    return profile(key, props, TODAY)


def _world(households: bool) -> list[Profile]:
    """120 addresses with two records each: two people of one family (another given
    name, another birth date), or one person twice — a third of them with the given name
    written as another's, a third with the birth date written as another's."""
    records = []
    for i in range(120):
        born, given, other = (
            f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}",
            GIVEN[i % 10],
            GIVEN[(i + 3) % 10],
        )
        records.append(_record(f"crm:{i}a", given, i, born))
        if households:
            records.append(_record(f"crm:{i}b", other, i, f"20{10 + i % 9}-05-0{1 + i % 9}"))
        else:
            second = (
                (other, born)
                if i % 3 == 0
                else (given, "1901-01-01")
                if i % 3 == 1
                else (given, born)
            )
            records.append(_record(f"crm:{i}b", second[0], i, second[1]))
    return records


def _street(i: int) -> str:
    return (SYLLABLES[i % 8] + SYLLABLES[i // 8 % 8] + SYLLABLES[i // 64 % 8]).title() + " Street"


def _strangers() -> list[Profile]:
    """200 people, each with an email of their own."""
    return [
        profile(f"crm:x{i}", {"given_name": GIVEN[i % 10], "family_name": f"Zet{i}",
                              "email": f"p{i}@example.com", "birth_date": f"19{50 + i % 40}-01-0{1 + i % 9}",
                              "address": f"{i} {_street(i)}", "postal_code": f"{5000 + i}"}, TODAY)
        for i in range(200)
    ]  # fmt: skip


def _with_m(model: Model, **changes: dict[str, float]) -> Model:
    m = {f: dict(levels) for f, levels in M_PROBABILITIES.items()}
    for f, levels in changes.items():
        m[f].update(levels)
    model.fit(m)
    return model


def test_households_found_where_people_share_homes() -> None:
    records = _world(households=True)
    fit = fit_home_u(records, _with_m(estimate_model(records)))
    # Another given name and another birth date are what two people of one home have.
    assert fit.u_home["name"]["other_given"] > 0.8
    assert fit.u_home["birth_date"]["different"] > 0.8
    assert fit.two_people > 100  # of the 120 pairs at one address


def test_no_households_where_records_at_one_address_are_one_person() -> None:
    records = _world(households=False)
    model = estimate_model(records)
    # The rule of thumb reads pairs with another birth date as two people, and so takes
    # a household to share names (and, off the pairs with another given name, birth
    # dates): a replaced given name with the birth date agreeing looks like twins.
    assert model.u_home["name"]["exact"] > 0.5
    assert model.u_home["birth_date"]["exact"] > 0.5
    # m as fit_m finds it in such data: a third of one person's pairs with another given
    # name, a third with another birth date. Nobody at these addresses is two people:
    # agreement on the name or the birth date stays as telling as between strangers.
    fitted = _with_m(
        model,
        name={"exact": 0.6, "other_given": 0.33, "different": 0.01},
        birth_date={"exact": 0.65, "different": 0.3},
    )
    fit = fit_home_u(records, fitted)
    assert fit.u_home["name"]["exact"] < 0.05
    assert fit.u_home["birth_date"]["exact"] < 0.05
    assert fit.two_people < MIN_HOME_PAIRS  # no households in these data


def test_without_households_a_birth_date_may_differ_within_a_cluster() -> None:
    """One person with a third record whose birth date was written as another's: linked
    to the two by name, address and email. Where the data hold households that record
    stays apart (a parent and child of one name); where they do not, it joins."""
    props = {"given_name": "Quentin", "family_name": "Vortelmar", "address": "9 Hill Road",
             "postal_code": "4000", "email": "qv@example.com", "source_system": "crm"}  # fmt: skip
    others = _strangers()
    records = [
        profile("crm:1", props | {"birth_date": "1970-03-04"}, TODAY),
        profile("crm:2", props | {"birth_date": "1970-03-04", "phone": "0412 345 678"}, TODAY),
        profile("crm:3", props | {"birth_date": "1931-11-22"}, TODAY),
        *others,
    ]
    with_households = estimate_model(records)
    with_households.fit(M_PROBABILITIES)  # fitted as it is: households assumed
    clusters = resolve(records, with_households).clusters
    assert sorted(c for c in clusters if len(c) > 1) == [["crm:1", "crm:2"]]
    # As fit_m finds m where birth dates are often written as another's.
    without = _with_m(estimate_model(records), birth_date={"exact": 0.65, "different": 0.3})
    without.households = False
    clusters = resolve(records, without).clusters
    assert sorted(c for c in clusters if len(c) > 1) == [["crm:1", "crm:2", "crm:3"]]


def test_without_households_a_pair_across_needs_only_not_to_weigh_against() -> None:
    """A and B agree on everything but contacts, B and C share a phone (a rule), A and C
    only a rare name with addresses apart: a little evidence, short of the 4 the guard
    asks for where people share homes, and none against."""
    base = {
        "given_name": "Quentin",
        "family_name": "Vortelmar",
        "source_system": "crm",
        "country": "AU",
    }
    home = {"address": "9 Hill Road", "postal_code": "4000"}
    records = [
        profile("crm:a", base | home | {"birth_date": "1970-03-04", "email": "q@v.example"}, TODAY),
        profile("crm:b", base | home | {"birth_date": "1970-03-04", "phone": "0412 345 678"}, TODAY),
        profile("crm:c", base | {"address": "77 Other Street", "postal_code": "4999",
                                 "phone": "0412 345 678"}, TODAY),
        *_strangers(),
    ]  # fmt: skip
    model = _with_m(estimate_model(records))
    assert 0 < resolve(records, model).links[("crm:a", "crm:c")].weight < 4
    # Where people share homes: B and C join on their rule first, A cannot follow.
    assert _clustered(records, model) == [["crm:b", "crm:c"]]
    apart = _with_m(estimate_model(records))
    apart.households = False
    assert _clustered(records, apart) == [["crm:a", "crm:b", "crm:c"]]


def _clustered(records: list[Profile], model: Model) -> list[list[str]]:
    return sorted(c for c in resolve(records, model).clusters if len(c) > 1)


def test_another_given_name_weighs_as_m_says_only_without_households() -> None:
    u = {"name": {"exact": 0.001, "other_given": 0.006, "different": 0.99}}
    m = {"name": {"exact": 0.6, "other_given": 0.14, "different": 0.08}}
    nobody = profile("x", {}, TODAY)
    homes = Model(u, {}, {}, 5000)
    homes.fit(m)
    # Where people share homes: relatives at most, never above a wholly different name.
    assert homes.weight("name", "other_given", nobody) == pytest.approx(math.log2(0.08 / 0.99))
    apart = Model(u, {}, {}, 5000, households=False)
    apart.fit(m)
    assert apart.weight("name", "other_given", nobody) == pytest.approx(math.log2(0.14 / 0.006))


def test_too_few_pairs_at_one_address_to_tell_keep_households_assumed() -> None:
    records = _strangers()  # no two at one address
    fit = fit_home_u(records, _with_m(estimate_model(records)))
    assert fit.households
    assert fit.u_home == estimate_model(records).u_home


def test_households_need_enough_two_person_pairs_and_a_share_of_them() -> None:
    assert HomeFit({}, 60.0, 1000).households  # 6% of the pairs at one address
    # A few percent is the mixture's own error on people living alone (FEBRL: 0-1.6%).
    assert not HomeFit({}, 30.0, 1000).households
    assert not HomeFit({}, 19.0, 100).households  # too few to be sure of
    assert HomeFit({}, math.inf).households  # too little to tell: assumed


def test_without_households_a_name_word_in_a_postal_code_makes_a_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two records sharing only a family name and a postal code are compared where the
    data hold no households, and not where people share homes."""
    pair = [
        profile("x:a", {"given_name": "Mia", "family_name": "Paulka", "address": "211 Bourne Street",
                        "postal_code": "3975", "birth_date": "1926-01-22"}, TODAY),
        profile("x:b", {"given_name": "Harrison", "family_name": "Paulka",
                        "address": "17 Tally Ho Road", "postal_code": "3975"}, TODAY),
    ]  # fmt: skip
    records = [*_strangers(), *pair]
    generic = estimate_model(records).generic
    index = {p.key: i for i, p in enumerate(records)}
    code = index["x:a"] * len(records) + index["x:b"]
    assert code in candidate_codes(records, generic, households=False)[0]
    assert code not in candidate_codes(records, generic)[0]
    together = [*_world(households=True), *pair]
    assert ("x:a", "x:b") not in resolve(together, estimate_model(together)).links
    # The same records where the household fit finds nobody sharing a home.
    monkeypatch.setattr(clustering, "fit_home_u", lambda ps, m: HomeFit(m.u_home, 0.0, 500))
    assert ("x:a", "x:b") in resolve(together, estimate_model(together)).links
