"""Specific inferences the ontology promises, read back from the built inferred graph."""

from __future__ import annotations

import pytest

ID = "https://w3id.org/eurasia-kg/id/"
INFERRED = "https://w3id.org/eurasia-kg/graph/inferred"
PREFIXES = """
PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX schema: <https://schema.org/>
PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

INFERENCES = {
    "inverse: participant -> participatedIn":
        f"<{ID}person/vladimir-kolokoltsev> ekg:participatedIn <{ID}event/kolokoltsev-visit-iran>",
    "inverse: ledTo -> resultedFrom":
        f"<{ID}agreement/iran-russia-security-agreement-2013> ekg:resultedFrom <{ID}event/kolokoltsev-visit-iran>",
    "inverse: hasSubEvent -> subEventOf":
        f"<{ID}event/lavrov-syria-talks> ekg:subEventOf <{ID}event/lavrov-visit-iran>",
    "subproperty: visitor is a participant":
        f"<{ID}event/rogozin-visit-iran> ekg:participant <{ID}person/dmitry-rogozin>",
    "subproperty: participant is sem:hasActor":
        f"<{ID}event/sco-annual-meeting-kyrgyzstan> sem:hasActor <{ID}person/dmitry-medvedev>",
    "subclass typing: Summit is a Meeting and a sem:Event":
        f"<{ID}event/sco-annual-meeting-kyrgyzstan> a ekg:Meeting , sem:Event , schema:Event , prov:Activity",
    "subclass typing: unnamed person is a foaf:Person":
        f"<{ID}person/unnamed-head-of-national-iranian-oil-company> a ekg:Person , foaf:Person , prov:Agent",
    "subclass typing: MoU is an Agreement":
        f"<{ID}agreement/joint-economic-commission-mou> a ekg:Agreement , prov:Entity",
    "containment: event in Tehran took place in Iran":
        f"<{ID}event/skvortsova-visit-tehran> ekg:place <{ID}place/iran>",
    "containment: city in country is schema:containedInPlace":
        f"<{ID}place/astrakhan> schema:containedInPlace <{ID}place/russia>",
    "containment: inverse containsPlace":
        f"<{ID}place/iran> ekg:containsPlace <{ID}place/mashhad>",
    "sub-events: participation inherited from a sub-event":
        f"<{ID}event/lavrov-visit-iran> ekg:participant <{ID}group/iranian-officials-syria-talks>",
    "provenance: source inferred from quote":
        f"<{ID}event/kolokoltsev-visit-iran> ekg:source <{ID}source/avim-2013-23> ; "
        f"dcterms:source <{ID}source/avim-2013-23> ; prov:hadPrimarySource <{ID}source/avim-2013-23>",
    "post chain: person has held post":
        f"<{ID}person/sergei-lavrov> ekg:hasHeldPost <{ID}post/minister-of-foreign-affairs-of-russia>",
    "post chain: holding's organisation":
        f"<{ID}holding/sergei-lavrov--minister-of-foreign-affairs-of-russia> "
        f"org:organization <{ID}org/ministry-of-foreign-affairs-of-russia>",
    "inverse: holder -> holds, org:hasMembership":
        f"<{ID}person/ali-akbar-salehi> org:hasMembership "
        f"<{ID}holding/ali-akbar-salehi--minister-of-foreign-affairs-of-iran>",
    "symmetric: inTensionWith":
        f"<{ID}figure/iran-russia-trade-last-year-unofficial> ekg:inTensionWith "
        f"<{ID}figure/iran-russia-trade-recent-years>",
    "transitive: sub-organisation of a government":
        f"<{ID}org/russia-iran-parliamentary-friendship-group> org:subOrganizationOf <{ID}org/state-duma>",
    "calendar: Gregorian bounds of Solar Hijri year 1391":
        f"<{ID}time/iranian-year-1391> time:hasBeginning/time:inXSDDate '2012-03-20'^^xsd:date",
    "calendar: Gregorian bounds of Solar Hijri year 1392":
        f"<{ID}time/iranian-year-1392> time:hasBeginning/time:inXSDDate '2013-03-21'^^xsd:date ; "
        f"time:hasEnd/time:inXSDDate '2014-03-20'^^xsd:date",
}


@pytest.mark.parametrize("name", sorted(INFERENCES))
def test_inference_is_in_inferred_graph(kg, name):
    pattern = INFERENCES[name]
    assert kg.query(f"{PREFIXES} ASK {{ GRAPH <{INFERRED}> {{ {pattern} }} }}") is True, name


def test_inferences_are_not_asserted(kg):
    # The inferred graph holds only what the asserted graphs do not already say.
    table = kg.select(f"""{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{
        GRAPH <{INFERRED}> {{ ?s ?p ?o }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED}>) }}""")
    assert int(table.rows[0][0].value) == 0


NOISE = {
    "reflexive owl:sameAs": "?s owl:sameAs ?s",
    "built-in vocabulary subjects": "?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(owl:)) || STRSTARTS(STR(?s), STR(rdf:)) "
                                    "|| STRSTARTS(STR(?s), STR(rdfs:)))",
    "owl:Thing typing": "?s a owl:Thing",
    "literal subjects": "?s ?p ?o FILTER(isLiteral(?s))",
    "reflexive subclass": "?s rdfs:subClassOf ?s",
}


@pytest.mark.parametrize("name", sorted(NOISE))
def test_no_noise_in_inferred_graph(kg, name):
    table = kg.select(f"{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED}> {{ {NOISE[name]} }} }}")
    assert int(table.rows[0][0].value) == 0, name


def test_interpretations_stay_out_of_stated_graph(kg):
    stated = "https://w3id.org/eurasia-kg/graph/sources/avim-2013-23"
    pattern = f"?e ekg:visitor <{ID}person/ali-akbar-salehi>"
    assert kg.query(f"{PREFIXES} ASK {{ GRAPH <{stated}> {{ {pattern} }} }}") is False


FROM_INTERPRETATIONS = "https://w3id.org/eurasia-kg/graph/inferred-from-interpretations"


def test_entailments_of_interpretations_have_their_own_graph(kg):
    salehi = f"<{ID}event/foreign-ministers-visit-exchange> ekg:participant <{ID}person/ali-akbar-salehi>"
    assert kg.query(f"{PREFIXES} ASK {{ GRAPH <{FROM_INTERPRETATIONS}> {{ {salehi} }} }}") is True
    assert kg.query(f"{PREFIXES} ASK {{ GRAPH <{INFERRED}> {{ {salehi} }} }}") is False


def test_stated_entailments_are_not_repeated_in_the_interpretations_graph(kg):
    table = kg.select(f"""{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{
        GRAPH <{FROM_INTERPRETATIONS}> {{ ?s ?p ?o }} GRAPH <{INFERRED}> {{ ?s ?p ?o }} }}""")
    assert int(table.rows[0][0].value) == 0


def _project_graphs():
    from rdflib import Graph

    from eurasia_kg import loader
    from eurasia_kg.build import _is_interpretation
    from eurasia_kg.config import ONTOLOGY_GRAPH

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    ontology, stated, interpretations = Graph(), Graph(), Graph()
    for item, graph in loader.load_files(loader.discover(root / "ontology", (root / "graphs",))):
        target = (ontology if item.graph == ONTOLOGY_GRAPH
                  else interpretations if _is_interpretation(item.graph) else stated)
        for triple in graph:
            target.add(triple)
    return ontology, stated, interpretations


def test_skipping_inert_triples_does_not_change_the_closure():
    """reasoning.infer leaves out triples no rule can use, and owlrl's rule eq-ref; the result must
    equal plain owlrl's on all the project's data."""
    import owlrl
    from rdflib import BNode, Graph

    from eurasia_kg import reasoning

    ontology, stated, interpretations = _project_graphs()
    plain = Graph()
    for triple in (*ontology, *stated, *interpretations):
        plain.add(triple)
    asserted = set(plain)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(plain)
    expected = {t for t in plain if t not in asserted and not reasoning.is_noise(*t)
                and not any(isinstance(x, BNode) for x in t[::2])}
    assert set(reasoning.infer(ontology, stated, interpretations)) == expected


def test_one_closure_extended_by_interpretations_equals_two_closures():
    """The build computes the stated closure once and extends it locally by the interpretations;
    the two graphs must be exactly those of two separate closures."""
    from eurasia_kg import reasoning

    ontology, stated, interpretations = _project_graphs()
    from_stated, from_interpretations = reasoning.infer_split(ontology, [stated], interpretations)
    expected_stated = set(reasoning.infer(ontology, stated))
    expected_all = set(reasoning.infer(ontology, stated, interpretations))
    assert set(from_stated) == expected_stated
    assert set(from_interpretations) == expected_all - expected_stated - set(interpretations)
    assert len(from_interpretations) > 0


# Small ontologies and data where an interpretation's consequences reach past its own triples:
# through a transitive property, a chain of three properties, an inverse feeding a chain, a
# sub-property feeding a transitive one, a restriction, a functional property (owl:sameAs), and an
# axiom among the interpretations.
SPLIT_CASES = {
    "transitive": ("ex:in a owl:TransitiveProperty .",
                   "ex:a ex:in ex:b . ex:c ex:in ex:d . ex:d ex:in ex:e .", "ex:b ex:in ex:c ."),
    "chain of three": ("ex:r owl:propertyChainAxiom ( ex:p ex:q ex:s ) .",
                       "ex:a ex:p ex:b . ex:c ex:s ex:d . ex:d ex:s ex:e .", "ex:b ex:q ex:c ."),
    "inverse into a chain": ("ex:pi owl:inverseOf ex:p . ex:r owl:propertyChainAxiom ( ex:p ex:q ) .",
                             "ex:b ex:q ex:c .", "ex:b ex:pi ex:a ."),
    "sub-property into a transitive one": (
        "ex:sub rdfs:subPropertyOf ex:in . ex:in a owl:TransitiveProperty . ex:in rdfs:domain ex:Place .",
        "ex:c ex:in ex:d . ex:d ex:in ex:e .", "ex:b ex:sub ex:c ."),
    "someValuesFrom": ("ex:Host owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:hosts ; "
                       "owl:someValuesFrom ex:Visit ] . ex:Host rdfs:subClassOf ex:Agent .",
                       "ex:a ex:hosts ex:v . ex:w a ex:Visit .", "ex:v a ex:Visit . ex:a ex:hosts ex:w ."),
    "functional (owl:sameAs)": ("ex:born a owl:FunctionalProperty .",
                                "ex:a ex:born ex:x . ex:x ex:name ex:n . ex:y ex:in ex:z .", "ex:a ex:born ex:y ."),
    "an axiom among the interpretations": ("ex:in a owl:ObjectProperty .",
                                           "ex:a ex:in ex:b . ex:b ex:in ex:c .", "ex:in a owl:TransitiveProperty ."),
    "nothing new": ("ex:in a owl:TransitiveProperty .", "ex:a ex:in ex:b .", "ex:a ex:in ex:b ."),
}


@pytest.mark.parametrize("name", sorted(SPLIT_CASES))
def test_split_equals_two_closures_on_small_cases(name):
    from rdflib import Graph

    from eurasia_kg import reasoning

    head = ("@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> . "
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . ")
    axioms, facts, interpreted = (Graph().parse(data=head + text, format="turtle") for text in SPLIT_CASES[name])
    from_stated, from_interpretations = reasoning.infer_split(axioms, [facts], interpreted)
    expected_stated = set(reasoning.infer(axioms, facts))
    expected_all = set(reasoning.infer(axioms, facts, interpreted))
    assert set(from_stated) == expected_stated
    assert set(from_interpretations) == expected_all - expected_stated - set(interpreted)
    if name != "nothing new":
        assert len(from_interpretations) > 0, "the case must exercise the extension"
