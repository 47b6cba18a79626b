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


# SELECT and ASK results. Order is the server's preference when the client accepts anything.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "json", ".srj"),
    Format("xml", "application/sparql-results+xml", "xml", ".srx"),
    Format("csv", "text/csv", "csv", ".csv"),
    Format("tsv", "text/tab-separated-values", "tsv", ".tsv"),
    Format("html", "text/html", "html", ".html"),
)
# CONSTRUCT and DESCRIBE results, and Linked Data documents.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("ttl", "text/turtle", "turtle", ".ttl"),
    Format("nt", "application/n-triples", "nt", ".nt"),
    Format("jsonld", "application/ld+json", "json-ld", ".jsonld"),
    Format("rdfxml", "application/rdf+xml", "xml", ".rdf"),
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


class NotAcceptable(Exception):
    def __init__(self, offered: tuple[Format, ...]):
        self.offered = offered
        super().__init__("no acceptable format; this resource is available as "
                         + ", ".join(f.media_type for f in offered))


def by_key(formats: tuple[Format, ...], key: str) -> Format | None:
    key = key.lower().lstrip(".")
    for fmt in formats:
        if key in (fmt.key, fmt.media_type, fmt.suffix.lstrip("."), fmt.engine_name):
            return fmt
    return None


def negotiate(accept_header: str | None, formats: tuple[Format, ...], format_param: str | None = None,
              html: bool = True) -> Format:
    """The format to answer in: an explicit ?format= wins, then the Accept header (q-values honoured)."""
    offered = formats if html else tuple(f for f in formats if f.key != "html")
    if format_param:
        fmt = by_key(formats, format_param) or by_key(formats, ALIASES.get(format_param, format_param))
        if fmt is None:
            raise NotAcceptable(offered)
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
