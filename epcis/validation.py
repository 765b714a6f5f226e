"""EPCIS event validation: GS1's EPCIS 2.0 JSON Schema, then ckb's semantic rules.

Each event is checked on its own (the events of a document one by one, so one bad event
does not sink its siblings): against the schema (a compiled validator decides, the full
one names every problem of an event it refuses), then a bare business step or disposition
must be a CBV value, an extension field must be namespaced, and an identifier that becomes
a node's key must be one. Master data elements are checked against the schema's
definitions through :func:`definition_reasons` (epcis/masterdata.py). Pure: no store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
from jsonschema import Draft7Validator

from epcis.epc import canonical_epc
from epcis.values import is_time
from epcis.vocabulary import EVENT_TYPES, ROLES, cbv_value

DEFAULT_SCHEMA = Path(__file__).resolve().parent / "epcis_schema" / "EPCIS-JSON-Schema.json"


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(_python_regexes(_event_schema()))


# An unescaped ``$``: end of text in ECMA-262 (JSON Schema's regex dialect) and in the
# compiled validator, but "before a final newline too" in Python's re.
_DOLLAR = re.compile(r"(?<!\\)\$")


def _python_regexes(node: Any) -> Any:
    """The schema with its patterns read as JSON Schema reads them (``$`` is ``\\Z``), so
    the full validator names a problem for every event the compiled one refuses (an
    offset of ``+00:00`` followed by a newline among them)."""
    if isinstance(node, list):
        return [_python_regexes(n) for n in node]
    if not isinstance(node, dict):
        return node
    copied: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            copied[key] = _DOLLAR.sub(r"\\Z", value)
        elif key == "patternProperties" and isinstance(value, dict):
            copied[key] = {_DOLLAR.sub(r"\\Z", k): _python_regexes(v) for k, v in value.items()}
        else:
            copied[key] = _python_regexes(value)
    return copied


@cache
def _gs1_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    return loaded


@cache
def _event_schema() -> dict[str, Any]:
    schema = _gs1_schema()
    # One event at a time, without the JSON-LD context a standalone event must carry.
    return {
        "$schema": schema["$schema"],
        "definitions": schema["definitions"],
        "allOf": [
            {
                "if": {"properties": {"type": {"const": name}}},
                "then": {"$ref": f"#/definitions/{name}"},
            }
            for name in EVENT_TYPES
        ],
        "required": ["type"],
        "properties": {"type": {"enum": list(EVENT_TYPES)}},
    }


@cache
def _fast_validator(kind: str | None = None) -> jsonschema_rs.Draft7Validator:
    """The compiled check (jsonschema-rs: ~3 µs for a bench event, against ~45 µs for
    fastjsonschema's generated Python) for one event type, the schema's ``if type == X then
    X`` branch taken directly, or for any event when ``kind`` is None."""
    schema = _event_schema()
    if kind is not None:
        schema = {
            "$schema": schema["$schema"],
            "definitions": schema["definitions"],
            "$ref": f"#/definitions/{kind}",
        }
    # Formats off, as in the full validator (jsonschema checks no formats by default), so
    # both accept and refuse the same events.
    return jsonschema_rs.Draft7Validator(schema, validate_formats=False)


def schema_reasons(event: dict[str, Any]) -> list[str]:
    """Every way an event breaks GS1's schema (none: it conforms). The compiled validator
    decides; only for an event it refuses does the full one run, to name every problem."""
    kind = event.get("type")
    if _fast_validator(kind if kind in EVENT_TYPES else None).is_valid(event):
        return []
    reasons = {f"{_where(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(event)}
    if not reasons:
        # What only the compiled validator refuses: a NaN or infinite number (JSON has
        # none; Python's json reads them), in its words.
        reasons = {
            f"{_where(e.instance_path)}: {e.message}"
            for e in _fast_validator(kind if kind in EVENT_TYPES else None).iter_errors(event)
        }
    return sorted(reasons)


@cache
def standard_fields(kind: str | None) -> frozenset[str]:
    """The top-level fields GS1's schema defines for an event type (for an unknown type,
    those of any type): the properties its definition declares and the names its
    ``propertyNames`` lists, through every ``$ref``, ``allOf`` and ``anyOf``. Any other
    field is an extension and must be namespaced."""
    if kind not in EVENT_TYPES:
        return frozenset().union(*(standard_fields(k) for k in EVENT_TYPES))
    definitions: dict[str, Any] = _event_schema()["definitions"]

    def names(node: Any, seen: frozenset[str], in_names: bool) -> set[str]:
        if not isinstance(node, dict):
            return set()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            target = unquote(ref.removeprefix("#/definitions/"))  # a JSON pointer
            if target in seen:
                return set()
            return names(definitions.get(target), seen | {target}, in_names)
        found: set[str] = set()
        if in_names:  # a propertyNames schema: the names it enumerates
            found.update(v for v in node.get("enum", ()) if isinstance(v, str))
        else:
            found.update(node.get("properties", {}))
            found |= names(node.get("propertyNames"), seen, True)
        for combined in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(combined, ()):
                found |= names(sub, seen, in_names)
        return found

    return frozenset(names({"$ref": f"#/definitions/{kind}"}, frozenset(), False))


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path) or "event"


def check_event(event: Any) -> list[str]:
    """Every reason this event is invalid: JSON Schema first, then CBV semantics."""
    if not isinstance(event, dict):
        return ["an event must be a JSON object"]
    reasons = schema_reasons(event)
    kind = event.get("type")
    ilmd = event.get("ilmd")
    if isinstance(ilmd, dict):
        reasons += [
            f"ilmd: {key!r} is not namespaced (master data attributes are prefix:name)"
            for key in sorted(ilmd)
            if ":" not in key
        ]
    standard = standard_fields(kind if kind in EVENT_TYPES else None)
    if not standard.issuperset(event):  # the common case: no extension fields at all
        reasons += [
            f"{key!r} is not an EPCIS field; an extension field must be namespaced (prefix:name)"
            for key in sorted(event)
            if key not in standard and ":" not in key
        ]
    for kind in ("bizStep", "disposition"):
        value = event.get(kind)
        if isinstance(value, str) and cbv_value(kind, value) is None:
            what = "business step" if kind == "bizStep" else "disposition"
            reasons.append(
                f"{kind}: {value!r} is not a CBV {what} (write a custom one as a full URI)"
            )
    return reasons + _time_reasons(event) + _identifier_reasons(event)


_TIMES = ("eventTime", "recordTime")


def _time_reasons(event: dict[str, Any]) -> list[str]:
    """A time must name an instant: GS1's schema says date-time, which its compiled check
    (formats off) does not test — ``01/05/2024 10:00`` or hour 24 would be stored as sent
    and break every later question by time."""
    reasons = [
        f"{name}: {value!r} is not an ISO 8601 date-time (e.g. 2024-05-01T10:00:00Z)"
        for name in _TIMES
        if isinstance(value := event.get(name), str) and not is_time(value)
    ]
    declared = event.get("errorDeclaration")
    if isinstance(declared, dict):
        value = declared.get("declarationTime")
        if isinstance(value, str) and not is_time(value):
            reasons.append(
                f"errorDeclaration/declarationTime: {value!r} is not an ISO 8601 date-time "
                "(e.g. 2024-05-01T10:00:00Z)"
            )
    return reasons


def _identifier_reasons(event: dict[str, Any]) -> list[str]:
    """An identifier that becomes a node's key must be one: not empty (a read point or
    business location given empty is left out), an EPC URN's parts digits."""
    if _identifiers_fine(event):
        return []
    reasons = []
    for at, value in _identifiers(event):
        if not isinstance(value, str):
            continue  # the schema's to refuse
        if not value.strip():
            if at[0] not in ("readPoint", "bizLocation"):
                reasons.append(f"{_where(at)}: must not be empty")
        elif not keyable(value):
            reasons.append(
                f"{_where(at)}: {value!r} is not a valid EPC (an EPC URN's parts are digits)"
            )
    listed = event.get("bizTransactionList")
    for n, tx in enumerate(listed if isinstance(listed, list) else ()):
        given = tx.get("bizTransaction") if isinstance(tx, dict) else None
        if isinstance(given, str) and not given.strip():
            reasons.append(f"bizTransactionList/{n}/bizTransaction: must not be empty")
    return reasons


_IDENTIFIED = (*ROLES, "parentID", "readPoint", "bizLocation", "sourceList", "destinationList")
_ID_KEYS = ("id", "source", "destination", "epcClass")


def _identifiers_fine(event: dict[str, Any]) -> bool:
    """Whether every identifier is plainly a key (not blank, keyable) and every business
    transaction named: then there is nothing to say (most events). Anything else goes
    the long way, which says what is wrong, if anything (a blank read point is fine)."""
    for name, value in event.items():
        if name == "bizTransactionList":
            if not _transactions_fine(value):
                return False
        elif name in _IDENTIFIED_NAMES or name.endswith("uantityList"):
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, dict):
                    for key in _ID_KEYS:
                        found = item.get(key)
                        if isinstance(found, str) and not (found.strip() and keyable(found)):
                            return False
                elif isinstance(item, str) and not (item.strip() and keyable(item)):
                    return False
    return True


_IDENTIFIED_NAMES = frozenset(_IDENTIFIED)


def _transactions_fine(listed: Any) -> bool:
    for tx in listed if isinstance(listed, list) else ():
        given = tx.get("bizTransaction") if isinstance(tx, dict) else None
        if isinstance(given, str) and not given.strip():
            return False
    return True


def _identifiers(event: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path, value) of each identifier capture reduces to its canonical key; the path is
    joined into words only for a reason (every event pays for the walk)."""
    quantities = [name for name in event if name.endswith("uantityList")]
    for name in (*_IDENTIFIED, *quantities):
        if name not in event:
            continue
        value = event[name]
        listed = isinstance(value, list)
        for n, item in enumerate(value if listed else (value,)):
            at: tuple[str | int, ...] = (name, n) if listed else (name,)
            if isinstance(item, dict):
                for key in _ID_KEYS:
                    if key in item:
                        yield (*at, key), item[key]
            else:
                yield at, item


def keyable(value: str) -> bool:
    """Whether an identifier has a canonical key (epcis/epc.py): a string that is no
    EPC is kept as written, an EPC URN whose parts are not digits has none."""
    try:
        canonical_epc(value)
    except (ValueError, IndexError):  # urn:epc:id:sgtin:06141x41.107346.1, https://[x
        return False
    return True


@cache
def _definition_validator(name: str) -> Draft7Validator:
    return Draft7Validator(
        {"definitions": _gs1_schema()["definitions"], "$ref": f"#/definitions/{name}"}
    )


def definition_reasons(definition: str, value: Any, where: str) -> list[str]:
    """Every way ``value`` (found at ``where``) breaks one of GS1's schema definitions."""
    return sorted(
        {
            f"{'/'.join([where, *map(str, e.absolute_path)])}: {e.message}"
            for e in _definition_validator(definition).iter_errors(value)
        }
    )
