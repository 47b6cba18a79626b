"""Extending a closed graph by a few new triples without closing everything again.

``extend_locally`` gives owlrl only the part of the closed graph a rule could join with the new
triples (see ``_Joins``); ``extend`` is the plain way, for when anything can be reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph
from rdflib.namespace import OWL, RDF, RDFS

from .rules import expand, is_noise, working_graph

# Classes whose instances are schema terms: a triple typing something with one of these is an axiom.
META_CLASSES = {OWL.Class, RDFS.Class, RDFS.Datatype, OWL.Restriction, RDF.Property, OWL.ObjectProperty,
                OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.FunctionalProperty,
                OWL.InverseFunctionalProperty, OWL.TransitiveProperty, OWL.SymmetricProperty,
                OWL.AsymmetricProperty, OWL.ReflexiveProperty, OWL.IrreflexiveProperty, OWL.AllDifferent,
                OWL.AllDisjointClasses, OWL.AllDisjointProperties}
# Properties of the RDF and RDFS vocabularies that state axioms (the OWL vocabulary's do too, bar equality).
SCHEMA_PROPERTIES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, RDF.first, RDF.rest}


def extend(closed: Graph, new: set) -> set:
    """The triples the closure of ``closed`` + ``new`` adds to ``closed`` (which is left as it was)."""
    graph = working_graph()
    for triple in (*closed, *new):
        graph.add(triple)
    expand(graph)
    return {t for t in graph if t not in closed}


# Axioms that rules apply in both directions: indexed under their object as well as their subject
# (like those linking a term to a list or a restriction).
BOTH_WAYS = {OWL.inverseOf, OWL.equivalentClass, OWL.equivalentProperty}
# Axioms whose object is a class or property that facts derived with the subject will use.
LEADS_TO = BOTH_WAYS | {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range}
# Constructs whose rules join a type with another premise (someValuesFrom, keys, cardinalities…):
# with any of them, any fact may meet any other, so every fact near a new triple is given to owlrl.
TYPE_JOINS = {OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasKey, OWL.maxCardinality, OWL.maxQualifiedCardinality,
              OWL.intersectionOf}


@dataclass
class _Joins:
    """Where a rule joins a fact with another fact about individuals, read from the axioms.

    A fact ``x p y`` meets other facts at ``x`` when ``p`` is transitive, functional or a later link
    of a property chain, and at ``y`` when it is transitive, inverse-functional or an earlier link;
    the facts it meets are of such properties (``joined``), up to ``depth`` triples away (the
    longest chain, less one). ``views`` maps a property to the properties its facts also hold for
    (super-properties and equivalents; inverses and itself when symmetric, flipped), so that a new
    fact is looked at where the facts derived from it will meet others. With TYPE_JOINS constructs,
    ``joined`` is None: any fact meets any other, at either end.
    """

    joined: set | None
    at_subject: set
    at_object: set
    depth: int
    views: dict

    @classmethod
    def of(cls, axioms: Graph) -> _Joins:
        chains = [list(axioms.items(chain)) for chain in axioms.objects(None, OWL.propertyChainAxiom)]
        depth = max([1] + [len(chain) - 1 for chain in chains])
        views: dict = {}
        for p1, p2 in axioms.subject_objects(RDFS.subPropertyOf):
            views.setdefault(p1, set()).add((p2, False))
        for p1, p2 in axioms.subject_objects(OWL.equivalentProperty):
            views.setdefault(p1, set()).add((p2, False))
            views.setdefault(p2, set()).add((p1, False))
        for p1, p2 in axioms.subject_objects(OWL.inverseOf):
            views.setdefault(p1, set()).add((p2, True))
            views.setdefault(p2, set()).add((p1, True))
        for p in axioms.subjects(RDF.type, OWL.SymmetricProperty):
            views.setdefault(p, set()).add((p, True))
        if any((None, p, None) in axioms for p in TYPE_JOINS):
            return cls(None, set(), set(), max(depth, 2), views)
        transitive = set(axioms.subjects(RDF.type, OWL.TransitiveProperty))
        at_subject = transitive | set(axioms.subjects(RDF.type, OWL.FunctionalProperty))
        at_object = transitive | set(axioms.subjects(RDF.type, OWL.InverseFunctionalProperty))
        for chain in chains:
            at_subject |= set(chain[1:])
            at_object |= set(chain[:-1])
        return cls(at_subject | at_object, at_subject, at_object, depth, views)

    def meets(self, triple) -> bool:
        """Whether a rule can join this (closed) fact with another."""
        return self.joined is None or triple[1] in self.joined

    def ends(self, triple) -> set:
        """The individuals where a rule can join this (new) fact, or one derived from it, with others."""
        if self.joined is None:
            return set(_nodes(triple))
        s, p, o = triple
        if p == RDF.type:
            return set()
        ends = set()
        pending, seen = [(p, False)], {(p, False)}
        while pending:
            q, flipped = pending.pop()
            first, second = (o, s) if flipped else (s, o)
            if q in self.at_subject:
                ends.add(first)
            if q in self.at_object:
                ends.add(second)
            for r, flips in self.views.get(q, ()):
                view = (r, flipped != flips)
                if view not in seen:
                    seen.add(view)
                    pending.append(view)
        return ends


def extend_locally(closed: Graph, new: set) -> set:
    """``extend``, running owlrl only on the part of ``closed`` a rule could combine with new triples.

    ``closed`` is closed under the rules, so a rule can derive something new only when one of its
    premises is new. Its other premises about individuals are facts joined to that one through a
    shared subject or object (see ``_Joins``); the rest are axioms about the classes and properties
    used. So owlrl gets the new triples, the facts they can meet and the axioms about their terms;
    when what it derives meets further facts or uses further terms, these are added and it runs
    again, until nothing more is reached. A derived owl:sameAs or axiom can reach any triple: then
    the whole closure is extended instead (``extend``).
    """
    axioms = Graph()
    facts = []
    for triple in closed:
        if is_axiom(triple):
            axioms.add(triple)
        else:
            facts.append(triple)
    joins = _Joins.of(axioms)
    near: dict = {}
    for triple in facts:
        if joins.meets(triple):
            for node in _nodes(triple):
                near.setdefault(node, []).append(triple)
    about: dict = {}
    for triple in axioms:
        about.setdefault(triple[0], []).append(triple)
        if triple[1] in BOTH_WAYS or isinstance(triple[0], BNode) or isinstance(triple[2], BNode):
            about.setdefault(triple[2], []).append(triple)

    local: set = set(new)
    added: set = set()
    seen_nodes: set = set()
    seen_terms: set = set()
    nodes = {n for t in new for n in joins.ends(t)}
    terms = {term for t in new for term in _terms(t)}
    while True:
        seen_nodes |= nodes
        reached = _neighbourhood(near, nodes, joins.depth)
        local |= reached
        local |= _axioms_about(about, terms | {term for t in reached for term in _terms(t)}, seen_terms)
        graph = working_graph()
        for triple in (*local, *added):
            graph.add(triple)
        expand(graph)
        derived = {t for t in graph if t not in closed and t not in local}
        if any(is_axiom(t) or (t[1] == OWL.sameAs and t[0] != t[2]) for t in derived if not is_noise(*t)):
            return extend(closed, new)
        # owlrl has run to a fixpoint on all that the derived triples can meet, unless they meet
        # individuals or use terms not looked at yet.
        added |= derived
        meaningful = [t for t in derived if not is_noise(*t)]
        nodes = {n for t in meaningful for n in joins.ends(t)} - seen_nodes
        terms = {term for t in meaningful for term in _terms(t)} - seen_terms
        if not nodes and not terms:
            return added | {t for t in new if t not in closed}


def _neighbourhood(near: dict, nodes: set, depth: int) -> set:
    """The facts within ``depth`` hops of ``nodes``, following subjects and objects."""
    found: set = set()
    seen = set(nodes)
    layer = set(nodes)
    for _ in range(depth):
        next_layer = set()
        for node in layer:
            for triple in near.get(node, ()):
                if triple not in found:
                    found.add(triple)
                    next_layer.update(n for n in _nodes(triple) if n not in seen)
        seen |= next_layer
        layer = next_layer
    return found


def _axioms_about(about: dict, terms: set, seen: set) -> set:
    """The axioms a rule may need with facts using ``terms``: those about the terms, about the classes
    and properties they lead to (super-classes, super-properties, inverses, domains, ranges), and
    about the lists and restrictions (blank nodes) they lead to. ``seen`` collects the terms looked at."""
    found: set = set()
    pending = [t for t in terms if t not in seen]
    seen.update(pending)
    while pending:
        for triple in about.get(pending.pop(), ()):
            if triple in found:
                continue
            found.add(triple)
            # Follow blank nodes (lists, restrictions), what a term leads to, and what leads to a
            # blank node (a chain's property, a restriction's class).
            for term in (triple[0], triple[2]):
                if term not in seen and (isinstance(term, BNode) or triple[1] in LEADS_TO
                                         or isinstance(triple[2], BNode)):
                    seen.add(term)
                    pending.append(term)
    return found


def _nodes(triple) -> tuple:
    """The individuals a fact is about: where rules join it with other facts."""
    s, p, o = triple
    return (s,) if p == RDF.type else (s, o)


def _terms(triple) -> tuple:
    """The classes and properties a fact uses: the axioms a rule may need with it."""
    s, p, o = triple
    return (o,) if p == RDF.type else (p,)


def is_axiom(triple) -> bool:
    """A triple about classes, properties or lists (the schema), rather than about individuals."""
    _, p, o = triple
    if p == RDF.type:
        return o in META_CLASSES
    return p in SCHEMA_PROPERTIES or (str(p).startswith(str(OWL)) and p not in (OWL.sameAs, OWL.differentFrom))
