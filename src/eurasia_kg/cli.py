"""The ``eurasia-kg`` command line. Exit codes follow pySHACL: 0 ok/conforms, 1 does not conform, 2 error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, loader, store
from .config import SETTINGS, Settings

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_ERROR = 2


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return Settings.from_env(**overrides)


def _add_settings(parser: argparse.ArgumentParser, *scopes: str) -> None:
    """Options come from the SETTINGS table, so the CLI, the docs and the tests agree."""
    for setting in SETTINGS:
        if not set(setting.scope.split()) & set(scopes) and setting.name not in ("root", "dist"):
            continue
        flag = "--" + setting.name.replace("_", "-")
        common = {"dest": setting.name, "default": None, "help": f"{setting.help} (default: {setting.default})"}
        if setting.kind == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
        elif setting.kind in ("paths", "strs"):
            parser.add_argument(flag, action="append", type=Path if setting.kind == "paths" else str, **common)
        else:
            types = {"path": Path, "int": int, "float": float, "str": str}
            parser.add_argument(flag, type=types[setting.kind], **common)


def cmd_build(args: argparse.Namespace) -> int:
    from . import build

    settings = _settings_from(args)
    try:
        report = build.build(settings, force=args.force, log=lambda m: print(m, file=sys.stderr))
    except build.BuildNotConforming as exc:
        print(exc.result.summary(), file=sys.stderr)
        print(f"error: {exc}; nothing was written to {settings.dist_dir}", file=sys.stderr)
        return EXIT_NONCONFORMING
    except build.BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"nothing was written to {settings.dist_dir}", file=sys.stderr)
        return EXIT_ERROR
    print(report.summary())
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from rdflib import Graph

    from . import validation

    settings = _settings_from(args)
    data = Graph()
    try:
        for path in args.files:
            loader.parse_into(data, path, args.format)
        shapes = validation.load_shapes(settings.shapes_dir)
        ontology = Graph()
        for path in loader.rdf_files(settings.ontology_dir):
            loader.parse_into(ontology, path)
    except loader.DataFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    result = validation.validate(data, shapes, ontology)
    print(result.summary())
    return result.exit_code


def _open_store(settings: Settings) -> store.KnowledgeStore:
    return store.KnowledgeStore.from_dist(settings.dist_dir)


def cmd_query(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    if (args.sparql is None) == (args.file is None):
        print("error: give a query, or -f FILE, but not both", file=sys.stderr)
        return EXIT_ERROR
    text = args.sparql if args.sparql is not None else Path(args.file).read_text(encoding="utf-8")
    try:
        kg = _open_store(settings)
        print(store.render(kg.query(text), args.format))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except store.QueryError as exc:
        print(f"error: malformed or failing query: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    try:
        kg = _open_store(settings)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    sizes = kg.graph_sizes()
    print(f"Quads: {len(kg)}")
    print("Triples per named graph:")
    for graph, count in sizes.items():
        print(f"  {count:>6}  {graph}")
    table = kg.select("""
        SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?s a ?class . FILTER(STRSTARTS(STR(?class), STR(ekg:)) && !STRSTARTS(STR(?s), STR(ekg:)))
        } GROUP BY ?class ORDER BY DESC(?n) ?class""")
    print("Entities per class:")
    for cls, n in table.rows:
        print(f"  {n.value:>6}  {store.shorten(cls.value)}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    from .server import serve

    try:
        serve(settings)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _network_select(settings: Settings):
    """The dataset the network reads, as a ``select(sparql) -> rows of terms`` callable."""
    from . import network

    return network.store_select(_open_store(settings).store)


def cmd_network(args: argparse.Namespace) -> int:
    from . import network
    from .network import command

    settings = _settings_from(args)
    try:
        return command.run(args, _network_select(settings), settings.queries_dir / "network", _render_rows)
    except (network.NetworkError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _render_rows(rows: list[dict], columns: list[str], fmt: str) -> str:
    import csv
    import io
    import json

    if fmt == "json":
        return json.dumps(rows, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["node", *columns], extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    return store._table(columns, cells) + "\n"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _open_merge_store(settings: Settings):
    from . import merge

    return merge.open_store(settings.store_dir)


def _validator(settings: Settings):
    from rdflib import Graph

    from . import validation

    shapes = validation.load_shapes(settings.shapes_dir)
    ontology = Graph()
    for path in loader.rdf_files(settings.ontology_dir):
        loader.parse_into(ontology, path)

    def check(ntriples: str) -> tuple[bool, int, str]:
        result = validation.validate(Graph().parse(data=ntriples, format="nt"), shapes, ontology)
        return result.conforms, result.violations, result.summary()

    return check


def cmd_merge(args: argparse.Namespace) -> int:
    from . import merge

    settings = _settings_from(args)
    if args.name and len(args.files) > 1:
        print("error: --name names one source; merge several files one at a time, or without --name",
              file=sys.stderr)
        return EXIT_ERROR
    store = _open_merge_store(settings)
    if not any(True for _ in store.named_graphs()) and (settings.dist_dir / "eurasia-kg.nq").is_file():
        merge.sync_curated(store, settings.dist_dir)
    del store
    validator: list = []

    def check():  # shapes and pySHACL load only when a source uses our vocabulary
        if not validator:
            validator.append(_validator(settings))
        return validator[0]
    code = EXIT_OK
    merged_any = False
    for path in args.files:
        try:
            result = merge.merge_file(settings.store_dir, path, args.name, args.format, settings.max_merge_bytes,
                                      progress=merge.progress_bar if args.progress else None,
                                      validate=check, strict=args.strict)
        except merge.MergeError as exc:
            print(f"error: {exc}\nnothing was changed in {settings.store_dir}", file=sys.stderr)
            code = EXIT_ERROR
            continue
        for message in result.messages:
            print(message)
        if result.changed:
            merged_any = True
            r = result.record
            print(f"merged {r.name}: {r.triples} triples into <{r.graph}>"
                  + ("" if r.conforms is None else f" (conforms: {str(r.conforms).lower()})"))
    if args.align and (merged_any or args.report_json):
        _align(settings, args.report_json)
    return code


def _align(settings: Settings, report_json: Path | None) -> None:
    """Align every merged source with the curated graph, print the merge report, and write it as JSON."""
    from . import alignment, merge
    from .config import GRAPH_BASE

    store = merge.open_store(settings.store_dir)
    if not any(g.value.startswith(GRAPH_BASE) for g in store.named_graphs() if hasattr(g, "value")):
        print(f"warning: {settings.store_dir} holds no curated graphs to align with; run 'eurasia-kg build'",
              file=sys.stderr)
    report = alignment.align(store)
    print(report.text())
    if report_json:
        Path(report_json).write_text(report.to_json(), encoding="utf-8")
        print(f"wrote the merge report to {report_json}")


def cmd_align(args: argparse.Namespace) -> int:
    _align(_settings_from(args), args.report_json)
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    from . import merge

    settings = _settings_from(args)
    store = _open_merge_store(settings)
    records = merge.read_sources(store)
    if args.action == "list":
        for r in records.values():
            flag = "" if r.conforms in (None, True) else f"  [{r.violations} violations]"
            print(f"{r.name}\t{r.triples} triples\t{r.merged_at}\t{r.file}{flag}")
        if not records:
            print("no merged sources")
        return EXIT_OK
    if not args.source:
        print(f"error: 'sources {args.action}' needs a source name", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.action == "show":
            if args.source not in records:
                raise merge.MergeError(f"no merged source named {args.source!r}; known sources: "
                                       f"{', '.join(records) or 'none'}")
            for key, value in records[args.source].__dict__.items():
                print(f"{key}: {value}")
        else:
            removed = merge.remove_source(store, args.source)
            print(f"removed {removed.name} ({removed.triples} triples, <{removed.graph}>)")
            from . import alignment

            alignment.align(store)  # the closure and conflicts of the remaining sources, recomputed
    except merge.MergeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    import pyoxigraph as ox

    from . import remote

    settings = _settings_from(args)
    if settings.store_dir.is_dir():
        quads = list(ox.Store.read_only(str(settings.store_dir)))
        origin = str(settings.store_dir)
    elif (settings.dist_dir / "eurasia-kg.nq").is_file():
        quads = list(ox.parse(path=str(settings.dist_dir / "eurasia-kg.nq"), format=ox.RdfFormat.N_QUADS))
        origin = str(settings.dist_dir / "eurasia-kg.nq")
    else:
        print("error: nothing to push: no store and no built dist/; run 'eurasia-kg build' first", file=sys.stderr)
        return EXIT_ERROR
    try:
        report = remote.push(quads, args.to, args.update_endpoint, args.auth, log=lambda m: print(m))
    except remote.RemoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    methods = sorted(set(report.method.values()))
    print(f"pushed {len(report.graphs)} graphs, {sum(report.graphs.values())} triples from {origin} "
          f"to {args.to} ({', '.join(methods)})")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="eurasia-kg", description=__doc__)
    main.add_argument("--version", action="version", version=f"eurasia-kg {__version__}")
    sub = main.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="parse, reason, validate and write dist/")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="validate RDF files against the shapes (exit 0 conforms, 1 not, 2 error)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--format", help="RDF format, overriding the file extension (turtle, nt, nquads, trig, "
                                    "json-ld, xml)")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("query", help="run a SPARQL query on the built data")
    p.add_argument("sparql", nargs="?")
    p.add_argument("-f", "--file", help="read the query from a .rq file")
    p.add_argument("--format", choices=("table", "csv", "json", "ttl"), default="table")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("serve", help="serve the built data: SPARQL endpoint, query UI, Linked Data pages")
    _add_settings(p, "serve")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("network", help="who met whom: measures, exports and figures (exit 2 on bad input)")
    p.add_argument("action", choices=("measures", "export", "plot", "timeline"))
    p.add_argument("output", nargs="?", help="plot, timeline: the figure file (.svg, .png or .pdf); "
                   "export: optional file")
    p.add_argument("--measure", action="append", help="measures: which to compute (repeatable; default all); "
                   "plot: the one that sizes the nodes")
    p.add_argument("--top", type=int, help="measures: print only the first N rows")
    p.add_argument("--from", dest="date_from", help="time window start, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="time window end, YYYY-MM-DD")
    p.add_argument("--iranian-year", help="time window: a Solar Hijri year, such as 1391")
    p.add_argument("--edges", help="edge kinds, comma-separated: met, co-participated, visited-host, consulted "
                   "(default all)")
    p.add_argument("--sources", help="merged sources, comma-separated, 'all' (default) or 'none'")
    p.add_argument("--by", metavar="PERIOD", help="measures: a table over time; export: dynamic GEXF; timeline: "
                   "the windows (month, quarter, year, iranian-year)")
    p.add_argument("--node", help="timeline: the person (IRI) whose centrality is plotted over time")
    p.add_argument("--unnamed", action=argparse.BooleanOptionalAction, default=True,
                   help="include unnamed post-holders as nodes (default: yes)")
    p.add_argument("--institutions", action="store_true", help="add institutions (person–institution graph)")
    p.add_argument("--interpretations", action="store_true",
                   help="also use facts the sources only imply (default: stated facts only)")
    p.add_argument("--weight", choices=("events", "unit"), default="events",
                   help="edge weight: number of shared events (default) or 1")
    p.add_argument("--betweenness-k", type=int, help="sample k sources for betweenness (default: 500 above "
                   "5,000 nodes)")
    p.add_argument("--closeness-k", type=int, help="sample k pivots for closeness (default: 200 above 5,000 nodes)")
    p.add_argument("--exact", action="store_true", help="no sampling, whatever the size")
    p.add_argument("--format", default="table", help="measures: table, csv or json; "
                   "export: gexf, graphml, cytoscape, csv or json")
    p.add_argument("-o", "--output-file", dest="output_file", help="export: write to this file")
    _add_settings(p, "network")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("merge", help="merge RDF files into the on-disk store, each as its own named graph")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--name", help="the source's name (default: from the file name)")
    p.add_argument("--format", help="RDF format, overriding the file extension")
    p.add_argument("--strict", action="store_true", help="reject a source that does not conform to the shapes")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="show a progress bar")
    p.add_argument("--align", action=argparse.BooleanOptionalAction, default=True,
                   help="after merging, align the merged sources with the curated graph and print the merge report")
    p.add_argument("--report-json", type=Path, metavar="FILE", help="also write the merge report as JSON to FILE")
    _add_settings(p, "merge")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("align", help="(re)align the merged sources with the curated graph and print the merge report")
    p.add_argument("--report-json", type=Path, metavar="FILE", help="also write the merge report as JSON to FILE")
    _add_settings(p, "merge")
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("sources", help="list, show or remove merged sources")
    p.add_argument("action", choices=("list", "show", "remove"))
    p.add_argument("source", nargs="?")
    _add_settings(p, "merge")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("push", help="copy every named graph to a triple store (Graph Store Protocol, "
                                    "falling back to SPARQL Update)")
    p.add_argument("--to", required=True, help="the store's Graph Store Protocol endpoint, e.g. "
                   "http://127.0.0.1:7878/store (Oxigraph) or http://host:3030/ds/data (Fuseki)")
    p.add_argument("--update-endpoint", help="its SPARQL Update endpoint (default: derived from --to)")
    p.add_argument("--auth", help="user:password (HTTP Basic) or bearer:TOKEN")
    _add_settings(p, "merge")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("stats", help="print counts of the built data")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_stats)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
