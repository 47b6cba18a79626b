"""The ontology: header, alignments to the vocabularies researchers query, a shape for every class."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from eurasia_kg import loader

ROOT = Path(__file__).resolve().parents[1]
EKG = Namespace("https://w3id.org/eurasia-kg/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
VANN = Namespace("http://purl.org/vocab/vann/")


def _graph(directory: str) -> Graph:
    graph = Graph()
    for path in loader.rdf_files(ROOT / directory):
        loader.parse_into(graph, path)
    return graph


ONTOLOGY = _graph("ontology")
SHAPES = _graph("shapes")
HEADER = URIRef("https://w3id.org/eurasia-kg/ontology")


@pytest.mark.parametrize("prop", [OWL.versionIRI, OWL.versionInfo, DCTERMS.license, DCTERMS.creator,
                                  VANN.preferredNamespacePrefix, RDFS.label, RDFS.comment])
def test_header(prop):
    assert ONTOLOGY.value(HEADER, prop) is not None


@pytest.mark.parametrize("namespace", [
    "http://xmlns.com/foaf/0.1/", "https://schema.org/", "http://www.w3.org/ns/org#",
    "http://semanticweb.cs.vu.nl/2009/11/sem/", "http://www.w3.org/ns/prov#", "http://www.w3.org/2006/time#",
    "http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/"])
def test_aligned_to(namespace):
    alignments = {o for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty)
                  for s, o in ONTOLOGY.subject_objects(p) if str(s).startswith(str(EKG))}
    assert any(str(o).startswith(namespace) for o in alignments), namespace


CLASSES = sorted(c for c in ONTOLOGY.subjects(RDF.type, OWL.Class) if str(c).startswith(str(EKG)))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: str(c).rsplit("#", 1)[1])
def test_every_class_has_a_shape(cls):
    assert (None, SH.targetClass, cls) in SHAPES


def test_owl2_rl_friendly_no_union_domains_or_ranges():
    # owl:unionOf in a domain or range is outside OWL 2 RL; the ontology keeps to RL.
    for prop in (RDFS.domain, RDFS.range):
        for _, target in ONTOLOGY.subject_objects(prop):
            assert (target, OWL.unionOf, None) not in ONTOLOGY
