"""Conflicting values: properties that each dataset (ours included) states once for an aligned
entity, with different values across datasets. Values are normalised first (dates, numbers by
their value whatever the numeric datatype, aligned IRIs, text by case); a number in one dataset
and a string in another is reported as a candidate conflict for review. Every value is kept and
reported with its graph; none is chosen."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ..config import (
    ALIGNMENT_GRAPH,
    GRAPH_BASE,
    INFERRED_FROM_INTERPRETATIONS_GRAPH,
    INFERRED_GRAPH,
    MERGED_BASE,
    METADATA_GRAPH,
    METRICS_GRAPH,
    ONTOLOGY_GRAPH,
    SOURCE_BASE,
)
from ..config import (
    ONTOLOGY_NS as EKG,
)
from ..dataset import Reader
from .identifiers import Heuristics, Key, keys_of_iri, schema_https
from .reading import Resource, values
from .report import ALIGNMENT_LINK, Conflict, ConflictValue

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "long", "int", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                             "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
# The curated graphs whose statements count as ours (not entailments, not descriptions of the data).
NOT_OUR_STATEMENTS = {ONTOLOGY_GRAPH, INFERRED_GRAPH, INFERRED_FROM_INTERPRETATIONS_GRAPH, METADATA_GRAPH,
                      METRICS_GRAPH}


def normalised_value(term, map_iri) -> tuple[str, str] | None:
    """(kind, normalised value): kind is iri, date, number or text."""
    if isinstance(term, ox.NamedNode):
        return "iri", "<" + map_iri(term.value) + ">"
    if not isinstance(term, ox.Literal):
        return None
    value, datatype = term.value.strip(), term.datatype.value
    if datatype in (XSD + "date", XSD + "dateTime") or re.fullmatch(r"[+-]?\d{4}-\d\d-\d\d(T.*)?", value):
        m = re.fullmatch(r"\+?(-?\d{4,}-\d\d-\d\d)(?:T00:00:00(?:\.0+)?(?:Z|[+-]00:00)?)?", value)
        if m:
            return "date", m.group(1)
    if datatype in NUMERIC:
        try:
            number = Decimal(value.removeprefix("+"))
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return "number", format(number.normalize(), "f")
    return "text", unicodedata.normalize("NFC", value).casefold()


def _normalised_value(term, map_iri) -> str | None:
    """The comparable form of a value, as one string ("date 1950-03-21", "number 146000000", …)."""
    found = normalised_value(term, map_iri)
    return None if found is None else f"{found[0]} {found[1]}"


def stored_links(reader: Reader, entities: set[str] | None = None) -> list[tuple[str, str, str]]:
    """(source, ours, theirs) of the links in the store, for some of our entities or all."""
    only = f"VALUES ?ours {{ {values(sorted(entities))} }}" if entities is not None else ""
    rows = reader.select(f"""SELECT ?by ?ours ?theirs WHERE {{ {only} GRAPH <{ALIGNMENT_GRAPH}> {{
        ?link a <{ALIGNMENT_LINK}> ; <{EKG}alignedBy> ?by ; <{EKG}alignedEntity> ?ours ;
              <{EKG}alignedWith> ?theirs }} }}""")
    return [(by.value[len(SOURCE_BASE):], ours.value, theirs.value) for by, ours, theirs in rows]


def find_conflicts(reader: Reader, links: list[tuple[str, str, str]], ours: dict[str, Resource],
                   our_keys: dict[Key, set[str]], h: Heuristics) -> list[Conflict]:
    """Conflicts among the entities that ``links`` (source, ours, theirs) align, across all their links."""
    to_ours = {theirs: o for _, o, theirs in links}

    def map_iri(iri: str) -> str:
        if iri in to_ours:
            return to_ours[iri]
        found = {o for key in keys_of_iri(iri) for o in our_keys.get(key, ())}
        return found.pop() if len(found) == 1 else iri

    by_entity: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for source, o, theirs in links:
        by_entity[o].append((source, theirs))
    conflicts = []
    for entity in sorted(by_entity):
        stated: dict[tuple[str, str], dict[str, list[ConflictValue]]] = defaultdict(lambda: defaultdict(list))
        contributors = [("curated", entity, None)] + [(s, theirs, MERGED_BASE + s) for s, theirs in by_entity[entity]]
        for source, about, graph in contributors:
            for quad in reader.quads_for_pattern(ox.NamedNode(about), None, None,
                                                 None if graph is None else ox.NamedNode(graph)):
                g = quad.graph_name
                if graph is None and (not isinstance(g, ox.NamedNode) or not g.value.startswith(GRAPH_BASE)
                                      or g.value in NOT_OUR_STATEMENTS):
                    continue
                predicate = schema_https(quad.predicate.value)
                if predicate in h.not_facts or h.classify_predicate(predicate) is not None:
                    continue
                found = normalised_value(quad.object, map_iri)
                if found is None:
                    continue
                kind, normalised = found
                key = h.same_property.get(predicate, predicate)
                stated[(source, about)][key].append(ConflictValue(
                    quad.object.value, str(quad.object), f"{kind} {normalised}", source, g.value, about,
                    quad.predicate.value, kind))
        properties = sorted({p for by_property in stated.values() for p in by_property})
        for prop in properties:
            groups = [vals for by_property in stated.values() if (vals := by_property.get(prop))]
            if len(groups) < 2 or any(len({v.normalised for v in vals}) > 1 for vals in groups):
                continue  # stated by one dataset only, or several values in one dataset: not single-valued
            if len({v.normalised for vals in groups for v in vals}) < 2:
                continue  # the same value everywhere (a number and a string of the same digits differ)
            unique = {(v.source, v.graph, v.about, v.via, v.term): v for vals in groups for v in vals}
            found_values = sorted(unique.values(), key=lambda v: (v.source != "curated", v.source, v.normalised,
                                                                  v.graph))
            label = ours[entity].label if entity in ours else ""
            conflicts.append(Conflict(entity, label, prop, tuple(found_values)))
    return conflicts
