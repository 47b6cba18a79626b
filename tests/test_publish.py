"""The published dumps and their description, read back with independent parsers (rdflib, pyoxigraph)."""

from __future__ import annotations

import json
from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, VOID, XSD

from eurasia_kg import jsonld, publish
from eurasia_kg.config import METADATA_GRAPH, PREFIXES

DATASET = URIRef("https://w3id.org/eurasia-kg/dataset")
IANA = "https://www.iana.org/assignments/media-types/"


@pytest.fixture(scope="module")
def dist(built, settings):
    return settings.dist_dir


@pytest.fixture(scope="module")
def merged(dist) -> Graph:
    return Graph().parse(dist / "eurasia-kg.nt", format="nt")


@pytest.fixture(scope="module")
def void(dist) -> Graph:
    return Graph().parse(dist / "void.ttl", format="turtle")


def test_jsonld_dump_is_compact_with_the_projects_context(dist, merged):
    doc = json.loads((dist / "eurasia-kg.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == jsonld.context() == dict(sorted(PREFIXES.items()))
    iris = {str(s) for s in merged.subjects() if isinstance(s, URIRef)}
    ids = Counter(node["@id"] for node in doc["@graph"] if not node["@id"].startswith("_:"))
    assert len(ids) == len(iris) and set(ids.values()) == {1}, "one node object per subject"
    triples = len(merged)
    assert len(doc["@graph"]) < triples / 5, "not one object per triple (8,474 objects before)"
    lavrov = next(node for node in doc["@graph"] if node["@id"] == "person:sergei-lavrov")
    assert lavrov["foaf:name"] == "Sergei Lavrov"
    namespaces = tuple(PREFIXES.values())
    for node in doc["@graph"]:
        assert not any(key.startswith(namespaces) for key in node), f"uncompacted key in {node['@id']}"


@pytest.mark.parametrize("parser", ["rdflib", "pyoxigraph"])
def test_jsonld_dump_round_trips_to_the_same_triples(dist, merged, parser):
    path = dist / "eurasia-kg.jsonld"
    if parser == "rdflib":
        graph = Graph().parse(path, format="json-ld")
    else:
        graph = Graph().parse(data=ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD),
                                                format=ox.RdfFormat.N_TRIPLES), format="nt")
    assert len(graph) == len(merged)
    assert isomorphic(graph, merged)


def test_jsonld_keeps_every_kind_of_literal():
    g = Graph()
    s = URIRef("https://w3id.org/eurasia-kg/id/person/x")
    values = [Literal(0), Literal(False), Literal(""), Literal(1.5e300), Literal("0.10", datatype=XSD.decimal),
              Literal("2013-04-23T10:00:00Z", datatype=XSD.dateTime), Literal("Лавров", lang="ru"),
              Literal("signed", lang="en"), URIRef(PREFIXES["place"] + "iran")]
    for i, value in enumerate(values):
        g.add((s, URIRef(f"{PREFIXES['ekg']}p{i}"), value))
    text = jsonld.compact(g)
    assert isomorphic(Graph().parse(data=text, format="json-ld"), g)
    back = {(t.predicate.value, t.object.value, getattr(t.object, "language", None))
            for t in ox.parse(text, format=ox.RdfFormat.JSON_LD)}
    assert (PREFIXES["ekg"] + "p0", "0", None) in back and (PREFIXES["ekg"] + "p7", "signed", "en") in back


def test_void_names_the_endpoint_publisher_and_licence(void):
    assert (DATASET, VOID.sparqlEndpoint, URIRef("https://w3id.org/eurasia-kg/sparql")) in void
    publisher = void.value(DATASET, DCTERMS.publisher)
    assert publisher is not None and str(void.value(publisher, FOAF.name)) == "eurasia-kg contributors"
    assert void.value(DATASET, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    service = URIRef("https://w3id.org/eurasia-kg/sparql")
    assert (service, DCAT.servesDataset, DATASET) in void


@pytest.mark.parametrize("name", sorted(publish.DUMPS))
def test_every_distribution_is_complete_and_its_size_is_the_files(dist, void, name):
    download = URIRef(publish.DOWNLOAD_BASE + name)
    assert (DATASET, DCAT.distribution, download) in void
    assert void.value(download, DCAT.downloadURL) == download
    assert void.value(download, DCAT.mediaType) == URIRef(IANA + publish.DUMPS[name].media_type)
    assert void.value(download, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    size = void.value(download, DCAT.byteSize)
    assert size.datatype == XSD.nonNegativeInteger
    assert int(size) == (dist / name).stat().st_size


def test_triple_counts_match_the_dumps(dist, void, merged):
    assert int(void.value(DATASET, VOID.triples)) == len(merged)
    per_graph = Counter(q.graph_name.value for q in ox.parse(path=str(dist / "eurasia-kg.nq"),
                                                           format=ox.RdfFormat.N_QUADS))
    subsets = {str(s): int(void.value(s, VOID.triples)) for s in void.objects(DATASET, VOID.subset)}
    assert per_graph.pop(METADATA_GRAPH) == len(void)  # the metadata graph does not describe itself
    assert subsets == dict(per_graph)


def test_void_file_is_the_metadata_graph_of_the_dumps(dist, void):
    quads = ox.parse(path=str(dist / "eurasia-kg.nq"), format=ox.RdfFormat.N_QUADS)
    metadata = Graph().parse(data=ox.serialize([q.triple for q in quads if q.graph_name.value == METADATA_GRAPH],
                                               format=ox.RdfFormat.N_TRIPLES), format="nt")
    assert isomorphic(metadata, void)


def test_ontology_file_uses_the_projects_prefixes(dist):
    text = (dist / "ontology.ttl").read_text(encoding="utf-8")
    assert "@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> ." in text
    assert "ns1:" not in text


def test_turtle_dumps_group_subjects(dist):
    text = (dist / "eurasia-kg.ttl").read_text(encoding="utf-8")
    # Sorted by subject, each subject is written once with all its properties.
    assert text.count("\nperson:sergei-lavrov ") == 1
