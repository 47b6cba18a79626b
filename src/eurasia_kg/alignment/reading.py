"""Reading the store for the alignment: our entities with their identifiers, and the resources one
merged source describes, with every identifier found for them.

Identifiers are found where real datasets put them (see heuristics.toml): identifier properties
(by IRI or by name), Wikidata's direct claims and full statements, OMG LCC code individuals,
schema.org PropertyValues, explicit links and pages, reified ``rdf:Statement``s, and the IRIs of
Wikidata, DBpedia, GeoNames and Freebase resources wherever they appear, as subjects or only as
objects. Every query names the source's graph and a predicate, so each is an index lookup, not a
scan of the source, except the one pass over its IRI objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from ..config import ALIGNED_BASE, GRAPH_BASE, ID_BASE, SOURCE_BASE
from ..config import ONTOLOGY_NS as EKG
from ..dataset import Reader
from .identifiers import (
    Heuristics,
    Key,
    iso_key,
    key_forms,
    keys_of_iri,
    keys_of_value,
    schema_https,
)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class Resource:
    """A resource of one dataset, as the alignment sees it (slots: sources can hold millions)."""

    __slots__ = ("iri", "labels", "types", "keys", "links", "via")

    def __init__(self, iri: str):
        self.iri = iri
        self.labels: list[str] = []
        self.types: set[str] = set()
        self.keys: dict[Key, list[str]] = {}  # identifier -> how it was found
        self.links: dict[str, list[str]] = {}  # our IRI -> explicit-link signals
        self.via: dict[Key, set[str]] = {}  # (ours only) identifier -> other sources that supplied it

    def key(self, key: Key, how: str) -> None:
        self.keys.setdefault(key, []).append(how)

    def link(self, ours: str, signal: str) -> None:
        self.links.setdefault(ours, []).append(signal)

    @property
    def label(self) -> str:
        return self.labels[0] if self.labels else ""


def values(terms: Iterable[str]) -> str:
    """IRIs for a VALUES clause (any that could not be written as a SPARQL IRI are left out)."""
    return " ".join(f"<{t}>" for t in terms if not IRI_UNSAFE.search(t))


def short(iri: str) -> str:
    from ..store import shorten

    return shorten(iri)


def our_entities(reader: Reader, h: Heuristics, exclude_source: str | None = None) -> dict[str, Resource]:
    """Our entities: /id/ resources typed with an ekg: class in the curated graphs, with labels and
    identifiers; plus identifiers the aligned data of merged sources gives them (a DBpedia
    resource's ``owl:sameAs`` a Freebase MID), remembering which source gave each."""
    preds = h.label | {RDF + "type"} | set(h.our_identifier_properties)
    curated = [g for g in reader.named_graphs() if g.startswith(GRAPH_BASE)]
    rows = reader.select(f"""SELECT ?s ?p ?o WHERE {{ VALUES ?g {{ {values(curated)} }} VALUES ?p {{ {values(preds)} }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), "{ID_BASE}")) }}""") if curated else []
    found: dict[str, Resource] = {}
    for s, p, o in rows:
        entity = found.setdefault(s.value, Resource(s.value))
        kind = h.classify_predicate(p.value)
        if kind == "type":
            entity.types.add(o.value)
        elif kind == "label" and isinstance(o, ox.Literal):
            if p.value == RDFS + "label" and o.language in (None, "", "en"):
                entity.labels.insert(0, o.value)
            else:
                entity.labels.append(o.value)
        elif kind and kind.startswith("id:"):
            for key in keys_of_value(kind, o):
                entity.key(key, short(p.value))
    ours = {s: e for s, e in found.items() if any(t.startswith(EKG) for t in e.types)}
    _learned_keys(reader, h, ours, exclude_source)
    return ours


def _learned_keys(reader: Reader, h: Heuristics, ours: dict[str, Resource], exclude: str | None) -> None:
    links = [*h.link, "http://schema.org/sameAs"]
    aligned = [g for g in reader.named_graphs() if g.startswith(ALIGNED_BASE) and g != ALIGNED_BASE + (exclude or "")]
    if not aligned or not ours:
        return
    rows = reader.select(f"""SELECT ?g ?s ?o WHERE {{ VALUES ?g {{ {values(aligned)} }} VALUES ?p {{ {values(links)} }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?o)) }}""")
    for g, s, o in rows:
        entity = ours.get(s.value)
        if entity is None:
            continue
        source = g.value[len(ALIGNED_BASE):]
        for key in keys_of_iri(o.value):
            if key not in entity.keys:
                entity.key(key, f"owl:sameAs <{o.value}> in the aligned data of source {source}")
            entity.via.setdefault(key, set()).add(source)


def source_resources(reader: Reader, graph: str, ours: dict[str, Resource], our_keys: dict[Key, set[str]],
                     h: Heuristics) -> tuple[dict[str, Resource], set[str], int]:
    """The resources one merged source describes by a name, an identifier or a link, with their
    labels, types, identifiers and explicit links to ours; the set of our IRIs the source uses
    itself; and how many other resources it only types (event records and the like, which can match
    nothing of ours: counted, never materialised, so a source of millions stays cheap)."""
    g = ox.NamedNode(graph)
    found: dict[str, Resource] = {}

    def get(iri: str) -> Resource:
        return found.setdefault(iri, Resource(iri))

    predicates = [row[0].value
                  for row in reader.select(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")]
    named, literal = ox.NamedNode, ox.Literal
    typing = []
    for predicate in predicates:
        kind = h.classify_predicate(predicate)
        if kind is None and schema_https(predicate) not in h.see_also:
            continue
        if kind == "type":
            typing.append(predicate)  # read last, for the resources found by everything else
            continue
        quads = reader.quads_for_pattern(None, named(predicate), None, g)
        if kind == "label":  # the bulk of a large source: kept to a tight loop
            for quad in quads:
                s, o = quad.subject, quad.object
                if isinstance(s, named) and isinstance(o, literal):
                    (found.get(s.value) or get(s.value)).labels.append(o.value)
            continue
        for quad in quads:
            if isinstance(quad.subject, named):
                _read_statement(h, get, ours, quad.subject.value, predicate, kind, quad.object)
    # The structured patterns are looked for only where the source uses their predicates at all.
    present = set(predicates)
    if RDF + "subject" in present:
        _reified(reader, graph, h, get, ours)
    if any(p.startswith(h.wikidata_statements["claim_prefix"] + "P") for p in present):
        _wikidata_statements(reader, graph, h, get)
    if present & set(h.code_nodes["identifies"]) and present & set(h.code_nodes["tag"]):
        _code_nodes(reader, graph, h, get)
    if present & set(h.property_values["property_id"]):
        _property_values(reader, graph, h, get)
    # Our identifiers in their IRI forms, used by the source as subjects or only as objects (an
    # event's actor given as a Wikidata item): index lookups, not a scan of the source.
    forms = values(sorted({form for key in our_keys for form in key_forms(key)}))
    if forms:
        subjects = reader.select(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {forms} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        for row in subjects:
            get(row[0].value)
        _identifier_objects(reader, graph, h, get, forms)
    for iri, resource in found.items():
        for key in keys_of_iri(iri):
            resource.key(key, "its IRI")
    only_typed: set[str] = set()
    for predicate in typing:
        for quad in reader.quads_for_pattern(None, named(predicate), None, g):
            s, o = quad.subject, quad.object
            if isinstance(s, named) and isinstance(o, named):
                resource = found.get(s.value)
                if resource is not None:
                    resource.types.add(o.value)
                elif s.value not in ours:
                    only_typed.add(s.value)
    links = ", ".join(f"<{p}>" for p in (*h.link, "http://schema.org/sameAs"))
    same = {row[0].value for row in reader.select(  # our IRIs the source says something about (beyond links)
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values(sorted(ours))} }} GRAPH <{graph}> {{ ?s ?p ?o }} "
        f"FILTER(?p NOT IN ({links})) }}")} if ours else set()
    return {iri: r for iri, r in found.items() if iri not in ours}, same, len(only_typed)


def _read_statement(h: Heuristics, get, ours: dict[str, Resource], s: str, predicate: str, kind: str | None,
                    o) -> None:
    if kind == "label":
        if isinstance(o, ox.Literal):
            get(s).labels.append(o.value)
    elif kind == "type":
        if isinstance(o, ox.NamedNode):
            get(s).types.add(o.value)
    elif kind == "link":
        if not isinstance(o, ox.NamedNode):
            return
        name = h.link[schema_https(predicate)]
        if o.value in ours and s not in ours:
            get(s).link(o.value, f"explicit:{name}")
        elif s in ours and o.value not in ours:
            get(o.value).link(s, f"explicit:{name}")
        elif s not in ours and o.value not in ours:
            for key in keys_of_iri(o.value):
                get(s).key(key, f"{name} <{o.value}>")
            for key in keys_of_iri(s):
                get(o.value).key(key, f"{name} <{s}> (stated the other way round)")
    elif kind == "page" or kind is None:  # pages, and see-also style predicates: identifier IRIs only
        if isinstance(o, ox.NamedNode):
            for key in keys_of_iri(o.value):
                get(s).key(key, f"{short(predicate)} <{o.value}>")
    else:
        for key in keys_of_value(kind, o):
            get(s).key(key, f"{short(predicate)} {o}")


def _reified(reader: Reader, graph: str, h: Heuristics, get, ours) -> None:
    """``rdf:Statement``s: read as statements about their ``rdf:subject``."""
    rows = reader.select(f"""SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{
        ?st <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o }} FILTER(isIRI(?s) && isIRI(?p)) }}""")
    for s, p, o in rows:
        get(s.value)
        kind = h.classify_predicate(p.value)
        if kind is not None or schema_https(p.value) in h.see_also:
            _read_statement(h, get, ours, s.value, p.value, kind, o)


def _wikidata_statements(reader: Reader, graph: str, h: Heuristics, get) -> None:
    spec = h.wikidata_statements
    pairs = " ".join(f"(<{spec['claim_prefix']}{p}> <{spec['value_prefix']}{p}> <http://www.wikidata.org/prop/direct/{p}>)"
                     for p in spec["properties"])
    rows = reader.select(f"""SELECT ?s ?direct ?v WHERE {{ VALUES (?claim ?value ?direct) {{ {pairs} }}
        GRAPH <{graph}> {{ ?s ?claim ?st . ?st ?value ?v }} FILTER(isIRI(?s)) }}""")
    for s, direct, v in rows:
        kind = h.classify_predicate(direct.value)
        if kind and kind.startswith("id:"):
            for key in keys_of_value(kind, v):
                get(s.value).key(key, f"Wikidata statement {short(direct.value)} {v}")


def _code_nodes(reader: Reader, graph: str, h: Heuristics, get) -> None:
    spec = h.code_nodes
    rows = reader.select(f"""SELECT ?x ?tag ?type WHERE {{ VALUES ?identifies {{ {values(spec['identifies'])} }}
        VALUES ?hasTag {{ {values(spec['tag'])} }}
        GRAPH <{graph}> {{ ?code ?identifies ?x ; ?hasTag ?tag OPTIONAL {{ ?code a ?type }} }} FILTER(isIRI(?x)) }}""")
    for x, tag, kind in rows:
        scheme = spec["types"].get(kind.value) if kind is not None else None
        if scheme is None and kind is not None:
            continue  # a code of another kind (a language tag, a UN M49 code …): no ISO 3166 identifier
        key = iso_key(tag.value)
        if key and (scheme in (None, "iso") or key[0] == scheme):
            get(x.value).key(key, f"code {tag.value!r} that identifies it")


def _property_values(reader: Reader, graph: str, h: Heuristics, get) -> None:
    spec = h.property_values
    rows = reader.select(f"""SELECT ?x ?id ?v WHERE {{ VALUES ?identifier {{ {values(spec['identifier'])} }}
        VALUES ?propertyID {{ {values(spec['property_id'])} }} VALUES ?value {{ {values(spec['value'])} }}
        GRAPH <{graph}> {{ ?x ?identifier ?pv . ?pv ?propertyID ?id ; ?value ?v }} FILTER(isIRI(?x)) }}""")
    for x, pid, v in rows:
        name = pid.value.lower()
        scheme = next((s for word, s in spec["ids"].items() if word.lower() in name), None)
        if scheme:
            for key in keys_of_value("id:" + scheme, v):
                get(x.value).key(key, f"schema:identifier {pid.value!r} {v.value!r}")


def _identifier_objects(reader: Reader, graph: str, h: Heuristics, get, forms: str) -> None:
    """Our identifiers' IRIs that the source uses as objects: each is a resource the source refers
    to. Objects of typing, linking, page, see-also and identifier statements are left out: they are
    classes, or identifiers of the subject, not things the source speaks of."""
    rows = reader.select(f"SELECT DISTINCT ?p ?o WHERE {{ VALUES ?o {{ {forms} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    for p, o in rows:
        if h.classify_predicate(p.value) is None and schema_https(p.value) not in h.see_also \
                and p.value != "http://www.wikidata.org/prop/direct/P279":
            get(o.value)


def dependent_sources(reader: Reader, name: str) -> set[str]:
    """Other sources whose links rest on identifiers the aligned data of ``name`` supplied."""
    from ..config import ALIGNMENT_GRAPH

    rows = reader.select(f"""SELECT DISTINCT ?by WHERE {{ GRAPH <{ALIGNMENT_GRAPH}> {{
        ?link <http://www.w3.org/ns/prov#wasDerivedFrom> <{SOURCE_BASE}{name}> ; <{EKG}alignedBy> ?by }} }}""")
    return {row[0].value[len(SOURCE_BASE):] for row in rows} - {name}
