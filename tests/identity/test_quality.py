"""`ckb quality` on every store: flags, missing fields, duplicates, load rejects."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from graph.store import GraphStore
from identity.quality import quality_report, render_text
from identity.resolve import resolve_store
from loaders.pipeline import load_file

ROWS = (
    "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
    "B1,Ann Lee,1980-05-06,ann@example.com,+12025550101,5 Elm Street,10001,US\n"
    "B2,Bob Stone,,,call me maybe,,,US\n"
    "B3,Cy Twain,,cy@example.com,000000,1 Oak Lane,00000,US\n"
    "B4,Ann Lee,1980-05-06,ann@example.com,+12025550101,5 Elm Street,10001,US\n"
    "B5,Dee Vance,2999-01-01,not-an-email,,,,US\n"
)


def test_quality_report_counts_what_is_wrong_per_system(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "billing.customers.csv"
    path.write_text(ROWS, encoding="utf-8")
    rejects = tmp_path / "rejects"
    load_file(
        store,
        "customers",
        path,
        "billing",
        rejects_path=rejects / "billing.customers.csv.rejects.jsonl",
    )
    web = tmp_path / "webshop.customers.csv"
    web.write_text(
        ROWS.splitlines()[0] + "\nW1,Ann Lee,1980-05-06,ann@example.com,,,,US\n", encoding="utf-8"
    )
    load_file(
        store,
        "customers",
        web,
        "webshop",
        rejects_path=rejects / "webshop.customers.csv.rejects.jsonl",
    )
    resolve_store(store, date(2026, 11, 23))

    report = quality_report(store, date(2026, 11, 23), rejects)
    billing = report["systems"]["billing"]
    assert billing["records"] == 4  # B5 was rejected at load: future birth date, bad email
    assert billing["flagged"] == {
        "invalid_phone": 1,
        "invalid_postal_code": 1,
        "placeholder_phone": 1,
    }
    assert billing["missing"] == {"contact": 1}  # Bob: no usable email, phone or address
    assert billing["duplicates"] == 1  # B1 and B4 are one Ann
    assert billing["shared_with_other_systems"] == 2  # ...whom the web shop knows too
    assert billing["rejected_at_load"]["count"] == 1
    assert billing["rejected_at_load"]["by_kind"] == {"customers": 1}
    assert report["systems"]["webshop"]["shared_with_other_systems"] == 1
    assert report["totals"]["records"] == 5
    json.dumps(report)  # a front end gets plain JSON
    text = render_text(report)
    assert "billing" in text
    assert "invalid_phone 1" in text
