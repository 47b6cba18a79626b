"""Network measures: networkx is the model, igraph (compiled C) computes what is expensive.

Why igraph: on the 10k-people synthetic network (10,000 nodes, 101,213 edges), measured on this
project's 2-core machine (see docs/network.md and bench/README.md): exact closeness took 4.8 s with
igraph 1.0, 12.5 s with networkit 11 (2 threads) and 17.8 s with rustworkx 0.18; exact betweenness
13.8 s, 32.5 s and 19.0 s. igraph also has subset betweenness (for sampling with the same sources
networkx would pick), PageRank by PRPACK, k-cores and Louvain in C, and wheels for every platform.

Every value equals networkx's definition (tests/test_network_measures.py checks each against networkx
to 1e-9 on small graphs, connected and not):

- betweenness: normalised as networkx (``2 / ((n-1)(n-2))`` for undirected graphs), unweighted. Above
  ``EXACT_LIMIT`` nodes it is estimated from ``k`` sources drawn as networkx draws them
  (``random.Random(seed).sample(list(graph), k)``) and scaled as networkx 3.5+ scales ``k=``
  (by the ``k(n-2)`` pairs a node can lie between, ``(k-1)(n-2)`` for a sampled source).
- closeness: networkx's, with the Wasserman–Faust correction on disconnected graphs
  (``(r-1)/sum_of_distances * (r-1)/(n-1)``, r the size of the node's component); igraph leaves out
  the second factor, so it is applied here; isolated nodes get 0 (igraph gives NaN). Above
  ``EXACT_LIMIT`` nodes, the sum of distances in each component larger than ``k`` is estimated from
  ``k`` pivots of the component (Eppstein and Wang's estimator: ``|C|/k * sum over pivots of the
  distance``); smaller components are exact.
- pagerank: alpha 0.85, weighted, dangling nodes spread uniformly (networkx's default); igraph's PRPACK
  solves exactly, networkx iterates to ``tol`` (so compare with a small ``tol``).
- eigenvector: per connected component (undefined across them), unit norm within the component,
  times the component's share of nodes; isolated nodes 0.
- core_number: igraph's coreness, the same k-core numbers.
- community: Louvain. igraph's multilevel algorithm (C), seeded; not the same partition as
  networkx's ``louvain_communities`` (both are heuristics), numbered by decreasing size.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import networkx as nx
import numpy

from .model import LOUVAIN_SEED, MEASURES, check_measures, paused_gc

EXACT_LIMIT = 5000  # above this many nodes, betweenness and closeness are estimated by sampling
BETWEENNESS_K = 500  # sources sampled for betweenness above EXACT_LIMIT (error in docs/network.md)
CLOSENESS_K = 200  # pivots sampled per large component for closeness above EXACT_LIMIT
PAGERANK_ALPHA = 0.85

ALGORITHMS = {
    "degree": "networkx.Graph.degree",
    "weighted_degree": "networkx.Graph.degree(weight='weight')",
    "betweenness": "igraph.Graph.betweenness (Brandes), normalised as networkx; sampled sources above "
                   f"{EXACT_LIMIT} nodes",
    "closeness": "igraph.Graph.closeness with the Wasserman-Faust correction (as networkx); pivot-sampled above "
                 f"{EXACT_LIMIT} nodes",
    "eigenvector": "igraph.Graph.eigenvector_centrality per connected component, unit norm, times the share",
    "pagerank": f"igraph.Graph.pagerank (PRPACK, damping={PAGERANK_ALPHA}, weight='weight')",
    "core_number": "igraph.Graph.coreness",
    "community": f"igraph.Graph.community_multilevel (Louvain, weight='weight', seed={LOUVAIN_SEED})",
}


@dataclass
class Indexed:
    """A networkx graph as an igraph graph: nodes numbered in networkx's order."""

    nodes: list
    graph: object  # igraph.Graph, with edge attribute "weight"

    @classmethod
    def of(cls, graph: nx.Graph) -> Indexed:
        import igraph

        nodes = list(graph)
        index = {node: i for i, node in enumerate(nodes)}
        edges = [(index[a], index[b]) for a, b in graph.edges()]
        converted = igraph.Graph(n=len(nodes), edges=edges, directed=False)
        converted.es["weight"] = [float(d.get("weight", 1.0)) for _, _, d in graph.edges(data=True)]
        return cls(nodes, converted)

    def values(self, values: Iterable[float]) -> dict:
        return dict(zip(self.nodes, values, strict=True))


@dataclass
class Sampling:
    """What sampling was used, to record next to the values."""

    betweenness_k: int | None = None
    closeness_k: int | None = None


def _sample(population: list, k: int, seed: int) -> list:
    """The sample networkx's ``betweenness_centrality(k=, seed=)`` draws."""
    return random.Random(seed).sample(population, k)


def betweenness(ig: Indexed, k: int | None = None, seed: int = LOUVAIN_SEED) -> dict:
    n = len(ig.nodes)
    if n <= 2:
        return ig.values([0.0] * n)
    if k is None or k >= n:
        raw = ig.graph.betweenness(directed=False)
        scale = 2 / ((n - 1) * (n - 2))
        return ig.values(v * scale for v in raw)
    sources = _sample(list(range(n)), k, seed)
    # networkx's k= sums each sampled source's dependencies (ordered pairs from the source); igraph's
    # subset betweenness halves undirected counts, so it is doubled back. networkx (3.5 and later)
    # then divides by the pairs a node could lie between: k(n-2), or (k-1)(n-2) for a sampled source.
    raw = ig.graph.betweenness(directed=False, sources=sources, targets=None)
    chosen = set(sources)
    source_scale = 2 / ((k - 1) * (n - 2)) if k > 1 else math.nan
    other_scale = 2 / (k * (n - 2))
    return ig.values(v * (source_scale if i in chosen else other_scale) for i, v in enumerate(raw))


def closeness(ig: Indexed, k: int | None = None, seed: int = LOUVAIN_SEED) -> dict:
    n = len(ig.nodes)
    if n <= 1:
        return ig.values([0.0] * n)
    values = [0.0] * n
    rng = random.Random(seed)
    components = [c for c in ig.graph.connected_components() if len(c) > 1]
    # One igraph call for every component computed exactly: each call allocates for the whole graph, so
    # a call per component (2,935 of them at 100k people) would cost more than the searches.
    exact = [c for c in components if k is None or len(c) <= k]
    vertices = [v for c in exact for v in c]
    if vertices:
        raw = ig.graph.closeness(vertices=vertices, normalized=True)
        corrections = [(len(c) - 1) / (n - 1) for c in exact for _ in c]
        for vertex, value, correction in zip(vertices, raw, corrections, strict=True):
            values[vertex] = value * correction
    for component in components:
        size = len(component)
        if k is None or size <= k:
            continue
        correction = (size - 1) / (n - 1)
        pivots = rng.sample(list(component), k)
        totals = _distance_sums(ig, component, pivots)
        estimates = totals * size / k
        for vertex, estimate in zip(component, estimates, strict=True):
            values[vertex] = (size - 1) / estimate * correction if estimate > 0 else 0.0
    return ig.values(values)


def _distance_sums(ig: Indexed, component: list[int], pivots: list[int]) -> numpy.ndarray:
    """For each vertex of ``component``, the sum of its hop distances to ``pivots``: breadth-first searches
    in C by scipy's csgraph on the component's adjacency matrix, 64 pivots at a time (igraph's distances()
    would hand back a Python list per pivot, which at 100k nodes costs more than the searches)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    size = len(component)
    position = numpy.full(ig.graph.vcount(), -1, dtype=numpy.int64)
    position[numpy.asarray(component, dtype=numpy.int64)] = numpy.arange(size)
    edges = numpy.asarray(ig.graph.get_edgelist(), dtype=numpy.int64).reshape(-1, 2)
    inside = position[edges[:, 0]] >= 0  # an edge with one end in a component has both there
    rows, columns = position[edges[inside, 0]], position[edges[inside, 1]]
    adjacency = csr_matrix((numpy.ones(len(rows)), (rows, columns)), shape=(size, size))
    totals = numpy.zeros(size)
    local = [int(position[p]) for p in pivots]
    for start in range(0, len(local), 64):
        totals += shortest_path(adjacency, method="D", directed=False, unweighted=True,
                                indices=local[start:start + 64]).sum(axis=0)
    return totals


def pagerank(ig: Indexed, alpha: float = PAGERANK_ALPHA) -> dict:
    if not ig.nodes:
        return {}
    return ig.values(ig.graph.pagerank(directed=False, damping=alpha, weights="weight"))


def eigenvector_by_component(ig: Indexed) -> dict:
    """Eigenvector centrality is undefined across components: compute it per component (unit norm
    within the component), scale by the component's share of nodes, and give isolated nodes 0."""
    n = len(ig.nodes)
    values = [0.0] * n
    for component in ig.graph.connected_components():
        if len(component) < 2:
            continue
        share = len(component) / n
        if len(component) == 2:
            scores = [2 ** -0.5, 2 ** -0.5]
        else:
            sub = ig.graph.subgraph(component)
            with warnings.catch_warnings():
                # igraph warns when some values are near zero and blames disconnection; each component here
                # is connected, and near-zero values (a star's far leaves) are the right answer.
                warnings.filterwarnings("ignore", message="Some eigenvector centralities are nearly zero")
                raw = [abs(v) for v in sub.eigenvector_centrality(weights="weight")]
            norm = math.sqrt(sum(v * v for v in raw)) or 1.0
            scores = [v / norm for v in raw]
        for vertex, score in zip(component, scores, strict=True):
            values[vertex] = score * share
    return ig.values(values)


def core_number(ig: Indexed) -> dict:
    return ig.values(ig.graph.coreness())


def communities(ig: Indexed, seed: int = LOUVAIN_SEED) -> dict:
    import igraph

    if not ig.graph.ecount():
        groups = [[v] for v in range(len(ig.nodes))]
    else:
        # igraph draws from Python's random module unless told otherwise: a seeded generator, then back.
        igraph.set_random_number_generator(random.Random(seed))
        try:
            groups = [list(c) for c in ig.graph.community_multilevel(weights="weight")]
        finally:
            igraph.set_random_number_generator(random)
    ordered = sorted(groups, key=lambda c: (-len(c), min(str(ig.nodes[v]) for v in c)))
    return {ig.nodes[v]: index for index, group in enumerate(ordered) for v in group}


def sampling_for(graph: nx.Graph, betweenness_k: int | None = None, closeness_k: int | None = None,
                 exact: bool = False) -> Sampling:
    """Exact up to EXACT_LIMIT nodes (or when ``exact``), else the given or default sample sizes."""
    n = graph.number_of_nodes()
    if exact:
        return Sampling()
    large = n > EXACT_LIMIT
    return Sampling(betweenness_k=betweenness_k if betweenness_k is not None else (BETWEENNESS_K if large else None),
                    closeness_k=closeness_k if closeness_k is not None else (CLOSENESS_K if large else None))


def compute_measures(graph: nx.Graph, measures: Iterable[str] = MEASURES, betweenness_k: int | None = None,
                     seed: int = LOUVAIN_SEED, closeness_k: int | None = None, exact: bool = False
                     ) -> dict[str, dict]:
    """``{measure: {node: value}}`` for ``measures``. Sampling: see ``sampling_for``."""
    measures = check_measures(measures)
    if graph.number_of_nodes() == 0:
        return {m: {} for m in measures}
    sampling = sampling_for(graph, betweenness_k, closeness_k, exact)
    compiled = {"betweenness", "closeness", "eigenvector", "pagerank", "core_number", "community"}
    with paused_gc():
        ig = Indexed.of(graph) if compiled & set(measures) else None
    functions: dict[str, Callable[[], dict]] = {
        "degree": lambda: dict(graph.degree()),
        "weighted_degree": lambda: dict(graph.degree(weight="weight")),
        "betweenness": lambda: betweenness(ig, sampling.betweenness_k, seed),
        "closeness": lambda: closeness(ig, sampling.closeness_k, seed),
        "eigenvector": lambda: eigenvector_by_component(ig),
        "pagerank": lambda: pagerank(ig),
        "core_number": lambda: core_number(ig),
        "community": lambda: communities(ig, seed),
    }
    with paused_gc():
        return {m: functions[m]() for m in measures}


def software_versions() -> str:
    from importlib.metadata import version

    return f"networkx {version('networkx')}; igraph {version('igraph')}"
