"""ckb's identity resolution on independently generated data (issue 16), beside Splink.

    .venv/bin/python bench/identity_eval.py            # the grid, ~5k records a run, 3 seeds
    .venv/bin/python bench/identity_eval.py --modes dedup --levels high --records 20000
    .venv/bin/python bench/identity_eval.py --levels high --no-splink --ablate \
        --out bench/results/identity_ablation.json

For each (mode, level) of the grid and each seed: generate the records with
bench/identity_gen.py (not ckb's own sample generator), load them into a fresh embedded
store with the loader (``ckb load customers``), run ``ckb resolve`` (resolve_store) and
score the clusters.

Scores are pairwise precision, recall and F1 over *every* record of the truth: a record
the loader rejected belongs to its person still, and each of its pairs is a missed pair
(``ckb resolve --evaluate`` scores the loaded records only; that figure is reported too,
as "F1 loaded"). Pair completeness is the share of true pairs among the loaded records
that blocking makes candidates (identity.blocking.candidate_pairs, as resolve runs it).
Splink (when importable: ``pip install 'splink>=4'``) gets the same loaded records,
normalised as ckb normalises them (bench/splink_compare.py), and is scored the same way.

Then every missed pair and every false merge is classified: which corruptions the two
records carry (bench/identity_gen.py's truth/records.csv), how far the pair got (rejected
at load, never compared by blocking, compared and scored low, linked but refused by the
over-merge guards), which fields disagreed; and for false merges, how the two people are
related (twins, a father and son of one name, spouses, namesakes ...) and on what the
pair was joined. The top causes are printed; everything goes to
bench/results/identity_eval.json. The table gives means over the seeds: one seed's F1
moves by about 0.01 from another's.

``--ablate`` reruns each cell without each corruption in turn (its rate 0; the others'
values are drawn per record and corruption, so they stay as they were) and prints what
removing it gains: a corruption's cost, free of the corruptions it travels with.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from identity_gen import LEVELS, RATES, Generated, Person, Settings, generate
from splink_compare import run_splink, splink_row

from graph.embedded import EmbeddedStore
from graph.memory import gc_paused
from identity.blocking import candidate_pairs
from identity.comparison import compare
from identity.evaluate import cluster_scores, pairwise_scores
from identity.matching import AUTO_MERGE_WEIGHT, REVIEW_WEIGHT, Link, is_link
from identity.model import find_generic
from identity.profile import Profile, profile
from identity.resolve import resolve_store
from loaders.pipeline import load_file

RESULTS = Path(__file__).resolve().parent / "results" / "identity_eval.json"
Pair = tuple[str, str]


def pairs_of(groups: Iterable[Iterable[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for group in groups:
        out.update(combinations(sorted(group), 2))
    return out


def reject_reason(reason: str) -> str:
    """A loader reject reason without the value: 'birth_date: input is too short'."""
    text = reason.split(" (got ", 1)[0].split(" [type=", 1)[0]
    text = text.replace("Input should be a valid date or datetime, ", "")
    return text[:90]


@dataclass
class Run:
    mode: str
    level: str
    gen: Generated
    truth: dict[str, str]  # record key -> person
    loaded: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)  # record key -> reasons
    profiles: dict[str, Profile] = field(default_factory=dict)
    clusters: list[list[str]] = field(default_factory=list)
    links: dict[Pair, Link] = field(default_factory=dict)
    review: set[Pair] = field(default_factory=set)
    blocked: set[Pair] = field(default_factory=set)
    splink: list[list[str]] | None = None
    row: dict[str, Any] = field(default_factory=dict)


def run_one(
    mode: str,
    level: str,
    records: int,
    seed: int,
    work: Path,
    with_splink: bool,
    rates: dict[str, float] | None = None,
) -> Run:
    today = date.today()
    tag = "-".join(f"{k}={v:g}" for k, v in sorted((rates or {}).items()))
    out = work / "-".join(x for x in (mode, level, f"s{seed}", tag) if x)
    t = time.perf_counter()
    settings = Settings(mode=mode, level=level, records=records, seed=seed, rates=rates or {})
    gen = generate(out, settings)
    t_gen = time.perf_counter() - t
    truth = {f"{r.system}:{r.record_id}": r.pid for r in gen.records}
    run = Run(mode, level, gen, truth)

    store = EmbeddedStore(out.parent / f"{out.name}.sqlite", synchronous="NORMAL")
    t = time.perf_counter()
    for system, path in gen.files.items():
        rejects = out / "rejects" / f"{system}.rejects.jsonl"
        load_file(store, "customers", path, system, rejects_path=rejects)
        if rejects.exists():
            for line in rejects.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                record = entry.get("record") or {}
                key = f"{system}:{record.get('source_record_id', '?')}"
                run.rejected[key] = "; ".join(reject_reason(r) for r in entry["reasons"])
    t_load = time.perf_counter() - t

    t = time.perf_counter()
    summary = resolve_store(store, today)
    t_resolve = time.perf_counter() - t
    assert summary.resolution is not None
    resolution = summary.resolution
    run.clusters = resolution.clusters
    run.links = resolution.links
    run.review = {(lk.a, lk.b) for lk in resolution.review}

    keys = store.keys("SourceRecord")
    nodes = store.get_nodes("SourceRecord", keys)
    store.close()
    with gc_paused():
        run.profiles = {k: profile(k, n.props, today) for k, n in sorted(nodes.items())}
        ordered = list(run.profiles.values())
        blocking = candidate_pairs(ordered, find_generic(ordered))
    run.loaded = set(run.profiles)
    run.blocked = {
        (min(ordered[i].key, ordered[j].key), max(ordered[i].key, ordered[j].key))
        for i, j in blocking.pairs
    }

    people: dict[str, list[str]] = defaultdict(list)
    for key, pid in truth.items():
        people[pid].append(key)
    truth_all = list(people.values())
    truth_loaded = [[k for k in g if k in run.loaded] for g in truth_all]
    true_pairs = pairs_of(truth_all)
    loaded_pairs = pairs_of(truth_loaded)
    ckb = pairwise_scores(run.clusters, truth_all)
    ckb_loaded = pairwise_scores(run.clusters, truth_loaded)
    exact = cluster_scores(run.clusters, truth_all).exact
    completeness = len(loaded_pairs & run.blocked) / len(loaded_pairs) if loaded_pairs else 1.0

    row: dict[str, Any] = {
        "mode": mode,
        "level": level,
        "seed": seed,
        "people": len(people),
        "records": len(truth),
        "loaded": len(run.loaded),
        "rejected": len(truth) - len(run.loaded),
        "true_pairs": len(true_pairs),
        "ckb_precision": ckb.precision,
        "ckb_recall": ckb.recall,
        "ckb_f1": ckb.f1,
        "ckb_f1_loaded": ckb_loaded.f1,
        "ckb_people_exact": exact / len(people),
        "pair_completeness": completeness,
        "candidate_pairs": len(run.blocked),
        "skipped_blocks": blocking.skipped_blocks,
        "review_queue": len(resolution.review),
        "generate_s": t_gen,
        "load_s": t_load,
        "resolve_s": t_resolve,
    }
    if with_splink:
        found = run_splink(ordered)
        if found is not None:
            run.splink = found[0]
            row |= splink_row(found[0], truth_all, found[1])
    run.row = row
    return run


# ----------------------------------------------------------------------------- analysis


def relation(a: Person, b: Person) -> str:
    """How two different people are related, as far as the generator made them."""
    if a.household and a.household == b.household:
        roles = {a.role, b.role}
        if "twin" in a.relations and "twin" in b.relations:
            return "twins"
        if roles == {"head", "partner"}:
            return "spouses"
        if "sibling" in roles or roles == {"child"}:
            return "siblings"
        if (a.given, a.family) == (b.given, b.family):
            return "parent and child of one name"
        return "parent and child"
    if (a.given.lower(), a.family.lower()) == (b.given.lower(), b.family.lower()):
        return "namesakes (same full name)"
    if a.family.lower() == b.family.lower():
        return "unrelated, same family name"
    return "unrelated"


# Loader fields and the corruptions that touch them.
FIELD_LABELS = {
    "birth_date": ("dob_",),
    "email": ("email_",),
    "phone": ("phone_",),
    "name": ("name_",),
    "given_name": ("name_",),
    "family_name": ("name_",),
    "address": ("addr_",),
    "postal_code": ("postcode_", "addr_"),
    "city": ("suburb_", "addr_"),
    "gender": ("gender_",),
    "national_id": ("id_",),
}


def base_label(label: str) -> str:
    return label.split("/", 1)[0]


def fields_off(levels: dict[str, str | None], skip_id: bool = True) -> str:
    """The fields of a pair that do not agree exactly: 'name=different dob=missing'."""
    short = {"birth_date": "dob", "national_id": "id"}
    parts = [
        f"{short.get(f, f)}={level or 'missing'}"
        for f, level in levels.items()
        if level != "exact" and not (skip_id and f == "national_id" and level is None)
    ]
    return " ".join(parts) or "(all agree)"


def fields_same(levels: dict[str, str | None]) -> str:
    same = [f for f, level in levels.items() if level == "exact"]
    return "+".join(same) or "(none exact)"


def analyse(run: Run) -> dict[str, Any]:
    """Missed pairs and false merges by cause."""
    truth = run.truth
    labels = {f"{r.system}:{r.record_id}": r.corruptions for r in run.gen.records}
    people = run.gen.people
    groups: dict[str, list[str]] = defaultdict(list)
    for key, pid in truth.items():
        groups[pid].append(key)
    true_pairs = pairs_of(groups.values())
    found = pairs_of(run.clusters)
    missed = sorted(true_pairs - found)
    false = sorted(found - true_pairs)
    splink_found = pairs_of(run.splink) if run.splink is not None else None

    stage: Counter[str] = Counter()
    by_label_total: Counter[str] = Counter()
    by_label_missed: Counter[str] = Counter()
    by_label_splink: Counter[str] = Counter()
    fields_by_stage: dict[str, Counter[str]] = defaultdict(Counter)
    labels_by_stage: dict[str, Counter[str]] = defaultdict(Counter)
    rejected_reasons: Counter[str] = Counter()
    rejected_labels: Counter[str] = Counter()
    for key, reason in run.rejected.items():
        rejected_reasons[reason] += 1
        # The corruptions of the fields the loader refused (not all the record carries).
        prefixes = tuple(
            p for f, ps in FIELD_LABELS.items() if f"{f}:" in reason or f"{f} " in reason
            for p in ps
        )  # fmt: skip
        mine = [x for x in labels.get(key, []) if x.startswith(prefixes)] if prefixes else []
        for label in mine or ["(no corruption of that field)"]:
            rejected_labels[label] += 1

    missed_set = set(missed)
    base_totals: Counter[str] = Counter()
    for a, b in sorted(true_pairs):
        pair_labels = sorted(set(labels[a]) | set(labels[b])) or ["(none)"]
        base_totals.update({base_label(x) for x in pair_labels})
        for label in pair_labels:
            by_label_total[label] += 1
            if (a, b) in missed_set:
                by_label_missed[label] += 1
            if splink_found is not None and (a, b) not in splink_found:
                by_label_splink[label] += 1
    miss_rate = len(missed) / len(true_pairs) if true_pairs else 0.0
    for a, b in missed:
        pair_labels = sorted(set(labels[a]) | set(labels[b])) or ["(none)"]
        if a not in run.loaded or b not in run.loaded:
            where = "rejected at load"
            off = "; ".join(run.rejected.get(k, "?") for k in (a, b) if k not in run.loaded)
        else:
            link = run.links.get((a, b))
            if (a, b) not in run.blocked and link is None:
                where = "never compared (blocking)"
            elif link is not None and is_link(link):
                where = "linked, refused by the over-merge guards"
            elif link is not None and link.weight >= REVIEW_WEIGHT:
                where = (
                    "scored 6-12: in the review queue"
                    if (a, b) in run.review
                    else "scored 6-12: not worth review"
                )
            else:
                where = "scored below 6"
            off = fields_off(compare(run.profiles[a], run.profiles[b]))
        stage[where] += 1
        fields_by_stage[where][off] += 1
        labels_by_stage[where].update({base_label(x) for x in pair_labels})

    false_relation: Counter[str] = Counter()
    false_how: Counter[str] = Counter()
    false_detail: Counter[str] = Counter()
    for a, b in false:
        pa, pb = people[truth[a]], people[truth[b]]
        rel = relation(pa, pb)
        placeholder = any("name_placeholder" in labels[k] for k in (a, b))
        if placeholder:
            rel += " (placeholder name)"
        link = run.links.get((a, b))
        if link is not None and is_link(link):
            how = (
                f"linked by rule {link.rule}"
                if link.rule != "probabilistic"
                else f"linked by weight >= {AUTO_MERGE_WEIGHT:g}"
            )
        else:
            how = "joined through others (no direct link)"
        same = fields_same(compare(run.profiles[a], run.profiles[b]))
        false_relation[rel] += 1
        false_how[how] += 1
        false_detail[f"{rel} | {how} | exact: {same}"] += 1

    label_table: list[dict[str, Any]] = [
        {
            "corruption": label,
            "true_pairs": total,
            "ckb_missed": by_label_missed[label],
            "ckb_missed_share": by_label_missed[label] / total,
            # what this run would miss of them at its overall miss rate
            "ckb_expected": total * miss_rate,
            **({"splink_missed": by_label_splink[label]} if splink_found is not None else {}),
        }
        for label, total in by_label_total.most_common()
    ]
    label_table.sort(key=lambda r: -(r["ckb_missed"] - r["ckb_expected"]))
    return {
        "true_pairs": len(true_pairs),
        "true_pairs_by_corruption": dict(base_totals.most_common()),
        "missed_pairs": len(missed),
        "false_pairs": len(false),
        "missed_by_stage": dict(stage.most_common()),
        "missed_by_corruption": label_table,
        "missed_fields_by_stage": {k: dict(v.most_common(15)) for k, v in fields_by_stage.items()},
        "missed_corruptions_by_stage": {
            k: dict(v.most_common()) for k, v in labels_by_stage.items()
        },
        "false_by_relation": dict(false_relation.most_common()),
        "false_by_how": dict(false_how.most_common()),
        "false_detail": dict(false_detail.most_common(25)),
        "rejected_reasons": dict(rejected_reasons.most_common()),
        "rejected_corruptions": dict(rejected_labels.most_common()),
    }


def merge_counts(analyses: list[dict[str, Any]], key: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for a in analyses:
        total.update(a[key])
    return total


def remove(work: Path, pattern: str) -> None:
    for path in work.glob(pattern):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def ablate(
    mode: str, level: str, records: int, seed: int, work: Path, base: dict[str, Any]
) -> list[dict[str, Any]]:
    """The cell again without each corruption in turn (ckb only): what each one costs.
    Draws are per record, so the rest of the noise stays as it was (nearly: a record
    over its level's cap keeps another subset)."""
    rows = []
    for name in RATES:
        if name.startswith("id_"):
            continue
        run = run_one(mode, level, records, seed, work, False, {name: 0.0})
        r = run.row
        rows.append(
            {
                "mode": mode,
                "level": level,
                "seed": seed,
                "corruption": name,
                "rate": Settings(level=level).rate(name),
                "f1": r["ckb_f1"],
                "delta_f1": r["ckb_f1"] - base["ckb_f1"],
                "delta_recall": r["ckb_recall"] - base["ckb_recall"],
                "delta_precision": r["ckb_precision"] - base["ckb_precision"],
                "rejected": r["rejected"],
            }
        )
        remove(work, f"{mode}-{level}-s{seed}-{name}=*")
    return rows


def ablation_cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ablation runs of one (mode, level, corruption) over the seeds: mean deltas."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["mode"], r["level"], r["corruption"])].append(r)
    out = []
    for (mode, level, name), runs in groups.items():
        cell: dict[str, Any] = {"mode": mode, "level": level, "corruption": name}
        cell["rate"] = runs[0]["rate"]
        for key in ("delta_f1", "delta_recall", "delta_precision"):
            values = [r[key] for r in runs]
            cell[key] = sum(values) / len(values)
            cell[key + "_range"] = (min(values), max(values))
        out.append(cell)
    out.sort(key=lambda x: -x["delta_f1"])
    return out


# ----------------------------------------------------------------------------- report


def cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of one (mode, level) over the seeds: means, and each F1's lowest and highest."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["mode"], r["level"])].append(r)
    out = []
    for (mode, level), runs in groups.items():
        cell: dict[str, Any] = {"mode": mode, "level": level, "seeds": [r["seed"] for r in runs]}
        for key in runs[0]:
            values = [r[key] for r in runs if key in r]
            if key != "seed" and values and all(isinstance(v, int | float) for v in values):
                cell[key] = sum(values) / len(values)
                if key.endswith("_f1"):
                    cell[key + "_range"] = (min(values), max(values))
        out.append(cell)
    return out


def _f1(cell: dict[str, Any], key: str) -> str:
    low, high = cell[key + "_range"]
    spread = f" ({low:.3f}-{high:.3f})" if len(cell["seeds"]) > 1 else ""
    return f"**{cell[key]:.4f}**{spread}"


def table(rows: list[dict[str, Any]]) -> str:
    """The grid as Markdown: one line per (mode, level), means over the seeds (F1: the
    lowest and highest seed's in brackets)."""
    has_splink = any("splink_f1" in r for r in rows)
    head = ("| mode | level | records | rejected | true pairs | ckb P | ckb R | ckb F1 | "
            "F1 loaded | blocking PC | load s | resolve s |")  # fmt: skip
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if has_splink:
        head += " Splink P | Splink R | Splink F1 | Splink s |"
        rule += "---:|---:|---:|---:|"
    lines = [head, rule]
    for c in cells(rows):
        line = (
            f"| {c['mode']} | {c['level']} | {c['records']:,.0f} | {c['rejected']:,.0f} | "
            f"{c['true_pairs']:,.0f} | {c['ckb_precision']:.4f} | {c['ckb_recall']:.4f} | "
            f"{_f1(c, 'ckb_f1')} | {c['ckb_f1_loaded']:.4f} | "
            f"{c['pair_completeness']:.4f} | {c['load_s']:.1f} | {c['resolve_s']:.1f} |"
        )
        if has_splink:
            line += (
                f" {c['splink_precision']:.4f} | {c['splink_recall']:.4f} | "
                f"{_f1(c, 'splink_f1')} | {c['splink_s']:.1f} |"
                if "splink_f1" in c
                else " - | - | - | - |"
            )
        lines.append(line)
    return "\n".join(lines)


def print_counts(title: str, counts: Counter[str] | dict[str, int], top: int) -> None:
    items = counts.most_common(top) if isinstance(counts, Counter) else list(counts.items())[:top]
    if not items:
        return
    print(f"\n{title}")
    for name, n in items:
        print(f"  {n:>6,}  {name}")


def report(analyses: list[dict[str, Any]], top: int, splink: bool) -> None:
    print("\n## Causes, summed over every run of the grid")
    print_counts("Missed pairs by stage:", merge_counts(analyses, "missed_by_stage"), top)
    totals: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    theirs: Counter[str] = Counter()
    for a in analyses:
        for r in a["missed_by_corruption"]:
            totals[r["corruption"]] += r["true_pairs"]
            missed[r["corruption"]] += r["ckb_missed"]
            expected[r["corruption"]] += r["ckb_expected"]
            theirs[r["corruption"]] += r.get("splink_missed", 0)
    print(
        "\nMissed pairs by the corruptions the two records carry (a pair counts under each"
        "\nof its). 'expected': what its run would miss of these pairs at the run's overall"
        "\nmiss rate; 'excess' = missed - expected: the misses that go with this corruption."
    )
    heading = f"  {'corruption':<28} {'true pairs':>10} {'missed':>7} {'share':>6} "
    print(
        heading + f"{'expected':>8} {'excess':>7}" + (f" {'Splink missed':>13}" if splink else "")
    )
    excess = Counter({k: missed[k] - expected[k] for k in totals})
    for label, extra in excess.most_common(top):
        print(
            f"  {label:<28} {totals[label]:>10,} {missed[label]:>7,} "
            f"{missed[label] / totals[label]:>6.1%} {expected[label]:>8,.0f} {extra:>7,.0f}"
            + (f" {theirs[label]:>13,}" if splink else "")
        )
    stages: dict[str, Counter[str]] = defaultdict(Counter)
    corr: dict[str, Counter[str]] = defaultdict(Counter)
    for a in analyses:
        for stage, fields in a["missed_fields_by_stage"].items():
            stages[stage].update(fields)
        for stage, labels in a["missed_corruptions_by_stage"].items():
            corr[stage].update(labels)
    all_pairs = sum(a["true_pairs"] for a in analyses)
    base = merge_counts(analyses, "true_pairs_by_corruption")
    counts = merge_counts(analyses, "missed_by_stage")
    for stage, fields in sorted(stages.items(), key=lambda kv: -sum(kv[1].values())):
        what = "reasons" if stage == "rejected at load" else "fields not agreeing"
        print_counts(f"Missed, {stage}: {what}", fields, min(top, 8))
        # Corruptions over-represented here: share of this stage's pairs carrying it over
        # its share among all true pairs.
        n = counts[stage]
        lift = {
            label: (k / n) / (base[label] / all_pairs)
            for label, k in corr[stage].items()
            if k >= max(5, 0.05 * n) and base[label]
        }
        print(f"\nMissed, {stage}: corruptions carried (x how over-represented)")
        for label, x in sorted(lift.items(), key=lambda kv: -kv[1])[: min(top, 8)]:
            print(f"  {corr[stage][label]:>6,}  {label} (x{x:.1f})")
    print_counts("False merges by relation:", merge_counts(analyses, "false_by_relation"), top)
    print_counts(
        "False merges by how they were joined:", merge_counts(analyses, "false_by_how"), top
    )
    print_counts("False merges, relation | how | fields exact:",
                 merge_counts(analyses, "false_detail"), top)  # fmt: skip
    print_counts("Loader rejects by reason:", merge_counts(analyses, "rejected_reasons"), top)
    print_counts(
        "Loader rejects by corruption:", merge_counts(analyses, "rejected_corruptions"), top
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000, help="per run, about")
    parser.add_argument("--modes", nargs="+", default=["dedup", "link"])
    parser.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[42, 43, 44], help="one run per seed and cell"
    )
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--top", type=int, default=12, help="causes to print per list")
    parser.add_argument("--keep", type=Path, help="keep the data and stores in this directory")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also rerun each cell without each corruption in turn (ckb only; ~30 runs a cell)",
    )
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="ckb-identity-"))
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    analyses: list[dict[str, Any]] = []
    ablations: list[dict[str, Any]] = []
    try:
        for mode, level, seed in (
            (m, lv, sd) for m in args.modes for lv in args.levels for sd in args.seeds
        ):
            run = run_one(mode, level, args.records, seed, work, not args.no_splink)
            analysis = analyse(run)
            runs.append(run)
            analyses.append(analysis)
            r = run.row
            print(
                f"{mode}/{level} seed {seed}: {r['records']:,} records "
                f"({r['rejected']:,} rejected), "
                f"ckb P {r['ckb_precision']:.4f} R {r['ckb_recall']:.4f} "
                f"F1 {r['ckb_f1']:.4f}"
                + (f"; Splink F1 {r['splink_f1']:.4f}" if "splink_f1" in r else "")
                + f"; missed {analysis['missed_pairs']:,}, false {analysis['false_pairs']:,}",
                flush=True,
            )
            run.gen = Generated(run.gen.settings, {}, [], run.gen.files)  # free memory
            run.profiles, run.links = {}, {}
            if args.ablate:
                ablations.extend(ablate(mode, level, args.records, seed, work, r))
            if args.keep is None:
                remove(work, f"{mode}-{level}-s{seed}*")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    rows = [r.row for r in runs]
    print()
    print(table(rows))
    splink = any("splink_f1" in r for r in rows)
    if not splink and not args.no_splink:
        print("\nSplink: not installed (pip install 'splink>=4' to compare)")
    report(analyses, args.top, splink)
    if ablations:
        print(
            "\nWhat each corruption costs: the cell's F1 rerun without it (rate 0) minus its"
            "\nF1, mean over the seeds (dF1 range: the lowest and highest seed's)"
        )
        print(
            f"  {'cell':<13} {'corruption':<17} {'rate':>6} {'dF1':>8} {'dF1 range':>17} "
            f"{'dR':>8} {'dP':>8}"
        )
        for a in ablation_cells(ablations)[: args.top * 2]:
            low, high = a["delta_f1_range"]
            print(
                f"  {a['mode'] + '/' + a['level']:<13} {a['corruption']:<17} {a['rate']:>6.3f} "
                f"{a['delta_f1']:>+8.4f} {low:>+8.4f}..{high:>+7.4f} "
                f"{a['delta_recall']:>+8.4f} {a['delta_precision']:>+8.4f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "date": date.today().isoformat(),
                "args": {k: str(v) for k, v in vars(args).items()},
                "cells": cells(rows),
                "runs": [{**r.row, "analysis": a} for r, a in zip(runs, analyses, strict=True)],
                "ablation": ablation_cells(ablations),
                "ablation_runs": ablations,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
