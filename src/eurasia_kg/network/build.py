"""Building the network from SPARQL: one aggregate query per edge kind (queries/network/), never row by row.

Every query goes through a ``select(sparql) -> rows of pyoxigraph terms`` callable, so the same code
runs on an embedded pyoxigraph store (``store_select``), on any engine of the server
(``engine_select``: pyoxigraph, rdflib, or a remote SPARQL endpoint) or on a URL (``endpoint_select``).
The dataset is explicit: each query gets FROM and FROM NAMED clauses for the graphs chosen by the
options (the curated graphs, without the interpretations unless asked, and the chosen merged
sources with their materialised alignment), so stores that do and do not use a union default
graph give the same network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from ..config import GRAPH_BASE, INFERRED_FROM_INTERPRETATIONS_GRAPH, INTERPRETATIONS_DIR, MERGED_BASE, METRICS_GRAPH
from .model import (
    ARTICLE_KINDS,
    EVENT_DATA_KIND,
    INSTITUTION_KIND,
    Network,
    NetworkError,
    Options,
    Window,
    paused_gc,
)

ALIGNED_BASE = MERGED_BASE + "_aligned/"
Row = Sequence[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]
Select = Callable[[str], Iterable[Row]]
WHERE_LINE = "WHERE {"  # every network query has this line at the top level: the dataset goes before it


# --- Select callables -------------------------------------------------------------------------

def store_select(store) -> Select:
    """``select`` over a pyoxigraph ``Store``, or anything with its ``query`` (the dataset's readers, local or
    remote: ``dataset.Reader``). A query without FROM sees the union of all graphs."""

    def select(query: str) -> list[tuple]:
        from ..sparql import has_dataset_clause

        kwargs = {} if has_dataset_clause(query) else {"use_default_graph_as_union": True}
        return [tuple(solution) for solution in store.query(query, **kwargs)]

    return select


def engine_select(engine) -> Select:
    """``select`` over a query engine of the server (``engine.run(query, max_rows)`` returning an Outcome)."""
    from ..sparql import to_ox

    native = (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)

    def select(query: str) -> list[tuple]:
        outcome = engine.run(query, 10**12)
        return [tuple(t if t is None or isinstance(t, native) else to_ox(t) for t in row) for row in outcome.rows]

    return select


def endpoint_select(url: str, auth: str | None = None, timeout: float = 600) -> Select:
    """``select`` over a remote SPARQL 1.1 endpoint (POSTed queries, JSON results parsed by pyoxigraph)."""
    from ..remote import RemoteEngine

    return engine_select(RemoteEngine(url, auth, timeout=timeout))


def load_queries(directory: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(Path(directory).glob("*.rq"))}


def with_dataset(query: str, graphs: Sequence[str]) -> str:
    """The query with FROM and FROM NAMED clauses for ``graphs``, put before its top-level ``WHERE {`` line."""
    lines = query.splitlines()
    at = [i for i, line in enumerate(lines) if line.strip() == WHERE_LINE]
    if len(at) != 1:
        raise NetworkError(f"a network query needs exactly one line '{WHERE_LINE}' (found {len(at)})")
    clauses = [f"FROM <{g}>" for g in graphs] + [f"FROM NAMED <{g}>" for g in graphs]
    if not graphs:  # an empty dataset: a graph no store has, rather than the store's default
        clauses = [f"FROM <{GRAPH_BASE}none>"]
    return "\n".join(lines[:at[0]] + clauses + lines[at[0]:])


# --- The dataset --------------------------------------------------------------------------------

def graph_names(select: Select) -> list[str]:
    """The named graphs. ``GRAPH ?g {}`` lists them without reading a triple (Oxigraph); stores that answer
    it with nothing (Virtuoso) are asked for the graphs that hold triples."""
    names = {row[0].value for row in select("SELECT ?g WHERE { GRAPH ?g { } }") if isinstance(row[0], ox.NamedNode)}
    if not names:
        names = {row[0].value for row in select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
                 if isinstance(row[0], ox.NamedNode)}
    return sorted(names)


def merged_sources(names: Iterable[str]) -> list[str]:
    """Names of the merged sources among the graph names (not the metadata, alignment or aligned graphs)."""
    return sorted(g[len(MERGED_BASE):] for g in names if g.startswith(MERGED_BASE) and
                  not g[len(MERGED_BASE):].startswith("_"))


def _interpretation(graph: str) -> bool:
    return graph == INFERRED_FROM_INTERPRETATIONS_GRAPH or graph.rstrip("/").rsplit("/", 1)[-1] == INTERPRETATIONS_DIR


def dataset(names: Sequence[str], options: Options, stated_only: bool = True) -> list[str]:
    """The graphs a network reads: curated graphs (not the metrics; not the interpretations when
    ``stated_only`` and the options leave them out), and each chosen merged source with its aligned copy."""
    available = merged_sources(names)
    chosen = available if options.sources is None else list(options.sources)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise NetworkError(f"unknown source {', '.join(unknown)}; accepted: "
                           f"{', '.join(available) or 'none (no source is merged)'}, all, none")
    skip_interpretations = stated_only and not options.include_interpretations
    curated = [g for g in names if g.startswith(GRAPH_BASE) and g != METRICS_GRAPH and
               not (skip_interpretations and _interpretation(g))]
    merged = [g for s in chosen for g in (MERGED_BASE + s, ALIGNED_BASE + s) if g in names]
    return curated + merged


# --- Building -------------------------------------------------------------------------------------

def _text(term) -> str | None:
    return None if term is None else term.value


def build_network(select: Select, queries: dict[str, str], options: Options) -> Network:
    """The network for ``options``: every kind's edges from its one aggregate query, then the window."""
    with paused_gc():
        return _build(select, queries, options)


def _build(select: Select, queries: dict[str, str], options: Options) -> Network:
    names = graph_names(select)
    graphs = dataset(names, options)

    def run(name: str, over: Sequence[str] = graphs) -> Iterable[Row]:
        if name not in queries:
            raise NetworkError(f"no query {name}.rq among the network queries")
        return select(with_dataset(queries[name], over))

    events = _events(run, dataset(names, options, stated_only=False), graphs)
    nodes = _nodes(run)
    kinds = list(options.kinds) + ([INSTITUTION_KIND] if options.include_institutions else [])
    if EVENT_DATA_KIND in kinds and any(g.startswith(MERGED_BASE) for g in graphs):
        events.update(_merged_events(run))
        nodes.update({n: d for n, d in _actors(run).items() if n not in nodes})
    graph = nx.Graph()
    participation: dict[str, set[str]] = {}
    for row in run("participation"):
        node = row[0].value
        if _wanted(nodes.get(node), options):
            graph.add_node(node, **nodes[node])
            participation[node] = set(row[1].value.split())
    # Edges are gathered in plain dicts (pair -> event -> kinds), then handed to networkx at once.
    pairs: dict[tuple[str, str], dict[str, set[str]]] = {}
    for kind in kinds:
        if kind == EVENT_DATA_KIND and not any(g.startswith(MERGED_BASE) for g in graphs):
            continue
        for row in run(kind):
            source, target = row[0].value, row[1].value
            if not (_wanted(nodes.get(source), options, kind) and _wanted(nodes.get(target), options, kind)):
                continue
            key = (source, target) if source < target else (target, source)
            event_kinds = pairs.get(key)
            if event_kinds is None:
                event_kinds = pairs[key] = {}
            joined = row[2].value.split()
            for event in joined:
                found = event_kinds.get(event)
                if found is None:
                    event_kinds[event] = {kind}
                else:
                    found.add(kind)
            if kind in (EVENT_DATA_KIND, INSTITUTION_KIND):
                participation.setdefault(source, set()).update(joined)
                participation.setdefault(target, set()).update(joined)
    graph.add_nodes_from((n, nodes[n]) for pair in pairs for n in pair if n not in graph)
    unit = options.weight == "unit"
    graph.add_edges_from((a, b, _edge_data(event_kinds, events, unit)) for (a, b), event_kinds in pairs.items())
    full = Network(graph, options, events, participation, graphs)
    if options.window is None:
        return full
    if not any(options.window.contains(e["start"], e["end"]) for e in events.values()):
        raise NetworkError(f"no event falls within {options.window.label} "
                           f"({options.window.start} to {options.window.end})")
    return restrict(full, options.window)


def _events(run, every_graph: list[str], stated: list[str]) -> dict[str, dict]:
    """Events with dates (from any graph, marked when only an interpretation dates them), quotes and graphs."""
    rows = [tuple(_text(t) for t in r) for r in run("events", every_graph)]
    # Dates stated outside the interpretations; when the dataset has none, every date is stated.
    stated_rows = rows if set(every_graph) == set(stated) else \
        [tuple(_text(t) for t in r) for r in run("events", stated)]
    stated_dates = {r[0] for r in stated_rows if r[2] is not None and r[3] is not None}
    events: dict[str, dict] = {}
    for event, label, start, end, wording, quote, graph in rows:
        info = events.setdefault(event, {"label": label, "start": start, "end": end, "wording": wording,
                                         "quotes": [], "graphs": [], "code": None, "date_interpreted": False})
        if quote and quote not in info["quotes"]:
            info["quotes"].append(quote)
        if graph and graph not in info["graphs"] and not _interpretation(graph):
            info["graphs"].append(graph)
        if start and end and event not in stated_dates:
            info["date_interpreted"] = True
    for info in events.values():
        info["quotes"].sort()
        info["graphs"].sort()
    return events


def _merged_events(run) -> dict[str, dict]:
    events: dict[str, dict] = {}
    for event, label, date, code, graph in (tuple(_text(t) for t in r) for r in run("consulted-events")):
        info = events.setdefault(event, {"label": label or f"CAMEO {code} event", "start": date, "end": date,
                                         "wording": None, "quotes": [], "graphs": [], "code": code,
                                         "date_interpreted": False})
        if graph not in info["graphs"]:
            info["graphs"].append(graph)
    return events


def _nodes(run) -> dict[str, dict]:
    nodes: dict[str, dict] = {}
    for node, label, kind, country, unnamed in (tuple(r) for r in run("nodes")):
        nodes.setdefault(node.value, {"label": label.value, "kind": kind.value,
                                      "country": _text(country) or "",
                                      "unnamed": unnamed is not None and unnamed.value in ("true", "1")})
    return nodes


def _actors(run) -> dict[str, dict]:
    """Actors of merged event data: nodes of their own, with the source's IRI and label."""
    return {r[0].value: {"label": _text(r[1]) or r[0].value, "kind": "actor", "country": _text(r[2]) or "",
                         "unnamed": False} for r in run("actors") if isinstance(r[0], ox.NamedNode)}


def _wanted(node: dict | None, options: Options, kind: str = "") -> bool:
    if node is None:
        return False
    if node["kind"] == "institution":
        return kind in (INSTITUTION_KIND, EVENT_DATA_KIND)
    return options.include_unnamed or not node["unnamed"]


def _edge_data(event_kinds: dict[str, set[str]], events: dict[str, dict], unit: bool) -> dict:
    """An edge's attributes from the events behind it: events, kinds, sources, codes, weight."""
    if len(event_kinds) == 1:  # most edges rest on one event: no sorting, no set arithmetic
        (event, kinds), = event_kinds.items()
        info = events.get(event, {})
        return {"event_kinds": event_kinds, "events": [event],
                "kinds": sorted(kinds) if len(kinds) > 1 else list(kinds),
                "sources": list(info.get("graphs", ())), "codes": [info["code"]] if info.get("code") else [],
                "weight": 1.0}
    ordered = sorted(event_kinds)
    infos = [events.get(e, {}) for e in ordered]
    return {"event_kinds": event_kinds, "events": ordered, "kinds": sorted(set().union(*event_kinds.values())),
            "sources": sorted({g for i in infos for g in i.get("graphs", ())}),
            "codes": sorted({i["code"] for i in infos if i.get("code")}),
            "weight": 1.0 if unit else float(len(event_kinds))}


def _finish(network: Network) -> None:
    """(Re)derive every edge's attributes from its ``event_kinds``."""
    unit = network.options.weight == "unit"
    for _, _, data in network.graph.edges(data=True):
        data.update(_edge_data(data["event_kinds"], network.events, unit))


def restrict(network: Network, window: Window) -> Network:
    """The network of the events within ``window``: people who took part in one, and the edges of those
    events (weights recounted). Computed from the full network, without querying again."""
    kept = {e for e, info in network.events.items() if window.contains(info["start"], info["end"])}
    graph = nx.Graph()
    for node, joined in network.participation.items():
        if node in network.graph and joined & kept:
            graph.add_node(node, **network.graph.nodes[node])
    for a, b, data in network.graph.edges(data=True):
        event_kinds = {e: k for e, k in data["event_kinds"].items() if e in kept}
        if event_kinds:
            for node in (a, b):
                if node not in graph:
                    graph.add_node(node, **network.graph.nodes[node])
            graph.add_edge(a, b, event_kinds=event_kinds)
    options = Options(**{**network.options.__dict__, "window": window})
    restricted = Network(graph, options, {e: network.events[e] for e in kept},
                         {n: p & kept for n, p in network.participation.items() if n in graph}, network.dataset)
    _finish(restricted)
    return restricted


__all__ = ["Select", "store_select", "engine_select", "endpoint_select", "load_queries", "build_network",
           "restrict", "dataset", "graph_names", "merged_sources", "with_dataset", "ARTICLE_KINDS"]
