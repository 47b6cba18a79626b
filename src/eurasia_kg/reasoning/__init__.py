"""OWL 2 RL closure with owlrl, keeping only the inferences a researcher wants to query.

The build needs two sets of entailments: those of what the sources state, and those that hold only
once the interpretations are added (kept in a graph of their own). ``infer_split`` computes the
closure of the stated data once, then extends it by the interpretations (``extension``), giving
owlrl only the part of the closed graph that a rule could join with the new triples.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .extension import extend, extend_locally, is_axiom
from .rules import BUILTIN_NAMESPACES, PLAIN_ANNOTATIONS, expand, is_noise, working_graph

__all__ = ["infer", "infer_split", "inert", "is_noise", "mentioned_terms"]


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
    kept = working_graph()
    for graph in (ontology, *graphs):
        for triple in graph:
            unused = inert(triple, mentioned) or (
                isinstance(triple[2], Literal) and triple[1] not in mentioned and graph is not ontology)
            if equality or not unused:
                kept.add(triple)
    return kept


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
    expand(closure)
    return _useful(t for t in closure if t not in asserted)


def infer_split(ontology: Graph, stated: Iterable[Graph], interpretations: Graph) -> tuple[Graph, Graph]:
    """The entailments of ``ontology`` + ``stated``, and those that hold only with ``interpretations``.

    Equal to ``infer(ontology, *stated)``, and to ``infer(ontology, *stated, interpretations)`` minus
    that and minus the interpretations themselves (tests check both), at the cost of about one
    closure instead of two: the closure of the stated data is computed once, then extended by the
    interpretations (see ``extension.extend_locally``).
    """
    stated = tuple(stated)
    mentioned = mentioned_terms(ontology)
    equality = _has_equality((ontology, *stated, interpretations))
    closure = _closure_input(ontology, stated, mentioned, equality)
    asserted = set(closure)
    expand(closure)
    from_stated = _useful(t for t in closure if t not in asserted)

    extra = _closure_input(Graph(), [interpretations], mentioned, equality)
    new = {t for t in extra if t not in closure}
    # owl:sameAs can rewrite any triple, and a new axiom can apply to any of them: then extend it all.
    whole = equality or any(is_axiom(t) for t in new)
    added = extend(closure, new) if whole else extend_locally(closure, new)
    return from_stated, _useful(t for t in added if t not in asserted and t not in extra)
