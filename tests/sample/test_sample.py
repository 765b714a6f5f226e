"""The sample generator: deterministic, realistic enough to load, bad exactly where planted."""

from __future__ import annotations

import csv
import filecmp
import json
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from loaders.directory import plan_directory
from loaders.pipeline import LoadSummary, load_file
from sample.generator import generate_sample
from tests.support.store_file import dump


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "s"
    generate_sample(400, 7, out)
    return out


def _load_all(sample: Path, store: EmbeddedStore, rejects: Path) -> list[LoadSummary]:
    plan = plan_directory(sample, None)
    assert [p.name for p, _ in plan.skipped] == ["third_party_demographics.csv"]
    return [
        load_file(
            store,
            item.kind,
            item.path,
            item.system,
            rejects_path=rejects / f"{item.path.name}.jsonl",
        )
        for item in plan.loads
    ]


def test_same_seed_same_bytes(sample: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_sample(400, 7, again)
    names = sorted(p.name for p in sample.iterdir() if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(sample, again, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert len(match) == 23
    other = tmp_path / "other"
    generate_sample(400, 8, other)
    assert not filecmp.cmp(
        sample / "billing.customers.csv", other / "billing.customers.csv", shallow=False
    )


def test_every_planted_record_and_nothing_else_is_rejected_then_reload_is_a_no_op(
    sample: Path, tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    summaries = _load_all(sample, store, tmp_path / "rejects")
    rejected = set()
    for s in summaries:
        if s.rejected:
            assert s.rejects_path is not None
            for line in s.rejects_path.read_text().splitlines():
                entry = json.loads(line)
                assert entry["reasons"], entry
                rejected.add((Path(entry["source_file"]).name, entry["line"]))
    with (sample / "truth" / "planted_rejects.csv").open() as f:
        planted_rows = list(csv.DictReader(f))
    # A birth date that is no date, or in the future, is flagged and kept, not a reject
    # (issue 16): those two planted records load.
    flagged = {"impossible date", "birth date in the future"}
    planted = {(row["file"], int(row["line"])) for row in planted_rows if row["why"] not in flagged}
    loads = sum(row["why"] in flagged for row in planted_rows)
    assert loads == 2
    assert len(planted) >= 15
    assert rejected == planted
    assert sum(s.loaded for s in summaries) > 10_000

    with (sample / "truth" / "identity.csv").open() as f:
        source_records = sum(1 for _ in csv.DictReader(f))
    source_records += loads  # the flagged planted ones belong to nobody in the truth
    counts = store.counts()
    assert counts.nodes["SourceRecord"] == source_records
    assert counts.nodes["Customer"] == source_records  # one each until identity resolution
    assert counts.relationships["RESOLVED_TO"] == source_records
    for label in (
        "Household",
        "Holding",
        "Purchase",
        "Touchpoint",
        "Campaign",
        "Consent",
        "CreditProfile",
        "Agent",
    ):
        assert counts.nodes[label] > 0, label
    for rel in (
        "MEMBER_OF",
        "HOLDS",
        "MADE",
        "INCLUDES",
        "HAD_TOUCHPOINT",
        "RESPONDED_TO",
        "RELATED_TO",
        "OWNED_BY",
    ):
        assert counts.relationships[rel] > 0, rel

    before = dump(store.path)
    again = _load_all(sample, store, tmp_path / "rejects2")
    assert sum(s.nodes_written + s.relationships_written for s in again) == 0
    assert dump(store.path) == before
    store.close()


def test_the_epcis_stream_captures_cleanly_and_joins_the_customers(
    sample: Path, tmp_path: Path
) -> None:
    from epcis.capture import capture
    from epcis.documents import read_documents
    from loaders.rejects import RejectsFile
    from queries.engine import run_query
    from sample.epcis import store_gln

    plan = plan_directory(sample, None)
    assert [p.name for p in plan.captures] == ["supplychain.epcis.jsonl"]
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    _load_all(sample, store, tmp_path / "rejects")
    rejects = RejectsFile(tmp_path / "epcis.rejects.jsonl", "sample", "epcis")
    summary = capture(store, read_documents(plan.captures[0]), rejects)
    rejects.close()
    assert summary.rejected == summary.refused_documents == 0
    lines = [json.loads(line) for line in plan.captures[0].read_text().splitlines()]
    events = [e for e in lines if e["type"] != "EPCISDocument"]  # line 1: master data
    assert summary.master_data > 0
    assert len(events) == summary.captured > 500
    times = [e["eventTime"] for e in events if "errorDeclaration" not in e]
    assert times == sorted(times)  # a retraction comes when it is declared, later
    steps = {e.get("bizStep") for e in events}
    assert {"commissioning", "packing", "shipping", "receiving", "unpacking", "stocking",
            "retail_selling", "arriving", "collecting"} <= steps  # fmt: skip
    assert any("errorDeclaration" in e for e in events)
    counts = store.counts()
    sold = [e for e in events if e.get("bizTransactionList")]
    # Every unit sold is linked to its buyer: the purchases the events name were loaded.
    assert counts.relationships["SOLD_TO"] == len({epc for e in sold for epc in e["epcList"]})
    assert counts.nodes["ShelfActivity"] > 0
    assert counts.relationships["CONTAINS"] > 0
    stores = {store_gln(i) for i in range(1, 21)}
    interactions = [
        i
        for s in sorted(stores)
        for i in run_query(
            store,
            "shelf_interactions",
            store=s,
            product="",
            **{"from": "2026-01-01", "to": "2026-12-01"},
        )
    ]
    assert sum(i.pickups for i in interactions) > sum(i.putdowns for i in interactions) > 0
    assert all(i.purchased > 0 and i.conversion for i in interactions)
    recycled = {epc for e in events if e.get("bizStep") == "collecting" for epc in e["epcList"]}
    statuses = {run_query(store, "end_of_life", epc=epc).status for epc in sorted(recycled)}
    assert statuses == {"recycled"}
    store.close()


def test_no_account_costs_more_than_20_times_its_list_price_yet_value_keeps_a_long_tail(
    sample: Path,
) -> None:
    with (sample / "catalog.products.csv").open(newline="") as f:
        price = {r["product_id"]: float(r["price"]) for r in csv.DictReader(f) if r["price"]}
    monthly: dict[str, float] = {}
    accounts: dict[str, int] = {}
    with (sample / "billing.holdings.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if not row["monthly_value"] or row["product_id"] not in price:
                continue  # planted bad rows
            value = float(row["monthly_value"])
            assert 0 < value <= 20 * price[row["product_id"]], row
            if row["status"] == "active":
                who = row["customer_id"]
                monthly[who] = monthly.get(who, 0.0) + value
                accounts[who] = accounts.get(who, 0) + 1
    totals = sorted(monthly.values())
    # The biggest customers are big because they hold more, not because they pay more.
    assert totals[-1] > 10 * totals[len(totals) // 2]
    assert max(accounts.values()) > 6


def test_the_documented_customers_and_their_phone_are_in_every_sample(tmp_path: Path) -> None:
    from epcis.capture import capture
    from epcis.documents import read_documents
    from identity.resolve import resolve_store
    from loaders.rejects import RejectsFile
    from queries.engine import run_query
    from sample import showcase as show
    from scoring.segments import assign_segments

    out = tmp_path / "small"
    generate_sample(60, 3, out, as_of=date(2026, 3, 1))
    store = EmbeddedStore(tmp_path / "kb.sqlite")
    store.apply_schema()
    _load_all(out, store, tmp_path / "rejects")
    plan = plan_directory(out, None)
    rejects = RejectsFile(tmp_path / "epcis.rejects.jsonl", "sample", "epcis")
    capture(store, read_documents(plan.captures[0]), rejects)
    rejects.close()
    resolve_store(store, date(2026, 3, 1))
    assign_segments(store, date(2026, 3, 1))
    wang = run_query(store, "customer_360", customerId=show.WANG_WEI, first=200)
    assert wang.customer["name"] == "王伟"
    assert wang.customer["value_tier"] == "gold"
    assert {s.system for s in wang.sources} == {"billing", "webshop", "callcenter", "stores"}
    members = {m.customer_id: m.role for m in wang.household_members}
    assert members == {show.WANG_WEI: "head", show.LI_NA: "partner", show.WANG_XIAOMING: "child"}
    complaints = {t.occurred_at for t in wang.touchpoints if t.kind == "complaint"}
    assert "2026-02-26T09:40:00Z" in complaints
    items = run_query(store, "customer_items", customerId=show.WANG_WEI, first=5)
    assert sorted(i.epc for i in items) == sorted([show.WANG_WEI_PHONE, show.WANG_WEI_KETTLE])
    ended = run_query(store, "end_of_life", epc=show.WANG_WEI_KETTLE)
    assert ended is not None
    assert ended.status == "recycled"
    path = run_query(
        store, "relationship_path", fromId=show.WANG_WEI, toId=show.MARY_JONES, maxHops=4
    )
    assert path, "Wang Wei referred John Smith, who referred Mary Jones"
    store.close()
