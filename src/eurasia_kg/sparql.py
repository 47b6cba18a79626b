"""The SPARQL core: run a query on an engine, cap it, serialise it. Knows nothing about HTTP.

Two engines answer the same calls: the embedded pyoxigraph store (default) and rdflib (for
comparison and as a fallback). Results are serialised with pyoxigraph or rdflib, never by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result

from . import sparql_errors
from .config import PREFIXES
from .negotiation import Format

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class QueryRejected(Exception):
    """A query refused before running: malformed, an update, too long, or a forbidden SERVICE."""


# A small SPARQL lexer: enough to find keywords, braces and IRIs without being fooled by strings,
# IRIs or comments that contain them. The parser (pyoxigraph) has the last word on syntax.
# Strings longest first, so that a long string is not read as an empty short one.
_OPAQUE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
                     r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
                     r'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*')
_WORD = re.compile(r"(?:[A-Za-z_][\w.-]*)?:(?:[\w.:%-]|\\.)*|[A-Za-z_][\w-]*|[?$]\w+")


@dataclass(frozen=True)
class Token:
    kind: str  # "iri", "string", "word", "open", "close" or "punct"
    text: str
    offset: int
    depth: int  # braces around the token ("open" and "close" count as outside their block)


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    depth, i = 0, 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        match = _OPAQUE.match(text, i) if char in "\"'<#" else None
        if match:
            if char != "#":
                found.append(Token("iri" if char == "<" else "string", match.group(), i, depth))
            i = match.end()
            continue
        match = _WORD.match(text, i) if (char.isalpha() or char in "_?$:") else None
        if match:
            found.append(Token("word", match.group(), i, depth))
            i = match.end()
            continue
        if char == "{":
            found.append(Token("open", char, i, depth))
            depth += 1
        elif char == "}":
            depth -= 1
            found.append(Token("close", char, i, depth))
        else:
            found.append(Token("punct", char, i, depth))
        i += 1
    return found


def _top_level_tokens(text: str) -> list[tuple[str, str, int]]:
    """The tokens outside any braces, as (kind, text, offset); a braced block is one "group" token."""
    out: list[tuple[str, str, int]] = []
    start = 0
    for token in tokens(text):
        if token.depth:
            continue
        if token.kind == "open":
            start = token.offset
        elif token.kind == "close":
            out.append(("group", text[start:token.offset + 1], start))
        else:
            out.append((token.kind, token.text, token.offset))
    return out


def _prologue(found: list[Token]) -> tuple[dict[str, str], str | None, int]:
    """PREFIX and BASE declarations at the top level, and the index of the first token after the prologue."""
    prefixes, base, first = dict(PREFIXES), None, None
    i = 0
    while i < len(found):
        token = found[i]
        keyword = token.text.upper() if token.kind == "word" and token.depth == 0 else ""
        if keyword == "PREFIX" and i + 2 < len(found) and found[i + 2].kind == "iri":
            prefixes[found[i + 1].text.rstrip(":")] = found[i + 2].text[1:-1]
            i += 3
            continue
        if keyword == "BASE" and i + 1 < len(found) and found[i + 1].kind == "iri":
            base = found[i + 1].text[1:-1]
            i += 2
            continue
        if first is None:
            first = i
        i += 1
    return prefixes, base, len(found) if first is None else first


def service_endpoints(query: str) -> list[str | None]:
    """The endpoint of every SERVICE in the query, prefixed names expanded; None for a variable."""
    return _iris_after(query, "SERVICE")


def load_sources(update: str) -> list[str | None]:
    """The document every LOAD in the update would fetch."""
    return _iris_after(update, "LOAD")


def _iris_after(text: str, keyword: str) -> list[str | None]:
    """The IRI after each ``keyword`` [SILENT]: relative IRIs resolved, prefixed names expanded; None
    when something else follows (a variable)."""
    found = tokens(text)
    prefixes, base, _ = _prologue(found)
    endpoints: list[str | None] = []
    for i, token in enumerate(found):
        if token.kind != "word" or token.text.upper() != keyword:
            continue
        j = i + 1
        if j < len(found) and found[j].kind == "word" and found[j].text.upper() == "SILENT":
            j += 1
        target = found[j] if j < len(found) else None
        if target is not None and target.kind == "iri":
            iri = target.text[1:-1]
            endpoints.append(urljoin(base, iri) if base else iri)
        elif target is not None and target.kind == "word" and target.text[0] not in "?$" and ":" in target.text:
            prefix, _, local = target.text.partition(":")
            endpoints.append(prefixes[prefix] + local if prefix in prefixes else target.text)
        else:
            endpoints.append(None)
    return endpoints


def allowed_endpoint(endpoint: str, allowlist: tuple[str, ...]) -> bool:
    """Whether ``endpoint`` starts with an allowed prefix, at a boundary: the prefix
    http://host:8000 allows http://host:8000/sparql, not http://host:8000.evil.example/."""
    for prefix in allowlist:
        if endpoint == prefix or (prefix and endpoint.startswith(prefix)
                                  and (prefix[-1] in "/?#" or endpoint[len(prefix)] in "/?#")):
            return True
    return False


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return any(t.kind == "word" and t.depth == 0 and t.text.upper() == "FROM" for t in tokens(query))


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request (its first keyword after the prologue is an update's)."""
    found = tokens(text)
    _, _, first = _prologue(found)
    return first < len(found) and found[first].kind == "word" and found[first].text.upper() in UPDATE_KEYWORDS


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


def check_query(query: str, max_length: int, service_allowlist: tuple[str, ...]) -> None:
    """Refusals that do not need the parser: too long, an update, or a SERVICE not allowed."""
    if len(query) > max_length:
        raise QueryRejected(f"the query is {len(query)} characters long; the limit is {max_length}")
    if is_update(query):
        raise QueryRejected("SPARQL Update is not accepted at the query endpoint; send it to /update")
    for endpoint in service_endpoints(query):
        if endpoint is None:
            raise QueryRejected("SERVICE with a variable endpoint is not allowed")
        if not allowed_endpoint(endpoint, service_allowlist):
            raise QueryRejected(f"SERVICE <{endpoint}> is not allowed: federated queries are off unless the "
                                "endpoint is in the configured allowlist")


def check_update(update: str, max_length: int, allowlist: tuple[str, ...]) -> None:
    """Refusals for an update: too long, or a SERVICE or LOAD that would reach a server not allowed."""
    if len(update) > max_length:
        raise QueryRejected(f"the update is {len(update)} characters long; the limit is {max_length}")
    for endpoint in service_endpoints(update):
        if endpoint is None or not allowed_endpoint(endpoint, allowlist):
            raise QueryRejected(f"SERVICE <{endpoint or '?'}> is not allowed: federated queries are off unless "
                                "the endpoint is in the configured allowlist")
    for source in load_sources(update):
        if source is None or not allowed_endpoint(source, allowlist):
            raise QueryRejected(f"LOAD <{source or '?'}> is not allowed: the server fetches only from the "
                                "configured allowlist")


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
        elif not has_dataset_clause(query):  # the union default graph would override FROM and FROM NAMED
            kwargs["use_default_graph_as_union"] = self.union_default_graph
        try:
            result = self.store.query(query, **kwargs)
            return collect_outcome(result, max_rows)
        except SyntaxError as exc:  # the line, the column and a hint in plain words (sparql_errors)
            raise QueryRejected(sparql_errors.describe(query, str(exc))) from exc
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryRejected(str(exc)) from exc


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

    def __init__(self, dataset: Dataset):
        import rdflib.plugins.sparql

        self.dataset = dataset
        # FROM <iri> must name a graph of the dataset, never make rdflib fetch the IRI from the web.
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

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
    if term.datatype.value == XSD_STRING:  # a simple literal (RDF 1.1): written without a datatype
        return Literal(term.value)
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
