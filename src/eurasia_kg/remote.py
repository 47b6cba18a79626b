"""Outgrowing one machine: push the graphs to a triple store, and query a remote SPARQL endpoint.

``push`` copies every named graph, curated and merged, with the SPARQL 1.1 Graph Store Protocol
(one PUT per graph), falling back to SPARQL 1.1 Update (DROP SILENT GRAPH + INSERT DATA in
chunks) when the store has no Graph Store endpoint. ``RemoteEngine`` answers the same calls as
the embedded engines, so the web layer can serve a remote store.
"""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .http_client import HttpError, auth_header, request
from .sparql import Outcome, QueryRejected, collect_outcome


class RemoteError(Exception):
    pass


def _request(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
             timeout: float = 300) -> tuple[int, str, bytes]:
    try:
        return request(url, method, data, headers, timeout)
    except HttpError as exc:
        raise RemoteError(str(exc)) from exc


# --- push ------------------------------------------------------------------------------

@dataclass
class PushReport:
    graphs: dict[str, int] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)


def graphs_of(quads: Iterable[ox.Quad]) -> dict[str, list[ox.Triple]]:
    grouped: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode):
            grouped[quad.graph_name.value].append(quad.triple)
    return grouped


def default_update_url(gsp_url: str) -> str:
    base = gsp_url.rstrip("/")
    for tail in ("/store", "/data", "/rdf-graph-store", "/statements"):
        if base.endswith(tail):
            return base[: -len(tail)] + "/update"
    return base + "/update"


def push(quads: Iterable[ox.Quad], gsp_url: str, update_url: str | None = None, auth: str | None = None,
         chunk: int = 5000, log: Callable[[str], None] = lambda _: None) -> PushReport:
    headers = auth_header(auth)
    update_url = update_url or default_update_url(gsp_url)
    report = PushReport()
    use_update = False
    for graph, triples in sorted(graphs_of(quads).items()):
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if not use_update:
            target = f"{gsp_url}{'&' if '?' in gsp_url else '?'}graph={urllib.parse.quote(graph, safe='')}"
            status, _, text = _request(target, "PUT", body, {**headers, "Content-Type": "application/n-triples"})
            if status in (200, 201, 204):
                report.graphs[graph], report.method[graph] = len(triples), "graph-store-protocol"
                log(f"PUT <{graph}>: {len(triples)} triples")
                continue
            if status in (401, 403):
                raise RemoteError(f"{gsp_url}: {status} {text[:200].decode(errors='replace')} (check --auth)")
            log(f"Graph Store Protocol refused ({status}); falling back to SPARQL Update at {update_url}")
            use_update = True
        _update_graph(update_url, graph, triples, headers, chunk)
        report.graphs[graph], report.method[graph] = len(triples), "sparql-update"
        log(f"INSERT DATA <{graph}>: {len(triples)} triples")
    return report


def _update_graph(url: str, graph: str, triples: list[ox.Triple], headers: dict, chunk: int) -> None:
    def send(text: str) -> None:
        status, _, body = _request(url, "POST", text.encode(), {**headers,
                                                                "Content-Type": "application/sparql-update"})
        if status not in (200, 204):
            raise RemoteError(f"{url}: SPARQL Update failed with {status}: {body[:300].decode(errors='replace')}")

    send(f"DROP SILENT GRAPH <{graph}>")
    for start in range(0, len(triples), chunk):
        data = ox.serialize(triples[start:start + chunk], format=ox.RdfFormat.N_TRIPLES).decode()
        send(f"INSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}")


def remote_graph_sizes(query_url: str, auth: str | None = None) -> dict[str, int]:
    engine = RemoteEngine(query_url, auth)
    outcome = engine.run("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", 100000)
    return {row[0].value: int(row[1].value) for row in outcome.rows}


# --- a remote SPARQL endpoint as an engine -------------------------------------------------

class RemoteEngine:
    """Queries a remote SPARQL 1.1 endpoint; results come back as the same Outcome the embedded engines give."""

    name = "remote"

    def __init__(self, endpoint: str, auth: str | None = None, union_default_graph: bool = True,
                 timeout: float = 60):
        self.endpoint = endpoint
        self.headers = auth_header(auth)
        self.union_default_graph = union_default_graph
        self.timeout = timeout

    def run(self, query: str, max_rows: int, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, base_iri: str | None = None) -> Outcome:
        from .config import PREFIXES

        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if f"{p}:" in query)
        params = [("query", prologue + query)]
        params += [("default-graph-uri", g) for g in default_graphs or []]
        params += [("named-graph-uri", g) for g in named_graphs or []]
        status, content_type, body = _request(
            self.endpoint, "POST", urllib.parse.urlencode(params).encode(),
            {**self.headers, "Content-Type": "application/x-www-form-urlencoded",
             "Accept": "application/sparql-results+json, application/n-triples;q=0.9"}, self.timeout)
        if status == 400:
            raise QueryRejected(body.decode(errors="replace").strip())
        if status != 200:
            raise RemoteError(f"{self.endpoint}: {status} {body[:300].decode(errors='replace')}")
        media = content_type.split(";")[0].strip()
        if media in ("application/n-triples", "text/plain", "text/turtle"):
            fmt = ox.RdfFormat.N_TRIPLES if media != "text/turtle" else ox.RdfFormat.TURTLE
            triples = list(ox.parse(body, format=fmt))
            return Outcome("graph", triples=triples[:max_rows], truncated=len(triples) > max_rows)
        return collect_outcome(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON), max_rows)
