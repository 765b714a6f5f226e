"""What the Cypher linter checks: every statement the Neo4j adapter sends, every
``queries/*.cypher`` file, and the schema from graph/schema.py to check them against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.cypher import ROW_FIELDS, adapter_statements
from graph.schema import GraphSchema, schema
from queries import customer_list
from queries.engine import QUERY_DIR, query_files


def linter_schema(model: GraphSchema | None = None) -> dict[str, list[str]]:
    model = model or schema()
    return {
        "labels": list(model.labels),
        "relationshipTypes": list(model.relationship_types),
        # The linter reads `row.src` in a MATCH pattern as a property key, unable to tell
        # an UNWIND row map from a node; the adapter's row fields are declared here.
        "propertyKeys": sorted({*model.property_keys(), *ROW_FIELDS}),
    }


def lint_payload(query_dir: Path = QUERY_DIR, model: GraphSchema | None = None) -> dict[str, Any]:
    model = model or schema()
    statements: list[dict[str, Any]] = [
        {
            "name": s.name,
            "origin": "graph/cypher.py",
            "text": s.text,
            "parameters": list(s.parameters),
        }
        for s in adapter_statements(model).values()
    ]
    for q in query_files(query_dir):
        statements.append(
            {
                "name": q.name,
                "origin": str(q.path.name),
                "text": q.text,
                "parameters": list(q.parameters),
            }
        )
    # The analysts' cookbook (docs/analysts.md) is checked like every other query file.
    for q in query_files(query_dir / "cookbook"):
        statements.append(
            {
                "name": f"cookbook.{q.name}",
                "origin": f"cookbook/{q.path.name}",
                "text": q.text,
                "parameters": list(q.parameters),
            }
        )
    for name, text, parameters in customer_list.lint_examples():
        statements.append(
            {
                "name": name,
                "origin": "queries/customer_list.py",
                "text": text,
                "parameters": parameters,
            }
        )
    return {"schema": linter_schema(model), "statements": statements}
