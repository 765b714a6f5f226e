"""The sample's catalogue: the bank, telco and energy product lines, the tagged retail
goods with their GTINs, and which lines customers tend to hold together; written to
catalog.product_lines.csv and catalog.products.csv (with one planted bad GTIN).
"""

from __future__ import annotations

from typing import Any

from sample.context import Sample

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


def gtin14(seed_digits: str) -> str:
    body = seed_digits.zfill(13)[-13:]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


GTINS = {r[0]: gtin14(f"614141{i:06d}") for i, r in enumerate(RETAIL)}
PRODUCT_COLUMNS = [
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
]


def write_catalogue(s: Sample) -> None:
    lines = s.writer("catalog.product_lines.csv", ["line_id", "name", "industry"])
    products = s.writer("catalog.products.csv", PRODUCT_COLUMNS)
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
                "gtin": GTINS[pid],
                "category": category,
                "price": price,
                "currency": "USD",
            }
        )
    s.plant(
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
