"""What every section of the sample shares: the people, one seeded random stream, the
fakers, the open files, the planted bad records, and the few helpers (IDs, days, times,
typos) the sections draw with.

One random stream for all the files is why the sections run in a fixed order
(sample/generator.py): a section that drew one number more would change every file after it.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from faker import Faker

from sample.epcis import Sale
from sample.showcase import ShowcasePerson

WINDOW_DAYS = 730  # the touchpoint and purchase history: two years before the as-of date


@dataclass
class Person:
    pid: str
    kind: str
    given: str
    family: str
    zh: bool
    birth_date: date | None
    gender: str
    email: str | None
    phone: str
    street: str
    postal_code: str
    city: str
    country: str
    household: str = ""
    role: str = "head"
    value_scale: float = 1.0
    churned_on: date | None = None
    owner_agent: str | None = None
    ids: dict[str, str] = field(default_factory=dict)  # system -> source record ID
    showcase: ShowcasePerson | None = None  # one of the documented people (sample/showcase.py)
    holdings: list[tuple[str, str, str]] = field(default_factory=list)  # (account, product, line)

    @property
    def name(self) -> str:
        if self.kind == "organization":
            return self.family
        return f"{self.family}{self.given}" if self.zh else f"{self.given} {self.family}"

    def ref(self, system: str) -> tuple[str, str]:
        """(customer_id, customer_system) as a file of ``system`` would name this person."""
        if system in self.ids:
            return self.ids[system], system
        return self.ids["billing"], "billing"


def _open_output(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        # mtime=0: the same seed gives byte-identical files.
        return gzip.GzipFile(path, "wb", mtime=0)  # type: ignore[return-value]
    return path.open("wb")


class Writer:
    """One output file (CSV or JSON Lines, optionally gzip) that counts its lines."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        raw = _open_output(path)
        self.is_csv = ".csv" in path.name
        self._text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        self._csv = csv.writer(self._text, lineterminator="\n")
        self.line = 0
        if self.is_csv:
            self._csv.writerow(columns)
            self.line = 1

    def write(self, row: dict[str, Any]) -> int:
        if self.is_csv:
            self._csv.writerow(
                ["" if row.get(c) is None else _text(row.get(c)) for c in self.columns]
            )
        else:
            clean = {k: v for k, v in row.items() if v is not None}
            self._text.write(orjson.dumps(clean).decode() + "\n")
        self.line += 1
        return self.line

    def write_raw(self, text: str) -> int:
        self._text.write(text + "\n")
        self.line += 1
        return self.line

    def close(self) -> None:
        self._text.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Sample:
    """The sample being written: its people, random stream and files."""

    def __init__(self, customers: int, seed: int, out: Path, as_of: date) -> None:
        self.n = customers
        self.as_of = as_of
        self.seed = seed
        self.rnd = random.Random(seed)
        self.en = Faker("en_US")
        self.en.seed_instance(seed)
        self.zh = Faker("zh_CN")
        self.zh.seed_instance(seed + 1)
        self.out = out
        self.people: list[Person] = []
        self.planted: list[tuple[str, int, str]] = []  # (file, line, why)
        self.writers: dict[str, Writer] = {}
        self.counter = 0
        self.sales: list[Sale] = []  # retail purchase lines: the tagged goods' EPCIS stream
        self.call_agents: list[str] = []  # hr.agents.csv's call center
        self.owners: list[str] = []  # hr.agents.csv's account owners

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:07d}"

    def day(self, start: date, end: date) -> date:
        span = max((end - start).days, 0)
        return start + timedelta(days=self.rnd.randint(0, span))

    def time(self, day: date) -> str:
        h, m, sec = self.rnd.randint(7, 20), self.rnd.randint(0, 59), self.rnd.randint(0, 59)
        return f"{day.isoformat()}T{h:02d}:{m:02d}:{sec:02d}Z"

    def phone(self, zh: bool) -> str:
        """A random mobile number, Chinese or American."""
        if zh:
            return f"+86{self.rnd.randint(13000000000, 18999999999)}"
        return f"+1{self.rnd.randint(2012000000, 9899999999)}"

    def days_ago(self, most: int, least: int) -> date:
        """A day between ``most`` and ``least`` days before the as-of date."""
        return self.day(self.as_of - timedelta(days=most), self.as_of - timedelta(days=least))

    def writer(self, name: str, columns: list[str]) -> Writer:
        if name not in self.writers:
            self.writers[name] = Writer(self.out / name, columns)
        return self.writers[name]

    def typo(self, text: str) -> str:
        if len(text) < 3:
            return text
        i = self.rnd.randrange(1, len(text) - 1)
        op = self.rnd.random()
        if op < 0.4:
            return text[:i] + text[i + 1 :]
        if op < 0.7:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return text[:i] + self.rnd.choice("aeiounrst") + text[i + 1 :]

    def plant(
        self, writer: Writer, row: dict[str, Any] | None, why: str, raw: str | None = None
    ) -> None:
        """Write a deliberately bad record and note where, for truth/planted_rejects.csv."""
        line = writer.write_raw(raw) if raw is not None else writer.write(row or {})
        self.planted.append((writer.path.name, line, why))
