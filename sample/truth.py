"""What ckb does not load as records: the purchased demographics file ``ckb enrich``
matches (third_party_demographics.csv, ~80% of persons plus a tenth of strangers) and the
ground truth in ``truth/``: who is who, who churned, which lines are planted bad records,
which demographics line is whom.
"""

from __future__ import annotations

from typing import Any

from sample.context import Sample

DEMOGRAPHICS_COLUMNS = [
    "provider",
    "name",
    "address",
    "postal_code",
    "birth_date",
    "household_size",
    "income_band",
    "home_value_band",
]
INCOME_BANDS = ["<25k", "25-50k", "50-75k", "75-100k", "100-150k", "150k+"]
HOME_VALUE_BANDS = ["<100k", "100-250k", "250-500k", "500k-1m", "1m+", "renting"]


def write_third_party(s: Sample) -> None:
    """Not a loadable kind: unmatched purchased demographics, input for ``ckb enrich``."""
    rnd = s.rnd
    rows: list[tuple[str, dict[str, Any]]] = []  # (person ID or "" for a stranger, row)
    for p in s.people:
        if p.kind != "person" or rnd.random() > 0.8:
            continue
        name = p.name if rnd.random() < 0.8 else s.typo(p.name)
        row = {
            "provider": "acxiom-like",
            "name": name,
            "address": p.street,
            "postal_code": p.postal_code,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "household_size": rnd.randint(1, 6),
            "income_band": rnd.choice(INCOME_BANDS),
            "home_value_band": rnd.choice(HOME_VALUE_BANDS),
        }
        rows.append((p.pid, row))
    for _ in range(max(1, len(rows) // 10)):
        stranger = {
            "provider": "acxiom-like",
            "name": s.en.name(),
            "address": s.en.street_address(),
            "postal_code": s.en.postcode(),
            "household_size": rnd.randint(1, 6),
        }
        rows.append(("", stranger))
    rnd.shuffle(rows)
    w = s.writer("third_party_demographics.csv", DEMOGRAPHICS_COLUMNS)
    truth = s.writer("truth/third_party_matches.csv", ["line", "person_id"])
    for pid, row in rows:
        line = w.write(row)
        truth.write({"line": line, "person_id": pid or None})


def write_truth(s: Sample) -> None:
    ident = s.writer("truth/identity.csv", ["source_system", "source_record_id", "person_id"])
    churn = s.writer(
        "truth/churn.csv", ["person_id", "billing_id", "churned", "churned_on", "value_scale"]
    )
    for p in s.people:
        for system, sid in sorted(p.ids.items()):
            ident.write({"source_system": system, "source_record_id": sid, "person_id": p.pid})
        churn.write(
            {
                "person_id": p.pid,
                "billing_id": p.ids["billing"],
                "churned": bool(p.churned_on),
                "churned_on": p.churned_on.isoformat() if p.churned_on else None,
                "value_scale": round(p.value_scale, 4),
            }
        )
    planted = s.writer("truth/planted_rejects.csv", ["file", "line", "why"])
    for name, line, why in s.planted:
        planted.write({"file": name, "line": line, "why": why})
