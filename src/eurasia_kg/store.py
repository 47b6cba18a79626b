"""Querying the one dataset from the command line: a reader of the store (embedded or remote),
with the project's prefixes, and rendering of results for the terminal.

Knows nothing about HTTP. By default the default graph is the union of the named graphs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import PREFIXES

DUMP = "eurasia-kg.nq"


class QueryError(Exception):
    """The query could not be parsed or run; the message is the engine's."""


@dataclass
class Table:
    variables: list[str]
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]


class KnowledgeStore:
    """Queries over ``store``: a pyoxigraph Store, or a dataset reader (``dataset.Reader``)."""

    def __init__(self, store, union_default_graph: bool = True):
        self.store = store.store if hasattr(store, "store") and isinstance(store.store, ox.Store) else store
        self.union_default_graph = union_default_graph

    @classmethod
    def from_dist(cls, dist: Path, union_default_graph: bool = True) -> KnowledgeStore:
        """The built dump alone, in memory: for checking a build (the build's own tests); every
        command reads the store instead (``dataset.open_dataset``)."""
        path = dist / DUMP
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist; run 'eurasia-kg build' first")
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        return cls(store, union_default_graph)

    def __len__(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows.rows[0][0].value) if rows.rows else 0

    def query(self, sparql: str, use_default_graph_as_union: bool | None = None):
        union = self.union_default_graph if use_default_graph_as_union is None else use_default_graph_as_union
        try:
            result = self.store.query(sparql, use_default_graph_as_union=union, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        except (OSError, ValueError, TypeError) as exc:
            raise QueryError(str(exc)) from exc
        return bool(result) if isinstance(result, ox.QueryBoolean | bool) else result

    def select(self, sparql: str) -> Table:
        result = self.query(sparql)
        if not hasattr(result, "variables"):
            raise QueryError("not a SELECT query")
        variables = [v.value for v in result.variables]
        return Table(variables, [[solution[v] for v in variables] for solution in result])

    def graph_sizes(self) -> dict[str, int]:
        table = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
        return {row[0].value: int(row[1].value) for row in table.rows}


def term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def shorten(iri: str) -> str:
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    if best and all(c.isalnum() or c in "-_." for c in iri[len(best):]):
        return f"{name}:{iri[len(best):]}"
    return f"<{iri}>"


def render(result, fmt: str) -> str:
    """Render a query result for the terminal or a file: table, csv, json (SELECT/ASK) or ttl (graphs)."""
    if isinstance(result, bool):
        return json.dumps({"head": {}, "boolean": result}) if fmt == "json" else str(result).lower()
    if isinstance(result, ox.QueryTriples | list):
        if fmt not in ("ttl", "nt", "json"):
            fmt = "ttl"
        rdf = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json": ox.RdfFormat.JSON_LD}[fmt]
        return ox.serialize(list(result), format=rdf, prefixes=PREFIXES if fmt == "ttl" else None).decode()
    if fmt == "json":
        return result.serialize(format=ox.QueryResultsFormat.JSON).decode()
    variables = [v.value for v in result.variables]
    rows = [[solution[v] for v in variables] for solution in result]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows([[term.value if term is not None else "" for term in row] for row in rows])
        return out.getvalue()
    if fmt == "ttl":
        raise QueryError("--format ttl needs a CONSTRUCT or DESCRIBE query")
    return _table(variables, [[term_text(t) for t in row] for row in rows])


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
