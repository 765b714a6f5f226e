"""Splink (probabilistic record linkage on DuckDB) on the same records, for comparison.

Optional: ``pip install -e '.[compare]'``. Splink gets the same normalised fields ckb
matches on (romanised name tokens, E.164 phone, normalised email, postal code, birth
date, standardised address) and the same blocking keys; it estimates u by random
sampling and m by expectation maximisation, as its documentation recommends, then
clusters at a 0.95 match probability.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from identity.profile import Profile


def run_splink(profiles: Sequence[Profile]) -> tuple[list[list[str]], float] | None:
    """Clusters of profile keys and the seconds it took, or None without Splink."""
    try:
        import duckdb
        import pyarrow as pa
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError:
        return None
    rows: list[dict[str, Any]] = []
    for p in profiles:
        tokens = (p.name_key or "").strip()
        rows.append(
            {
                "unique_id": p.key,
                "name": tokens or None,
                "name_stem": p.name_stem,
                "birth_date": p.birth_date,
                "email": p.email,
                "phone": p.phone,
                "postal": p.postal,
                "address": " ".join(p.address) or None,
            }
        )
    started = time.perf_counter()
    db = DuckDBAPI(duckdb.connect())
    records = db.register(pa.Table.from_pylist(rows), table_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
            cl.ExactMatch("postal"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("name", "birth_date"),
            block_on("name", "postal"),
            block_on("name_stem"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(records, settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_record_list()
    elapsed = time.perf_counter() - started
    groups: dict[Any, list[str]] = {}
    for row in clusters:
        groups.setdefault(row["cluster_id"], []).append(str(row["unique_id"]))
    return sorted(sorted(g) for g in groups.values()), elapsed
