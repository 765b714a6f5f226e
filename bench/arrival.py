"""Resolution on arrival against a big graph: one pushed record at a time.

    .venv/bin/python bench/arrival.py --customers 1000000

Builds an embedded store holding N customers, each with one source record (names,
birth dates, emails, phones, addresses drawn from Faker, en_US and zh_CN, so common names
repeat as they do in life), written straight through the store port in batches — the
loaders' speed is measured elsewhere. Then pushes 500 new records: half are another
system's view of a known customer (name in capitals or pinyin, a new phone, the same
email; or the same phone, no email), half are new people; each is resolved on arrival
and timed.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from common import percentile

from graph.embedded import EmbeddedStore
from graph.store import RelRow
from identity.arrival import resolve_arrivals
from identity.blocking import match_terms
from identity.profile import profile
from loaders.record_rows import singleton_customer_id

TODAY = date(2026, 11, 23)


def _person(fake: object, rnd: random.Random, i: int) -> dict[str, str]:
    name = fake.name()  # type: ignore[attr-defined]
    return {
        "name": name,
        "birth_date": date(
            rnd.randint(1940, 2005), rnd.randint(1, 12), rnd.randint(1, 28)
        ).isoformat(),
        "email": f"user{i}@example.com",
        "phone": f"+1{rnd.randint(2012000000, 9899999999)}",
        "address": fake.street_address(),  # type: ignore[attr-defined]
        "postal_code": f"{rnd.randint(10000, 99999)}",
        "country": "US",
    }


def main() -> None:
    from faker import Faker

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pushes", type=int, default=500)
    args = parser.parse_args()
    rnd = random.Random(42)
    fakes = [Faker("en_US"), Faker("zh_CN")]
    for f in fakes:
        f.seed_instance(42)
    work = Path(tempfile.mkdtemp(prefix="ckb-arrival-"))
    store = EmbeddedStore(work / "kb.sqlite", synchronous="NORMAL")
    store.apply_schema()
    started = time.perf_counter()
    people: list[dict[str, str]] = []
    batch = 20_000
    for start in range(0, args.customers, batch):
        records, customers, links = [], [], []
        for i in range(start, min(start + batch, args.customers)):
            person = _person(fakes[i % 2], rnd, i)
            if len(people) < 5_000:
                people.append(person)
            key = f"crm:{i}"
            props = {**person, "source_system": "crm", "source_record_id": str(i)}
            terms = match_terms(profile(key, props, TODAY))
            records.append({"id": key, **props, "match_keys": " ".join(terms)})
            golden = singleton_customer_id("crm", str(i))
            customers.append(
                {"id": golden, "name": person["name"], "loaded_at": "2026-01-01T00:00:00Z"}
            )
            links.append(RelRow(key, golden, {"rule": "singleton", "score": 1.0}))
        store.upsert_nodes("SourceRecord", records)
        store.upsert_nodes("Customer", customers)
        store.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", links)
    built = time.perf_counter() - started
    print(
        f"{args.customers:,} customers with a source record each: built in {built:.0f} s "
        f"in {work / 'kb.sqlite'} (kept: bench/reopen.py can open it)"
    )

    pushed = []
    for j in range(args.pushes):
        key = f"push:{j}"
        if j % 2 == 0:
            known = people[rnd.randrange(len(people))]
            if j % 4 == 0:  # same email, new phone, name in capitals
                props = {
                    **known,
                    "name": known["name"].upper(),
                    "phone": f"+1{rnd.randint(2012000000, 9899999999)}",
                }
            else:  # same phone, no email, no birth date
                props = {"name": known["name"], "phone": known["phone"], "country": "US"}
        else:
            props = _person(fakes[j % 2], rnd, 10**9 + j)
        props = {**props, "source_system": "push", "source_record_id": str(j)}
        terms = match_terms(profile(key, props, TODAY))
        store.upsert_nodes("SourceRecord", [{"id": key, **props, "match_keys": " ".join(terms)}])
        golden = singleton_customer_id("push", str(j))
        store.upsert_nodes("Customer", [{"id": golden, "name": props["name"]}])
        store.upsert_relationships("RESOLVED_TO", "SourceRecord", "Customer", [RelRow(key, golden)])
        pushed.append(key)
    times, merged = [], 0
    for key in pushed:
        t = time.perf_counter()
        [arrival] = resolve_arrivals(store, [key], actor="bench", today=TODAY)
        times.append((time.perf_counter() - t) * 1000)
        merged += arrival.merged
    print(
        f"{len(pushed)} pushed records ({len(pushed) // 2} known people): {merged} joined a "
        f"customer; median {statistics.median(times):.2f} ms, p99 {percentile(times, 0.99):.2f} ms"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
