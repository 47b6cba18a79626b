"""What the /ontology page shows, read from the ontology graph (no HTTP here).

The page documents the owl:Ontology itself (its title, IRI, version), its classes and properties
with their definitions and place in the hierarchy, its concept schemes, and the prefixes it uses,
named as everywhere else in the project (``config.PREFIXES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .config import ONTOLOGY_IRI, ONTOLOGY_NS, PREFIXES

PROPERTY_KINDS = ((OWL.ObjectProperty, "Object properties", "object-properties"),
                  (OWL.DatatypeProperty, "Datatype properties", "datatype-properties"),
                  (OWL.AnnotationProperty, "Annotation properties", "annotation-properties"))
CHARACTERISTICS = (OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.TransitiveProperty,
                   OWL.SymmetricProperty, OWL.AsymmetricProperty, OWL.ReflexiveProperty, OWL.IrreflexiveProperty)


@dataclass
class Ref:
    iri: str
    curie: str
    label: str
    anchor: str | None  # the anchor on this page, for the ontology's own terms


@dataclass
class Term:
    ref: Ref
    comment: str = ""
    facts: list[tuple[str, list[Ref]]] = field(default_factory=list)


@dataclass
class OntologyPage:
    iri: str
    title: str
    description: list[str]
    version_iri: str | None
    version_info: str | None
    metadata: list[tuple[str, list[Ref | str]]]
    sections: list[tuple[str, str, list[Term]]]
    schemes: list[tuple[Term, list[Term]]]
    prefixes: list[tuple[str, str]]


def curie(iri: str) -> str:
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default="")
    if not best:
        return iri
    name = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{name}:{iri[len(best):]}"


def _label(graph: Graph, term) -> str:
    for prop in (RDFS.label, SKOS.prefLabel, DCTERMS.title):
        values = list(graph.objects(term, prop))
        english = [v for v in values if isinstance(v, Literal) and v.language in (None, "en")]
        if english or values:
            return str((english or values)[0])
    return curie(str(term))


def _ref(graph: Graph, term) -> Ref:
    iri = str(term)
    anchor = iri[len(ONTOLOGY_NS):] if iri.startswith(ONTOLOGY_NS) else None
    return Ref(iri, curie(iri), _label(graph, term), anchor)


def _text(graph: Graph, term, *props) -> str:
    for prop in props:
        for value in graph.objects(term, prop):
            if isinstance(value, Literal) and value.language in (None, "en"):
                return str(value)
    return ""


def _refs(graph: Graph, terms) -> list[Ref]:
    return sorted((_ref(graph, t) for t in set(terms) if isinstance(t, URIRef)), key=lambda r: r.label.lower())


def _own(graph: Graph, kind) -> list[URIRef]:
    own = {t for t in graph.subjects(RDF.type, kind) if isinstance(t, URIRef) and str(t).startswith(ONTOLOGY_NS)}
    return sorted(own, key=lambda t: _label(graph, t).lower())


def _class(graph: Graph, cls: URIRef) -> Term:
    term = Term(_ref(graph, cls), _text(graph, cls, RDFS.comment, SKOS.definition))
    for name, values in (("Subclass of", graph.objects(cls, RDFS.subClassOf)),
                         ("Equivalent to", graph.objects(cls, OWL.equivalentClass)),
                         ("Disjoint with", graph.objects(cls, OWL.disjointWith)),
                         ("Subclasses", graph.subjects(RDFS.subClassOf, cls)),
                         ("Domain of", graph.subjects(RDFS.domain, cls)),
                         ("Range of", graph.subjects(RDFS.range, cls))):
        refs = [r for r in _refs(graph, values) if r.iri != str(cls)]
        if refs:
            term.facts.append((name, refs))
    return term


def _property(graph: Graph, prop: URIRef) -> Term:
    term = Term(_ref(graph, prop), _text(graph, prop, RDFS.comment, SKOS.definition))
    characteristics = [c for c in CHARACTERISTICS if (prop, RDF.type, c) in graph]
    chains = [list(graph.items(chain)) for chain in graph.objects(prop, OWL.propertyChainAxiom)]
    for name, values in (("Characteristics", characteristics),
                         ("Sub-property of", graph.objects(prop, RDFS.subPropertyOf)),
                         ("Inverse of", {*graph.objects(prop, OWL.inverseOf), *graph.subjects(OWL.inverseOf, prop)}),
                         ("Domain", graph.objects(prop, RDFS.domain)),
                         ("Range", graph.objects(prop, RDFS.range)),
                         ("Sub-properties", graph.subjects(RDFS.subPropertyOf, prop))):
        refs = [r for r in _refs(graph, values) if r.iri != str(prop)]
        if refs:
            term.facts.append((name, refs))
    for chain in chains:
        term.facts.append(("Chain", [_ref(graph, p) for p in chain]))
    return term


def describe(graph: Graph) -> OntologyPage:
    """The page's content, from the ontology graph (the ontology/ files as built into dist/)."""
    root = URIRef(ONTOLOGY_IRI)
    version = graph.value(root, OWL.versionIRI)
    metadata: list[tuple[str, list[Ref | str]]] = []
    for name, prop in (("Licence", DCTERMS.license), ("Creator", DCTERMS.creator), ("Created", DCTERMS.created),
                       ("Modified", DCTERMS.modified)):
        values = [(_ref(graph, v) if isinstance(v, URIRef) else str(v)) for v in graph.objects(root, prop)]
        if values:
            metadata.append((name, values))
    sections = [("Classes", "classes", [_class(graph, c) for c in _own(graph, OWL.Class)])]
    for kind, title, anchor in PROPERTY_KINDS:
        sections.append((title, anchor, [_property(graph, p) for p in _own(graph, kind)]))
    schemes = []
    for scheme in sorted(set(graph.subjects(RDF.type, SKOS.ConceptScheme)), key=lambda s: _label(graph, s).lower()):
        members = set(graph.subjects(SKOS.inScheme, scheme)) | set(graph.objects(scheme, SKOS.hasTopConcept))
        concepts = sorted(members, key=lambda c: _label(graph, c).lower())
        about = Term(_ref(graph, scheme), _text(graph, scheme, RDFS.comment, SKOS.definition, DCTERMS.description))
        entries = [Term(_ref(graph, c), _text(graph, c, SKOS.definition, RDFS.comment)) for c in concepts]
        schemes.append((about, entries))
    used = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    prefixes = [(p, ns) for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in used)]
    return OntologyPage(
        iri=ONTOLOGY_IRI,
        title=_text(graph, root, DCTERMS.title, RDFS.label) or "Ontology",
        description=[t for t in (_text(graph, root, RDFS.comment), _text(graph, root, DCTERMS.description)) if t],
        version_iri=str(version) if version is not None else None,
        version_info=_text(graph, root, OWL.versionInfo) or None,
        metadata=metadata, sections=sections, schemes=schemes, prefixes=prefixes)


def version_path(graph: Graph) -> str | None:
    """The version IRI's path under the ontology IRI (``0.1.0`` for ``…/ontology/0.1.0``), if it has one."""
    version = graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)
    if version is None or not str(version).startswith(ONTOLOGY_IRI + "/"):
        return None
    return str(version)[len(ONTOLOGY_IRI) + 1:]
