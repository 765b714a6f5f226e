"""What validating a record costs: ckb's pydantic model against a bare JSON parse and msgspec.

    .venv/bin/pip install msgspec        # not a ckb dependency: only for this comparison
    .venv/bin/python bench/validation.py /tmp/s100k/webshop.touchpoints.jsonl

Decodes the first 300,000 lines of a JSON Lines touchpoint file three ways. The msgspec
Struct has the record's fields and types but none of ckb's rules (blank strings to
None, date ranges, enumerations by kind, one customer reference), so it is the floor
such a validator could reach, not a drop-in replacement.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import msgspec
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loaders.models import TouchpointRecord


# TouchpointRecord's fields and types, none of its rules.
class TouchpointStruct(msgspec.Struct):
    touchpoint_id: str
    occurred_at: dt.datetime
    channel: str
    kind: str
    customer_id: str | None = None
    customer_system: str | None = None
    ckb_customer_id: str | None = None
    direction: Literal["inbound", "outbound"] | None = None
    reason: str | None = None
    outcome: str | None = None
    category: str | None = None
    resolution_status: Literal["open", "resolved"] | None = None
    resolved_at: dt.datetime | None = None
    product_id: str | None = None
    account_id: str | None = None
    agent_id: str | None = None
    campaign_id: str | None = None
    response: str | None = None
    converted: bool | None = None


def main() -> None:
    lines = Path(sys.argv[1]).read_bytes().splitlines()[:300_000]
    decoder = msgspec.json.Decoder(TouchpointStruct)
    ways: list[tuple[str, Callable[[bytes], Any]]] = [
        (
            "orjson + pydantic model_validate",
            lambda b: TouchpointRecord.model_validate(orjson.loads(b)),
        ),
        ("orjson only", orjson.loads),
        ("msgspec decode into a Struct", decoder.decode),
    ]
    for name, decode in ways:
        started = time.perf_counter()
        for line in lines:
            decode(line)
        took = time.perf_counter() - started
        print(f"{name:34} {len(lines) / took:>10,.0f} records/s  {took / len(lines) * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
