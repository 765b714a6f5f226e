"""The stored match model: what the last ``ckb resolve`` estimated (u, m, households, the
shares of common name words), for records that arrive later and for explaining a pair.
The current model is the MatchModel node ``default``; every version a run estimated is
kept beside it as ``v1``, ``v2`` ...; before the first run, the documented defaults
(version 0)."""

from __future__ import annotations

import hashlib

import orjson

from graph import clock
from graph.store import GraphStore, Node, PropertyValue
from identity.comparison import M_PROBABILITIES
from identity.model import Model

MODEL_ID = "default"
# Before any batch run: u for a population of about a million records (exact agreement
# by chance is rare; "different" nearly certain).
DEFAULT_U: dict[str, dict[str, float]] = {
    f: {lvl: (0.98 if lvl == "different" else 1e-4) for lvl in levels}
    for f, levels in M_PROBABILITIES.items()
}
# Of two values, half of all pairs agree by chance.
DEFAULT_U["gender"] = {"exact": 0.5, "different": 0.5}


def version_id(version: int) -> str:
    """The MatchModel node that keeps model version ``version`` for the record."""
    return f"v{version}"


def _estimate(model: Model) -> dict[str, PropertyValue]:
    """What a model stores, but its version: everything a pair's weight depends on."""
    return {
        "u": orjson.dumps(model.u, option=orjson.OPT_SORT_KEYS).decode(),
        "u_home": orjson.dumps(model.u_home, option=orjson.OPT_SORT_KEYS).decode(),
        "m": orjson.dumps(model.m, option=orjson.OPT_SORT_KEYS).decode(),
        "households": model.households,
        "one_record": orjson.dumps(sorted(model.one_record)).decode(),
        "word_share": orjson.dumps(model.word_share, option=orjson.OPT_SORT_KEYS).decode(),
        "shared_word_share": model.shared_word_share,
        "records": model.records,
        "address_shares": orjson.dumps(model.address_shares, option=orjson.OPT_SORT_KEYS).decode(),
    }


def model_digest(model: Model) -> str:
    """What tells two models apart: a hash of what they store but their version."""
    return _digest(_estimate(model))


def _digest(estimate: dict[str, PropertyValue]) -> str:
    return hashlib.blake2b(
        orjson.dumps(estimate, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).hexdigest()


def stored_version(store: GraphStore) -> int:
    """The current model's version; 0 before the first ``ckb resolve``."""
    node = store.get_node("MatchModel", MODEL_ID)
    return model_of(node).version if node is not None else 0


def save_model(store: GraphStore, model: Model) -> int:
    """Store ``model`` as the current one, and return its version. A model that differs
    from the current one in anything a weight depends on gets the next version number and
    is also kept as ``v<version>`` (history: which model weighed a merge, see
    MergeEvent.model_version); the same model again writes nothing (re-running ``ckb
    resolve`` on unchanged data) and keeps its version."""
    estimate = _estimate(model)
    digest = _digest(estimate)
    current = store.get_node("MatchModel", MODEL_ID)
    version = model_of(current).version if current is not None else 0
    if current is None or current.props.get("digest") != digest:
        version += 1
    row = {**estimate, "digest": digest, "version": version}
    touch = {"estimated_at": clock.now_iso_precise()}
    store.upsert_nodes("MatchModel", [{"id": MODEL_ID, **row}], touch=touch)
    store.upsert_nodes("MatchModel", [{"id": version_id(version), **row}], touch=touch)
    model.version = version
    return version


def load_model(store: GraphStore) -> Model:
    """The model the last ``ckb resolve`` estimated, or the documented defaults."""
    return model_of(store.get_node("MatchModel", MODEL_ID))


def load_model_version(store: GraphStore, version: int) -> Model | None:
    """Model version ``version`` as it was stored, or None when the store never had it."""
    node = store.get_node("MatchModel", version_id(version))
    return model_of(node) if node is not None else None


def model_of(node: Node | None) -> Model:
    """The model a MatchModel node keeps; None: the documented defaults (version 0)."""
    if node is None:
        return Model({f: dict(u) for f, u in DEFAULT_U.items()}, {}, {}, 1_000_000)
    records = node.props.get("records")
    home = node.props.get("u_home")  # absent from models stored before households had one
    single = node.props.get("one_record")  # and before systems were told apart
    m = node.props.get("m")  # and before m was fitted to the data: the documented values
    model = Model(
        orjson.loads(str(node.props["u"])),
        {},
        {},
        int(records) if isinstance(records, int) else 1_000_000,
        orjson.loads(home) if isinstance(home, str) else {},
        frozenset(orjson.loads(single)) if isinstance(single, str) else frozenset(),
    )
    if isinstance(m, str):
        model.fit(orjson.loads(m))
    # Absent from models stored before it was fitted: households assumed, as then.
    model.households = node.props.get("households") is not False
    # And before shared name words were weighed by their rarity: they are not.
    words, shared = node.props.get("word_share"), node.props.get("shared_word_share")
    if isinstance(words, str) and isinstance(shared, float):
        model.word_share, model.shared_word_share = orjson.loads(words), shared
    # And before a generic address weighed by its share: none known.
    shares = node.props.get("address_shares")
    if isinstance(shares, str):
        model.address_shares = orjson.loads(shares)
    # Stored before models had versions: the first.
    version = node.props.get("version")
    model.version = version if isinstance(version, int) else 1
    return model
