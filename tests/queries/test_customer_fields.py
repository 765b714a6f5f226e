"""The customer's field lists are derived from graph/schema.py, and the one written in
Cypher (customer_360's projection) agrees with them."""

from __future__ import annotations

import re

from graph.schema import CUSTOMER_FILTERABLE, CUSTOMER_NOT_SHOWN, CUSTOMER_PROFILE, schema
from queries.engine import QUERY_DIR


def test_customer_360_projects_the_profile() -> None:
    text = (QUERY_DIR / "customer_360.cypher").read_text("utf-8")
    projection = re.search(r"RETURN c \{([^}]*)\} AS customer", text)
    assert projection is not None
    keys = [k.strip().lstrip(".") for k in projection.group(1).split(",")]
    assert keys == list(CUSTOMER_PROFILE)


def test_every_customer_property_is_shown_or_excluded_for_a_stated_reason() -> None:
    hidden = [name for names in CUSTOMER_NOT_SHOWN.values() for name in names]
    assert len(hidden) == len(set(hidden)), "a property is excluded for two reasons"
    assert set(CUSTOMER_PROFILE) | set(hidden) == set(schema().node("Customer").property_names)
    assert not set(CUSTOMER_PROFILE) & set(hidden)
    assert "national_id" in CUSTOMER_NOT_SHOWN["sensitive"]


def test_a_list_filters_on_the_profile_s_single_values() -> None:
    assert set(CUSTOMER_FILTERABLE) == set(CUSTOMER_PROFILE) - {"churn_signals"}
