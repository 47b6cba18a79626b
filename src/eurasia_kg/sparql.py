"""The SPARQL core: run a query on an engine, cap it, write it. Knows nothing about HTTP.

Two engines answer the same calls: the embedded pyoxigraph store (default) and rdflib (for
comparison and as a fallback). Every result is written by pyoxigraph's serialisers from the
engine's own terms, so no value is rewritten on the way out (``"1050"^^xsd:double`` stays
``1050``, a dateTime keeps its ``Z``, ``0`` and ``false`` stay themselves).

What is refused before an engine runs (too long, too deep, an update, SERVICE and LOAD) is in
``sparql_checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import sparql_errors
from .config import PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Where a truncated JSON or XML result points (its head's "link"), besides the X-Result-Truncated header.
TRUNCATED_LINK = "https://w3id.org/eurasia-kg/ontology#resultTruncated"


class QueryRejected(Exception):
    """A query refused before or while running: malformed, an update, too long or deep, a forbidden SERVICE."""


@dataclass
class Outcome:
    """A query's result in engine-neutral form (pyoxigraph terms)."""

    kind: str  # "bindings", "boolean" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    boolean: bool = False
    triples: list[ox.Triple] = field(default_factory=list)
    truncated: bool = False


class OxigraphEngine:
    name = "oxigraph"

    def __init__(self, store: ox.Store, union_default_graph: bool = True):
        self.store = store
        self.union_default_graph = union_default_graph

    @classmethod
    def from_file(cls, path: Path, union_default_graph: bool = True) -> OxigraphEngine:
        store = ox.Store()
        if path.is_file():
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        return cls(store, union_default_graph)

    def run(self, query: str, max_rows: int, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, base_iri: str | None = None,
            has_dataset: bool | None = None) -> Outcome:
        """Run ``query``. When the protocol gives a dataset (either list not None), it replaces the
        query's own FROM/FROM NAMED and the store's: a list left out is empty (Protocol §2.1.4).
        ``has_dataset`` says the query has FROM or FROM NAMED (the service knows it from its checks;
        None: read here by the parser): the union default graph is then off, since pyoxigraph would
        let it override them."""
        if has_dataset is None:
            has_dataset = has_dataset_clause(query)
        kwargs: dict = {"prefixes": PREFIXES, "base_iri": base_iri}
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or ()]
        elif not has_dataset:
            kwargs["use_default_graph_as_union"] = self.union_default_graph
        try:
            return collect_outcome(self.store.query(query, **kwargs), max_rows)
        except SyntaxError as exc:  # the line, the column and a hint in plain words (sparql_errors)
            raise QueryRejected(sparql_errors.describe(query, str(exc))) from exc
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryRejected(str(exc)) from exc


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED); read by rdflib's parser."""
    from .sparql_checks import has_dataset_clause as read

    return read(query)


def collect_outcome(result, max_rows: int) -> Outcome:
    """A pyoxigraph result (from a store or parsed from another endpoint) as an Outcome, capped."""
    if isinstance(result, ox.QueryBoolean):
        return Outcome("boolean", boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = []
        for solution in result:
            if len(rows) == max_rows:
                return Outcome("bindings", variables, rows, truncated=True)
            rows.append([solution[v] for v in variables])
        return Outcome("bindings", variables, rows)
    triples = []
    for triple in result:
        if len(triples) == max_rows:
            return Outcome("graph", triples=triples, truncated=True)
        triples.append(triple)
    return Outcome("graph", triples=triples)


class RdflibEngine:
    """rdflib answers the same calls; slower, but independent of pyoxigraph."""

    name = "rdflib"

    def __init__(self, dataset):
        import rdflib.plugins.sparql

        self.dataset = dataset
        # FROM <iri> must name a graph of the dataset, never make rdflib fetch the IRI from the web.
        # rdflib reads this switch of its own when a query runs; this engine lives in a worker process.
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

    @classmethod
    def from_file(cls, path: Path, union_default_graph: bool = True) -> RdflibEngine:
        from rdflib import Dataset

        dataset = Dataset(default_union=union_default_graph)
        if path.is_file():
            dataset.parse(path, format="nquads")
        return cls(dataset)

    def run(self, query: str, max_rows: int, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, base_iri: str | None = None,
            has_dataset: bool | None = None) -> Outcome:
        from rdflib import Variable
        from rdflib.plugins.sparql import prepareQuery

        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        dataset = self.dataset
        if default_graphs is not None or named_graphs is not None:
            dataset = self._protocol_dataset(default_graphs or [], named_graphs or [])
        try:
            parsed = prepareQuery(prologue + query, base=base_iri)
            result = dataset.query(parsed)
        except Exception as exc:  # rdflib raises pyparsing and assorted errors for bad queries
            message = sparql_errors.describe(query, str(exc), line_offset=len(PREFIXES)) if str(exc) else ""
            raise QueryRejected(message or type(exc).__name__) from exc
        if result.type == "ASK":
            return Outcome("boolean", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            triples = [ox.Triple(*(to_ox(t) for t in triple)) for triple in result.graph]
            return Outcome("graph", triples=triples[:max_rows], truncated=len(triples) > max_rows)
        variables = [str(v) for v in result.vars]
        rows = [[to_ox(row.get(Variable(v))) if row.get(Variable(v)) is not None else None for v in variables]
                for row in result.bindings]
        return Outcome("bindings", variables, rows[:max_rows], truncated=len(rows) > max_rows)

    def _protocol_dataset(self, default_graphs: list[str], named_graphs: list[str]):
        """A copy holding just the protocol's dataset: the merge of ``default_graphs`` as the default
        graph, and ``named_graphs`` by name."""
        from rdflib import Dataset, Graph, URIRef
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        dataset = Dataset(default_union=False)
        default = dataset.graph(DATASET_DEFAULT_GRAPH_ID)
        for name in default_graphs:
            for triple in Graph(self.dataset.store, URIRef(name)):
                default.add(triple)
        for name in named_graphs:
            target = dataset.graph(URIRef(name))
            for triple in Graph(self.dataset.store, URIRef(name)):
                target.add(triple)
        return dataset


def to_ox(term):
    """An rdflib term as a pyoxigraph term (the rdflib engine's results are written by pyoxigraph too)."""
    from rdflib import BNode, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


# --- Writing results ---------------------------------------------------------------------------

RESULT_SERIALISERS = {
    "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_SERIALISERS = {
    "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML, "trig": ox.RdfFormat.TRIG,
}


def render(outcome: Outcome, format_key: str) -> bytes:
    """The outcome's bytes in the format with this key (negotiation.Format.key; not HTML, which the
    web layer renders). Written by pyoxigraph from the engine's terms, never through another library."""
    if outcome.kind == "graph":
        return write_graph(outcome.triples, format_key)
    if outcome.kind == "boolean":
        if format_key in ("csv", "tsv"):
            # SPARQL 1.1 CSV/TSV have no boolean form; answer with the one-cell table Fuseki uses.
            head = "?_askResult" if format_key == "tsv" else "_askResult"
            return f"{head}\n{str(outcome.boolean).lower()}\n".encode()
        solutions = ox.parse_query_results(b'{"head":{},"boolean":%s}' % (b"true" if outcome.boolean else b"false"),
                                           format=ox.QueryResultsFormat.JSON)
        return solutions.serialize(format=RESULT_SERIALISERS[format_key])
    body = _solutions(outcome).serialize(format=RESULT_SERIALISERS[format_key])
    if format_key == "xml":
        body = _keep_carriage_returns(body)
    if outcome.truncated:
        body = _mark_truncated(body, format_key)
    return body


def _solutions(outcome: Outcome) -> ox.QuerySolutions:
    """The rows as pyoxigraph QuerySolutions, so that its serialisers write them.

    pyoxigraph has no constructor for a result set, and the rows are cut at ``max_rows``, so the
    engine's result cannot be written directly. The rows go through SPARQL TSV, whose cells are
    the terms in N-Triples syntax as pyoxigraph itself writes them (``str(term)``): a lossless
    form that pyoxigraph's TSV parser reads back to the same terms.
    """
    lines = ["\t".join("?" + v for v in outcome.variables)]
    lines += ["\t".join("" if term is None else str(term) for term in row) for row in outcome.rows]
    return ox.parse_query_results(("\n".join(lines) + "\n").encode(), format=ox.QueryResultsFormat.TSV)


def _mark_truncated(body: bytes, format_key: str) -> bytes:
    """Say inside the body that rows were cut off: a ``link`` in the head (SPARQL JSON and XML
    both have one for metadata), and a top-level ``"truncated": true`` in JSON."""
    if format_key == "json" and body.startswith(b'{"head":{'):
        return b'{"truncated":true,"head":{"link":["%s"],' % TRUNCATED_LINK.encode() + body[len(b'{"head":{'):]
    if format_key == "xml":
        return body.replace(b"</head>", b'<link href="%s"/></head>' % TRUNCATED_LINK.encode(), 1)
    return body


def write_graph(triples: list[ox.Triple], format_key: str) -> bytes:
    """Triples in an RDF format; in TriG (a dataset format) they are the default graph."""
    rdf_format = GRAPH_SERIALISERS[format_key]
    items: list = triples
    if rdf_format == ox.RdfFormat.TRIG:
        items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    body = ox.serialize(items, format=rdf_format, prefixes=prefixes)
    return _keep_carriage_returns(body) if rdf_format == ox.RdfFormat.RDF_XML else body


def _keep_carriage_returns(xml: bytes) -> bytes:
    """XML parsers turn a raw carriage return into a line feed (XML 1.0 §2.11), and pyoxigraph's XML
    writers leave them raw; as a character reference it survives. In these documents a carriage
    return can only stand inside a value (the writers put no line breaks between elements)."""
    return xml.replace(b"\r", b"&#13;") if b"\r" in xml else xml


def to_rdflib(term):
    """A pyoxigraph term as an rdflib term (for callers that compare with rdflib graphs)."""
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:  # a simple literal (RDF 1.1): written without a datatype
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
