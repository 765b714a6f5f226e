"""relationship_path: how two customers are connected, through relationships and shared
households: every shortest route, up to ``maxHops`` steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.algorithms import shortest_routes
from graph.projection import expand
from graph.store import GraphStore
from queries.base import CUSTOMER_NETWORK, bounded
from queries.engine import named_query

MAX_PATH_HOPS = 6  # the Cypher pattern's literal bound; maxHops may not exceed it
MAX_PATHS = 10


class PathRow(TypedDict):
    nodeIds: list[str]
    labels: list[str]
    names: list[str | None]
    links: list[str]


@dataclass(frozen=True, slots=True)
class PathStep:
    id: str
    label: str
    name: str | None


@dataclass(frozen=True, slots=True)
class CustomerPath:
    steps: tuple[PathStep, ...]
    links: tuple[str, ...]  # relationship kind (RELATED_TO) or type (MEMBER_OF), in order


@dataclass(frozen=True, slots=True)
class RelationshipPaths:
    distance: int | None  # None: not connected within maxHops
    paths: tuple[CustomerPath, ...]


def _name(props: dict[str, Any]) -> str | None:
    name = props.get("name")
    return None if name is None else str(name)


def to_paths(rows: list[PathRow]) -> RelationshipPaths:
    paths = tuple(
        CustomerPath(
            tuple(
                PathStep(i, lbl, n)
                for i, lbl, n in zip(r["nodeIds"], r["labels"], r["names"], strict=True)
            ),
            tuple(r["links"]),
        )
        for r in rows
    )
    return RelationshipPaths(len(paths[0].links) if paths else None, paths)


@named_query("relationship_path", to_paths, bounded("maxHops", MAX_PATH_HOPS))
def path(store: GraphStore, fromId: str, toId: str, maxHops: int) -> list[PathRow]:
    start, goal = ("Customer", fromId), ("Customer", toId)
    if fromId == toId or store.get_node(*goal) is None:
        return []
    # Grown from one end until the other is reached: every shortest route is in it.
    around = expand(
        store,
        [start],
        CUSTOMER_NETWORK,
        maxHops,
        until=lambda graph: goal in graph,
        node_props=("name",),
    )
    rows: list[PathRow] = [
        {
            "nodeIds": [key for _, key in nodes],
            "labels": [label for label, _ in nodes],
            "names": [_name(around.nodes[n]["props"]) for n in nodes],
            "links": [str(e["props"].get("kind", e["type"])) for e in edges],
        }
        for nodes, edges in shortest_routes(around, start, goal)
    ]
    rows.sort(key=lambda r: (r["nodeIds"], r["links"]))
    return rows[:MAX_PATHS]
