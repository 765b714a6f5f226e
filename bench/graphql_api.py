"""GraphQL API latency and throughput over HTTP, against the same traversals called directly.

    .venv/bin/python bench/graphql_api.py --customers 100000  # sample, load, resolve, segment
    .venv/bin/python bench/graphql_api.py --store kb.sqlite  # an already loaded, segmented store

Three scenarios on random customers: customer-360 (one ``customer(id)`` query with
sources, household, holdings, value, 20 touchpoints and churn risk), a 50-customer page
(``customers(first: 50, after: ...)`` with household, holdings and value, from random
cursors) and ``{ __typename }`` (the fixed cost of a request). Each is timed

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
import os
import pstats
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import billing_customers, percentile, sample_store
from starlette.applications import Starlette
from starlette.requests import Request

from api.auth import AuthSettings, Principal, Role
from api.context import ApiContext, Loaders
from api.events import EventHub
from api.graphql_app import build_schema
from api.metrics import Metrics
from graph.embedded import EmbeddedStore
from loaders.sample import AS_OF
from queries.customer_list import decode_cursor, encode_cursor
from queries.named import run_query
from queries.segments import assign_segments

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
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--store", type=Path, help="an already loaded, segmented store file")
    parser.add_argument(
        "--calls", type=int, default=2000, help="in-process 360 calls (pages: a quarter)"
    )
    parser.add_argument("--concurrency", default="1,8,32", help="HTTP clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="per HTTP run")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--profile", action="store_true", help="cProfile the GraphQL 360")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server child
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.store:
        path = args.store
        store = EmbeddedStore(path)
    else:
        store, work = sample_store(args.customers, "ckb-graphql-", resolve=True)
        path = work / "kb.sqlite"
        started = time.perf_counter()
        assign_segments(store, AS_OF)
        print(f"ckb segment: {time.perf_counter() - started:.1f} s")
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
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    levels = [int(n) for n in args.concurrency.split(",")]
    with Server(path) as url:
        for scenario, sent in bodies.items():
            asyncio.run(check(url, sent[:50]))
            for clients in levels:
                seconds = args.seconds
                while True:  # long enough for each client to finish a few requests
                    if client == "wrk":
                        row = run_wrk(url, scenario, sent, clients, seconds)
                    else:
                        row = asyncio.run(run_python(url, scenario, sent, clients, seconds))
                    if row.requests >= 3 * clients or seconds >= 120:
                        break
                    seconds *= 3
                rows.append(row)

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

    from api.app import create_app

    app = create_app(
        lambda: EmbeddedStore(path),
        auth_settings=AuthSettings.from_env({"CKB_API_KEYS": API_KEYS}),
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class Server:
    """The app in a child process (one uvicorn worker), until the block ends."""

    def __init__(self, store: Path) -> None:
        self.store = store
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> str:
        command = [sys.executable, __file__, "--serve", str(self.store), "--port", str(self.port)]
        self.process = subprocess.Popen(command)
        import httpx

        deadline = time.monotonic() + 1800  # opening a large store takes minutes
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                if httpx.get(self.url.replace("/graphql", "/readyz")).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def _body(query: str, variables: dict[str, Any]) -> str:
    return json.dumps({"query": query, "variables": variables})


async def check(url: str, bodies: list[str]) -> None:
    """Every body is answered with data and no errors (wrk only counts HTTP statuses)."""
    import httpx

    async with httpx.AsyncClient(headers=HEADERS) as client:
        for body in bodies:
            answer = (await client.post(url, content=body)).json()
            if answer.get("errors") or not answer.get("data"):
                raise RuntimeError(f"GraphQL errors: {answer}")


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


def run_wrk(url: str, scenario: str, bodies: list[str], clients: int, seconds: float) -> Row:
    with tempfile.TemporaryDirectory(prefix="ckb-wrk-") as tmp:
        lines = Path(tmp) / "bodies.jsonl"
        lines.write_text("\n".join(bodies) + "\n")
        script = Path(tmp) / "bodies.lua"
        script.write_text(WRK_SCRIPT % lines)
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "60s"]
        command += ["-s", str(script), url]
        warm = [*command[:3], "-d2s", *command[4:]]
        subprocess.run(warm, check=True, capture_output=True, text=True)
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    fields = next(line for line in out.splitlines() if line.startswith("CKB ")).split()[1:]
    requests, micros, p50, p99, status, timeout, connect = map(int, fields)
    if status or timeout or connect:
        raise RuntimeError(f"wrk: {status} bad statuses, {timeout} timeouts, {connect} refused")
    return Row(
        scenario, "HTTP", str(clients), requests, p50 / 1000, p99 / 1000, requests / micros * 1e6
    )


async def run_python(
    url: str, scenario: str, bodies: list[str], clients: int, seconds: float
) -> Row:
    import httpx

    times: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=HEADERS, limits=limits) as client:
        next_body = itertools.cycle(bodies)

        async def worker(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                t = time.perf_counter()
                response = await client.post(url, content=next(next_body))
                response.raise_for_status()
                if record:
                    times.append((time.perf_counter() - t) * 1000)

        until = time.perf_counter() + 2
        await asyncio.gather(*(worker(until, False) for _ in range(clients)))  # warm up
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Row(
        scenario,
        "HTTP",
        str(clients),
        len(times),
        statistics.median(times) if times else 0.0,
        percentile(times, 0.99) if times else 0.0,
        len(times) / elapsed,
    )


if __name__ == "__main__":
    main()
