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
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import GRAPH_BASE
from .loader import DataFileError, format_of, xml_declares_entities

MERGED_BASE = "https://w3id.org/eurasia-kg/merged/"
MERGE_METADATA_GRAPH = MERGED_BASE + "_metadata"
ALIGNMENT_GRAPH = MERGED_BASE + "_alignment"
SOURCE_BASE = "https://w3id.org/eurasia-kg/id/merged-source/"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
LICENSE_PREDICATES = ("http://purl.org/dc/terms/license", "https://schema.org/license", "http://schema.org/license",
                      "http://creativecommons.org/ns#license", "http://purl.org/dc/terms/rights")

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
EKG = "https://w3id.org/eurasia-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"


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
        with _open(path) as handle:
            hostile = xml_declares_entities(iter(lambda: handle.read(1 << 20), b""))
        if hostile:
            raise MergeError(f"{path}: refused: RDF/XML with a DOCTYPE or entity declarations is not accepted "
                             "(external entities could read local files; nested entities can exhaust memory)")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


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
    for predicate in LICENSE_PREDICATES:  # one index lookup each, not a scan of the source
        for row in store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?l }} }} LIMIT 1"):
            return row["l"].value
    return None

def _backup_dir(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + ".before-merge")


def _marker(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + ".merge-in-progress")


def recover(store_dir: Path) -> bool:
    """Undo a merge that was interrupted (killed, power cut): put the pre-merge checkpoint back."""
    marker, backup = _marker(store_dir), _backup_dir(store_dir)
    if not marker.exists():
        if backup.exists():
            shutil.rmtree(backup)
        return False
    if backup.is_dir():
        if store_dir.exists():
            shutil.rmtree(store_dir)
        backup.rename(store_dir)
    marker.unlink()
    return True


def open_store(store_dir: Path) -> ox.Store:
    """The on-disk store, after undoing any interrupted merge."""
    store_dir = Path(store_dir)
    recover(store_dir)
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    return ox.Store(str(store_dir))


class MergeStore:
    """The store for one merge: a RocksDB checkpoint is taken first (hard links, cheap), the data
    is bulk-loaded, and on any failure the checkpoint replaces the store. A marker file makes a
    kill in mid-merge recoverable: the next ``open_store`` restores the checkpoint."""

    def __init__(self, store_dir: Path):
        self.dir = Path(store_dir)
        self.store = open_store(self.dir)

    def __enter__(self) -> MergeStore:
        backup = _backup_dir(self.dir)
        if backup.exists():
            shutil.rmtree(backup)
        self.store.flush()
        self.store.backup(str(backup))
        _marker(self.dir).write_text(str(backup))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.store.flush()
            _marker(self.dir).unlink()
            shutil.rmtree(_backup_dir(self.dir), ignore_errors=True)
            return
        # RocksDB releases its lock only when the last reference goes; the traceback's frames hold some.
        import gc
        import traceback

        traceback.clear_frames(tb)
        del self.store
        gc.collect()
        recover(self.dir)


def merge_file(store_dir: Path, path: Path, name: str | None = None, fmt_override: str | None = None,
               max_bytes: int = 2_000_000_000, progress: Callable[[int, int], None] | None = None,
               validate: Callable[[], Callable[[str], tuple[bool, int, str]]] | None = None,
               strict: bool = False) -> MergeResult:
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
    store = open_store(store_dir)
    existing = read_sources(store).get(name)
    if existing is not None:
        if existing.sha256 == digest:
            return MergeResult(existing, changed=False, messages=[f"{name}: unchanged (same SHA-256); nothing to do"])
        raise MergeError(f"{path}: a source named {name!r} already holds other data; "
                         f"remove it first ('eurasia-kg sources remove {name}') or choose another --name")
    graph = source_graph(name)
    del store
    record = SourceRecord(name, graph, str(path.resolve()), digest, 0,
                          dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    messages: list[str] = []
    try:
        return _merge_into(store_dir, path, fmt, graph, record, messages, progress, validate, strict)
    except OSError as exc:  # the checkpoint has been restored; say what failed, with the file
        raise MergeError(f"{path}: {exc.strerror or exc}; the store was restored to its state before the merge") \
            from exc


def _merge_into(store_dir: Path, path: Path, fmt: ox.RdfFormat, graph: str, record: SourceRecord,
                messages: list[str], progress, validate, strict: bool) -> MergeResult:
    name = record.name
    with MergeStore(store_dir) as handle:
        _load(handle.store, path, fmt, graph, progress)
        record.triples = _count(handle.store, graph)
        if record.triples == 0:
            raise MergeError(f"{path}: refused: the file holds no triples")
        record.license = find_license(handle.store, graph)
        if validate is not None:
            focus = _focus_ntriples(handle.store, graph)
            if focus:
                conforms, violations, summary = validate()(focus)
                record.conforms, record.violations = conforms, violations
                if not conforms:
                    if strict:
                        raise MergeError(f"{path}: rejected (--strict): it does not conform to the shapes "
                                         f"({violations} violations)\n{summary}")
                    messages.append(f"{name}: kept but flagged: {violations} SHACL violations\n{summary}")
            else:
                record.conforms, record.violations = True, 0
        handle.store.extend(_metadata_quads(record))
    return MergeResult(record, changed=True, messages=messages)


def _load(store: ox.Store, path: Path, fmt: ox.RdfFormat, graph: str,
          progress: Callable[[int, int], None] | None) -> None:
    size = path.stat().st_size
    raw = _open(path)
    stream = io.BufferedReader(_Progress(raw, size, progress)) if progress else raw
    base = path.resolve().as_uri()
    try:
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            # Named graphs of the file are folded into the source's graph.
            target = ox.NamedNode(graph)
            store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                              for q in ox.parse(stream, format=fmt, base_iri=base))
        else:
            store.bulk_load(stream, format=fmt, base_iri=base, to_graph=ox.NamedNode(graph))
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
    except OSError as exc:
        raise MergeError(f"{path}: {exc.strerror or exc}") from exc
    finally:
        raw.close()


def _count(store: ox.Store, graph: str) -> int:
    for row in store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
        return int(row["n"].value)
    return 0


def _focus_ntriples(store: ox.Store, graph: str) -> str:
    """The part of a source the shapes can apply to: resources typed with, or described by, terms of
    our ontology, with their statements. Empty for data that uses none of our terms."""
    # Our properties come from the ontology graph, so each is an index lookup rather than a scan.
    properties = " ".join(f"<{row['p'].value}>" for row in store.query(
        f"SELECT DISTINCT ?p WHERE {{ GRAPH <{GRAPH_BASE}ontology> {{ ?p a ?kind "
        f"FILTER(STRSTARTS(STR(?p), \"{EKG}\") && ?kind IN (<{OWL}ObjectProperty>, <{OWL}DatatypeProperty>)) }} }}"))
    by_property = f"UNION {{ VALUES ?q {{ {properties} }} ?s ?q ?x }}" if properties else ""
    result = store.query(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{
        {{ SELECT DISTINCT ?s WHERE {{ {{ ?s a ?t FILTER(STRSTARTS(STR(?t), "{EKG}")) }} {by_property} }} }}
        ?s ?p ?o }} }}""")
    triples = list(result)
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode() if triples else ""


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
