"""GraphQL API latency and throughput over HTTP, against the same traversals called directly.

    .venv/bin/python bench/graphql_api.py --customers 100000  # sample, load, resolve, segment
    .venv/bin/python bench/graphql_api.py --store kb.sqlite  # an already loaded, segmented store
    .venv/bin/python bench/graphql_api.py --store kb.sqlite --suite framework  # issue 18
    ... --quick  # either suite, a short smoke run

Two suites. ``--suite framework`` (issue 18) measures ckb against the framework it is
built on, in one run: a bare strawberry + starlette app with one constant field and ckb's
parser and validation caches (bench/bare_strawberry.py) and ckb's app, each served by
uvicorn with one worker in its own child process and driven by the same load generator.
Rounds interleave them (bare and ckb, at 1 and then 8 connections, the order flipped every
round); each figure is the median over the rounds. Per run: p50 and p99 latency,
requests/s, and the server process's CPU time per request (user + system from
/proc/PID/stat over the measured seconds, warm-up excluded). The ckb request is the
issue's customer 360 (sources, household members, holdings, touchpoints(first: 5),
churnRisk, nextBestProducts(first: 3)) on random resolved customers. Then the customer
lists, one request at a time from this process (a keep-alive httpx client, each answer
checked): the README's example (gold, complaint within N days, no mobile, richest first;
verbatim, and with its 30-day window moved onto the store's last 30 days, ``--as-of``),
``customers(orderBy: TOTAL_VALUE, first: 20)`` with no filter, and
``customersAggregate`` of the gold tier: p50 / p95 over every request of every round
(``--list-repeats`` a round, none more once a list has taken ``--list-budget`` s). It
prints markdown tables: the throughput table, the lists, and the issue's "Done when"
targets against the figures.

``--suite layers`` (the default; issue 7) has three scenarios on random customers:
customer-360 (one ``customer(id)`` query with sources, household, holdings, value, 20
touchpoints and churn risk), a 50-customer page (``customers(first: 50, after: ...)``
with household, holdings and value, from random cursors) and ``{ __typename }`` (the
fixed cost of a request). Each is timed

- directly: the named queries in-process (``customer_360``; for the page, ``keys_page``,
  ``get_nodes`` and the batch queries ``customers_holdings`` / ``customers_value`` /
  ``customers_households`` on the same 50 IDs), one call at a time;
- through the schema in-process (``build_schema().execute`` with an ``ApiContext``: no
  HTTP), one call at a time; ``{ __typename }`` against a no-op gives the fixed GraphQL
  cost per repeated operation (parser and validation caches on);
- over HTTP: the app served by uvicorn (one worker) in a child process that opens the
  store itself, driven by a load generator in this process at each concurrency level.

The load generator is wrk when it is on PATH (Debian: ``apt-get install -y wrk``; a Lua
script rotates the request bodies, one wrk thread), else an httpx.AsyncClient with N
concurrent tasks (``--client python`` forces it; it spends far more CPU per request than
wrk, on the cores the server shares, so its figures read worse). Server and client share
the machine's cores: say how many with the figures. ``--profile`` prints the top
in-process costs of the GraphQL customer-360 (cProfile of the event-loop thread; store
calls run in the thread pool and are timed separately, as "its store calls").
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import json
import math
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from bare_strawberry import ANSWER as BARE_ANSWER
from bare_strawberry import QUERY as BARE_QUERY
from common import billing_customers, percentile, sample_store
from starlette.applications import Starlette
from starlette.requests import Request

from api.auth import AuthSettings, Principal, Role
from api.events import EventHub
from api.graphql.app import build_schema
from api.graphql.context import ApiContext, Loaders
from api.http.metrics import Metrics
from graph.embedded import EmbeddedStore
from queries.customer_list import decode_cursor, encode_cursor
from queries.engine import run_query
from sample.generator import AS_OF
from scoring.segments import assign_segments
from tests.support.serve import free_port

API_KEYS = "bench:analyst+agent:bench-key"
HEADERS = {"authorization": "Bearer bench-key", "content-type": "application/json"}
PAGE = 50

CUSTOMER_360 = """query ($id: ID!) { customer(id: $id) { id name valueTier lifetimeValue
  sources { system recordId } household { customerId name }
  holdings { accountId productName line status monthlyValue }
  value { totalMonthlyValue linesHeld } touchpoints(first: 20) { id occurredAt channel kind }
  churnRisk(asOf: "AS_OF") { score signals { name evidence } } } }""".replace(
    "AS_OF", AS_OF.isoformat()
)
CUSTOMER_PAGE = """query ($after: String) { customers(first: 50, after: $after) {
  edges { node { id name household { customerId } holdings { accountId line }
  value { totalMonthlyValue } } } pageInfo { endCursor hasNextPage } } }"""
TYPENAME = "{ __typename }"
BATCHES = ("customers_holdings", "customers_value", "customers_households")


@dataclass
class Row:
    scenario: str
    how: str
    clients: str
    requests: int
    p50: float  # ms
    p99: float  # ms
    per_second: float

    def line(self) -> str:
        return (
            f"| {self.scenario} | {self.how} | {self.clients} | {self.requests:,} | "
            f"{self.p50:.2f} | {self.p99:.2f} | {self.per_second:,.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=("layers", "framework"), default="layers")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--store", type=Path, help="an already loaded, segmented store file")
    parser.add_argument(
        "--calls", type=int, default=2000, help="layers: in-process 360 calls (pages: a quarter)"
    )
    parser.add_argument(
        "--concurrency", default="1,8,32", help="layers: HTTP clients, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=10, help="per HTTP run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each HTTP run")
    parser.add_argument("--rounds", type=int, default=6, help="framework: interleaved rounds")
    parser.add_argument(
        "--list-repeats", type=int, default=5, help="framework: each list's requests per round"
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=AS_OF,
        help="framework: the store's last day of history (the sample's --as-of), which "
        "the README list's 30-day window is moved onto",
    )
    parser.add_argument(
        "--list-budget",
        type=float,
        default=60,
        help="framework: seconds after which a list gets no more requests (it has 3 by then)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--profile", action="store_true", help="layers: cProfile the GraphQL 360")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server child
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.quick:
        args.calls = min(args.calls, 100)
        args.seconds = min(args.seconds, 2)
        args.warmup = min(args.warmup, 1)
        args.rounds = 1
        args.list_repeats = min(args.list_repeats, 3)
        args.concurrency = "1,8"
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if args.store:
        path = args.store
        store = EmbeddedStore(path)
    else:
        store, work = sample_store(args.customers, "ckb-graphql-", resolve=True)
        path = work / "kb.sqlite"
        started = time.perf_counter()
        assign_segments(store, AS_OF)
        print(f"ckb segment: {time.perf_counter() - started:.1f} s")
    if args.suite == "framework":
        framework(args, store, path, client)
    else:
        layers(args, store, path, client)


def layers(args: argparse.Namespace, store: EmbeddedStore, path: Path, client: str) -> None:
    counts = store.counts()
    print(f"{counts.total_nodes:,} nodes, {counts.total_relationships:,} relationships")
    rnd = random.Random(1)
    customers = sorted(billing_customers(store).values())
    picks = [rnd.choice(customers) for _ in range(args.calls)]
    ordered = sorted(store.keys("Customer"))
    starts = [rnd.randrange(len(ordered) - PAGE) for _ in range(args.calls // 4)]
    cursors = [encode_cursor(i + 1, ordered[i]) for i in starts]

    rows = direct_rows(store, picks, cursors)
    rows += asyncio.run(schema_rows(store, picks, cursors))
    overhead = asyncio.run(fixed_overhead(store, args.calls * 5))
    if args.profile:
        asyncio.run(profile_360(store, picks[:500]))
    store.close()  # the server opens it: one process owns a store file
    del store
    gc.collect()  # and needs the memory this process held

    bodies = {
        "customer-360": [_body(CUSTOMER_360, {"id": c}) for c in picks],
        "50-customer page": [_body(CUSTOMER_PAGE, {"after": c}) for c in cursors],
        TYPENAME: [_body(TYPENAME, {})],
    }
    levels = [int(n) for n in args.concurrency.split(",")]
    with Server.ckb(path) as server:
        for scenario, sent in bodies.items():
            asyncio.run(check(server.url, sent[:50]))
            for clients in levels:
                seconds = args.seconds
                while True:  # long enough for each client to finish a few requests
                    run = drive(client, server, sent, clients, seconds, args.warmup)
                    if run.requests >= 3 * clients or seconds >= 120:
                        break
                    seconds *= 3
                rows.append(
                    Row(scenario, "HTTP", str(clients), run.requests, run.p50, run.p99, run.rate)
                )

    print(f"\nload generator: {client}; {os.cpu_count()} cores shared by server and client\n")
    print("| scenario | how | clients | requests | p50 ms | p99 ms | requests/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row.line())
    print()
    per_op, noop = overhead
    print(
        f"fixed GraphQL cost per repeated operation ({TYPENAME} in-process, "
        f"mean over {args.calls * 5:,}): {per_op * 1000:.3f} ms (no-op {noop * 1000:.4f} ms)"
    )
    for scenario in ("customer-360", "50-customer page"):
        direct = next(r for r in rows if r.scenario == scenario and r.how == "direct")
        for row in rows:
            compared = row.how != "direct" and not row.how.startswith("part: ")
            if row.scenario == scenario and compared and row.clients in ("1", "-"):
                print(
                    f"{scenario}: {row.how} p50 / direct p50 = "
                    f"{row.p50 / direct.p50:.2f}x (+{row.p50 - direct.p50:.2f} ms)"
                )


# ----------------------------------------------------------------------------- framework


# Issue 18's customer 360. churnRisk and nextBestProducts take no asOf: as an agent
# desktop asks (today), and as the README's example does.
CUSTOMER_360_FULL = """query ($id: ID!) { customer(id: $id) { id name valueTier lifetimeValue
  sources { system recordId }
  household { householdId customerId name role ageBand }
  holdings { accountId productName line status monthlyValue }
  touchpoints(first: 5) { occurredAt channel kind }
  churnRisk { score signals { name evidence } }
  nextBestProducts(first: 3) { line productName score evidence } } }"""

# Verbatim from README.md ("gold customers with a complaint in the last 30 days and no
# mobile product, richest first").
README_LIST = """{ customers(first: 20, orderBy: [{field: TOTAL_VALUE, direction: DESC}], where: {
    valueTier: {eq: "gold"},
    touchpoints: {some: {kind: {eq: "complaint"}, withinDays: 30}},
    holdings: {none: {line: {eq: "mobile"}}} }) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id name value { totalMonthlyValue } holdings { productName } } } } }"""
README_WINDOW = "withinDays: 30"
# The README's selection, richest first, no filter.
BY_VALUE = """{ customers(first: 20, orderBy: [{field: TOTAL_VALUE, direction: DESC}]) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id name value { totalMonthlyValue } holdings { productName } } } } }"""
AGGREGATE_GOLD = """{ customersAggregate(where: {valueTier: {eq: "gold"}}) { count
  totalMonthlyValue { count sum avg min max } lifetimeValue { count sum avg min max }
  byLine { line customers holdings monthlyValue } } }"""
LEVELS = (1, 8)
BARE, CKB = "bare strawberry, cached", "ckb customer 360"


@dataclass
class ListShape:
    name: str
    query: str
    target_ms: float | None  # the bound on p50, None: shown for context
    samples: list[float]
    cpu: float = 0.0  # server CPU seconds over all samples
    matched: int | None = None


def list_shapes(as_of: date) -> list[ListShape]:
    """The lists issue 18 bounds. The README's window counts back from today; the
    reference store's history ends at ``as_of``, so its 30 days are also measured moved
    onto the store's last 30 days, where the complaints are."""
    days = 30 + max(0, (date.today() - as_of).days)
    moved = README_LIST.replace(README_WINDOW, f"withinDays: {days}")
    shapes = [ListShape("README list example, verbatim (`withinDays: 30`)", README_LIST, None, [])]
    if days != 30:
        shapes.append(
            ListShape(
                f"README list example, window on the store's last 30 days (`withinDays: {days}`)",
                moved,
                50,
                [],
            )
        )
    else:
        shapes[0].target_ms = 50
    shapes += [
        ListShape("`customers(orderBy: TOTAL_VALUE DESC, first: 20)`, no filter", BY_VALUE, 50, []),
        ListShape("`customersAggregate(where: gold)`", AGGREGATE_GOLD, 100, []),
    ]
    return shapes


def framework(args: argparse.Namespace, store: EmbeddedStore, path: Path, client: str) -> None:
    counts = store.counts()
    customers_total = counts.nodes.get("Customer", 0)
    print(
        f"{customers_total:,} customers, {counts.total_nodes:,} nodes, "
        f"{counts.total_relationships:,} relationships"
    )
    rnd = random.Random(1)
    customers = sorted(billing_customers(store).values())
    picks = [rnd.choice(customers) for _ in range(1000)]
    store.close()  # the server opens it: one process owns a store file
    del store
    gc.collect()

    bodies = {
        BARE: [_body(BARE_QUERY, {})],
        CKB: [_body(CUSTOMER_360_FULL, {"id": c}) for c in picks],
    }
    readme = Path(__file__).resolve().parent.parent / "README.md"
    if " ".join(README_LIST.split()) not in " ".join(readme.read_text().split()):
        print("note: README.md's list example has changed; this measures the copy in the bench")
    shapes = list_shapes(args.as_of)
    budget = args.list_budget * 1000
    runs: dict[tuple[str, int], list[Run]] = {(t, c): [] for t in bodies for c in LEVELS}
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    with Server.bare() as bare, Server.ckb(path) as ckb:
        servers = {BARE: bare, CKB: ckb}
        asyncio.run(check(bare.url, bodies[BARE], expect=BARE_ANSWER))
        asyncio.run(check(ckb.url, bodies[CKB][:50]))
        with httpx.Client(headers=HEADERS, timeout=600) as http:
            for shape in shapes:
                shape.matched = _matched(_post(http, ckb.url, shape.query))  # checks, warms
            for round_ in range(args.rounds):
                order = [BARE, CKB] if round_ % 2 == 0 else [CKB, BARE]
                for clients in LEVELS:
                    for target in order:
                        run = drive(
                            client, servers[target], bodies[target], clients, args.seconds,
                            args.warmup,
                        )  # fmt: skip
                        runs[target, clients].append(run)
                        print(f"round {round_ + 1}/{args.rounds} c={clients} {target}: {run}")
                for shape in shapes:
                    for _ in range(args.list_repeats):
                        if len(shape.samples) >= 3 and sum(shape.samples) > budget:
                            break  # a slow list: more samples would cost minutes, not news
                        before = ckb.cpu_seconds()
                        t = time.perf_counter()
                        answer = _post(http, ckb.url, shape.query)
                        shape.samples.append((time.perf_counter() - t) * 1000)
                        shape.cpu += ckb.cpu_seconds() - before
                        shape.matched = _matched(answer)
    load_after = os.getloadavg()

    print(
        f"\n{started:%Y-%m-%d %H:%M} UTC; {customers_total:,} customers; load generator "
        f"{_generator(client)}; {os.cpu_count()} cores shared by both servers, the load "
        f"generator and whatever else runs (load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after); median of {args.rounds} interleaved round(s) of "
        f"{args.seconds:g} s per run after {args.warmup:g} s of warm-up\n"
    )
    medians = {key: Run.median(found) for key, found in runs.items()}
    print(
        "| | p50 c=1 | p99 c=1 | req/s c=1 | p50 c=8 | p99 c=8 | req/s c=8 "
        "| CPU ms/req c=1 | CPU ms/req c=8 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for target in bodies:
        one, eight = medians[target, 1], medians[target, 8]
        print(
            f"| {target} | {one.p50:.2f} ms | {one.p99:.2f} ms | {one.rate:,.0f} "
            f"| {eight.p50:.2f} ms | {eight.p99:.2f} ms | {eight.rate:,.0f} "
            f"| {_cpu(one)} | {_cpu(eight)} |"
        )
    ratios = {c: medians[CKB, c].rate / medians[BARE, c].rate for c in LEVELS}
    print(
        "\nckb / bare throughput: "
        + ", ".join(f"{ratios[c]:.0%} at c={c}" for c in LEVELS)
        + "; CPU per request ckb / bare: "
        + ", ".join(f"{_cpu_ratio(medians[CKB, c], medians[BARE, c])} at c={c}" for c in LEVELS)
    )

    print("\n| list (one request at a time) | matched | requests | p50 ms | p95 ms | CPU ms/req |")
    print("|---|---:|---:|---:|---:|---:|")
    for shape in shapes:
        print(
            f"| {shape.name} | {shape.matched:,} | {len(shape.samples)} "
            f"| {statistics.median(shape.samples):,.1f} "
            f"| {percentile(shape.samples, 0.95):,.1f} "
            f"| {shape.cpu * 1000 / len(shape.samples):,.1f} |"
        )

    print("\n| issue 18, done when | measured | |")
    print("|---|---|---|")
    for c in LEVELS:
        print(
            f"| customer 360 throughput >= 50% of bare, c={c} | "
            f"{ratios[c]:.0%} ({medians[CKB, c].rate:,.0f} / {medians[BARE, c].rate:,.0f} "
            f"req/s) | {_met(ratios[c] >= 0.5)} |"
        )
    p99 = medians[CKB, 1].p99
    print(f"| customer 360 p99 < 25 ms at c=1 | {p99:.2f} ms | {_met(p99 < 25)} |")
    for shape in shapes:
        if shape.target_ms is not None:
            p50 = statistics.median(shape.samples)
            print(
                f"| {shape.name}: p50 < {shape.target_ms:g} ms | {p50:,.1f} ms "
                f"| {_met(p50 < shape.target_ms)} |"
            )


def _post(http: httpx.Client, url: str, body: str) -> dict[str, Any]:
    answer: dict[str, Any] = http.post(url, content=_body(body, {})).json()
    if answer.get("errors") or not answer.get("data"):
        raise RuntimeError(f"GraphQL errors: {answer}")
    return answer


def _matched(answer: dict[str, Any]) -> int:
    data = answer["data"]
    if "customers" in data:
        return int(data["customers"]["totalCount"])
    return int(data["customersAggregate"]["count"])


def _cpu(run: Run) -> str:
    per = run.cpu_per_request
    return "n/a" if per is None else f"{per:.2f}"


def _cpu_ratio(ours: Run, bare: Run) -> str:
    a, b = ours.cpu_per_request, bare.cpu_per_request
    return "n/a" if a is None or not b else f"{a / b:.1f}x"


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def _generator(client: str) -> str:
    if client == "python":
        # Far more CPU per request than wrk, on the cores the servers use.
        return "httpx.AsyncClient in the bench process (python, not wrk)"
    found = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    version = (found.stdout or found.stderr).split(" [")[0]
    return f"{version} (one thread, N connections)"


# ----------------------------------------------------------------------------- in-process


def _timed(calls: list[Callable[[], Any]]) -> list[float]:
    times = []
    for call in calls:
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return times


async def _timed_async(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    times = []
    for call in calls:
        t = time.perf_counter()
        await call()
        times.append((time.perf_counter() - t) * 1000)
    return times


def _row(scenario: str, how: str, times: list[float]) -> Row:
    return Row(
        scenario,
        how,
        "-",
        len(times),
        statistics.median(times),
        percentile(times, 0.99),
        1000 * len(times) / sum(times),
    )


def direct_rows(store: EmbeddedStore, picks: list[str], cursors: list[str]) -> list[Row]:
    pages = [store.keys_page("Customer", _last(c), PAGE + 1)[:PAGE] for c in cursors]

    def page(cursor: str) -> Callable[[], Any]:
        def call() -> Any:
            ids = store.keys_page("Customer", _last(cursor), PAGE + 1)[:PAGE]
            store.get_nodes("Customer", ids)
            for name in BATCHES:
                run_query(store, name, customerIds=ids)

        return call

    def batch(name: str, ids: list[str]) -> Callable[[], Any]:
        return lambda: run_query(store, name, customerIds=ids)

    def three_sixty(c: str) -> Callable[[], Any]:
        return lambda: run_query(store, "customer_360", customerId=c, first=20)

    def its_calls(c: str) -> Callable[[], Any]:
        """The store calls the GraphQL customer-360 makes, one after another."""

        def call() -> Any:
            store.get_nodes("Customer", [c])
            run_query(store, "customer_sources", customerId=c)
            for name in BATCHES:
                run_query(store, name, customerIds=[c])
            run_query(store, "customer_touchpoints", customerId=c, channel="", first=20)
            run_query(store, "churn_risk", customerId=c, asOf=AS_OF.isoformat())

        return call

    _timed([three_sixty(c) for c in picks[:200]])  # warm up
    return [
        _row("customer-360", "direct", _timed([three_sixty(c) for c in picks])),
        _row("customer-360", "its store calls", _timed([its_calls(c) for c in picks])),
        _row("50-customer page", "direct", _timed([page(c) for c in cursors])),
        *(
            _row("50-customer page", f"part: {name}", _timed([batch(name, i) for i in pages]))
            for name in BATCHES
        ),
        _row(
            "50-customer page",
            "part: get_nodes",
            _timed([(lambda i=i: store.get_nodes("Customer", i)) for i in pages]),
        ),
    ]


def _last(cursor: str) -> str:
    last = decode_cursor(cursor)[1]
    assert last is not None
    return last


def _context(store: EmbeddedStore) -> ApiContext:
    """What the server's ``get_context`` makes, with an app whose metrics it records."""
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [], "app": APP}
    return ApiContext(
        connection=Request(scope),
        store=store,
        principal=Principal("bench", frozenset({Role.ANALYST, Role.AGENT}), "api-key"),
        request_id="bench",
        hub=EventHub(),
        loaders=Loaders(store),
    )


APP = Starlette()
APP.state.metrics = Metrics()


def _executor(store: EmbeddedStore) -> Callable[[str, dict[str, Any]], Awaitable[Any]]:
    schema = build_schema()

    async def execute(query: str, variables: dict[str, Any]) -> Any:
        result = await schema.execute(
            query, variable_values=variables, context_value=_context(store)
        )
        if result.errors:
            raise RuntimeError(result.errors)
        return result.data

    return execute


async def schema_rows(store: EmbeddedStore, picks: list[str], cursors: list[str]) -> list[Row]:
    execute = _executor(store)

    def three_sixty(c: str) -> Callable[[], Awaitable[Any]]:
        return lambda: execute(CUSTOMER_360, {"id": c})

    def page(c: str) -> Callable[[], Awaitable[Any]]:
        return lambda: execute(CUSTOMER_PAGE, {"after": c})

    await _timed_async([three_sixty(c) for c in picks[:200]])  # warm up
    return [
        _row(
            "customer-360", "schema in-process", await _timed_async([three_sixty(c) for c in picks])
        ),
        _row(
            "50-customer page", "schema in-process", await _timed_async([page(c) for c in cursors])
        ),
    ]


async def fixed_overhead(store: EmbeddedStore, repeats: int) -> tuple[float, float]:
    """Seconds per ``{ __typename }`` through the schema, and per no-op, both awaited."""
    schema = build_schema()
    context = _context(store)

    async def noop() -> None:
        return None

    for _ in range(200):
        await schema.execute(TYPENAME, context_value=context)
    t = time.perf_counter()
    for _ in range(repeats):
        await noop()
    empty = (time.perf_counter() - t) / repeats
    t = time.perf_counter()
    for _ in range(repeats):
        result = await schema.execute(TYPENAME, context_value=context)
    typename = (time.perf_counter() - t) / repeats
    assert not result.errors, result.errors
    return typename - empty, empty


async def profile_360(store: EmbeddedStore, picks: list[str]) -> None:
    execute = _executor(store)
    profiler = cProfile.Profile()
    profiler.enable()
    for c in picks:
        await execute(CUSTOMER_360, {"id": c})
    profiler.disable()
    print(f"\ncProfile, GraphQL customer-360 in-process, {len(picks)} calls (event-loop thread):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(25)


# ----------------------------------------------------------------------------- over HTTP


def serve(path: Path, port: int) -> None:
    import uvicorn

    from api.http.app import create_app

    app = create_app(
        lambda: EmbeddedStore(path),
        auth_settings=AuthSettings.from_env({"CKB_API_KEYS": API_KEYS}),
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class Server:
    """An app in a child process (one uvicorn worker), until the block ends."""

    def __init__(self, command: list[str], port: int, ready: Callable[[str], bool]) -> None:
        self.command = command
        self.port = port
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.ready = ready

    @classmethod
    def ckb(cls, store: Path) -> Server:
        """ckb's app (``create_app``, API-key auth, every extension) on this store."""
        port = free_port()
        command = [sys.executable, __file__, "--serve", str(store), "--port", str(port)]
        return cls(command, port, lambda url: _get(url.replace("/graphql", "/readyz")))

    @classmethod
    def bare(cls) -> Server:
        """The bare strawberry app of bench/bare_strawberry.py."""
        port = free_port()
        command = [sys.executable, str(Path(__file__).with_name("bare_strawberry.py"))]
        return cls([*command, "--port", str(port)], port, _answers_bare)

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command)
        deadline = time.monotonic() + 1800  # opening a large store takes minutes
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {' '.join(self.command)}")
            try:
                if self.ready(self.url):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far, every thread (uvicorn's one
        worker runs in it); NaN where /proc is not there."""
        try:
            text = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return math.nan
        fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(url: str) -> bool:
    return httpx.get(url).status_code == 200


def _answers_bare(url: str) -> bool:
    answer = httpx.post(url, content=_body(BARE_QUERY, {}), headers=HEADERS)
    return answer.status_code == 200 and answer.json().get("data") == BARE_ANSWER


def _body(query: str, variables: dict[str, Any]) -> str:
    return json.dumps({"query": query, "variables": variables})


async def check(url: str, bodies: list[str], expect: dict[str, Any] | None = None) -> None:
    """Every body is answered with data (``expect`` if given) and no errors: wrk only
    counts HTTP statuses."""
    async with httpx.AsyncClient(headers=HEADERS) as client:
        for body in bodies:
            answer = (await client.post(url, content=body)).json()
            if answer.get("errors") or not answer.get("data"):
                raise RuntimeError(f"GraphQL errors: {answer}")
            if expect is not None and answer["data"] != expect:
                raise RuntimeError(f"expected {expect}, got {answer['data']}")


@dataclass
class Run:
    """One measured run of the load generator against one server."""

    requests: int
    seconds: float
    p50: float  # ms
    p99: float  # ms
    cpu: float  # the server's CPU seconds over the run; NaN if unknown

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float | None:
        if math.isnan(self.cpu) or not self.requests:
            return None
        return self.cpu * 1000 / self.requests

    @staticmethod
    def median(runs: list[Run]) -> Run:
        """Each figure the median of its own over the runs (rate and CPU per request
        through a run of median requests, median seconds and median CPU)."""
        return Run(
            round(statistics.median(r.requests for r in runs)),
            statistics.median(r.seconds for r in runs),
            statistics.median(r.p50 for r in runs),
            statistics.median(r.p99 for r in runs),
            statistics.median(r.cpu for r in runs),
        )

    def __str__(self) -> str:
        per = self.cpu_per_request
        cpu = "" if per is None else f", CPU {per:.2f} ms/req"
        return (
            f"{self.requests:,} requests, {self.rate:,.0f}/s, p50 {self.p50:.2f} ms, "
            f"p99 {self.p99:.2f} ms{cpu}"
        )


def drive(
    client: str, server: Server, bodies: list[str], clients: int, seconds: float, warmup: float
) -> Run:
    """One run of the load generator: ``warmup`` seconds unmeasured, then ``seconds``."""
    if client == "wrk":
        return run_wrk(server, bodies, clients, seconds, warmup)
    return asyncio.run(run_python(server, bodies, clients, seconds, warmup))


WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("CKB %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.timeout, summary.errors.connect))
end
"""


def run_wrk(server: Server, bodies: list[str], clients: int, seconds: float, warmup: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="ckb-wrk-") as tmp:
        lines = Path(tmp) / "bodies.jsonl"
        lines.write_text("\n".join(bodies) + "\n")
        script = Path(tmp) / "bodies.lua"
        script.write_text(WRK_SCRIPT % lines)

        def command(duration: float) -> list[str]:
            return [
                *("wrk", "-t1", f"-c{clients}", f"-d{duration:g}s", "--timeout", "60s"),
                *("-s", str(script), server.url),
            ]

        if warmup > 0:
            subprocess.run(command(warmup), check=True, capture_output=True, text=True)
        before = server.cpu_seconds()
        out = subprocess.run(command(seconds), check=True, capture_output=True, text=True).stdout
        cpu = server.cpu_seconds() - before
    fields = next(line for line in out.splitlines() if line.startswith("CKB ")).split()[1:]
    requests, micros, p50, p99, status, timeout, connect = map(int, fields)
    if status or timeout or connect:
        raise RuntimeError(f"wrk: {status} bad statuses, {timeout} timeouts, {connect} refused")
    return Run(requests, micros / 1e6, p50 / 1000, p99 / 1000, cpu)


async def run_python(
    server: Server, bodies: list[str], clients: int, seconds: float, warmup: float
) -> Run:
    times: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=HEADERS, limits=limits) as client:
        next_body = itertools.cycle(bodies)

        async def worker(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                t = time.perf_counter()
                response = await client.post(server.url, content=next(next_body))
                response.raise_for_status()
                if record:
                    times.append((time.perf_counter() - t) * 1000)

        until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(until, False) for _ in range(clients)))
        before = server.cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        cpu = server.cpu_seconds() - before
    return Run(
        len(times),
        elapsed,
        statistics.median(times) if times else 0.0,
        percentile(times, 0.99) if times else 0.0,
        cpu,
    )


if __name__ == "__main__":
    main()
