"""The stored match model: what the last ``ckb resolve`` estimated (u, m, households, the
shares of common name words), for records that arrive later and for explaining a pair.
One MatchModel node; before the first run, the documented defaults."""

from __future__ import annotations

import orjson

from graph import clock
from graph.store import GraphStore
from identity.comparison import M_PROBABILITIES
from identity.model import Model

MODEL_ID = "default"
# Before any batch run: u for a population of about a million records (exact agreement
# by chance is rare; "different" nearly certain).
DEFAULT_U: dict[str, dict[str, float]] = {
    f: {lvl: (0.98 if lvl == "different" else 1e-4) for lvl in levels}
    for f, levels in M_PROBABILITIES.items()
}


def save_model(store: GraphStore, model: Model) -> None:
    # estimated_at only moves when the model does: re-running on the same data writes nothing.
    store.upsert_nodes(
        "MatchModel",
        [
            {
                "id": MODEL_ID,
                "u": orjson.dumps(model.u, option=orjson.OPT_SORT_KEYS).decode(),
                "u_home": orjson.dumps(model.u_home, option=orjson.OPT_SORT_KEYS).decode(),
                "m": orjson.dumps(model.m, option=orjson.OPT_SORT_KEYS).decode(),
                "households": model.households,
                "word_share": orjson.dumps(model.word_share, option=orjson.OPT_SORT_KEYS).decode(),
                "shared_word_share": model.shared_word_share,
                "one_record": orjson.dumps(sorted(model.one_record)).decode(),
                "records": model.records,
            }
        ],
        touch={"estimated_at": clock.now_iso_precise()},
    )


def load_model(store: GraphStore) -> Model:
    """The model the last ``ckb resolve`` estimated, or the documented defaults."""
    node = store.get_node("MatchModel", MODEL_ID)
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
    return model
