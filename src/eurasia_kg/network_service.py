"""The network as the web view asks for it: run inside a query worker, next to the store.

The views call these functions through ``KnowledgeService.run_plugin`` (for example
``pool.call("run_plugin", "eurasia_kg.network_service:network_json", params)``); each takes the
service and a dict of plain request parameters, and returns plain, picklable values. Bad input is
raised as ``ServiceError("rejected", …)`` carrying the ``NetworkError`` message, which lists the
accepted values; the views turn it into an HTTP 400.

The network itself is ``network.build_network`` over the same SPARQL queries as the CLI, so the API,
the page, the exports and ``eurasia-kg network`` always agree.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from . import network as N
from .service import ServiceError

# Parameters of /network/graph.json and /network/export.* (neighbourhood.json adds node and radius).
FILTER_PARAMS = ("edges", "from", "to", "iranian-year", "unnamed", "institutions", "interpretations", "weight",
                 "sources")
GRAPH_PARAMS = (*FILTER_PARAMS, "measure")
NEIGHBOURHOOD_PARAMS = (*GRAPH_PARAMS, "node", "radius")
TIMELINE_PARAMS = (*GRAPH_PARAMS, "period")
PERSON_TIMELINE_PARAMS = (*TIMELINE_PARAMS, "node", "format")
EDGE_PARAMS = (*FILTER_PARAMS, "source", "target")
DEFAULT_PERIOD = "year"
# Above this many nodes the page draws with sigma.js (WebGL) instead of cytoscape.js: the answer carries a
# layout (igraph's Fruchterman-Reingold, seeded) and lean edges (events are fetched per link on demand).
LARGE_GRAPH = 1000
PLOT_MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
DEFAULT_MEASURE = "degree"
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
MAX_RADIUS = 3
EXPORT_MEDIA_TYPES = {
    "gexf": ("application/gexf+xml", "gexf"),
    "graphml": ("application/graphml+xml", "graphml"),
    "cytoscape": ("application/json", "cyjs"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}


# --- Entry points (called in a worker through KnowledgeService.run_plugin) ----------------

def network_json(service: Any, params: dict) -> dict:
    """Nodes (with the chosen measure's value) and edges (with their events, dates and quotes)."""
    return _rejecting(_network_json, service, params)


def network_export(service: Any, params: dict) -> dict:
    """The network in one of the export formats: {"body": bytes, "media_type", "filename"}."""
    return _rejecting(_network_export, service, params)


def neighbourhood_json(service: Any, params: dict) -> dict:
    """A person's neighbourhood: the people within ``radius`` links (default 1), and the links among them."""
    return _rejecting(_neighbourhood_json, service, params)


def edge_json(service: Any, params: dict) -> dict:
    """One link (``source``, ``target``) with its events, their dates, quotes, graphs and CAMEO codes."""
    return _rejecting(_edge_json, service, params)


def network_timeline(service: Any, params: dict) -> dict:
    """The network window by window (``period``: month, quarter, year, iranian-year): in each window, the
    nodes with their value of ``measure`` and the edges with the events of that window."""
    return _rejecting(_network_timeline, service, params)


def person_timeline(service: Any, params: dict) -> dict:
    """A figure of one node's ``measure`` in each window of ``period``: {"body", "media_type"} (PNG or SVG)."""
    return _rejecting(_person_timeline, service, params)


def _rejecting(function, service: Any, params: dict):
    try:
        return function(service, params)
    except N.NetworkError as exc:
        raise ServiceError("rejected", str(exc)) from None


# --- Parameters -----------------------------------------------------------------------------

def check_params(params: dict, accepted: tuple[str, ...]) -> None:
    unknown = sorted(k for k in params if k not in accepted and k != "queries_dir")
    if unknown:
        raise N.NetworkError(f"unknown parameter {', '.join(unknown)}; accepted: {', '.join(accepted)}")


def _flag(params: dict, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if str(value).lower() in TRUE:
        return True
    if str(value).lower() in FALSE:
        return False
    raise N.NetworkError(f"{name} must be a yes/no flag, not {value!r}; accepted: {', '.join(TRUE + FALSE)}")


def _window(params: dict) -> N.Window | None:
    start = params.get("from") or None
    end = params.get("to") or None
    year = params.get("iranian-year") or None
    if year is not None and (start or end):
        raise N.NetworkError("give either from/to or iranian-year, not both")
    if year is not None:
        try:
            number = int(str(year).strip())
        except ValueError:
            raise N.NetworkError(f"iranian-year must be a Solar Hijri year such as 1391, not {year!r}") from None
        try:
            return N.make_window(iranian_year=number)
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, N.NetworkError):
                raise
            raise N.NetworkError(f"iranian-year {number} is out of range; accepted: a Solar Hijri year "
                                 "from 1 to 9377") from None
    if start:
        N.parse_date(start, "from")
    if end:
        N.parse_date(end, "to")
    return N.make_window(start, end)


def options_from(params: dict) -> N.Options:
    """Options for ``build_network`` from request parameters (strings), with HTTP parameter names in errors."""
    edges = params.get("edges")
    kinds = N.EDGE_KINDS if edges is None else tuple(str(edges).split(","))
    return N.Options(kinds=kinds, window=_window(params),
                     include_unnamed=_flag(params, "unnamed", True),
                     include_institutions=_flag(params, "institutions", False),
                     include_interpretations=_flag(params, "interpretations", False),
                     weight=params.get("weight") or "events",
                     sources=N.parse_sources(params.get("sources")))


def measure_from(params: dict) -> str:
    measure = params.get("measure") or DEFAULT_MEASURE
    return N.check_measures([measure])[0] if measure.strip() else DEFAULT_MEASURE


# --- The store ------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _queries(directory: str) -> dict[str, str]:
    queries = N.load_queries(Path(directory))
    if not queries:
        raise N.NetworkError(f"no network queries in {directory}")
    return queries


def build(service: Any, params: dict) -> N.Network:
    options = options_from(params)
    queries_dir = params.get("queries_dir") or str(Path(__file__).resolve().parents[2] / "queries" / "network")
    return N.build_network(N.engine_select(service.engine), _queries(str(queries_dir)), options)


# --- Answers --------------------------------------------------------------------------------

def _event(network: N.Network, e: str) -> dict:
    info = network.events.get(e, {})
    return {"iri": e, "label": info.get("label", e), "start": info.get("start"), "end": info.get("end"),
            "wording": info.get("wording"), "date_interpreted": bool(info.get("date_interpreted", False)),
            "quotes": list(info.get("quotes", [])), "code": info.get("code"), "graphs": list(info.get("graphs", []))}


def _layout(graph: nx.Graph) -> dict:
    """Node positions for sigma.js: igraph's Fruchterman-Reingold (grid variant for large graphs), seeded."""
    import random

    import igraph

    ig = N.measures.Indexed.of(graph)
    igraph.set_random_number_generator(random.Random(N.LOUVAIN_SEED))
    try:
        coordinates = ig.graph.layout_fruchterman_reingold(niter=300)
    finally:
        igraph.set_random_number_generator(random)
    return {node: (float(x), float(y)) for node, (x, y) in zip(ig.nodes, coordinates.coords, strict=True)}


def _graph_answer(network: N.Network, graph: nx.Graph, measure: str, values: dict) -> dict:
    options = network.options
    large = graph.number_of_nodes() > LARGE_GRAPH
    positions = _layout(graph) if large else {}
    nodes = []
    for node, data in sorted(graph.nodes(data=True), key=lambda item: item[0]):
        nodes.append({"id": node, "label": data.get("label", node), "country": data.get("country", ""),
                      "unnamed": bool(data.get("unnamed", False)), "kind": data.get("kind", "person"),
                      "value": float(values.get(node, 0) or 0)})
        if large:
            nodes[-1]["x"], nodes[-1]["y"] = positions[node]
    edges = []
    for source, target, data in sorted(graph.edges(data=True), key=lambda e: tuple(sorted(e[:2]))):
        source, target = sorted((source, target))
        events = [] if large else [_event(network, e) for e in data["events"]]
        if large:  # lean: the page asks /network/edge.json for a link's events, graphs and codes
            edges.append({"source": source, "target": target, "kinds": list(data["kinds"]),
                          "weight": float(data["weight"]), "event_count": len(data["events"])})
            continue
        edges.append({"id": f"{source} {target}", "source": source, "target": target, "kinds": list(data["kinds"]),
                      "weight": float(data["weight"]), "sources": list(data.get("sources", [])),
                      "codes": list(data.get("codes", [])), "event_count": len(data["events"]), "events": events})
    window = options.window
    return {
        "measure": measure,
        "renderer": "sigma" if large else "cytoscape",
        "options": {"edges": list(options.kinds), "unnamed": options.include_unnamed,
                    "institutions": options.include_institutions,
                    "interpretations": options.include_interpretations, "weight": options.weight,
                    "sources": None if options.sources is None else list(options.sources),
                    "window": None if window is None else {"start": _iso(window.start), "end": _iso(window.end),
                                                           "label": window.label}},
        "nodes": nodes,
        "edges": edges,
    }


def _iso(day) -> str | None:
    return None if day in (dt.date.min, dt.date.max) else day.isoformat()


def _network_json(service: Any, params: dict) -> dict:
    check_params(params, GRAPH_PARAMS)
    measure = measure_from(params)
    network = build(service, params)
    values = N.compute_measures(network.graph, [measure])[measure]
    return _graph_answer(network, network.graph, measure, values)


def _network_export(service: Any, params: dict) -> dict:
    """Every measure as node attributes; with ``period`` (GEXF only), node and edge spells per window."""
    fmt = params.get("format", "")
    if fmt not in N.EXPORT_FORMATS:
        raise N.NetworkError(f"unknown export format {fmt!r}; accepted: {', '.join(N.EXPORT_FORMATS)}")
    rest = {k: v for k, v in params.items() if k != "format"}
    check_params(rest, TIMELINE_PARAMS)
    measure_from(rest)  # the page passes its query string on; the measure is checked, all are exported
    network = build(service, rest)
    results = N.compute_measures(network.graph)
    timeline = N.measures_by_period(network, period_from(rest), N.MEASURES) if rest.get("period") else None
    media_type, suffix = EXPORT_MEDIA_TYPES[fmt]
    return {"body": N.export(network, fmt, results=results, timeline=timeline), "media_type": media_type,
            "filename": f"eurasia-kg-network.{suffix}"}


def _neighbourhood_json(service: Any, params: dict) -> dict:
    check_params(params, NEIGHBOURHOOD_PARAMS)
    node = (params.get("node") or "").strip()
    if not node:
        raise N.NetworkError("give the node: node=<IRI of a person>")
    radius_text = params.get("radius") or "1"
    try:
        radius = int(radius_text)
    except ValueError:
        radius = -1
    if not 1 <= radius <= MAX_RADIUS:
        raise N.NetworkError(f"radius must be a whole number from 1 to {MAX_RADIUS}, not {radius_text!r}")
    measure = measure_from(params)
    network = build(service, params)
    graph = nx.ego_graph(network.graph, node, radius=radius) if node in network.graph else nx.Graph()
    values = N.compute_measures(network.graph, [measure])[measure] if graph.number_of_nodes() else {}
    answer = _graph_answer(network, graph, measure, values)
    answer["node"] = node
    answer["radius"] = radius
    return answer


def period_from(params: dict) -> str:
    return N.check_period((params.get("period") or DEFAULT_PERIOD).strip())


def _edge_json(service: Any, params: dict) -> dict:
    check_params(params, EDGE_PARAMS)
    source, target = (params.get("source") or "").strip(), (params.get("target") or "").strip()
    if not source or not target:
        raise N.NetworkError("give both ends of the link: source=<IRI>&target=<IRI>")
    network = build(service, params)
    if not network.graph.has_edge(source, target):
        raise N.NetworkError(f"no link between {source} and {target} in this network")
    data = network.graph.edges[source, target]
    return {"source": source, "target": target, "kinds": list(data["kinds"]), "weight": float(data["weight"]),
            "sources": list(data["sources"]), "codes": list(data["codes"]),
            "events": [_event(network, e) for e in data["events"]]}


def _network_timeline(service: Any, params: dict) -> dict:
    check_params(params, TIMELINE_PARAMS)
    measure = measure_from(params)
    period = period_from(params)
    network = build(service, params)
    timeline = N.measures_by_period(network, period, [measure])
    windows = []
    for part in timeline.windows:
        values = part.results[measure]
        windows.append({
            "label": part.window.label, "start": part.window.start.isoformat(), "end": part.window.end.isoformat(),
            "nodes": {node: float(values.get(node, 0) or 0) for node in sorted(part.network.graph)},
            "edges": [{"id": " ".join(sorted((a, b))), "weight": float(d["weight"]), "events": list(d["events"])}
                      for a, b, d in sorted(part.network.graph.edges(data=True), key=lambda e: sorted(e[:2]))],
        })
    return {"period": period, "measure": measure, "windows": windows, "uncounted": timeline.uncounted}


def _person_timeline(service: Any, params: dict) -> dict:
    import io

    check_params(params, PERSON_TIMELINE_PARAMS)
    node = (params.get("node") or "").strip()
    if not node:
        raise N.NetworkError("give the node: node=<IRI of a person>")
    fmt = (params.get("format") or "svg").strip()
    if fmt not in PLOT_MEDIA_TYPES:
        raise N.NetworkError(f"unknown figure format {fmt!r}; accepted: {', '.join(PLOT_MEDIA_TYPES)}")
    measure = measure_from(params)
    period = period_from(params)
    network = build(service, params)
    label = network.graph.nodes[node].get("label", node) if node in network.graph else node
    timeline = N.measures_by_period(network, period, [measure])
    buffer = io.BytesIO()
    N.plot_timeline(N.node_series(timeline, node, measure), label, measure, period, buffer, fmt)
    return {"body": buffer.getvalue(), "media_type": PLOT_MEDIA_TYPES[fmt]}


__all__ = ["network_json", "network_export", "neighbourhood_json", "network_timeline", "person_timeline", "edge_json",
           "options_from"]
