"""The embedded dataset: an on-disk pyoxigraph store kept as immutable generations.

Layout of the store directory::

    GENERATION            the name of the published generation, e.g. "g000042" (replaced atomically)
    generations/g000042/  a RocksDB store; never written again once published
    writer.lock           held (flock) by the one process that is writing

Why generations: RocksDB allows one read-write process, and reading a store read-only while
another process writes it is undefined behaviour (pyoxigraph's ``Store.read_only`` says so). A
writer therefore never touches a published generation. It takes a RocksDB checkpoint of the
current one (hard links: milliseconds, whatever the size), opens the copy read-write, applies
its change, closes it, and publishes it by replacing ``GENERATION``. Readers (the CLI, every
server worker) open the published generation read-only and, before each use, look at
``GENERATION`` (a ``stat``), reopening when it moved. So:

* a change is all or nothing: a failure, or a kill, leaves an unpublished directory that the
  next writer deletes, and nobody ever read it;
* readers see a source whole or not at all, and see a change as soon as it is published,
  without a restart;
* nothing needs recovering at start-up.

Superseded generations are deleted once a newer one has been published for ``KEEP_SECONDS``,
so a reader in the middle of a query on an older generation finishes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .base import Dataset, DatasetError, Reader, Writer

POINTER = "GENERATION"
GENERATIONS = "generations"
LOCK = "writer.lock"
GENERATION_NAME = re.compile(r"^g(\d{6,})$")
KEEP_SECONDS = 120.0  # a superseded generation stays this long for readers still using it
LOCK_WAIT_SECONDS = 600.0  # how long a writer waits for another writer (a large merge) to finish


class LocalReader(Reader):
    def __init__(self, store: ox.Store):
        self.store = store

    def query(self, sparql: str, **options):
        return self.store.query(sparql, **options)

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[ox.Quad]:
        return self.store.quads_for_pattern(subject, predicate, object, graph)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)

    def __iter__(self) -> Iterator[ox.Quad]:
        return iter(self.store)


class LocalWriter(LocalReader, Writer):
    def update(self, sparql: str) -> None:
        self.store.update(sparql)

    def extend(self, quads) -> None:
        self.store.extend(quads)

    def bulk_extend(self, quads) -> None:
        self.store.bulk_extend(quads)

    def load(self, stream, fmt: ox.RdfFormat, graph: str | None, base_iri: str | None = None) -> None:
        if graph is None:
            self.store.bulk_load(stream, format=fmt, base_iri=base_iri)
        else:
            self.store.bulk_load(stream, format=fmt, base_iri=base_iri, to_graph=ox.NamedNode(graph))

    def load_path(self, path: str, fmt: ox.RdfFormat, graph: str | None, base_iri: str | None = None) -> None:
        # pyoxigraph reads a path natively: about 1.6 times as fast as through a Python file object.
        target = {} if graph is None else {"to_graph": ox.NamedNode(graph)}
        self.store.bulk_load(path=path, format=fmt, base_iri=base_iri, **target)

    def drop_graph(self, graph: str) -> None:
        node = ox.NamedNode(graph)
        if self.store.contains_named_graph(node):
            self.store.remove_graph(node)


@dataclass
class LocalDataset(Dataset):
    """The store directory ``path``; readers reopen it when a writer publishes a new generation."""

    path: Path
    _open: tuple[tuple, str, ox.Store] | None = field(default=None, repr=False)

    kind = "embedded"

    def __post_init__(self) -> None:
        self.path = Path(self.path).resolve()

    @property
    def location(self) -> str:
        return str(self.path)

    # --- reading -------------------------------------------------------------------------

    def _pointer_stat(self) -> tuple:
        try:
            st = (self.path / POINTER).stat()
        except FileNotFoundError:
            return ()
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def generation(self) -> str:
        try:
            return (self.path / POINTER).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return ""

    def reader(self) -> LocalReader:
        """The published generation, opened read-only; reopened only when ``GENERATION`` moved."""
        stat = self._pointer_stat()
        if self._open is not None and self._open[0] == stat:
            return LocalReader(self._open[2])
        name = self.generation()
        if not name:
            store = ox.Store()  # nothing published yet: an empty dataset
        else:
            try:
                store = ox.Store.read_only(str(self.path / GENERATIONS / name))
            except OSError as exc:
                raise DatasetError(f"{self.path}: cannot open generation {name}: {exc}") from exc
        self._open = (stat, name, store)
        return LocalReader(store)

    def exists(self) -> bool:
        return bool(self.generation())

    # --- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / LOCK).open("a+") as handle:
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DatasetError(f"{self.path}: another eurasia-kg process has been writing to the "
                                           f"store for over {LOCK_WAIT_SECONDS:g} s; try again when it is done"
                                           ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _generations(self) -> list[str]:
        root = self.path / GENERATIONS
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if GENERATION_NAME.match(p.name))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[LocalWriter]:
        """A writer on a private copy of the current generation, published when the block ends
        without an exception; on any exception (or a kill) nothing is published."""
        with self._lock():
            self._sweep()
            current = self.generation()
            numbers = [int(GENERATION_NAME.match(n).group(1)) for n in self._generations()]
            name = f"g{max(numbers, default=0) + 1:06d}"
            target = self.path / GENERATIONS / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if current:
                ox.Store.read_only(str(self.path / GENERATIONS / current)).backup(str(target))
            store = ox.Store(str(target))
            writer = LocalWriter(store)
            try:
                yield writer
                store.flush()
            except BaseException:
                writer.store = None
                del store
                gc.collect()  # RocksDB lets go of the directory when the last reference goes
                shutil.rmtree(target, ignore_errors=True)
                raise
            writer.store = None
            del store
            gc.collect()
            self._publish(name)
            self._sweep()

    def _publish(self, name: str) -> None:
        pointer, tmp = self.path / POINTER, self.path / (POINTER + ".tmp")
        with tmp.open("w", encoding="ascii") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, pointer)
        directory = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _sweep(self) -> None:
        """Delete unpublished generations (a failed or killed writer's) and superseded ones that
        have been superseded for long enough. Called with the writer lock held."""
        current = self.generation()
        if not current:
            for name in self._generations():
                shutil.rmtree(self.path / GENERATIONS / name, ignore_errors=True)
            return
        pointer_age = time.time() - (self.path / POINTER).stat().st_mtime
        for name in self._generations():
            if name == current:
                continue
            newer = name > current  # never published: a writer failed or was killed
            if newer or pointer_age > KEEP_SECONDS or name < self._previous(current):
                shutil.rmtree(self.path / GENERATIONS / name, ignore_errors=True)

    def _previous(self, current: str) -> str:
        older = [n for n in self._generations() if n < current]
        return older[-1] if older else current

    # --- housekeeping --------------------------------------------------------------------

    def disk_bytes(self) -> int:
        name = self.generation()
        directory = self.path / GENERATIONS / name
        if not name or not directory.is_dir():
            return 0
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())

    def reset(self) -> None:
        """Delete every generation (the user asked to start over)."""
        with self._lock():
            for child in (self.path / POINTER, self.path / (POINTER + ".tmp")):
                child.unlink(missing_ok=True)
            shutil.rmtree(self.path / GENERATIONS, ignore_errors=True)
        self._open = None

    def looks_like_a_store(self) -> bool:
        """True for an empty or missing directory, or one laid out as above (reset refuses others)."""
        if not self.path.exists():
            return True
        entries = {p.name for p in self.path.iterdir()}
        return entries <= {POINTER, POINTER + ".tmp", GENERATIONS, LOCK}
