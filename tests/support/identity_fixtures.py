"""Customer records for the identity tests: Ann three times over (billing, webshop, call
center), Dee perhaps twice, Bob and Cy once, among a crowd of unrelated customers from
which the match model learns how often strangers agree by chance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from graph.store import GraphStore, RelRow
from loaders.pipeline import load_file

TODAY = date(2026, 11, 23)
"""The day the identity tests resolve on."""

CUSTOMERS = {
    "billing": (
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        "B1,Ann Lee,1980-05-06,ann@example.com,+12025550101,5 Elm Street,10001,US\n"
        "B2,Bob Stone,1975-01-02,bob@example.com,+12025550102,9 Pine Road,20002,US\n"
        "B3,Cy Twain,1990-03-04,cy@example.com,+12025550103,1 Oak Lane,30003,US\n"
    ),
    "webshop": (
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        # Ann again, with a typo and a new phone; same email.
        "W1,Anne Lee,1980-05-06,ANN@example.com,+12025559999,5 Elm St,10001,US\n"
        "W2,Dee Vance,1985-07-08,dee@example.com,+12025550104,2 Ash Court,40004,US\n"
    ),
    "callcenter": (
        "source_record_id,name,birth_date,email,phone,address,postal_code,country\n"
        # Ann a third time: no email, but the billing phone.
        "C1,Ann Lee,,,+12025550101,,,US\n"
        # Dee again? A near spelling, another phone, born the same month: a person decides.
        "C2,Dee Vanse,1985-07-21,,+12025558888,,,US\n"
    ),
}
"""Customer files by source system, each with its header."""

GIVEN = ["Olivia", "Mateo", "Priya", "Kenji", "Fatima", "Lars", "Noor", "Tomasz", "Ines", "Kwame"]
FAMILY = ["Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Novak", "Castillo", "Byrne"]


def crowd_rows(*, with_city: bool = False) -> str:
    """Eighty unrelated customers ``X0``..``X79`` as CSV rows (no header) in the columns of
    ``CUSTOMERS``, with an empty city column before the country if ``with_city``."""
    city = "," if with_city else ""
    return "".join(
        f"X{i},{GIVEN[i % 10]} {FAMILY[i // 10]},19{50 + i % 40}-0{1 + i % 9}-1{i % 9},"
        f"p{i}@example.org,+1303555{i:04d},{i} Birch Way,5{i:04d},{city}US\n"
        for i in range(80)
    )


def load_customer_records(store: GraphStore, tmp_path: Path) -> None:
    """Load the crowd (system ``crm``), every file of ``CUSTOMERS``, and one open complaint
    (touchpoint ``T1``) on call-center record C1; files and rejects go to ``tmp_path``."""
    crowd = tmp_path / "crm.customers.csv"
    header = CUSTOMERS["billing"].splitlines(keepends=True)[0]
    crowd.write_text(header + crowd_rows(), encoding="utf-8")
    load_file(store, "customers", crowd, "crm", rejects_path=tmp_path / "crm.rejects")
    for system, text in CUSTOMERS.items():
        path = tmp_path / f"{system}.customers.csv"
        path.write_text(text, encoding="utf-8")
        load_file(store, "customers", path, system, rejects_path=tmp_path / f"{system}.rejects")
    touchpoints = tmp_path / "callcenter.touchpoints.csv"
    touchpoints.write_text(
        "touchpoint_id,customer_id,occurred_at,channel,kind,direction,resolution_status\n"
        "T1,C1,2026-10-01T10:00:00Z,call_center,complaint,inbound,open\n",
        encoding="utf-8",
    )
    load_file(store, "touchpoints", touchpoints, "callcenter", rejects_path=tmp_path / "t.rej")


def customer_of(store: GraphStore, record: str) -> str:
    """The key of the customer source record ``record`` (e.g. ``billing:B1``) resolves to."""
    [link] = store.neighbours("SourceRecord", record, "RESOLVED_TO", "out", "Customer")
    return link.node.key


def customers_with_one_record_each(
    store: GraphStore, customers: list[dict[str, object]], system: str
) -> None:
    """Customer nodes as given, each with one source record of ``system`` (``s:<id>``)
    resolved to it as a singleton: a store as loading leaves it before resolution."""
    store.upsert_nodes("Customer", customers)
    ids = [str(c["id"]) for c in customers]
    store.upsert_nodes(
        "SourceRecord",
        [{"id": f"s:{c}", "source_system": system, "name": f"Person {c}"} for c in ids],
    )
    store.upsert_relationships(
        "RESOLVED_TO",
        "SourceRecord",
        "Customer",
        [RelRow(f"s:{c}", c, {"rule": "singleton"}) for c in ids],
    )
