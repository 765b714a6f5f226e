"""The load path end to end on the embedded store: rejects, references, idempotency."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from loaders.directory import plan_directory
from loaders.pipeline import UnknownKindError, load_file
from loaders.record_rows import singleton_customer_id
from loaders.sources import SourceFileError
from sample.generator import generate_sample
from tests.support.loader_files import load_text, read_rejects, write_file
from tests.support.store_file import dump


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "kb.sqlite")
    write_file(
        tmp_path / "lines.csv", "line_id,name,industry\nmobile,Mobile,telco\nsavings,Savings,bank\n"
    )
    write_file(
        tmp_path / "products.csv",
        "product_id,name,line_id\nMOB,Mobile 10GB,mobile\nSAV,Saver,savings\n",
    )
    load_file(
        s, "product_lines", tmp_path / "lines.csv", "catalog", rejects_path=tmp_path / "r0.jsonl"
    )
    load_file(
        s, "products", tmp_path / "products.csv", "catalog", rejects_path=tmp_path / "r1.jsonl"
    )
    return s


CUSTOMERS = (
    "source_record_id,name,email,birth_date,phone\n"
    "1,Ann Lee,ann@example.com,1980-01-02,+4790000001\n"
    "2,,,1985-02-30,\n"
    "3,Cai Wen,not-mail,,\n"
    "4,Dee Park,dee@example.com,,\n"
)


def test_customers_load_with_provenance_and_rejects_keep_line_and_reasons(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    summary = load_text(
        store,
        "customers",
        tmp_path / "c.csv",
        CUSTOMERS,
        "billing",
        rejects_path=tmp_path / "rej.jsonl",
    )
    assert (summary.read, summary.loaded, summary.rejected) == (4, 2, 2)
    rejects = read_rejects(tmp_path / "rej.jsonl")
    assert [(r["line"], r["reasons"]) for r in rejects] == [
        (
            3,
            [
                "needs a name (name, or given_name / family_name), or an email, "
                "phone or national_id, or a birth_date with an address"
            ],
        ),
        (4, ["email: not an email address (got 'not-mail')"]),
    ]
    assert rejects[0]["record"]["birth_date"] == "1985-02-30"  # type: ignore[index]
    assert rejects[0]["source_file"] == str(tmp_path / "c.csv")
    source = store.get_node("SourceRecord", "billing:1")
    assert source is not None
    assert source.props["source_system"] == "billing"
    assert source.props["source_record_id"] == "1"
    golden_id = singleton_customer_id("billing", "1")
    [link] = store.neighbours("SourceRecord", "billing:1", "RESOLVED_TO")
    assert link.node.key == golden_id
    assert link.edge.props["rule"] == "singleton"
    assert "resolved_at" in link.edge.props
    customer = link.node.props
    assert (customer["name"], customer["name_normalized"], customer["email"]) == (
        "Ann Lee",
        "ann lee",
        "ann@example.com",
    )
    assert customer["loaded_at"] == customer["updated_at"]


def test_reloading_changes_nothing_and_a_changed_record_updates_in_place(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    path = write_file(tmp_path / "c.csv", CUSTOMERS)
    load_file(store, "customers", path, "billing", rejects_path=tmp_path / "r.jsonl")
    before = dump(store.path)
    again = load_file(store, "customers", path, "billing", rejects_path=tmp_path / "r.jsonl")
    assert (again.loaded, again.nodes_written, again.relationships_written) == (2, 0, 0)
    assert dump(store.path) == before
    write_file(path, CUSTOMERS.replace("dee@example.com", "dee@new.example"))
    load_file(
        store,
        "customers",
        path,
        "billing",
        rejects_path=tmp_path / "r.jsonl",
        now="2030-01-01T00:00:00Z",
    )
    dee = store.get_node("SourceRecord", "billing:4")
    ann = store.get_node("SourceRecord", "billing:1")
    assert dee is not None
    assert ann is not None
    assert dee.props["email"] == "dee@new.example"
    assert dee.props["loaded_at"] == "2030-01-01T00:00:00Z"
    assert ann.props["loaded_at"] != "2030-01-01T00:00:00Z"
    assert store.counts().nodes["SourceRecord"] == 2


def test_references_are_checked_and_unknown_ones_rejected(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    load_text(
        store,
        "customers",
        tmp_path / "c.csv",
        CUSTOMERS,
        "billing",
        rejects_path=tmp_path / "r.jsonl",
    )
    holdings = write_file(
        tmp_path / "h.jsonl",
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "account_id": "a1",
                    "customer_id": "1",
                    "product_id": "MOB",
                    "status": "active",
                    "opened_on": "2021-01-01",
                    "monthly_value": 20,
                },
                {
                    "account_id": "a2",
                    "customer_id": "99",
                    "product_id": "MOB",
                    "status": "active",
                    "opened_on": "2021-01-01",
                },
                {
                    "account_id": "a3",
                    "customer_id": "1",
                    "product_id": "NOPE",
                    "status": "active",
                    "opened_on": "2021-01-01",
                },
                {
                    "account_id": "a4",
                    "customer_id": "4",
                    "customer_system": "billing",
                    "product_id": "SAV",
                    "status": "active",
                    "opened_on": "2021-01-01",
                    "unexpected": "x",
                },
                {
                    "account_id": "a5",
                    "ckb_customer_id": singleton_customer_id("billing", "1"),
                    "product_id": "SAV",
                    "status": "active",
                    "opened_on": "2022-01-01",
                },
            ]
        ),
    )
    summary = load_file(store, "holdings", holdings, "billing", rejects_path=tmp_path / "rh.jsonl")
    assert (summary.loaded, summary.rejected) == (3, 2)
    assert summary.ignored_fields == {"unexpected"}
    assert [(r["line"], r["reasons"]) for r in read_rejects(tmp_path / "rh.jsonl")] == [
        (2, ["unknown customer 'billing:99' (system:id)"]),
        (3, ["unknown product 'NOPE'"]),
    ]
    ann = singleton_customer_id("billing", "1")
    assert [n.node.key for n in store.neighbours("Customer", ann, "HOLDS")] == ["a1", "a5"]
    assert [n.node.key for n in store.neighbours("Holding", "a1", "OF_PRODUCT")] == ["MOB"]


def test_touchpoints_link_channel_campaign_and_agent(tmp_path: Path, store: EmbeddedStore) -> None:
    load_text(
        store,
        "customers",
        tmp_path / "c.csv",
        CUSTOMERS,
        "callcenter",
        rejects_path=tmp_path / "r.jsonl",
    )
    load_text(
        store,
        "agents",
        tmp_path / "a.csv",
        "agent_id,name\nAG1,Eve\n",
        "hr",
        rejects_path=tmp_path / "r.jsonl",
    )
    load_text(
        store,
        "campaigns",
        tmp_path / "k.csv",
        "campaign_id,name,line_id\nK1,Spring,mobile\n",
        "mkt",
        rejects_path=tmp_path / "r.jsonl",
    )
    tps = write_file(
        tmp_path / "t.csv",
        "touchpoint_id,customer_id,occurred_at,channel,kind,resolution_status,agent_id,campaign_id,response,converted\n"
        "t1,1,2025-01-01T10:00:00Z,call_center,complaint,open,AG1,,,\n"
        "t2,1,2025-02-01T10:00:00Z,email,campaign_response,,,K1,converted,true\n"
        "t3,1,2025-02-01T10:00:00Z,call_center,complaint,open,AG9,,,\n",
    )
    summary = load_file(store, "touchpoints", tps, "callcenter", rejects_path=tmp_path / "rt.jsonl")
    assert (summary.loaded, summary.rejected) == (2, 1)
    assert read_rejects(tmp_path / "rt.jsonl")[0]["reasons"] == ["unknown agent 'AG9'"]
    ann = singleton_customer_id("callcenter", "1")
    assert [n.node.key for n in store.neighbours("Customer", ann, "HAD_TOUCHPOINT")] == ["t1", "t2"]
    assert [n.node.key for n in store.neighbours("Touchpoint", "t1")] == ["AG1", "call_center"]
    [resp] = store.neighbours("Touchpoint", "t2", "RESPONDED_TO")
    assert (resp.node.key, resp.edge.props) == ("K1", {"converted": True})
    assert store.degree("Channel", "call_center", "VIA", "in") == 1


def test_unknown_kind_is_refused(tmp_path: Path, store: EmbeddedStore) -> None:
    with pytest.raises(UnknownKindError, match="unknown record kind 'clients'"):
        load_file(store, "clients", tmp_path / "x.csv", "billing")


def test_a_load_without_rejects_removes_a_stale_rejects_file(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    rejects = tmp_path / "r.jsonl"
    load_text(store, "customers", tmp_path / "c.csv", CUSTOMERS, "billing", rejects_path=rejects)
    assert rejects.exists()
    load_text(
        store,
        "customers",
        tmp_path / "c.csv",
        "source_record_id,name\n9,Zed\n",
        "billing",
        rejects_path=rejects,
    )
    assert not rejects.exists()


# --------------------------------------------------------------- the parallel file load


def _load_sample(
    sample: Path, store_path: Path, rejects: Path, parallel: set[str]
) -> list[tuple[object, ...]]:
    with EmbeddedStore(store_path) as s:
        for item in plan_directory(sample, None).loads:
            os.environ["CKB_LOAD_PARALLEL"] = "1" if item.kind in parallel else "0"
            load_file(
                s,
                item.kind,
                item.path,
                item.system,
                rejects_path=rejects / f"{item.path.name}.jsonl",
                batch_size=200,  # several batches in flight through the pipes
                now="2026-11-23T00:00:00Z",
            )
    return dump(store_path)


def _all_rejects(rejects: Path) -> dict[str, list[tuple[object, ...]]]:
    return {
        p.name: sorted(
            (r["line"], json.dumps(r["record"], sort_keys=True), tuple(r["reasons"]))
            for r in read_rejects(p)
        )
        for p in sorted(rejects.glob("*.jsonl"))
    }


def test_a_load_read_by_a_second_process_writes_the_same_graph_and_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "sample"
    generate_sample(120, 3, sample)
    monkeypatch.setenv("CKB_LOAD_PARALLEL", "0")  # restored after the test
    alone = _load_sample(sample, tmp_path / "alone.sqlite", tmp_path / "r-alone", set())
    planted = _all_rejects(tmp_path / "r-alone")
    assert len(alone) > 4000
    assert sum(map(len, planted.values())) > 0
    # Two readers: batches dealt out in turn and taken back in order.
    monkeypatch.setenv("CKB_LOAD_READERS", "2")
    kinds = {"customers", "holdings", "purchases", "touchpoints", "consents", "relationships"}
    paired = _load_sample(sample, tmp_path / "paired.sqlite", tmp_path / "r-paired", kinds)
    assert paired == alone
    assert _all_rejects(tmp_path / "r-paired") == planted


def test_a_parallel_load_keeps_the_raw_form_of_records_rejected_for_references(
    tmp_path: Path, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CKB_LOAD_PARALLEL", "1")
    opened = "2021-01-01"
    rows = [
        {"account_id": "a1", "customer_id": "7", "product_id": "MOB", "opened_on": opened},
        {"account_id": "a2", "customer_id": "8", "product_id": "MOB", "opened_on": opened},
    ]
    rows[0]["status"], rows[1]["status"] = "active", "gone"
    path = write_file(tmp_path / "h.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    summary = load_file(store, "holdings", path, "billing", rejects_path=tmp_path / "r.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (2, 0, 2)
    found = read_rejects(tmp_path / "r.jsonl")
    # The invalid record comes back from the reading process; the unknown customer's raw
    # record is read again from the file.
    assert [(r["line"], r["record"]) for r in found] == [(2, rows[1]), (1, rows[0])]
    assert found[1]["reasons"] == ["unknown customer 'billing:7' (system:id)"]


def test_a_file_the_second_process_cannot_read_fails_the_load_as_it_would_alone(
    tmp_path: Path, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "c.csv.gz"
    broken.write_bytes(gzip.compress(CUSTOMERS.encode())[:-12])
    for parallel in ("0", "1"):
        monkeypatch.setenv("CKB_LOAD_PARALLEL", parallel)
        with pytest.raises(SourceFileError, match="unreadable"):
            load_file(store, "customers", broken, "billing", rejects_path=tmp_path / "r.jsonl")


def test_a_bulk_load_commits_every_few_batches_and_a_failure_undoes_only_the_open_group(
    tmp_path: Path, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"{i},Person {i},p{i}@example.com\n" for i in range(1, 151))
    path = write_file(tmp_path / "crm.csv", "source_record_id,name,email\n" + rows)
    commits: list[int] = []
    original = store._commit

    def counting_commit(conn: object) -> None:
        commits.append(store.counts().nodes["SourceRecord"])
        original(conn)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_commit", counting_commit)
    # 15 batches of 10: two transactions, of 10 batches and of 5.
    load_file(store, "customers", path, "crm", rejects_path=tmp_path / "r.jsonl", batch_size=10)
    assert commits == [100, 150]

    # A failure in the 13th batch: the first group of ten stands, the open one is undone.
    again = write_file(tmp_path / "crm2.csv", "source_record_id,name,email\n" + rows)
    seen = 0
    upsert = store.upsert_nodes

    def failing(label: str, *args: object, **kwargs: object) -> object:
        nonlocal seen
        if label == "SourceRecord":
            seen += 1
            if seen == 13:
                raise OSError("disk gone")
        return upsert(label, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "upsert_nodes", failing)
    with pytest.raises(OSError, match="disk gone"):
        load_file(
            store, "customers", again, "crm2", rejects_path=tmp_path / "r2.jsonl", batch_size=10
        )
    assert len(store.find_nodes("SourceRecord", "source_system", "crm2", limit=1000)) == 100


def test_a_store_purchase_carries_its_store_sale_key_and_shelf_interactions_counts_it(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    from epcis.epc import canonical_epc
    from queries.engine import run_query

    load_text(store, "customers", tmp_path / "c.csv", CUSTOMERS, "billing")
    gln = "urn:epc:id:sgln:0614141.00777.0"
    purchases = write_file(
        tmp_path / "p.csv",
        "purchase_id,customer_id,purchased_at,product_id,quantity,amount,store_id\n"
        f"O1,1,2026-05-01T12:30:00+02:00,MOB,2,10.0,{gln}\n"
        "O2,1,2026-05-01T13:00:00Z,SAV,1,5.0,\n",
        # An online purchase has no store.
    )
    summary = load_file(store, "purchases", purchases, "billing", rejects_path=tmp_path / "r.jsonl")
    assert (summary.loaded, summary.rejected) == (2, 0)
    o1, o2 = store.get_node("Purchase", "O1"), store.get_node("Purchase", "O2")
    assert o1 is not None
    assert o2 is not None
    key = canonical_epc(gln)  # the store as its shelf readers' events name it
    assert o1.props["store_sale"] == f"{key}|2026-05-01T10:30:00Z"
    assert "store_sale" not in o2.props
    sold = run_query(
        store,
        "shelf_interactions",
        store=gln,
        product="",
        **{"from": "2026-05-01", "to": "2026-05-02"},
    )
    assert sold == []  # no shelf reads at this store: nothing to convert
    made = store.find_range("Purchase", "store_sale", f"{key}|2026-05-01", f"{key}|2026-05-02")
    assert [n.key for n in made] == ["O1"]
