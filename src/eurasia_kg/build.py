"""The build: parse, check, derive calendar bounds, reason, validate, describe, write ``dist/``.

Nothing is written to ``dist/`` unless every step succeeds: outputs go to a temporary
directory that replaces ``dist/`` at the end. When no input changed, the build does nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Namespace

from . import __version__, loader
from .config import (
    INFERRED_FROM_INTERPRETATIONS_GRAPH,
    INFERRED_GRAPH,
    INTERPRETATIONS_DIR,
    METRICS_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_NS,
    PREFIXES,
    Settings,
)

EKG = Namespace(ONTOLOGY_NS)
OA = Namespace("http://www.w3.org/ns/oa#")
STATE_FILE = ".build-state.json"

if TYPE_CHECKING:
    import pyoxigraph as ox

    from . import validation


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
    inputs += [(p, "metadata") for p in [settings.metadata_file] if p.is_file()]
    inputs += [(p, "code") for p in sorted(Path(__file__).parent.rglob("*.py"))]
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

    # Imported here, after the no-op check, so that a build with nothing to do starts fast.
    from . import calendars, publish, reasoning, validation

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
        data = Graph()
        for item, graph in parsed:
            if item.graph != ONTOLOGY_GRAPH:
                data += graph
        derived, conflicts = calendars.derive_gregorian_bounds(data)
    if conflicts:
        raise BuildError("stated Gregorian bounds disagree with the calendar conversion:\n" + "\n".join(
            f"  {c.interval} {c.which}: stated {c.stated}, computed {c.computed}" for c in conflicts))
    report.warnings += check_quotes(data, settings.source_texts_dir)

    with timer.step("validate"):
        # The shapes see the data with the ontology's class hierarchy, but no entailment: a shape
        # must not pass because the reasoner typed a node from a property's range.
        data += derived
        data += ontology
        result = validation.validate(data, shapes)
    report.violations = result.violations
    if not result.conforms:
        raise BuildNotConforming(result)
    with timer.step("reason"):
        # One closure, extended by the interpretations: what rests on them goes to its own graph.
        stated = [g for item, g in parsed if item.graph != ONTOLOGY_GRAPH and not _is_interpretation(item.graph)]
        interpretations = Graph()
        for item, graph in parsed:
            if _is_interpretation(item.graph):
                interpretations += graph
        from_stated, from_all = (reasoning.infer_split(ontology, [*stated, derived], interpretations)
                                 if settings.reason else (Graph(), Graph()))
    inferred = from_stated + derived
    from_interpretations = Graph()
    for triple in from_all:
        if triple not in inferred and triple not in data:
            from_interpretations.add(triple)

    graphs = {ONTOLOGY_GRAPH: ontology, **asserted, INFERRED_GRAPH: inferred,
              INFERRED_FROM_INTERPRETATIONS_GRAPH: from_interpretations}
    with timer.step("network"):
        quads = publish.ox_quads(graphs)
        graphs[METRICS_GRAPH] = network_metrics(quads, settings, report, shapes, ontology)
        quads += publish.ox_quads({METRICS_GRAPH: graphs[METRICS_GRAPH]})

    with timer.step("describe"):
        report.class_counts = publish.class_counts([data, inferred])
        metadata = publish.describe(graphs, publish.load_record(settings.metadata_file),
                                    publish.class_counts(graphs.values()))

    with timer.step("write"):
        _write_dist(settings, graphs, quads, metadata, ontology, result, report, fingerprint, log)
    # The build writes dist/ and nothing else: the store picks the new build up when it is next
    # opened (dataset.sync), by any command or by the running server.
    return report


def _is_interpretation(graph: str) -> bool:
    return graph.rstrip("/").rsplit("/", 1)[-1] == INTERPRETATIONS_DIR


def network_metrics(quads: list[ox.Quad], settings: Settings, report: BuildReport, shapes: Graph,
                    ontology: Graph) -> Graph:
    """The default network measures, with their PROV record, checked against the shapes."""
    import pyoxigraph as ox

    from . import network, validation

    queries_dir = settings.queries_dir / "network"
    if not queries_dir.is_dir():
        report.warnings.append(f"{queries_dir} not found; no network measures computed")
        return Graph()
    store = ox.Store()
    store.bulk_extend(quads)
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


def check_quotes(data: Graph, texts_dir: Path) -> list[str]:
    """Quotes that do not occur in their source's text; a warning when the text is not at hand."""
    from . import quotes

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


def _write_dist(settings: Settings, graphs: dict[str, Graph], quads: list[ox.Quad], metadata: Graph, ontology: Graph,
                result: validation.ValidationResult, report: BuildReport, fingerprint: str,
                log: Callable[[str], None]) -> None:
    from . import jsonld, publish

    target = settings.dist_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dist-", dir=target.parent))
    try:
        report.graph_sizes = publish.write(staging, graphs, metadata, quads)
        (staging / "context.jsonld").write_bytes(jsonld.context_document())
        (staging / "ontology.ttl").write_bytes(publish.turtle(ontology))
        (staging / "void.ttl").write_bytes(publish.turtle(metadata))
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


def _bind(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def _write_ontology_docs(ontology: Graph, path: Path, report: BuildReport, log: Callable[[str], None]) -> None:
    """pyLODE's page of the ontology. pyLODE takes a concept scheme for the ontology itself (its
    title, its IRI), so it is given the OWL ontology without the schemes' typing."""
    from rdflib.namespace import RDF, SKOS

    document = _bind(Graph())
    for triple in ontology:
        if not (triple[1] == RDF.type and triple[2] == SKOS.ConceptScheme):
            document.add(triple)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        from pylode import OntPub
    except Exception as exc:
        report.warnings.append(f"pyLODE could not be loaded: {exc}")
        log(report.warnings[-1])
        return
    finally:  # pyLODE's import configures the root logger (DEBUG, to stderr): undo it
        root.handlers[:] = handlers
        root.setLevel(level)
    try:
        OntPub(ontology=document).make_html(destination=str(path))
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
