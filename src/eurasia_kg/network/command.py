"""``eurasia-kg network``: measures (also per period), exports (also dynamic GEXF), figures.

cli.py parses the arguments and hands over a ``select`` callable on the dataset; everything else is here.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from argparse import Namespace
from pathlib import Path

from .build import Select, build_network, load_queries
from .exports import export
from .measures import compute_measures
from .model import EDGE_KINDS, MEASURES, NetworkError, Options, check_measures, check_period, make_window, parse_sources
from .plots import check_figure, plot, plot_timeline
from .timeline import measures_by_period, measures_table, node_series, timeline_rows

ACTIONS = ("measures", "export", "plot", "timeline")
TABLE_FORMATS = ("table", "csv", "json")


def options_from(args: Namespace) -> Options:
    return Options(kinds=tuple(args.edges.split(",")) if args.edges else EDGE_KINDS,
                   window=make_window(args.date_from, args.date_to, args.iranian_year),
                   include_unnamed=args.unnamed, include_institutions=args.institutions,
                   include_interpretations=args.interpretations, weight=args.weight,
                   sources=parse_sources(args.sources))


def _sampling(args: Namespace) -> dict:
    return {"betweenness_k": args.betweenness_k, "closeness_k": args.closeness_k, "exact": args.exact}


def run(args: Namespace, select: Select, queries_dir: Path, render) -> int:
    """Run one action; raises NetworkError on bad input (the caller exits 2)."""
    output = args.output_file or args.output
    if args.by:
        check_period(args.by)
    if args.action == "measures":
        if args.format not in TABLE_FORMATS:
            raise NetworkError(f"unknown format {args.format!r}; accepted: {', '.join(TABLE_FORMATS)}")
        measures = check_measures(args.measure or MEASURES)
        built = build_network(select, load_queries(queries_dir), options_from(args))
        if args.by:
            print(_by_period(built, args, measures, render), end="")
            return 0
        results = compute_measures(built.graph, measures, **_sampling(args))
        rows = measures_table(built, results)
        rows.sort(key=lambda r: (-(r[measures[0]] or 0), r["label"]))
        print(render(rows[: args.top] if args.top else rows, ["label", "country", *measures], args.format), end="")
    elif args.action == "export":
        built = build_network(select, load_queries(queries_dir), options_from(args))
        measures = check_measures(args.measure or MEASURES)
        results = compute_measures(built.graph, measures, **_sampling(args))
        timeline = measures_by_period(built, args.by, measures, **_sampling(args)) if args.by else None
        data = export(built, args.format, results=results, timeline=timeline)
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.write(data.decode())
    elif args.action == "plot":
        if not output:
            raise NetworkError("give the figure's file name, ending in .svg, .png or .pdf")
        path = check_figure(output)
        measure = check_measures(args.measure or ["betweenness"])[0]
        built = build_network(select, load_queries(queries_dir), options_from(args))
        plot(built, compute_measures(built.graph, [measure], **_sampling(args)), measure, path)
        print(f"wrote {path}: {built.graph.number_of_nodes()} nodes, {built.graph.number_of_edges()} edges")
    else:  # timeline: one node's measure over time
        if not args.node:
            raise NetworkError("give the person: --node <IRI>")
        if not output:
            raise NetworkError("give the figure's file name, ending in .svg, .png or .pdf")
        path = check_figure(output)
        measure = check_measures(args.measure or ["degree"])[0]
        period = args.by or "year"
        built = build_network(select, load_queries(queries_dir), options_from(args))
        if args.node not in built.graph:
            raise NetworkError(f"{args.node} is not a node of this network (no kept event with it)")
        timeline = measures_by_period(built, period, [measure], **_sampling(args))
        plot_timeline(node_series(timeline, args.node, measure), built.graph.nodes[args.node].get("label", args.node),
                      measure, period, path)
        print(f"wrote {path}: {measure} of {args.node} in {len(timeline.windows)} windows ({period})")
    return 0


def _by_period(built, args: Namespace, measures: tuple[str, ...], render) -> str:
    """A table over time: for each measure, one row per node and one column per window (long rows in csv/json)."""
    timeline = measures_by_period(built, args.by, measures, **_sampling(args))
    if args.format == "json":
        return json.dumps({"period": args.by, "uncounted_events": timeline.uncounted,
                           "rows": timeline_rows(timeline, measures)}, indent=1) + "\n"
    if args.format == "csv":
        rows = timeline_rows(timeline, measures)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["window", "start", "end", "node", "label", *measures],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    labels = [part.window.label for part in timeline.windows]
    chunks = []
    for measure in measures:
        table: dict[str, dict] = {}
        for part in timeline.windows:
            for node, value in part.results[measure].items():
                row = table.setdefault(node, {"label": built.graph.nodes[node].get("label", node), "total": 0.0})
                row[part.window.label] = value
                row["total"] += float(value)
        rows = sorted(table.values(), key=lambda r: (-r["total"], r["label"]))
        rows = rows[: args.top] if args.top else rows
        chunks.append(f"{measure} by {args.by}" + (f" ({timeline.uncounted} events in no single window)"
                                                    if timeline.uncounted else "") + "\n"
                      + render(rows, ["label", *labels], "table"))
    return "\n".join(chunks)
