"""The ``eurasia-kg`` command line. Exit codes follow pySHACL: 0 ok/conforms, 1 does not conform, 2 error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rdflib import Graph

from . import __version__, build, loader, store, validation
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
        if setting.scope not in scopes and setting.name not in ("root", "dist"):
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

    p = sub.add_parser("stats", help="print counts of the built data")
    _add_settings(p, "build")
    p.set_defaults(func=cmd_stats)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
