"""Exports that Gephi, yEd, Cytoscape and d3/sigma read without complaint.

- GEXF 1.2 (networkx's writer): the graph is named in ``<meta>`` (the 1.2 schema has no graph name
  attribute; networkx's empty ``name=""`` is dropped), node ids are the IRIs (GEXF ids are strings),
  every computed measure is a node attribute; weight, kinds, sources (named graphs), events, their
  labels and CAMEO codes are edge attributes. With a timeline it is a Gephi dynamic graph: node and
  edge spells for the windows in which they are active, and each measure as a dynamic attribute
  (one value per window).
- GraphML: node ids are XML name tokens (``n0``, ``n1`` …; GraphML's ``id`` is an ``xs:NMTOKEN``,
  which an IRI is not), the IRI is the ``iri`` attribute; the same attributes as GEXF.
- Cytoscape JSON, node-link JSON (events with dates and quotes on each link), and an edge-list CSV.
tests/test_network_exports.py validates GEXF and GraphML against the published XSDs.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx

from .model import Network, NetworkError

EXPORT_FORMATS = ("gexf", "graphml", "cytoscape", "csv", "json")
GRAPH_NAME = "eurasia-kg who-met-whom network"


def _node_attributes(network: Network, node: str, data: dict, results: dict[str, dict]) -> dict:
    attributes = {"label": str(data.get("label", node)), "iri": node, "kind": str(data.get("kind", "person")),
                  "country": str(data.get("country", "")), "unnamed": bool(data.get("unnamed", False))}
    for measure, values in results.items():
        if node in values:
            value = values[node]
            attributes[measure] = int(value) if measure in ("degree", "core_number", "community") else float(value)
    return attributes


def _edge_attributes(network: Network, data: dict) -> dict:
    events = data["events"]
    info = [network.events.get(e, {}) for e in events]
    dates = sorted(d for i in info for d in (i.get("start"), i.get("end")) if d)
    return {"weight": float(data["weight"]), "kinds": " ".join(data["kinds"]), "sources": " ".join(data["sources"]),
            "events": " ".join(events), "labels": " | ".join(str(i.get("label") or e) for e, i in zip(events, info,
                                                                                                 strict=True)),
            "codes": " ".join(data.get("codes", [])), "first_date": dates[0] if dates else "",
            "last_date": dates[-1] if dates else ""}


def flat_copy(network: Network, results: dict[str, dict] | None = None) -> nx.Graph:
    """A copy with scalar attributes only, as GEXF and GraphML require; the measures on the nodes."""
    results = results or {}
    flat = nx.Graph(name=GRAPH_NAME)
    for node, data in sorted(network.graph.nodes(data=True), key=lambda item: item[0]):
        flat.add_node(node, **_node_attributes(network, node, data, results))
    for a, b, data in sorted(network.graph.edges(data=True), key=lambda e: tuple(sorted(e[:2]))):
        flat.add_edge(*sorted((a, b)), **_edge_attributes(network, data))
    return flat


def dynamic_copy(network: Network, timeline, results: dict[str, dict] | None = None) -> nx.Graph:
    """``flat_copy`` plus Gephi spells: the windows of ``timeline`` in which each node and edge is active,
    and each measure as a list of (value, window start, window end)."""
    flat = flat_copy(network, results)
    flat.graph["mode"] = "dynamic"
    node_spells: dict[str, list] = {}
    edge_spells: dict[tuple, list] = {}
    dynamic: dict[str, dict[str, list]] = {}
    for part in timeline.windows:
        start, end = part.window.start.isoformat(), part.window.end.isoformat()
        for node in part.network.graph:
            node_spells.setdefault(node, []).append((start, end))
            for measure, values in part.results.items():
                if node in values:
                    value = values[node]
                    value = int(value) if measure in ("degree", "core_number", "community") else float(value)
                    dynamic.setdefault(node, {}).setdefault(f"{measure}_over_time", []).append((value, start, end))
        for a, b in part.network.graph.edges():
            edge_spells.setdefault(tuple(sorted((a, b))), []).append((start, end))
    for node, data in flat.nodes(data=True):
        data["spells"] = _merge(node_spells.get(node, []))
        data.update(dynamic.get(node, {}))
    for a, b, data in flat.edges(data=True):
        data["spells"] = _merge(edge_spells.get(tuple(sorted((a, b))), []))
    return flat


def _merge(spells: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Adjacent windows as one spell (Gephi draws a spell as one interval)."""
    import datetime as dt

    merged: list[list[str]] = []
    for start, end in sorted(spells):
        if merged and dt.date.fromisoformat(start) - dt.date.fromisoformat(merged[-1][1]) <= dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(s) for s in merged]


def graphml_copy(flat: nx.Graph) -> nx.Graph:
    """Node ids as name tokens, the IRI kept as the ``iri`` attribute."""
    mapping = {node: f"n{index}" for index, node in enumerate(flat)}
    return nx.relabel_nodes(flat, mapping, copy=True)


def export(network: Network, fmt: str, path: Path | None = None, results: dict[str, dict] | None = None,
           timeline=None) -> bytes:
    """The network in ``fmt`` (with ``results`` as node attributes, and spells when a ``timeline`` is given)."""
    if fmt not in EXPORT_FORMATS:
        raise NetworkError(f"unknown export format {fmt!r}; accepted: {', '.join(EXPORT_FORMATS)}")
    if timeline is not None and fmt != "gexf":
        raise NetworkError("a dynamic export (with --by) is GEXF only; accepted: --format gexf")
    flat = dynamic_copy(network, timeline, results) if timeline is not None else flat_copy(network, results)
    if fmt in ("gexf", "graphml"):
        buffer = io.BytesIO()
        if fmt == "gexf":
            _write_gexf(flat, buffer)
        else:
            nx.write_graphml(graphml_copy(flat), buffer, named_key_ids=True)
        data = buffer.getvalue()
    elif fmt == "cytoscape":
        data = json.dumps(nx.cytoscape_data(flat), indent=1).encode()
    elif fmt == "json":
        data = json.dumps(node_link(network, results), indent=1).encode()
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = ["weight", "kinds", "sources", "events", "codes", "first_date", "last_date"]
        writer.writerow(["source", "target", *columns])
        for a, b, d in flat.edges(data=True):
            writer.writerow([a, b, *(d[c] for c in columns)])
        data = out.getvalue().encode()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _write_gexf(flat: nx.Graph, out) -> None:
    """networkx's GEXF 1.2 writer, with the graph named where the schema allows: GEXF 1.2's XSD has no
    ``name`` on ``<graph>`` (networkx writes an empty one, which fails validation), so the name goes
    into ``<meta><description>``."""
    from xml.etree.ElementTree import SubElement

    writer = nx.readwrite.gexf.GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(flat)
    writer.graph_element.attrib.pop("name", None)
    meta = writer.xml.find("meta")
    SubElement(meta, "description").text = flat.graph.get("name", GRAPH_NAME)
    SubElement(meta, "keywords").text = "who met whom, Iran, Russia, eurasia-kg"
    writer.write(out)


def node_link(network: Network, results: dict[str, dict] | None = None) -> dict:
    """node-link JSON (networkx's format, read by d3 and sigma) with events, dates and quotes on links."""
    graph = network.graph.copy()
    for node, data in graph.nodes(data=True):
        for measure, values in (results or {}).items():
            if node in values:
                data[measure] = values[node]
    for _, _, data in graph.edges(data=True):
        data.pop("event_kinds", None)
        data["events"] = [{"iri": e, **network.events.get(e, {"label": e})} for e in data["events"]]
    return nx.node_link_data(graph, edges="links")


def read_csv_export(data: bytes) -> nx.Graph:
    graph = nx.Graph()
    for row in csv.DictReader(io.StringIO(data.decode())):
        graph.add_edge(row.pop("source"), row.pop("target"), **{**row, "weight": float(row["weight"])})
    return graph
