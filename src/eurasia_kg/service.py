"""The knowledge service: what the web layer asks of the data, with no notion of HTTP.

It runs inside worker processes (see ``workers``): every method the workers may call is listed in
``KnowledgeService.CALLS``, takes and returns plain picklable values, and gives results already
written as bytes. Errors are raised as ``ServiceError`` with the HTTP-neutral kind of failure.

Where the data comes from is decided in one place, ``open_engine``; every call reaches its engine
through ``KnowledgeService.engine_for_call``, and the version of the data (for ETags and cache
keys) comes from ``data_version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import sparql, sparql_checks
from .config import GRAPH_BASE, PREFIXES
from .dataset.local import LocalDataset

EKG = "https://w3id.org/eurasia-kg/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EXTERNAL_ID_PROPERTIES = (EKG + "wikidata", EKG + "dbpedia", EKG + "geonames", EKG + "iso3166Alpha2",
                          EKG + "iso3166Alpha3", EKG + "iso3166Numeric", EKG + "iso3166_2")
DUMP = "eurasia-kg.nq"
EMBEDDED = (sparql.OxigraphEngine, sparql.RdflibEngine)


class ServiceError(Exception):
    def __init__(self, kind: str, message: str):
        self.kind = kind  # "rejected", "not-acceptable", "not-found", "forbidden", "too-large"
        self.message = message
        super().__init__(kind, message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # picklable with both arguments, to cross from a worker to the web process
        return ServiceError, (self.kind, self.message)


@dataclass
class Answer:
    media_type: str
    body: bytes = b""
    format_key: str = ""
    html: dict | None = None  # for text/html: the data the page template shows
    truncated: bool = False


@dataclass(frozen=True)
class DataSource:
    """Where the data is: the one dataset (an embedded store directory, or the query URL of a remote
    SPARQL endpoint, see eurasia_kg.dataset); ``engine="rdflib"`` answers from the built dump instead."""

    dist: Path
    store: str | None = None
    engine: str = "oxigraph"
    union_default_graph: bool = True
    store_auth: str | None = None

    @property
    def dump(self) -> Path:
        return self.dist / DUMP

    @property
    def remote(self) -> bool:
        return bool(self.store) and self.store.startswith(("http://", "https://"))


def open_engine(source: DataSource) -> tuple[Any, LocalDataset | None]:
    """The one place where an engine is made from the data source: the engine, and the embedded
    dataset it reads (None for the others), which engine_for_call follows from generation to generation."""
    if source.remote:
        from .remote import RemoteEngine

        return RemoteEngine(source.store, auth=source.store_auth,
                            union_default_graph=source.union_default_graph), None
    if source.engine == "rdflib":
        return sparql.RdflibEngine.from_file(source.dump, source.union_default_graph), None
    if source.store:
        dataset = LocalDataset(Path(source.store))
        return sparql.OxigraphEngine(dataset.reader().store, source.union_default_graph), dataset
    return sparql.OxigraphEngine.from_file(source.dump, source.union_default_graph), None


def data_version(dataset) -> str:
    """The version of the data, part of every ETag and cache key: the store's published generation."""
    return dataset.generation() if dataset is not None else ""


def term_view(term) -> dict | None:
    """A term as the HTML templates show it (never pre-escaped: the template escapes)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "short": shorten(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "short": f"_:{term.value}"}
    if isinstance(term, ox.Triple):
        return {"type": "literal", "value": str(term), "language": None, "datatype": None}
    datatype = term.datatype.value if term.datatype is not None else None
    return {"type": "literal", "value": term.value, "language": term.language,
            "datatype": shorten(datatype) if datatype and not term.language else None}


def shorten(iri: str) -> str:
    best = ""
    name = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    rest = iri[len(best):]
    if best and rest and all(c.isalnum() or c in "-_." for c in rest):
        return f"{name}:{rest}"
    return iri


@dataclass
class KnowledgeService:
    source: DataSource
    max_rows: int = 10000
    max_query_length: int = 20000
    max_query_depth: int = 100
    service_allowlist: tuple[str, ...] = ()
    _engine: Any = field(default=None, repr=False)
    _dataset: LocalDataset | None = field(default=None, repr=False)
    _checker: sparql_checks.Checker | None = field(default=None, repr=False)

    # The methods a worker runs on request; nothing else is reachable from the web process.
    CALLS = frozenset({"query", "describe", "describe_rdf", "update_dataset", "network", "warm_up"})

    # --- The data -----------------------------------------------------------------------

    def engine_for_call(self):
        """The engine for the next call: opened on first use (so that workers start at once), and
        moved to the store's newest published generation (a stat when nothing moved)."""
        if self._engine is None:
            self._engine, self._dataset = open_engine(self.source)
        elif self._dataset is not None:
            store = self._dataset.reader().store
            if store is not self._engine.store:
                self._engine.store = store
        return self._engine

    def refresh(self) -> None:
        self.engine_for_call()

    @property
    def dataset(self) -> LocalDataset | None:
        self.engine_for_call()
        return self._dataset

    @property
    def engine(self):
        return self.engine_for_call()

    @property
    def checker(self) -> sparql_checks.Checker:
        if self._checker is None:
            self._checker = sparql_checks.Checker(tuple(self.service_allowlist), self.max_query_length,
                                                  self.max_query_depth)
        return self._checker

    def warm_up(self) -> int:
        """Open the engine now (a worker calls this when idle after start); the number of quads is not counted."""
        self.engine_for_call()
        return 0

    # --- SPARQL -----------------------------------------------------------------------

    def query(self, text: str, result_format: str | None, graph_format: str | None,
              default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
              base_iri: str | None = None) -> Answer:
        """Answer a query, written in ``result_format`` (SELECT, ASK) or ``graph_format`` (CONSTRUCT,
        DESCRIBE): keys of negotiation's tables, chosen by the web layer; None when the client accepts
        none of that kind. ``default_graphs``/``named_graphs`` are the protocol's dataset (None when not
        given); ``base_iri`` resolves relative IRIs."""
        from . import negotiation

        try:
            facts = self.checker.query(text, base_iri)
            engine = self.engine_for_call()
            # A remote endpoint applies FROM itself; the embedded engines are told of it.
            extra = {"has_dataset": facts.has_dataset} if isinstance(engine, EMBEDDED) else {}
            outcome = engine.run(text, self.max_rows, default_graphs, named_graphs, base_iri, **extra)
        except sparql.QueryRejected as exc:
            message = str(exc)
            if "could not be parsed" not in message and sparql_checks.parses_as_update(text):
                message = "SPARQL Update is not accepted at the query endpoint; send it to /update"
            raise ServiceError("rejected", message) from None
        key = graph_format if outcome.kind == "graph" else result_format
        formats = negotiation.GRAPH_FORMATS if outcome.kind == "graph" else negotiation.RESULT_FORMATS
        if key is None:
            raise ServiceError("not-acceptable", str(negotiation.NotAcceptable(formats)))
        fmt = negotiation.by_key(formats, key)
        if fmt.key == "html":
            return Answer(fmt.media_type, format_key="html", html=_html_view(outcome), truncated=outcome.truncated)
        return Answer(fmt.media_type, sparql.render(outcome, fmt.key), fmt.key, truncated=outcome.truncated)

    # --- SPARQL Update (user graphs only) ------------------------------------------------

    def update_dataset(self, text: str, base_iri: str | None = None, using: list[str] | None = None,
                       using_named: list[str] | None = None) -> None:
        """Run an update on the store as one transaction, published for every reader; refused, with
        nothing changed, if it would touch a curated graph. ``using`` and ``using_named`` are the
        protocol's using-graph-uri and using-named-graph-uri."""
        dataset = self.dataset
        if dataset is None:
            raise ServiceError("rejected", "SPARQL Update needs the embedded store")
        try:
            operations = self.checker.update(text, base_iri)
            text = sparql_checks.with_update_dataset(text, operations, using or [], using_named or [])
        except sparql.QueryRejected as exc:
            raise ServiceError("rejected", str(exc)) from None

        class _Refused(Exception):
            pass

        try:
            with dataset.transaction() as writer:
                before = self._curated(writer.store)
                try:
                    writer.store.update(text, prefixes=PREFIXES, base_iri=base_iri)
                except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
                    raise ServiceError("rejected", str(exc)) from None
                if self._curated(writer.store) != before:
                    raise _Refused
        except _Refused:
            raise ServiceError("forbidden", "the update would change a curated graph (under "
                               f"{GRAPH_BASE}); updates may only write other graphs. Nothing was changed.") from None
        self.engine_for_call()

    @staticmethod
    def _is_curated(graph) -> bool:
        return isinstance(graph, ox.NamedNode) and graph.value.startswith(GRAPH_BASE)

    def _curated(self, store: ox.Store) -> set:
        return {q for g in store.named_graphs() if self._is_curated(g)
                for q in store.quads_for_pattern(None, None, None, g)}

    # --- The network view ------------------------------------------------------------------

    # network_service's entry points the network view may call (each takes the service and a dict of
    # plain request parameters): named here, so that no other function is reachable by name.
    NETWORK_FUNCTIONS = ("network_json", "network_export", "neighbourhood_json", "edge_json", "network_timeline",
                         "person_timeline")

    def network(self, function: str, params: dict) -> Any:
        """One of the network's answers, built next to the store by ``network_service.<function>``."""
        if function not in self.NETWORK_FUNCTIONS:
            raise ServiceError("rejected", f"unknown network answer {function!r}")
        from . import network_service

        return getattr(network_service, function)(self, params)

    # --- Linked Data ----------------------------------------------------------------

    def describe(self, iri: str) -> dict:
        """Everything a resource page shows: label, types, statements, incoming links, quotes, identifiers."""
        node = f"<{iri}>"
        out = self._rows(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} }} ORDER BY ?p ?o ?g")
        incoming = self._rows(f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {node} }} }} ORDER BY ?p ?s LIMIT 500")
        if not out and not incoming:
            raise ServiceError("not-found", f"nothing is known about <{iri}>")
        quotes = self._rows(f"""
            SELECT ?quote ?exact ?fact WHERE {{
              {{ {node} ekg:quote ?quote BIND({node} AS ?fact) }}
              UNION {{ ?fact ekg:quote ?quote ; ?anyP {node} FILTER(?fact != {node}) }}
              ?quote oa:hasSelector/oa:exact ?exact }} ORDER BY ?fact ?quote LIMIT 200""")
        labels = self._labels([iri] + [r[1]["value"] for r in out if r[1]["type"] == "iri"]
                              + [r[0]["value"] for r in incoming if r[0]["type"] == "iri"]
                              + [r[2]["value"] for r in quotes if r[2]["type"] == "iri"])
        statements = [{"predicate": p, "object": o, "graph": g} for p, o, g in out]
        return {
            "iri": iri,
            "label": labels.get(iri, shorten(iri)),
            "labels": labels,
            "types": [s["object"] for s in statements if s["predicate"]["value"] == RDF_TYPE],
            "statements": [s for s in statements if s["predicate"]["value"] != RDF_TYPE],
            "incoming": [{"subject": s, "predicate": p, "graph": g} for s, p, g in incoming],
            "quotes": [{"quote": q, "exact": e["value"], "fact": f} for q, e, f in quotes],
            "identifiers": [s for s in statements if s["predicate"]["value"] in EXTERNAL_ID_PROPERTIES],
        }

    def describe_rdf(self, iri: str, format_key: str) -> Answer:
        from . import negotiation

        fmt = negotiation.by_key(negotiation.GRAPH_FORMATS, format_key)
        if fmt is None or fmt.key == "html":
            raise ServiceError("not-acceptable", f"unknown RDF format {format_key!r}")
        outcome = self.engine_for_call().run(f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE {{ "
                                             f"{{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}", self.max_rows)
        if not outcome.triples:
            raise ServiceError("not-found", f"nothing is known about <{iri}>")
        return Answer(fmt.media_type, sparql.render(outcome, fmt.key), fmt.key)

    def _rows(self, query: str) -> list[list[dict | None]]:
        outcome = self.engine_for_call().run(query, self.max_rows)
        return [[term_view(t) for t in row] for row in outcome.rows]

    def _labels(self, iris: list[str]) -> dict[str, str]:
        unique = sorted({i for i in iris if i})[:2000]
        if not unique:
            return {}
        values = " ".join(f"<{i}>" for i in unique)
        rows = self.engine_for_call().run(f"""SELECT ?x (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?x {{ {values} }}
            ?x rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en") || LANG(?l) = "") }} GROUP BY ?x""",
                                          self.max_rows).rows
        return {x.value: label.value for x, label in rows if label is not None}


def _html_view(outcome: sparql.Outcome) -> dict:
    if outcome.kind == "boolean":
        return {"kind": "boolean", "boolean": outcome.boolean}
    if outcome.kind == "graph":
        return {"kind": "graph", "variables": ["subject", "predicate", "object"],
                "rows": [[term_view(t.subject), term_view(t.predicate), term_view(t.object)]
                         for t in outcome.triples], "truncated": outcome.truncated}
    return {"kind": "bindings", "variables": outcome.variables,
            "rows": [[term_view(t) for t in row] for row in outcome.rows], "truncated": outcome.truncated}
