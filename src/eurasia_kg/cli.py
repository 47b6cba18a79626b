"""The ``eurasia-kg`` command line. Exit codes follow pySHACL: 0 ok/conforms, 1 does not conform, 2 error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, store
from .config import PROJECT_BASE, SETTINGS, Settings
from .dataset import DatasetError

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

    from . import loader, validation

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
    """The one dataset (curated graphs synced from dist/, plus merged sources), as it is now."""
    from .store_commands import open_for_reading

    return open_for_reading(settings)


def cmd_query(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    if (args.sparql is None) == (args.file is None):
        print("error: give a query, or -f FILE, but not both", file=sys.stderr)
        return EXIT_ERROR
    try:
        text = args.sparql if args.sparql is not None else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
        print(f"error: cannot read the query file {args.file}: {reason.lower()}", file=sys.stderr)
        return EXIT_ERROR
    try:
        kg = _open_store(settings)
        print(store.render(kg.query(text), args.format))
    except (FileNotFoundError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except store.QueryError as exc:
        from . import sparql_errors

        problem = sparql_errors.explain(text, str(exc), source=args.file)
        print(f"error: {problem or 'the query failed: ' + ' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    try:
        kg = _open_store(settings)
    except (FileNotFoundError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    sizes = kg.graph_sizes()
    # Ours: the curated graphs and the merged sources. A remote store's own graphs (Virtuoso's system
    # graphs), and graphs written through /update, are counted apart.
    ours = {g: n for g, n in sizes.items() if g.startswith(PROJECT_BASE)}
    others = {g: n for g, n in sizes.items() if g not in ours}
    print(f"Quads: {sum(ours.values())}")
    print("Triples per named graph:")
    for graph, count in ours.items():
        print(f"  {count:>6}  {graph}")
    if others:
        print(f"  {sum(others.values()):>6}  in {len(others)} other graph(s), not eurasia-kg's")
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
    from .server import PortBusy, serve

    try:
        serve(settings)
    except (FileNotFoundError, DatasetError, PortBusy, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl-C: the workers are stopped on the way out; no traceback
        print("stopped", file=sys.stderr)
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
    except (network.NetworkError, FileNotFoundError, DatasetError) as exc:
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


def _store_command(name: str):
    """A command of the one dataset (store_commands), with store errors as exit 2."""

    def run(args: argparse.Namespace) -> int:
        from . import store_commands

        try:
            return getattr(store_commands, name)(_settings_from(args), args)
        except DatasetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    return run


def cmd_source(args: argparse.Namespace) -> int:
    """Adding a source (docs/adding-a-source.md); the work is in ``authoring``."""
    from . import authoring

    settings = _settings_from(args)
    if args.id_option and args.source_id and args.id_option != args.source_id:
        print("error: give the source id once (ID or --id ID)", file=sys.stderr)
        return EXIT_ERROR
    args.source_id = args.source_id or args.id_option
    if not args.source_id:
        print(f"error: 'source {args.action}' needs the source id (ID or --id ID)", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.action == "new":
            missing = [f"--{name}" for name in ("text", "title", "author", "publisher", "issued")
                       if getattr(args, name) is None]
            if missing:
                raise authoring.AuthoringError(f"'source new' needs {', '.join(missing)}")
            record = authoring.Record(args.source_id, args.title, args.author, args.publisher, args.issued,
                                      args.url, args.language, args.citation)
            target = authoring.new_source(settings, record, Path(args.text))
            print(f"created {target} (source.ttl, quotes.ttl, interpretations/); the text is "
                  f"{settings.source_texts_dir / (args.source_id + (Path(args.text).suffix or '.txt'))}")
            return EXIT_OK
        if args.action == "context":
            fill = authoring.fill_contexts if args.fill else authoring.check_contexts
            checks = fill(settings, args.source_id, args.width)
            for check in checks:
                if check.status != "ok":
                    print(f"{check.status:10} {check.quote}  ({check.path.name})")
            counts = {s: sum(c.status == s for c in checks) for s in ("ok", "filled", "missing", "different",
                                                                       "not found")}
            print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no quotes")
            if counts["not found"]:
                return EXIT_ERROR
            return EXIT_NONCONFORMING if counts["missing"] or counts["different"] else EXIT_OK
        coverage = authoring.uncovered_sentences(settings, args.source_id)
        for number, sentence in coverage.uncovered:
            print(f"{number:4}  {sentence}")
        print(f"{len(coverage.uncovered)} of {len(coverage.sentences)} sentences have no quote")
        return EXIT_OK
    except authoring.AuthoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


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
    _add_settings(p, "build", "store")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("serve", help="serve the built data: SPARQL endpoint, query UI, Linked Data pages")
    _add_settings(p, "serve", "store")
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
    _add_settings(p, "network", "store")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("merge", help="merge RDF files into the on-disk store, each as its own named graph")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--name", help="the source's name (default: from the file name)")
    p.add_argument("--format", help="RDF format, overriding the file extension")
    p.add_argument("--mapping", metavar="FILE|NAME", help="map tab-separated event data (.tsv) to RDF with this "
                   "mapping: a TOML file, or a shipped one by name (icews-events, gdelt-events; queries/mappings/)")
    p.add_argument("--strict", action="store_true", help="reject a source that does not conform to the shapes")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="show a progress bar")
    p.add_argument("--align", action=argparse.BooleanOptionalAction, default=True,
                   help="after merging, align the merged sources with the curated graph and print the merge report")
    p.add_argument("--report-json", type=Path, metavar="FILE", help="also write the merge report as JSON to FILE")
    _add_settings(p, "merge", "store")
    p.set_defaults(func=_store_command("cmd_merge"))

    p = sub.add_parser("align", help="(re)align the merged sources with the curated graph and print the merge report")
    p.add_argument("--report-json", type=Path, metavar="FILE", help="also write the merge report as JSON to FILE")
    _add_settings(p, "merge", "store")
    p.set_defaults(func=_store_command("cmd_align"))

    p = sub.add_parser("sources", help="list, show or remove merged sources")
    p.add_argument("action", choices=("list", "show", "remove"))
    p.add_argument("source", nargs="?")
    _add_settings(p, "merge", "store")
    p.set_defaults(func=_store_command("cmd_sources"))

    p = sub.add_parser("push", help="copy every named graph to a triple store (Graph Store Protocol, "
                                    "falling back to SPARQL Update)")
    p.add_argument("--to", required=True, help="the store's Graph Store Protocol endpoint, e.g. "
                   "http://127.0.0.1:7878/store (Oxigraph) or http://host:3030/ds/data (Fuseki)")
    p.add_argument("--update-endpoint", help="its SPARQL Update endpoint (default: derived from --to)")
    p.add_argument("--auth", help="user:password (HTTP Basic) or bearer:TOKEN")
    _add_settings(p, "merge", "store")
    p.set_defaults(func=_store_command("cmd_push"))

    p = sub.add_parser("source", help="add a source: lay out its directory, fill in its quotes' context, "
                                      "list what no quote covers (docs/adding-a-source.md)")
    p.add_argument("action", choices=("new", "context", "uncovered"),
                   help="new: lay out graphs/sources/ID with its record; context: check (or --fill) every "
                        "quote's oa:prefix and oa:suffix from the text; uncovered: the sentences no quote covers")
    p.add_argument("source_id", metavar="ID", nargs="?", help="the source id, such as avim-2013-23")
    p.add_argument("--id", dest="id_option", metavar="ID", help="the source id (same as the positional ID)")
    p.add_argument("--text", help="new: the source's text (UTF-8), copied into the source texts directory")
    p.add_argument("--title", help="new: the title")
    p.add_argument("--author", help="new: the author's name")
    p.add_argument("--publisher", help="new: the publisher's name")
    p.add_argument("--issued", help="new: the date of publication, YYYY-MM-DD")
    p.add_argument("--url", help="new: where the source is published")
    p.add_argument("--language", default="en", help="new: the language of the text (default en)")
    p.add_argument("--citation", help="new: the citation (default: made from the other fields)")
    p.add_argument("--fill", action="store_true", help="context: write the prefix and suffix into the files")
    p.add_argument("--width", type=int, default=32, help="context: characters of context on each side (32)")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_source)

    p = sub.add_parser("store", help="where the one dataset lives: path, status, or reset (start over)")
    p.add_argument("action", choices=("path", "status", "reset"))
    p.add_argument("--yes", action="store_true", help="reset: really delete the store's contents")
    _add_settings(p, "store")
    p.set_defaults(func=_store_command("cmd_store"))

    p = sub.add_parser("stats", help="print counts of the data in the store")
    _add_settings(p, "build", "store")
    p.set_defaults(func=cmd_stats)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (`eurasia-kg stats | head`): stop quietly, as the Python docs advise,
        # sending what is left of the output to devnull so the interpreter's final flush cannot fail.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1  # as the recipe in the Python docs does


if __name__ == "__main__":
    sys.exit(main())
