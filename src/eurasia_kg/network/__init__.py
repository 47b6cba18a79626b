"""The who-met-whom network: derived with SPARQL (queries/network/), modelled with networkx, measured
with igraph where networkx is slow.

No fact is written here: nodes, edges, events, dates, quotes and CAMEO codes all come from the
queries' answers. By default edges rest only on what the sources state (plus its entailments);
dates of events may come from interpretations, and are marked as such. Merged event data (ICEWS-
or GDELT-like, CAMEO 04x) adds edges of kind "consulted" (docs/network.md states the rules).

- ``model``: options, time windows and periods, the ``Network`` record, input checks;
- ``build``: the select callables and ``build_network`` (one aggregate query per edge kind);
- ``measures``: ``compute_measures`` (igraph behind networkx's definitions, sampling above a size);
- ``timeline``: measures per month, quarter, year or Iranian year;
- ``rdf``: measurements and their PROV record for the metrics graph;
- ``exports``: GEXF (static and dynamic), GraphML, Cytoscape JSON, node-link JSON, CSV;
- ``plots``: the network figure and a person's centrality over time.
"""

from .build import (
    Select,
    build_network,
    dataset,
    endpoint_select,
    engine_select,
    graph_names,
    load_queries,
    merged_sources,
    restrict,
    store_select,
    with_dataset,
)
from .exports import EXPORT_FORMATS, export, flat_copy, node_link, read_csv_export
from .measures import ALGORITHMS, EXACT_LIMIT, compute_measures, sampling_for
from .model import (
    ARTICLE_KINDS,
    EDGE_KINDS,
    EVENT_DATA_KIND,
    INSTITUTION_KIND,
    LOUVAIN_SEED,
    MEASURES,
    PERIODS,
    Network,
    NetworkError,
    Options,
    Window,
    check_kinds,
    check_measures,
    check_period,
    make_window,
    parse_date,
    parse_sources,
    period_of,
    periods,
)
from .plots import plot, plot_timeline
from .rdf import MEASURE_CONCEPTS, analysis_slug, to_rdf
from .timeline import Timeline, measures_by_period, measures_table, node_series, timeline_rows, windows_of

__all__ = [
    "ALGORITHMS", "ARTICLE_KINDS", "EDGE_KINDS", "EVENT_DATA_KIND", "EXACT_LIMIT", "EXPORT_FORMATS",
    "INSTITUTION_KIND", "LOUVAIN_SEED", "Timeline", "node_series",
    "MEASURES", "MEASURE_CONCEPTS", "PERIODS", "Network", "NetworkError",
    "Options", "Select", "Window", "analysis_slug", "build_network", "check_kinds", "check_measures",
    "check_period", "compute_measures", "dataset", "endpoint_select", "engine_select", "export", "flat_copy",
    "graph_names", "load_queries", "make_window", "measures_by_period", "measures_table", "merged_sources",
    "node_link", "parse_date", "parse_sources", "period_of", "periods", "plot", "plot_timeline",
    "read_csv_export", "restrict", "sampling_for", "store_select", "timeline_rows", "to_rdf", "windows_of",
    "with_dataset",
]
