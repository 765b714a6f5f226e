"""ego_network: the customers within ``hops`` steps of one customer, through relationships
and shared households, nearest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from graph.projection import Projection, expand
from graph.store import GraphStore
from queries.base import CUSTOMER_NETWORK, bounded, results
from queries.engine import named_query

MAX_EGO_HOPS = 4  # the Cypher pattern's literal bound
MAX_EGO_SIZE = 500


class NetworkMemberRow(TypedDict):
    customerId: str
    name: Any  # the customer's stored name
    distance: int


@dataclass(frozen=True, slots=True)
class NetworkMember:
    customer_id: str
    name: str | None
    distance: int


def to_network(rows: list[NetworkMemberRow]) -> list[NetworkMember]:
    return results(NetworkMember, rows, distance=int)


def check_ego(params: dict[str, Any]) -> None:
    bounded("hops", MAX_EGO_HOPS)(params)
    bounded("limit", MAX_EGO_SIZE)(params)


@named_query("ego_network", to_network, check_ego)
def ego(store: GraphStore, customerId: str, hops: int, limit: int) -> list[NetworkMemberRow]:
    import networkx as nx  # here, not at start-up: its import costs every ckb command 0.1 s

    centre = ("Customer", customerId)

    def enough(graph: Projection) -> bool:
        # Every customer of the next hop sorts after the `limit` already found: stop.
        return sum(1 for label, _ in graph if label == "Customer") > limit

    around = expand(store, [centre], CUSTOMER_NETWORK, hops, until=enough, node_props=("name",))
    if centre not in around:
        return []
    distances = nx.single_source_shortest_path_length(around, centre, cutoff=hops)
    people = sorted(
        (d, key) for (label, key), d in distances.items() if label == "Customer" and d > 0
    )[:limit]
    return [
        {
            "customerId": key,
            "name": around.nodes[("Customer", key)]["props"].get("name"),
            "distance": d,
        }
        for d, key in people
    ]
