"""Rows staged ahead of the store (loaders/staging.py) load the same graph as rows the
store prepares itself: in the loading process or in reading processes, repeated keys,
rejected records and customer placeholders included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import loaders.pipeline
from graph.embedded import EmbeddedStore, staged_texts
from graph.embedded.texts import fold_staged
from graph.store import RelRow
from loaders.checking import check_batch
from loaders.kinds import KINDS
from loaders.pipeline import load_file
from loaders.record_rows import Props
from loaders.sources import read_records
from loaders.staging import StagedBatch, Stager, _plain_texts, without_repeats
from tests.support.store_file import dump

NOW = "2026-12-02T06:00:00Z"
TOUCH = {"loaded_at": NOW}

CUSTOMERS = "source_record_id,name,email\n1,Ann Lee,ann@example.com\n2,Bo Li,bo@example.com\n"
AGENTS = "agent_id,name\nAG1,Eve\n"
# t1 twice (the later row changes its outcome and clears its reason), an unknown customer,
# an unknown agent, a campaign response with a relationship property.
TOUCHPOINTS = (
    "touchpoint_id,customer_id,occurred_at,channel,kind,resolution_status,reason,outcome,"
    "agent_id,campaign_id,response,converted\n"
    "t1,1,2025-01-01T10:00:00Z,call_center,complaint,open,billing,open,AG1,,,\n"
    "t2,2,2025-02-01T10:00:00Z,email,campaign_response,,,,,K1,converted,true\n"
    "t3,9,2025-02-01T10:00:00Z,call_center,complaint,open,,,,,,\n"
    "t4,1,2025-03-01T10:00:00Z,call_center,complaint,open,,,AG9,,,\n"
    "t1,1,2025-01-01T10:00:00Z,call_center,complaint,resolved,,closed,AG1,,,\n"
)


def _load_all(folder: Path, store: EmbeddedStore) -> list[object]:
    """The customers, agents, campaign and touchpoints above; the touchpoints' rejects."""
    files = {
        "customers": ("callcenter", CUSTOMERS),
        "agents": ("hr", AGENTS),
        "campaigns": ("mkt", "campaign_id,name\nK1,Spring\n"),
        "touchpoints": ("callcenter", TOUCHPOINTS),
    }
    for kind, (system, text) in files.items():
        path = folder / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        load_file(store, kind, path, system, rejects_path=folder / f"{kind}.rejects", now=NOW)
    rejects = (folder / "touchpoints.rejects").read_text().splitlines()
    return [{k: v for k, v in json.loads(r).items() if k != "source_file"} for r in rejects]


def test_staged_loads_match_unstaged_in_process_and_in_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = {}
    for how in ("unstaged", "staged", "readers"):
        folder = tmp_path / how
        folder.mkdir()
        with monkeypatch.context() as patch:
            if how == "unstaged":  # the loader stages only for an EmbeddedStore
                patch.setattr(loaders.pipeline, "EmbeddedStore", type("Other", (), {}))
            patch.setenv("CKB_LOAD_PARALLEL", "1" if how == "readers" else "0")
            patch.setenv("CKB_LOAD_READERS", "2")
            with EmbeddedStore(folder / "kb.sqlite") as store:
                rejects = _load_all(folder, store)
                counts = store.counts()
            found[how] = (dump(folder / "kb.sqlite"), rejects, counts)
    assert found["staged"] == found["unstaged"]
    assert found["readers"] == found["unstaged"]
    graph, rejects, _ = found["staged"]
    assert [(r["line"], r["reasons"]) for r in rejects] == [  # type: ignore[index]
        (4, ["unknown customer 'callcenter:9' (system:id)"]),
        (5, ["unknown agent 'AG9'"]),
    ]
    [t1] = [row[2] for row in graph if len(row) == 3 and row[:2] == ("Touchpoint", "t1")]
    assert {k: v for k, v in json.loads(str(t1)).items() if k in {"outcome", "reason"}} == {
        "outcome": "closed"
    }


def test_customer_records_are_not_staged(tmp_path: Path) -> None:
    """Their rows need the store to be completed (links, survivorship, match keys)."""
    path = tmp_path / "c.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    checked = check_batch(KINDS["customers"], "crm", list(read_records(path)))
    assert len(checked.valid) == 2
    assert Stager(NOW).stage(checked) is None


def test_a_touchpoint_batch_is_staged_per_record(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(TOUCHPOINTS, encoding="utf-8")
    checked = check_batch(KINDS["touchpoints"], "callcenter", list(read_records(path)))
    staged = Stager(NOW).stage(checked, keep_raw=False)
    assert isinstance(staged, StagedBatch)
    assert staged.lines == [2, 3, 4, 5, 6]
    assert staged.raws == [None] * 5
    assert [key for _, key, _, _ in staged.nodes["Touchpoint"]] == ["t1", "t2", "t3", "t4", "t1"]
    [(record, src, dst, rkey, patch, fresh)] = staged.rels[
        ("RESPONDED_TO", "Touchpoint", "Campaign")
    ]
    assert (record, src, dst, rkey) == (1, "t2", "K1", "")
    assert json.loads(patch) == {"converted": True}
    assert json.loads(fresh) == {"converted": True}
    # A touchpoint's customer is a placeholder until the writer resolves it.
    [had] = [r for r in staged.rels[("HAD_TOUCHPOINT", "Customer", "Touchpoint")] if r[0] == 0]
    assert had[1].startswith("\x00customer:")
    _, _, patch, fresh = staged.nodes["Touchpoint"][4]
    assert json.loads(patch)["reason"] is None  # clears the reason of an existing row
    assert "reason" not in json.loads(fresh)
    assert json.loads(fresh)["loaded_at"] == NOW


def test_staged_upserts_fold_repeated_keys_like_prepared_ones(tmp_path: Path) -> None:
    rows = [
        {"id": "t1", "channel": "web", "reason": "price"},
        {"id": "t2", "channel": "email"},
        {"id": "t1", "reason": None, "outcome": "won"},
    ]
    rels = [
        RelRow("t1", "web", {}),
        RelRow("t2", "web", {}),
        RelRow("t1", "web", {}),
    ]
    with EmbeddedStore(tmp_path / "a.sqlite") as a, EmbeddedStore(tmp_path / "b.sqlite") as b:
        for store in (a, b):
            store.upsert_nodes("Channel", [{"id": "web"}])
        made = a.upsert_nodes("Touchpoint", rows, touch=TOUCH)
        staged = b.upsert_staged_nodes(
            "Touchpoint", [(str(r["id"]), *staged_texts(r, TOUCH)) for r in rows], TOUCH
        )
        assert made == staged
        linked = a.upsert_relationships("VIA", "Touchpoint", "Channel", rels)
        staged_rels = b.upsert_staged_relationships(
            "VIA",
            "Touchpoint",
            "Channel",
            [(r.src, r.dst, "", *staged_texts(r.props, {})) for r in rels],
        )
        assert linked == staged_rels
        assert (a.counts(), b.counts()) == (b.counts(), a.counts())
    assert dump(tmp_path / "a.sqlite") == dump(tmp_path / "b.sqlite")


def test_dropping_exact_repeats_folds_as_the_store_would() -> None:
    """A row that repeats the last kept row of its identity goes; one that repeats an
    earlier row after a different one stays (folding it in again changes the result)."""
    p1 = staged_texts({"id": "x", "a": "1", "b": None}, TOUCH)
    p2 = staged_texts({"id": "x", "a": "2", "c": "3"}, TOUCH)
    nodes = [("x", *p1), ("y", *p2), ("x", *p1), ("x", *p2), ("x", *p1), ("x", *p1)]
    kept = without_repeats(nodes, 1)
    assert kept == [("x", *p1), ("y", *p2), ("x", *p2), ("x", *p1)]
    assert fold_staged(kept, 1, TOUCH) == fold_staged(nodes, 1, TOUCH)
    assert fold_staged(kept, 1, TOUCH) != fold_staged(kept[:3], 1, TOUCH)
    rels = [("s", "d", "", "{}", "{}"), ("s", "e", "", "{}", "{}"), ("s", "d", "", "{}", "{}")]
    assert without_repeats(rels, 3) == rels[:2]
    assert fold_staged(rels[:2], 3, {}) == fold_staged(rels, 3, {})
    unique = [("x", *p1), ("y", *p2)]
    assert without_repeats(unique, 1) is unique


def test_a_staged_batch_names_each_customer_and_reference_once(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(TOUCHPOINTS, encoding="utf-8")
    checked = check_batch(KINDS["touchpoints"], "callcenter", list(read_records(path)))
    staged = Stager(NOW).stage(checked)
    assert isinstance(staged, StagedBatch)
    assert len(staged.customer_keys) == len(set(staged.customer_keys)) == 3
    assert [[staged.customer_keys[j] for j in named] for named in staged.customers] == [
        c.customers for c in checked.valid
    ]
    assert [[staged.ref_keys[j] for j in named] for named in staged.refs] == [
        c.refs for c in checked.valid
    ]
    assert staged.customers[0] == staged.customers[3] == staged.customers[4]


def test_plain_rows_named_again_reuse_their_texts_only_when_equal_in_order() -> None:
    a = {"id": "s1", "kind": "store", "name": None}
    rows: list[tuple[int, Props]] = [
        (0, a),
        (1, dict(a)),
        (2, {"id": "s1", "name": None, "kind": "store"}),  # same items, another order
        (3, {"id": "s1", "kind": "depot", "name": None}),
        (4, {"id": "s2", "kind": "store", "name": None}),
    ]
    staged = _plain_texts(rows, "id", TOUCH)
    assert staged == [(i, str(p["id"]), *staged_texts(p, TOUCH)) for i, p in rows]
    assert staged[1][2] is staged[0][2]  # made once, so pickled once
    assert staged[2][2] != staged[0][2]
