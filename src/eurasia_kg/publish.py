"""The published files: the dumps, and their VoID and DCAT description (the metadata graph).

The metadata graph describes the dumps (their byte sizes, the number of triples) and is also part
of them, so it is written last: the dumps' bodies are serialised once, the metadata graph's part is
serialised and measured until the sizes it states are the sizes of the files that hold it.
What the dataset is (title, licence, publisher, endpoint) is data, in ``metadata/dataset.ttl``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD

from . import jsonld
from .config import DATASET_IRI, ID_BASE, METADATA_GRAPH, ONTOLOGY_IRI, ONTOLOGY_NS, PREFIXES
from .sparql import to_ox

EKG = Namespace(ONTOLOGY_NS)
DOWNLOAD_BASE = "https://w3id.org/eurasia-kg/download/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
FORMATS = Namespace("http://www.w3.org/ns/formats/")
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
MAX_ROUNDS = 10


@dataclass(frozen=True)
class Dump:
    format: ox.RdfFormat
    media_type: str
    keeps_graphs: bool
    title: str
    feature: str  # the W3C format IRI's local name (void:feature)


DUMPS: dict[str, Dump] = {
    "eurasia-kg.nq": Dump(ox.RdfFormat.N_QUADS, "application/n-quads", True, "N-Quads, with named graphs", "N-Quads"),
    "eurasia-kg.trig": Dump(ox.RdfFormat.TRIG, "application/trig", True, "TriG, with named graphs", "TriG"),
    "eurasia-kg.ttl": Dump(ox.RdfFormat.TURTLE, "text/turtle", False, "Turtle, all graphs merged", "Turtle"),
    "eurasia-kg.nt": Dump(ox.RdfFormat.N_TRIPLES, "application/n-triples", False, "N-Triples, all graphs merged",
                          "N-Triples"),
    "eurasia-kg.jsonld": Dump(ox.RdfFormat.JSON_LD, jsonld.MEDIA_TYPE, False,
                              "JSON-LD (compact, context inline), all graphs merged", "JSON-LD"),
}


def ox_quads(graphs: dict[str, Graph]) -> list[ox.Quad]:
    """Every triple of every named graph as a pyoxigraph quad, by graph and subject (as dumps group them)."""
    quads = []
    for name in sorted(graphs):
        graph_name = ox.NamedNode(name)
        for s, p, o in sorted(graphs[name], key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
            quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph_name))
    return quads


def turtle(graph: Graph) -> bytes:
    """A graph as Turtle with the project's prefixes, grouped by subject."""
    return ox.serialize([q.triple for q in ox_quads({METADATA_GRAPH: graph})], format=ox.RdfFormat.TURTLE,
                        prefixes=PREFIXES)


def class_counts(graphs: Iterable[Graph]) -> dict[str, int]:
    """Entities per ontology class, over the given graphs together."""
    typed = {(s, cls) for graph in graphs for s, cls in graph.subject_objects(RDF.type)
             if isinstance(cls, URIRef) and str(cls).startswith(ONTOLOGY_NS) and not str(s).startswith(ONTOLOGY_NS)}
    counts: dict[str, int] = {}
    for _, cls in typed:
        name = str(cls)[len(ONTOLOGY_NS):]
        counts[name] = counts.get(name, 0) + 1
    return counts


def load_record(path: Path) -> Graph:
    """The dataset's own record (title, licence, publisher, endpoint…), or nothing if there is none."""
    record = Graph()
    if path.is_file():
        record.parse(path, format="turtle")
    return record


def describe(graphs: dict[str, Graph], record: Graph, counts: dict[str, int]) -> Graph:
    """The VoID and DCAT description, with placeholder sizes (``write`` fills them in)."""
    g = Graph()
    ds = URIRef(DATASET_IRI)
    for triple in record:
        g.add(triple)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    if (ds, DCTERMS.license, None) not in g:
        g.add((ds, DCTERMS.license, LICENCE))
    g.add((ds, DCTERMS.modified, Literal(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                                         datatype=XSD.dateTime)))
    g.add((ds, VOID.triples, Literal(0)))
    g.add((ds, VOID.uriSpace, Literal(ID_BASE)))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_NS)))
    g.add((ds, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)))
    for source in sorted({s for graph in graphs.values() for s in graph.subjects(RDF.type, EKG.SourceDocument)}):
        g.add((ds, DCTERMS.source, source))
    # Every named graph is a subset with its triple count, but the metadata graph, which does not
    # describe itself (the dataset's count includes it).
    for name, graph in graphs.items():
        if len(graph):
            subset = URIRef(name)
            g.add((ds, VOID.subset, subset))
            g.add((subset, RDF.type, VOID.Dataset))
            g.add((subset, VOID.triples, Literal(len(graph))))
    for cls, count in sorted(counts.items()):
        part = URIRef(f"{DATASET_IRI}/class/{cls}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], EKG[cls]))
        g.add((part, VOID.entities, Literal(count)))
    licence = g.value(ds, DCTERMS.license)
    for name, dump in DUMPS.items():
        dist = URIRef(DOWNLOAD_BASE + name)
        g.add((ds, DCAT.distribution, dist))
        g.add((ds, VOID.dataDump, dist))
        g.add((ds, VOID.feature, FORMATS[dump.feature]))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"eurasia-kg as {dump.title}", lang="en")))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.accessURL, URIRef(DOWNLOAD_BASE)))
        g.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + dump.media_type)))
        g.add((dist, DCTERMS.format, URIRef(IANA_MEDIA_TYPES + dump.media_type)))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCAT.byteSize, Literal(0, datatype=XSD.nonNegativeInteger)))
    return g


class _Parts:
    """Each dump as a body (the data, serialised once) and a tail (the metadata graph)."""

    def __init__(self, graphs: dict[str, Graph], quads: list[ox.Quad]):
        self.quads = quads
        self.triples = sorted({q.triple for q in self.quads}, key=lambda t: (t.subject.value, t.predicate.value))
        self.distinct = set(self.triples)
        union = Graph(store="SimpleMemory")
        for graph in graphs.values():
            union += graph
        self.json_nodes = [_json(node) for node in jsonld.nodes(union)]
        self.bodies = {name: self._serialise(dump, self.quads, self.triples) for name, dump in DUMPS.items()
                       if dump.format != ox.RdfFormat.JSON_LD}

    @staticmethod
    def _serialise(dump: Dump, quads: list, triples: list) -> bytes:
        items = quads if dump.keeps_graphs else triples
        prefixes = PREFIXES if dump.format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        return ox.serialize(items, format=dump.format, prefixes=prefixes) if items else b""

    def files(self, metadata: Graph) -> dict[str, bytes]:
        meta_quads = ox_quads({METADATA_GRAPH: metadata})
        meta_triples = [q.triple for q in meta_quads if q.triple not in self.distinct]
        out: dict[str, bytes] = {}
        for name, dump in DUMPS.items():
            if dump.format == ox.RdfFormat.JSON_LD:
                tail = [_json(node) for node in jsonld.nodes(t for t in metadata if _ox(t) not in self.distinct)]
                out[name] = jsonld.document(self.json_nodes + tail)
                continue
            tail = self._serialise(dump, meta_quads, meta_triples)
            if dump.format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
                # The body declared the prefixes already.
                tail = b"".join(line for line in tail.splitlines(keepends=True) if not line.startswith(b"@prefix"))
            out[name] = self.bodies[name] + tail
        return out


def write(target: Path, graphs: dict[str, Graph], metadata: Graph,
          quads: list[ox.Quad] | None = None) -> dict[str, int]:
    """Write the dumps into ``target``, with ``metadata`` (from ``describe``) completed in place:
    the triple counts, and the byte size of every dump. ``quads`` are ``ox_quads(graphs)``, when
    already at hand. Returns the size of every graph written."""
    parts = _Parts(graphs, quads if quads is not None else ox_quads(graphs))
    ds = URIRef(DATASET_IRI)
    extra = sum(1 for triple in metadata if _ox(triple) not in parts.distinct)
    metadata.set((ds, VOID.triples, Literal(len(parts.distinct) + extra)))
    sizes = {name: 0 for name in DUMPS}
    for _ in range(MAX_ROUNDS):
        for name, size in sizes.items():
            metadata.set((URIRef(DOWNLOAD_BASE + name), DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        files = parts.files(metadata)
        measured = {name: len(data) for name, data in files.items()}
        if measured == sizes:
            break
        sizes = measured
    else:  # the sizes' digits keep changing the sizes: cannot happen for long, but never loop forever
        raise RuntimeError("the dumps' byte sizes did not settle")
    for name, data in files.items():
        (target / name).write_bytes(data)
    written = {name: len(graph) for name, graph in graphs.items() if len(graph)}
    written[METADATA_GRAPH] = len(metadata)
    return written


def _json(node: dict) -> str:
    return json.dumps(node, ensure_ascii=False)


def _ox(triple) -> ox.Triple:
    return ox.Triple(*(to_ox(term) for term in triple))
