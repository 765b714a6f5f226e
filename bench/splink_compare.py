"""Splink (probabilistic record linkage on DuckDB) on the same records, for comparison.

Optional: ``pip install -e '.[compare]'``. Two configurations:

- ``run_splink``: the same normalised fields ckb matches on (romanised name tokens,
  E.164 phone, normalised email, postal code, birth date, standardised address) and the
  same blocking keys; suits data with emails and phones (bench/identity_eval.py).
- ``run_splink_fields``: one comparison per raw column, as Splink's own FEBRL examples
  do (given name, family name, birth date, street number, street, suburb, postcode); for
  data without emails or phones to train on (bench/identity_public.py).

Both estimate u by random sampling and m by expectation maximisation, as Splink's
documentation recommends, then cluster at a 0.95 match probability.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from identity.evaluate import pairwise_scores
from identity.profile import Profile

Clusters = list[list[str]]


def run_splink(profiles: Sequence[Profile]) -> tuple[Clusters, float] | None:
    """Clusters of profile keys and the seconds it took, or None without Splink."""
    rows: list[dict[str, Any]] = [
        {
            "unique_id": p.key,
            "name": (p.name_key or "").strip() or None,
            "name_stem": p.name_stem,
            "birth_date": p.birth_date,
            "email": p.email,
            "phone": p.phone,
            "postal": p.postal,
            "address": " ".join(p.address) or None,
        }
        for p in profiles
    ]

    def settings(cl: Any, block_on: Any) -> dict[str, Any]:
        return {
            "comparisons": [
                cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
                cl.ExactMatch("birth_date"),
                cl.ExactMatch("email"),
                cl.ExactMatch("phone"),
                cl.LevenshteinAtThresholds("address", [2, 5]),
                cl.ExactMatch("postal"),
            ],
            "blocking": [
                block_on("email"),
                block_on("phone"),
                block_on("name", "birth_date"),
                block_on("name", "postal"),
                block_on("name_stem"),
            ],
            "prior": [block_on("email"), block_on("phone")],
            "prior_recall": 0.8,
            "em": [block_on("email"), block_on("phone")],
        }

    return _clustered(rows, settings)


SPLINK_FIELDS = ("given_name", "family_name", "birth_date", "city", "postal_code")


def run_splink_fields(data: Path) -> tuple[Clusters, float] | None:
    """Clusters of ``system:source_record_id`` over the ``*.customers.csv`` files in
    ``data`` and the seconds it took, or None without Splink."""
    rows: list[dict[str, Any]] = []
    for path in sorted(data.glob("*.customers.csv")):
        system = path.name.removesuffix(".customers.csv")
        with path.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                number, _, street = r["address"].partition(" ")
                if not number.isdigit():
                    number, street = "", r["address"]
                rows.append(
                    {"unique_id": f"{system}:{r['source_record_id']}"}
                    | {k: (r.get(k) or "").strip().lower() or None for k in SPLINK_FIELDS}
                    | {"street_number": number or None, "street": street.strip() or None}
                )

    def settings(cl: Any, block_on: Any) -> dict[str, Any]:
        return {
            "comparisons": [
                cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
                cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]),
                cl.LevenshteinAtThresholds("birth_date", [1, 2]),
                cl.ExactMatch("street_number"),
                cl.LevenshteinAtThresholds("street", [2, 5]),
                cl.LevenshteinAtThresholds("city", [2]),
                cl.LevenshteinAtThresholds("postal_code", [1]),
            ],
            "blocking": [
                block_on("given_name", "family_name"),
                block_on("birth_date"),
                block_on("postal_code", "street_number"),
                block_on("family_name", "postal_code"),
                block_on("given_name", "city"),
            ],
            "prior": [block_on("given_name", "family_name", "birth_date")],
            "prior_recall": 0.7,
            "em": [block_on("given_name", "family_name"), block_on("birth_date")],
        }

    return _clustered(rows, settings)


def _clustered(
    rows: list[dict[str, Any]], settings: Callable[[Any, Any], dict[str, Any]]
) -> tuple[Clusters, float] | None:
    """Train Splink on ``rows`` with ``settings(comparison_library, block_on)`` and
    cluster them."""
    try:
        import duckdb
        import pyarrow as pa
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError:
        return None
    started = time.perf_counter()
    chosen = settings(cl, block_on)
    db = DuckDBAPI(duckdb.connect())
    records = db.register(pa.Table.from_pylist(rows), table_name="records")
    linker = Linker(
        records,
        SettingsCreator(
            link_type="dedupe_only",
            comparisons=chosen["comparisons"],
            blocking_rules_to_generate_predictions=chosen["blocking"],
            retain_intermediate_calculation_columns=False,
        ),
        log_level=30,
    )
    linker.training.estimate_probability_two_random_records_match(
        chosen["prior"], recall=chosen["prior_recall"]
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000)
    for rule in chosen["em"]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_record_list()
    elapsed = time.perf_counter() - started
    groups: dict[Any, list[str]] = {}
    for row in clusters:
        groups.setdefault(row["cluster_id"], []).append(str(row["unique_id"]))
    return sorted(sorted(g) for g in groups.values()), elapsed


def splink_row(found: Clusters, truth: list[list[str]], seconds: float) -> dict[str, float]:
    """Splink's pairwise scores against the truth, as a result row's columns."""
    theirs = pairwise_scores(found, truth)
    return {
        "splink_precision": theirs.precision,
        "splink_recall": theirs.recall,
        "splink_f1": theirs.f1,
        "splink_s": seconds,
    }
