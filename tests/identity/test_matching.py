"""Identity matching, pure: the model, blocking, guards, evaluation. (The normalisers:
test_normalize.py.)"""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.blocking import candidate_pairs
from identity.clustering import (
    SOLE_WEIGHT,
    apart_floor,
    one_record_systems,
    resolve,
    sole_candidates,
)
from identity.comparison import compare
from identity.evaluate import cluster_scores, pairwise_scores
from identity.matching import (
    AUTO_MERGE_WEIGHT,
    Link,
    counted_twice,
    is_link,
    review_reason,
    score,
    worth_review,
)
from identity.model import SHARED_WORD_BITS, Model, estimate_model, find_generic
from identity.names import given_name_relation, name_tokens, phonetic_code
from identity.profile import Profile, profile
from identity.slips import birth_dates_level, near_birth_dates
from tests.support.identity_fixtures import TODAY


def _p(key: str, name: str, **fields: str) -> Profile:
    return profile(key, {"name": name, **fields}, TODAY)


def _population() -> list[Profile]:
    """Many different people, so u-probabilities have something to learn from."""
    people = [
        _p(f"x{i}", f"Person{i} Family{i % 37}", email=f"p{i}@example.com", phone=f"+1202555{i:04d}",
           birth_date=f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}", address=f"{i} Oak Street",
           postal_code=f"{10000 + i}")
        for i in range(300)
    ]  # fmt: skip
    # Twelve John Smiths: a common name.
    people += [
        _p(f"js{i}", "John Smith", birth_date=f"19{60 + i}-01-01", postal_code=f"2{i:04d}")
        for i in range(12)
    ]
    return people


def test_rare_names_weigh_more_than_common_ones() -> None:
    population = _population()
    model = estimate_model(population)
    common = score(_p("a", "John Smith"), _p("b", "John Smith"), model)
    rare = score(_p("a", "Quentin Zebrowski"), _p("b", "Quentin Zebrowski"), model)
    assert rare.evidence["name"][1] > common.evidence["name"][1] > 0


def test_generic_values_are_found_and_weigh_nothing() -> None:
    shop = {"phone": "+18005550100", "address": "1 Mall Road", "postal_code": "90210"}
    walk_ins = [_p(f"w{i}", name, **shop) for i, name in enumerate(
        ["Ann Lee", "Bo Chen", "Carl Diaz", "Dee Eve", "Ed Fox"])]  # fmt: skip
    generic = find_generic(walk_ins)
    assert "+18005550100" in generic["phone"]
    model = estimate_model(_population() + walk_ins)
    link = score(walk_ins[0], walk_ins[1], model)
    assert link.evidence["phone"] == ("exact", 0.0)
    assert link.rule == "probabilistic"
    result = resolve(_population() + walk_ins, model)
    assert all(len(c) == 1 for c in result.clusters if c[0].startswith("w"))


def test_deterministic_rules_and_the_transitive_guard() -> None:
    population = _population()
    ann_billing = _p("b:1", "Ann Lee", email="ann@example.com", phone="+12025550001",
                     birth_date="1980-05-06", address="5 Elm St", postal_code="10001")  # fmt: skip
    ann_web = _p("w:1", "Ann Lee", email="ann@example.com", birth_date="1980-05-06")
    # Shares Ann's phone (a shared household line) but is plainly someone else.
    other = _p("c:1", "Bob Lee", phone="+12025550001", birth_date="1950-01-01",
               email="bob@example.com", address="9 Pine Rd", postal_code="20002")  # fmt: skip
    bridge = _p("s:1", "Ann Lee", phone="+12025550001")
    model = estimate_model([*population, ann_billing, ann_web, other, bridge])
    assert score(ann_billing, ann_web, model).rule == "email"
    result = resolve([*population, ann_billing, ann_web, other, bridge], model)
    ann = next(c for c in result.clusters if "b:1" in c)
    assert ann == ["b:1", "s:1", "w:1"]
    assert ["c:1"] in result.clusters
    assert score(bridge, other, model).weight < AUTO_MERGE_WEIGHT


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("1980-05-06", "1980-05-06", "exact"),
        ("1980-05-06", "1980-06-05", "partial"),  # day and month swapped
        ("1980-05-06", "1980-05-28", "partial"),  # same year and month
        ("1980-05-06", "1981-05-06", "near"),  # a year off
        ("1980-05-06", "1986-05-06", "near"),  # one digit off
        ("1980-05-06", "1980-08-06", "near"),
        ("1980-05-06", "1950-05-06", "near"),
        ("1976-01-31", "1976-10-31", "near"),  # two neighbouring digits swapped
        ("1976-08-02", "1967-08-02", "near"),
        ("1960-12-11", "1960-11-21", "near"),  # swapped as typed: 1211 for 1121
        ("1960-12-11", "1960-11-12", "partial"),  # day and month swapped
        # Two slips, as two records each with one: a year off and day and month swapped,
        # the year's last digits swapped and day and month too, two digits off.
        ("1969-04-07", "1970-07-04", "slips"),
        ("1917-10-02", "1971-02-10", "slips"),
        ("1955-05-01", "1958-05-04", "slips"),
        ("1980-05-06", "1981-05-07", "slips"),
        ("1999-05-06", "2000-06-05", "slips"),
        # Years further apart than a slip in their last digits: a sibling, a parent.
        ("1980-05-06", "1978-05-06", "different"),
        ("1958-05-04", "1988-05-07", "different"),
        ("1980-05-06", "2008-09-30", "different"),
        ("1960-01-01", "1985-07-23", "different"),
    ],
)
def test_birth_dates_a_slip_apart_agree_partly(a: str, b: str, level: str) -> None:
    levels = compare(_p("a", "Ann Lee", birth_date=a), _p("b", "Ann Lee", birth_date=b))
    assert levels["birth_date"] == level
    assert near_birth_dates(a, b) == near_birth_dates(b, a)


def _household(given: str, birth: str, key: str, **fields: str) -> Profile:
    return _p(key, f"{given} Okafor", birth_date=birth, phone="+12025550777",
              address="12 Elm Street", postal_code="10001", **fields)  # fmt: skip


def test_a_household_counts_its_address_and_phone_once() -> None:
    population = _population()
    model = estimate_model(population)
    mother = _household("Grace", "1952-03-14", "a")
    son = _household("Emeka", "1984-11-02", "b")
    link = score(mother, son, model)
    address, phone = link.evidence["address"][1], link.evidence["phone"][1]
    assert link.evidence["household"] == ("shared", -min(address, phone))
    assert link.weight == pytest.approx(sum(w for _, w in link.evidence.values()), abs=0.01)
    assert not is_link(link)


def test_namesakes_of_one_household_do_not_merge() -> None:
    model = estimate_model(_population())
    father = _household("John", "1950-04-02", "a")
    son = _household("John", "1979-08-21", "b", email="john@example.com")
    link = score(father, son, model)
    # The phone rule would link them; different birth dates say they are two people.
    assert link.rule == "probabilistic"
    assert link.evidence["household"][0] == "namesakes"
    assert not is_link(link)
    assert not worth_review(link, model)
    # A birth date a digit off is a slip, not another person: the phone rule links.
    again = score(son, _household("John", "1979-08-27", "c"), model)
    assert again.rule == "phone"
    assert "household" in again.evidence  # address and phone, counted once


def test_blocking_finds_pairs_whose_names_differ() -> None:
    population = _population()
    # A nickname, no email or phone: the birth date (day and month swapped) and the house
    # make the pair a candidate.
    bill = _p("a", "Bill Okonkwo", birth_date="1971-03-04", address="7 Gum Road",
              postal_code="40004")  # fmt: skip
    william = _p("b", "William Okonkwo", birth_date="1971-04-03")
    house = _p("c", "Mr Okonkwo", address="7 Gum Rd", postal_code="40004")
    records = [*population, bill, william, house]
    pairs = candidate_pairs(records, find_generic(records)).pairs
    index = {p.key: i for i, p in enumerate(records)}
    assert (index["a"], index["b"]) in pairs
    assert (index["a"], index["c"]) in pairs
    assert (index["b"], index["c"]) not in pairs


def test_blocking_finds_a_house_whose_street_is_written_in_another_order() -> None:
    population = _population()
    # Another given name, no birth date: only the house, its line written in another order.
    isabella = _p("a", "Isabella Mason", address="8 Emerald College Fawkner Street",
                  postal_code="6154")  # fmt: skip
    rundle = _p("b", "Isabella Rundle", address="8 Fawkner Street Emerald College",
                postal_code="6154")  # fmt: skip
    next_door = _p("c", "Isabella Mason", address="9 Fawkner Street", postal_code="6154")
    records = [*population, isabella, rundle, next_door]
    pairs = candidate_pairs(records, find_generic(records)).pairs
    index = {p.key: i for i, p in enumerate(records)}
    assert (index["a"], index["b"]) in pairs
    assert (index["b"], index["c"]) not in pairs


def test_phonetic_codes() -> None:
    assert phonetic_code("catherine") == phonetic_code("katherine") == "2365"
    assert phonetic_code("smith") == phonetic_code("smyth") == phonetic_code("smiht")
    assert phonetic_code("philips") == phonetic_code("filips")
    assert phonetic_code("knight") == phonetic_code("night")
    assert phonetic_code("smith") != phonetic_code("jones")
    assert phonetic_code("123") == ""


def test_cluster_scores() -> None:
    truth = [["a", "b"], ["c", "d"], ["e"], ["f", "g"]]
    found = [["a", "b"], ["c"], ["d", "e"], ["f", "g", "x"]]
    scores = cluster_scores(found, truth)
    # a+b whole; c+d split; e mixed with d; f+g with a record the truth does not know.
    assert (scores.people, scores.exact, scores.split, scores.mixed) == (4, 1, 1, 1)


def test_pairwise_scores() -> None:
    scores = pairwise_scores([["a", "b", "c"], ["d"]], [["a", "b"], ["c", "d"]])
    assert (scores.true_pairs, scores.found_pairs, scores.correct_pairs) == (2, 3, 1)
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == 0.5
    assert scores.f1 == pytest.approx(0.4)


def test_only_pairs_worth_a_look_go_to_review() -> None:
    def link(**levels: tuple[str | None, float]) -> Link:
        return Link("a", "b", sum(w for _, w in levels.values()), "probabilistic", dict(levels))

    population = Model({}, {}, {}, records=10_000)
    carried_by = {c: math.log2(0.7 * 10_000 / c) for c in (1, 2, 3, 4, 40)}  # exact-name weight
    moved = {"address": ("different", -2.7), "phone": ("different", -2.7)}
    # A name carried by a handful of records, the records moved and changed phone: a look.
    for c in (1, 2, 3):
        assert worth_review(link(name=("exact", carried_by[c]), **moved), population)
    # Four or more carriers: namesakes, however small their share of a large population.
    assert not worth_review(link(name=("exact", carried_by[4]), **moved), population)
    assert not worth_review(link(name=("exact", carried_by[40]), **moved), population)
    # The same name weight in a population ten times the size means ten times the carriers.
    assert not worth_review(
        link(name=("exact", carried_by[3]), **moved), Model({}, {}, {}, records=100_000)
    )
    # Contradicting on every contact detail: not one person, however rare the name.
    assert not worth_review(
        link(name=("exact", carried_by[1]), email=("different", -3.3), **moved), population
    )
    # Agreement on something personal.
    assert worth_review(link(name=("similar", 2.0), phone=("exact", 11.0)), population)
    assert worth_review(link(name=("exact", 3.0), birth_date=("exact", 9.0)), population)
    # An address and a similar name are what relatives share.
    assert not worth_review(
        link(name=("similar", 4.0), address=("exact", 9.0), phone=("different", -2.7)),
        population,
    )
    # A hard conflict rules it out whatever else agrees.
    assert not worth_review(
        link(name=("exact", 13.0), email=("exact", 9.0), birth_date=("different", -5.6)),
        population,
    )
    # The reason a person reads.
    assert review_reason(link(name=("exact", carried_by[2]), **moved), population) == (
        "rare name: 2 record(s) carry it"
    )
    both = link(name=("close", 5.0), phone=("exact", 11.0), birth_date=("exact", 9.0))
    assert review_reason(both, population) == "same phone and birth date"
    assert review_reason(link(name=("similar", 12.0), **moved), population) == (
        "similar names, rarely this alike by chance"
    )
    # A birth date shared by two wholly different names: two people born on one day (a
    # large population holds thousands of such pairs), not one to look at; a given name
    # alone differing still is.
    born = {"birth_date": ("exact", 13.9), "address": ("different", -1.0)}
    assert review_reason(link(name=("different", -5.1), **born), population) is None
    assert review_reason(link(name=("other_given", -5.1), **born), population) == (
        "same birth date"
    )
    assert review_reason(link(name=(None, 0.0), **born), population) == "same birth date"


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("William Smith", "Bill Smith", "nickname"),
        ("Robert Chan", "Bob Chan", "nickname"),
        ("Alex Brown", "Alexander Brown", "nickname"),
        ("Suzy Pemstone", "Susan Pemstone", "nickname"),  # Suzie, spelt otherwise
        ("Mary Pemstone", "Mark Pemstone", None),  # a letter apart: maybe a typo
        ("John Smith", "James Smith", "other_given"),
        ("Wang Wei", "Wang Li", "other_given"),
        ("Michael Smith", "Micheal Smith", None),  # a typo, not another name
        ("Jonathon Price", "Jonathan Price", None),
        ("Katherine Lee", "Catherine Lee", None),  # one sound
        ("Zhang Xiaoming", "Zhang Xiao Ming", None),  # split differently
        ("John Smith", "Mary Jones", None),  # nothing shared
        ("Smith", "John Smith", None),  # nothing besides the shared word
    ],
)
def test_given_names_nicknames_apart_from_other_names(a: str, b: str, relation: str | None) -> None:
    assert given_name_relation(name_tokens(a), name_tokens(b)) == relation
    assert given_name_relation(name_tokens(b), name_tokens(a)) == relation


def _households() -> list[Profile]:
    """Forty households of two: one family name, address and landline, given names and
    birth dates apart — what a household looks like to the home estimate."""
    given = ["Grace", "Emeka", "Ruth", "Tobias", "Ines", "Marek", "Olga", "Pavel"]
    people = []
    for h in range(40):
        for m in range(2):
            name = f"{given[(h + 3 * m) % len(given)]} Housename{h}"
            birth = f"19{50 + m * 25 + h % 20}-0{1 + h % 9}-1{m}"
            people.append(_p(f"h{h}.{m}", name, birth_date=birth, phone=f"+1303555{h:04d}",
                             address=f"{h} Birch Lane", postal_code=f"{30000 + h}"))  # fmt: skip
    return people


def test_at_one_home_a_twin_stays_apart_and_a_nickname_copy_joins() -> None:
    records = [*_population(), *_households()]
    model = estimate_model(records)
    assert {"name", "birth_date", "phone"} <= set(model.u_home)
    # Different people at one address mostly have other given names and share the line.
    assert model.u_home["name"]["other_given"] > 0.5 > model.u["name"]["other_given"]
    assert model.u_home["phone"]["exact"] > 0.5

    def home(key: str, given: str, **more: str) -> Profile:
        return _p(key, f"{given} Adeyemi", birth_date="1990-06-15", phone="+13035559999",
                  address="77 Birch Lane", postal_code="39999", **more)  # fmt: skip

    twin = score(home("t1", "John"), home("t2", "James"), model)
    assert twin.evidence["name"][0] == "other_given"
    assert twin.evidence["household"][0] == "home"
    assert not is_link(twin)
    copy = score(home("t1", "William"), home("t3", "Bill"), model)
    assert copy.evidence["name"][0] == "nickname"
    assert is_link(copy)
    # Away from home a shared family name with another given name is no evidence for a
    # match: it weighs no more than wholly different names.
    apart = score(_p("a", "John Adeyemi"), _p("b", "James Adeyemi"), model)
    different = model.weight("name", "different", _p("c", "X Y"))
    assert apart.evidence["name"][1] == pytest.approx(different, abs=0.001)


def test_birth_dates_two_slips_apart_do_not_keep_one_persons_records_apart() -> None:
    """Each of two systems wrote the birth date with a slip of its own (a year off, day
    and month swapped): with the name, email, phone and address agreeing, one person."""
    records = [*_population(), *_households()]
    first = _p("crm:1", "Shirley Marham", birth_date="1969-04-07", phone="+61414035151",
               email="shirley.m@example.com", address="17 High Close", postal_code="2000")  # fmt: skip
    second = _p("shop:1", "Shirley Marham", birth_date="1970-07-04", phone="+61414035151",
                email="shirley.m@example.com", address="17 High Close", postal_code="2000")  # fmt: skip
    assert compare(first, second)["birth_date"] == "slips"
    result = resolve([*records, first, second])
    assert ["crm:1", "shop:1"] in result.clusters


def test_gender_is_compared_and_different_genders_weigh_against() -> None:
    model = estimate_model(
        [_p(f"g{i}", f"Person{i} Family{i}", gender=("female", "male")[i % 2]) for i in range(400)]
    )
    assert model.u["gender"]["exact"] == pytest.approx(0.5, abs=0.1)
    ann = _p("a", "Robin Quell", gender="female", birth_date="1990-01-02")
    same = score(ann, _p("b", "Robin Quell", gender="female", birth_date="1990-01-02"), model)
    other = score(ann, _p("c", "Robin Quell", gender="male", birth_date="1990-01-02"), model)
    unknown = score(ann, _p("d", "Robin Quell", gender="unknown", birth_date="1990-01-02"), model)
    assert same.evidence["gender"][0] == "exact"
    assert other.evidence["gender"][0] == "different"
    assert unknown.evidence["gender"] == (None, 0.0)
    # Agreeing on one of two values tells little; disagreeing much.
    assert 0 < same.evidence["gender"][1] < 2
    assert other.evidence["gender"][1] < -3
    assert other.weight < unknown.weight < same.weight


def test_birth_dates_apart_keep_clusters_apart() -> None:
    """Father and son of one name at one address, and a copy without a birth date that
    links to each: the two never end up in one cluster through it."""
    records = [*_population(), *_households()]
    father = _p("f", "Tobias Quell", birth_date="1950-02-03", address="5 Birch Lane",
                postal_code="38888", email="tq50@example.com")  # fmt: skip
    son = _p("s", "Tobias Quell", birth_date="1981-09-30", address="5 Birch Lane",
             postal_code="38888", email="tq81@example.com")  # fmt: skip
    copy = _p("c", "Tobias Quell", address="5 Birch Lane", postal_code="38888")
    result = resolve([*records, father, son, copy])
    together = [c for c in result.clusters if "f" in c or "s" in c]
    assert all(not {"f", "s"} <= set(c) for c in together)


def test_systems_holding_each_person_once_are_found_from_the_links() -> None:
    def link(a: str, b: str) -> Link:
        return Link(a, b, 20.0, "probabilistic", {})

    systems = {f"{s}:{i}": s for s in ("crm", "shop", "web") for i in range(200)}
    links = [link(f"crm:{i}", f"shop:{i}") for i in range(60)]
    links += [link("crm:100", "crm:101"), link("crm:102", "crm:103")]  # the matcher's slips
    links += [link(f"shop:{i}", f"shop:{i + 100}") for i in range(10)]  # shop holds copies
    links += [link(f"web:{i}", f"web:{i + 100}") for i in range(80)]  # web: no one to compare
    links += [Link("crm:150", "shop:150", 3.0, "probabilistic", {})] * 200  # not links
    assert one_record_systems(links, systems) == frozenset({"crm"})


def _person(system: str, i: int, copy: str = "", **fields: str) -> Profile:
    return profile(
        f"{system}:{i}{copy}",
        {"source_system": system, "name": f"Person{i} Family{i % 37}",
         "email": f"p{i}@example.com", "birth_date": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}",
         "address": f"{i} Oak Street", "postal_code": f"{10000 + i}", **fields},
        TODAY,
    )  # fmt: skip


def test_a_system_holding_each_person_once_keeps_two_of_its_records_apart() -> None:
    people = [_person(s, i) for s in ("crm", "shop") for i in range(80)]
    home = {"source_system": "crm", "name": "Kofi Mensah", "phone": "+12025550999",
            "address": "7 Birch Road", "postal_code": "30003"}  # fmt: skip
    father = profile("crm:f", home, TODAY)  # no birth date
    son = profile("crm:s", {**home, "birth_date": "1996-04-02"}, TODAY)
    son_shop = profile("shop:s", {**home, "source_system": "shop", "birth_date": "1996-04-02"},
                       TODAY)  # fmt: skip
    records = [*people, father, son, son_shop]
    model = estimate_model(records)
    # The father's record says nothing against being his son's: alone, it joins him.
    assert is_link(score(father, son_shop, model))
    assert ["crm:f", "crm:s", "shop:s"] in resolve(records, model, one_record=()).clusters
    found = resolve(records, model)
    assert found.one_record == frozenset({"crm", "shop"})
    assert ["crm:s", "shop:s"] in found.clusters
    assert ["crm:f"] in found.clusters
    assert ["crm:3", "shop:3"] in found.clusters


def test_a_system_holding_each_person_once_merges_a_person_it_counted_twice() -> None:
    """Two of its records agreeing on the full name and the full birth date, nothing
    apart but the address, are one person counted twice (a census's person at two
    addresses); twins (another given name, or no given name) and namesakes born the same
    day (another phone) stay apart."""
    people = [_person(s, i) for s in ("crm", "shop") for i in range(100)]

    def crm(key: str, name: str, address: str, **fields: str) -> Profile:
        return profile(
            f"crm:{key}",
            {"source_system": "crm", "name": name, "birth_date": "1971-03-09",
             "address": address, "postal_code": address[:1] + "0101", "gender": "female", **fields},
            TODAY,
        )  # fmt: skip

    # One phone, two addresses: written down at each.
    counted = [
        crm("c1", "Amara Okafor", "4 Quay Lane", phone="+12025550777"),
        crm("c2", "Amara Okafor", "8 Mill Road", phone="+12025550777"),
    ]
    shop_copy = profile(
        "shop:c1",
        {"source_system": "shop", "name": "Amara Okafor", "birth_date": "1971-03-09",
         "address": "4 Quay Lane", "postal_code": "40101", "gender": "female"},
        TODAY,
    )  # fmt: skip
    twins = [crm("t1", "Chidi Eze", "6 Fen Close"), crm("t2", "Chika Eze", "6 Fen Close")]
    namesakes = [
        crm("n1", "Tobi Adeyemi", "2 Ash Grove", phone="+12025550111"),
        crm("n2", "Tobi Adeyemi", "2 Ash Grove", phone="+12025550122"),
    ]
    # Twins written down by their family name alone.
    twins += [crm("f1", "Nwosu", "5 Dock Road"), crm("f2", "Nwosu", "5 Dock Road")]
    records = [*people, *counted, shop_copy, *twins, *namesakes]
    model = estimate_model(records)
    assert is_link(score(*namesakes, model))  # only the phones tell them apart
    found = resolve(records, model)
    assert found.one_record == frozenset({"crm", "shop"})
    assert ["crm:c1", "crm:c2", "shop:c1"] in found.clusters
    assert is_link(score(*twins[2:], model))
    for alone in ("t1", "t2", "f1", "f2", "n1", "n2"):
        assert [f"crm:{alone}"] in found.clusters
    assert counted_twice(score(*counted, model), *counted)
    assert not counted_twice(score(*namesakes, model), *namesakes)


def test_a_system_holding_copies_still_merges_them() -> None:
    people = [_person(s, i) for s in ("crm", "shop") for i in range(80)]
    copies = [_person("crm", i, copy="b", phone=f"+1202555{i:04d}") for i in range(20)]
    found = resolve([*people, *copies])
    assert found.one_record == frozenset({"shop"})
    assert ["crm:5", "crm:5b", "shop:5"] in found.clusters


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("Respondent", ()),
        ("Man Of The Hohse", ()),  # a placeholder with a slip is one still
        ("Paul Man Of The House", ("paul",)),
        ("Mr Smith", ("smith",)),
        ("Mrs", ()),
        ("Ann Lee", ("ann", "lee")),
        ("Miss", ()),
        ("Baby Girl Garcia", ("garcia",)),  # a register's newborn
        ("Gerald Adult", ("gerald",)),  # a member it has no family name for
        ("Child F Reese", ("reese",)),
        ("O Baker", ("baker",)),  # an initial beside a name says too little
        ("J", ("j",)),  # ... but alone it is all there is
        ("Baby", ()),
        ("Girl Rushing", ("rushing",)),  # census forms: kinship and role words
        ("James Wife", ("james",)),
        ("Man Of Loud", ("loud",)),
        ("Zachary Of House", ("zachary",)),
        ("Lea De La Casa", ("lea",)),
        ("Son Heung Min", ("son", "heung", "min")),  # surnames that are words stay
        ("Gregory House", ("gregory", "house")),
        ("Man Wai Ling", ("man", "wai", "ling")),
    ],
)
def test_placeholders_and_titles_are_no_name(written: str, words: tuple[str, ...]) -> None:
    p = _p("a", written)
    assert p.name_words == words
    assert ("placeholder_name" in p.flags) == (not words)


def test_a_placeholder_name_is_a_missing_name() -> None:
    levels = compare(_p("a", "The Resident"), _p("b", "Geoffrey Brown"))
    assert levels["name"] is None


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Giulia Jackson", "Gijulia", "partial"),  # the given name alone, with a slip
        ("David Everfield", "Dave", "partial"),  # a nickname alone
        ("Rebecca Taykor", "Becky Taylor", "nickname"),
        ("Darren Nguyen", "Draren Bguyen", "similar"),  # slips reorder the sorted words
        ("Giulia Jackson", "Mark", "different"),
        ("John Smith", "James Smith", "other_given"),
    ],
)
def test_names_compared_word_by_word(a: str, b: str, level: str) -> None:
    assert compare(_p("a", a), _p("b", b))["name"] == level


def test_sole_candidates_between_systems_holding_each_person_once() -> None:
    records = {f"{s}:{i}": profile(f"{s}:{i}", {"source_system": s, "name": f"P{i}"}, TODAY)
               for s in ("crm", "shop", "web") for i in range(4)}  # fmt: skip
    model = estimate_model(list(records.values()))

    def link(a: str, b: str, weight: float, birth: str = "exact") -> Link:
        return Link(a, b, weight, "probabilistic", {"birth_date": (birth, weight)})

    one = frozenset({"crm", "shop"})
    sole = link("crm:0", "shop:0", SOLE_WEIGHT + 0.5)
    rival = link("crm:1", "shop:1", SOLE_WEIGHT + 0.5)
    close_second = link("crm:2", "shop:1", SOLE_WEIGHT - 1)  # shop:1 has a rival in crm
    conflict = link("crm:3", "shop:3", SOLE_WEIGHT + 0.5, birth="different")
    weak = link("crm:2", "shop:2", SOLE_WEIGHT - 0.5)
    web = link("crm:3", "web:3", SOLE_WEIGHT + 0.5)  # web may hold a person twice
    links = [sole, rival, close_second, conflict, weak, web]
    assert sole_candidates(links, records, one, model) == [sole]


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("6 Saltash Place, Section", "6 Section Saltash Place", "similar"),  # words reordered
        ("3 Hindmarsh Drive Green Desert", "3 Hindmarsh Drive", "similar"),  # a line missing
        ("3 Hindmarsh Drive", "5 Hindmarsh Drive Green Desert", "postal"),  # another house
        ("12 Main Street", "12 Main St", "exact"),
        ("1 Long Road", "97 Quay Esplanade", "postal"),
        # The same house number in the postal code, the street mistyped past recognition
        # or replaced.
        ("12 Fryer Place Tatyara", "12 Troughton Street", "number"),
        ("4 Northam Street Unit 206", "206 Northam Road 4", "number"),
        ("Fryer Place", "Troughton Street", "postal"),  # no house numbers to agree on
    ],
)
def test_address_levels(a: str, b: str, level: str) -> None:
    levels = compare(_p("a", "Ann Lee", address=a, postal_code="2000"),
                     _p("b", "Ann Lee", address=b, postal_code="2000"))  # fmt: skip
    assert levels["address"] == level


def test_an_address_number_is_no_agreement_across_postal_codes() -> None:
    levels = compare(_p("a", "Ann Lee", address="12 Fryer Place", postal_code="2000"),
                     _p("b", "Ann Lee", address="12 Troughton Street", postal_code="2001"))  # fmt: skip
    assert levels["address"] == "different"


def _other_given_pool(households: bool) -> tuple[Model, list[Profile]]:
    """A population where Smith is common and Berryman rare, with its model."""
    names = [f"{given} Smith" for given in ("Ann", "Bob", "Cara", "Dan", "Eve", "Fay")] * 20
    letters = "bcdfghjklmnprstvwz"
    names += [f"Ja{a}{b}o Mo{b}{a}ey" for a in letters for b in letters]  # 324 names, each once
    names += ["Kelsy Berryman", "Phoebe Berryman"]
    profiles = [_p(f"crm:{i}", name) for i, name in enumerate(names)]
    model = estimate_model(profiles)
    model.households = households
    return model, profiles


@pytest.mark.parametrize("households", [False, True])
def test_another_given_name_under_a_rare_family_name_weighs_more(households: bool) -> None:
    model, profiles = _other_given_pool(households)
    by_name = {p.name: p for p in profiles}
    rare = score(by_name["Kelsy Berryman"], by_name["Phoebe Berryman"], model)
    common = score(by_name["Ann Smith"], by_name["Bob Smith"], model)
    assert rare.evidence["name"][0] == common.evidence["name"][0] == "other_given"
    plain = model.weight("name", "other_given", by_name["Ann Smith"])
    if households:
        # Relatives at most, rare or common: never more than wholly different names.
        different = model.weight("name", "different", by_name["Ann Smith"])
        assert rare.evidence["name"][1] == round(different, 3)
        assert common.evidence["name"][1] <= round(different, 3)
    else:
        # Berryman: carried by 2 of 446 records, adds the most there is to add; Smith (120
        # of 446) takes away.
        assert rare.evidence["name"][1] == round(plain + SHARED_WORD_BITS, 3)
        assert common.evidence["name"][1] < plain
    # The model keeps the shares of the common words only: Smith, not Berryman.
    assert "smith" in model.word_share
    assert "berryman" not in model.word_share


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ({"given_name": "Blake", "family_name": "Mason"}, {"name": "Mason Blake"}, "swapped"),
        ({"name": "Wang Wei"}, {"name": "Wei Wang"}, "swapped"),
        # Written in characters, a name's order in Latin letters says nothing.
        ({"name": "王伟"}, {"name": "Wei Wang"}, "exact"),
        ({"name": "王伟"}, {"name": "Wang Wei"}, "exact"),
        ({"given_name": "Blake", "family_name": "Mason"}, {"name": "Blake Mason"}, "exact"),
    ],
)
def test_names_of_the_same_words_in_another_order_are_swapped(
    a: dict[str, str], b: dict[str, str], level: str
) -> None:
    assert compare(profile("x:1", a, TODAY), profile("y:1", b, TODAY))["name"] == level


@pytest.mark.parametrize("both_orders", [False, True])
def test_a_swapped_name_weighs_as_often_as_random_pairs_swap(both_orders: bool) -> None:
    """Blake Mason and Mason Blake, born apart in other towns: the issue's false merge.
    A swapped name weighs by the name's frequency and by how often random pairs of
    records carry one name in two orders: where different people often do (a
    population of Blake Masons and Mason Blakes), less than the same name; where hardly
    anyone does, a swap is rarer by chance than one person's records written both ways,
    and weighs more."""
    population = _population()
    if both_orders:
        population += [
            _p(f"p:{i}", "Blake Mason" if i % 2 else "Mason Blake", birth_date=f"19{40 + i}-05-05")
            for i in range(60)
        ]
    blake = _p("crm:b1", "Blake Mason", birth_date="1980-03-04", postal_code="2000")
    mason = _p("web:b2", "Mason Blake", birth_date="1980-03-14", postal_code="3000")
    again = _p("web:b3", "Blake Mason", birth_date="1980-03-14", postal_code="3000")
    model = estimate_model([*population, blake, mason, again])
    swapped, same = score(blake, mason, model), score(blake, again, model)
    assert swapped.evidence["name"][0] == "swapped"
    assert same.evidence["name"][0] == "exact"
    u = model.u["name"]
    expected = same.evidence["name"][1] + math.log2(
        model.m["name"]["swapped"] / model.m["name"]["exact"] * u["exact"] / u["swapped"]
    )
    assert swapped.evidence["name"][1] == pytest.approx(expected, abs=0.002)
    if both_orders:
        assert swapped.evidence["name"][1] < same.evidence["name"][1]
        assert not is_link(swapped)
    else:
        assert swapped.evidence["name"][1] > same.evidence["name"][1]


def test_a_model_from_before_the_swapped_level_weighs_a_swap_as_the_same_name() -> None:
    population = _population()
    model = estimate_model(population)
    del model.u["name"]["swapped"]
    blake = _p("crm:b1", "Blake Mason")
    mason = _p("web:b2", "Mason Blake")
    assert score(blake, mason, model).evidence["name"] == (
        "swapped",
        round(model.weight("name", "exact", blake), 3),
    )


def test_records_at_a_generic_address_get_no_household_correction() -> None:
    """A care home's 30 residents are no household: two records of one name there, born
    years apart, weigh their name and birth dates as anywhere (and the address by its
    share of the records), not as a parent and child of one name at home (``household:
    namesakes``)."""
    residents = [
        _p(f"crm:r{i}", f"Resident{chr(97 + i % 26)} Family{chr(97 + i // 26)}",
           address="8203 West Farwell Avenue", postal_code="60645")
        for i in range(30)
    ]  # fmt: skip

    def landon(key: str, born: str, address: str) -> Profile:
        return _p(key, "Landon Foster", birth_date=born, address=address, postal_code="60645")

    care = [landon("census:1", "1997-10-13", "8203 West Farwell Avenue"),
            landon("w2:1", "1940-02-02", "8203 West Farwell Avenue")]  # fmt: skip
    home = [landon("census:2", "1997-10-13", "12 Elm Street"),
            landon("w2:2", "1940-02-02", "12 Elm Street")]  # fmt: skip
    model = estimate_model([*_population(), *residents, *care, *home])
    assert model.is_generic("address", care[0])
    at_care_home = score(*care, model)
    assert "household" not in at_care_home.evidence
    # The address weighs as its share of the records says (test_generic_address.py).
    shared = model.generic_address_weight(care[0])
    assert 0 < shared < model.weight("address", "exact", home[0])
    assert at_care_home.evidence["address"] == ("exact", round(shared, 3))
    assert at_care_home.weight == pytest.approx(
        sum(at_care_home.evidence[f][1] for f in ("name", "birth_date", "address")), abs=0.003
    )
    assert score(*home, model).evidence["household"][0] == "namesakes"  # a home is one


@pytest.mark.parametrize("against", [False, True])
def test_without_households_a_strong_link_outweighs_a_little_evidence_against(
    against: bool,
) -> None:
    """Data without households: a record joins a cluster when its link there, less the
    strongest evidence against among the pairs across, still reaches the merge weight
    (apart_floor). Aidan's record at his old home (A) links to B there at 14.5 without
    a birth date; B and C (moved, same birth date) are one; A and C share only the name
    (-1.4: joined) — or also two different emails (-4.8: more against than 14.5 - 12)."""
    email_a = {"email": "aidan@example.com"} if against else {}
    email_c = {"email": "ab1998@example.org"} if against else {}
    a = _p("crm:a", "Aidan Blackwell", birth_date="1967-06-17",
           address="24 Eddy Crescent Crosshills", postal_code="2121", **email_a)  # fmt: skip
    b = _p("crm:b", "Aidan Blackwell", birth_date="1998-09-11",
           address="24 Eddy Crescent Crosshills", postal_code="2121")  # fmt: skip
    c = _p("crm:c", "Aidan Blackwell", birth_date="1998-09-11", address="7 Other Road",
           postal_code="2999", **email_c)  # fmt: skip
    records = [*_population(), a, b, c]
    model = estimate_model(records)
    model.households, model.m_fitted = False, True
    link, across = score(a, b, model), score(a, c, model)
    assert 12 < link.weight < 15
    assert (-3 < across.weight < 0) != against
    assert apart_floor(link) == pytest.approx(AUTO_MERGE_WEIGHT - link.weight)
    clusters = [cl for cl in resolve(records, model).clusters if "crm:b" in cl]
    assert clusters == ([["crm:b", "crm:c"]] if against else [["crm:a", "crm:b", "crm:c"]])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # FEBRL's Kimmonth: one house, its postal code mistyped, a given name replaced.
        (("Amelia Kimmonth", "25 Grace Place Welikrak", "2012"),
         ("Mitchell Kimmonth", "25 Grace Place Welikeak", "2022")),
        # FEBRL's Nicole: no house number, the postal code mistyped, the family name
        # replaced; her given name and her street remain.
        (("Nicole Brooker", "Mctaggart Crescent Moaa", "3044"),
         ("Nicole Bridgeland", "Mctaggart Crescent Moama", "6069")),
    ],
)  # fmt: skip
def test_without_households_a_house_or_a_name_on_a_street_is_compared(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    """Where the data hold households such pairs are neighbours or namesakes across towns
    and are not compared; where they hold none, they are (blocking_keys)."""
    from identity.blocking import candidate_codes

    records = [
        *_population(),
        *(_p(f"a:{n}", name, address=address, postal_code=postal)
          for n, (name, address, postal) in enumerate((first, second))),
    ]  # fmt: skip
    n = len(records)
    pair = (n - 2) * n + (n - 1)
    assert pair in candidate_codes(records, {}, households=False)[0]
    assert pair not in candidate_codes(records, {})[0]


def test_before_any_batch_run_gender_weighs_as_one_of_two_values() -> None:
    """A store with no estimated model yet: agreeing on gender must not weigh as a rare
    value does (1 in 10,000), which alone would near the merge weight."""
    from identity.model_store import DEFAULT_U

    model = Model({f: dict(u) for f, u in DEFAULT_U.items()}, {}, {}, 1_000_000)
    ann = _p("a", "Robin Quell", gender="female")
    assert 0 < model.weight("gender", "exact", ann) < 1


@given(
    st.dates(date(1900, 1, 1), date(2030, 12, 31)), st.dates(date(1900, 1, 1), date(2030, 12, 31))
)
def test_a_birth_level_is_the_same_whichever_date_comes_first(x: date, y: date) -> None:
    """Resolve compares each pair of values once, in one order: the level may not
    depend on it."""
    a, b = x.isoformat(), y.isoformat()
    assert birth_dates_level(a, b) == birth_dates_level(b, a)
    # Two slips are never claimed for dates one slip or less apart.
    if birth_dates_level(a, b) == "slips":
        assert not near_birth_dates(a, b)
        assert a != b


def test_an_email_or_phone_one_typo_apart_is_close() -> None:
    ann = _p("a", "Ann Lee", email="ann.lee@example.com", phone="+61414035151")
    typo = _p("b", "Ann Lee", email="ann.lea@example.com", phone="+61414035115")
    other = _p("c", "Ann Lee", email="lee.ann@example.com", phone="+61414035999")
    assert (compare(ann, typo)["email"], compare(ann, typo)["phone"]) == ("close", "close")
    assert (compare(ann, other)["email"], compare(ann, other)["phone"]) == ("different",) * 2
    model = estimate_model([*_population(), ann, typo, other])
    assert score(ann, typo, model).weight > score(ann, other, model).weight
    # Only digits apart: the number that tells two people of one name apart.
    born_82 = _p("d", "Margaret Sinclair", email="margaretsinclair82@example.com")
    born_52 = _p("e", "Margaret Sinclair", email="margaretsinclair52@example.com")
    assert compare(born_82, born_52)["email"] == "different"
