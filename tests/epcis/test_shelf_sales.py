"""Daily store sales (StoreSalesDay) kept by the purchase loader and erasure: always what
the purchases themselves sum to, so shelf_interactions' purchased units are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from epcis.epc import canonical_epc
from epcis.shelf_signals import store_bucket
from epcis.store_sales import rebuild, sales_of
from governance.erase import erase_customer
from graph.store import GraphStore
from loaders.pipeline import load_file
from loaders.record_rows import singleton_customer_id
from queries.shelf_interactions import _store_sales, prepare_shelf, sale_days
from tests.support.loader_files import load_text, write_file

SHOP = "urn:epc:id:sgln:0614141.00777.0"
OTHER = "urn:epc:id:sgln:0614141.00778.0"
HEADER = "purchase_id,customer_id,purchased_at,product_id,quantity,amount,store_id\n"
# O1 has two lines; O3 is at another store; O4 is online; times in and around May.
PURCHASES = (
    HEADER + f"O1,1,2026-05-01T12:30:00+02:00,MOB,2,10.0,{SHOP}\n"
    f"O1,1,2026-05-01T12:30:00+02:00,SAV,1,4.0,{SHOP}\n"
    f"O2,2,2026-05-01T23:30:00Z,MOB,3,15.0,{SHOP}\n"
    f"O3,1,2026-05-02T08:00:00Z,MOB,7,35.0,{OTHER}\n"
    "O4,2,2026-05-02T09:00:00Z,MOB,1,5.0,\n"
    f"O5,2,2026-05-31T23:59:59Z,SAV,4,16.0,{SHOP}\n"
    f"O6,1,2026-06-01T00:00:00Z,MOB,5,25.0,{SHOP}\n"
)
WINDOWS = [
    ("2026-05-01", "2026-06-01"),
    ("2026-05-01", "2026-06-02"),
    ("2026-05-01T10:30:00Z", "2026-05-31T23:59:59Z"),
    ("2026-05-01T10:31:00Z", "2026-06-01T00:00:00Z"),
    ("2026-05-01T00:00:00Z", "2026-05-02"),
    ("2026-05-01T23:00:00Z", "2026-05-02T01:00:00Z"),
    ("2026-04-01", "2026-07-01"),
]


@pytest.fixture
def loaded(store: GraphStore, tmp_path: Path) -> GraphStore:
    write_file(tmp_path / "lines.csv", "line_id,name,industry\nm,Mobile,telco\ns,Savings,bank\n")
    write_file(tmp_path / "products.csv", "product_id,name,line_id\nMOB,Mobile,m\nSAV,Saver,s\n")
    write_file(
        tmp_path / "c.csv", "source_record_id,name,email\n1,Ann Lee,ann@x.org\n2,Bo Ek,bo@x.org\n"
    )
    for kind, name in (("product_lines", "lines"), ("products", "products"), ("customers", "c")):
        load_file(store, kind, tmp_path / f"{name}.csv", "billing", rejects_path=tmp_path / "r")
    _load(store, tmp_path, PURCHASES)
    return store


def _load(store: GraphStore, tmp_path: Path, text: str) -> None:
    summary = load_text(
        store, "purchases", tmp_path / "p.csv", text, "billing", rejects_path=tmp_path / "r"
    )
    assert summary.rejected == 0


def _days(store: GraphStore) -> dict[str, tuple[int, int]]:
    return {
        n.key: (int(n.props["units"]), int(n.props["lines"]))  # type: ignore[arg-type]
        for n in store.find_range("StoreSalesDay", "store_day", "", limit=10**6)
    }


def _raw(store: GraphStore, shop: str, start: str, end: str) -> dict[str, int]:
    """Units per product, read purchase by purchase: the answer before the roll-up."""
    key = canonical_epc(shop)
    made = store.find_range(
        "Purchase", "store_sale", store_bucket(key, start), store_bucket(key, end), limit=10**6
    )
    units: dict[str, int] = {}
    for (_, _, product), (sold, _) in sales_of(store, [n.key for n in made]).items():
        units[product] = units.get(product, 0) + sold
    return units


def _answer(store: GraphStore, shop: str, start: str, end: str) -> dict[str, int]:
    params = prepare_shelf({"store": shop, "product": "", "from": start, "to": end})
    return _store_sales(store, params)


def _check_kept(store: GraphStore) -> dict[str, tuple[int, int]]:
    """The rows the loader kept are what computing them again from scratch gives."""
    kept = _days(store)
    rebuild(store)
    assert _days(store) == kept
    return kept


def test_the_loader_keeps_each_store_day_as_its_purchases_sum(loaded: GraphStore) -> None:
    shop, other = canonical_epc(SHOP), canonical_epc(OTHER)
    assert _check_kept(loaded) == {
        f"{shop}|2026-05-01|MOB": (5, 2),
        f"{shop}|2026-05-01|SAV": (1, 1),
        f"{shop}|2026-05-31|SAV": (4, 1),
        f"{shop}|2026-06-01|MOB": (5, 1),
        f"{other}|2026-05-02|MOB": (7, 1),
    }
    for start, end in WINDOWS:
        for place in (SHOP, OTHER):
            assert _answer(loaded, place, start, end) == _raw(loaded, place, start, end), (
                place,
                start,
                end,
            )
    assert _answer(loaded, SHOP, "2026-05-01", "2026-06-01") == {"MOB": 5, "SAV": 5}


def test_loading_again_counts_once_and_changes_move_the_days(
    loaded: GraphStore, tmp_path: Path
) -> None:
    before = _days(loaded)
    _load(loaded, tmp_path, PURCHASES)
    assert _days(loaded) == before
    shop = canonical_epc(SHOP)
    # O2 moves to the next day with another quantity; O5 moves to the other store.
    _load(
        loaded,
        tmp_path,
        HEADER + f"O2,2,2026-05-02T00:30:00Z,MOB,6,30.0,{SHOP}\n"
        f"O5,2,2026-05-31T23:59:59Z,SAV,4,16.0,{OTHER}\n",
    )
    kept = _check_kept(loaded)
    assert kept[f"{shop}|2026-05-01|MOB"] == (2, 1)
    assert kept[f"{shop}|2026-05-02|MOB"] == (6, 1)
    assert f"{shop}|2026-05-31|SAV" not in kept
    assert kept[f"{canonical_epc(OTHER)}|2026-05-31|SAV"] == (4, 1)
    for start, end in WINDOWS:
        assert _answer(loaded, SHOP, start, end) == _raw(loaded, SHOP, start, end)


def test_erasing_a_customer_takes_her_purchases_out_of_the_days(
    loaded: GraphStore,
) -> None:
    erase_customer(loaded, singleton_customer_id("billing", "1"), "test")
    shop = canonical_epc(SHOP)
    # Ann's O1, O3 and O6 are gone; Bo's O2 and O5 stay.
    assert _check_kept(loaded) == {
        f"{shop}|2026-05-01|MOB": (3, 1),
        f"{shop}|2026-05-31|SAV": (4, 1),
    }
    assert _answer(loaded, SHOP, "2026-04-01", "2026-07-01") == {"MOB": 3, "SAV": 4}


def test_whole_sale_days_are_the_days_whose_every_time_is_in_the_window() -> None:
    assert sale_days("2026-05-01", "2026-06-01") == ("2026-05-01", "2026-06-01")
    assert sale_days("2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z") == (
        "2026-05-02",
        "2026-06-01",
    )
    assert sale_days("2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z") is None
    assert sale_days("2026-05-01", "2026-05-01T23:59:59Z") is None
    assert sale_days("9999-12-31T01:00:00Z", "9999-12-31T02:00:00Z") is None
    assert sale_days("May", "June") is None


def test_a_store_kept_before_the_days_gets_them_all_at_its_next_purchase_load(
    loaded: GraphStore, tmp_path: Path
) -> None:
    everything = _days(loaded)
    loaded.delete_nodes("StoreSalesDay", sorted(everything))  # as a store kept before
    _load(loaded, tmp_path, HEADER + f"O7,2,2026-05-20T10:00:00Z,SAV,2,8.0,{SHOP}\n")
    kept = _check_kept(loaded)
    assert kept == {**everything, f"{canonical_epc(SHOP)}|2026-05-20|SAV": (2, 1)}


def test_a_store_kept_before_the_days_answers_from_its_purchases_meanwhile(
    loaded: GraphStore,
) -> None:
    """Until its next purchase write, a store written before the roll-up has purchases and
    no days: its answers read the purchases, never an empty day."""
    windows = [("2026-05-01", "2026-06-01"), ("2026-05-01T08:30:00Z", "2026-05-20")]
    before = [_answer(loaded, SHOP, start, end) for start, end in windows]
    assert any(before), before
    loaded.delete_nodes("StoreSalesDay", sorted(_days(loaded)))  # as a store kept before
    for (start, end), answer in zip(windows, before, strict=True):
        assert _answer(loaded, SHOP, start, end) == answer == _raw(loaded, SHOP, start, end)
