"""Merging other datasets into an on-disk pyoxigraph store, all or nothing.

Each merged source goes into its own named graph (``MERGED_BASE + name``); its description
(DCAT and PROV: name, file, SHA-256, time, triple count, licence) goes into the merge metadata
graph. A merge is one transaction (``Store.extend``): a parse error at line 90,000, a full disk
or a kill leaves the store as it was. Hostile input is refused before parsing: XML entity
declarations (XXE, expansion bombs), remote JSON-LD contexts (pyoxigraph has no loader for
them and fails, so nothing is fetched), files over the size limit.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import GRAPH_BASE
from .loader import DataFileError, format_of

MERGED_BASE = "https://w3id.org/eurasia-kg/merged/"
MERGE_METADATA_GRAPH = MERGED_BASE + "_metadata"
ALIGNMENT_GRAPH = MERGED_BASE + "_alignment"
SOURCE_BASE = "https://w3id.org/eurasia-kg/id/merged-source/"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
XML_DECLARATIONS = re.compile(rb"<!(?:ENTITY|DOCTYPE)", re.IGNORECASE)
LICENSE_PREDICATES = ("http://purl.org/dc/terms/license", "https://schema.org/license", "http://schema.org/license",
                      "http://creativecommons.org/ns#license", "http://purl.org/dc/terms/rights")

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
EKG = "https://w3id.org/eurasia-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


class MergeError(Exception):
    """A refused or failed merge; the message names the file and the reason. Nothing was written."""


@dataclass
class SourceRecord:
    name: str
    graph: str
    file: str
    sha256: str
    triples: int
    merged_at: str
    license: str | None = None
    conforms: bool | None = None
    violations: int = 0


@dataclass
class MergeResult:
    record: SourceRecord
    changed: bool
    messages: list[str] = field(default_factory=list)


def source_graph(name: str) -> str:
    return MERGED_BASE + name


def default_name(path: Path) -> str:
    stem = path.name.lower()
    for suffix in reversed(path.suffixes):
        stem = stem.removesuffix(suffix.lower())
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-") or "source"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise MergeError(f"source name {name!r} must be lower-case letters, digits, '.', '_' or '-' (max 81)")
    return name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Progress(io.RawIOBase):
    """A file wrapper that reports how far the parser has read, for the progress bar."""

    def __init__(self, raw, total: int, report: Callable[[int, int], None]):
        self.raw, self.total, self.report, self.done, self._last = raw, total, report, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self.done - self._last >= (1 << 22) or not data:
            self._last = self.done
            self.report(self.done, self.total)
        return len(data)


def progress_bar(done: int, total: int) -> None:
    if total <= 0:
        return
    share = min(1.0, done / total)
    sys.stderr.write(f"\r  [{'#' * int(share * 30):<30}] {share:6.1%} of {total / 1e6:.1f} MB")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def refuse_hostile(path: Path, fmt: ox.RdfFormat, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise MergeError(f"{path}: refused: the file is {size} bytes, over the limit of {max_bytes} "
                         "(setting max_merge_bytes)")
    if fmt == ox.RdfFormat.RDF_XML:
        head = _open(path).read(65536)
        if XML_DECLARATIONS.search(head):
            raise MergeError(f"{path}: refused: RDF/XML with a DOCTYPE or entity declarations is not accepted "
                             "(external entities could read local files; nested entities can exhaust memory)")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def _quads(path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode, counter: list[int],
           report: Callable[[int, int], None] | None) -> Iterator[ox.Quad]:
    size = path.stat().st_size
    raw = _open(path)
    stream = io.BufferedReader(_Progress(raw, size, report)) if report else raw
    try:
        for item in ox.parse(stream, format=fmt, base_iri=path.resolve().as_uri()):
            triple = item.triple if isinstance(item, ox.Quad) else item
            counter[0] += 1
            yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
    finally:
        raw.close()


def read_sources(store: ox.Store) -> dict[str, SourceRecord]:
    query = f"""
        SELECT ?name ?graph ?file ?sha ?n ?time ?license ?conforms ?violations WHERE {{
          GRAPH <{MERGE_METADATA_GRAPH}> {{
            ?s a <{DCAT}Dataset> ; <{DCT}identifier> ?name ; <{EKG}mergedIntoGraph> ?graph ;
               <{DCT}source> ?file ; <{EKG}sha256> ?sha ; <http://rdfs.org/ns/void#triples> ?n ;
               <{PROV}generatedAtTime> ?time .
            OPTIONAL {{ ?s <{DCT}license> ?license }}
            OPTIONAL {{ ?s <{EKG}conforms> ?conforms }}
            OPTIONAL {{ ?s <{EKG}violations> ?violations }}
          }} }} ORDER BY ?name"""
    records = {}
    for row in store.query(query):
        records[row["name"].value] = SourceRecord(
            row["name"].value, row["graph"].value, row["file"].value, row["sha"].value, int(row["n"].value),
            row["time"].value, row["license"].value if row["license"] else None,
            row["conforms"].value == "true" if row["conforms"] else None,
            int(row["violations"].value) if row["violations"] else 0)
    return records


def _metadata_quads(record: SourceRecord) -> list[ox.Quad]:
    g = ox.NamedNode(MERGE_METADATA_GRAPH)
    s = ox.NamedNode(SOURCE_BASE + record.name)
    lit, nn = ox.Literal, ox.NamedNode
    quads = [
        ox.Quad(s, RDF_TYPE, nn(DCAT + "Dataset"), g),
        ox.Quad(s, RDF_TYPE, nn(PROV + "Entity"), g),
        ox.Quad(s, RDFS_LABEL, lit(f"Merged source {record.name}", language="en"), g),
        ox.Quad(s, nn(DCT + "identifier"), lit(record.name), g),
        ox.Quad(s, nn(EKG + "mergedIntoGraph"), nn(record.graph), g),
        ox.Quad(s, nn(DCT + "source"), lit(record.file), g),
        ox.Quad(s, nn(EKG + "sha256"), lit(record.sha256), g),
        ox.Quad(s, nn("http://rdfs.org/ns/void#triples"), lit(str(record.triples), datatype=nn(XSD + "integer")), g),
        ox.Quad(s, nn(PROV + "generatedAtTime"), lit(record.merged_at, datatype=nn(XSD + "dateTime")), g),
    ]
    if record.license:
        quads.append(ox.Quad(s, nn(DCT + "license"), _license_term(record.license), g))
    if record.conforms is not None:
        quads.append(ox.Quad(s, nn(EKG + "conforms"),
                             lit(str(record.conforms).lower(), datatype=nn(XSD + "boolean")), g))
        quads.append(ox.Quad(s, nn(EKG + "violations"), lit(str(record.violations), datatype=nn(XSD + "integer")), g))
    return quads


def _license_term(value: str):
    return ox.NamedNode(value) if value.startswith(("http://", "https://")) else ox.Literal(value)


def find_license(store: ox.Store, graph: str) -> str | None:
    values = ", ".join(f"<{p}>" for p in LICENSE_PREDICATES)
    for row in store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s ?p ?l FILTER(?p IN ({values})) }} }} LIMIT 1"):
        return row["l"].value
    return None


def merge_file(store: ox.Store, path: Path, name: str | None = None, fmt_override: str | None = None,
               max_bytes: int = 2_000_000_000, progress: Callable[[int, int], None] | None = None,
               validate: Callable[[str], tuple[bool, int, str]] | None = None,
               strict: bool = False, validate_max_bytes: int = 50_000_000) -> MergeResult:
    """Merge one file as one source. Raises MergeError, with the store unchanged, on any refusal."""
    path = Path(path)
    if not path.is_file():
        raise MergeError(f"{path}: no such file")
    name = check_name(name or default_name(path))
    try:
        _, fmt = format_of(path, fmt_override)
    except DataFileError as exc:
        raise MergeError(str(exc)) from exc
    refuse_hostile(path, fmt, max_bytes)
    digest = sha256_of(path)
    existing = read_sources(store).get(name)
    if existing is not None:
        if existing.sha256 == digest:
            return MergeResult(existing, changed=False, messages=[f"{name}: unchanged (same SHA-256); nothing to do"])
        raise MergeError(f"{path}: a source named {name!r} already holds other data; "
                         f"remove it first ('eurasia-kg sources remove {name}') or choose another --name")
    graph = source_graph(name)
    if graph.startswith(GRAPH_BASE):
        raise MergeError(f"{path}: merged data may not go into a curated graph")
    record = SourceRecord(name, graph, str(path.resolve()), digest, 0,
                          dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    messages: list[str] = []
    if validate is not None:
        if path.stat().st_size > validate_max_bytes:
            if strict:
                raise MergeError(f"{path}: rejected (--strict): too large to validate "
                                 f"({path.stat().st_size} bytes > {validate_max_bytes})")
            messages.append(f"{name}: not validated: larger than {validate_max_bytes} bytes")
        else:
            conforms, violations, summary = validate(_ntriples(path, fmt))
            record.conforms, record.violations = conforms, violations
            if not conforms:
                if strict:
                    raise MergeError(f"{path}: rejected (--strict): it does not conform to the shapes "
                                     f"({violations} violations)\n{summary}")
                messages.append(f"{name}: kept but flagged: {violations} SHACL violations\n{summary}")
    counter = [0]
    licence: list[str] = []

    def stream() -> Iterator[ox.Quad]:
        for quad in _quads(path, fmt, ox.NamedNode(graph), counter, progress):
            if not licence and quad.predicate.value in LICENSE_PREDICATES:
                licence.append(quad.object.value)
            yield quad
        if counter[0] == 0:
            raise MergeError(f"{path}: refused: the file holds no triples")
        record.triples = counter[0]
        record.license = licence[0] if licence else None
        yield from _metadata_quads(record)

    store.extend(stream())  # one transaction: the source and its description, or nothing
    store.flush()
    return MergeResult(record, changed=True, messages=messages)


def _ntriples(path: Path, fmt: ox.RdfFormat) -> str:
    with _open(path) as handle:
        try:
            return ox.serialize(ox.parse(handle, format=fmt, base_iri=path.resolve().as_uri()),
                                format=ox.RdfFormat.N_TRIPLES).decode() if fmt not in (
                ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) else ox.serialize(
                (q.triple for q in ox.parse(handle, format=fmt, base_iri=path.resolve().as_uri())),
                format=ox.RdfFormat.N_TRIPLES).decode()
        except SyntaxError as exc:
            line = f":{exc.lineno}" if exc.lineno else ""
            raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc


def remove_source(store: ox.Store, name: str) -> SourceRecord:
    records = read_sources(store)
    if name not in records:
        known = ", ".join(records) or "none"
        raise MergeError(f"no merged source named {name!r}; known sources: {known}")
    record = records[name]
    store.update(f"""DROP SILENT GRAPH <{record.graph}> ;
        DELETE WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ <{SOURCE_BASE}{name}> ?p ?o }} }} ;
        DELETE WHERE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?link <{EKG}alignedBy> <{SOURCE_BASE}{name}> ; ?p ?o }} }}""")
    store.flush()
    return record


def sync_curated(store: ox.Store, dist: Path) -> int:
    """Replace the curated graphs in the store by those of ``dist/`` (merged graphs are untouched)."""
    nquads = dist / "eurasia-kg.nq"
    if not nquads.is_file():
        raise MergeError(f"{nquads} does not exist; run 'eurasia-kg build' first")
    curated = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(GRAPH_BASE)]
    for graph in curated:
        store.remove_graph(graph)
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    return len(store)
