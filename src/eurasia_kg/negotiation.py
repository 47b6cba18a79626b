"""Content negotiation, kept in tables (as rdflib-endpoint does) and decided by Werkzeug's Accept parsing."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Format:
    key: str  # short name used in ?format= and file suffixes
    media_type: str
    engine_name: str  # the serialiser's name for it
    suffix: str
    names: tuple[str, ...] = ()  # other names clients give in ?format= (SPARQLWrapper, Virtuoso, Fuseki)


# SELECT and ASK results. Order is the server's preference when the client accepts anything.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "json", ".srj",
           ("sparql-results+json", "application/json")),
    Format("xml", "application/sparql-results+xml", "xml", ".srx", ("sparql-results+xml", "application/xml")),
    Format("csv", "text/csv", "csv", ".csv"),
    Format("tsv", "text/tab-separated-values", "tsv", ".tsv", ("tab-separated-values",)),
    Format("html", "text/html", "html", ".html"),
)
# CONSTRUCT and DESCRIBE results, and Linked Data documents.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("ttl", "text/turtle", "turtle", ".ttl", ("application/turtle", "application/x-turtle", "n3", "text/n3")),
    Format("nt", "application/n-triples", "nt", ".nt", ("ntriples", "n-triples", "text/plain")),
    Format("jsonld", "application/ld+json", "json-ld", ".jsonld", ("json", "application/json")),
    Format("rdfxml", "application/rdf+xml", "xml", ".rdf", ("rdf+xml", "rdf/xml", "rdf", "application/xml")),
    Format("trig", "application/trig", "trig", ".trig"),
    Format("html", "text/html", "html", ".html"),
)
# Other media types clients send for the same formats.
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "text/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/json+ld": "application/ld+json",
    "application/xhtml+xml": "text/html",
}


class UnknownFormat(Exception):
    """A ?format= value that names no format this server writes."""

    def __init__(self, value: str, formats: tuple[Format, ...]):
        names = sorted({f.key for f in formats})
        super().__init__(f"unknown format {value!r}; this server writes " + ", ".join(names))


class NotAcceptable(Exception):
    def __init__(self, offered: tuple[Format, ...]):
        self.offered = offered
        super().__init__("no acceptable format; this resource is available as "
                         + ", ".join(f.media_type for f in offered))


def by_key(formats: tuple[Format, ...], key: str) -> Format | None:
    key = key.strip().lower().lstrip(".")
    for fmt in formats:
        if key in (fmt.key, fmt.media_type, fmt.suffix.lstrip("."), fmt.engine_name, *fmt.names):
            return fmt
    return None


def check_format_values(values: list[str] | tuple[str, ...], *tables: tuple[Format, ...]) -> None:
    """Refuse a ?format= value that names no format of any of these tables (UnknownFormat)."""
    every = tuple(f for table in tables for f in table)
    for value in values:
        if value and not any(by_key(every, item) for item in value.split(",")):
            raise UnknownFormat(value, every)


def negotiate_or_none(accept_header: str | None, formats: tuple[Format, ...],
                      format_param: str | list[str] | tuple[str, ...] | None = None) -> Format | None:
    try:
        return negotiate(accept_header, formats, format_param)
    except NotAcceptable:
        return None


def negotiate(accept_header: str | None, formats: tuple[Format, ...],
              format_param: str | list[str] | tuple[str, ...] | None = None, html: bool = True) -> Format:
    """The format to answer in: an explicit ?format= wins, then the Accept header (q-values honoured).

    ``format_param`` may hold several values, each maybe a comma-separated list (SPARQLWrapper sends
    "application/ld+json,application/x-json+ld"); the first item that names a format on offer wins.
    Items that name none are passed over here (the web layer refuses a value none of whose items
    names a format of any kind: ``check_format_values``), and the Accept header decides.
    """
    offered = formats if html else tuple(f for f in formats if f.key != "html")
    values = [format_param] if isinstance(format_param, str) else list(format_param or ())
    values = [item for value in values for item in value.split(",")]
    for value in values:
        fmt = by_key(offered, value) if value else None
        if fmt is not None:
            return fmt
    if not accept_header or not accept_header.strip():
        return offered[0]
    accept = parse_accept_header(accept_header, MIMEAccept)
    preferred = [f.media_type for f in offered]
    # Expand aliases so that "application/json" picks SPARQL JSON, at the client's quality, unless
    # the alias itself is on offer.
    wanted = MIMEAccept([(value if value in preferred else ALIASES.get(value, value), q) for value, q in accept])
    best = wanted.best_match(preferred)
    if best is None:
        raise NotAcceptable(offered)
    return next(f for f in offered if f.media_type == best)
