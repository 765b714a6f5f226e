"""Loading a customer file again after resolution merged its records changes nothing: the
records keep their links and the evidence on them, the golden customer keeps what
survivorship chose; a record that changed reaches the golden attributes by survivorship
over all of the customer's records, not by writing its own over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from identity.resolve import resolve_store
from loaders.pipeline import load_file
from tests.support.identity_fixtures import TODAY, crowd_rows
from tests.support.serve import LiveServer
from tests.support.worlds import content

HEADER = "source_record_id,name,birth_date,email,phone,address,postal_code,city,country\n"
# Ann in billing (the most trusted source) and in the webshop: same email, same phone.
BILLING = HEADER + "B1,Ann Lee,1980-05-06,ann@example.com,+12025550101,5 Elm Street,10001,,US\n"
WEBSHOP = HEADER + "W1,Anne Lee,1980-05-06,ANN@example.com,+12025550101,5 Elm St,10001,{city},US\n"
# Others, so the model learns how often unrelated records agree by chance.
CROWD = HEADER + crowd_rows(with_city=True)
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _load(store: GraphStore, tmp_path: Path, system: str, text: str) -> None:
    path = tmp_path / f"{system}.customers.csv"
    path.write_text(text, encoding="utf-8")
    summary = load_file(store, "customers", path, system, rejects_path=tmp_path / f"{system}.rej")
    assert summary.rejected == 0


def _resolved(path: Path, tmp_path: Path) -> None:
    """Ann's two records loaded (among others) and merged by ckb resolve."""
    with EmbeddedStore(path) as store:
        _load(store, tmp_path, "crm", CROWD)
        _load(store, tmp_path, "billing", BILLING)
        _load(store, tmp_path, "webshop", WEBSHOP.format(city="Springfield"))
        resolve_store(store, TODAY)
        assert _link(store, "billing:B1")[0] == _link(store, "webshop:W1")[0]


def _link(store: GraphStore, record: str) -> tuple[str, dict[str, Any]]:
    [link] = store.neighbours("SourceRecord", record, "RESOLVED_TO", "out", "Customer")
    return link.node.key, {k: v for k, v in link.edge.props.items() if k != "resolved_at"}


def test_loading_the_same_file_again_after_resolve_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    _resolved(path, tmp_path)
    before = content(path)
    with EmbeddedStore(path) as store:
        ann, evidence = _link(store, "webshop:W1")
        assert evidence["rule"] != "singleton"
        golden = store.get_node("Customer", ann)
        assert golden is not None
        _load(store, tmp_path, "webshop", WEBSHOP.format(city="Springfield"))
        _load(store, tmp_path, "billing", BILLING)
        assert _link(store, "webshop:W1") == (ann, evidence)
        again = store.get_node("Customer", ann)
        assert again is not None
        assert again.props == golden.props
    assert content(path) == before


def test_a_changed_record_of_a_merged_customer_goes_through_survivorship(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kb.sqlite"
    _resolved(path, tmp_path)
    with EmbeddedStore(path) as store:
        ann, evidence = _link(store, "webshop:W1")
        golden = store.get_node("Customer", ann)
        assert golden is not None
        assert (golden.props["email"], golden.props["city"]) == ("ann@example.com", "Springfield")
        changed = WEBSHOP.format(city="Shelbyville").replace("ANN@example.com", "ann@web.example")
        _load(store, tmp_path, "webshop", changed)
        assert _link(store, "webshop:W1") == (ann, evidence)
        record = store.get_node("SourceRecord", "webshop:W1")
        assert record is not None
        assert record.props["email"] == "ann@web.example"
        after = store.get_node("Customer", ann)
        assert after is not None
        # Billing is trusted over the webshop: its email and name stay; the city only the
        # webshop gives follows the webshop's record.
        assert after.props["email"] == "ann@example.com"
        assert after.props["name"] == "Ann Lee"
        assert after.props["city"] == "Shelbyville"
        assert after.props.get("customer_since") == golden.props.get("customer_since")


def test_a_singleton_customer_follows_its_record(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    _resolved(path, tmp_path)
    with EmbeddedStore(path) as store:
        own, evidence = _link(store, "crm:X3")
        assert evidence == {"rule": "singleton", "score": 1.0}
        _load(store, tmp_path, "crm", CROWD.replace("p3@example.org", "p3@new.example"))
        customer = store.get_node("Customer", own)
        assert customer is not None
        assert customer.props["email"] == "p3@new.example"
        assert _link(store, "crm:X3") == (own, evidence)


def test_pushing_a_batch_again_after_resolution_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    _resolved(path, tmp_path)
    settings = IngestSettings(max_bytes=200_000, rejects_dir=tmp_path / "rejects")
    auth = AuthSettings.from_env({"CKB_INGEST_TOKENS": TOKEN})
    # Ann a third time, from the stores: her phone, her name in capitals.
    batch = "\n".join(
        json.dumps(r)
        for r in (
            {"source_record_id": "S1", "name": "ANN LEE", "phone": "+1 202 555 0101"},
            {"source_record_id": "S2", "name": "Zed Quill", "email": "zed@example.com"},
        )
    ).encode()
    url = "/ingest/customers?source=stores"
    with LiveServer(create_app(lambda: EmbeddedStore(path), settings, auth)) as live:
        first = httpx.post(f"{live.url}{url}", content=batch, headers=AUTH).json()["results"]
        assert first[0]["merged"] is True
        pushed = content(path)
        again = httpx.post(f"{live.url}{url}", content=batch, headers=AUTH).json()["results"]
        assert content(path) == pushed
        # Where each landed, as the first push said (nothing is merged anew).
        assert [a["customer"] for a in again] == [f["customer"] for f in first]
        assert [a["merged"] for a in again] == [False, False]
