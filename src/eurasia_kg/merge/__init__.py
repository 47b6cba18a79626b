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

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..config import ALIGNMENT_GRAPH, GRAPH_BASE, MERGE_METADATA_GRAPH, MERGED_BASE, SOURCE_BASE
from ..dataset import Dataset, DatasetError, Reader, Writer
from ..formats import DataFileError, format_of
from .files import _Digest, _load, progress_bar, refuse_hostile, sha256_of
from .records import (
    LICENSE_PREDICATES,
    MergeError,
    SourceRecord,
    _metadata_quads,
    check_name,
    default_name,
    find_license,
    read_sources,
    source_graph,
)

__all__ = ["MERGED_BASE", "MERGE_METADATA_GRAPH", "ALIGNMENT_GRAPH", "SOURCE_BASE", "LICENSE_PREDICATES", "MergeError",
           "NotConforming", "SourceRecord", "MergeResult", "merge_file", "remove_source", "read_sources",
           "source_graph", "default_name", "check_name", "find_license", "progress_bar", "refuse_hostile",
           "sha256_of", "_metadata_quads"]

EKG = "https://w3id.org/eurasia-kg/ontology#"
OWL = "http://www.w3.org/2002/07/owl#"


class NotConforming(MergeError):
    """``--strict``: the source does not conform to the shapes (exit 1, like ``validate``). Nothing was written."""


class _Unchanged(Exception):
    """Raised inside a transaction to leave it without publishing anything."""


@dataclass
class MergeResult:
    record: SourceRecord
    changed: bool
    messages: list[str] = field(default_factory=list)
    report: object | None = None  # the source's alignment report (alignment.Report), when aligned


def merge_file(dataset: Dataset, path: Path, name: str | None = None, fmt_override: str | None = None,
               max_bytes: int = 2_000_000_000, progress: Callable[[int, int], None] | None = None,
               validate: Callable[[], Callable[[str], tuple[bool, int, str]]] | None = None,
               strict: bool = False, align: bool = True, origin: Path | None = None) -> MergeResult:
    """Merge one file as one source (and align it). Raises MergeError, with the store unchanged, on
    any refusal or failure. ``origin`` is the file the data was made from, when ``path`` is a mapping
    of it (tab-separated event data): the source's record names it, and its SHA-256 tells repeats."""
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
    origin = Path(origin or path)
    digest = _Digest(origin)
    if name in records:
        unchanged = _already_there(records, name, digest.result(), path)
        if unchanged is not None:
            return unchanged
    record = SourceRecord(name, source_graph(name), str(origin.resolve()), "", 0,
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
                from .. import alignment

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
    from .. import alignment

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

