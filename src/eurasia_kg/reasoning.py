"""OWL 2 RL closure with owlrl, keeping only the inferences a researcher wants to query.

The build needs two sets of entailments: those of what the sources state, and those that hold only
once the interpretations are added (kept in a graph of their own). ``infer_split`` computes the
closure of the stated data once, then extends it by the interpretations, giving owlrl only the part
of the closed graph that a rule could join with the new triples (see ``_neighbourhood``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
REFLEXIVE_NOISE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
# RDF and RDFS properties no OWL 2 RL rule gives a meaning to (without axiomatic triples, which the
# build does not add): like any other property, they take part in inference only when an axiom
# mentions them (a sub-property, a domain…).
PLAIN_ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, RDFS.member,
                     RDF.subject, RDF.predicate, RDF.object, RDF.value}
# Classes whose instances are schema terms: a triple typing something with one of these is an axiom.
META_CLASSES = {OWL.Class, RDFS.Class, RDFS.Datatype, OWL.Restriction, RDF.Property, OWL.ObjectProperty,
                OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.FunctionalProperty,
                OWL.InverseFunctionalProperty, OWL.TransitiveProperty, OWL.SymmetricProperty,
                OWL.AsymmetricProperty, OWL.ReflexiveProperty, OWL.IrreflexiveProperty, OWL.AllDifferent,
                OWL.AllDisjointClasses, OWL.AllDisjointProperties}
# Properties of the RDF and RDFS vocabularies that state axioms (the OWL vocabulary's do too, bar equality).
SCHEMA_PROPERTIES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, RDF.first, RDF.rest}


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


def mentioned_terms(*graphs: Graph) -> set:
    """Every IRI an axiom mentions, as subject or object (property characteristics, chains, ranges…)."""
    return {t for graph in graphs for s, p, o in graph for t in (s, o)
            if isinstance(t, URIRef) and p not in (RDFS.label, RDFS.comment)}


def inert(triple, mentioned: set) -> bool:
    """A triple no OWL 2 RL rule can use: its property is mentioned by no axiom, it is not RDF, RDFS
    or OWL vocabulary with a meaning of its own, and (since there is no owl:sameAs) no equality rule
    can rewrite it."""
    _, p, _ = triple
    return p != RDF.type and p not in mentioned and (p in PLAIN_ANNOTATIONS
                                                     or not str(p).startswith(BUILTIN_NAMESPACES))


def _has_equality(graphs: Iterable[Graph]) -> bool:
    return any((None, OWL.sameAs, None) in g for g in graphs)


def _closure_input(ontology: Graph, graphs: Iterable[Graph], mentioned: set, equality: bool) -> Graph:
    """The triples a rule can use. With owl:sameAs about, any triple can be rewritten: keep them all."""
    kept = _working_graph()
    for graph in (ontology, *graphs):
        for triple in graph:
            unused = inert(triple, mentioned) or (
                isinstance(triple[2], Literal) and triple[1] not in mentioned and graph is not ontology)
            if equality or not unused:
                kept.add(triple)
    return kept


def _working_graph() -> Graph:
    """A graph for owlrl to work in: rdflib's store without named-graph bookkeeping, which owlrl
    does not use (its lookups are about a fifth faster)."""
    return Graph(store="SimpleMemory")


def _expand(graph: Graph) -> None:
    semantics = _LeanSemantics if _lean_enough(graph) else _Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)


def _useful(triples: Iterable) -> Graph:
    """The triples worth publishing: no noise, no blank node as subject or object (owlrl's literal proxies)."""
    useful = Graph()
    for triple in triples:
        if not is_noise(*triple) and not any(isinstance(t, BNode) for t in triple[::2]):
            useful.add(triple)
    return useful


def infer(ontology: Graph, *graphs: Graph) -> Graph:
    """The OWL 2 RL entailments of ``ontology`` and ``graphs``, minus what was asserted and the noise.

    Triples that no rule can use (literal-valued labels and notes, quote selectors, date instants,
    concept-scheme bookkeeping…) are left out of the closure: this cuts owlrl's work without changing
    the result, which a test checks against the unfiltered closure of plain owlrl.
    """
    mentioned = mentioned_terms(ontology)
    closure = _closure_input(ontology, graphs, mentioned, _has_equality((ontology, *graphs)))
    asserted = set(closure)
    _expand(closure)
    return _useful(t for t in closure if t not in asserted)


def infer_split(ontology: Graph, stated: Iterable[Graph], interpretations: Graph) -> tuple[Graph, Graph]:
    """The entailments of ``ontology`` + ``stated``, and those that hold only with ``interpretations``.

    Equal to ``infer(ontology, *stated)``, and to ``infer(ontology, *stated, interpretations)`` minus
    that and minus the interpretations themselves (tests check both), at the cost of about one
    closure instead of two: the closure of the stated data is computed once, then extended by the
    interpretations (see ``_extend_locally``).
    """
    stated = tuple(stated)
    mentioned = mentioned_terms(ontology)
    equality = _has_equality((ontology, *stated, interpretations))
    closure = _closure_input(ontology, stated, mentioned, equality)
    asserted = set(closure)
    _expand(closure)
    from_stated = _useful(t for t in closure if t not in asserted)

    extra = _closure_input(Graph(), [interpretations], mentioned, equality)
    new = {t for t in extra if t not in closure}
    # owl:sameAs can rewrite any triple, and a new axiom can apply to any of them: then extend it all.
    whole = equality or any(_is_axiom(t) for t in new)
    added = _extend(closure, new) if whole else _extend_locally(closure, new)
    return from_stated, _useful(t for t in added if t not in asserted and t not in extra)


def _extend(closed: Graph, new: set) -> set:
    """The triples the closure of ``closed`` + ``new`` adds to ``closed`` (which is left as it was)."""
    graph = _working_graph()
    for triple in (*closed, *new):
        graph.add(triple)
    _expand(graph)
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


def _extend_locally(closed: Graph, new: set) -> set:
    """``_extend``, running owlrl only on the part of ``closed`` a rule could combine with new triples.

    ``closed`` is closed under the rules, so a rule can derive something new only when one of its
    premises is new. Its other premises about individuals are facts joined to that one through a
    shared subject or object (see ``_Joins``); the rest are axioms about the classes and properties
    used. So owlrl gets the new triples, the facts they can meet and the axioms about their terms;
    when what it derives meets further facts or uses further terms, these are added and it runs
    again, until nothing more is reached. A derived owl:sameAs or axiom can reach any triple: then
    the whole closure is extended instead (``_extend``).
    """
    axioms = Graph()
    facts = []
    for triple in closed:
        if _is_axiom(triple):
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
        graph = _working_graph()
        for triple in (*local, *added):
            graph.add(triple)
        _expand(graph)
        derived = {t for t in graph if t not in closed and t not in local}
        if any(_is_axiom(t) or (t[1] == OWL.sameAs and t[0] != t[2]) for t in derived if not is_noise(*t)):
            return _extend(closed, new)
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


def _is_axiom(triple) -> bool:
    """A triple about classes, properties or lists (the schema), rather than about individuals."""
    _, p, o = triple
    if p == RDF.type:
        return o in META_CLASSES
    return p in SCHEMA_PROPERTIES or (str(p).startswith(str(OWL)) and p not in (OWL.sameAs, OWL.differentFrom))
