"""Merging other datasets into the one dataset, all or nothing.

Each merged source goes into its own named graph (``MERGED_BASE + name``); its description
(DCAT and PROV: name, file, SHA-256, time, triple count, licence) goes into the merge metadata
graph. A merge — loading, validating, recording and aligning the source — is one transaction of
the dataset (see ``dataset.local``): a parse error at line 90,000, a full disk or a kill leaves
the store as it was, and readers see the whole source or none of it. Hostile input is refused
before parsing: XML entity declarations (XXE, expansion bombs), JSON-LD contexts that would be
fetched, files over the size limit. The same file merged under another name is reported by its
SHA-256 and not stored twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import ALIGNMENT_GRAPH, GRAPH_BASE, MERGE_METADATA_GRAPH, MERGED_BASE, SOURCE_BASE
from .dataset import Dataset, DatasetError, Reader, Writer
from .formats import DataFileError, format_of, jsonld_context_refusal, xml_declares_entities

__all__ = ["MERGED_BASE", "MERGE_METADATA_GRAPH", "ALIGNMENT_GRAPH", "SOURCE_BASE", "MergeError", "SourceRecord",
           "MergeResult", "merge_file", "remove_source", "read_sources", "source_graph", "default_name"]
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


class NotConforming(MergeError):
    """``--strict``: the source does not conform to the shapes (exit 1, like ``validate``). Nothing was written."""


class _Unchanged(Exception):
    """Raised inside a transaction to leave it without publishing anything."""


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
    report: object | None = None  # the source's alignment report (alignment.Report), when aligned


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


class _Digest(threading.Thread):
    """The SHA-256 of a file, computed in the background (or at once, when asked before it started)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True, name="merge-sha256")
        self.path, self.value, self.error = path, None, None

    def run(self) -> None:
        try:
            self.value = sha256_of(self.path)
        except OSError as exc:
            self.error = exc

    def result(self) -> str:
        if self.value is None and self.error is None:
            if self.is_alive():
                self.join()
            else:
                self.run()
        if self.error is not None:
            raise self.error
        return self.value

    def start(self) -> None:
        if self.value is None and not self.is_alive():
            super().start()


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
    """Refuse, before any parser sees it, a file too large, RDF/XML declaring entities, or JSON-LD
    whose context would have to be fetched."""
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
    if fmt == ox.RdfFormat.JSON_LD:
        with _open(path) as handle:
            reason = jsonld_context_refusal(handle.read())
        if reason is not None:
            message, line, column = reason
            where = f":{line}:{column}" if line is not None else ""
            raise MergeError(f"{path}{where}: {message}")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def read_sources(store: Reader) -> dict[str, SourceRecord]:
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


def find_license(store: Reader, graph: str) -> str | None:
    for predicate in LICENSE_PREDICATES:  # one index lookup each, not a scan of the source
        for row in store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?l }} }} LIMIT 1"):
            return row["l"].value
    return None


def merge_file(dataset: Dataset, path: Path, name: str | None = None, fmt_override: str | None = None,
               max_bytes: int = 2_000_000_000, progress: Callable[[int, int], None] | None = None,
               validate: Callable[[], Callable[[str], tuple[bool, int, str]]] | None = None,
               strict: bool = False, align: bool = True) -> MergeResult:
    """Merge one file as one source (and align it). Raises MergeError, with the store unchanged, on
    any refusal or failure."""
    path = Path(path)
    if not path.is_file():
        raise MergeError(f"{path}: no such file")
    name = check_name(name or default_name(path))
    try:
        _, fmt = format_of(path, fmt_override)
    except DataFileError as exc:
        raise MergeError(str(exc)) from exc
    refuse_hostile(path, fmt, max_bytes)
    records = read_sources(dataset.reader())
    # Merging the same file again must be cheap: with a source of that name, hash first. Otherwise the
    # file is hashed while it loads (hashlib and the loader both let go of the GIL), and a twin under
    # another name is caught after the load, before anything is published.
    digest = _Digest(path)
    if name in records:
        unchanged = _already_there(records, name, digest.result(), path)
        if unchanged is not None:
            return unchanged
    record = SourceRecord(name, source_graph(name), str(path.resolve()), "", 0,
                          dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    messages: list[str] = []
    try:
        with dataset.transaction() as writer:
            digest.start()
            _load(writer, path, fmt, record.graph, progress)
            record.sha256 = digest.result()
            unchanged = _already_there(read_sources(writer), name, record.sha256, path)
            if unchanged is not None:
                raise _Unchanged(unchanged)
            record.triples = writer.count(record.graph)
            if record.triples == 0:
                raise MergeError(f"{path}: refused: the file holds no triples")
            record.license = find_license(writer, record.graph)
            _validate(writer, path, record, messages, validate, strict)
            writer.extend(_metadata_quads(record))
            report = None
            if align:
                from . import alignment

                report = alignment.align_source(writer, name)
    except _Unchanged as exc:
        return exc.args[0]
    except DatasetError as exc:
        raise MergeError(f"{path}: {exc}; nothing was changed") from exc
    except OSError as exc:
        raise MergeError(f"{path}: {exc.strerror or exc}; nothing was changed") from exc
    return MergeResult(record, changed=True, messages=messages, report=report)


def _already_there(records: dict[str, SourceRecord], name: str, digest: str, path: Path) -> MergeResult | None:
    existing = records.get(name)
    if existing is not None:
        if existing.sha256 == digest:
            return MergeResult(existing, changed=False, messages=[f"{name}: unchanged (same SHA-256); nothing to do"])
        raise MergeError(f"{path}: a source named {name!r} already holds other data; "
                         f"remove it first ('eurasia-kg sources remove {name}') or choose another --name")
    twin = next((r for r in records.values() if r.sha256 == digest), None)
    if twin is not None:
        return MergeResult(twin, changed=False, messages=[
            f"{path}: not merged again: the same file (SHA-256 {digest[:16]}…) is already merged as source "
            f"{twin.name!r} (from {twin.file}); nothing to do"])
    return None


def _validate(writer: Writer, path: Path, record: SourceRecord, messages: list[str], validate, strict: bool) -> None:
    if validate is None:
        return
    focus = _focus_ntriples(writer, record.graph)
    if not focus:
        record.conforms, record.violations = True, 0
        return
    conforms, violations, summary = validate()(focus)
    record.conforms, record.violations = conforms, violations
    if not conforms:
        if strict:
            raise NotConforming(f"{path}: rejected (--strict): it does not conform to the shapes "
                                f"({violations} violations)\n{summary}")
        messages.append(f"{record.name}: kept but flagged: {violations} SHACL violations\n{summary}")


class _NativeProgress(threading.Thread):
    """Reports how far a native reader has read a file, by polling the kernel's record of the open
    file's offset (/proc/self/fdinfo, Linux): pyoxigraph then reads the file by its path, about 1.6
    times as fast as through a Python file object, and the progress bar stays. Elsewhere it reports
    only the end."""

    def __init__(self, path: Path, total: int, report: Callable[[int, int], None]):
        super().__init__(daemon=True, name="merge-progress")
        self.path, self.total, self.report, self.done = str(path.resolve()), total, report, threading.Event()

    def _offset(self) -> int | None:
        try:
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/self/fd/{fd}") == self.path:
                        with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                            return int(info.readline().split()[1])
        except OSError:
            return None
        return None

    def run(self) -> None:
        while not self.done.wait(0.25):
            offset = self._offset()
            if offset:
                self.report(min(offset, self.total), self.total)

    def __enter__(self) -> _NativeProgress:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()
        if exc[0] is None:
            self.report(self.total, self.total)


def _load(writer: Writer, path: Path, fmt: ox.RdfFormat, graph: str,
          progress: Callable[[int, int], None] | None) -> None:
    size = path.stat().st_size
    base = path.resolve().as_uri()
    if fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) and path.suffix.lower() != ".gz":
        try:
            with _NativeProgress(path, size, progress) if progress else contextlib.nullcontext():
                writer.load_path(str(path), fmt, graph, base_iri=base)
        except SyntaxError as exc:
            line = f":{exc.lineno}" if exc.lineno else ""
            raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
        return
    raw = _open(path)
    stream = io.BufferedReader(_Progress(raw, size, progress), 1 << 20) if progress else raw
    try:
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            # Named graphs of the file are folded into the source's graph.
            target = ox.NamedNode(graph)
            writer.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                               for q in ox.parse(stream, format=fmt, base_iri=base))
        else:
            writer.load(stream, fmt, graph, base_iri=base)
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
    finally:
        raw.close()


def _focus_ntriples(store: Reader, graph: str) -> str:
    """The part of a source the shapes can apply to: resources typed with, or described by, terms of
    our ontology, with their statements. Empty for data that uses none of our terms."""
    # Our properties come from the ontology graph, so each is an index lookup rather than a scan.
    properties = " ".join(f"<{row[0].value}>" for row in store.select(
        f"SELECT DISTINCT ?p WHERE {{ GRAPH <{GRAPH_BASE}ontology> {{ ?p a ?kind "
        f"FILTER(STRSTARTS(STR(?p), \"{EKG}\") && ?kind IN (<{OWL}ObjectProperty>, <{OWL}DatatypeProperty>)) }} }}"))
    classes = " ".join(f"<{row[0].value}>" for row in store.select(
        f"SELECT DISTINCT ?c WHERE {{ GRAPH <{GRAPH_BASE}ontology> {{ ?c a <{OWL}Class> "
        f"FILTER(STRSTARTS(STR(?c), \"{EKG}\")) }} }}"))
    # With the ontology in the store, its classes are index lookups; without it (no build yet), a
    # scan of the source's types for our namespace.
    by_class = f"{{ VALUES ?t {{ {classes} }} ?s a ?t }}" if classes else \
        f'{{ ?s a ?t FILTER(STRSTARTS(STR(?t), "{EKG}")) }}'
    by_property = f"UNION {{ VALUES ?q {{ {properties} }} ?s ?q ?x }}" if properties else ""
    result = store.query(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{
        {{ SELECT DISTINCT ?s WHERE {{ {by_class} {by_property} }} }}
        ?s ?p ?o }} }}""")
    triples = list(result)
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode() if triples else ""


def remove_source(dataset: Dataset, name: str) -> tuple[SourceRecord, list[str]]:
    """Remove a source, its record and its alignment, in one transaction; returns the record and the
    other sources that were realigned because their links rested on it."""
    from . import alignment

    with dataset.transaction() as writer:
        records = read_sources(writer)
        if name not in records:
            known = ", ".join(records) or "none"
            raise MergeError(f"no merged source named {name!r}; known sources: {known}")
        record = records[name]
        realigned = alignment.unalign_source(writer, name)
        writer.drop_graph(record.graph)
        writer.update(f"DELETE WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ <{SOURCE_BASE}{name}> ?p ?o }} }}")
    return record, realigned

