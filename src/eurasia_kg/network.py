"""The who-met-whom network: derived with SPARQL (queries/network/), measured with networkx.

No fact is written here: nodes, edges, events, dates and quotes all come from the queries'
answers. By default edges rest only on what the sources state (plus its entailments); dates of
events may come from interpretations, and are marked as such.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from . import calendars
from .config import GRAPH_BASE, ID_BASE, INFERRED_FROM_INTERPRETATIONS_GRAPH, INTERPRETATIONS_DIR, ONTOLOGY_NS

EDGE_KINDS = ("met", "co-participated", "visited-host")
INSTITUTION_KIND = "held-post"
MEASURES = ("degree", "weighted_degree", "betweenness", "closeness", "eigenvector", "pagerank", "core_number",
            "community")
EXPORT_FORMATS = ("gexf", "graphml", "cytoscape", "csv", "json")
LOUVAIN_SEED = 42
MEASURE_CONCEPTS = {
    "degree": "Degree", "weighted_degree": "WeightedDegree", "betweenness": "Betweenness", "closeness": "Closeness",
    "eigenvector": "Eigenvector", "pagerank": "PageRank", "core_number": "CoreNumber", "community": "Community",
}


class NetworkError(ValueError):
    """Bad input (unknown measure or edge kind, malformed date, empty window): the message lists what is accepted."""


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    label: str

    def contains(self, start: str | None, end: str | None) -> bool:
        if not start or not end:
            return False
        return self.start <= dt.date.fromisoformat(start) and dt.date.fromisoformat(end) <= self.end


def parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise NetworkError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def make_window(start: str | None = None, end: str | None = None,
                iranian_year: int | str | None = None) -> Window | None:
    if iranian_year is not None:
        if start or end:
            raise NetworkError("give either --from/--to or --iranian-year, not both")
        try:
            year = int(iranian_year)
        except (TypeError, ValueError):
            raise NetworkError(
                f"--iranian-year must be a Solar Hijri year such as 1391, not {iranian_year!r}") from None
        first, last = calendars.solar_hijri_year(year)
        return Window(first, last, f"Iranian year {year}")
    if start is None and end is None:
        return None
    first = parse_date(start, "--from") if start else dt.date.min
    last = parse_date(end, "--to") if end else dt.date.max
    if last < first:
        raise NetworkError(f"the window ends ({last}) before it starts ({first})")
    return Window(first, last, f"{start or '…'} to {end or '…'}")


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in kinds if k.strip()))
    unknown = [k for k in kinds if k not in EDGE_KINDS]
    if unknown:
        raise NetworkError(f"unknown edge kind {', '.join(unknown)}; accepted: {', '.join(EDGE_KINDS)}")
    return kinds


def check_measures(measures: Iterable[str]) -> tuple[str, ...]:
    measures = tuple(dict.fromkeys(m.strip() for m in measures if m.strip()))
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise NetworkError(f"unknown measure {', '.join(unknown)}; accepted: {', '.join(MEASURES)}")
    return measures


@dataclass
class Options:
    kinds: tuple[str, ...] = EDGE_KINDS
    window: Window | None = None
    include_unnamed: bool = True
    include_institutions: bool = False
    include_interpretations: bool = False
    weight: str = "events"  # "events": number of shared events; "unit": every edge weighs 1

    def __post_init__(self) -> None:
        self.kinds = check_kinds(self.kinds)
        if self.weight not in ("events", "unit"):
            raise NetworkError(f"unknown weighting {self.weight!r}; accepted: events, unit")


Select = Callable[[str, list[str] | None], tuple[list[str], list[list]]]


def store_select(store: ox.Store) -> Select:
    """A select function over a pyoxigraph store, restricted to the given default graphs."""

    def select(query: str, graphs: list[str] | None) -> tuple[list[str], list[list]]:
        kwargs = {"default_graph": [ox.NamedNode(g) for g in graphs]} if graphs is not None else \
            {"use_default_graph_as_union": True}
        result = store.query(query, **kwargs)
        variables = [v.value for v in result.variables]
        return variables, [[_value(s[v]) for v in variables] for s in result]

    return select


def _value(term) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype is not None and term.datatype.value.endswith("#boolean"):
        return term.value == "true"
    return term.value


def graph_names(select: Select) -> list[str]:
    _, rows = select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", None)
    return [row[0] for row in rows]


def stated_graphs(names: list[str]) -> list[str]:
    """Every graph except the interpretations and what is inferred from them."""
    return [g for g in names if g != INFERRED_FROM_INTERPRETATIONS_GRAPH
            and g.rstrip("/").rsplit("/", 1)[-1] != INTERPRETATIONS_DIR]


@dataclass
class Network:
    graph: nx.Graph
    options: Options
    events: dict[str, dict] = field(default_factory=dict)


def load_queries(directory: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.rq"))}


def build_network(select: Select, queries: dict[str, str], options: Options) -> Network:
    """The network for ``options``, from the answers of the network queries."""
    names = graph_names(select)
    edge_graphs = None if options.include_interpretations else stated_graphs(names)
    events = _events(select, queries["events"], edge_graphs)
    if options.window is not None and not any(options.window.contains(e["start"], e["end"]) for e in events.values()):
        raise NetworkError(f"no event falls within {options.window.label} "
                           f"({options.window.start} to {options.window.end})")
    kept = {e for e, info in events.items() if options.window is None or
            options.window.contains(info["start"], info["end"])}
    nodes = _nodes(select, queries["nodes"])
    graph = nx.Graph()
    _, participation = select(queries["participation"], edge_graphs)
    for person, event in participation:
        if event in kept and _wanted(nodes.get(person), options):
            graph.add_node(person, **nodes[person])
    kinds = list(options.kinds) + ([INSTITUTION_KIND] if options.include_institutions else [])
    for kind in kinds:
        _, rows = select(queries[kind], edge_graphs)
        for source, target, event in rows:
            if kind != INSTITUTION_KIND and event not in kept:
                continue
            if not (_wanted(nodes.get(source), options) and _wanted(nodes.get(target), options, kind)):
                continue
            _add_edge(graph, nodes, source, target, event, kind)
    for _, _, data in graph.edges(data=True):
        data["weight"] = float(len(data["events"])) if options.weight == "events" else 1.0
        data["kinds"] = sorted(data["kinds"])
    return Network(graph, options, {e: events[e] for e in kept if e in events})


def _events(select: Select, query: str, edge_graphs: list[str] | None) -> dict[str, dict]:
    """Events with dates (from any graph, marked when only an interpretation dates them) and quotes."""
    _, all_rows = select(query, None)
    stated_dates = set()
    if edge_graphs is not None:
        _, stated_rows = select(query, edge_graphs)
        stated_dates = {r[0] for r in stated_rows if r[2] and r[3]}
    events: dict[str, dict] = {}
    for event, label, start, end, wording, quote in all_rows:
        info = events.setdefault(event, {"label": label, "start": start, "end": end, "wording": wording,
                                         "quotes": [], "date_interpreted": False})
        if quote and quote not in info["quotes"]:
            info["quotes"].append(quote)
        if start and end and edge_graphs is not None and event not in stated_dates:
            info["date_interpreted"] = True
    return events


def _nodes(select: Select, query: str) -> dict[str, dict]:
    _, rows = select(query, None)
    nodes: dict[str, dict] = {}
    for node, label, kind, country, unnamed in rows:
        nodes.setdefault(node, {"label": label, "kind": kind, "country": country or "", "unnamed": bool(unnamed)})
    return nodes


def _wanted(node: dict | None, options: Options, kind: str = "") -> bool:
    if node is None:
        return False
    if node["kind"] == "institution":
        return kind == INSTITUTION_KIND
    return options.include_unnamed or not node["unnamed"]


def _add_edge(graph: nx.Graph, nodes: dict, source: str, target: str, event: str, kind: str) -> None:
    for node in (source, target):
        if node not in graph:
            graph.add_node(node, **nodes[node])
    if graph.has_edge(source, target):
        data = graph.edges[source, target]
    else:
        graph.add_edge(source, target, events=[], kinds=set())
        data = graph.edges[source, target]
    if event not in data["events"]:
        data["events"].append(event)
    data["kinds"].add(kind)


# --- Measures -----------------------------------------------------------------

def eigenvector_by_component(graph: nx.Graph, weight: str | None = "weight") -> dict:
    """Eigenvector centrality is undefined across components: compute it per component (unit norm
    within the component), scale by the component's share of nodes, and give isolated nodes 0."""
    values = dict.fromkeys(graph, 0.0)
    total = graph.number_of_nodes()
    for component in nx.connected_components(graph):
        if len(component) < 2:
            continue
        sub = graph.subgraph(component)
        scores = nx.eigenvector_centrality_numpy(sub, weight=weight) if len(component) > 2 else \
            dict.fromkeys(component, 2 ** -0.5)
        share = len(component) / total
        for node, score in scores.items():
            values[node] = abs(score) * share
    return values


def communities(graph: nx.Graph, seed: int = LOUVAIN_SEED) -> dict:
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed) if graph.number_of_edges() else \
        [{n} for n in graph]
    ordered = sorted(found, key=lambda c: (-len(c), sorted(c)))
    return {node: index for index, community in enumerate(ordered) for node in community}


def compute_measures(graph: nx.Graph, measures: Iterable[str] = MEASURES, betweenness_k: int | None = None,
                     seed: int = LOUVAIN_SEED) -> dict[str, dict]:
    measures = check_measures(measures)
    if graph.number_of_nodes() == 0:
        return {m: {} for m in measures}
    functions: dict[str, Callable[[], dict]] = {
        "degree": lambda: dict(graph.degree()),
        "weighted_degree": lambda: dict(graph.degree(weight="weight")),
        "betweenness": lambda: nx.betweenness_centrality(graph, k=_k(graph, betweenness_k), seed=seed),
        "closeness": lambda: nx.closeness_centrality(graph),
        "eigenvector": lambda: eigenvector_by_component(graph),
        "pagerank": lambda: nx.pagerank(graph, alpha=0.85, weight="weight"),
        "core_number": lambda: nx.core_number(graph),
        "community": lambda: communities(graph, seed),
    }
    return {m: functions[m]() for m in measures}


def _k(graph: nx.Graph, k: int | None) -> int | None:
    return None if k is None or k >= graph.number_of_nodes() else k


ALGORITHMS = {
    "degree": "networkx.Graph.degree", "weighted_degree": "networkx.Graph.degree(weight='weight')",
    "betweenness": "networkx.betweenness_centrality", "closeness": "networkx.closeness_centrality",
    "eigenvector": "networkx.eigenvector_centrality_numpy per connected component",
    "pagerank": "networkx.pagerank(alpha=0.85, weight='weight')", "core_number": "networkx.core_number",
    "community": f"networkx.community.louvain_communities(weight='weight', seed={LOUVAIN_SEED})",
}


def measures_table(network: Network, results: dict[str, dict]) -> list[dict]:
    rows = []
    for node, data in network.graph.nodes(data=True):
        row = {"node": node, "label": data.get("label", node), "country": data.get("country", "")}
        row.update({m: values.get(node) for m, values in results.items()})
        rows.append(row)
    return rows


# --- RDF write-back -------------------------------------------------------------

def analysis_slug(options: Options) -> str:
    parts = ["-".join(options.kinds) or "no-edges"]
    if options.window is not None:
        parts.append(f"{options.window.start}-{options.window.end}")
    if not options.include_unnamed:
        parts.append("named-only")
    if options.include_institutions:
        parts.append("institutions")
    if options.include_interpretations:
        parts.append("with-interpretations")
    return "-".join(parts)


def to_rdf(network: Network, results: dict[str, dict], started: dt.datetime) -> list[ox.Triple]:
    """Measurements with their PROV-O record, for the metrics named graph."""
    ekg = ONTOLOGY_NS
    prov = "http://www.w3.org/ns/prov#"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    slug = analysis_slug(network.options)
    activity = ox.NamedNode(f"{ID_BASE}analysis/{slug}")
    n = ox.NamedNode
    lit = ox.Literal
    xsd = "http://www.w3.org/2001/XMLSchema#"
    options = network.options
    triples = [
        ox.Triple(activity, rdf_type, n(ekg + "NetworkAnalysis")),
        ox.Triple(activity, label, lit(f"Network analysis ({slug})", language="en")),
        ox.Triple(activity, n(ekg + "softwareVersion"), lit(f"networkx {version('networkx')}")),
        ox.Triple(activity, n(prov + "startedAtTime"), lit(started.isoformat(), datatype=n(xsd + "dateTime"))),
        ox.Triple(activity, n(prov + "used"), n("https://w3id.org/eurasia-kg/dataset")),
        ox.Triple(activity, n(ekg + "includesInterpretations"),
                  lit(str(options.include_interpretations).lower(), datatype=n(xsd + "boolean"))),
        ox.Triple(activity, n(ekg + "nodeCount"),
                  lit(str(network.graph.number_of_nodes()), datatype=n(xsd + "integer"))),
        ox.Triple(activity, n(ekg + "edgeCount"),
                  lit(str(network.graph.number_of_edges()), datatype=n(xsd + "integer"))),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"weight={options.weight}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"include_unnamed={str(options.include_unnamed).lower()}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"louvain.seed={LOUVAIN_SEED}")),
        ox.Triple(activity, n(ekg + "parameter"), lit("pagerank.alpha=0.85")),
    ]
    triples += [ox.Triple(activity, n(ekg + "edgeKind"), lit(k)) for k in options.kinds]
    if options.window is not None:
        triples.append(ox.Triple(activity, n(ekg + "windowStart"), lit(options.window.start.isoformat(),
                                                                          datatype=n(xsd + "date"))))
        triples.append(ox.Triple(activity, n(ekg + "windowEnd"), lit(options.window.end.isoformat(),
                                                                        datatype=n(xsd + "date"))))
    for measure, values in results.items():
        triples.append(ox.Triple(activity, n(ekg + "algorithm"), lit(f"{measure}: {ALGORITHMS[measure]}")))
        for node, value in values.items():
            local = node[len(ID_BASE):] if node.startswith(ID_BASE) else node.rsplit("/", 1)[-1]
            m = n(f"{ID_BASE}measurement/{slug}/{local.replace('/', '-')}--{measure.replace('_', '-')}")
            triples += [
                ox.Triple(m, rdf_type, n(ekg + "NetworkMeasurement")),
                ox.Triple(m, label, lit(f"{measure} of {network.graph.nodes[node].get('label', local)}",
                                        language="en")),
                ox.Triple(m, n(ekg + "measureOf"), n(node)),
                ox.Triple(m, n(ekg + "networkMeasure"), n(ekg + MEASURE_CONCEPTS[measure])),
                ox.Triple(m, n(ekg + "value"), lit(repr(round(float(value), 12)), datatype=n(xsd + "decimal"))
                          if measure not in ("degree", "core_number", "community")
                          else lit(str(int(value)), datatype=n(xsd + "decimal"))),
                ox.Triple(m, n(prov + "wasGeneratedBy"), activity),
            ]
    return triples


# --- Exports ----------------------------------------------------------------------

def flat_copy(network: Network) -> nx.Graph:
    """A copy with scalar attributes only, as GEXF and GraphML require."""
    flat = nx.Graph()
    for node, data in network.graph.nodes(data=True):
        flat.add_node(node, label=data.get("label", ""), country=data.get("country", ""),
                      unnamed=bool(data.get("unnamed", False)), kind=data.get("kind", "person"))
    for a, b, data in network.graph.edges(data=True):
        events = data["events"]
        flat.add_edge(a, b, weight=float(data["weight"]), kinds=" ".join(data["kinds"]), events=" ".join(events),
                      labels=" | ".join(network.events.get(e, {}).get("label", e) for e in events))
    return flat


def export(network: Network, fmt: str, path: Path | None = None) -> bytes:
    if fmt not in EXPORT_FORMATS:
        raise NetworkError(f"unknown export format {fmt!r}; accepted: {', '.join(EXPORT_FORMATS)}")
    import io

    flat = flat_copy(network)
    if fmt in ("gexf", "graphml"):
        buffer = io.BytesIO()
        (nx.write_gexf if fmt == "gexf" else nx.write_graphml)(flat, buffer)
        data = buffer.getvalue()
    elif fmt == "cytoscape":
        data = json.dumps(nx.cytoscape_data(flat), indent=1).encode()
    elif fmt == "json":
        data = json.dumps(node_link(network), indent=1).encode()
    else:
        lines = [f"{a},{b},{d['weight']},{d['kinds']},{d['events']}" for a, b, d in flat.edges(data=True)]
        data = ("\n".join(["source,target,weight,kinds,events", *lines]) + "\n").encode()
    if path is not None:
        path.write_bytes(data)
    return data


def node_link(network: Network) -> dict:
    """node-link JSON (networkx's format, read by d3 and sigma) with events, dates and quotes on edges."""
    graph = network.graph.copy()
    for _, _, data in graph.edges(data=True):
        data["events"] = [{"iri": e, **network.events.get(e, {"label": e})} for e in data["events"]]
    return nx.node_link_data(graph, edges="links")


def read_csv_export(data: bytes) -> nx.Graph:
    lines = data.decode().splitlines()[1:]
    return nx.parse_edgelist(lines, delimiter=",", nodetype=str,
                             data=(("weight", float), ("kinds", str), ("events", str)))


def plot(network: Network, results: dict[str, dict], measure: str, path: Path) -> None:
    """A static figure for papers: node size follows ``measure``, colour the country; nodes labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graph = network.graph
    values = results.get(measure) or compute_measures(graph, [measure])[measure]
    top = max(values.values(), default=0) or 1
    countries = sorted({graph.nodes[n].get("country", "") for n in graph})
    palette = plt.get_cmap("tab10")
    colours = [palette(countries.index(graph.nodes[n].get("country", "")) % 10) for n in graph]
    sizes = [200 + 1800 * (values.get(n, 0) / top) for n in graph]
    layout = nx.spring_layout(graph, seed=LOUVAIN_SEED, weight="weight")
    figure, axes = plt.subplots(figsize=(12, 9))
    nx.draw_networkx_edges(graph, layout, ax=axes, width=[1 + graph.edges[e]["weight"] for e in graph.edges],
                           alpha=0.5)
    nx.draw_networkx_nodes(graph, layout, ax=axes, node_size=sizes, node_color=colours)
    nx.draw_networkx_labels(graph, layout, ax=axes, labels={n: graph.nodes[n].get("label", n) for n in graph},
                            font_size=8)
    for index, country in enumerate(countries):
        axes.scatter([], [], color=palette(index % 10), label=country or "unknown")
    axes.legend(title="Country", loc="best")
    axes.set_title(f"Who met whom (node size: {measure})")
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


__all__ = ["EDGE_KINDS", "MEASURES", "EXPORT_FORMATS", "GRAPH_BASE", "Network", "NetworkError", "Options",
           "build_network", "compute_measures", "export", "load_queries", "make_window", "store_select", "to_rdf"]
