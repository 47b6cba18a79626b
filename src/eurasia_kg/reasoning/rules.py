"""owlrl's OWL 2 RL rules as the build runs them: without the rules that only produce noise."""

from __future__ import annotations

import owlrl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
REFLEXIVE_NOISE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
# RDF and RDFS properties no OWL 2 RL rule gives a meaning to (without axiomatic triples, which the
# build does not add): like any other property, they take part in inference only when an axiom
# mentions them (a sub-property, a domain…).
PLAIN_ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, RDFS.member,
                     RDF.subject, RDF.predicate, RDF.object, RDF.value}


class _Semantics(owlrl.OWLRL_Semantics):
    """owlrl's OWL 2 RL rules, without rule eq-ref.

    eq-ref adds ``x owl:sameAs x`` for every term of every triple, in every cycle: on our data that is
    a few thousand triples that every later cycle walks through again, and that ``is_noise`` drops at
    the end. A reflexive owl:sameAs lets the other eq-* rules derive only what is already there, so
    leaving it out changes nothing else (a test compares the result with plain owlrl's).
    """

    def _equality(self, triple, cycle_num):
        _, p, o = triple
        if p == OWL.sameAs or (p == RDF.type and o == OWL.AllDifferent):
            super()._equality(triple, cycle_num)


class _LeanSemantics(_Semantics):
    """``_Semantics`` without rules scm-cls, scm-op and scm-dp, for ontologies without class
    expressions (see ``_lean_enough``).

    They give every class and property reflexive axioms and make every class a subclass of
    owl:Thing, so that every individual is typed owl:Thing: noise (``is_noise``) that later cycles
    walk through. Without class expressions (intersections, restrictions, keys…), no rule can use
    an owl:Thing typing, so leaving them out changes nothing else (a test compares with owlrl).
    """

    DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)

    def _schema_vocabulary(self, triple, cycle_num):
        if not (triple[1] == RDF.type and triple[2] in self.DECLARATIONS):
            super()._schema_vocabulary(triple, cycle_num)


# Class expressions and axioms whose rules can use an owl:Thing typing or a reflexive axiom.
CLASS_EXPRESSIONS = (OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf, OWL.someValuesFrom,
                     OWL.allValuesFrom, OWL.hasValue, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.hasKey,
                     OWL.onClass, OWL.disjointUnionOf)


def _lean_enough(graph: Graph) -> bool:
    """Whether ``_LeanSemantics`` gives the same closure, noise aside: no class expression, and
    owl:Thing (and owl:Nothing) in no axiom."""
    if any((None, p, None) in graph for p in CLASS_EXPRESSIONS):
        return False
    return not any((thing, None, None) in graph or (None, p, thing) in graph
                   for thing in (OWL.Thing, OWL.Nothing) for p in (RDFS.domain, RDFS.range, RDFS.subClassOf,
                                                                   OWL.equivalentClass))


def is_noise(s, p, o) -> bool:
    """Triples owlrl derives that say nothing about our data."""
    if isinstance(s, Literal):
        return True
    if isinstance(s, URIRef) and str(s).startswith(BUILTIN_NAMESPACES):
        return True
    if p in REFLEXIVE_NOISE and s == o:
        return True
    if p == RDF.type and o in TRIVIAL_TYPES:
        return True
    if p in (RDFS.subClassOf, RDFS.domain, RDFS.range) and o in (OWL.Thing, RDFS.Resource):
        return True
    # Literal-typing triples such as "x rdf:type rdfs:Literal" or datatype membership.
    return p == RDF.type and (isinstance(o, Literal) or (isinstance(o, URIRef) and str(o).startswith(str(XSD))))


def working_graph() -> Graph:
    """A graph for owlrl to work in: rdflib's store without named-graph bookkeeping, which owlrl
    does not use (its lookups are about a fifth faster)."""
    return Graph(store="SimpleMemory")


def expand(graph: Graph) -> None:
    semantics = _LeanSemantics if _lean_enough(graph) else _Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
