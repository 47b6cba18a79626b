"""What every dataset offers, embedded or remote: readers that query, writers that change.

Results are pyoxigraph's own types (``QuerySolutions``, ``QueryBoolean``, triples), whichever
store answers, so the merge, the alignment, the network and the CLI are written once.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Iterator

import pyoxigraph as ox


class DatasetError(Exception):
    """The store could not be opened, read or written; the message says which and why."""


class Reader(abc.ABC):
    @abc.abstractmethod
    def query(self, sparql: str, **options):
        """Run a SPARQL query; options as ``pyoxigraph.Store.query`` (use_default_graph_as_union, …)."""

    @abc.abstractmethod
    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[ox.Quad]:
        ...

    @abc.abstractmethod
    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs."""

    def select(self, sparql: str, **options) -> list[list]:
        """A SELECT's rows as lists of terms (None for unbound), in the order of its variables."""
        result = self.query(sparql, **options)
        names = [v.value for v in result.variables]
        return [[row[n] for n in names] for row in result]

    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0][0].value) if rows and rows[0][0] is not None else 0


class Writer(Reader):
    @abc.abstractmethod
    def update(self, sparql: str) -> None: ...

    @abc.abstractmethod
    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads (few: metadata, alignment nodes)."""

    @abc.abstractmethod
    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add many quads, as fast as the store can."""

    @abc.abstractmethod
    def load(self, stream, fmt: ox.RdfFormat, graph: str | None, base_iri: str | None = None) -> None:
        """Parse a file's bytes into ``graph`` (None: the file's own graphs). Raises SyntaxError."""

    def load_path(self, path: str, fmt: ox.RdfFormat, graph: str | None, base_iri: str | None = None) -> None:
        """Parse a file by its path (faster where the store reads it natively). Raises SyntaxError."""
        with open(path, "rb") as stream:
            self.load(stream, fmt, graph, base_iri)

    @abc.abstractmethod
    def drop_graph(self, graph: str) -> None: ...


class Dataset(abc.ABC):
    """The one dataset: the curated graphs from ``dist/`` plus every merged source."""

    kind: str = ""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data is: a directory, or the endpoint's URL."""

    @abc.abstractmethod
    def generation(self) -> str:
        """A token that changes whenever the data does (for caches, ETags and reopening)."""

    @abc.abstractmethod
    def reader(self) -> Reader:
        """A consistent view of the data as it is now."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Writer]:
        """A writer whose changes become visible together when the block ends without an exception."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Delete everything (curated graphs and merged sources)."""

    def disk_bytes(self) -> int | None:
        return None
