"""EPCIS capture's fast paths answer as the slow ones do: the compiled schema check decides
as GS1's schema read by the full validator does, and batches built apart from the store
(another process may build them) capture what capture in one piece does."""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from epcis.capture import capture
from epcis.documents import events_of, read_documents
from epcis.validation import _fast_validator, _validator, check_event
from epcis.vocabulary import EVENT_TYPES
from graph.store import GraphStore
from loaders.rejects import RejectsFile
from tests.support.paths import SHARED_DATA, TEST_DATA

DATA = SHARED_DATA


def _documents() -> list[Path]:
    found = [*DATA.rglob("*.json*"), *(TEST_DATA / "epcis").glob("*.json*")]
    return sorted(p for p in found if "Schema" not in p.name)


def _events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {
            "type": "ObjectEvent",
            "eventTime": "2026-05-01T10:00:00.5+02:00",
            "eventTimeZoneOffset": "+02:00",
            "action": "OBSERVE",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
            "bizStep": "shipping",
            "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
            "quantityList": [{"epcClass": LGTIN, "quantity": 2}],
            "ext:note": "kept",
        }
    ]
    for path in _documents():
        for _, document, error in read_documents(path):
            if error is None and isinstance(document, dict):
                try:
                    events += [e for e in events_of(document) if isinstance(e, dict)]
                except ValueError:
                    continue  # a refused document: its tests are elsewhere
    return events


# Values that sit on the schema's edges: patterns anchored with $, numbers, URIs, CBV
# prefixes GS1 reserves, digits outside ASCII.
EDGES: list[Any] = [
    None, True, 0, 1.5, -1, "", "x", "ADD", "ADD\n", "OBSERVE", "+00:00", "+00:00\n",
    "-14:00", "+14:01", "2026-01-01T00:00:00Z", [], {}, ["x"], [{"id": "x"}], {"id": "urn:x"},
    "gs1:foo", "https://gs1.org/voc/x", "urn:epcglobal:cbv:bizstep:x", "AB", "ab", "12.3",
    "1.\u0663", "\u0661", "FFf0", "FFg0", 2**40,
]  # fmt: skip
LGTIN = "urn:epc:class:lgtin:4012345.011111.4444"
NAMES = ["foo", "ex:foo", "@id", "type", "gs1:x", "cbv:y", "urn:epcglobal:cbv:z", "action"]


def _mutant(event: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The event with one to three random changes somewhere in it."""
    event = copy.deepcopy(event)
    for _ in range(rnd.randint(1, 3)):
        node: Any = event
        while True:
            if isinstance(node, dict) and node:
                key = rnd.choice(sorted(node))
                roll = rnd.random()
                if roll < 0.3 and isinstance(node[key], dict | list) and node[key]:
                    node = node[key]
                    continue
                if roll < 0.45:
                    del node[key]
                elif roll < 0.55:
                    node[rnd.choice(NAMES)] = rnd.choice(EDGES)
                else:
                    node[key] = rnd.choice(EDGES)
            elif isinstance(node, list) and node:
                i = rnd.randrange(len(node))
                if isinstance(node[i], dict | list) and node[i] and rnd.random() < 0.5:
                    node = node[i]
                    continue
                node[i] = rnd.choice(EDGES)
            break
    return event


def _compiled_accepts(event: dict[str, Any]) -> bool:
    kind = event.get("type")
    return bool(_fast_validator(kind if kind in EVENT_TYPES else None).is_valid(event))


def test_the_compiled_check_accepts_exactly_what_the_full_validator_accepts() -> None:
    rnd = random.Random(14)
    events = _events()
    mutants = [_mutant(e, rnd) for e in events for _ in range(max(20, 1500 // len(events)))]
    verdicts = {"accepted": 0, "refused": 0}
    for event in [*events, *mutants]:
        full = not any(True for _ in _validator().iter_errors(event))
        assert _compiled_accepts(event) == full, json.dumps(event)[:300]
        verdicts["accepted" if full else "refused"] += 1
    # Both kinds of verdict were put to the test, many times.
    assert min(verdicts.values()) > 200, verdicts


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # $ ends the text in JSON Schema's regular expressions, not before a final newline.
        ({"eventTimeZoneOffset": "+00:00\n"}, "eventTimeZoneOffset: '+00:00\\n' does not match"),
        ({"action": "ADD\n"}, "action: 'ADD\\n'"),
        # JSON has no NaN; Python's json reads one, GS1's schema has no number for it.
        ({"quantityList": [{"epcClass": LGTIN, "quantity": math.nan}]}, "quantityList/0/quantity"),
    ],
)
def test_what_only_the_compiled_check_refused_is_refused_with_its_reason(
    change: dict[str, Any], reason: str
) -> None:
    event = {**_events()[0], **change}
    reasons = check_event(event)
    assert reasons, event
    assert any(r.startswith(reason) for r in reasons), reasons


def _capture(store: GraphStore, path: Path, tmp_path: Path, batch: int) -> dict[str, Any]:
    rejects = RejectsFile(tmp_path / f"{path.name}.{batch}.rejects.jsonl", str(path), "epcis")
    try:
        summary = capture(store, read_documents(path), rejects, batch=batch)
    finally:
        rejects.close()
    return {k: v for k, v in summary.__dict__.items() if k != "results"} | {
        "results": summary.results
    }


def _contents(store: GraphStore) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for label in sorted(store.counts().nodes):
        keys = store.keys(label)
        found[label] = {
            key: (
                node.props,
                sorted(
                    json.dumps([e.type, e.src_key, e.dst_key, e.props], sort_keys=True)
                    for e in store.relationships_of(label, [key]).get(key, [])
                ),
            )
            for key, node in store.get_nodes(label, keys).items()
        }
    return found


@pytest.mark.parametrize("batch", [1, 3])
def test_a_batch_ending_inside_a_document_captures_what_one_batch_does(
    batch: int, tmp_path: Path
) -> None:
    from graph.embedded import EmbeddedStore

    documents = [p for p in _documents() if p.suffix == ".json"]
    if not documents:
        pytest.skip("no EPCIS documents")
    whole = EmbeddedStore(tmp_path / "whole.sqlite")
    split = EmbeddedStore(tmp_path / "split.sqlite")
    try:
        for path in documents:
            assert _capture(whole, path, tmp_path, 10_000) == _capture(split, path, tmp_path, batch)
        assert _contents(whole) == _contents(split)
    finally:
        whole.close()
        split.close()


def test_a_file_read_by_another_process_captures_what_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.embedded import EmbeddedStore

    # A stream with a bit of everything: real events, a repeat, a retraction, a refused
    # line, an invalid event, master data in a document on its own line.
    events = _events()
    declared = {**events[0], "errorDeclaration": {"declarationTime": "2026-06-01T00:00:00Z"}}
    documents = [e for e in _documents() if e.suffix == ".json"]
    lines = [json.dumps(e) for e in [*events, events[1], declared]]
    lines += ["{not json", json.dumps({**events[0], "action": "NOPE"})]
    lines += [json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in documents[:5]]
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    import epcis.readers

    apart = []
    real = epcis.readers.checked_apart

    def spied(*args: Any) -> Any:
        apart.append(args)
        return real(*args)

    monkeypatch.setattr(epcis.readers, "checked_apart", spied)
    answers = []
    for setting in ("0", "1"):
        monkeypatch.setenv("CKB_LOAD_PARALLEL", setting)
        store = EmbeddedStore(tmp_path / f"kb{setting}.sqlite")
        try:
            answers.append((_capture(store, path, tmp_path, 4), _contents(store)))
        finally:
            store.close()
    assert len(apart) == 1  # only with CKB_LOAD_PARALLEL=1, and then in another process
    assert answers[0] == answers[1]
    summary = answers[0][0]
    assert summary["rejected"] >= 1
    assert summary["refused_documents"] >= 1
    # The repository's own documents give 9 events; ../shared/data, when beside, more.
    assert summary["captured"] >= 9


def _times(rnd: random.Random) -> list[str]:
    """Times as events write them, and near misses: offsets, fractions of every length,
    impossible dates, week dates, other separators, digits outside ASCII."""
    found = []
    for _ in range(3000):
        date = rnd.choice(
            [
                "2026-01-31",
                "2026-02-29",
                "2024-02-29",
                "2026-13-01",
                "0000-01-01",
                "2026-W01-1",
                "9999-12-31",
                "2026-1-01",
                "\u0662026-01-01",
            ]
        )
        clock = rnd.choice(["00:00:00", "23:59:59", "24:00:00", "23:59:60", "12:30", "1:00:00"])
        fraction = rnd.choice(["", ".0", ".000", ".000000", ".5", ".123456", ".1234567", "."])
        zone = rnd.choice(["Z", "z", "+00:00", "-00:00", "+02:00", "", "+0000", "+00:00:00"])
        found.append(f"{date}{rnd.choice('TT t')}{clock}{fraction}{zone}")
        # And as most events write them: UTC, whole seconds or microseconds.
        date, clock = rnd.choice(["2026-01-31", "2024-02-29", "2026-02-29"]), "10:20:30"
        fraction = rnd.choice(["", ".000000", ".123456", ".100000"])
        found.append(f"{date}T{clock}{fraction}{rnd.choice(['Z', '+00:00'])}")
    return found


def test_utc_times_read_on_the_fast_path_are_what_the_full_parse_makes() -> None:
    from epcis.values import _WRITTEN_UTC, _utc_time, utc_time

    times = _times(random.Random(5))
    assert sum(_WRITTEN_UTC.fullmatch(t) is not None for t in times) > 2000  # the fast path
    for value in times:
        assert utc_time(value) == _utc_time(value), value


def test_identifiers_found_fine_at_a_glance_have_nothing_wrong_with_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import epcis.validation

    rnd = random.Random(15)
    events = _events()
    mutants = [_mutant(e, rnd) for e in events for _ in range(max(20, 1500 // len(events)))]
    # Identifiers blank, not keyable, in every place one can stand.
    bad = ["", "  ", "urn:epc:id:sgtin:06141x41.107346.1", "https://[x", "ok:1"]
    for event in (events * 60)[:60]:  # as many with ckb's own documents alone
        for name in ("epcList", "childEPCs", "parentID", "readPoint", "bizLocation"):
            value = rnd.choice(bad)
            place = {"id": value} if name in ("readPoint", "bizLocation") else value
            mutants.append({**event, name: [place] if name.endswith(("List", "EPCs")) else place})
        mutants.append({**event, "sourceList": [{"type": "x", "source": rnd.choice(bad)}]})
        mutants.append({**event, "bizTransactionList": [{"bizTransaction": " "}]})
        mutants.append({**event, "quantityList": [{"epcClass": rnd.choice(bad), "quantity": 1}]})
    fast = [epcis.validation._identifier_reasons(e) for e in [*events, *mutants]]
    monkeypatch.setattr(epcis.validation, "_identifiers_fine", lambda event: False)
    slow = [epcis.validation._identifier_reasons(e) for e in [*events, *mutants]]
    assert fast == slow
    assert sum(bool(r) for r in slow) > 100  # reasons were found, and found alike
