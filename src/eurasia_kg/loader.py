"""Read the project's RDF files into named graphs, with errors that name the file and line.

Layout rule (no special cases): every file under a graph root goes into the named graph
``GRAPH_BASE + <its directory relative to the root>``. So ``graphs/shared/*.ttl`` is
``…/graph/shared`` and ``graphs/sources/avim-2013-23/interpretations/*.ttl`` is
``…/graph/sources/avim-2013-23/interpretations``. A new source is a new directory.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

from .config import GRAPH_BASE, ONTOLOGY_GRAPH, ONTOLOGY_NS
from .formats import (  # noqa: F401  (re-exported: the loader's public names)
    FORMAT_NAMES,
    FORMATS,
    QUAD_FORMATS,
    XML_DECLARATIONS,
    DataFileError,
    format_of,
    jsonld_context_refusal,
    xml_declares_entities,
)


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, exc.strerror or str(exc)) from exc
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except OSError as exc:
            raise DataFileError(path, f"not a valid gzip file: {exc}") from exc
    return data


def _locate_syntax_error(data: bytes, fmt: ox.RdfFormat, path: Path) -> DataFileError | None:
    """Ask pyoxigraph where the syntax error is: it reports line and column precisely."""
    try:
        for _ in ox.parse(data, format=fmt, base_iri=path.resolve().as_uri()):
            pass
    except SyntaxError as exc:
        if exc.lineno is None:
            return None
        return DataFileError(path, exc.msg, exc.lineno, exc.offset)
    return None


def parse_into(target: Graph, path: Path, fmt_override: str | None = None) -> None:
    """Parse one file into ``target``; raise DataFileError naming file and line on failure."""
    rdflib_fmt, ox_fmt = format_of(path, fmt_override)
    parse_bytes(target, read_bytes(path), path, rdflib_fmt, ox_fmt)


def parse_bytes(target: Graph, data: bytes, path: Path, rdflib_fmt: str, ox_fmt: ox.RdfFormat) -> None:
    """Parse ``data`` (named ``path`` in messages) into ``target``."""
    if rdflib_fmt == "xml" and xml_declares_entities([data]):
        # rdflib's RDF/XML parser expands nested entities (a "billion laughs" bomb) and may
        # resolve external ones; no RDF/XML we need declares entities.
        raise DataFileError(path, "RDF/XML with a DOCTYPE or entity declarations is refused "
                                  "(external entities could read local files; nested ones can exhaust memory)")
    if rdflib_fmt == "json-ld":
        _refuse_remote_context(data, path)
    try:
        target.parse(io.BytesIO(data), format=rdflib_fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises many types; all mean "cannot parse"
        located = _locate_syntax_error(data, ox_fmt, path)
        if located is not None:
            raise located from exc
        raise DataFileError(path, _first_line(exc), _line_of(exc)) from exc


def _line_of(exc: Exception) -> int | None:
    """The line rdflib's parsers report, whichever way they report it."""
    if hasattr(exc, "getLineNumber"):  # xml.sax.SAXParseException (RDF/XML)
        return exc.getLineNumber()
    lines = getattr(exc, "lines", None)  # notation3.BadSyntax counts from zero
    return lines + 1 if isinstance(lines, int) else None


def _refuse_remote_context(data: bytes, path: Path) -> None:
    """JSON-LD contexts given by URL (http or file) would be fetched; nothing is fetched at run time."""
    reason = jsonld_context_refusal(data)
    if reason is not None:
        message, line, column = reason
        raise DataFileError(path, message, line, column)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


@dataclass(frozen=True)
class DataFile:
    path: Path
    graph: str  # the named graph IRI


def rdf_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and _is_rdf(p))


def _is_rdf(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in FORMATS and suffixes[-1] not in (".json", ".xml")


def graph_for(root: Path, path: Path) -> str:
    relative = path.parent.relative_to(root).as_posix()
    if relative in ("", "."):
        return GRAPH_BASE + "default"
    return GRAPH_BASE + relative


def discover(ontology_dir: Path, graph_roots: Iterable[Path]) -> list[DataFile]:
    """Every input file with the named graph it belongs to, in a stable order."""
    files = [DataFile(p, ONTOLOGY_GRAPH) for p in rdf_files(ontology_dir)]
    for root in graph_roots:
        files += [DataFile(p, graph_for(root, p)) for p in rdf_files(root)]
    return files


def load_files(files: Iterable[DataFile]) -> list[tuple[DataFile, Graph]]:
    """Parse every file on its own, so later checks can still name the file."""
    parsed = []
    for item in files:
        graph = Graph()
        parse_into(graph, item.path)
        parsed.append((item, graph))
    return parsed


def to_dataset(parsed: Iterable[tuple[DataFile, Graph]]) -> Dataset:
    """Gather parsed files into one Dataset, each in its named graph."""
    dataset = Dataset()
    for item, graph in parsed:
        target = dataset.graph(URIRef(item.graph))
        for triple in graph:
            target.add(triple)
    return dataset


def declared_terms(ontology: Graph) -> set[URIRef]:
    """Terms of our namespace that the ontology declares (as anything)."""
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS)}


@dataclass(frozen=True)
class UnknownTerm:
    path: Path
    term: str
    role: str  # "class" or "property" or "value"


def unknown_terms(parsed: Iterable[tuple[DataFile, Graph]], ontology: Graph) -> list[UnknownTerm]:
    """Terms in our namespace used by data files but never declared in the ontology."""
    known = declared_terms(ontology)
    problems: list[UnknownTerm] = []
    for item, graph in parsed:
        if item.graph == ONTOLOGY_GRAPH:
            continue
        seen: set[tuple[str, str]] = set()
        for _, p, o in graph:
            for term, role in ((p, "property"), (o, "class" if p == RDF.type else "value")):
                if (isinstance(term, URIRef) and str(term).startswith(ONTOLOGY_NS) and term not in known
                        and (str(term), role) not in seen):
                    seen.add((str(term), role))
                    problems.append(UnknownTerm(item.path, str(term), role))
    return problems


__all__ = [
    "DataFile", "DataFileError", "FORMATS", "QUAD_FORMATS", "UnknownTerm", "declared_terms", "discover",
    "format_of", "graph_for", "load_files", "parse_bytes", "to_dataset", "parse_into", "read_bytes", "unknown_terms",
]
