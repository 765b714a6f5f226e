"""Erasure reaches every copy ckb keeps of a person: a small dataset (files and pushed
records, some of them rejected) is loaded, resolved, merged on arrival, unmerged and
enriched; after ``eraseCustomer`` none of her values is left in the store file (every node
and relationship) nor in any file ckb wrote under its data directory, while the people
around her keep theirs."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import GraphStore, RelRow
from identity.resolve import resolve_store
from identity.review import decide_review
from identity.unmerge import UnmergeError, unmerge
from loaders.enrich import EnrichSummary, enrich
from loaders.pipeline import load_file
from loaders.push import push
from tests.support.identity_fixtures import customer_of
from tests.support.serve import LiveServer
from tests.support.store_file import dump

TODAY = date(2026, 11, 1)
AUTH = AuthSettings.from_env({"CKB_API_KEYS": "adam:admin:k-admin"})

# Greta, as the systems hold her (one of them writes her phone and email another way).
HERS = (
    "Greta Lindqvist",
    "greta.lindqvist@example.org",
    "+46701234567",
    "+46 70 123 45 67",
    "1984-03-17",
    "17/03/1984",
    "12 Kungsgatan",
    "840317-1234",
    "8403171234",
)
FILES = {
    "crm.customers.csv": """source_record_id,name,birth_date,email,phone,address,postal_code,city,country,national_id
C1,Greta Lindqvist,1984-03-17,greta.lindqvist@example.org,+46701234567,12 Kungsgatan,11143,Stockholm,SE,840317-1234
C2,Olof Lindqvist,1982-11-02,olof.l@example.org,+46709876543,,,Stockholm,SE,
C3,Pia Berg,1990-05-05,pia.berg@example.org,+46705550000,3 Storgatan,11122,Stockholm,SE,
C4,Nils Holm,1990-13-40,nils.holm at example.org,+46705551111,,,,SE,
""",
    "webshop.customers.csv": """source_record_id,name,birth_date,email,phone,address,postal_code,country
W1,Greta Lindqvist,1984-03-17,greta.lindqvist@example.org,+46701234567,12 Kungsgatan,11143,SE
W2,Pia Berg,1990-05-05,pia.berg@example.org,+46705550000,3 Storgatan,11122,SE
""",
    # Rejected (an unknown gender): a birth date no longer rejects (flagged, kept).
    "billing.customers.csv": """source_record_id,name,birth_date,email,phone,gender
B7,Greta Lindqvist,17/03/1984,Greta.Lindqvist@Example.org,+46 70 123 45 67,robot
""",
    # Rejected (bad email) with no identifier of hers: her name and birth date tell.
    "stores.customers.csv": """source_record_id,given_name,family_name,birth_date,email
S1,Greta,Lindqvist,1984-03-17,greta at example dot org
S2,Pia,Berg,1990-05-05,pia at example dot org
""",
    "crm.households.csv": """household_id,name,address,postal_code
H1,Lindqvist,12 Kungsgatan,11143
""",
    "crm.household_members.csv": """household_id,customer_id,role
H1,C1,head
H1,C2,partner
""",
    "crm.consents.csv": """customer_id,purpose,granted
C1,third_party_data,true
""",
    "crm.touchpoints.csv": """touchpoint_id,customer_id,occurred_at,channel,kind,reason
T1,C1,2026-10-01T10:00:00Z,call_center,visit,moving house
T2,C1,2026-10-02T10:00:00Z,carrier_pigeon,visit,moving house
T3,C3,2026-10-02T10:00:00Z,carrier_pigeon,visit,question
""",
}
PUSHED = [
    # Accepted: resolves on arrival onto her customer (a merge), unmerged below.
    {"source_record_id": "A1", "name": "Greta Lindqvist", "email": "greta.lindqvist@example.org",
     "phone": "+46701234567", "birth_date": "1984-03-17"},
    # Rejected (bad email), holding her phone and name.
    {"source_record_id": "A2", "name": "Greta Lindqvist", "email": "not-an-email",
     "phone": "+46 70 123 45 67", "birth_date": "1984-03-17"},
    # Rejected, someone else's: stays.
    {"source_record_id": "A9", "name": "Nils Holm", "email": "nope"},
]  # fmt: skip
ENRICHMENT = """provider,name,address,postal_code,birth_date,income_band
{provider},Greta Lindqvist,12 Kungsgatan,11143,1984-03-17,75-100k
{provider},Pia Berg,3 Storgatan,11122,1990-05-05,50-75k
"""


@dataclass
class World:
    root: Path
    data: Path  # what ckb writes: rejects, enrichment reports
    store_file: Path
    greta: str  # her golden customer
    split_off: str  # the customer her pushed record became again after the unmerge
    olof: str
    pia: str
    merges: list[str]


def _enrich(store: GraphStore, root: Path, provider: str) -> EnrichSummary:
    path = root / "in" / f"{provider}.csv"
    path.write_text(ENRICHMENT.format(provider=provider), encoding="utf-8")
    data = root / "data"
    return enrich(
        store,
        path,
        data / "enrich" / f"{path.name}.unmatched.csv",
        data / "rejects" / f"{path.name}.rejects.jsonl",
        TODAY,
    )


def _build(root: Path) -> World:
    inputs = root / "in"
    inputs.mkdir()
    data = root / "data"
    settings = IngestSettings(rejects_dir=data / "rejects")
    store_file = root / "store" / "kb.sqlite"
    store = EmbeddedStore(store_file)
    store.apply_schema()
    order = ["customers", "households", "household_members", "consents", "touchpoints"]
    for name in sorted(FILES, key=lambda n: order.index(n.split(".")[1])):
        (inputs / name).write_text(FILES[name], encoding="utf-8")
        load_file(store, name.split(".")[1], inputs / name, name.split(".")[0])
    resolve_store(store, TODAY)
    body = "\n".join(json.dumps(r) for r in PUSHED).encode()
    answer = push(store, "customers", "app", body, settings)
    assert [r["status"] for r in answer.results] == ["accepted", "rejected", "rejected"]
    assert answer.results[0]["merged"], answer.results[0]
    greta = customer_of(store, "crm:C1")
    assert {customer_of(store, r) for r in ("webshop:W1", "app:A1")} == {greta}
    # Her third-party profile: one customer, consent given, matched and attached.
    assert _enrich(store, root, "acme").attached == 1
    [arrival] = [
        n.node.key
        for n in store.neighbours("Customer", greta, "MERGED", "in", "MergeEvent")
        if n.node.props["actor"] == "ingest:app"
    ]
    unmerge(store, arrival, "analyst")
    greta, split_off = customer_of(store, "crm:C1"), customer_of(store, "app:A1")
    assert split_off != greta
    # Now two customers are her: ambiguous, her row goes to the unmatched report.
    assert _enrich(store, root, "dataco").ambiguous == 1
    # A possible match in the review queue, decided (which is audited).
    store.upsert_nodes(
        "ReviewItem",
        [{"id": "R1", "score": 0.4, "status": "open", "evidence": json.dumps(
            {"records": ["crm:C1", "crm:C3"], "names": ["Greta Lindqvist", "Pia Berg"]})}],
    )  # fmt: skip
    store.upsert_relationships(
        "CANDIDATE", "ReviewItem", "SourceRecord", [RelRow("R1", "crm:C1"), RelRow("R1", "crm:C3")]
    )
    decide_review(store, "R1", False, "analyst")
    merges = sorted(
        n.node.key
        for c in (greta, split_off)
        for n in store.neighbours("Customer", c, "MERGED", "in", "MergeEvent")
    )
    world = World(
        root, data, store_file, greta, split_off,
        customer_of(store, "crm:C2"), customer_of(store, "crm:C3"), merges,
    )  # fmt: skip
    store.close()
    return world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)  # file loads write their rejects to ./data/rejects
    return _build(tmp_path)


def _store_rows(path: Path) -> list[str]:
    """Every row of the store file: every node and relationship by name (``dump``, on a
    file that has its views), and every row of every table, whatever the file's layout."""
    with closing(sqlite3.connect(path)) as conn:
        schema = dict(conn.execute("SELECT name, type FROM sqlite_master").fetchall())
        rows = [
            f"{table}: " + json.dumps(row, ensure_ascii=False, default=repr)
            for table, kind in sorted(schema.items())
            if kind == "table"
            for row in conn.execute(f'SELECT * FROM "{table}"')
        ]
    if schema.get("node_rows") == "view":
        rows += [json.dumps(row, ensure_ascii=False) for row in dump(path)]
    return rows


def _leftovers(world: World) -> list[str]:
    """Where any of her values is still kept: store rows and files under the data dir."""
    found = []
    for row in _store_rows(world.store_file):
        found += [f"store {row[:80]}: {v}" for v in HERS if v.casefold() in row.casefold()]
    for path in sorted(p for p in world.data.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8").casefold()
        found += [f"{path.relative_to(world.root)}: {v}" for v in HERS if v.casefold() in text]
    return found


def _erase(world: World, customer: str) -> dict[str, object]:
    settings = IngestSettings(rejects_dir=world.data / "rejects")
    app = create_app(lambda: EmbeddedStore(world.store_file), settings, AUTH)
    with LiveServer(app) as server:
        answer = httpx.post(
            f"{server.url}/graphql",
            json={
                "query": """mutation ($id: ID!) { eraseCustomer(customerId: $id,
                  reference: "DSR-7") { customerId removed auditId } }""",
                "variables": {"id": customer},
            },
            headers={"authorization": "Bearer k-admin"},
            timeout=60,
        ).json()
    assert "errors" not in answer, answer
    erased: dict[str, object] = answer["data"]["eraseCustomer"]
    return erased


def test_erasure_leaves_nothing_of_her_in_the_store_or_its_files(world: World) -> None:
    assert _leftovers(world)  # she is everywhere before
    erased = _erase(world, world.greta)
    assert _leftovers(world) == []
    # Her IDs are gone too, save the erasure's own audit entry naming the request's ID.
    rows = _store_rows(world.store_file)
    named = [r for r in rows if world.greta in r or world.split_off in r]
    assert named
    assert all(str(erased["auditId"]) in r for r in named), named
    assert not [r for r in rows if "crm:C1" in r or "webshop:W1" in r or "app:A1" in r]


def test_the_people_around_her_keep_theirs(world: World) -> None:
    from governance.erase import erased_records  # here: the first test runs on older code too

    _erase(world, world.greta)
    store = EmbeddedStore(world.store_file)
    try:
        assert store.get_node("Customer", world.greta) is None
        assert store.get_node("Customer", world.split_off) is None  # her split-off record
        olof = store.get_node("Customer", world.olof)
        pia = store.get_node("Customer", world.pia)
        assert olof is not None
        assert pia is not None
        assert olof.props["name"] == "Olof Lindqvist"
        assert pia.props["email"] == "pia.berg@example.org"
        household = store.get_node("Household", "H1")  # Olof lives on there, unaddressed
        assert household is not None
        assert household.props.get("name") == "Lindqvist"
        assert "address" not in household.props
        assert [n.node.key for n in store.neighbours("Household", "H1", "MEMBER_OF", "in")] == [
            world.olof
        ]
        # The merge history stays as tombstones, which can no longer be undone.
        for event in world.merges:
            tombstone = store.get_node("MergeEvent", event)
            assert tombstone is not None
            with pytest.raises(UnmergeError):
                unmerge(store, event, "analyst")
        assert store.get_node("ReviewItem", "R1") is None
        assert store.get_node("SourceRecord", "crm:C3") is not None
        # A reload of her source records can be recognised; others' records are not.
        mine = ["crm:C1", "webshop:W1", "app:A1", "billing:B7"]
        assert erased_records(store, [*mine, "crm:C2"]) == {"crm:C1", "webshop:W1", "app:A1"}
    finally:
        store.close()
    rejects = world.data / "rejects"
    kept = (rejects / "ingest.app.customers.rejects.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["record"]["source_record_id"] for line in kept.splitlines()] == ["A9"]
    crm = (rejects / "crm.customers.csv.rejects.jsonl").read_text(encoding="utf-8")
    assert "Nils Holm" in crm
    touchpoints = (rejects / "crm.touchpoints.csv.rejects.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["record"]["touchpoint_id"] for line in touchpoints.splitlines()] == [
        "T3"
    ]
    assert not (rejects / "billing.customers.csv.rejects.jsonl").exists()  # all hers
    stores = (rejects / "stores.customers.csv.rejects.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["record"]["source_record_id"] for line in stores.splitlines()] == [
        "S2"
    ]


def test_a_record_is_hers_on_two_identifiers_and_no_contradiction() -> None:
    from governance.person import Identity  # here: the first test runs on older code too
    from identity.profile import profile

    identity = Identity()
    her = {"name": "Greta Lindqvist", "email": "greta.lindqvist@example.org",
           "phone": "+46701234567", "birth_date": "1984-03-17", "national_id": "840317-1234",
           "country": "SE"}  # fmt: skip
    identity.add("crm:C1", her, TODAY)

    def hers(**props: str) -> bool:
        return identity.same_person(profile("x:1", props, TODAY))

    assert hers(email="Greta.Lindqvist+news@Example.org", phone="070-123 45 67", country="SE")
    assert hers(email="greta.lindqvist@example.org", birth_date="1984-03-17")
    assert hers(national_id="8403171234")  # a national ID is enough on its own
    assert not hers(email="greta.lindqvist@example.org")  # a mailbox a family may share
    assert not hers(email="greta.lindqvist@example.org", phone="+46701234567",
                    birth_date="2010-06-01")  # fmt: skip
    assert not hers(national_id="840317-9999", email="greta.lindqvist@example.org",
                    phone="+46701234567")  # fmt: skip


def test_a_reload_of_her_records_is_refused(world: World, tmp_path: Path) -> None:
    _erase(world, world.greta)
    store = EmbeddedStore(world.store_file)
    rejects = tmp_path / "reload.rejects.jsonl"
    try:
        summary = load_file(
            store, "customers", world.root / "in" / "crm.customers.csv", "crm", rejects_path=rejects
        )
        lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
        erased = [x for x in lines if x["record"] == {"erased_record": "crm:C1"}]
        assert [x["reasons"] for x in erased] == [
            ["crm:C1 was erased on request; it is not loaded again"]
        ]
        assert "greta" not in rejects.read_text(encoding="utf-8").lower()
        assert summary.loaded == 2  # Olof and Pia load again (no change)
        assert store.get_node("SourceRecord", "crm:C1") is None
    finally:
        store.close()


def test_an_erasure_stopped_before_its_graph_transaction_records_the_same_when_run_again(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files first, then the graph: stopped between them, the run that completes it
    still counts the lines the stopped one removed, from a record that names nothing of
    hers; its audit entry says what an uninterrupted erasure's says."""
    from governance import erase

    def run(w: World) -> tuple[erase.Erasure, object]:
        store = EmbeddedStore(w.store_file)
        try:
            done = erase.erase_customer(
                store, w.greta, "adam", "DSR-7", [w.data / "rejects"], [w.data / "enrich"]
            )
            entry = store.get_node("AuditEntry", done.audit_id)
            assert entry is not None
            return done, json.loads(str(entry.props["detail"]))
        finally:
            store.close()

    other = tmp_path / "uninterrupted"
    other.mkdir()
    monkeypatch.chdir(other)
    uninterrupted, detail = run(_build(other))
    assert uninterrupted.scrubbed["file lines"] >= 5

    class KilledError(Exception):
        pass

    def killed(*args: object) -> dict[str, int]:
        raise KilledError

    with monkeypatch.context() as patched:
        patched.setattr(erase, "_apply", killed)
        with pytest.raises(KilledError):
            run(world)
    in_progress = [r for r in _store_rows(world.store_file) if "AU-ERASING-" in r]
    assert in_progress
    assert not [r for r in in_progress if world.greta in r or "greta" in r.casefold()]
    assert not [r for r in in_progress for v in HERS if v.casefold() in r.casefold()]

    again, again_detail = run(world)
    assert (again.scrubbed, again.removed) == (uninterrupted.scrubbed, uninterrupted.removed)
    assert again_detail == detail
    assert not [r for r in _store_rows(world.store_file) if "AU-ERASING-" in r]
    assert _leftovers(world) == []
