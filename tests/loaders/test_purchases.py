"""Purchases as the loader writes them (one line per product, the amount on the line) read
back whole: the GraphQL total is the sum of the lines, the items are there, and the RFM
monetary value of ``ckb segment`` counts them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx

from api.auth import AuthSettings
from api.http.app import create_app
from api.http.ingest import IngestSettings
from graph.embedded import EmbeddedStore
from identity.resolve import resolve_store
from loaders.pipeline import load_file
from scoring.segments import assign_segments
from tests.support.serve import LiveServer

AUTH = AuthSettings.from_env({"CKB_API_KEYS": "ana:analyst:k-analyst"})

QUERY = """
query ($id: ID!) {
  customer(id: $id) {
    purchases(first: 5) {
      id amount currency items { productId productName quantity amount }
    }
  }
}"""


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _store(tmp: Path) -> tuple[EmbeddedStore, str]:
    store = EmbeddedStore(tmp / "kb.sqlite")
    store.apply_schema()
    rejects = tmp / "rejects.jsonl"
    load_file(
        store,
        "product_lines",
        _write(
            tmp / "lines.jsonl", [{"line_id": "retail", "name": "Retail", "industry": "retail"}]
        ),
        "catalog",
        rejects_path=rejects,
    )
    load_file(
        store,
        "products",
        _write(
            tmp / "products.jsonl",
            [
                {"product_id": "RT-KETTLE", "name": "Kettle", "line_id": "retail"},
                {"product_id": "RT-LAMP", "name": "Desk lamp", "line_id": "retail"},
            ],
        ),
        "catalog",
        rejects_path=rejects,
    )
    load_file(
        store,
        "customers",
        _write(tmp / "customers.jsonl", [{"source_record_id": "S1", "name": "Ann Lee"}]),
        "stores",
        rejects_path=rejects,
    )
    load_file(
        store,
        "purchases",
        _write(
            tmp / "purchases.jsonl",
            [
                {
                    "purchase_id": "O1",
                    "customer_id": "S1",
                    "purchased_at": "2026-10-01T10:00:00Z",
                    "product_id": "RT-KETTLE",
                    "quantity": 2,
                    "amount": 78.0,
                    "currency": "USD",
                },
                {
                    "purchase_id": "O1",
                    "customer_id": "S1",
                    "purchased_at": "2026-10-01T10:00:00Z",
                    "product_id": "RT-LAMP",
                    "quantity": 1,
                    "amount": 49.5,
                    "currency": "USD",
                },
                {
                    "purchase_id": "O2",
                    "customer_id": "S1",
                    "purchased_at": "2026-10-20T10:00:00Z",
                    "product_id": "RT-LAMP",
                    "quantity": 1,
                    "amount": 49.0,
                    "currency": "USD",
                },
            ],
        ),
        "stores",
        rejects_path=rejects,
    )
    resolve_store(store, date(2026, 11, 1))
    assert not rejects.exists()
    (customer,) = store.keys_page("Customer")
    return store, customer


def test_a_purchase_reads_back_with_its_total_and_its_items(tmp_path: Path) -> None:
    store, customer = _store(tmp_path)
    store.close()
    app = create_app(
        lambda: EmbeddedStore(tmp_path / "kb.sqlite"),
        IngestSettings(rejects_dir=tmp_path / "rejects"),
        AUTH,
    )
    with LiveServer(app) as live:
        r = httpx.post(
            f"{live.url}/graphql",
            json={"query": QUERY, "variables": {"id": customer}},
            headers={"authorization": "Bearer k-analyst"},
            timeout=30,
        )
    body = r.json()
    assert "errors" not in body, body
    assert body["data"]["customer"]["purchases"] == [
        {"id": "O2", "amount": 49.0, "currency": "USD", "items": [
            {"productId": "RT-LAMP", "productName": "Desk lamp", "quantity": 1, "amount": 49.0},
        ]},
        {"id": "O1", "amount": 127.5, "currency": "USD", "items": [
            {"productId": "RT-KETTLE", "productName": "Kettle", "quantity": 2, "amount": 78.0},
            {"productId": "RT-LAMP", "productName": "Desk lamp", "quantity": 1, "amount": 49.5},
        ]},
    ]  # fmt: skip


def test_rfm_monetary_value_is_the_sum_of_the_purchase_lines(tmp_path: Path) -> None:
    store, customer = _store(tmp_path)
    assign_segments(store, date(2026, 11, 1))
    scored = store.get_nodes("Customer", [customer])[customer].props
    store.close()
    assert scored["monetary"] == 176.5
    assert scored["frequency"] == 2
