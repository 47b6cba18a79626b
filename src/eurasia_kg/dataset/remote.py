"""A dataset kept in a remote SPARQL 1.1 store (Oxigraph server, Virtuoso, Fuseki, GraphDB…).

Reads are SPARQL queries; writes use the Graph Store Protocol (a whole graph per request, so a
source's blank nodes stay one set and, in stores that run each request as a transaction, a
source arrives whole) and fall back to SPARQL Update where the store has no Graph Store endpoint.

A remote store has no transaction that spans requests. The nearest honest equivalent: a writer
records the graphs it creates and drops them again if anything fails, and the merge writes a
source's record last, so ``sources list`` never shows a half-merged source. A query sent while a
large source is being written can see part of it; docs/remote-stores.md says so.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..config import MERGE_METADATA_GRAPH, ONTOLOGY_NS
from ..http_client import HttpError, auth_header, request
from .base import Dataset, DatasetError, Reader, Writer

DATASET_NODE = "https://w3id.org/eurasia-kg/id/merged-source/_dataset"
GENERATION_PREDICATE = ONTOLOGY_NS + "generation"
# Endpoints of well-known stores, from the query endpoint: (query suffix, update suffix, graph store suffix).
ENDPOINT_PATTERNS = (
    ("/query", "/update", "/store"),  # Oxigraph server
    ("/sparql", "/sparql", "/sparql-graph-crud"),  # Virtuoso
)


def derive_endpoints(query_url: str, update_url: str | None, graph_store_url: str | None) -> tuple[str, str, str]:
    for q, u, g in ENDPOINT_PATTERNS:
        if query_url.rstrip("/").endswith(q):
            base = query_url.rstrip("/")[: -len(q)]
            return query_url, update_url or base + u, graph_store_url or base + g
    return query_url, update_url or query_url, graph_store_url or query_url


@dataclass
class RemoteReader(Reader):
    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 600.0

    def query(self, sparql: str, use_default_graph_as_union: bool = False, default_graph=None,
              named_graphs=None, base_iri=None, prefixes=None):
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in (prefixes or {}).items() if f"{p}:" in sparql)
        params = [("query", prologue + sparql)]
        for graph in default_graph if isinstance(default_graph, list) else [default_graph] if default_graph else []:
            params.append(("default-graph-uri", graph.value))
        params += [("named-graph-uri", g.value) for g in named_graphs or []]
        if use_default_graph_as_union and not default_graph:
            # Oxigraph server's switch; Virtuoso's default graph is already the union, and other
            # stores ignore parameters they do not know (docs/remote-stores.md).
            params.append(("union-default-graph", ""))
        status, content_type, body = self._post(params, "application/sparql-results+json, "
                                                        "application/n-triples;q=0.9, text/turtle;q=0.8")
        if status == 400:
            raise SyntaxError(body.decode(errors="replace").strip()[:2000])
        if status != 200:
            raise DatasetError(f"{self.endpoint}: query failed with {status}: "
                               f"{body[:300].decode(errors='replace')}")
        media = content_type.split(";")[0].strip().lower()
        if media in ("application/n-triples", "text/plain", "text/turtle"):
            fmt = ox.RdfFormat.TURTLE if media == "text/turtle" else ox.RdfFormat.N_TRIPLES
            return list(ox.parse(body, format=fmt))
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QuerySolutions) and [v.value for v in result.variables] == ["__ASK_RETVAL"]:
            # Virtuoso answers ASK in JSON as a one-row SELECT of __ASK_RETVAL 1 or 0.
            return any(row[0] is not None and row[0].value not in ("0", "false") for row in result)
        return bool(result) if isinstance(result, ox.QueryBoolean) else result

    def _post(self, params: list[tuple[str, str]], accept: str) -> tuple[int, str, bytes]:
        try:
            return request(self.endpoint, "POST", urllib.parse.urlencode(params).encode(),
                           {**self.headers, "Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
                           self.timeout)
        except HttpError as exc:
            raise DatasetError(str(exc)) from exc

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[ox.Quad]:
        terms = {"s": subject, "p": predicate, "o": object, "g": graph}
        pattern = {k: (str(v) if v is not None else f"?{k}") for k, v in terms.items()}
        variables = [f"?{k}" for k, v in terms.items() if v is None]
        text = (f"SELECT {' '.join(variables) or '*'} WHERE {{ GRAPH {pattern['g']} {{ "
                f"{pattern['s']} {pattern['p']} {pattern['o']} }} }}")
        if not variables:
            text = f"ASK {{ GRAPH {pattern['g']} {{ {pattern['s']} {pattern['p']} {pattern['o']} }} }}"
            if self.query(text):
                yield ox.Quad(subject, predicate, object, graph)
            return
        for row in self.query(text):
            yield ox.Quad(*(terms[k] if terms[k] is not None else row[k] for k in "spog"))

    def named_graphs(self) -> list[str]:
        return sorted(row[0].value for row in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
                      if isinstance(row[0], ox.NamedNode))


@dataclass
class RemoteWriter(RemoteReader, Writer):
    update_endpoint: str = ""
    graph_store: str = ""
    created: set[str] = field(default_factory=set)
    use_update: bool = False

    def update(self, sparql: str) -> None:
        try:
            status, _, body = request(self.update_endpoint, "POST", urllib.parse.urlencode({"update": sparql}).encode(),
                                      {**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
                                      self.timeout)
        except HttpError as exc:
            raise DatasetError(str(exc)) from exc
        if status not in (200, 204):
            raise DatasetError(f"{self.update_endpoint}: SPARQL Update failed with {status}: "
                               f"{body[:400].decode(errors='replace')}")

    def _send_graph(self, graph: str, path: str, replace: bool) -> None:
        """Send an N-Triples file as one graph, in one request."""
        if not self.use_update:
            joiner = "&" if "?" in self.graph_store else "?"
            target = f"{self.graph_store}{joiner}graph={urllib.parse.quote(graph, safe='')}"
            with open(path, "rb") as body:
                try:
                    status, _, text = request(target, "PUT" if replace else "POST", body,
                                              {**self.headers, "Content-Type": "application/n-triples",
                                               "Content-Length": str(os.path.getsize(path))}, self.timeout)
                except HttpError as exc:
                    raise DatasetError(str(exc)) from exc
            if status in (200, 201, 204):
                return
            if status in (401, 403):
                raise DatasetError(f"{self.graph_store}: {status} {text[:200].decode(errors='replace')} "
                                   "(check the store's credentials, setting store_auth)")
            self.use_update = True  # no Graph Store Protocol here: SPARQL Update from now on
        with open(path, encoding="utf-8") as handle:
            data = handle.read()
        self.update(("" if not replace else f"DROP SILENT GRAPH <{graph}> ;\n")
                    + f"INSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}")

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
        for quad in quads:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise DatasetError("the remote store is written one named graph at a time; "
                                   "a quad in the default graph cannot be sent")
            by_graph[quad.graph_name.value].append(quad.triple)
        for graph, triples in by_graph.items():
            with tempfile.NamedTemporaryFile("wb", suffix=".nt", delete=False) as handle:
                ox.serialize(triples, handle, format=ox.RdfFormat.N_TRIPLES)
            try:
                self._send_graph(graph, handle.name, replace=False)
            finally:
                os.unlink(handle.name)

    bulk_extend = extend

    def load(self, stream, fmt: ox.RdfFormat, graph: str | None, base_iri: str | None = None) -> None:
        """Parse locally (so hostile or broken input never reaches the store), then send each graph."""
        with tempfile.TemporaryDirectory() as tmp:
            files: dict[str, object] = {}
            try:
                for quad in ox.parse(stream, format=fmt, base_iri=base_iri):
                    target = graph or (quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None)
                    if target is None:
                        raise DatasetError("a triple in the default graph cannot be sent to the remote store")
                    if target not in files:
                        files[target] = open(os.path.join(tmp, f"{len(files)}.nt"), "wb")  # noqa: SIM115
                    ox.serialize([quad.triple], files[target], format=ox.RdfFormat.N_TRIPLES)
            finally:
                for handle in files.values():
                    handle.close()
            for i, target in enumerate(files):
                self.created.add(target)
                self._send_graph(target, os.path.join(tmp, f"{i}.nt"), replace=True)

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")


@dataclass
class RemoteDataset(Dataset):
    endpoint: str
    update_endpoint: str | None = None
    graph_store: str | None = None
    auth: str | None = None

    kind = "remote"

    def __post_init__(self) -> None:
        self.endpoint, self.update_endpoint, self.graph_store = derive_endpoints(
            self.endpoint, self.update_endpoint, self.graph_store)

    @property
    def location(self) -> str:
        return self.endpoint

    def reader(self) -> RemoteReader:
        return RemoteReader(self.endpoint, auth_header(self.auth))

    def generation(self) -> str:
        rows = self.reader().select(f"SELECT ?v WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ "
                                    f"<{DATASET_NODE}> <{GENERATION_PREDICATE}> ?v }} }}")
        return rows[0][0].value if rows else ""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[RemoteWriter]:
        writer = RemoteWriter(self.endpoint, auth_header(self.auth), update_endpoint=self.update_endpoint,
                              graph_store=self.graph_store)
        try:
            yield writer
        except BaseException:
            for graph in writer.created:  # compensate: what this writer created goes again
                with contextlib.suppress(DatasetError):
                    writer.drop_graph(graph)
            raise
        node, generation = f"<{DATASET_NODE}> <{GENERATION_PREDICATE}>", uuid.uuid4()
        writer.update(f"""DELETE WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ {node} ?v }} }} ;
            INSERT DATA {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ {node} "{generation}" }} }}""")

    def reset(self) -> None:
        from ..config import GRAPH_BASE, MERGED_BASE

        with self.transaction() as writer:
            for graph in writer.named_graphs():
                if graph.startswith((GRAPH_BASE, MERGED_BASE)):
                    writer.drop_graph(graph)
