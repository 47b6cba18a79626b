"""The knowledge service: what the web layer asks of the data, with no notion of HTTP.

It runs inside worker processes (see ``workers``), so every method takes and returns plain,
picklable values. Errors are raised as ``ServiceError`` with the HTTP-neutral kind of failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import negotiation, sparql
from .config import GRAPH_BASE, PREFIXES
from .dataset.local import LocalDataset

EKG = "https://w3id.org/eurasia-kg/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EXTERNAL_ID_PROPERTIES = (EKG + "wikidata", EKG + "dbpedia", EKG + "geonames", EKG + "iso3166Alpha2",
                          EKG + "iso3166Alpha3", EKG + "iso3166Numeric", EKG + "iso3166_2")


class ServiceError(Exception):
    def __init__(self, kind: str, message: str):
        self.kind = kind  # "rejected", "not-acceptable", "not-found"
        self.message = message
        super().__init__(message)


@dataclass
class Answer:
    media_type: str
    body: bytes = b""
    format_key: str = ""
    html: dict | None = None  # for text/html: the data the page template shows
    truncated: bool = False


def term_view(term) -> dict | None:
    """A term as the HTML templates show it (never pre-escaped: the template escapes)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "short": shorten(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "short": f"_:{term.value}"}
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
    engine: sparql.OxigraphEngine | sparql.RdflibEngine
    max_rows: int = 10000
    max_query_length: int = 20000
    service_allowlist: tuple[str, ...] = ()
    version: str = ""
    stats: dict = field(default_factory=dict)
    dataset: LocalDataset | None = None  # the embedded store this service reads, reopened as it changes

    @classmethod
    def from_dist(cls, dist: Path, engine: str = "oxigraph", union_default_graph: bool = True,
                  store: str | None = None, store_auth: str | None = None, **limits) -> KnowledgeService:
        """The service over the one dataset: a remote endpoint (``store`` is a URL) or the embedded
        store (a directory); ``engine="rdflib"`` answers from the built dump instead (for comparison)."""
        path = dist / "eurasia-kg.nq"
        dataset = None
        if store and store.startswith(("http://", "https://")):
            from .remote import RemoteEngine

            chosen = RemoteEngine(store, auth=store_auth, union_default_graph=union_default_graph)
        elif engine == "rdflib":
            chosen = sparql.RdflibEngine.from_file(path, union_default_graph)
        elif store:
            dataset = LocalDataset(Path(store))
            chosen = sparql.OxigraphEngine(dataset.reader().store, union_default_graph)
        else:
            chosen = sparql.OxigraphEngine.from_file(path, union_default_graph)
        return cls(chosen, dataset=dataset, **limits)

    def refresh(self) -> None:
        """Before each call: read the store's newest published generation (a stat when nothing moved)."""
        if self.dataset is not None:
            store = self.dataset.reader().store
            if store is not self.engine.store:
                self.engine.store = store

    # --- SPARQL Update (user graphs only) ----------------------------------------

    def _store(self) -> ox.Store:
        if not isinstance(self.engine, sparql.OxigraphEngine):
            raise ServiceError("rejected", "SPARQL Update needs the oxigraph engine")
        return self.engine.store

    def update_dataset(self, text: str, base_iri: str | None = None, using: list[str] | None = None,
                       using_named: list[str] | None = None) -> None:
        """Run an update on the store as one transaction, published for every reader; refused, with
        nothing changed, if it would touch a curated graph."""
        if self.dataset is None:
            raise ServiceError("rejected", "SPARQL Update needs the embedded store")
        try:
            sparql.check_update(text, self.max_query_length, self.service_allowlist)
            text = sparql.with_update_dataset(text, using or [], using_named or [])
        except sparql.QueryRejected as exc:
            raise ServiceError("rejected", str(exc)) from exc

        class _Refused(Exception):
            pass

        try:
            with self.dataset.transaction() as writer:
                before = self._curated(writer.store)
                try:
                    writer.store.update(text, prefixes=PREFIXES, base_iri=base_iri)
                except SyntaxError as exc:
                    raise ServiceError("rejected", str(exc)) from exc
                except (OSError, ValueError, RuntimeError) as exc:
                    raise ServiceError("rejected", str(exc)) from exc
                if self._curated(writer.store) != before:
                    raise _Refused
        except _Refused:
            raise ServiceError("forbidden", "the update would change a curated graph (under "
                               f"{GRAPH_BASE}); updates may only write other graphs. Nothing was changed.") from None
        self.refresh()

    @staticmethod
    def _is_curated(graph) -> bool:
        return isinstance(graph, ox.NamedNode) and graph.value.startswith(GRAPH_BASE)

    def _curated(self, store: ox.Store) -> set:
        return {q for g in store.named_graphs() if self._is_curated(g)
                for q in store.quads_for_pattern(None, None, None, g)}

    # --- SPARQL ---------------------------------------------------------------

    def query(self, text: str, accept: str | None = None, format_param: str | tuple[str, ...] | None = None,
              default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
              base_iri: str | None = None) -> Answer:
        """Answer a query in the negotiated format. ``default_graphs``/``named_graphs`` are the
        protocol's dataset (None when not given); ``base_iri`` resolves relative IRIs."""
        try:
            sparql.check_query(text, self.max_query_length, self.service_allowlist)
            outcome = self.engine.run(text, self.max_rows, default_graphs, named_graphs, base_iri)
        except sparql.QueryRejected as exc:
            raise ServiceError("rejected", str(exc)) from exc
        formats = negotiation.GRAPH_FORMATS if outcome.kind == "graph" else negotiation.RESULT_FORMATS
        try:
            fmt = negotiation.negotiate(accept, formats, format_param)
        except negotiation.NotAcceptable as exc:
            raise ServiceError("not-acceptable", str(exc)) from exc
        if fmt.key == "html":
            return Answer(fmt.media_type, format_key="html", html=_html_view(outcome), truncated=outcome.truncated)
        return Answer(fmt.media_type, sparql.serialise(outcome, fmt), fmt.key, truncated=outcome.truncated)

    def run_plugin(self, target: str, *args):
        """Run ``module:function(service, *args)`` in the worker: other modules' views (the network
        view) reach the store this way without this class knowing about them."""
        import importlib

        module, name = target.split(":")
        if not module.startswith("eurasia_kg."):
            raise ServiceError("rejected", f"unknown plugin {target!r}")
        return getattr(importlib.import_module(module), name)(self, *args)

    # --- Linked Data ----------------------------------------------------------

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
        fmt = negotiation.by_key(negotiation.GRAPH_FORMATS, format_key)
        if fmt is None or fmt.key == "html":
            raise ServiceError("not-acceptable", f"unknown RDF format {format_key!r}")
        outcome = self.engine.run(f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE {{ "
                                  f"{{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}", self.max_rows)
        if not outcome.triples:
            raise ServiceError("not-found", f"nothing is known about <{iri}>")
        return Answer(fmt.media_type, sparql.serialise(outcome, fmt), fmt.key)

    def _rows(self, query: str) -> list[list[dict | None]]:
        outcome = self.engine.run(query, self.max_rows)
        return [[term_view(t) for t in row] for row in outcome.rows]

    def _labels(self, iris: list[str]) -> dict[str, str]:
        unique = sorted({i for i in iris if i})[:2000]
        if not unique:
            return {}
        values = " ".join(f"<{i}>" for i in unique)
        rows = self.engine.run(f"""SELECT ?x (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?x {{ {values} }}
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
