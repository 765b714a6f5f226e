"""EPCIS master data: the vocabulary elements of a document, checked one by one, and the
Location or Party properties an element of a vocabulary ckb keeps sets.

Master data (a document's ``epcisHeader.epcisMasterData.vocabularyList``, or a query
document's ``resultsBody.vocabularyList``; a document may carry it without events) names
and addresses places and parties: each element of a ReadPoint, BusinessLocation or
Location vocabulary sets those properties on its Location (its ``children`` are
LOCATED_IN it), of a Party vocabulary on its Party, from the CBV attributes
(``urn:epcglobal:cbv:mda#name``, ``#city`` ...); every attribute, mapped or not, is kept in
``master_data`` (JSON). Each element is validated on its own, as an event is. Pure: no store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from epcis.documents import master_data_of
from epcis.epc import canonical_epc
from epcis.validation import definition_reasons, keyable
from epcis.values import json_text

VTYPE = "urn:epcglobal:epcis:vtype:"
# The vocabularies ckb keeps, by type (after VTYPE, in lower case), and the node their
# elements describe; SourceDest names either, told apart by the ID (a GLN is a place).
MASTER_LABELS = {
    "readpoint": "Location", "businesslocation": "Location", "location": "Location",
    "party": "Party", "sourcedest": None,
}  # fmt: skip
_MDA = ("urn:epcglobal:cbv:mda#", "cbvmda:")
# CBV location and party attributes ckb maps (by the name after the prefix).
MDA_TEXT = {
    "name": "name", "city": "city", "state": "state", "postalCode": "postal_code",
    "countryCode": "country",
}  # fmt: skip
MDA_NUMBER = {"latitude": "latitude", "longitude": "longitude"}
MDA_ADDRESS = ("streetAddressOne", "streetAddressTwo", "streetAddressThree")


@dataclass(frozen=True, slots=True)
class MasterElement:
    """One vocabulary element of a document's master data, or the part of the master
    data that could not be read as one (``vocabulary`` None)."""

    where: str  # JSON path in the document, e.g. epcisHeader/epcisMasterData/vocabularyList/0
    vocabulary: str | None
    element: Any
    reasons: list[str]


def master_elements(document: dict[str, Any]) -> list[MasterElement]:
    """Every vocabulary element of a document's master data with the reasons it is
    invalid (none: valid), each checked on its own as events are; a header or vocabulary
    that cannot be read is one element with its reasons."""
    found = master_data_of(document)
    if found is None:
        return []
    where, holder = found
    if where == "epcisHeader":
        reasons = _header_reasons(holder)
        if reasons:
            return [MasterElement(where, None, holder, reasons)]
        where = f"{where}/epcisMasterData/vocabularyList"
        vocabularies = holder["epcisMasterData"].get("vocabularyList")
    else:
        where, vocabularies = f"{where}/vocabularyList", holder["vocabularyList"]
    if not isinstance(vocabularies, list | None):
        return [MasterElement(where, None, vocabularies, [f"{where}: must be a list"])]
    elements = []
    for i, vocabulary in enumerate(vocabularies or ()):
        elements += _vocabulary_elements(f"{where}/{i}", vocabulary)
    return elements


def _header_reasons(header: Any) -> list[str]:
    """The header against GS1's schema, its vocabularies left to be checked one by one."""
    master = header.get("epcisMasterData") if isinstance(header, dict) else None
    if isinstance(master, dict) and isinstance(master.get("vocabularyList"), list):
        header = {**header, "epcisMasterData": {**master, "vocabularyList": []}}
    return definition_reasons("epcisHeader", header, "epcisHeader")


def _vocabulary_elements(where: str, vocabulary: Any) -> list[MasterElement]:
    listed = vocabulary.get("vocabularyElementList") if isinstance(vocabulary, dict) else None
    shell = {**vocabulary, "vocabularyElementList": []} if isinstance(listed, list) else vocabulary
    reasons = definition_reasons("vocabulary", shell, where)
    if reasons:
        return [MasterElement(where, None, vocabulary, reasons)]
    vtype = str(vocabulary["type"])
    return [
        MasterElement(
            f"{where}/vocabularyElementList/{j}",
            vtype,
            element,
            check_element(element, f"{where}/vocabularyElementList/{j}"),
        )
        for j, element in enumerate(listed or ())
    ]


def check_element(element: Any, where: str = "element") -> list[str]:
    """Every reason a vocabulary element is invalid: GS1's schema, then ckb's rules
    (a non-empty ID, namespaced attribute IDs, the CBV attributes ckb maps well typed)."""
    reasons = definition_reasons("vocabularyElement", element, where)
    if reasons:
        return reasons
    if not element["id"].strip():
        reasons.append(f"{where}/id: must not be empty")
    children = [(f"children/{n}", c) for n, c in enumerate(element.get("children") or ())]
    for at, value in [("id", element["id"]), *children]:
        if isinstance(value, str) and not keyable(value):
            reasons.append(f"{where}/{at}: {value!r} is not a valid EPC (its parts are digits)")
    for n, attribute in enumerate(element.get("attributes") or ()):
        at, attr_id, value = f"{where}/attributes/{n}", attribute["id"], attribute.get("attribute")
        short = _mda_name(attr_id)
        if ":" not in attr_id:
            reasons.append(
                f"{at}/id: {attr_id!r} is not a URI (write a CBV attribute in full, e.g. "
                "urn:epcglobal:cbv:mda#name)"
            )
        elif (short in MDA_TEXT or short in MDA_ADDRESS) and (
            isinstance(value, bool) or not isinstance(value, str | int)
        ):
            reasons.append(f"{at}/attribute: {attr_id} must be text, got {value!r}")
        elif short in MDA_NUMBER and _number(value) is None:
            reasons.append(f"{at}/attribute: {attr_id} must be a number, got {value!r}")
    return reasons


def _mda_name(attr_id: str) -> str | None:
    for prefix in _MDA:
        if attr_id.startswith(prefix):
            return attr_id[len(prefix) :]
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def master_label(vocabulary: str, key: str) -> str | None:
    """The node a vocabulary's element describes (None: a vocabulary ckb does not keep)."""
    name = vocabulary.removeprefix(VTYPE).lower()
    if name not in MASTER_LABELS:
        return None
    return MASTER_LABELS[name] or ("Location" if "/414/" in key else "Party")


def master_row(vocabulary: str, element: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """(label, properties, children's keys) of a valid element of a vocabulary ckb keeps."""
    written = element["id"].strip()
    key = canonical_epc(written)
    label = master_label(vocabulary, key)
    assert label is not None
    attributes = {a["id"]: a.get("attribute") for a in element.get("attributes") or ()}
    row: dict[str, Any] = {"id": key, "source_system": "epcis", "source_record_id": written}
    lines: dict[str, str] = {}
    for attr_id, value in attributes.items():
        short = _mda_name(attr_id)
        if short in MDA_TEXT and str(value).strip():
            row[MDA_TEXT[short]] = str(value).strip()
        elif short in MDA_NUMBER:
            row[MDA_NUMBER[short]] = _number(value)
        elif short in MDA_ADDRESS:
            lines[short] = str(value).strip()
    if lines:
        row["address"] = ", ".join(lines[k] for k in MDA_ADDRESS if lines.get(k))
    row["master_data"] = json_text(attributes)
    children = [
        canonical_epc(c) for c in element.get("children") or () if isinstance(c, str) and c.strip()
    ]
    return label, row, children if label == "Location" else []
