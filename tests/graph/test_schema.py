"""The graph model (graph/schema.py): it covers the product, every label has a constraint
and every indexed property an index with a unique name, inconsistent models are refused,
and the committed docs/schema.md is current."""

from __future__ import annotations

import pytest

from graph.cypher import adapter_statements
from graph.docs import render_schema_doc
from graph.errors import SchemaDefinitionError, UnknownLabelError
from graph.schema import GraphSchema, NodeType, Prop, RelType, schema
from tests.support.paths import REPO

REQUIRED_LABELS = {
    "Customer", "SourceRecord", "Household", "Product", "ProductLine", "Holding", "Purchase",
    "Touchpoint", "Channel", "Campaign", "Consent", "CreditProfile", "ThirdPartyProfile",
    "ProductInstance", "Location", "EpcisEvent",
}  # fmt: skip


def test_model_covers_the_product() -> None:
    model = schema()
    assert set(model.labels) >= REQUIRED_LABELS
    assert {
        "RESOLVED_TO",
        "MEMBER_OF",
        "HOLDS",
        "RELATED_TO",
        "OBSERVED",
        "SOLD_TO",
        "CONTAINS",
    } <= set(model.relationship_types)
    assert model.node("CreditProfile").sensitive
    assert model.node("ThirdPartyProfile").sensitive
    assert model.node("ProductInstance").key == "epc"


def test_every_label_has_a_constraint_and_every_indexed_property_an_index() -> None:
    stmts = adapter_statements()
    for node in schema().nodes:
        assert f"REQUIRE n.{node.key} IS UNIQUE" in stmts[f"constraint.{node.label}"].text
        for prop in node.indexed:
            assert f"ON (n.{prop})" in stmts[f"index.{node.label}.{prop}"].text
    for rel, a, b in schema().endpoint_pairs():
        assert f"merge_relationships.{rel.type}.{a}.{b}" in stmts


def test_constraint_and_index_names_are_unique() -> None:
    import re

    names = [
        re.split(r"\s+", s.text)[2 + ("FULLTEXT" in s.text)]
        for s in adapter_statements().values()
        if s.mode == "schema"
    ]
    assert len(names) == len(set(names))


def test_inconsistent_models_are_refused() -> None:
    customer = NodeType("Customer", "id", "", (Prop("id", "string"),), provenance=False)
    with pytest.raises(SchemaDefinitionError, match="unknown endpoint"):
        GraphSchema(1, (customer,), (RelType("KNOWS", "", (("Customer", "Ghost"),)),)).validate()
    with pytest.raises(SchemaDefinitionError, match="key email"):
        GraphSchema(
            1, (NodeType("X", "email", "", (Prop("id", "string"),), provenance=False),), ()
        ).validate()
    with pytest.raises(SchemaDefinitionError, match="indexed"):
        GraphSchema(
            1,
            (NodeType("X", "id", "", (Prop("id", "s"),), indexed=("nope",), provenance=False),),
            (),
        ).validate()
    with pytest.raises(UnknownLabelError):
        schema().node("Ghost")


def test_committed_schema_doc_is_current() -> None:
    committed = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == render_schema_doc(), "docs/schema.md is stale: run `ckb schema docs`"
