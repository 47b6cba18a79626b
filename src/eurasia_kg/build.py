"""The build: parse, check, derive calendar bounds, reason, validate, describe, write ``dist/``.

Nothing is written to ``dist/`` unless every step succeeds: outputs go to a temporary
directory that replaces ``dist/`` at the end. When no input changed, the build does nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, VOID, XSD

from . import __version__, calendars, loader, network, quotes, reasoning, validation
from .config import (
    DATASET_IRI,
    INFERRED_FROM_INTERPRETATIONS_GRAPH,
    INFERRED_GRAPH,
    INTERPRETATIONS_DIR,
    METADATA_GRAPH,
    METRICS_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    ONTOLOGY_NS,
    PREFIXES,
    Settings,
)

EKG = Namespace(ONTOLOGY_NS)
OA = Namespace("http://www.w3.org/ns/oa#")
STATE_FILE = ".build-state.json"
DOWNLOAD_BASE = "https://w3id.org/eurasia-kg/download/"

# Dump file name -> (pyoxigraph format, media type, whether it keeps named graphs).
DUMPS: dict[str, tuple[ox.RdfFormat, str, bool]] = {
    "eurasia-kg.nq": (ox.RdfFormat.N_QUADS, "application/n-quads", True),
    "eurasia-kg.trig": (ox.RdfFormat.TRIG, "application/trig", True),
    "eurasia-kg.ttl": (ox.RdfFormat.TURTLE, "text/turtle", False),
    "eurasia-kg.nt": (ox.RdfFormat.N_TRIPLES, "application/n-triples", False),
    "eurasia-kg.jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json", False),
}


class BuildError(Exception):
    """The build cannot go on; the message says why, with file and line where known."""


class BuildNotConforming(BuildError):
    def __init__(self, result: validation.ValidationResult):
        self.result = result
        super().__init__(f"the graph does not conform to its shapes ({result.violations} violations)")


@dataclass
class BuildReport:
    changed: bool
    dist: Path
    timings: dict[str, float] = field(default_factory=dict)
    graph_sizes: dict[str, int] = field(default_factory=dict)
    class_counts: dict[str, int] = field(default_factory=dict)
    violations: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.changed:
            return f"Nothing changed since the last build; {self.dist} is up to date."
        lines = [f"Built {self.dist}", "Triples per named graph:"]
        lines += [f"  {n:>6}  {g}" for g, n in sorted(self.graph_sizes.items())]
        lines.append("Entities per class (asserted and inferred):")
        lines += [f"  {n:>6}  ekg:{c}" for c, n in sorted(self.class_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        lines.append(f"SHACL violations: {self.violations}")
        lines += [f"Warning: {w}" for w in self.warnings]
        lines.append("Timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {"changed": self.changed, "dist": str(self.dist), "timings": self.timings,
                "graph_sizes": self.graph_sizes, "class_counts": self.class_counts,
                "violations": self.violations, "warnings": self.warnings}


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)


def input_fingerprint(settings: Settings, files: list[loader.DataFile]) -> str:
    """A hash of everything the build reads, including the package's own code."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": __version__, "reason": settings.reason, "pylode": settings.pylode,
                              "roots": [str(r) for r in settings.graph_roots]}).encode())
    inputs = [(f.path, f.graph) for f in files]
    inputs += [(p, "shapes") for p in loader.rdf_files(settings.shapes_dir)]
    inputs += [(p, "network") for p in sorted((settings.queries_dir / "network").glob("*.rq"))]
    inputs += [(p, "code") for p in sorted(Path(__file__).parent.glob("*.py"))]
    for path, role in inputs:
        digest.update(f"{role}\0{path}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_up_to_date(settings: Settings, fingerprint: str) -> bool:
    state = settings.dist_dir / STATE_FILE
    if not state.is_file():
        return False
    try:
        recorded = json.loads(state.read_text())
    except ValueError:
        return False
    return recorded.get("fingerprint") == fingerprint and all(
        (settings.dist_dir / name).is_file() for name in recorded.get("outputs", []))


def build(settings: Settings, force: bool = False, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Run the whole build. Raises BuildError (or BuildNotConforming) and leaves ``dist/`` untouched on failure."""
    timer = _Timer()
    with timer.step("discover"):
        files = loader.discover(settings.ontology_dir, settings.graph_roots)
        fingerprint = input_fingerprint(settings, files)
    if not force and is_up_to_date(settings, fingerprint):
        return BuildReport(changed=False, dist=settings.dist_dir, timings=timer.timings)

    with timer.step("parse"):
        try:
            parsed = loader.load_files(files)
            shapes = validation.load_shapes(settings.shapes_dir)
        except loader.DataFileError as exc:
            raise BuildError(str(exc)) from exc
    ontology, asserted = _split(parsed)
    unknown = loader.unknown_terms(parsed, ontology)
    if unknown:
        raise BuildError("terms not declared in the ontology:\n" + "\n".join(
            f"  {u.path}: {u.role} <{u.term}>" for u in unknown))
    report = BuildReport(changed=True, dist=settings.dist_dir, timings=timer.timings)

    with timer.step("calendar"):
        data = _union(g for item, g in parsed if item.graph != ONTOLOGY_GRAPH)
        derived, conflicts = calendars.derive_gregorian_bounds(data)
    if conflicts:
        raise BuildError("stated Gregorian bounds disagree with the calendar conversion:\n" + "\n".join(
            f"  {c.interval} {c.which}: stated {c.stated}, computed {c.computed}" for c in conflicts))
    report.warnings += check_quotes(data, settings.source_texts_dir)

    stated = _union(g for item, g in parsed if item.graph != ONTOLOGY_GRAPH and not _is_interpretation(item.graph))
    with timer.step("validate+reason"), _reasoner(settings.reason, ontology, stated, data, derived) as pending:
        result = validation.validate(_union([data, derived]), shapes, ontology)
        report.violations = result.violations
        if not result.conforms:
            raise BuildNotConforming(result)
        from_stated, from_all = pending()
    inferred = _union([from_stated, derived])
    from_interpretations = Graph()
    for triple in from_all:
        if triple not in inferred and triple not in data:
            from_interpretations.add(triple)

    dataset = _assemble(ontology, asserted, inferred)
    _add_graph(dataset, INFERRED_FROM_INTERPRETATIONS_GRAPH, from_interpretations)
    with timer.step("network"):
        metrics = network_metrics(dataset, settings, report, shapes, ontology)
        _add_graph(dataset, METRICS_GRAPH, metrics)

    with timer.step("describe"):
        metadata = describe(dataset, ontology)
        _add_graph(dataset, METADATA_GRAPH, metadata)
        report.graph_sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
        report.class_counts = class_counts(_union([ontology, data, inferred]))

    with timer.step("write"):
        _write_dist(settings, dataset, ontology, result, report, fingerprint, log)
    # The build writes dist/ and nothing else: the store picks the new build up when it is next
    # opened (dataset.sync), by any command or by the running server.
    return report


_FORK_INPUT: dict[str, tuple[Graph, ...]] = {}


def _is_interpretation(graph: str) -> bool:
    return graph.rstrip("/").rsplit("/", 1)[-1] == INTERPRETATIONS_DIR


def _reason_in_child(task: str) -> str:
    return reasoning.infer(*_FORK_INPUT[task]).serialize(format="nt")


@contextmanager
def _reasoner(enabled: bool, ontology: Graph, stated: Graph, data: Graph,
              derived: Graph) -> Iterator[Callable[[], tuple[Graph, Graph]]]:
    """Reason twice, over what the sources state and over that plus interpretations, so that
    entailments resting on an interpretation can be kept in their own graph. Both run in forked
    processes while the parent validates (the steps are independent). Without fork, run here."""
    global _FORK_INPUT
    tasks = {"stated": (ontology, stated, derived), "all": (ontology, data, derived)}
    if not enabled:
        yield lambda: (Graph(), Graph())
        return
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: (reasoning.infer(*tasks["stated"]), reasoning.infer(*tasks["all"]))
        return
    _FORK_INPUT = tasks
    pool = multiprocessing.get_context("fork").Pool(2)
    try:
        pending = {name: pool.apply_async(_reason_in_child, (name,)) for name in tasks}
        yield lambda: tuple(Graph().parse(data=pending[name].get(), format="nt") for name in ("stated", "all"))
    finally:
        _FORK_INPUT = {}
        pool.terminate()
        pool.join()


def network_metrics(dataset: Dataset, settings: Settings, report: BuildReport, shapes: Graph,
                    ontology: Graph) -> Graph:
    """The default network measures, with their PROV record, checked against the shapes."""
    queries_dir = settings.queries_dir / "network"
    if not queries_dir.is_dir():
        report.warnings.append(f"{queries_dir} not found; no network measures computed")
        return Graph()
    store = ox.Store()
    store.bulk_extend(_to_quads(dataset))
    built = network.build_network(network.store_select(store), network.load_queries(queries_dir),
                                  network.Options())
    results = network.compute_measures(built.graph)
    triples = network.to_rdf(built, results, dt.datetime.now(dt.UTC).replace(microsecond=0))
    graph = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    checked = validation.validate(graph, shapes, ontology)
    if not checked.conforms:
        raise BuildNotConforming(checked)
    return graph


def _split(parsed: list[tuple[loader.DataFile, Graph]]) -> tuple[Graph, dict[str, Graph]]:
    ontology = Graph()
    asserted: dict[str, Graph] = {}
    for item, graph in parsed:
        target = ontology if item.graph == ONTOLOGY_GRAPH else asserted.setdefault(item.graph, Graph())
        for triple in graph:
            target.add(triple)
    return ontology, asserted


def _union(graphs) -> Graph:
    union = Graph()
    for graph in graphs:
        for triple in graph:
            union.add(triple)
    return union


def _add_graph(dataset: Dataset, name: str, graph: Graph) -> None:
    target = dataset.graph(URIRef(name))
    for triple in graph:
        target.add(triple)


def _assemble(ontology: Graph, asserted: dict[str, Graph], inferred: Graph) -> Dataset:
    dataset = Dataset()
    _add_graph(dataset, ONTOLOGY_GRAPH, ontology)
    for name, graph in asserted.items():
        _add_graph(dataset, name, graph)
    _add_graph(dataset, INFERRED_GRAPH, inferred)
    return dataset


def class_counts(graph: Graph) -> dict[str, int]:
    counts: Counter = Counter()
    for subject, cls in graph.subject_objects(RDF.type):
        if isinstance(cls, URIRef) and str(cls).startswith(ONTOLOGY_NS) and not str(subject).startswith(ONTOLOGY_NS):
            counts[str(cls)[len(ONTOLOGY_NS):]] += 1
    return dict(counts)


def check_quotes(data: Graph, texts_dir: Path) -> list[str]:
    """Quotes that do not occur in their source's text; a warning when the text is not at hand."""
    problems: list[str] = []
    for source, filename in data.subject_objects(EKG.textFile):
        path = texts_dir / str(filename)
        if not path.is_file():
            problems.append(f"source text {path} not found; quotes of <{source}> not checked")
            continue
        text = path.read_text(encoding="utf-8")
        for quote in data.subjects(OA.hasSource, source):
            for selector in data.objects(quote, OA.hasSelector):
                exact = str(data.value(selector, OA.exact) or "")
                check = quotes.check_quote(text, str(quote), exact, str(data.value(selector, OA.prefix) or ""),
                                           str(data.value(selector, OA.suffix) or ""))
                if not check.found:
                    raise BuildError(f"quote <{quote}> does not occur in {path}: {exact[:80]!r}")
                if not check.context_found:
                    problems.append(f"quote <{quote}>: prefix/suffix do not match {path}")
    return problems


def describe(dataset: Dataset, ontology: Graph) -> Graph:
    """VoID and DCAT description of the dataset, with triple counts per named graph and per class."""
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS)):
        g.bind(prefix, ns)
    ds = URIRef(DATASET_IRI)
    total = sum(len(graph) for graph in dataset.graphs())
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("eurasia-kg: relations between Iran and Russia", lang="en")))
    g.add((ds, RDFS.label, Literal("eurasia-kg dataset", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "A knowledge graph of Iran–Russia relations built from cited sources, each fact linked to the exact "
        "quote it comes from.", lang="en")))
    g.add((ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((ds, DCTERMS.modified, Literal(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                                         datatype=XSD.dateTime)))
    g.add((ds, VOID.triples, Literal(total)))
    g.add((ds, VOID.uriSpace, Literal("https://w3id.org/eurasia-kg/id/")))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_NS)))
    g.add((ds, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)))
    for source in {s for graph in dataset.graphs() for s in graph.subjects(RDF.type, EKG.SourceDocument)}:
        g.add((ds, DCTERMS.source, source))
    for graph in dataset.graphs():
        if len(graph) and isinstance(graph.identifier, URIRef) and str(graph.identifier) != METADATA_GRAPH:
            g.add((ds, VOID.subset, graph.identifier))
            g.add((graph.identifier, RDF.type, VOID.Dataset))
            g.add((graph.identifier, VOID.triples, Literal(len(graph))))
    union = _union(dataset.graphs())
    for cls, count in sorted(class_counts(union).items()):
        part = URIRef(f"{DATASET_IRI}/class/{cls}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], EKG[cls]))
        g.add((part, VOID.entities, Literal(count)))
    for name, (_, media_type, _) in DUMPS.items():
        dist = URIRef(DOWNLOAD_BASE + name)
        g.add((ds, DCAT.distribution, dist))
        g.add((ds, VOID.dataDump, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.mediaType, Literal(media_type)))
    return g


def _to_quads(dataset: Dataset) -> list[ox.Quad]:
    # rdflib writes N-Quads; pyoxigraph parses them back and serialises every other format fast.
    data = dataset.serialize(format="nquads", encoding="utf-8")
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))


def _write_dist(settings: Settings, dataset: Dataset, ontology: Graph, result: validation.ValidationResult,
                report: BuildReport, fingerprint: str, log: Callable[[str], None]) -> None:
    target = settings.dist_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dist-", dir=target.parent))
    try:
        quads = _to_quads(dataset)
        triples = list({q.triple for q in quads})
        for name, (fmt, _, keeps_graphs) in DUMPS.items():
            items = quads if keeps_graphs else triples
            (staging / name).write_bytes(ox.serialize(items, format=fmt, prefixes=_prefixes(fmt)))
        ontology.serialize(staging / "ontology.ttl", format="turtle")
        metadata = dataset.graph(URIRef(METADATA_GRAPH))
        _bind(metadata).serialize(staging / "void.ttl", format="turtle")
        _bind(result.report).serialize(staging / "shacl-report.ttl", format="turtle")
        (staging / "shacl-summary.txt").write_text(result.summary() + "\n", encoding="utf-8")
        if settings.pylode:
            _write_ontology_docs(ontology, staging / "ontology.html", report, log)
        (staging / "build.json").write_text(json.dumps(report.as_json(), indent=2), encoding="utf-8")
        outputs = sorted(p.name for p in staging.iterdir())
        (staging / STATE_FILE).write_text(json.dumps({"fingerprint": fingerprint, "outputs": outputs}))
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _prefixes(fmt: ox.RdfFormat) -> dict[str, str] | None:
    return PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None


def _bind(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    return graph


def _write_ontology_docs(ontology: Graph, path: Path, report: BuildReport, log: Callable[[str], None]) -> None:
    try:
        from pylode import OntPub

        OntPub(ontology=ontology).make_html(destination=str(path))
    except Exception as exc:  # pyLODE is optional output; the graph itself is still valid
        report.warnings.append(f"pyLODE could not document the ontology: {exc}")
        log(report.warnings[-1])


def _replace_dir(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
