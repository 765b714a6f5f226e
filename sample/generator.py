"""``ckb sample``: a realistic, deterministic sample of every source file ckb loads.

People (Chinese and Western names) appear in 2-4 source systems, spelled differently
(typos, nicknames, pinyin), some with a changed phone or a new address, some with a
generic one (the call center's own number, a placeholder, the shop's address); households of
1-6; a bank + telco + energy + retail catalogue; values with a long tail; two years of
touchpoints with complaint bursts before churn; campaigns with a measurable response;
consents; credit profiles; a third-party demographics file that matches ~80%; and a few
deliberately bad records. Ground truth (who is who, who churned, which lines are planted
bad records) goes to ``truth/``. The same seed always writes the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from faker import Faker
from pypinyin import lazy_pinyin

from sample.epcis import Sale, epcis_stream, store_gln
from sample.showcase import HOUSEHOLDS as SHOWCASE_HOUSEHOLDS
from sample.showcase import PEOPLE as SHOWCASE
from sample.showcase import ShowcasePerson

AS_OF = date(2026, 11, 1)  # the default as-of date of library callers (tests, bench/)
WINDOW_DAYS = 730

# (line_id, name, industry, [(product_id, name, base monthly value)], eligibility terms of
# every product in the line: min_age, customer_types, exclusive = its products exclude
# each other)
ADULT: dict[str, Any] = {"min_age": 18}
LINES: list[tuple[str, str, str, list[tuple[str, str, float]], dict[str, Any]]] = [
    (
        "mortgage",
        "Mortgages",
        "bank",
        [("MORT-FIX5", "Fixed-rate mortgage 5y", 900.0), ("MORT-VAR", "Variable mortgage", 750.0)],
        {**ADULT, "customer_types": "person", "exclusive": True},
    ),
    (
        "savings",
        "Savings",
        "bank",
        [("SAV-EASY", "Easy-access savings", 15.0), ("SAV-FIX", "Fixed-term deposit", 25.0)],
        {},  # a child may save
    ),
    (
        "credit_card",
        "Credit cards",
        "bank",
        [("CC-CLASSIC", "Classic card", 12.0), ("CC-GOLD", "Gold card", 30.0)],
        ADULT,
    ),
    (
        "investments",
        "Investments",
        "bank",
        [("INV-FUND", "Index fund account", 60.0)],
        {**ADULT, "customer_types": "person"},
    ),
    (
        "broadband",
        "Broadband",
        "telco",
        [("BB-300", "Fibre 300", 35.0), ("BB-1000", "Fibre 1000", 55.0)],
        {**ADULT, "exclusive": True},
    ),
    (
        "mobile",
        "Mobile",
        "telco",
        [("MOB-10", "Mobile 10 GB", 15.0), ("MOB-UNL", "Mobile unlimited", 35.0)],
        {"min_age": 16},
    ),
    ("landline", "Landline", "telco", [("LAND", "Home phone", 10.0)], ADULT),
    ("long_distance", "Long distance", "telco", [("LD-INTL", "International calling", 8.0)], ADULT),
    (
        "tv",
        "TV",
        "telco",
        [("TV-BASIC", "TV basic", 20.0), ("TV-PREM", "TV premium", 45.0)],
        {**ADULT, "exclusive": True},
    ),
    ("electricity", "Electricity", "energy", [("EL-GREEN", "Green electricity", 70.0)], ADULT),
    ("gas", "Gas", "energy", [("GAS-STD", "Standard gas", 55.0)], ADULT),
    (
        "home_services",
        "Home services",
        "energy",
        [("HS-BOILER", "Boiler cover", 18.0)],
        {**ADULT, "customer_types": "person"},
    ),
]
PRICE_SPREAD = (0.5, 6.0)  # one account's monthly value against its list price
FLEET_LINES = ("mobile", "broadband", "landline", "long_distance", "electricity")
MAX_ACCOUNTS = 60
RETAIL = [  # (product_id, name, category, price) - tagged goods with GTINs
    ("RT-PHONE", "Smartphone X", "electronics", 599.0),
    ("RT-ROUTER", "Wi-Fi router", "electronics", 129.0),
    ("RT-HEAD", "Headphones", "electronics", 89.0),
    ("RT-JACKET", "Rain jacket", "apparel", 149.0),
    ("RT-SHOE", "Running shoes", "apparel", 119.0),
    ("RT-KETTLE", "Kettle", "home", 39.0),
    ("RT-LAMP", "Desk lamp", "home", 49.0),
    ("RT-BULB", "Smart bulb 4-pack", "home", 29.0),
]
AFFINITY = {
    "mortgage": ["savings", "home_services", "investments"],
    "broadband": ["tv", "landline"],
    "electricity": ["gas", "home_services"],
    "mobile": ["broadband"],
}
NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "James": "Jim",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Thomas": "Tom",
    "Margaret": "Peggy",
    "Richard": "Rick",
    "Joseph": "Joe",
    "Charles": "Charlie",
    "Anthony": "Tony",
    "Matthew": "Matt",
    "Patricia": "Pat",
    "Susan": "Sue",
    "Jessica": "Jess",
    "Andrew": "Andy",
    "Joshua": "Josh",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Alexander": "Alex",
    "Nicholas": "Nick",
    "Jonathan": "Jon",
    "Stephen": "Steve",
    "Edward": "Ed",
    "Kenneth": "Ken",
    "Timothy": "Tim",
    "Deborah": "Debbie",
    "Rebecca": "Becky",
    "David": "Dave",
    "Steven": "Steve",
    "Kimberly": "Kim",
}
DOMAINS = ["example.com", "mail.test", "post.example"]
SYSTEMS = ("billing", "webshop", "callcenter", "stores")
FILE_FORMATS = {
    "billing": ".csv",
    "webshop": ".jsonl",
    "callcenter": ".csv.gz",
    "stores": ".jsonl.gz",
}
STORES = [store_gln(i) for i in range(1, 21)]  # SGLNs: the same IDs the shelf readers use


def gtin14(seed_digits: str) -> str:
    body = seed_digits.zfill(13)[-13:]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


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
    showcase: ShowcasePerson | None = None  # one of the documented people (sample_showcase)
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


class SampleGenerator:
    def __init__(self, customers: int, seed: int, out: Path, as_of: date = AS_OF) -> None:
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
        self.planted: list[tuple[str, int, str]] = []
        self.writers: dict[str, Writer] = {}
        self.counter = 0
        self.gtins = {r[0]: gtin14(f"614141{i:06d}") for i, r in enumerate(RETAIL)}
        self.sales: list[Sale] = []  # retail purchase lines: the tagged goods' EPCIS stream

    # ------------------------------------------------------------------ helpers

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:07d}"

    def _day(self, start: date, end: date) -> date:
        span = max((end - start).days, 0)
        return start + timedelta(days=self.rnd.randint(0, span))

    def _time(self, day: date) -> str:
        h, m, sec = self.rnd.randint(7, 20), self.rnd.randint(0, 59), self.rnd.randint(0, 59)
        return f"{day.isoformat()}T{h:02d}:{m:02d}:{sec:02d}Z"

    def _writer(self, name: str, columns: list[str]) -> Writer:
        if name not in self.writers:
            self.writers[name] = Writer(self.out / name, columns)
        return self.writers[name]

    def _typo(self, text: str) -> str:
        if len(text) < 3:
            return text
        i = self.rnd.randrange(1, len(text) - 1)
        op = self.rnd.random()
        if op < 0.4:
            return text[:i] + text[i + 1 :]
        if op < 0.7:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return text[:i] + self.rnd.choice("aeiounrst") + text[i + 1 :]

    def _plant(
        self, writer: Writer, row: dict[str, Any] | None, why: str, raw: str | None = None
    ) -> None:
        line = writer.write_raw(raw) if raw is not None else writer.write(row or {})
        self.planted.append((writer.path.name, line, why))

    # ------------------------------------------------------------------ people

    def _showcase_people(self) -> list[list[Person]]:
        households: list[list[Person]] = [[] for _ in SHOWCASE_HOUSEHOLDS]
        for i, spec in enumerate(SHOWCASE):
            home = SHOWCASE_HOUSEHOLDS[spec.household - 1]
            born = self.as_of - timedelta(days=spec.age_years * 365 + 100)
            households[spec.household - 1].append(
                Person(
                    pid=f"P{i + 1:07d}",
                    kind="person",
                    given=spec.given,
                    family=spec.family,
                    zh=spec.zh,
                    birth_date=born,
                    gender=spec.gender,
                    email=spec.email,
                    phone=spec.phone,
                    street=home.street,
                    postal_code=home.postal_code,
                    city=home.city,
                    country=home.country,
                    household=f"HH{spec.household:06d}",
                    role=spec.role,
                    ids=dict(spec.ids),
                    owner_agent=spec.owner_agent,
                    showcase=spec,
                )
            )
        return households

    def _make_people(self) -> None:
        rnd = self.rnd
        # The documented people come first, whatever the size: IDs the docs can name.
        households = self._showcase_people()
        for members in households:
            self.people.extend(members)
        made = len(self.people)
        while made < self.n:
            size = min(self.n - made, rnd.choices([1, 2, 3, 4, 5, 6], [30, 32, 16, 14, 6, 2])[0])
            zh = rnd.random() < 0.45
            fake = self.zh if zh else self.en
            family = fake.last_name()
            street = fake.street_address().replace("\n", " ")
            postal, city = fake.postcode(), fake.city()
            hh_id = f"HH{len(households) + 1:06d}"
            members = []
            for m in range(size):
                role = "head" if m == 0 else ("partner" if m == 1 else "child")
                age = rnd.randint(30, 75) if role != "child" else rnd.randint(1, 25)
                birth = self.as_of - timedelta(days=age * 365 + rnd.randint(0, 364))
                gender = rnd.choice(["female", "male"])
                given = fake.first_name_female() if gender == "female" else fake.first_name_male()
                fam = family if role != "partner" or rnd.random() < 0.6 else fake.last_name()
                latin = (
                    "".join(lazy_pinyin(fam)) + "." + "".join(lazy_pinyin(given))
                    if zh
                    else f"{given}.{fam}"
                )
                person = Person(
                    pid=f"P{made + 1:07d}",
                    kind="person",
                    given=given,
                    family=fam,
                    zh=zh,
                    birth_date=birth if rnd.random() > 0.05 else None,
                    gender=gender,
                    email=f"{latin.lower()}{rnd.randint(1, 999)}@{rnd.choice(DOMAINS)}"
                    if age >= 16
                    else None,
                    phone=f"+86{rnd.randint(13000000000, 18999999999)}"
                    if zh
                    else f"+1{rnd.randint(2012000000, 9899999999)}",
                    street=street,
                    postal_code=postal,
                    city=city,
                    country="CN" if zh else "US",
                    household=hh_id,
                    role=role,
                )
                members.append(person)
                made += 1
            households.append(members)
            self.people.extend(members)
        # A few organisations: employers and the big business accounts of the long tail.
        ordinary = [p for p in self.people if not p.showcase]
        for person in rnd.sample(ordinary, min(len(ordinary), max(1, self.n // 40))):
            person.kind = "organization"
            person.family = self.en.company()
            person.given = ""
            person.birth_date = None
            person.household = ""
        for person in ordinary:
            person.value_scale = math.exp(rnd.gauss(0, 0.8))
            if rnd.random() < 0.002 or (person.kind == "organization" and rnd.random() < 0.3):
                person.value_scale *= rnd.choice([100, 300, 1000])
            if rnd.random() < 0.12:
                person.churned_on = self._day(
                    self.as_of - timedelta(days=330), self.as_of - timedelta(days=5)
                )

    # ------------------------------------------------------------------ files

    def generate(self) -> dict[str, int]:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "truth").mkdir(exist_ok=True)
        self._make_people()
        self._catalogue()
        self._agents()
        self._customers()
        self._households()
        self._holdings()
        self._purchases()
        self._campaigns_and_touchpoints()
        self._consents_credit_relationships()
        self._third_party()
        self._epcis()
        self._truth()
        counts = {}
        for name, writer in sorted(self.writers.items()):
            writer.close()
            counts[name] = writer.line - (1 if writer.is_csv else 0)
        return counts

    def _catalogue(self) -> None:
        lines = self._writer("catalog.product_lines.csv", ["line_id", "name", "industry"])
        products = self._writer(
            "catalog.products.csv",
            [
                "product_id",
                "name",
                "line_id",
                "gtin",
                "category",
                "price",
                "currency",
                "min_age",
                "customer_types",
                "excludes",
            ],
        )
        for line_id, name, industry, items, terms in LINES:
            lines.write({"line_id": line_id, "name": name, "industry": industry})
            for pid, pname, value in items:
                others = [other for other, _, _ in items if other != pid]
                products.write(
                    {
                        "product_id": pid,
                        "name": pname,
                        "line_id": line_id,
                        "price": value,
                        "currency": "USD",
                        "min_age": terms.get("min_age"),
                        "customer_types": terms.get("customer_types"),
                        "excludes": " ".join(others) if terms.get("exclusive") else None,
                    }
                )
        lines.write({"line_id": "retail", "name": "Retail", "industry": "retail"})
        for pid, pname, category, price in RETAIL:
            products.write(
                {
                    "product_id": pid,
                    "name": pname,
                    "line_id": "retail",
                    "gtin": self.gtins[pid],
                    "category": category,
                    "price": price,
                    "currency": "USD",
                }
            )
        self._plant(
            products,
            {
                "product_id": "BAD-GTIN",
                "name": "Mislabelled",
                "line_id": "retail",
                "gtin": "0614141999991",
                "price": 1,
            },
            "GTIN check digit",
        )

    def _agents(self) -> None:
        w = self._writer("hr.agents.csv", ["agent_id", "name", "team", "skill_tier"])
        self.call_agents = [f"AG{i:03d}" for i in range(1, 31)]
        self.owners = [f"AO{i:03d}" for i in range(1, 11)]
        for aid in self.call_agents:
            w.write(
                {
                    "agent_id": aid,
                    "name": self.en.name(),
                    "team": "call_center",
                    "skill_tier": self.rnd.choice(["senior", "standard", "standard", "junior"]),
                }
            )
        for aid in self.owners:
            w.write(
                {"agent_id": aid, "name": self.en.name(), "team": "sales", "skill_tier": "senior"}
            )

    def _customers(self) -> None:
        cols = [
            "source_record_id",
            "kind",
            "name",
            "given_name",
            "family_name",
            "birth_date",
            "gender",
            "email",
            "phone",
            "address",
            "postal_code",
            "city",
            "country",
            "national_id",
            "customer_since",
            "owner_agent_id",
        ]
        writers = {s: self._writer(f"{s}.customers{FILE_FORMATS[s]}", cols) for s in SYSTEMS}
        rnd = self.rnd
        ranked = sorted(self.people, key=lambda p: -p.value_scale)
        for p in ranked[: max(1, len(ranked) // 50)]:
            if not p.showcase:
                p.owner_agent = rnd.choice(self.owners)
        for p in self.people:
            systems = list(p.ids) or ["billing"] + [
                s
                for s, share in (("webshop", 0.6), ("callcenter", 0.5), ("stores", 0.4))
                if rnd.random() < share
            ]
            since = self._day(self.as_of - timedelta(days=3650), self.as_of - timedelta(days=800))
            for system in systems:
                sid = (
                    p.ids.get(system)
                    or {
                        "billing": "B",
                        "webshop": "W",
                        "callcenter": "",
                        "stores": "S",
                    }[system]
                    + f"{rnd.randint(0, 10**9):09d}"
                )
                p.ids[system] = sid
                given, family = p.given, p.family
                phone, street, postal, city, email = (
                    p.phone,
                    p.street,
                    p.postal_code,
                    p.city,
                    p.email,
                )
                if system != "billing" and not p.showcase:
                    roll = rnd.random()
                    if roll < 0.2 and not p.zh:
                        if rnd.random() < 0.5:
                            family = self._typo(family)
                        else:
                            given = self._typo(given)
                    elif roll < 0.35 and p.kind == "person":
                        if p.zh:
                            given, family = (
                                "".join(lazy_pinyin(given)).title(),
                                "".join(lazy_pinyin(family)).title(),
                            )
                        else:
                            given = NICKNAMES.get(given, given)
                    if rnd.random() < 0.1:
                        phone = (
                            f"+86{rnd.randint(13000000000, 18999999999)}"
                            if p.zh
                            else f"+1{rnd.randint(2012000000, 9899999999)}"
                        )
                    if rnd.random() < 0.1:
                        fake = self.zh if p.zh else self.en
                        street, postal, city = (
                            fake.street_address().replace("\n", " "),
                            fake.postcode(),
                            fake.city(),
                        )
                    if system == "callcenter" and rnd.random() < 0.4:
                        email = None
                    if system == "callcenter":
                        # Agents type the company's own number when a caller gives none, or
                        # a placeholder: generic values identity resolution must not follow.
                        roll = rnd.random()
                        if roll < 0.03:
                            phone = CALL_CENTER_PHONE["CN" if p.zh else "US"]
                        elif roll < 0.04:
                            phone = rnd.choice(["0000000000", "n/a", "unknown", "call back"])
                    if system == "stores" and rnd.random() < 0.04:
                        # Walk-ins registered with the shop's own address.
                        street, postal, city = STORE_ADDRESS["CN" if p.zh else "US"]
                as_name = (
                    p.kind == "organization"
                    or system in ("callcenter",)
                    or (p.zh and given == p.given)
                )
                row = {
                    "source_record_id": sid,
                    "kind": p.kind,
                    "name": (
                        family
                        if p.kind == "organization"
                        else (
                            f"{family}{given}" if p.zh and given == p.given else f"{given} {family}"
                        )
                    )
                    if as_name
                    else None,
                    "given_name": None if as_name else given,
                    "family_name": None if as_name else family,
                    "birth_date": p.birth_date.isoformat()
                    if p.birth_date and system != "stores"
                    else None,
                    "gender": p.gender if p.kind == "person" and system == "billing" else None,
                    "email": email,
                    "phone": phone,
                    "address": street,
                    "postal_code": postal,
                    "city": city,
                    "country": p.country,
                    "national_id": f"{rnd.randint(10**8, 10**9 - 1)}"
                    if system == "billing" and p.kind == "person"
                    else None,
                    "customer_since": since.isoformat() if system == "billing" else None,
                    "owner_agent_id": p.owner_agent if system == "billing" else None,
                }
                writers[system].write(row)
        self._plant(
            writers["billing"],
            {"source_record_id": "B-BAD-DATE", "name": "Bad Date", "birth_date": "1985-02-30"},
            "impossible date",
        )
        self._plant(
            writers["billing"],
            None,
            "broken CSV row",
            raw="B-BAD-ROW,person,Too,Many,Fields,,,,,,,,,,,,,,",
        )
        self._plant(
            writers["webshop"], None, "not JSON", raw='{"source_record_id": "W-BAD", "name": '
        )
        self._plant(
            writers["webshop"],
            {"source_record_id": "W-FUTURE", "name": "Time Traveller", "birth_date": "2999-01-01"},
            "birth date in the future",
        )
        self._plant(
            writers["callcenter"],
            {"source_record_id": "C-BAD-MAIL", "name": "No Mail", "email": "not-an-email"},
            "invalid email",
        )
        self._plant(
            writers["stores"],
            {"source_record_id": "S-BAD-GENDER", "name": "Odd", "gender": "robot"},
            "unknown enum",
        )

    def _households(self) -> None:
        hh = self._writer(
            "billing.households.csv", ["household_id", "name", "address", "postal_code"]
        )
        mem = self._writer(
            "billing.household_members.csv",
            ["household_id", "customer_id", "role", "age_band", "since"],
        )
        seen: set[str] = set()
        for p in self.people:
            if not p.household:
                continue
            if p.household not in seen:
                seen.add(p.household)
                hh.write(
                    {
                        "household_id": p.household,
                        "name": f"{p.family} household",
                        "address": p.street,
                        "postal_code": p.postal_code,
                    }
                )
            age = (self.as_of - p.birth_date).days // 365 if p.birth_date else None
            band = None
            if age is not None:
                band = next(
                    b
                    for lim, b in (
                        (17, "0-17"),
                        (24, "18-24"),
                        (34, "25-34"),
                        (44, "35-44"),
                        (54, "45-54"),
                        (64, "55-64"),
                        (200, "65+"),
                    )
                    if age <= lim
                )
            mem.write(
                {
                    "household_id": p.household,
                    "customer_id": p.ids["billing"],
                    "role": p.role,
                    "age_band": band,
                }
            )
        self._plant(
            mem,
            {
                "household_id": "HH-NOPE",
                "customer_id": self.people[0].ids["billing"],
                "role": "head",
            },
            "unknown household",
        )
        self._plant(
            mem,
            {
                "household_id": self.people[0].household or "HH000001",
                "customer_id": self.people[0].ids["billing"],
                "role": "landlord",
            },
            "unknown enum",
        )

    def _holdings(self) -> None:
        cols = [
            "account_id",
            "customer_id",
            "customer_system",
            "product_id",
            "role",
            "status",
            "opened_on",
            "closed_on",
            "balance",
            "monthly_value",
            "currency",
        ]
        w = self._writer("billing.holdings.csv", cols)
        rnd = self.rnd
        catalogue = {pid: (ln[0], base) for ln in LINES for pid, _, base in ln[3]}
        for p in self.people:
            picks: list[tuple[str, str, float]] = []  # (line, product, list price)
            closes: dict[str, date] = {}
            if p.showcase:
                closes = {
                    pid: self.as_of - timedelta(days=days)
                    for pid, days in p.showcase.closed_products
                }
                held = [*p.showcase.products, *closes]
                picks = [(catalogue[pid][0], pid, catalogue[pid][1]) for pid in held]
            elif p.role != "child" or rnd.random() >= 0.8:
                count = rnd.choices([1, 2, 3, 4, 5, 6], [25, 28, 20, 14, 8, 5])[0]
                chosen: list[str] = []
                for _ in range(count):
                    pool = [a for c in chosen for a in AFFINITY.get(c, []) if a not in chosen]
                    if pool and rnd.random() < 0.5:
                        line = rnd.choice(pool)
                    else:
                        line = rnd.choice([ln[0] for ln in LINES])
                    if line not in chosen:
                        chosen.append(line)
                for line in chosen:
                    items = next(ln[3] for ln in LINES if ln[0] == line)
                    pid, _, base = rnd.choice(items)
                    picks.append((line, pid, base))
            for line, pid, base in picks:
                opened = self._day(
                    self.as_of - timedelta(days=3000), self.as_of - timedelta(days=60)
                )
                status, closed = "active", None
                if pid in closes:
                    status, closed = "closed", closes[pid]
                elif p.churned_on:
                    status, closed = "closed", p.churned_on
                    opened = min(opened, p.churned_on - timedelta(days=30))
                elif not p.showcase and rnd.random() < 0.06:
                    closed = self._day(opened, self.as_of - timedelta(days=1))
                    status = "closed"
                # The long tail lives in how much a customer holds (more accounts,
                # bigger balances), not in a price far above the list: one account costs
                # at most PRICE_SPREAD[1] times its list price.
                for _ in range(self._accounts(p, line)):
                    account = self._id("A")
                    p.holdings.append((account, pid, line))
                    monthly = round(base * self._price_factor(p), 2)
                    balance = None
                    if line == "mortgage":
                        balance = -round(monthly * rnd.uniform(60, 300), 2)
                    elif line in ("savings", "investments"):
                        balance = round(monthly * rnd.uniform(20, 200) * p.value_scale, 2)
                    w.write(
                        {
                            "account_id": account,
                            "customer_id": p.ids["billing"],
                            "product_id": pid,
                            "role": "primary",
                            "status": status,
                            "opened_on": opened.isoformat(),
                            "closed_on": closed.isoformat() if closed else None,
                            "balance": balance,
                            "monthly_value": monthly,
                            "currency": "USD",
                        }
                    )
        first = self.people[0].ids["billing"]
        self._plant(
            w,
            {
                "account_id": "A-BAD-1",
                "customer_id": first,
                "product_id": "MOB-10",
                "status": "frozen",
                "opened_on": "2020-01-01",
            },
            "unknown enum",
        )
        self._plant(
            w,
            {
                "account_id": "A-BAD-2",
                "customer_id": first,
                "product_id": "MOB-10",
                "status": "closed",
                "opened_on": "2022-05-01",
                "closed_on": "2021-01-01",
            },
            "closed before opened",
        )
        self._plant(
            w,
            {
                "account_id": "A-BAD-3",
                "customer_id": "B-NOBODY",
                "product_id": "MOB-10",
                "status": "active",
                "opened_on": "2022-05-01",
            },
            "unknown customer",
        )

    def _price_factor(self, p: Person) -> float:
        """What one account costs against its list price: bigger customers take richer
        tariffs, within PRICE_SPREAD."""
        low, high = PRICE_SPREAD
        tariff = min(max(math.sqrt(p.value_scale), 1.0), high / 1.3)
        return min(max(tariff * self.rnd.uniform(0.7, 1.3), low), high)

    def _accounts(self, p: Person, line: str) -> int:
        """How many accounts of one product a customer holds: one for most people; the
        big accounts of the long tail (a business's mobile fleet, a wealthy family's
        portfolio) hold many."""
        if p.value_scale < 8 or line == "mortgage":
            return 1
        many = int(math.log2(p.value_scale)) + self.rnd.randint(0, 3)
        if p.kind == "organization" and line in FLEET_LINES:
            many *= 4
        return min(many, MAX_ACCOUNTS)

    def _purchases(self) -> None:
        cols = [
            "purchase_id",
            "customer_id",
            "customer_system",
            "purchased_at",
            "product_id",
            "quantity",
            "amount",
            "currency",
            "department",
            "channel",
            "store_id",
        ]
        stores = self._writer("stores.purchases.jsonl.gz", cols)
        web = self._writer("webshop.purchases.jsonl", cols)
        rnd = self.rnd
        retail = {r[0]: r for r in RETAIL}
        for p in self.people:
            # (when, store or None online, [(product, quantity)], fate of a documented sale)
            baskets: list[tuple[str, str | None, list[tuple[str, int]], str | None]] = []
            for product, days_ago, fate in p.showcase.store_purchases if p.showcase else ():
                day = self.as_of - timedelta(days=days_ago)
                baskets.append((f"{day.isoformat()}T11:05:00Z", STORES[0], [(product, 1)], fate))
            n = 0 if p.showcase else min(int(rnd.expovariate(1 / 4) * min(p.value_scale, 5)), 40)
            end = p.churned_on or self.as_of
            for _ in range(n):
                when = self._time(
                    self._day(self.as_of - timedelta(days=WINDOW_DAYS), end - timedelta(days=1))
                )
                store = None if rnd.random() < 0.45 else rnd.choice(STORES)
                picked = rnd.sample(RETAIL, rnd.choice([1, 1, 1, 2, 3]))
                lines = [(r[0], rnd.choice([1, 1, 1, 2])) for r in picked]
                baskets.append((when, store, lines, None))
            for when, store, items, fate in baskets:
                online = store is None
                system = "webshop" if online else "stores"
                cid, csys = p.ref(system)
                pid_ = self._id("O")
                for product, qty in items:
                    _, _, department, price = retail[product]
                    self.sales.append(
                        Sale(
                            pid_,
                            when,
                            store,
                            product,
                            self.gtins[product],
                            qty,
                            self._home(p),
                            showcase=p.showcase is not None,
                            fate=fate,
                        )
                    )
                    (web if online else stores).write(
                        {
                            "purchase_id": pid_,
                            "customer_id": cid,
                            "customer_system": csys if csys != system else None,
                            "purchased_at": when,
                            "product_id": product,
                            "quantity": qty,
                            "amount": round(price * qty, 2),
                            "currency": "USD",
                            "department": department,
                            "channel": "web" if online else "store",
                            "store_id": store,
                        }
                    )
        first = self.people[0]
        cid, csys = first.ref("stores")
        self._plant(
            stores,
            {
                "purchase_id": "O-BAD",
                "customer_id": cid,
                "customer_system": csys,
                "purchased_at": "2025-01-01T10:00:00Z",
                "product_id": "RT-LAMP",
                "quantity": 0,
                "amount": 0,
            },
            "quantity below 1",
        )
        self._plant(
            stores,
            {
                "purchase_id": "O-BAD2",
                "customer_id": cid,
                "customer_system": csys,
                "purchased_at": "2025-01-01T10:00:00Z",
                "product_id": "RT-NOPE",
                "quantity": 1,
                "amount": 5,
            },
            "unknown product",
        )

    @staticmethod
    def _home(p: Person) -> str:
        return f"https://ckb.example/loc/home/{p.household or p.pid}"

    def _epcis(self) -> None:
        """Not a record kind: EPCIS events, captured by ``ckb load-dir`` after the records."""
        events = self._writer("supplychain.epcis.jsonl", [])
        for event in epcis_stream(self.seed, self.as_of, self.sales, [r[0] for r in RETAIL]):
            events.write(event)

    def _campaigns_and_touchpoints(self) -> None:
        rnd = self.rnd
        tp_cols = [
            "touchpoint_id",
            "customer_id",
            "customer_system",
            "occurred_at",
            "channel",
            "kind",
            "direction",
            "reason",
            "outcome",
            "category",
            "resolution_status",
            "resolved_at",
            "product_id",
            "account_id",
            "agent_id",
            "campaign_id",
            "response",
            "converted",
        ]
        cc = self._writer("callcenter.touchpoints.csv.gz", tp_cols)
        webw = self._writer("webshop.touchpoints.jsonl", tp_cols)
        storew = self._writer("stores.touchpoints.jsonl.gz", tp_cols)
        sales = self._writer("sales.touchpoints.csv", tp_cols)
        mkt = self._writer("marketing.touchpoints.csv", tp_cols)
        camps = self._writer(
            "marketing.campaigns.csv",
            ["campaign_id", "name", "channel", "starts_on", "ends_on", "product_id", "line_id"],
        )
        campaigns = []
        for i, (line, channel) in enumerate(
            [
                ("broadband", "email"),
                ("savings", "post"),
                ("mobile", "sms"),
                ("electricity", "email"),
                ("tv", "email"),
                ("investments", "post"),
            ]
        ):
            start = self.as_of - timedelta(days=WINDOW_DAYS - 60 - i * 110)
            cid = f"CAMP{i + 1:02d}"
            camps.write(
                {
                    "campaign_id": cid,
                    "name": f"{line.title()} offer {start.year}",
                    "channel": channel,
                    "starts_on": start.isoformat(),
                    "ends_on": (start + timedelta(days=30)).isoformat(),
                    "line_id": line,
                }
            )
            campaigns.append((cid, line, channel, start))

        def tp(w: Writer, p: Person, system: str, **row: Any) -> None:
            cid, csys = p.ref(system)
            w.write(
                {
                    "touchpoint_id": self._id("T"),
                    "customer_id": cid,
                    "customer_system": csys if csys != system else None,
                    **row,
                }
            )

        categories = ["billing", "network", "service_quality", "fees", "delivery", "product_fault"]
        for p in self.people:
            end = p.churned_on or self.as_of
            start = self.as_of - timedelta(days=WINDOW_DAYS)
            activity = 1.0 + min(p.value_scale, 4)
            for _ in range(int(rnd.expovariate(1 / (6 * activity)))):
                day = self._day(start, end)
                if p.churned_on and (p.churned_on - day).days < 180 and rnd.random() < 0.6:
                    continue  # falling activity before churn
                tp(
                    webw,
                    p,
                    "webshop",
                    occurred_at=self._time(day),
                    channel="web",
                    kind="visit",
                    direction="inbound",
                    reason=rnd.choice(["browse", "account", "support_page", "offers"]),
                )
            for _ in range(int(rnd.expovariate(1 / 2))):
                day = self._day(start, end)
                tp(
                    storew,
                    p,
                    "stores",
                    occurred_at=self._time(day),
                    channel="store",
                    kind="visit",
                    direction="inbound",
                    reason=rnd.choice(["browse", "pickup", "advice"]),
                )
            for _ in range(int(rnd.expovariate(1 / 1.5))):
                at = self._time(self._day(start, end))
                tp(
                    cc,
                    p,
                    "callcenter",
                    occurred_at=at,
                    channel="call_center",
                    kind="inquiry",
                    direction="inbound",
                    reason=rnd.choice(
                        ["billing_question", "plan_change", "address_change", "technical"]
                    ),
                    outcome="answered",
                    category="general",
                    resolution_status="resolved",
                    resolved_at=at,
                    agent_id=rnd.choice(self.call_agents),
                )
            burst = bool(p.churned_on) or rnd.random() < 0.03
            n_complaints = rnd.randint(3, 6) if burst else int(rnd.random() < 0.25)
            for _ in range(n_complaints):
                if burst:
                    anchor = p.churned_on or self._day(start + timedelta(days=120), self.as_of)
                    day = self._day(anchor - timedelta(days=90), anchor - timedelta(days=1))
                else:
                    day = self._day(start, end)
                resolved = rnd.random() < (0.5 if burst else 0.9)
                holding = rnd.choice(p.holdings) if p.holdings else None
                tp(
                    cc,
                    p,
                    "callcenter",
                    occurred_at=self._time(day),
                    channel="call_center",
                    kind="complaint",
                    direction="inbound",
                    reason=rnd.choice(categories),
                    outcome="escalated" if not resolved else "fixed",
                    category=rnd.choice(categories),
                    resolution_status="resolved" if resolved else "open",
                    resolved_at=self._time(day + timedelta(days=rnd.randint(1, 5)))
                    if resolved and day + timedelta(days=5) < self.as_of
                    else None,
                    account_id=holding[0] if holding else None,
                    agent_id=rnd.choice(self.call_agents),
                )
            for days_ago in p.showcase.open_complaints if p.showcase else ():
                day = self.as_of - timedelta(days=days_ago)
                tp(
                    cc,
                    p,
                    "callcenter",
                    occurred_at=f"{day.isoformat()}T09:40:00Z",
                    channel="call_center",
                    kind="complaint",
                    direction="inbound",
                    reason="fees",
                    outcome="escalated",
                    category="fees",
                    resolution_status="open",
                    account_id=p.holdings[0][0] if p.holdings else None,
                    agent_id=self.call_agents[0],
                )
            if p.churned_on and rnd.random() < 0.4:
                at = self._time(
                    self._day(p.churned_on - timedelta(days=40), p.churned_on - timedelta(days=1))
                )
                tp(
                    cc,
                    p,
                    "callcenter",
                    occurred_at=at,
                    channel="call_center",
                    kind="inquiry",
                    direction="inbound",
                    reason="competitor_offer",
                    category="switching",
                    outcome="retention_offer",
                    resolution_status="resolved",
                    resolved_at=at,
                    agent_id=rnd.choice(self.call_agents),
                )
            if p.owner_agent:
                for _ in range(rnd.randint(2, 10)):
                    day = self._day(start, end)
                    kind = rnd.choice(["sales_call", "sales_visit"])
                    tp(
                        sales,
                        p,
                        "sales",
                        occurred_at=self._time(day),
                        channel=kind,
                        kind=kind,
                        direction="outbound",
                        reason="account_review",
                        outcome=rnd.choice(["follow_up", "upsell", "no_interest"]),
                        agent_id=p.owner_agent,
                    )
            held = {h[2] for h in p.holdings}
            for cid, line, channel, cstart in campaigns:
                if rnd.random() > 0.25 or (p.churned_on and p.churned_on < cstart):
                    continue
                day = self._day(cstart, cstart + timedelta(days=10))
                tp(
                    mkt,
                    p,
                    "marketing",
                    occurred_at=self._time(day),
                    channel=channel,
                    kind="campaign_contact",
                    direction="outbound",
                    campaign_id=cid,
                )
                affinity = any(line in AFFINITY.get(h, []) for h in held)
                r = rnd.random()
                if r < (0.08 if affinity else 0.03):
                    response, converted = "converted", True
                elif r < 0.22:
                    response, converted = rnd.choice(["opened", "clicked"]), False
                else:
                    continue
                tp(
                    mkt,
                    p,
                    "marketing",
                    occurred_at=self._time(
                        min(day + timedelta(days=rnd.randint(0, 14)), self.as_of)
                    ),
                    channel=channel,
                    kind="campaign_response",
                    direction="inbound",
                    campaign_id=cid,
                    response=response,
                    converted=converted,
                )
        first = self.people[0]
        cid, csys = first.ref("callcenter")
        self._plant(
            cc,
            {
                "touchpoint_id": "T-BAD-1",
                "customer_id": cid,
                "customer_system": csys if csys != "callcenter" else None,
                "occurred_at": "2025-03-01T10:00:00Z",
                "channel": "pigeon",
                "kind": "inquiry",
                "resolution_status": "resolved",
            },
            "unknown channel",
        )
        self._plant(
            cc,
            {
                "touchpoint_id": "T-BAD-2",
                "customer_id": cid,
                "customer_system": csys if csys != "callcenter" else None,
                "occurred_at": "yesterday",
                "channel": "call_center",
                "kind": "complaint",
                "resolution_status": "open",
            },
            "unparsable time",
        )
        self._plant(
            cc,
            {
                "touchpoint_id": "T-BAD-3",
                "customer_id": cid,
                "customer_system": csys if csys != "callcenter" else None,
                "occurred_at": "2025-03-01T10:00:00Z",
                "channel": "call_center",
                "kind": "complaint",
            },
            "complaint without resolution status",
        )

    def _consents_credit_relationships(self) -> None:
        rnd = self.rnd
        cons = self._writer(
            "billing.consents.csv",
            ["customer_id", "purpose", "channel", "granted", "given_at", "withdrawn_at"],
        )
        credit = self._writer(
            "risk.credit_profiles.csv",
            [
                "customer_id",
                "customer_system",
                "score",
                "rating",
                "credit_limit",
                "outstanding_debt",
                "assessed_on",
            ],
        )
        rels = self._writer(
            "billing.relationships.csv", ["from_customer_id", "to_customer_id", "kind", "since"]
        )
        for p in self.people:
            b = p.ids["billing"]
            for purpose, channel, share in (
                ("marketing", "email", 0.65),
                ("marketing", "phone", 0.35),
                ("third_party_data", "any", 0.6),
                ("profiling", "any", 0.5),
            ):
                granted = rnd.random() < share
                given = self._time(
                    self._day(self.as_of - timedelta(days=1500), self.as_of - timedelta(days=30))
                )
                cons.write(
                    {
                        "customer_id": b,
                        "purpose": purpose,
                        "channel": channel,
                        "granted": granted,
                        "given_at": given,
                    }
                )
            if any(
                h[2] in ("mortgage", "credit_card", "savings", "investments") for h in p.holdings
            ):
                score = max(300, min(850, int(rnd.gauss(690, 70))))
                rating = (
                    "AAA"
                    if score > 800
                    else "AA"
                    if score > 760
                    else "A"
                    if score > 720
                    else "BBB"
                    if score > 660
                    else "BB"
                    if score > 600
                    else "B"
                )
                credit.write(
                    {
                        "customer_id": b,
                        "customer_system": "billing",
                        "score": score,
                        "rating": rating,
                        "credit_limit": round(2000 * p.value_scale, 2),
                        "outstanding_debt": round(rnd.uniform(0, 1500) * p.value_scale, 2),
                        "assessed_on": self._day(
                            self.as_of - timedelta(days=365), self.as_of - timedelta(days=1)
                        ).isoformat(),
                    }
                )
        self._plant(
            cons,
            {
                "customer_id": self.people[0].ids["billing"],
                "purpose": "spam",
                "channel": "email",
                "granted": "true",
            },
            "unknown purpose",
        )
        self._plant(
            credit,
            {
                "customer_id": self.people[0].ids["billing"],
                "customer_system": "billing",
                "score": 999,
            },
            "score out of range",
        )
        by_household: dict[str, list[Person]] = {}
        for p in self.people:
            if p.household:
                by_household.setdefault(p.household, []).append(p)
        for members in by_household.values():
            head = members[0]
            for other in members[1:]:
                kind = "spouse" if other.role == "partner" else "parent"
                rels.write(
                    {
                        "from_customer_id": head.ids["billing"],
                        "to_customer_id": other.ids["billing"],
                        "kind": kind,
                    }
                )
        for p in self.people:
            for i in p.showcase.referred if p.showcase else ():
                rels.write(
                    {
                        "from_customer_id": p.ids["billing"],
                        "to_customer_id": SHOWCASE[i].ids["billing"],
                        "kind": "referral",
                        "since": (self.as_of - timedelta(days=400)).isoformat(),
                    }
                )
        orgs = [p for p in self.people if p.kind == "organization"]
        persons = [p for p in self.people if p.kind == "person"]
        for p in persons:
            if orgs and rnd.random() < 0.1:
                rels.write(
                    {
                        "from_customer_id": rnd.choice(orgs).ids["billing"],
                        "to_customer_id": p.ids["billing"],
                        "kind": "employer",
                    }
                )
            if rnd.random() < 0.05:
                other = rnd.choice(persons)
                if other is not p:
                    rels.write(
                        {
                            "from_customer_id": p.ids["billing"],
                            "to_customer_id": other.ids["billing"],
                            "kind": "referral",
                            "since": self._day(
                                self.as_of - timedelta(days=1000), self.as_of - timedelta(days=1)
                            ).isoformat(),
                        }
                    )
            if rnd.random() < 0.03:
                other = rnd.choice(persons)
                if other is not p:
                    rels.write(
                        {
                            "from_customer_id": p.ids["billing"],
                            "to_customer_id": other.ids["billing"],
                            "kind": "co_signer",
                        }
                    )
        self._plant(
            rels,
            {
                "from_customer_id": self.people[0].ids["billing"],
                "to_customer_id": "B-NOBODY",
                "kind": "family",
            },
            "unknown customer",
        )

    def _third_party(self) -> None:
        """Not a loadable kind: unmatched purchased demographics, input for ``ckb enrich``."""
        w = self._writer(
            "third_party_demographics.csv",
            [
                "provider",
                "name",
                "address",
                "postal_code",
                "birth_date",
                "household_size",
                "income_band",
                "home_value_band",
            ],
        )
        rnd = self.rnd
        rows = []
        for p in self.people:
            if p.kind != "person" or rnd.random() > 0.8:
                continue
            name = p.name if rnd.random() < 0.8 else self._typo(p.name)
            rows.append(
                (
                    p.pid,
                    {
                        "provider": "acxiom-like",
                        "name": name,
                        "address": p.street,
                        "postal_code": p.postal_code,
                        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                        "household_size": rnd.randint(1, 6),
                        "income_band": rnd.choice(
                            ["<25k", "25-50k", "50-75k", "75-100k", "100-150k", "150k+"]
                        ),
                        "home_value_band": rnd.choice(
                            ["<100k", "100-250k", "250-500k", "500k-1m", "1m+", "renting"]
                        ),
                    },
                )
            )
        for _ in range(max(1, len(rows) // 10)):
            rows.append(
                (
                    "",
                    {
                        "provider": "acxiom-like",
                        "name": self.en.name(),
                        "address": self.en.street_address(),
                        "postal_code": self.en.postcode(),
                        "household_size": rnd.randint(1, 6),
                    },
                )
            )
        rnd.shuffle(rows)
        truth = self._writer("truth/third_party_matches.csv", ["line", "person_id"])
        for pid, row in rows:
            line = w.write(row)
            truth.write({"line": line, "person_id": pid or None})

    def _truth(self) -> None:
        ident = self._writer(
            "truth/identity.csv", ["source_system", "source_record_id", "person_id"]
        )
        churn = self._writer(
            "truth/churn.csv", ["person_id", "billing_id", "churned", "churned_on", "value_scale"]
        )
        for p in self.people:
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
        planted = self._writer("truth/planted_rejects.csv", ["file", "line", "why"])
        for name, line, why in self.planted:
            planted.write({"file": name, "line": line, "why": why})


CALL_CENTER_PHONE = {"US": "+18005550100", "CN": "+864008200100"}
STORE_ADDRESS = {
    "US": ("1 Market Square", "10001", "New York"),
    "CN": ("南京路100号", "200001", "上海市"),
}


def generate_sample(customers: int, seed: int, out: Path, as_of: date = AS_OF) -> dict[str, int]:
    """Write the sample, its history ending on ``as_of``; returns records written per file.

    A seed and an as-of date always give the same files; the history (customer since,
    holdings, purchases, touchpoints, complaints, churn) is placed relative to ``as_of``.
    """
    if customers < 1:
        raise ValueError("--customers must be at least 1")
    return SampleGenerator(customers, seed, out, as_of).generate()
