"""The SPARQL core: run a query on an engine, cap it, serialise it. Knows nothing about HTTP.

Two engines answer the same calls: the embedded pyoxigraph store (default) and rdflib (for
comparison and as a fallback). Results are serialised with pyoxigraph or rdflib, never by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result

from .config import PREFIXES
from .negotiation import Format

UPDATE_KEYWORDS = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE)
SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?<([^>]*)>", re.IGNORECASE)
SERVICE_VARIABLE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?[?$]", re.IGNORECASE)
COMMENTS = re.compile(r"#[^\n]*")


class QueryRejected(Exception):
    """A query refused before running: malformed, an update, too long, or a forbidden SERVICE."""


# Lexical pieces of SPARQL that may hold braces or keywords without being syntax: strings, IRIs
# and comments. Longest first, so that a long string is not read as an empty short one.
_OPAQUE = re.compile(r'''"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''
                     r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*''')
_WORD = re.compile(r"[A-Za-z_][\w-]*(?::[\w.-]*)?|[?$]\w+")


def _top_level_tokens(text: str) -> list[tuple[str, str, int]]:
    """The tokens outside any braces, as (kind, text, offset); a braced block is one "group" token."""
    tokens: list[tuple[str, str, int]] = []
    depth, i, start = 0, 0, 0
    while i < len(text):
        char = text[i]
        opaque = _OPAQUE.match(text, i) if char in "\"'<#" else None
        if opaque:
            if depth == 0 and char == "<":
                tokens.append(("iri", opaque.group(), i))
            i = opaque.end()
            continue
        if char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                tokens.append(("group", text[start:i + 1], start))
        elif depth == 0:
            word = _WORD.match(text, i) if (char.isalpha() or char in "_?$") else None
            if word:
                tokens.append(("word", word.group(), i))
                i = word.end()
                continue
            if not char.isspace():
                tokens.append(("punct", char, i))
        i += 1
    return tokens


def with_update_dataset(update: str, using: list[str], using_named: list[str]) -> str:
    """The update with the protocol's using-graph-uri/using-named-graph-uri applied to each operation.

    SPARQL 1.1 Protocol §2.2.3: the parameters act as USING and USING NAMED clauses on every
    DELETE/INSERT … WHERE operation; an update that has its own USING, USING NAMED or WITH is an
    error when they are given.
    """
    if not using and not using_named:
        return update
    tokens = _top_level_tokens(update)
    for kind, text, _ in tokens:
        if kind == "word" and text.upper() in ("USING", "WITH"):
            raise QueryRejected(f"the update has its own {text.upper()} clause; it cannot also take the "
                                "using-graph-uri or using-named-graph-uri parameters")
    clauses = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    inserts = [offset for (kind, text, offset), previous in zip(tokens[1:], tokens, strict=False)
               if kind == "word" and text.upper() == "WHERE" and previous[0] == "group"]
    for offset in reversed(inserts):
        update = update[:offset] + clauses + update[offset:]
    return update


@dataclass
class Outcome:
    """A query's result in engine-neutral form (pyoxigraph terms)."""

    kind: str  # "bindings", "boolean" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    boolean: bool = False
    triples: list[ox.Triple] = field(default_factory=list)
    truncated: bool = False


def strip_comments(query: str) -> str:
    # Good enough to look for keywords: a '#' inside an IRI or string is rare in real queries, and
    # the parser has the last word on syntax.
    return COMMENTS.sub(" ", query)


def check_query(query: str, max_length: int, service_allowlist: tuple[str, ...]) -> None:
    """Refusals that do not need the parser."""
    if len(query) > max_length:
        raise QueryRejected(f"the query is {len(query)} characters long; the limit is {max_length}")
    text = strip_comments(query)
    if UPDATE_KEYWORDS.match(text):
        raise QueryRejected("SPARQL Update is not accepted at the query endpoint; send it to /update")
    if SERVICE_VARIABLE.search(text):
        raise QueryRejected("SERVICE with a variable endpoint is not allowed")
    for endpoint in SERVICE.findall(text):
        if not any(endpoint.startswith(prefix) for prefix in service_allowlist):
            raise QueryRejected(f"SERVICE <{endpoint}> is not allowed: federated queries are off unless the "
                                "endpoint is in the configured allowlist")


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
            named_graphs: list[str] | None = None, base_iri: str | None = None) -> Outcome:
        """Run ``query``. When the protocol gives a dataset (either list not None), it replaces the
        query's own FROM/FROM NAMED and the store's: a list left out is empty (Protocol §2.1.4)."""
        kwargs: dict = {"prefixes": PREFIXES, "base_iri": base_iri}
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or ()]
        else:
            kwargs["use_default_graph_as_union"] = self.union_default_graph
        try:
            result = self.store.query(query, **kwargs)
            return _collect(result, max_rows)
        except SyntaxError as exc:
            raise QueryRejected(str(exc)) from exc
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryRejected(str(exc)) from exc


def _collect(result, max_rows: int) -> Outcome:
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

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    @classmethod
    def from_file(cls, path: Path, union_default_graph: bool = True) -> RdflibEngine:
        dataset = Dataset(default_union=union_default_graph)
        if path.is_file():
            dataset.parse(path, format="nquads")
        return cls(dataset)

    def run(self, query: str, max_rows: int, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, base_iri: str | None = None) -> Outcome:
        from rdflib.plugins.sparql import prepareQuery

        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        dataset = self.dataset
        if default_graphs is not None or named_graphs is not None:
            dataset = self._protocol_dataset(default_graphs or [], named_graphs or [])
        try:
            parsed = prepareQuery(prologue + query, base=base_iri)
            result = dataset.query(parsed)
        except Exception as exc:  # rdflib raises pyparsing and assorted errors for bad queries
            raise QueryRejected(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        if result.type == "ASK":
            return Outcome("boolean", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            triples = [ox.Triple(*(to_ox(t) for t in triple)) for triple in result.graph]
            return Outcome("graph", triples=triples[:max_rows], truncated=len(triples) > max_rows)
        variables = [str(v) for v in result.vars]
        rows = [[to_ox(row.get(Variable(v))) if row.get(Variable(v)) is not None else None for v in variables]
                for row in result.bindings]
        return Outcome("bindings", variables, rows[:max_rows], truncated=len(rows) > max_rows)


    def _protocol_dataset(self, default_graphs: list[str], named_graphs: list[str]) -> Dataset:
        """A copy holding just the protocol's dataset: the merge of ``default_graphs`` as the default
        graph, and ``named_graphs`` by name."""
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
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def to_rdflib(term):
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


GRAPH_SERIALISERS = {
    "turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML, "trig": ox.RdfFormat.TRIG,
}


def serialise(outcome: Outcome, fmt: Format) -> bytes:
    """Bytes of the outcome in ``fmt`` (not HTML: the web layer renders that)."""
    if outcome.kind == "graph":
        rdf_format = GRAPH_SERIALISERS[fmt.engine_name]
        items = outcome.triples
        if rdf_format == ox.RdfFormat.TRIG:
            items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in items]
        prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        return ox.serialize(items, format=rdf_format, prefixes=prefixes)
    result = Result("ASK" if outcome.kind == "boolean" else "SELECT")
    if outcome.kind == "boolean":
        result.askAnswer = outcome.boolean
    else:
        result.vars = [Variable(v) for v in outcome.variables]
        result.bindings = [{Variable(v): to_rdflib(t) for v, t in zip(outcome.variables, row, strict=True)
                            if t is not None} for row in outcome.rows]
    name = fmt.engine_name
    if outcome.kind == "boolean" and name in ("csv", "tsv"):
        # SPARQL 1.1 CSV/TSV have no boolean form; answer with the one-cell table Fuseki uses.
        head = "?_askResult" if name == "tsv" else "_askResult"
        return f"{head}\n{str(outcome.boolean).lower()}\n".encode()
    if name == "tsv":
        return _serialise_tsv(result)
    return result.serialize(format=name, encoding="utf-8")


def _serialise_tsv(result: Result) -> bytes:
    # rdflib has no TSV writer: hand its JSON to pyoxigraph, which writes TSV.
    solutions = ox.parse_query_results(result.serialize(format="json", encoding="utf-8"),
                                       format=ox.QueryResultsFormat.JSON)
    return solutions.serialize(format=ox.QueryResultsFormat.TSV)
