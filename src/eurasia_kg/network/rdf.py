"""Measurements as RDF with their PROV-O record, for the metrics named graph.

Each ``ekg:NetworkAnalysis`` records its edge kinds, window (``ekg:windowStart``/``ekg:windowEnd``),
period, parameters, sampling, algorithms, software versions and time. ``to_rdf`` writes the whole
network's analysis and, by default, one analysis per Iranian year: so the metrics graph the build
writes holds the article's measures over time too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyoxigraph as ox

from ..config import ID_BASE, ONTOLOGY_NS
from .build import MERGED_BASE
from .measures import ALGORITHMS, PAGERANK_ALPHA, sampling_for, software_versions
from .model import EVENT_DATA_KIND, LOUVAIN_SEED, Network

MEASURE_CONCEPTS = {
    "degree": "Degree", "weighted_degree": "WeightedDegree", "betweenness": "Betweenness", "closeness": "Closeness",
    "eigenvector": "Eigenvector", "pagerank": "PageRank", "core_number": "CoreNumber", "community": "Community",
}
WRITTEN_PERIODS = ("iranian-year",)  # the article's own calendar; the others are computed on demand
INTEGER_MEASURES = ("degree", "core_number", "community")
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def analysis_slug(network: Network, period: str | None = None) -> str:
    options = network.options
    parts = ["-".join(_kinds(network)) or "no-edges"]
    if options.sources is not None:
        parts.append("sources-" + ("-".join(options.sources) or "none"))
    if options.window is not None:
        parts.append(f"{options.window.start}-{options.window.end}")
    if period:
        parts.append(period)
    if not options.include_unnamed:
        parts.append("named-only")
    if options.include_institutions:
        parts.append("institutions")
    if options.include_interpretations:
        parts.append("with-interpretations")
    return "-".join(parts)


def _kinds(network: Network) -> list[str]:
    """The requested kinds that could apply: "consulted" only when a merged source is in the dataset."""
    merged = any(g.startswith(MERGED_BASE) for g in network.dataset)
    return [k for k in network.options.kinds if k != EVENT_DATA_KIND or merged]


def to_rdf(network: Network, results: dict[str, dict], started: dt.datetime,
           periods: Iterable[str] = WRITTEN_PERIODS) -> list[ox.Triple]:
    """The analysis of the whole network, then (unless ``periods`` is empty) one per window of each period."""
    triples = analysis_triples(network, results, started)
    if network.options.window is None:
        from .timeline import measures_by_period

        for period in periods:
            timeline = measures_by_period(network, period, results.keys())
            for part in timeline.windows:
                triples += analysis_triples(part.network, part.results, started, period)
    return triples


def analysis_triples(network: Network, results: dict[str, dict], started: dt.datetime,
                     period: str | None = None) -> list[ox.Triple]:
    ekg = ONTOLOGY_NS
    n, lit = ox.NamedNode, ox.Literal
    slug = analysis_slug(network, period)
    activity = n(f"{ID_BASE}analysis/{slug}")
    options = network.options
    window = options.window
    title = f"Network analysis ({slug})" if window is None else f"Network analysis, {window.label} ({slug})"
    sampling = sampling_for(network.graph)
    triples = [
        ox.Triple(activity, RDF_TYPE, n(ekg + "NetworkAnalysis")),
        ox.Triple(activity, LABEL, lit(title, language="en")),
        ox.Triple(activity, n(ekg + "softwareVersion"), lit(software_versions())),
        ox.Triple(activity, n(PROV + "startedAtTime"), lit(started.isoformat(), datatype=n(XSD + "dateTime"))),
        ox.Triple(activity, n(PROV + "used"), n("https://w3id.org/eurasia-kg/dataset")),
        ox.Triple(activity, n(ekg + "includesInterpretations"),
                  lit(str(options.include_interpretations).lower(), datatype=n(XSD + "boolean"))),
        ox.Triple(activity, n(ekg + "nodeCount"), lit(str(network.graph.number_of_nodes()),
                                                      datatype=n(XSD + "integer"))),
        ox.Triple(activity, n(ekg + "edgeCount"), lit(str(network.graph.number_of_edges()),
                                                      datatype=n(XSD + "integer"))),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"weight={options.weight}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"include_unnamed={str(options.include_unnamed).lower()}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"louvain.seed={LOUVAIN_SEED}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"pagerank.alpha={PAGERANK_ALPHA}")),
        ox.Triple(activity, n(ekg + "parameter"),
                  lit(f"betweenness.k={sampling.betweenness_k or 'exact'}")),
        ox.Triple(activity, n(ekg + "parameter"), lit(f"closeness.k={sampling.closeness_k or 'exact'}")),
    ]
    triples += [ox.Triple(activity, n(ekg + "edgeKind"), lit(k)) for k in _kinds(network)]
    triples += [ox.Triple(activity, n(PROV + "used"), n(g)) for g in network.dataset if g.startswith(MERGED_BASE)]
    if period:
        triples.append(ox.Triple(activity, n(ekg + "parameter"), lit(f"period={period}")))
    if window is not None:
        triples.append(ox.Triple(activity, n(ekg + "windowStart"), lit(window.start.isoformat(),
                                                                       datatype=n(XSD + "date"))))
        triples.append(ox.Triple(activity, n(ekg + "windowEnd"), lit(window.end.isoformat(),
                                                                     datatype=n(XSD + "date"))))
    for measure, values in results.items():
        triples.append(ox.Triple(activity, n(ekg + "algorithm"), lit(f"{measure}: {ALGORITHMS[measure]}")))
        for node, value in values.items():
            local = node[len(ID_BASE):] if node.startswith(ID_BASE) else node.rsplit("/", 1)[-1]
            m = n(f"{ID_BASE}measurement/{slug}/{local.replace('/', '-')}--{measure.replace('_', '-')}")
            number = str(int(value)) if measure in INTEGER_MEASURES else repr(round(float(value), 12))
            triples += [
                ox.Triple(m, RDF_TYPE, n(ekg + "NetworkMeasurement")),
                ox.Triple(m, LABEL, lit(f"{measure} of {network.graph.nodes[node].get('label', local)}"
                                        + ("" if window is None else f", {window.label}"), language="en")),
                ox.Triple(m, n(ekg + "measureOf"), n(node)),
                ox.Triple(m, n(ekg + "networkMeasure"), n(ekg + MEASURE_CONCEPTS[measure])),
                ox.Triple(m, n(ekg + "value"), lit(number, datatype=n(XSD + "decimal"))),
                ox.Triple(m, n(PROV + "wasGeneratedBy"), activity),
            ]
    return triples
