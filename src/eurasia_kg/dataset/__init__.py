"""The one dataset every command and the server read: the curated graphs built into ``dist/``
plus every merged source, in one store.

Files → ``build`` → ``dist/`` → the store ← ``merge``. The build writes ``dist/`` only; whoever opens
the dataset (any command, and the running server) brings the store's curated graphs up to date
with ``dist/`` first (:func:`sync`), in one transaction, and realigns the merged sources with them.

The store is chosen once, by the ``store`` setting: a directory for the embedded pyoxigraph store
(by default the per-user data directory), or the query URL of a SPARQL endpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..config import (
    BUILD_STATE_FILE,
    CURATED_RECORD,
    DUMP_FILE,
    GRAPH_BASE,
    MERGE_METADATA_GRAPH,
    MERGED_BASE,
    ONTOLOGY_NS,
    Settings,
)
from .base import Dataset, DatasetError, Reader, Writer
from .local import LocalDataset
from .remote import RemoteDataset

__all__ = ["Dataset", "DatasetError", "LocalDataset", "Reader", "RemoteDataset", "Writer", "SyncResult",
           "dataset_for", "open_dataset", "sync", "dist_fingerprint", "stored_fingerprint"]

BUILT_FROM = ONTOLOGY_NS + "builtFrom"


def dataset_for(settings: Settings) -> Dataset:
    """The dataset the settings name, without touching it."""
    if settings.remote_store:
        return RemoteDataset(settings.remote_store, settings.store_update, settings.store_graph_store,
                             settings.store_auth)
    return LocalDataset(settings.store_dir)


def open_dataset(settings: Settings, sync_dist: bool = True) -> Dataset:
    """The dataset, with its curated graphs brought up to date with ``dist/`` when it is newer."""
    dataset = dataset_for(settings)
    if sync_dist:
        sync(dataset, settings.dist_dir)
    return dataset


def dist_fingerprint(dist: Path) -> str | None:
    """What identifies a build: its input fingerprint (or the dump's SHA-256); None without a build."""
    dump = dist / DUMP_FILE
    if not dump.is_file():
        return None
    state = dist / BUILD_STATE_FILE
    if state.is_file():
        try:
            fingerprint = json.loads(state.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError):
            fingerprint = None
        if fingerprint:
            return f"{fingerprint}:{dump.stat().st_size}"
    digest = hashlib.sha256()
    with dump.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def stored_fingerprint(reader: Reader) -> str | None:
    rows = reader.select(f"SELECT ?f WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ "
                         f"<{CURATED_RECORD}> <{BUILT_FROM}> ?f }} }}")
    return rows[0][0].value if rows else None


@dataclass
class SyncResult:
    changed: bool
    fingerprint: str | None
    graphs: int = 0
    triples: int = 0


def curated_graphs(reader: Reader) -> list[str]:
    return [g for g in reader.named_graphs() if g.startswith(GRAPH_BASE)]


def sync(dataset: Dataset, dist: Path, force: bool = False) -> SyncResult:
    """Replace the store's curated graphs by those of ``dist/`` when the build differs from the one
    they came from; merged sources stay, and are realigned with the new curated graphs. One
    transaction: readers see the old curated graphs or the new ones."""
    fingerprint = dist_fingerprint(dist)
    if fingerprint is None:
        return SyncResult(False, None)
    if not force and stored_fingerprint(dataset.reader()) == fingerprint:
        return SyncResult(False, fingerprint)
    from .. import alignment

    with dataset.transaction() as writer:
        if not force and stored_fingerprint(writer) == fingerprint:  # another process synced meanwhile
            return SyncResult(False, fingerprint)
        for graph in curated_graphs(writer):
            writer.drop_graph(graph)
        with (dist / DUMP_FILE).open("rb") as handle:
            writer.load(handle, ox.RdfFormat.N_QUADS, None)
        writer.update(f"DELETE WHERE {{ GRAPH <{MERGE_METADATA_GRAPH}> {{ <{CURATED_RECORD}> <{BUILT_FROM}> ?f }} }}")
        writer.extend([ox.Quad(ox.NamedNode(CURATED_RECORD), ox.NamedNode(BUILT_FROM), ox.Literal(fingerprint),
                               ox.NamedNode(MERGE_METADATA_GRAPH))])
        graphs = curated_graphs(writer)
        alignment.realign_all(writer)
        triples = sum(writer.count(g) for g in graphs)
    return SyncResult(True, fingerprint, len(graphs), triples)


def merged_graphs(reader: Reader) -> list[str]:
    return [g for g in reader.named_graphs() if g.startswith(MERGED_BASE)]


def require_data(dataset: Dataset, dist: Path) -> None:
    """Refuse to answer from a store that holds nothing at all, saying how to fill it."""
    reader = dataset.reader()
    if not curated_graphs(reader) and not merged_graphs(reader):
        raise DatasetError(f"the store at {dataset.location} is empty and {dist / DUMP_FILE} does not exist: "
                           "run 'eurasia-kg build' (or 'make build') first")
