"""Compact JSON-LD with the project's context.

The context is generated from ``config.PREFIXES``, so it is declared once: the server publishes it
at ``/context.jsonld`` and the pages under ``/id/`` refer to it there; the dump carries it inline,
so that it parses offline. Compaction is rdflib's JSON-LD serialiser; values keep their datatypes
(no native JSON numbers or booleans), so that every literal survives the round trip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rdflib import Graph

from .config import PREFIXES

CONTEXT_PATH = "/context.jsonld"
MEDIA_TYPE = "application/ld+json"


def context() -> dict[str, str]:
    """The JSON-LD context: one term per prefix of ``config.PREFIXES``."""
    return dict(sorted(PREFIXES.items()))


def context_document() -> bytes:
    """The document served at ``/context.jsonld``."""
    return (json.dumps({"@context": context()}, indent=2, ensure_ascii=False) + "\n").encode()


def nodes(triples: Iterable) -> list[dict]:
    """The triples as compacted node objects (the members of ``@graph``), one per subject."""
    graph = triples if isinstance(triples, Graph) else _graph(triples)
    if not len(graph):
        return []
    doc = json.loads(graph.serialize(format="json-ld", context=context(), auto_compact=True))
    if "@graph" in doc:
        return doc["@graph"]
    doc.pop("@context", None)
    return [doc]


def compact(triples: Iterable, context_url: str | None = None) -> bytes:
    """A compact JSON-LD document: the context referred to by ``context_url``, or inline."""
    return document([json.dumps(node, ensure_ascii=False) for node in nodes(triples)], context_url)


def document(node_texts: list[str], context_url: str | None = None) -> bytes:
    """A document from node objects already serialised, one per line (as the dump writes them)."""
    head = json.dumps(context_url if context_url else context(), ensure_ascii=False,
                      indent=None if context_url else 2)
    body = ",\n".join(node_texts)
    return f'{{"@context": {head},\n"@graph": [\n{body}\n]}}\n'.encode()


def _graph(triples: Iterable) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph
