"""File formats and the refusals that come before any parser: which RDF format a file is in, XML
entity declarations, and JSON-LD contexts that would be fetched. No rdflib here: the merge and the
command line's start-up need only this (loading rdflib costs a quarter of a second)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

# File extension -> (rdflib format, pyoxigraph format). Gzip is handled on top.
FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    ".ttl": ("turtle", ox.RdfFormat.TURTLE),
    ".turtle": ("turtle", ox.RdfFormat.TURTLE),
    ".nt": ("nt", ox.RdfFormat.N_TRIPLES),
    ".nq": ("nquads", ox.RdfFormat.N_QUADS),
    ".trig": ("trig", ox.RdfFormat.TRIG),
    ".jsonld": ("json-ld", ox.RdfFormat.JSON_LD),
    ".json": ("json-ld", ox.RdfFormat.JSON_LD),
    ".rdf": ("xml", ox.RdfFormat.RDF_XML),
    ".owl": ("xml", ox.RdfFormat.RDF_XML),
    ".xml": ("xml", ox.RdfFormat.RDF_XML),
    ".n3": ("n3", ox.RdfFormat.N3),
}
FORMAT_NAMES: dict[str, str] = {
    "turtle": ".ttl", "ttl": ".ttl", "nt": ".nt", "ntriples": ".nt", "n-triples": ".nt",
    "nquads": ".nq", "n-quads": ".nq", "trig": ".trig", "json-ld": ".jsonld", "jsonld": ".jsonld",
    "xml": ".rdf", "rdfxml": ".rdf", "rdf/xml": ".rdf", "n3": ".n3",
}
QUAD_FORMATS = {"nquads", "trig"}


class DataFileError(Exception):
    """A data file that cannot be read: carries the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, column: int | None = None):
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        if line is not None and column is not None:
            where += f":{column}"
        super().__init__(f"{where}: {message}")


def format_of(path: Path, override: str | None = None) -> tuple[str, ox.RdfFormat]:
    """The parser formats for a file, from ``override`` or else from its extension."""
    if override:
        key = FORMAT_NAMES.get(override.lower())
        if key is None:
            raise DataFileError(path, f"unknown format {override!r}; use one of {', '.join(sorted(FORMAT_NAMES))}")
        return FORMATS[key]
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        raise DataFileError(path, f"cannot tell the RDF format from the extension; use one of {', '.join(FORMATS)}"
                                  " or give --format")
    return FORMATS[suffixes[-1]]


XML_DECLARATIONS = re.compile(rb"<!(?:ENTITY|DOCTYPE)", re.IGNORECASE)


def xml_declares_entities(chunks: Iterable[bytes]) -> bool:
    """Whether XML data has a DOCTYPE or entity declaration anywhere (not only at its start, which a
    long comment can push away). NUL bytes are dropped so UTF-16 and UTF-32 text is caught too."""
    tail = b""
    for chunk in chunks:
        data = tail + chunk.replace(b"\x00", b"")
        if XML_DECLARATIONS.search(data):
            return True
        tail = data[-16:]
    return False


def jsonld_context_refusal(data: bytes) -> tuple[str, int | None, int | None] | None:
    """Why a JSON-LD document cannot be read without fetching something, or None.

    Refused: an ``@context`` that is an IRI (http, https, file or relative: each would be
    fetched or read), a list holding one, and an ``@import`` inside a context. The message
    names the context and says it was not fetched. Invalid or too deeply nested JSON is refused
    here too, with its line and column."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"not UTF-8: {exc.reason}", None, None
    except RecursionError:
        return "refused: the JSON is nested too deeply to read safely", None, None
    except ValueError as exc:
        return f"invalid JSON: {exc.msg}", exc.lineno, exc.colno
    for ctx in _contexts(doc):
        for item in ctx if isinstance(ctx, list) else [ctx]:
            if isinstance(item, str):
                return (f"refused: the JSON-LD @context {item!r} is {_context_kind(item)}; it was not fetched "
                        "(nothing is fetched or read from outside the file): inline the context"), None, None
            if isinstance(item, dict) and isinstance(item.get("@import"), str):
                return (f"refused: the JSON-LD @context imports {item['@import']!r} (@import); it was not fetched "
                        "(nothing is fetched or read from outside the file): inline the context"), None, None
    return None


def _context_kind(iri: str) -> str:
    if iri.startswith("file:"):
        return "a local file"
    if iri.startswith(("http://", "https://")):
        return "remote"
    return "a relative reference (it would be resolved and fetched)"


def _contexts(node: object) -> Iterator[object]:
    """Every @context value, walked without recursion (documents can be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "@context" in current:
                yield current["@context"]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
