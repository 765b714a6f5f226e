"""network_influence: who holds a customer's network together, and who influences in it.

The network is the customers and households within ``hops`` steps of one customer
through ``RELATED_TO`` links of every kind or a shared household (``MEMBER_OF``: to the
household and back is two steps, as in ego_network), with every relationship among them.
Neo4j Community has no graph algorithms, so this named query is answered in Python on
every store: the network is pulled through the store port as a projection
(graph/projection.py) and scored with networkx (graph/algorithms.py). Its Cypher file
returns the same network as an edge list, for analysts.

Per customer: links (distinct customers and households directly linked in the network),
betweenness centrality (who holds it together), a Louvain community, and referrals
(``RELATED_TO`` kind ``referral``, recorded from the referrer to the referred): how many
customers of the network they referred directly, and how many are downstream of them
through chains of referrals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from graph.algorithms import betweenness, communities, downstream
from graph.errors import ProjectionTooLargeError
from graph.projection import NodeId, Projection, expand
from graph.store import GraphStore
from queries.base import (
    CUSTOMER_NETWORK,
    Grouped,
    QueryParameterError,
    batch_check,
    bounded,
    untagged,
)
from queries.engine import named_query

if TYPE_CHECKING:  # networkx is imported where an algorithm runs: 0.1 s a ckb command
    import networkx as nx

MAX_NETWORK_HOPS = 6  # the Cypher pattern's literal bound
MAX_NETWORK_NODES = 1_000  # exact betweenness costs about a second at this size
MAX_INFLUENCE_ROWS = 500
REFERRAL = "referral"


class MemberScoreRow(TypedDict):
    customerId: str
    name: Any  # the customer's stored name
    distance: int
    links: int
    betweenness: float
    community: int
    referred: int
    referralReach: int


class InfluenceRow(TypedDict):
    customerId: str
    customers: int
    households: int
    relationships: int
    communities: int
    members: list[MemberScoreRow]


class TaggedInfluenceRow(InfluenceRow):
    forCustomer: str


@dataclass(frozen=True, slots=True)
class InfluenceScore:
    customer_id: str
    name: str | None
    distance: int  # steps from the customer at the centre
    links: int  # distinct customers and households directly linked, in the network
    betweenness: float  # normalised, 6 decimals
    community: int  # 1 is the network's largest community
    referred: int  # customers of the network this customer referred directly
    referral_reach: int  # customers of the network downstream through chains of referrals


@dataclass(frozen=True, slots=True)
class NetworkInfluence:
    customer_id: str
    customers: int
    households: int
    relationships: int
    communities: int
    members: tuple[InfluenceScore, ...]  # most central first


def to_influence(rows: list[InfluenceRow]) -> NetworkInfluence | None:
    if not rows:
        return None
    r = rows[0]
    return NetworkInfluence(
        r["customerId"],
        int(r["customers"]),
        int(r["households"]),
        int(r["relationships"]),
        int(r["communities"]),
        tuple(_score(m) for m in r["members"]),
    )


def _score(m: MemberScoreRow) -> InfluenceScore:
    return InfluenceScore(
        m["customerId"],
        m["name"],
        int(m["distance"]),
        int(m["links"]),
        float(m["betweenness"]),
        int(m["community"]),
        int(m["referred"]),
        int(m["referralReach"]),
    )


def check_influence(params: dict[str, Any]) -> None:
    bounded("hops", MAX_NETWORK_HOPS)(params)
    bounded("first", MAX_INFLUENCE_ROWS)(params)


@named_query(
    "customers_network_influence",
    Grouped(to_influence),
    batch_check("customerIds", "customer ID", check_influence),
    in_python=True,
)
def influence_many(
    store: GraphStore, customerIds: list[str], hops: int, first: int
) -> list[TaggedInfluenceRow]:
    """network_influence for many customers (tagged ``forCustomer``) from ONE projection:
    the union of their networks, pulled hop by hop for all of them at once, then each
    customer's network cut from it. Within ``hops`` of a customer, the union holds exactly
    the customer's own network (every node on a path that short is within reach of it)
    and every relationship among those nodes (the union reads every node's
    relationships), so the scores are those of the network pulled alone."""
    import networkx as nx

    centres = [("Customer", key) for key in dict.fromkeys(customerIds)]
    try:
        union = expand(
            store,
            centres,
            CUSTOMER_NETWORK,
            hops,
            max_nodes=MAX_NETWORK_NODES * max(1, len(centres)),
            induced=True,
            node_props=("name",),
        )
    except ProjectionTooLargeError:
        raise _too_large(centres[0][1] if len(centres) == 1 else "a customer", hops) from None
    rows: list[TaggedInfluenceRow] = []
    for centre in centres:
        if centre not in union:
            continue
        reach = nx.single_source_shortest_path_length(union, centre, cutoff=hops)
        if len(reach) > MAX_NETWORK_NODES or _hub_in(union, reach):
            raise _too_large(centre[1], hops)
        network = union.subgraph(reach) if len(centres) > 1 else union
        rows.append({"forCustomer": centre[1], **score_network(network, centre, first)})
    return rows


def _hub_in(union: Projection, reach: dict[NodeId, int]) -> bool:
    """Whether the network holds a node with more relationships of one type than a
    projection takes: pulled alone, reading that node's relationships refuses it."""
    return any(
        n > MAX_NETWORK_NODES for node in reach for n in union.nodes[node].get("read", {}).values()
    )


def _too_large(customer: str, hops: int) -> QueryParameterError:
    return QueryParameterError(
        f"the network of {customer} within {hops} hops has more than "
        f"{MAX_NETWORK_NODES:,} customers and households; ask with fewer hops"
    )


def score_network(network: Projection, centre: NodeId, first: int) -> InfluenceRow:
    """The network_influence row for a projection around ``centre`` (no I/O)."""
    import networkx as nx

    customers = sorted(key for label, key in network if label == "Customer")
    distance = nx.single_source_shortest_path_length(network, centre)
    central = betweenness(network)
    community = communities(network)
    referrals: nx.DiGraph[NodeId] = nx.DiGraph()
    referrals.add_nodes_from(("Customer", c) for c in customers)
    for _, _, edge in network.edges(data=True):
        referral = edge["type"] == "RELATED_TO" and edge["props"].get("kind") == REFERRAL
        if referral and edge["src"] != edge["dst"]:
            referrals.add_edge(edge["src"], edge["dst"])
    reach = downstream(referrals)
    members: list[MemberScoreRow] = []
    for key in customers:
        node = ("Customer", key)
        members.append(
            {
                "customerId": key,
                "name": network.nodes[node]["props"].get("name"),
                "distance": distance[node],
                "links": len(set(network[node]) - {node}),
                "betweenness": central[node],
                "community": community[node],
                "referred": referrals.out_degree(node),
                "referralReach": reach[node],
            }
        )
    members.sort(
        key=lambda m: (-m["betweenness"], -m["referralReach"], -m["links"], m["customerId"])
    )
    return {
        "customerId": centre[1],
        "customers": len(customers),
        "households": sum(1 for label, _ in network if label == "Household"),
        "relationships": network.number_of_edges(),
        "communities": len(set(community.values())),
        "members": members[:first],
    }


@named_query("network_influence", to_influence, check_influence, in_python=True)
def influence(store: GraphStore, customerId: str, hops: int, first: int) -> list[InfluenceRow]:
    """One customer's row: the batch with one customer, so both answer alike."""
    return untagged(influence_many(store, [customerId], hops, first))
