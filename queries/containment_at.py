"""containment_at: the containers (case, pallet, truck ...) holding an item at a moment,
nearest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from epcis.values import utc_time
from graph.store import GraphStore
from queries.base import QueryParameterError, results
from queries.engine import named_query
from queries.tracking import prepare_epc


class ContainerRow(TypedDict):
    container: str
    level: int
    since: Any  # the CONTAINS link's stored since


def prepare_at(params: dict[str, Any]) -> dict[str, Any]:
    params = prepare_epc(params)
    at = params.get("at")
    if isinstance(at, str) and at.strip():
        params = {**params, "at": utc_time(at.strip())}
    return params


@dataclass(frozen=True, slots=True)
class Container:
    container: str
    level: int  # 1: holds the item itself; 2: holds that container ...
    since: str | None


def _valid(props: dict[str, Any], at: str) -> bool:
    since, until = props.get("since"), props.get("until")
    return isinstance(since, str) and since <= at and (not isinstance(until, str) or until > at)


def to_containers(rows: list[ContainerRow]) -> list[Container]:
    return results(Container, rows, level=int)


def check_at(params: dict[str, Any]) -> None:
    if not params["at"] or "T" not in params["at"]:
        raise QueryParameterError(f"at must be an ISO date-time, got {params['at']!r}")


@named_query("containment_at", to_containers, check_at, prepare_at)
def containment(store: GraphStore, epc: str, key: str, at: str) -> list[ContainerRow]:
    rows: dict[str, ContainerRow] = {}
    frontier = [key]
    for level in range(1, 5):
        found = store.neighbours_many("ProductInstance", frontier, "CONTAINS", "in", limit=10_000)
        frontier = []
        for links in found.values():
            for n in links:
                if _valid(n.edge.props, at) and n.node.key not in rows and n.node.key != key:
                    rows[n.node.key] = {
                        "container": n.node.key,
                        "level": level,
                        "since": n.edge.props.get("since"),
                    }
                    frontier.append(n.node.key)
        if not frontier:
            break
    return sorted(rows.values(), key=lambda r: (r["level"], r["container"]))
