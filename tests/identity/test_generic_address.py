"""An address many people share (a hall of residence, a care home) weighs by its share of
the records: agreeing on it is weaker evidence than on a family's home, but evidence still
(it used to weigh nothing, and two records of one resident with one name never merged).
``ckb resolve --explain`` weighs such a pair as the batch run did."""

from __future__ import annotations

import math
import random
from pathlib import Path

from graph.embedded import EmbeddedStore
from identity.explain import explain_pair
from identity.matching import AUTO_MERGE_WEIGHT, score
from identity.model import address_term, estimate_model
from identity.profile import Profile, profile
from identity.resolve import resolve_store
from loaders.pipeline import load_file
from tests.support.identity_fixtures import TODAY, customer_of

HALL = ("1 College Road", "10001")
GIVEN = [f"G{c}{d}ana" for c in "bcdfghjklm" for d in "aeiou"]  # 50 given names
FAMILY = [f"F{c}{d}son" for c in "bcdfghjklmnp" for d in "aeiou"]  # 60 family names
HEADER = "source_record_id,name,birth_date,address,postal_code,country\n"


def _rows(crowd: int, residents: int) -> list[str]:
    """``crowd`` people at homes of their own, ``residents`` more in the hall, then one
    resident (Landon Foster) a second time without his birth date: R1 and R2."""
    rnd = random.Random(3)
    names = [f"{g} {f}" for g in GIVEN for f in FAMILY]
    rnd.shuffle(names)
    rows = []
    for i in range(crowd + residents):
        born = f"19{rnd.randint(40, 99)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        street, postal = (f"{i} Birch Way", f"2{i:04d}") if i < crowd else HALL
        rows.append(f"X{i},{names[i]},{born},{street},{postal},US\n")
    rows.append(f"R1,Landon Foster,1997-10-13,{HALL[0]},{HALL[1]},US\n")
    rows.append(f"R2,Landon Foster,,{HALL[0]},{HALL[1]},US\n")
    return rows


def _profiles(rows: list[str]) -> list[Profile]:
    keys = HEADER.strip().split(",")
    found = []
    for row in rows:
        record = dict(zip(keys, row.strip().split(","), strict=True))
        found.append(profile(f"crm:{record['source_record_id']}", record, TODAY))
    return found


def test_agreeing_on_a_generic_address_weighs_by_its_share_of_the_records() -> None:
    profiles = _profiles(_rows(2000, 40))
    model = estimate_model(profiles)
    by_key = {p.key: p for p in profiles}
    resident, home = by_key["crm:R1"], by_key["crm:X0"]
    share = 42 / len(profiles)
    assert model.address_shares == {address_term(resident): share}
    assert model.is_generic("address", resident)
    assert not model.is_generic("address", home)
    ordinary = model.weight("address", "exact", home)
    assert model.weight("address", "exact", resident) == math.log2(
        model.m["address"]["exact"] / share
    )
    assert 0 < model.weight("address", "exact", resident) < ordinary
    # One resident's two records: his rare name and the hall together are a match; two
    # residents of other names share only the hall.
    same = score(resident, by_key["crm:R2"], model)
    assert same.evidence["address"] == (
        "exact",
        round(math.log2(model.m["address"]["exact"] / share), 3),
    )
    assert same.weight >= AUTO_MERGE_WEIGHT
    others = score(by_key["crm:X2000"], by_key["crm:X2001"], model)
    assert others.evidence["address"][0] == "exact"
    assert others.weight < 0


def test_a_resident_merges_and_explain_weighs_the_pair_as_the_run_did(tmp_path: Path) -> None:
    path = tmp_path / "crm.customers.csv"
    path.write_text(HEADER + "".join(_rows(2500, 40)), encoding="utf-8")
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    load_file(store, "customers", path, "crm", rejects_path=tmp_path / "rejects.jsonl")
    summary = resolve_store(store, TODAY)
    assert summary.resolution is not None
    assert customer_of(store, "crm:R1") == customer_of(store, "crm:R2")
    residents = {customer_of(store, f"crm:X{i}") for i in range(2500, 2540)}
    assert len(residents) == 40  # nobody else in the hall merged
    link = summary.resolution.links.between("crm:R1", "crm:R2")
    assert link is not None
    explained = explain_pair(store, "crm:R1", "crm:R2", TODAY)
    assert explained.link.weight == link.weight
    assert explained.link.evidence == link.evidence
    assert explained.verdict.startswith("merged")
    m, u = explained.chances["address"]
    assert explained.link.evidence["address"][1] == round(math.log2(m / u), 3)
    store.close()
