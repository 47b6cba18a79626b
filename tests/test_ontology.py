"""The ontology: header, alignments, a shape for every class, definitions, domains and ranges, and a
valid OWL 2 RL ontology by a real reasoner (HermiT, Pellet) and the OWL API's profile checker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


# --- Every term says where it is defined, and every property its domain and range ----------

SCHEMA = Namespace("https://schema.org/")
ONTOLOGY_IRI = URIRef("https://w3id.org/eurasia-kg/ontology")
PROPERTIES = sorted(p for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
                    for p in ONTOLOGY.subjects(RDF.type, kind) if str(p).startswith(str(EKG)))
# Every IRI the ontology graph describes as a term: its classes, properties, concept schemes,
# concepts and named individuals, in the ekg namespace and in the topics scheme.
TERMS = sorted({s for s, _, _ in ONTOLOGY.triples((None, RDF.type, None))
                if isinstance(s, URIRef) and (str(s).startswith(str(EKG))
                                              or str(s).startswith("https://w3id.org/eurasia-kg/id/topic/"))})


def _local(term: URIRef) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@pytest.mark.parametrize("term", TERMS, ids=_local)
def test_every_term_is_defined_by_the_ontology(term):
    assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in ONTOLOGY


@pytest.mark.parametrize("prop", PROPERTIES, ids=_local)
def test_every_property_has_a_domain_and_a_range(prop):
    # rdfs:domain / rdfs:range where one class holds; schema:domainIncludes / rangeIncludes where
    # the values are of several classes (a union is outside OWL 2 RL) or of any kind.
    assert (prop, RDFS.domain, None) in ONTOLOGY or (prop, SCHEMA.domainIncludes, None) in ONTOLOGY
    assert (prop, RDFS.range, None) in ONTOLOGY or (prop, SCHEMA.rangeIncludes, None) in ONTOLOGY


def test_labels_of_terms_do_not_clash():
    # ekg:nationality was labelled "country", like the class ekg:Country: a reader of a query
    # result or of the documentation could not tell them apart.
    seen: dict[str, URIRef] = {}
    for term in TERMS:
        for label in ONTOLOGY.objects(term, RDFS.label):
            if getattr(label, "language", None) != "en":
                continue
            key = str(label).casefold()
            assert key not in seen or seen[key] == term, f"{term} and {seen[key]} are both labelled {label!r}"
            seen[key] = term


def test_no_reserved_vocabulary_as_a_superclass():
    reserved = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
                "http://www.w3.org/2002/07/owl#")
    for _, parent in ONTOLOGY.subject_objects(RDFS.subClassOf):
        assert not str(parent).startswith(reserved), parent


def test_no_xsd_date_range():
    # HermiT refuses ranges outside the OWL 2 datatype map, which has no xsd:date.
    assert (None, RDFS.range, URIRef("http://www.w3.org/2001/XMLSchema#date")) not in ONTOLOGY


@pytest.mark.parametrize("term", sorted(ONTOLOGY.subjects(EKG.writtenBy, None)), ids=_local)
def test_terms_written_by_code_are_written_by_that_code(term):
    """ekg:writtenBy keeps a term that no curated graph uses: the module it names must use it."""
    module = str(ONTOLOGY.value(term, EKG.writtenBy))
    base = ROOT / "src" / Path(*module.split("."))
    # A module, or a package (its files together).
    files = [base.with_suffix(".py")] if base.with_suffix(".py").is_file() else sorted(base.rglob("*.py"))
    assert files, f"{term}: {module} is not a module or package of the project"
    source = "\n".join(f.read_text(encoding="utf-8") for f in files)
    assert _local(term) in source, f"{module} does not mention {_local(term)}"


# --- A real reasoner and the OWL API's profile checker ----------------------------------------


def _java_or_skip() -> None:
    if shutil.which("java"):
        return
    if os.environ.get("CI"):
        pytest.fail("java is missing, and CI is set: .ci/run installs default-jre-headless")
    pytest.skip("java is not installed (apt-get install default-jre-headless)")


@pytest.fixture(scope="module")
def ontology_file(tmp_path_factory) -> Path:
    """The ontology graph (every file of ontology/) as one RDF/XML document, as the build publishes it."""
    path = tmp_path_factory.mktemp("owl") / "eurasia-kg.owl"
    ONTOLOGY.serialize(path, format="xml")
    return path


@pytest.mark.parametrize("reasoner", ["HermiT", "Pellet"])
def test_reasoner_finds_the_ontology_consistent_with_no_unsatisfiable_class(ontology_file, reasoner):
    _java_or_skip()
    owlready2 = pytest.importorskip("owlready2", reason="owlready2 is a test dependency (pip install -e '.[test]')")
    world = owlready2.World()
    ontology = world.get_ontology(ontology_file.as_uri()).load()
    run = owlready2.sync_reasoner_hermit if reasoner == "HermiT" else owlready2.sync_reasoner_pellet
    with ontology:
        # Raises OwlReadyInconsistentOntologyError if inconsistent, OwlReadyJavaError if the reasoner
        # refuses the ontology (as HermiT did for xsd:date ranges).
        run(world, infer_property_values=False, debug=0)
    unsatisfiable = [str(c.iri) for c in world.inconsistent_classes()]
    assert unsatisfiable == []
    # The reasoner really classified our hierarchy.
    assert world["https://w3id.org/eurasia-kg/ontology#Summit"] is not None


def test_owl_api_profile_check_owl2_rl_and_dl(ontology_file):
    _java_or_skip()
    pytest.importorskip("jpype", reason="JPype1 is a test dependency (pip install -e '.[test]')")
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("owl_profile.py")), str(ontology_file)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["axioms"] > 1000
    assert result["profiles"]["OWL 2 RL"] == []
    assert result["profiles"]["OWL 2 DL"] == []
