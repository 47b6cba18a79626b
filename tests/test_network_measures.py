"""igraph behind networkx: each measure equals networkx's own to 1e-9, on connected and disconnected graphs.

Definition differences, and how they are bridged (network/measures.py):
- closeness: igraph's ``closeness(normalized=True)`` counts only the reachable nodes; networkx
  applies the Wasserman–Faust correction ``(r-1)/(n-1)`` on disconnected graphs (r: the component's
  size), which is applied to igraph's value; isolated nodes are 0 in networkx, NaN in igraph.
- betweenness: igraph counts each unordered pair once and does not normalise; networkx normalises
  by ``2/((n-1)(n-2))`` for undirected graphs. Sampled: networkx's ``k=`` with ``seed=`` draws
  ``random.Random(seed).sample(list(G), k)`` sources and (from networkx 3.5) divides by the
  ``k(n-2)`` pairs, ``(k-1)(n-2)`` for a sampled source; igraph's subset betweenness from the
  same sources counts each path once (not per end), so it is doubled, then scaled the same way.
- pagerank: igraph's PRPACK solves the linear system; networkx iterates until the change is under
  ``n * tol`` (1e-6 by default), so it is compared with ``tol=1e-13``.
"""

from __future__ import annotations

import networkx as nx
import pytest

from eurasia_kg.network import measures as M

TOLERANCE = 1e-9


def _weighted(graph: nx.Graph, seed: int = 1) -> nx.Graph:
    import random

    rng = random.Random(seed)
    for _, _, data in graph.edges(data=True):
        data["weight"] = float(rng.randint(1, 4))
    return graph


def _disconnected() -> nx.Graph:
    graph = nx.disjoint_union_all([nx.karate_club_graph(), nx.path_graph(4), nx.complete_graph(3),
                                   nx.star_graph(5)])
    graph.add_nodes_from(["lonely", "alone"])  # isolated nodes
    return _weighted(graph)


GRAPHS = {
    "karate (connected)": lambda: _weighted(nx.karate_club_graph()),
    "disconnected, with isolated nodes": _disconnected,
    "random sparse (many components)": lambda: _weighted(nx.gnm_random_graph(120, 110, seed=3)),
    "les misérables": lambda: _weighted(nx.les_miserables_graph()),
    "two nodes": lambda: _weighted(nx.path_graph(2)),
}


def _close(ours: dict, reference: dict) -> float:
    assert set(ours) == set(reference)
    return max((abs(ours[n] - reference[n]) for n in reference), default=0.0)


@pytest.mark.parametrize("name", GRAPHS)
def test_closeness_equals_networkx_with_wasserman_faust(name):
    graph = GRAPHS[name]()
    ours = M.compute_measures(graph, ["closeness"], exact=True)["closeness"]
    assert _close(ours, nx.closeness_centrality(graph, wf_improved=True)) < TOLERANCE


@pytest.mark.parametrize("name", GRAPHS)
def test_exact_betweenness_equals_networkx(name):
    graph = GRAPHS[name]()
    ours = M.compute_measures(graph, ["betweenness"], exact=True)["betweenness"]
    assert _close(ours, nx.betweenness_centrality(graph, normalized=True)) < TOLERANCE


@pytest.mark.parametrize("name", ["karate (connected)", "disconnected, with isolated nodes", "les misérables"])
@pytest.mark.parametrize("k", [5, 17])
def test_sampled_betweenness_equals_networkx_with_the_same_k_and_seed(name, k):
    graph = GRAPHS[name]()
    ours = M.compute_measures(graph, ["betweenness"], betweenness_k=k, seed=42)["betweenness"]
    assert _close(ours, nx.betweenness_centrality(graph, k=k, seed=42)) < TOLERANCE


@pytest.mark.parametrize("name", GRAPHS)
def test_pagerank_equals_networkx(name):
    graph = GRAPHS[name]()
    ours = M.compute_measures(graph, ["pagerank"])["pagerank"]
    assert _close(ours, nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-13, max_iter=100000)) < TOLERANCE


@pytest.mark.parametrize("name", GRAPHS)
def test_core_number_equals_networkx(name):
    graph = GRAPHS[name]()
    assert M.compute_measures(graph, ["core_number"])["core_number"] == nx.core_number(graph)


@pytest.mark.parametrize("name", GRAPHS)
def test_eigenvector_per_component_equals_networkx_per_component(name):
    graph = GRAPHS[name]()
    reference = dict.fromkeys(graph, 0.0)
    for component in nx.connected_components(graph):
        if len(component) < 2:
            continue
        sub = graph.subgraph(component)
        scores = nx.eigenvector_centrality_numpy(sub, weight="weight") if len(component) > 2 else \
            dict.fromkeys(component, 2 ** -0.5)
        for node, value in scores.items():
            reference[node] = abs(value) * len(component) / graph.number_of_nodes()
    ours = M.compute_measures(graph, ["eigenvector"])["eigenvector"]
    assert _close(ours, reference) < 1e-7  # ARPACK and numpy's eigensolver agree to about 1e-9..1e-8


def test_sampled_closeness_is_exact_on_components_no_larger_than_k():
    graph = _disconnected()
    sampled = M.compute_measures(graph, ["closeness"], closeness_k=40)["closeness"]  # every component <= 40
    assert _close(sampled, nx.closeness_centrality(graph)) < TOLERANCE


def test_sampled_closeness_estimates_within_a_few_percent():
    graph = nx.connected_watts_strogatz_graph(2000, 6, 0.1, seed=5)
    exact = nx.closeness_centrality(graph)
    sampled = M.compute_measures(graph, ["closeness"], closeness_k=200)["closeness"]
    errors = [abs(sampled[n] - exact[n]) / exact[n] for n in graph]
    assert max(errors) < 0.10 and sum(errors) / len(errors) < 0.03


def test_sampling_starts_above_the_exact_limit():
    small = nx.path_graph(M.EXACT_LIMIT)
    large = nx.path_graph(M.EXACT_LIMIT + 1)
    assert M.sampling_for(small) == M.Sampling(None, None)
    assert M.sampling_for(large) == M.Sampling(M.BETWEENNESS_K, M.CLOSENESS_K)
    assert M.sampling_for(large, exact=True) == M.Sampling(None, None)


def test_louvain_is_seeded_and_leaves_python_random_alone():
    import random

    graph = _weighted(nx.les_miserables_graph())
    random.seed(123)
    before = random.random()
    random.seed(123)
    first = M.compute_measures(graph, ["community"])["community"]
    assert random.random() == before  # igraph drew from its own seeded generator
    assert first == M.compute_measures(graph, ["community"])["community"]
    assert len(set(first.values())) > 1
