"""Census-style record-linkage sets from the ``pseudopeople`` package, in ckb's format.

pseudopeople (IHME) simulates a US population and writes it the way censuses, surveys
and tax forms get it wrong: typos, OCR and phonetic errors, fake names ("Man Of The
House", "Baby", "Adult"), nicknames, a birth date copied from someone of the household or
with day and month swapped, moves, missing fields. Nobody here wrote it. Its own default
noise is used, with fixed seeds, on the sample data the package ships.

pseudopeople pins its own pandas and pyarrow, so it runs in a venv of its own:

    python3.11 -m venv /tmp/pp-venv && /tmp/pp-venv/bin/pip install pseudopeople
    /tmp/pp-venv/bin/python bench/pseudopeople_sets.py /tmp/pp
    .venv/bin/python bench/identity_public.py --no-splink --dir /tmp/pp/set1 --dir /tmp/pp/set2

``set1``: the 2020 and the 2030 decennial census of one simulated town (21,267 records,
6,254 true pairs; people move, are born and die between the two). ``set2``: the 2020
census and the W-2/1099 tax forms of 2020 (20,154 records; the forms carry no birth date
and a mailing address, and a person with several jobs has several). The census records
carry each person's sex as pseudopeople noises it (``gender``; the forms have none). Each
system's rows are shuffled and given opaque IDs; ``simulant_id`` is kept only in
``truth/identity.csv``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pandas as pd  # pseudopeople's venv
import pseudopeople as pp

COLUMNS = ["source_record_id", "given_name", "family_name", "birth_date", "gender",
           "address", "address_line2", "city", "region", "postal_code", "country"]  # fmt: skip


def text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def iso_date(value: Any) -> str:
    """pseudopeople's MM/DD/YYYY as an ISO date when it is one; the noised text as
    written otherwise (ckb's loader reads what it can and flags the rest)."""
    written = text(value)
    try:
        return dt.datetime.strptime(written, "%m/%d/%Y").date().isoformat()
    except ValueError:
        return written


def joined(*parts: Any) -> str:
    return " ".join(p for p in (text(x).strip() for x in parts) if p)


def customers(frame: pd.DataFrame, prefix: str, kind: str) -> tuple[pd.DataFrame, list[str]]:
    rows, people = [], []
    for n, record in enumerate(frame.to_dict("records"), start=1):
        if kind == "census":
            address = joined(record["street_number"], record["street_name"])
            line2 = text(record["unit_number"])
            city, region, postal = record["city"], record["state"], record["zipcode"]
            born = iso_date(record["date_of_birth"])
            gender = text(record["sex"]).lower()  # Female, Male; noised: blank
        else:  # a W-2 or 1099: a mailing address, no birth date, no sex
            address = joined(
                record["mailing_address_street_number"], record["mailing_address_street_name"]
            )
            box = text(record["mailing_address_po_box"])
            if box:
                address = joined(address, f"PO Box {box}")
            line2 = text(record["mailing_address_unit_number"])
            city = record["mailing_address_city"]
            region = record["mailing_address_state"]
            postal = record["mailing_address_zipcode"]
            born = gender = ""
        rows.append(
            {
                "source_record_id": f"{prefix}{n:07d}",
                "given_name": text(record["first_name"]),
                "family_name": text(record["last_name"]),
                "birth_date": born,
                "gender": gender,
                "address": address,
                "address_line2": line2,
                "city": text(city),
                "region": text(region),
                "postal_code": text(postal),
                "country": "US",
            }
        )
        people.append(str(record["simulant_id"]))
    return pd.DataFrame(rows, columns=COLUMNS), people


def write_set(out: Path, systems: list[tuple[str, pd.DataFrame, str, str]]) -> None:
    (out / "truth").mkdir(parents=True, exist_ok=True)
    truth: list[tuple[str, str, str]] = []
    for system, frame, prefix, kind in systems:
        # Row order would say who is who: shuffled, the same way every run.
        shuffled = frame.sample(frac=1, random_state=12345).reset_index(drop=True)
        rows, people = customers(shuffled, prefix, kind)
        rows.to_csv(out / f"{system}.customers.csv", index=False)
        truth.extend(zip([system] * len(rows), rows["source_record_id"], people, strict=True))
    pd.DataFrame(truth, columns=["source_system", "source_record_id", "person_id"]).to_csv(
        out / "truth" / "identity.csv", index=False
    )
    print(f"{out}: {len(truth):,} records")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "pseudopeople-sets")
    census = pp.generate_decennial_census(seed=0, year=2020)
    census_2030 = pp.generate_decennial_census(seed=1, year=2030)
    forms = pp.generate_taxes_w2_and_1099(seed=1, year=2020)
    write_set(out / "set1", [("census", census, "C", "census"),
                             ("census2030", census_2030, "K", "census")])  # fmt: skip
    write_set(out / "set2", [("census", census, "C", "census"), ("w2", forms, "W", "w2")])


if __name__ == "__main__":
    main()
