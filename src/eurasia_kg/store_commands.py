"""The command line of the one dataset: ``store path|status|reset``, ``merge``, ``sources``, ``align``
and ``push``. (``cli`` parses the arguments; this module does the work.)

Exit codes, for these as for ``validate``: 0 done (or conforms), 1 a source does not conform to the
shapes and ``--strict`` refused it, 2 an error (bad input, unreadable file, store unreachable).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import dataset, loader, merge
from .config import Settings
from .store import KnowledgeStore

EXIT_OK, EXIT_NONCONFORMING, EXIT_ERROR = 0, 1, 2


def error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def open_for_reading(settings: Settings) -> KnowledgeStore:
    """The one dataset as it is now (synced with dist/ first), for query, stats and network."""
    ds = dataset.open_dataset(settings)
    dataset.require_data(ds, settings.dist_dir)
    return KnowledgeStore(ds.reader())


# --- store ---------------------------------------------------------------------------------------

def cmd_store(settings: Settings, args: argparse.Namespace) -> int:
    ds = dataset.dataset_for(settings)
    if args.action == "path":
        print(ds.location)
        return EXIT_OK
    if args.action == "reset":
        if isinstance(ds, dataset.LocalDataset) and not ds.looks_like_a_store():
            return error(f"{ds.location} holds files that are not an eurasia-kg store; nothing was deleted")
        if not args.yes:
            return error(f"this deletes every merged source and the curated graphs in {ds.location}; "
                         "run again with --yes to go on (the curated graphs come back from dist/ by themselves)")
        ds.reset()
        print(f"reset {ds.location}: the store is empty; the next command reloads the curated graphs from "
              f"{settings.dist_dir}")
        return EXIT_OK
    return _status(settings, ds)


def _status(settings: Settings, ds: dataset.Dataset) -> int:
    reader = ds.reader()
    sources = merge.read_sources(reader)
    built = dataset.dist_fingerprint(settings.dist_dir)
    stored = dataset.stored_fingerprint(reader)
    print(f"store: {ds.location} ({ds.kind})")
    print(f"generation: {ds.generation() or 'none (empty)'}")
    size = ds.disk_bytes()
    if size is not None:
        print(f"on disk: {size / 1e6:.1f} MB")
    curated = dataset.curated_graphs(reader)
    print(f"curated graphs: {len(curated)}, from the build in {settings.dist_dir}: "
          + ("none yet" if stored is None else "up to date" if stored == built else
             "older than dist/ (the next command brings them up to date)" if built else "dist/ is gone"))
    print(f"merged sources: {len(sources)}")
    for record in sources.values():
        print(f"  {record.name}\t{record.triples} triples\t{record.file}")
    return EXIT_OK


# --- merge, sources, align -----------------------------------------------------------------------

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


def cmd_merge(settings: Settings, args: argparse.Namespace) -> int:
    if args.name and len(args.files) > 1:
        return error("--name names one source; merge several files one at a time, or without --name")
    ds = dataset.open_dataset(settings)
    if args.align and not dataset.curated_graphs(ds.reader()):
        print(f"warning: {ds.location} holds no curated graphs to align with (no build in {settings.dist_dir}); "
              "run 'eurasia-kg build'", file=sys.stderr)
    validator: list = []

    def check():  # shapes and pySHACL load only when a source uses our vocabulary
        if not validator:
            validator.append(_validator(settings))
        return validator[0]

    code = EXIT_OK
    reports = []
    for path in args.files:
        options = {"max_bytes": settings.max_merge_bytes, "progress": merge.progress_bar if args.progress else None,
                   "validate": check, "strict": args.strict, "align": args.align}
        try:
            if args.mapping or _tabular(path):
                result = _merge_tabular(ds, settings, path, args, options)
            else:
                result = merge.merge_file(ds, path, args.name, args.format, **options)
        except merge.MergeError as exc:
            print(f"error: {exc}\nnothing was changed in {ds.location}", file=sys.stderr)
            code = max(code, EXIT_NONCONFORMING if isinstance(exc, merge.NotConforming) else EXIT_ERROR)
            continue
        for message in result.messages:
            print(message)
        if result.changed:
            r = result.record
            print(f"merged {r.name}: {r.triples} triples into <{r.graph}>"
                  + ("" if r.conforms is None else f" (conforms: {str(r.conforms).lower()})"))
            if result.report is not None:
                print(result.report.text())
                reports.append(result.report)
    if args.report_json and reports:
        _write_report(args.report_json, _combine(reports))
    return code


def _tabular(path: Path) -> bool:
    return path.name.lower().removesuffix(".gz").endswith((".tsv", ".tab"))


def _merge_tabular(ds: dataset.Dataset, settings: Settings, path: Path, args: argparse.Namespace, options: dict):
    """Tab-separated event data (ICEWS, GDELT …), mapped to RDF by a declarative mapping, then merged."""
    from . import tabular

    mappings = settings.queries_dir / "mappings"
    if not args.mapping:
        known = ", ".join(str(p) for p in sorted(mappings.glob("*.toml"))) or "none found"
        raise merge.MergeError(f"{path}: a tab-separated file needs a mapping to RDF: give --mapping FILE "
                               f"(mappings shipped: {known}; docs/network.md)")
    mapping = Path(args.mapping)
    if not mapping.is_file() and (mappings / f"{args.mapping}.toml").is_file():
        mapping = mappings / f"{args.mapping}.toml"  # a shipped mapping by name: icews-events, gdelt-events
    if not mapping.is_file():
        raise merge.MergeError(f"{args.mapping}: no such mapping file (mappings shipped: "
                               f"{', '.join(p.stem for p in sorted(mappings.glob('*.toml')))})")
    try:
        return tabular.merge_tabular(ds, path, mapping, args.name, **options)
    except (tabular.TabularError, OSError) as exc:
        raise merge.MergeError(f"{path}: {exc}") from exc


def _combine(reports):
    from .alignment import Report

    combined = Report(reports[-1].generated)
    for report in reports:
        combined.sources += report.sources
        combined.matched += report.matched
        combined.candidates += report.candidates
        combined.new += report.new
        combined.conflicts += report.conflicts
        combined.unnamed.update(report.unnamed)
    return combined


def _write_report(path: Path, report) -> None:
    Path(path).write_text(report.to_json(), encoding="utf-8")
    print(f"wrote the merge report to {path}")


def cmd_align(settings: Settings, args: argparse.Namespace) -> int:
    from . import alignment

    ds = dataset.open_dataset(settings)
    if not dataset.curated_graphs(ds.reader()):
        print(f"warning: {ds.location} holds no curated graphs to align with; run 'eurasia-kg build'",
              file=sys.stderr)
    with ds.transaction() as writer:
        report = alignment.realign_all(writer)
    print(report.text())
    if args.report_json:
        _write_report(args.report_json, report)
    return EXIT_OK


def cmd_sources(settings: Settings, args: argparse.Namespace) -> int:
    ds = dataset.open_dataset(settings)
    records = merge.read_sources(ds.reader())
    if args.action == "list":
        for r in records.values():
            flag = "" if r.conforms in (None, True) else f"  [{r.violations} violations]"
            print(f"{r.name}\t{r.triples} triples\t{r.merged_at}\t{r.file}{flag}")
        if not records:
            print("no merged sources")
        return EXIT_OK
    if not args.source:
        return error(f"'sources {args.action}' needs a source name")
    try:
        if args.action == "show":
            if args.source not in records:
                raise merge.MergeError(f"no merged source named {args.source!r}; known sources: "
                                       f"{', '.join(records) or 'none'}")
            for key, value in records[args.source].__dict__.items():
                print(f"{key}: {value}")
        else:
            removed, realigned = merge.remove_source(ds, args.source)
            print(f"removed {removed.name} ({removed.triples} triples, <{removed.graph}>) and its alignment"
                  + (f"; realigned {', '.join(realigned)}, whose links rested on it" if realigned else ""))
    except merge.MergeError as exc:
        return error(str(exc))
    return EXIT_OK


def cmd_push(settings: Settings, args: argparse.Namespace) -> int:
    from . import remote

    ds = dataset.open_dataset(settings)
    reader = ds.reader()
    if not dataset.curated_graphs(reader) and not dataset.merged_graphs(reader):
        return error(f"nothing to push: the store at {ds.location} is empty and there is no build; "
                     "run 'eurasia-kg build' first")
    try:
        report = remote.push(iter(reader), args.to, args.update_endpoint, args.auth, log=lambda m: print(m))
    except remote.RemoteError as exc:
        return error(str(exc))
    methods = sorted(set(report.method.values()))
    print(f"pushed {len(report.graphs)} graphs, {sum(report.graphs.values())} triples from {ds.location} "
          f"to {args.to} ({', '.join(methods)})")
    return EXIT_OK
