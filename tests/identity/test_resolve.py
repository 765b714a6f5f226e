"""`ckb resolve` on every store: merges move everything to the survivor, leave aliases and
history, pick golden attributes by survivorship, and re-running changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.schema import schema
from graph.store import GraphStore, Node, RelRow
from identity.arrival import resolve_arrivals
from identity.merge import survivor_attributes
from identity.resolve import resolve_store
from identity.review import ReviewError, decide_review, list_review
from identity.unmerge import UnmergeError, find_merge_event, unmerge
from loaders.pipeline import load_file
from queries.engine import run_query
from tests.support.identity_fixtures import TODAY, customer_of, load_customer_records


def test_resolve_merges_relinks_and_is_idempotent(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    before = {r: customer_of(store, r) for r in ("billing:B1", "webshop:W1", "callcenter:C1")}
    assert len(set(before.values())) == 3  # each record its own customer until resolved
    assert store.counts().nodes["Customer"] == 87

    summary = resolve_store(store, TODAY)
    assert (summary.records, summary.customers_before, summary.customers_after) == (87, 87, 85)
    assert (summary.merges, summary.absorbed) == (1, 2)

    ann = {customer_of(store, r) for r in ("billing:B1", "webshop:W1", "callcenter:C1")}
    assert len(ann) == 1
    [survivor] = ann
    assert survivor in before.values()
    assert store.counts().nodes["Customer"] == 85
    # The touchpoint of the call-center record now hangs on the survivor.
    assert [t.node.key for t in store.neighbours("Customer", survivor, "HAD_TOUCHPOINT")] == ["T1"]
    # Retired IDs resolve through their alias.
    for retired in set(before.values()) - {survivor}:
        [alias] = store.neighbours("CustomerAlias", retired, "ALIAS_OF", "out", "Customer")
        assert alias.node.key == survivor
    # Survivorship: billing is the most trusted source, so its spelling wins.
    golden = store.get_node("Customer", survivor)
    assert golden is not None
    assert (golden.props["name"], golden.props["phone"]) == ("Ann Lee", "+12025550101")
    # Evidence on every link; history with a snapshot of what was absorbed.
    [web_link] = store.neighbours("SourceRecord", "webshop:W1", "RESOLVED_TO")
    assert web_link.edge.props["rule"] in ("email", "phone", "probabilistic")
    evidence = json.loads(str(web_link.edge.props["evidence"]))
    assert evidence["fields"]["email"]["level"] == "exact"
    [event] = store.neighbours("Customer", survivor, "MERGED", "in", "MergeEvent")
    snapshot = json.loads(str(event.node.props["snapshot"]))
    assert sorted(snapshot["absorbed"]) == sorted(event.node.props["absorbed"])  # type: ignore[arg-type]
    assert any(
        r["type"] == "HAD_TOUCHPOINT" for s in snapshot["absorbed"].values() for r in s["rels"]
    )
    # The 360 view sees one Ann with three sources.
    view = run_query(store, "customer_360", customerId=survivor, first=5)
    assert sorted(s.system for s in view.sources) == ["billing", "callcenter", "webshop"]

    model = store.get_node("MatchModel", "default")
    again = resolve_store(store, TODAY)
    assert (again.merges, again.customers_after) == (0, 85)
    assert store.get_node("MatchModel", "default") == model  # not even re-stamped


def test_survivorship_prefers_trusted_then_recent_then_complete() -> None:
    records = [
        Node("SourceRecord", "web:1", {"source_system": "webshop", "name": "Anne Lee",
             "email": "new@example.com", "loaded_at": "2026-02-01T00:00:00Z"}),
        Node("SourceRecord", "billing:1", {"source_system": "billing", "name": "Ann Lee",
             "loaded_at": "2025-01-01T00:00:00Z"}),
        Node("SourceRecord", "web:2", {"source_system": "webshop", "email": "old@example.com",
             "loaded_at": "2025-06-01T00:00:00Z"}),
    ]  # fmt: skip
    golden = survivor_attributes(records)
    assert golden["name"] == "Ann Lee"  # billing is trusted most
    assert golden["email"] == "new@example.com"  # billing has none; the newer web record
    assert golden["phone"] is None
    assert golden["name_normalized"] == "ann lee"


def test_review_queue_reject_is_remembered_accept_merges(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    summary = resolve_store(store, TODAY)
    [item] = list_review(store)
    assert item.records == ("callcenter:C2", "webshop:W2")
    assert item.evidence["fields"]["name"]["level"] == "similar"
    assert item.evidence["fields"]["phone"]["level"] == "different"
    assert item.evidence["reason"] == "similar names, rarely this alike by chance"
    assert summary.review == summary.new_review == 1
    assert decide_review(store, item.id, accept=False, actor="agent-7").status == "rejected"
    with pytest.raises(ReviewError, match="already rejected"):
        decide_review(store, item.id, accept=True, actor="agent-7")
    again = resolve_store(store, TODAY)
    assert (again.merges, again.review, again.new_review) == (0, 0, 0)
    assert customer_of(store, "callcenter:C2") != customer_of(store, "webshop:W2")
    with pytest.raises(ReviewError, match="no review item"):
        decide_review(store, "R-nope", accept=True, actor="agent-7")


def test_accepting_a_review_item_merges_the_customers(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    resolve_store(store, TODAY)
    [item] = list_review(store)
    customers = store.counts().nodes["Customer"]
    assert decide_review(store, item.id, accept=True, actor="agent-7").status == "accepted"
    assert customer_of(store, "callcenter:C2") == customer_of(store, "webshop:W2")
    assert store.counts().nodes["Customer"] == customers - 1
    [link] = store.neighbours("SourceRecord", "callcenter:C2", "RESOLVED_TO")
    assert link.edge.props["rule"] == "review"
    assert list_review(store) == []


HISTORY_LABELS = {"MergeEvent", "AuditEntry", "ReviewItem", "MatchModel"}
HISTORY_RELS = {"MERGED", "CANDIDATE"}


def _dump(store: GraphStore) -> tuple[dict[tuple[str, str], dict[str, object]], set[str]]:
    """Every node and relationship outside the history, with properties."""
    nodes: dict[tuple[str, str], dict[str, object]] = {}
    rels: set[str] = set()
    for label in schema().labels:
        if label in HISTORY_LABELS:
            continue
        keys = store.keys_page(label, None, 10**6)
        for key, node in store.get_nodes(label, keys).items():
            nodes[(label, key)] = node.props
        for key, found in store.neighbours_many(label, keys, None, "out", limit=10**6).items():
            for n in found:
                if n.edge.type not in HISTORY_RELS:
                    rels.add(json.dumps([n.edge.type, label, key, n.node.label, n.node.key, n.edge.props], sort_keys=True))  # fmt: skip
    return nodes, rels


def test_unmerge_restores_the_pre_merge_graph_exactly(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    ann_b, ann_w, ann_c, bob = (
        customer_of(store, r) for r in ("billing:B1", "webshop:W1", "callcenter:C1", "billing:B2")
    )
    # A joint account both of Ann's records hold, in different roles; relationships
    # between her parts (dropped by the merge) and to Bob.
    store.upsert_nodes("Holding", [{"id": "A1", "status": "active"}])
    store.upsert_relationships(
        "HOLDS",
        "Customer",
        "Holding",
        [RelRow(ann_b, "A1", {"role": "primary"}), RelRow(ann_w, "A1", {"role": "joint"})],
    )
    store.upsert_relationships(
        "RELATED_TO",
        "Customer",
        "Customer",
        [
            RelRow(ann_c, bob, {"kind": "referral"}),
            RelRow(ann_w, ann_b, {"kind": "family"}),
            # The same relationship on two of her parts, different properties: the merge
            # folds them into one on the survivor.
            RelRow(ann_b, bob, {"kind": "referral", "since": "2020-01-01"}),
        ],
    )
    # Relationships no other part has: the merge leaves them where they are.
    store.upsert_nodes("Touchpoint", [{"id": "T1", "kind": "call"}, {"id": "T2", "kind": "web"}])
    store.upsert_relationships(
        "HAD_TOUCHPOINT",
        "Customer",
        "Touchpoint",
        [RelRow(ann_b, "T1"), RelRow(ann_w, "T2"), RelRow(ann_c, "T2")],
    )
    before = _dump(store)
    resolve_store(store, TODAY)
    assert _dump(store) != before
    event = find_merge_event(store, "webshop:W1")
    result = unmerge(store, event, actor="agent-7")
    assert len(result.restored) == 2
    after = _dump(store)
    assert after[0] == before[0]
    assert after[1] == before[1]
    # History keeps both: the merge, marked undone, and the split.
    merge = store.get_node("MergeEvent", event)
    split = store.get_node("MergeEvent", result.split_event)
    assert merge is not None
    assert merge.props["undone"] is True
    assert split is not None
    assert split.props["kind"] == "split"
    with pytest.raises(UnmergeError, match="already undone"):
        unmerge(store, event, actor="agent-7")
    with pytest.raises(UnmergeError, match="not brought to"):
        find_merge_event(store, "webshop:W1")


def test_a_pushed_record_resolves_on_arrival(store: GraphStore, tmp_path: Path) -> None:
    load_customer_records(store, tmp_path)
    resolve_store(store, TODAY)  # estimates and stores the model
    ann = customer_of(store, "billing:B1")
    path = tmp_path / "stores.customers.csv"
    path.write_text(
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        "S1,ANN LEE,,,+1 202 555 0101,,,US\n"  # Ann's phone, her name in capitals
        "S2,Zed Quill,1999-09-09,zed@example.com,+12025550177,3 Yew Row,60006,US\n",
        encoding="utf-8",
    )
    load_file(store, "customers", path, "stores", rejects_path=tmp_path / "s.rej")
    customers = store.counts().nodes["Customer"]
    ann_arrives, stranger = resolve_arrivals(
        store, ["stores:S1", "stores:S2"], actor="test", today=TODAY
    )
    assert (ann_arrives.customer, ann_arrives.merged, ann_arrives.rule) == (ann, True, "phone")
    assert customer_of(store, "stores:S1") == ann
    assert (stranger.merged, stranger.rule) == (False, "singleton")
    assert store.counts().nodes["Customer"] == customers - 1
    # Arriving again changes nothing.
    [again] = resolve_arrivals(store, ["stores:S1"], actor="test", today=TODAY)
    assert (again.customer, again.merged) == (ann, False)


def test_the_stored_model_keeps_its_household_estimate(store: GraphStore) -> None:
    """Records pushed later are scored with the household u the batch estimated; a model
    stored before there was one loads without it (and falls back on the fixed rules)."""
    from identity.model import Model
    from identity.model_store import load_model, save_model

    u = {"name": {"exact": 0.001, "different": 0.99}}
    store.upsert_nodes("MatchModel", [{"id": "default", "u": json.dumps(u), "records": 9}])
    assert (load_model(store).u, load_model(store).u_home) == (u, {})
    home = {"name": {"exact": 0.03, "other_given": 0.7}, "phone": {"exact": 0.2}}
    save_model(store, Model(u, {}, {}, 1234, home))
    loaded = load_model(store)
    assert (loaded.u, loaded.u_home, loaded.records) == (u, home, 1234)


def test_a_pushed_record_keeps_to_one_record_per_system(store: GraphStore, tmp_path: Path) -> None:
    """A system the batch found to hold each person once: a record of it pushed later
    never joins a customer already holding another of its records."""
    from identity.model_store import load_model, save_model

    load_customer_records(store, tmp_path)
    resolve_store(store, TODAY)
    ann = customer_of(store, "billing:B1")
    path = tmp_path / "stores.customers.csv"
    path.write_text(
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        "S1,ANN LEE,,,+1 202 555 0101,,,US\n"
        "S3,Ann Lee,,,+1 202 555 0101,,,US\n",  # the same again, under another record ID
        encoding="utf-8",
    )
    load_file(store, "customers", path, "stores", rejects_path=tmp_path / "s.rej")
    model = load_model(store)
    model.one_record = frozenset({"stores"})
    save_model(store, model)
    assert load_model(store).one_record == frozenset({"stores"})
    first, second = resolve_arrivals(store, ["stores:S1", "stores:S3"], actor="test", today=TODAY)
    assert (first.customer, first.merged) == (ann, True)
    assert second.merged is False
    assert customer_of(store, "stores:S3") != ann


def test_a_pushed_record_joins_its_copy_where_its_system_counted_a_person_twice(
    store: GraphStore, tmp_path: Path
) -> None:
    """A system holding each person once may still hold someone twice: a record pushed
    later joins the customer holding another of its system's records when the two agree
    on the full name and the full birth date and nothing tells them apart (the address
    may); one with another email stays apart."""
    from identity.model_store import load_model, save_model

    load_customer_records(store, tmp_path)
    resolve_store(store, TODAY)
    model = load_model(store)
    model.one_record = frozenset({"stores"})
    save_model(store, model)
    header = "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
    rows = [
        "S5,Nia Obi,1984-02-29,nia.obi@example.com,,1 Elm Way,70007,US\n",
        "S6,Nia Obi,1984-02-29,,,9 Ash Row,80008,US\n",  # counted again, at another address
        "S7,Nia Obi,1984-02-29,nia.o.1984@example.net,,9 Ash Row,80008,US\n",
    ]
    arrived = []
    for n, row in enumerate(rows):  # pushed one after the other
        path = tmp_path / f"stores{n}.customers.csv"
        path.write_text(header + row, encoding="utf-8")
        load_file(store, "customers", path, "stores", rejects_path=tmp_path / "s.rej")
        key = f"stores:{row.split(',')[0]}"
        arrived += resolve_arrivals(store, [key], actor="test", today=TODAY)
    first, again, namesake = arrived
    assert first.merged is False
    assert (again.customer, again.merged) == (first.customer, True)
    assert namesake.merged is False
    assert customer_of(store, "stores:S7") != first.customer


def test_a_pushed_record_weighs_a_shared_family_name_as_the_batch_did(store: GraphStore) -> None:
    """The stored model keeps the shares of the common name words, so a record scored
    on arrival weighs another given name under a shared family name as the batch run
    that estimated the model did; a model stored before them weighs it plainly."""
    from identity.arrival import _candidates
    from identity.matching import score
    from identity.model import estimate_model
    from identity.model_store import load_model, save_model
    from identity.profile import profile

    names = [f"{given} Smith" for given in ("Ann", "Bob", "Cara", "Dan")] * 5 + [
        f"Given{chr(97 + i)}{chr(97 + j)} Family{chr(97 + j)}{chr(97 + i)}"
        for i in range(12)
        for j in range(12)
    ]
    records = [{"name": n, "source_system": "crm", "country": "DE"} for n in names]
    profiles = [profile(f"crm:{i}", r, TODAY) for i, r in enumerate(records)]
    batch = estimate_model(profiles)
    batch.households = False
    save_model(store, batch)
    stored = load_model(store)
    assert (stored.word_share, stored.shared_word_share) == (
        batch.word_share,
        batch.shared_word_share,
    )
    _, scoring = _candidates(store, profiles[0], stored)
    pairs = [(profiles[0], profiles[1]), (profiles[0], profiles[5])]  # Ann and Bob Smith
    for a, b in pairs:
        assert score(a, b, scoring) == score(a, b, batch)
    rare = profile("crm:x", {"name": "Phoebe Berryman"}, TODAY)
    kelsy = profile("crm:y", {"name": "Kelsy Berryman"}, TODAY)
    assert (
        score(rare, kelsy, scoring).evidence["name"][1]
        > score(profiles[0], profiles[1], scoring).evidence["name"][1]
    )
    node = store.get_node("MatchModel", "default")
    assert node is not None
    store.upsert_nodes("MatchModel", [{"id": "default", "word_share": None}])
    older = load_model(store)
    plain = older.weight("name", "other_given", profiles[0])
    assert score(profiles[0], profiles[1], older).evidence["name"][1] == round(plain, 3)


def test_models_are_versioned_and_each_merge_names_its_model(
    store: GraphStore, tmp_path: Path
) -> None:
    """Each model `ckb resolve` estimates that differs from the stored one gets the next
    version and is kept beside the current one; the same model again keeps its version.
    A merge event and a review item name the version that weighed them, by batch or on
    arrival."""
    from identity.model_store import load_model, load_model_version

    load_customer_records(store, tmp_path)
    first = resolve_store(store, TODAY)
    assert (first.model_version, first.new_model) == (1, True)
    ann = customer_of(store, "billing:B1")
    [event] = [n.node for n in store.neighbours("Customer", ann, "MERGED", "in", "MergeEvent")]
    assert event.props["model_version"] == 1
    items = store.find_nodes("ReviewItem", "status", "open", limit=100)
    assert items
    assert all(item.props["model_version"] == 1 for item in items)
    again = resolve_store(store, TODAY)
    assert (again.model_version, again.new_model) == (1, False)
    assert {n.key for n in store.get_nodes("MatchModel", ["default", "v1", "v2"]).values()} == {
        "default",
        "v1",
    }

    path = tmp_path / "stores.customers.csv"
    path.write_text(
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        "S1,ANN LEE,,,+1 202 555 0101,,,US\n"
        "S2,Zed Quill,1999-09-09,zed@example.com,+12025550177,3 Yew Row,60006,US\n",
        encoding="utf-8",
    )
    load_file(store, "customers", path, "stores", rejects_path=tmp_path / "s.rej")
    [arrived, _] = resolve_arrivals(store, ["stores:S1", "stores:S2"], actor="t", today=TODAY)
    assert arrived.merged
    events = store.neighbours("Customer", ann, "MERGED", "in", "MergeEvent")
    [joined] = [n.node for n in events if n.node.key != event.key]
    assert joined.props["model_version"] == 1  # the stored model weighed the arrival

    second = resolve_store(store, TODAY)  # two more records: another estimate
    assert (second.model_version, second.new_model) == (2, True)
    current, kept = load_model(store), load_model_version(store, 1)
    assert (current.version, current.records) == (2, 89)
    assert kept is not None
    assert (kept.version, kept.records) == (1, 87)
    assert load_model_version(store, 3) is None
