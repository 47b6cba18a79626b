"""Aligning merged sources with the curated graph: links, review candidates, conflicts, and the
``owl:sameAs`` closure on our IRIs.

For every merged source (``merge.MERGED_BASE + name``) each resource it describes is compared
with our entities (the ``/id/`` resources of the curated graphs), using these signals, strongest
first:

1. explicit links between the two datasets, in either: ``owl:sameAs``, ``skos:exactMatch``,
   ``schema:sameAs`` (http and https schema.org), and a source that uses our IRI itself;
2. shared identifiers, normalised: Wikidata (``http://www.wikidata.org/entity/Q…``,
   ``https://www.wikidata.org/wiki/Q…``, ``wd:`` prefixed, and ``Q…`` literals → the QID), DBpedia
   IRIs and English Wikipedia pages or titles (→ the article title), ISO 3166 alpha-2, alpha-3,
   numeric (``"004"``, ``"4"``, ``4`` → ``004``) and 3166-2 codes, GeoNames IDs (``sws.``/``www.``,
   http/https, with or without a trailing path, or a literal → the number);
3. label similarity (difflib ratio of normalised labels, same broad type): **candidates for
   review only**, never linked, each with its score.

An explicit link wins over identifiers; identifiers that point to several of our entities, or link
resources of different broad types (a person and a place), make candidates, not links. Conflicts
are properties that each dataset (ours included) states once for an aligned entity, with
different values across datasets (after normalising dates, numbers and aligned IRIs, and treating
e.g. ``wdt:P569`` and ``schema:birthDate`` as one property); all values are reported, none chosen.

Written into ``ALIGNMENT_GRAPH`` (each node carries ``ekg:alignedBy`` its source record, so
``merge.remove_source`` removes them):

* ``ekg:AlignmentLink`` / ``ekg:AlignmentCandidate``: ``ekg:alignedEntity`` (ours),
  ``ekg:alignedWith`` (theirs), ``ekg:alignedBy``, ``ekg:signal`` (one per signal, strongest first,
  e.g. ``"explicit:owl:sameAs"``, ``"identifier:wikidata"``, ``"label"``), ``ekg:signalTier`` (1–3),
  ``ekg:score``, ``ekg:evidence`` (in words), ``prov:generatedAtTime``, ``rdfs:label``;
* ``ekg:ValueConflict``: ``ekg:alignedEntity``, ``ekg:conflictProperty``, ``ekg:conflictingValue`` →
  ``ekg:ConflictingValue`` nodes with ``rdf:value``, ``ekg:inGraph``, ``ekg:viaProperty`` and
  ``ekg:alignedWith`` (the resource it was stated about);
* ``ekg:MergeReport`` (one per source): ``ekg:newEntity`` (at most ``RDF_NEW_ENTITIES``) and
  ``ekg:newEntityCount``.

The plain ``our owl:sameAs their`` triples and copies of the source's statements about each aligned
entity, rewritten onto our IRI, go into ``ALIGNED_BASE + name`` (the materialised closure): a query
on our IRIs finds facts only the other dataset has, and ``GRAPH ?g`` still says which dataset they
came from. The whole alignment is derived data: ``align`` recomputes it for every source and swaps
it in atomically.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import unicodedata
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from .config import (
    GRAPH_BASE,
    ID_BASE,
    INFERRED_FROM_INTERPRETATIONS_GRAPH,
    INFERRED_GRAPH,
    METADATA_GRAPH,
    METRICS_GRAPH,
    ONTOLOGY_GRAPH,
)
from .merge import ALIGNMENT_GRAPH, EKG, MERGED_BASE, SOURCE_BASE, read_sources

ALIGNED_BASE = MERGED_BASE + "_aligned/"
LINK_BASE = ID_BASE + "alignment/"
CANDIDATE_BASE = ID_BASE + "alignment-candidate/"
CONFLICT_BASE = ID_BASE + "conflict/"
REPORT_BASE = ID_BASE + "merge-report/"
STAGING_GRAPH = MERGED_BASE + "_alignment-staging"
CANDIDATE_THRESHOLD = 0.85
# The RDF report lists at most this many new entities per source (with their total count); the JSON lists all.
RDF_NEW_ENTITIES = 10_000

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
DBO = "http://dbpedia.org/ontology/"
GN = "http://www.geonames.org/ontology#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"

# Classes and properties of the alignment vocabulary (declared in ontology/eurasia-kg.ttl).
ALIGNMENT_LINK = EKG + "AlignmentLink"
ALIGNMENT_CANDIDATE = EKG + "AlignmentCandidate"
VALUE_CONFLICT = EKG + "ValueConflict"
CONFLICTING_VALUE = EKG + "ConflictingValue"
MERGE_REPORT = EKG + "MergeReport"
ALIGNMENT_CLASSES = (ALIGNMENT_LINK, ALIGNMENT_CANDIDATE, VALUE_CONFLICT, CONFLICTING_VALUE, MERGE_REPORT)

LINK_PREDICATES = {OWL + "sameAs": "owl:sameAs", SKOS + "exactMatch": "skos:exactMatch",
                   SCHEMA + "sameAs": "schema:sameAs"}
PAGE_PREDICATES = {FOAF + "isPrimaryTopicOf", SCHEMA + "mainEntityOfPage"}
LABEL_PREDICATES = {RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", FOAF + "name", SCHEMA + "name",
                    SCHEMA + "alternateName", GN + "name", GN + "officialName", GN + "alternateName"}
TYPE_PREDICATES = {RDF + "type", WDT + "P31"}
DATASET_TYPES = {VOID + "Dataset", DCAT + "Dataset", DCAT + "Catalog", SCHEMA + "Dataset", OWL + "Ontology"}
# Statements that are not facts to compare across datasets.
NOT_FACTS = LABEL_PREDICATES | TYPE_PREDICATES | set(LINK_PREDICATES) | PAGE_PREDICATES | {
    RDFS + "comment", RDFS + "seeAlso", SCHEMA + "description", SKOS + "closeMatch", SKOS + "definition",
    SKOS + "note", FOAF + "page", WDT + "P279", EKG + "identifierEvidence", DCT + "license", DCT + "source"}
# Properties that say the same thing in different vocabularies, compared as one.
SAME_PROPERTY = {
    WDT + "P569": SCHEMA + "birthDate", DBO + "birthDate": SCHEMA + "birthDate",
    WDT + "P570": SCHEMA + "deathDate", DBO + "deathDate": SCHEMA + "deathDate",
    DBO + "populationTotal": WDT + "P1082", GN + "population": WDT + "P1082", SCHEMA + "population": WDT + "P1082",
}
# The curated graphs whose statements count as ours (not entailments, not descriptions of the data).
NOT_OUR_STATEMENTS = {ONTOLOGY_GRAPH, INFERRED_GRAPH, INFERRED_FROM_INTERPRETATIONS_GRAPH, METADATA_GRAPH,
                      METRICS_GRAPH}

# --- identifiers ------------------------------------------------------------------------------

WIKIDATA_IRI = re.compile(r"^https?://(?:www\.|m\.)?wikidata\.org/(?:entity|wiki)/(?:Special:EntityPage/)?"
                          r"([Qq][1-9]\d*)/?(?:[#?].*)?$")
WIKIDATA_LITERAL = re.compile(r"^(?:wd:)?([Qq][1-9]\d*)$")
DBPEDIA_IRI = re.compile(r"^https?://dbpedia\.org/(?:resource|page)/([^?#]+)")
WIKIPEDIA_IRI = re.compile(r"^https?://en\.(?:m\.)?wikipedia\.org/wiki/([^?#]+)")
GEONAMES_IRI = re.compile(r"^https?://(?:sws\.|www\.)?geonames\.org/(\d+)(?:[/#?].*)?$")
ISO_NAME = re.compile(r"iso3166|^iso(alpha[23]|numeric|code)|^alpha[23](code)?$|^numericcode$")
SCHEME_PREDICATE = {
    "wikidata": EKG + "wikidata", "dbpedia": EKG + "dbpedia", "geonames": EKG + "geonames",
    "iso3166-alpha2": EKG + "iso3166Alpha2", "iso3166-alpha3": EKG + "iso3166Alpha3",
    "iso3166-numeric": EKG + "iso3166Numeric", "iso3166-2": EKG + "iso3166_2",
}

# Signals, strongest first.
SIGNAL_ORDER = ["same-iri", "explicit:owl:sameAs", "explicit:skos:exactMatch", "explicit:schema:sameAs",
                *(f"identifier:{scheme}" for scheme in SCHEME_PREDICATE), "label"]

Key = tuple[str, str]  # (scheme, normalised value), e.g. ("wikidata", "Q58217"), ("iso3166-numeric", "004")


def schema_https(iri: str) -> str:
    return SCHEMA + iri[len(SCHEMA_HTTP):] if iri.startswith(SCHEMA_HTTP) else iri


def wikipedia_title(raw: str) -> str:
    """An English Wikipedia / DBpedia title as DBpedia writes it: decoded, underscores, first letter upper."""
    title = urllib.parse.unquote(raw).strip().replace(" ", "_")
    return title[:1].upper() + title[1:]


def keys_of_iri(iri: str) -> list[Key]:
    """The identifiers an IRI stands for by its form: Wikidata item, DBpedia resource, Wikipedia page, GeoNames."""
    if m := WIKIDATA_IRI.match(iri):
        return [("wikidata", m.group(1).upper())]
    if m := DBPEDIA_IRI.match(iri) or WIKIPEDIA_IRI.match(iri):
        return [("dbpedia", wikipedia_title(m.group(1)))]
    if m := GEONAMES_IRI.match(iri):
        return [("geonames", str(int(m.group(1))))]
    return []


def iso_key(value: str) -> Key | None:
    """An ISO 3166 code by its shape: "IR" alpha-2, "IRN" alpha-3, "364"/"4" numeric (zero-padded), "RU-MOW" 3166-2."""
    value = value.strip()
    if re.fullmatch(r"\d{1,3}", value):
        return ("iso3166-numeric", value.zfill(3))
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return ("iso3166-alpha2", value.upper())
    if re.fullmatch(r"[A-Za-z]{3}", value):
        return ("iso3166-alpha3", value.upper())
    if re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", value):
        return ("iso3166-2", value.upper())
    return None


def keys_of_value(kind: str, term) -> list[Key]:
    """The identifiers a value of an identifier property (kind ``id:SCHEME``) stands for."""
    if isinstance(term, ox.NamedNode):
        return keys_of_iri(term.value)
    if not isinstance(term, ox.Literal):
        return []
    value = term.value.strip()
    scheme = kind.removeprefix("id:")
    if scheme == "wikidata":
        m = WIKIDATA_LITERAL.match(value)
        return [("wikidata", m.group(1).upper())] if m else keys_of_iri(value)
    if scheme in ("dbpedia", "wikipedia"):
        if value.startswith(("http://", "https://")):
            return keys_of_iri(value)
        return [("dbpedia", wikipedia_title(value.removeprefix("dbr:")))] if value else []
    if scheme == "geonames":
        if value.isdigit():
            return [("geonames", str(int(value)))]
        return keys_of_iri(value)
    if scheme == "iso":
        key = iso_key(value)
        return [key] if key else []
    return []


def classify_predicate(iri: str) -> str | None:
    """What a predicate is to the alignment: label, type, link, page, id:SCHEME, or None (a fact)."""
    iri = schema_https(iri)
    if iri in LABEL_PREDICATES:
        return "label"
    if iri in TYPE_PREDICATES:
        return "type"
    if iri in LINK_PREDICATES:
        return "link"
    if iri in PAGE_PREDICATES:
        return "page"
    if iri.startswith(WDT):
        return {"P297": "id:iso", "P298": "id:iso", "P299": "id:iso", "P300": "id:iso",
                "P1566": "id:geonames"}.get(iri[len(WDT):])
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    name = re.sub(r"[^a-z0-9]", "", local.lower())
    if "countrycode" in name or "language" in name or "evidence" in name:
        return None  # gn:countryCode is the country a feature is in, not the feature's own code
    for word in ("wikidata", "geonames", "dbpedia", "wikipedia"):
        if word in name:
            return "id:" + word
    if ISO_NAME.search(name):
        return "id:iso"
    return None


# --- broad types ------------------------------------------------------------------------------

WIKIDATA_KINDS = {
    "Q5": "person", "Q6256": "place", "Q3624078": "place", "Q515": "place", "Q1549591": "place", "Q5119": "place",
    "Q10864048": "place", "Q43229": "organisation", "Q327333": "organisation", "Q4830453": "organisation",
    "Q7278": "organisation", "Q1656682": "event",
}
KIND_WORDS = (  # checked in this order: "CommissionSession" is an event, "ParliamentaryGroup" an organisation
    ("event", ("event", "meeting", "visit", "summit", "negotiation", "session", "ceremony", "election",
               "exhibition", "cultureweek", "launch", "conference")),
    ("agreement", ("agreement", "contract", "memorandum", "treaty", "roadmap")),
    ("organisation", ("organisation", "organization", "ministry", "company", "agency", "council", "government",
                      "parliament", "institute", "institution", "party", "commission", "corporation", "centre",
                      "center", "publisher", "delegation", "group")),
    ("person", ("person", "human", "player", "athlete", "politician", "diplomat")),
    ("place", ("country", "city", "place", "region", "feature", "settlement", "sea", "location", "town",
               "province", "village")),
)


def kind_of(types: Iterable[str]) -> str | None:
    """The broad type (person, place, organisation, event, agreement) of a resource's classes, if any."""
    kinds = []
    for iri in types:
        if iri.startswith(WD) and iri[len(WD):] in WIKIDATA_KINDS:
            kinds.append(WIKIDATA_KINDS[iri[len(WD):]])
            continue
        name = re.split(r"[#/]", iri.rstrip("/#"))[-1].lower()
        for kind, words in KIND_WORDS:
            if any(word in name for word in words):
                kinds.append(kind)
                break
    return min(kinds, key=[k for k, _ in KIND_WORDS].index) if kinds else None


def compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


NOT_WORD = re.compile(r"[\W_]+")


def normalise_label(label: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: "Sergéi  Lavrov!" -> "sergei lavrov"."""
    if not label.isascii():
        label = "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))
    return NOT_WORD.sub(" ", label.casefold()).strip()


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A link (signals 1–2) or a candidate awaiting review (signal 3, or an ambiguous 1–2)."""

    source: str
    ours: str
    theirs: str
    signals: tuple[str, ...]
    tier: int
    score: float
    evidence: tuple[str, ...]
    ours_label: str = ""
    theirs_label: str = ""

    @property
    def signal(self) -> str:
        return self.signals[0]


@dataclass(frozen=True)
class NewEntity:
    source: str
    iri: str
    label: str = ""
    kind: str = ""


@dataclass(frozen=True)
class ConflictValue:
    value: str  # the lexical value (or IRI) as stated
    term: str  # the RDF term, in N-Triples syntax
    normalised: str  # what was compared
    source: str  # the merged source's name, or "curated"
    graph: str  # the named graph that states it
    about: str  # the resource it is stated about (ours, or theirs before alignment)
    via: str  # the predicate that states it


@dataclass(frozen=True)
class Conflict:
    entity: str
    label: str
    property: str
    values: tuple[ConflictValue, ...]


@dataclass
class Report:
    generated: str
    sources: list[str] = field(default_factory=list)
    matched: list[Match] = field(default_factory=list)
    new: list[NewEntity] = field(default_factory=list)
    candidates: list[Match] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        for match in data["matched"]:
            match["signal"] = match["signals"][0]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        def match(m: dict) -> Match:
            m = {k: v for k, v in m.items() if k != "signal"}
            return Match(**{**m, "signals": tuple(m["signals"]), "evidence": tuple(m["evidence"])})

        return cls(
            generated=data["generated"], sources=list(data["sources"]),
            matched=[match(m) for m in data["matched"]], new=[NewEntity(**n) for n in data["new"]],
            candidates=[match(m) for m in data["candidates"]],
            conflicts=[Conflict(c["entity"], c["label"], c["property"],
                                tuple(ConflictValue(**v) for v in c["values"])) for c in data["conflicts"]])

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))

    def for_source(self, name: str) -> Report:
        return Report(self.generated, [name], [m for m in self.matched if m.source == name],
                      [n for n in self.new if n.source == name], [c for c in self.candidates if c.source == name],
                      [c for c in self.conflicts if any(v.source == name for v in c.values)])

    def text(self, limit: int = 50) -> str:
        from .store import shorten

        def cut(rows: list[str]) -> list[str]:
            return rows if len(rows) <= limit else rows[:limit] + [f"    … and {len(rows) - limit} more "
                                                                      "(see --report-json)"]

        lines = [f"Alignment with the curated graph ({', '.join(self.sources) or 'no merged sources'})"]
        lines.append(f"  matched: {len(self.matched)} (the signal behind each in brackets)")
        lines += cut([f"    {m.source}: {shorten(m.ours)} = {shorten(m.theirs)}"
                      f"{f' {m.theirs_label!r}' if m.theirs_label else ''}  [{', '.join(m.signals)}]"
                      for m in self.matched])
        lines.append(f"  new entities: {len(self.new)}")
        lines += cut([f"    {n.source}: {shorten(n.iri)}{f' {n.label!r}' if n.label else ''}"
                      f"{f' ({n.kind})' if n.kind else ''}" for n in self.new])
        lines.append(f"  conflicting values (all kept; none chosen): {len(self.conflicts)}")
        for c in self.conflicts[:limit]:
            lines.append(f"    {shorten(c.entity)} {c.label!r}, {shorten(c.property)}:")
            lines += [f"      {v.value}  in {v.source} ({shorten(v.via)} of {shorten(v.about)})" for v in c.values]
        lines.append(f"  candidates awaiting review (not linked): {len(self.candidates)}")
        lines += cut([f"    {c.source}: {shorten(c.ours)} ~ {shorten(c.theirs)}"
                      f"{f' {c.theirs_label!r}' if c.theirs_label else ''}  score {c.score:.2f}  "
                      f"[{', '.join(c.signals)}]" for c in self.candidates])
        return "\n".join(lines)


# --- reading the store ------------------------------------------------------------------------


class Resource:
    """A resource of one dataset, as the alignment sees it (slots: sources can hold millions)."""

    __slots__ = ("iri", "labels", "types", "keys", "links")

    def __init__(self, iri: str):
        self.iri = iri
        self.labels: list[str] = []
        self.types: set[str] = set()
        self.keys: dict[Key, list[str]] = {}  # identifier -> how it was found
        self.links: dict[str, list[str]] = {}  # our IRI -> explicit-link signals

    def key(self, key: Key, how: str) -> None:
        self.keys.setdefault(key, []).append(how)

    def link(self, ours: str, signal: str) -> None:
        self.links.setdefault(ours, []).append(signal)

    @property
    def label(self) -> str:
        return self.labels[0] if self.labels else ""

    @property
    def kind(self) -> str | None:
        return kind_of(self.types)


IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _values(terms: Iterable[str]) -> str:
    """IRIs for a VALUES clause (any that could not be written as a SPARQL IRI are left out)."""
    return " ".join(f"<{t}>" for t in terms if not IRI_UNSAFE.search(t))


def our_entities(store: ox.Store) -> dict[str, Resource]:
    """Our entities: /id/ resources typed with an ekg: class in the curated graphs, with labels and identifiers."""
    preds = LABEL_PREDICATES | {RDF + "type"} | set(SCHEME_PREDICATE.values())
    curated = [g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(GRAPH_BASE)]
    rows = store.query(f"""SELECT ?s ?p ?o WHERE {{ VALUES ?g {{ {_values(curated)} }} VALUES ?p {{ {_values(preds)} }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), "{ID_BASE}")) }}""") if curated else []
    found: dict[str, Resource] = {}
    for row in rows:
        s, p, o = row["s"].value, row["p"].value, row["o"]
        entity = found.setdefault(s, Resource(s))
        kind = classify_predicate(p)
        if kind == "type":
            entity.types.add(o.value)
        elif kind == "label" and isinstance(o, ox.Literal):
            if p == RDFS + "label" and o.language in (None, "", "en"):
                entity.labels.insert(0, o.value)
            else:
                entity.labels.append(o.value)
        elif kind and kind.startswith("id:"):
            for key in keys_of_value(kind, o):
                entity.key(key, _short(p))
    return {s: e for s, e in found.items() if any(t.startswith(EKG) for t in e.types)}


def _short(iri: str) -> str:
    from .store import shorten

    return shorten(iri)


def _key_forms(key: Key) -> list[str]:
    """IRIs that stand for an identifier, to find sources that use them as subjects."""
    scheme, value = key
    if scheme == "wikidata":
        return [f"{p}{value}" for p in (WD, "https://www.wikidata.org/entity/", "https://www.wikidata.org/wiki/",
                                          "http://www.wikidata.org/wiki/", "http://wikidata.org/entity/")]
    if scheme == "dbpedia":
        titles = {value, urllib.parse.quote(value, safe="_(),'!*:")}
        return [f"{p}{t}" for t in titles for p in ("http://dbpedia.org/resource/", "https://dbpedia.org/resource/",
                                                     "https://en.wikipedia.org/wiki/", "http://en.wikipedia.org/wiki/")]
    if scheme == "geonames":
        return [f"{scheme_}://{host}geonames.org/{value}{tail}" for scheme_ in ("http", "https")
                for host in ("sws.", "www.", "") for tail in ("", "/")]
    return []


def source_resources(store: ox.Store, graph: str, ours: dict[str, Resource],
                     our_keys: dict[Key, set[str]]) -> tuple[dict[str, Resource], set[str]]:
    """The resources one merged source describes, with their labels, types, identifiers and explicit
    links to ours; and the set of our IRIs the source uses itself."""
    g = ox.NamedNode(graph)
    predicates = [row["p"].value
                  for row in store.query(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")]
    found: dict[str, Resource] = {}

    def get(iri: str) -> Resource:
        return found.setdefault(iri, Resource(iri))

    for predicate in predicates:
        kind = classify_predicate(predicate)
        if kind is None:
            continue
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, g):
            s, o = quad.subject, quad.object
            if not isinstance(s, ox.NamedNode):
                continue
            if kind == "label":
                if isinstance(o, ox.Literal):
                    get(s.value).labels.append(o.value)
            elif kind == "type":
                if isinstance(o, ox.NamedNode):
                    get(s.value).types.add(o.value)
            elif kind == "link":
                if not isinstance(o, ox.NamedNode):
                    continue
                name = LINK_PREDICATES[schema_https(predicate)]
                if o.value in ours and s.value not in ours:
                    get(s.value).link(o.value, f"explicit:{name}")
                elif s.value in ours and o.value not in ours:
                    get(o.value).link(s.value, f"explicit:{name}")
                elif s.value not in ours and o.value not in ours:
                    for key in keys_of_iri(o.value):
                        get(s.value).key(key, f"{name} <{o.value}>")
                    for key in keys_of_iri(s.value):
                        get(o.value).key(key, f"{name} <{s.value}> (stated the other way round)")
            elif kind == "page":
                if isinstance(o, ox.NamedNode):
                    for key in keys_of_iri(o.value):
                        get(s.value).key(key, f"{_short(predicate)} <{o.value}>")
            else:
                for key in keys_of_value(kind, o):
                    get(s.value).key(key, f"{_short(predicate)} {o}")
    # Subjects that are identifiers themselves: those of found resources, and ours in any form.
    forms = {form for key in our_keys for form in _key_forms(key)}
    if forms:
        rows = store.query(f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {_values(sorted(forms))} }} "
                           f"GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        for row in rows:
            get(row["s"].value)
    for iri, resource in found.items():
        for key in keys_of_iri(iri):
            resource.key(key, "its IRI")
    links = ", ".join(f"<{p}>" for p in (*LINK_PREDICATES, SCHEMA_HTTP + "sameAs"))
    same = {row["s"].value for row in store.query(  # our IRIs the source says something about (beyond links)
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {_values(sorted(ours))} }} GRAPH <{graph}> {{ ?s ?p ?o }} "
        f"FILTER(?p NOT IN ({links})) }}")}
    return {iri: r for iri, r in found.items() if iri not in ours}, same


# --- matching ---------------------------------------------------------------------------------


def _index_keys(ours: dict[str, Resource]) -> dict[Key, set[str]]:
    index: dict[Key, set[str]] = defaultdict(set)
    for iri, entity in ours.items():
        for key in entity.keys:
            index[key].add(iri)
    return index


def _label_index(ours: dict[str, Resource]) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    tokens: dict[str, set[str]] = defaultdict(set)
    normalised: dict[str, list[str]] = {}
    for iri, entity in ours.items():
        normalised[iri] = [n for n in dict.fromkeys(normalise_label(label) for label in entity.labels) if n]
        for label in normalised[iri]:
            for token in label.split():
                if len(token) >= 3 or len(label.split()) == 1:
                    tokens[token].add(iri)
    return tokens, normalised


def match_source(name: str, resources: dict[str, Resource], same: set[str], ours: dict[str, Resource],
                 our_keys: dict[Key, set[str]], label_index) -> tuple[list[Match], list[Match], list[NewEntity]]:
    links: list[Match] = []
    candidates: list[Match] = []
    new: list[NewEntity] = []
    for iri in sorted(same):
        links.append(Match(name, iri, iri, ("same-iri",), 1, 1.0, ("the source states facts about our IRI itself",),
                           ours[iri].label, ours[iri].label))
    linked_ours: dict[str, str] = {}
    unlinked: list[Resource] = []
    for iri in sorted(resources):
        theirs = resources[iri]
        by_identifier: dict[str, list[str]] = defaultdict(list)
        evidence: dict[str, list[str]] = defaultdict(list)
        for key, hows in theirs.keys.items():
            for our_iri in our_keys.get(key, ()):
                signal = f"identifier:{key[0]}"
                if signal not in by_identifier[our_iri]:
                    by_identifier[our_iri].append(signal)
                evidence[our_iri].append(f"{key[0]} {key[1]}: theirs via {hows[0]}; ours via "
                                         f"{', '.join(ours[our_iri].keys[key])}")
        for signals in by_identifier.values():
            signals.sort(key=SIGNAL_ORDER.index)
        explicit = {o: list(dict.fromkeys(s)) for o, s in theirs.links.items()}
        for our_iri, signals in explicit.items():
            evidence[our_iri] = [f"{s} between <{iri}> and <{our_iri}>" for s in signals] + evidence[our_iri]
        tier, chosen = (1, explicit) if explicit else (2, by_identifier) if by_identifier else (3, {})
        if not chosen:
            unlinked.append(theirs)
            continue
        if len(chosen) == 1:
            our_iri = next(iter(chosen))
            signals = tuple(chosen[our_iri] + [s for s in by_identifier.get(our_iri, []) if s not in chosen[our_iri]])
            notes = [f"but {', '.join(s)} points to <{o}>" for o, s in by_identifier.items() if o != our_iri]
            if tier == 1 or compatible(theirs.kind, ours[our_iri].kind):
                links.append(Match(name, our_iri, iri, signals, tier, 1.0, tuple(evidence[our_iri] + notes),
                                   ours[our_iri].label, theirs.label))
                linked_ours[our_iri] = iri
                continue
            candidates.append(Match(name, our_iri, iri, signals, tier, 1.0, tuple(
                evidence[our_iri] + [f"not linked: the types differ (theirs {theirs.kind}, "
                                     f"ours {ours[our_iri].kind})"]), ours[our_iri].label, theirs.label))
        else:
            for our_iri in sorted(chosen):
                candidates.append(Match(name, our_iri, iri, tuple(chosen[our_iri]), tier, 1.0, tuple(
                    evidence[our_iri] + [f"not linked: ambiguous, the same signal points to {len(chosen)} "
                                         "of our entities"]), ours[our_iri].label, theirs.label))
        unlinked.append(theirs)
    tokens, normalised = label_index
    linked = {m.theirs for m in links}
    proposed = {(c.ours, c.theirs) for c in candidates}
    for theirs in unlinked:
        if any(t in DATASET_TYPES for t in theirs.types):
            continue
        new.append(NewEntity(name, theirs.iri, theirs.label, theirs.kind or ""))
        if theirs.iri in linked or not theirs.labels:
            continue
        their_labels = [n for n in dict.fromkeys(normalise_label(label) for label in theirs.labels) if n]
        pool = {o for label in their_labels for token in label.split() for o in tokens.get(token, ())}
        for our_iri in sorted(pool):
            if not compatible(theirs.kind, ours[our_iri].kind):
                continue
            score, best = max(((similarity(a, b), (a, b)) for a in their_labels for b in normalised[our_iri]),
                              default=(0.0, ("", "")))
            if score < CANDIDATE_THRESHOLD or (our_iri, theirs.iri) in proposed:
                continue
            note = [f"label {best[0]!r} ~ {best[1]!r} (similarity {score:.2f}); broad type: theirs "
                    f"{theirs.kind or 'unknown'}, ours {ours[our_iri].kind or 'unknown'}; no identifier or explicit "
                    "link supports it: review before linking"]
            if our_iri in linked_ours:
                note.append(f"our entity is already linked to <{linked_ours[our_iri]}> in this source")
            candidates.append(Match(name, our_iri, theirs.iri, ("label",), 3, round(score, 3), tuple(note),
                                    ours[our_iri].label, theirs.label))
    return links, candidates, new


# --- conflicts --------------------------------------------------------------------------------


def _normalised_value(term, map_iri) -> str | None:
    if isinstance(term, ox.NamedNode):
        return "<" + map_iri(term.value) + ">"
    if not isinstance(term, ox.Literal):
        return None
    value, datatype = term.value.strip(), term.datatype.value
    if datatype in (XSD + "date", XSD + "dateTime") or re.fullmatch(r"[+-]?\d{4}-\d\d-\d\d(T.*)?", value):
        m = re.fullmatch(r"\+?(-?\d{4,}-\d\d-\d\d)(?:T00:00:00(?:\.0+)?(?:Z|[+-]00:00)?)?", value)
        if m:
            return "date " + m.group(1)
    try:
        number = Decimal(value.removeprefix("+"))
        if number.is_finite() and (datatype != XSD + "string" or re.fullmatch(r"[+-]?\d+(\.\d+)?", value)):
            return "number " + format(number.normalize(), "f")
    except InvalidOperation:
        pass
    return "text " + unicodedata.normalize("NFC", value).casefold()


def find_conflicts(store: ox.Store, links: list[Match], ours: dict[str, Resource],
                   our_keys: dict[Key, set[str]]) -> list[Conflict]:
    """Properties that each dataset states once for an aligned entity, with different values across them."""
    to_ours = {m.theirs: m.ours for m in links}

    def map_iri(iri: str) -> str:
        if iri in to_ours:
            return to_ours[iri]
        found = {o for key in keys_of_iri(iri) for o in our_keys.get(key, ())}
        return found.pop() if len(found) == 1 else iri

    by_entity: dict[str, list[Match]] = defaultdict(list)
    for link in links:
        by_entity[link.ours].append(link)
    conflicts = []
    for entity in sorted(by_entity):
        # (source, about) -> property -> [ConflictValue]
        stated: dict[tuple[str, str], dict[str, list[ConflictValue]]] = defaultdict(lambda: defaultdict(list))
        contributors = [("curated", entity, None)] + [(m.source, m.theirs, MERGED_BASE + m.source)
                                                      for m in by_entity[entity]]
        for source, about, graph in contributors:
            for quad in store.quads_for_pattern(ox.NamedNode(about), None, None,
                                                None if graph is None else ox.NamedNode(graph)):
                g = quad.graph_name
                if graph is None and (not isinstance(g, ox.NamedNode) or not g.value.startswith(GRAPH_BASE)
                                      or g.value in NOT_OUR_STATEMENTS):
                    continue
                predicate = schema_https(quad.predicate.value)
                if predicate in NOT_FACTS or classify_predicate(predicate) is not None:
                    continue
                normalised = _normalised_value(quad.object, map_iri)
                if normalised is None:
                    continue
                key = SAME_PROPERTY.get(predicate, predicate)
                value = quad.object.value
                stated[(source, about)][key].append(ConflictValue(value, str(quad.object), normalised, source,
                                                                  g.value, about, quad.predicate.value))
        properties = sorted({p for by_property in stated.values() for p in by_property})
        for prop in properties:
            groups = [vals for by_property in stated.values() if (vals := by_property.get(prop))]
            if len(groups) < 2 or any(len({v.normalised for v in vals}) > 1 for vals in groups):
                continue  # stated by one dataset only, or several values in one dataset: not single-valued
            if len({v.normalised for vals in groups for v in vals}) < 2:
                continue
            values = sorted({(v.source, v.graph, v.about, v.via, v.term): v for vals in groups for v in vals}.values(),
                            key=lambda v: (v.source != "curated", v.source, v.normalised, v.graph))
            label = ours[entity].label if entity in ours else ""
            conflicts.append(Conflict(entity, label, prop, tuple(values)))
    return conflicts


# --- writing ----------------------------------------------------------------------------------


def _slug(iri: str) -> str:
    if iri.startswith(ID_BASE):
        return iri[len(ID_BASE):].replace("/", "-")
    return hashlib.sha1(iri.encode()).hexdigest()[:12]


def _node(base: str, source: str, match: Match) -> str:
    return f"{base}{source}/{_slug(match.ours)}--{hashlib.sha1(match.theirs.encode()).hexdigest()[:10]}"


def conflict_iri(conflict: Conflict) -> str:
    return f"{CONFLICT_BASE}{_slug(conflict.entity)}--{hashlib.sha1(conflict.property.encode()).hexdigest()[:10]}"


def _term(ntriples: str):
    """An RDF term from its N-Triples form (as kept in the JSON report)."""
    return next(iter(ox.parse(f"<x:s> <x:p> {ntriples} .".encode(), format=ox.RdfFormat.N_TRIPLES))).object


def report_quads(report: Report, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    """The report as RDF: link, candidate, conflict and report nodes (see the module's docstring)."""
    nn, lit = ox.NamedNode, ox.Literal
    a, now = nn(RDF + "type"), lit(report.generated, datatype=nn(XSD + "dateTime"))
    ekg = {name: nn(EKG + name) for name in (
        "alignedEntity", "alignedWith", "alignedBy", "signal", "signalTier", "score", "evidence", "newEntity",
        "newEntityCount", "conflictProperty", "conflictingValue", "inGraph", "viaProperty")}
    label, generated, integer, decimal = nn(RDFS + "label"), nn(PROV + "generatedAtTime"), nn(XSD + "integer"), \
        nn(XSD + "decimal")

    def q(s, p, o) -> ox.Quad:
        return ox.Quad(s, p, o, graph)

    for cls, base, matches, verb in ((ALIGNMENT_LINK, LINK_BASE, report.matched, "same as"),
                                     (ALIGNMENT_CANDIDATE, CANDIDATE_BASE, report.candidates, "candidate for")):
        for m in matches:
            node = nn(_node(base, m.source, m))
            yield q(node, a, nn(cls))
            yield q(node, ekg["alignedEntity"], nn(m.ours))
            yield q(node, ekg["alignedWith"], nn(m.theirs))
            yield q(node, ekg["alignedBy"], nn(SOURCE_BASE + m.source))
            yield q(node, ekg["signalTier"], lit(str(m.tier), datatype=integer))
            yield q(node, ekg["score"], lit(f"{m.score:.3f}", datatype=decimal))
            yield q(node, generated, now)
            yield q(node, label, lit(f"{m.ours_label or m.ours} {verb} {m.theirs_label or m.theirs}", language="en"))
            for signal in m.signals:
                yield q(node, ekg["signal"], lit(signal))
            for text in m.evidence:
                yield q(node, ekg["evidence"], lit(text))
    new: dict[str, list[NewEntity]] = defaultdict(list)
    for n in report.new:
        new[n.source].append(n)
    for name in report.sources:
        node = nn(REPORT_BASE + name)
        yield q(node, a, nn(MERGE_REPORT))
        yield q(node, label, lit(f"Merge report for source {name}", language="en"))
        yield q(node, ekg["alignedBy"], nn(SOURCE_BASE + name))
        yield q(node, generated, now)
        yield q(node, ekg["newEntityCount"], lit(str(len(new[name])), datatype=integer))
        for n in new[name][:RDF_NEW_ENTITIES]:
            yield q(node, ekg["newEntity"], nn(n.iri))
    for c in report.conflicts:
        node = nn(conflict_iri(c))
        sources = [nn(SOURCE_BASE + s) for s in sorted({v.source for v in c.values if v.source != "curated"})]
        yield q(node, a, nn(VALUE_CONFLICT))
        yield q(node, ekg["alignedEntity"], nn(c.entity))
        yield q(node, ekg["conflictProperty"], nn(c.property))
        yield q(node, generated, now)
        yield q(node, label, lit(f"{c.label or c.entity}: {len(c.values)} values of <{c.property}>", language="en"))
        for source in sources:
            yield q(node, ekg["alignedBy"], source)
        for i, v in enumerate(c.values, 1):
            value = nn(f"{node.value}/value-{i}")
            yield q(node, ekg["conflictingValue"], value)
            yield q(value, a, nn(CONFLICTING_VALUE))
            yield q(value, nn(RDF + "value"), _term(v.term))
            yield q(value, ekg["inGraph"], nn(v.graph))
            yield q(value, ekg["viaProperty"], nn(v.via))
            yield q(value, ekg["alignedWith"], nn(v.about))
            for source in sources:
                yield q(value, ekg["alignedBy"], source)


def closure_update(name: str) -> str:
    """SPARQL Update that materialises the owl:sameAs closure of one source onto our IRIs.

    Every statement the source makes about an aligned resource is copied with our IRI in its place
    (as subject, and as object, mapping objects that are aligned too) into ``ALIGNED_BASE + name``,
    with the plain ``our owl:sameAs theirs`` triples. The source's own graph is left as it is."""
    graph, aligned, source = MERGED_BASE + name, ALIGNED_BASE + name, SOURCE_BASE + name
    link = (f"GRAPH <{ALIGNMENT_GRAPH}> {{ ?link a <{ALIGNMENT_LINK}> ; <{EKG}alignedBy> <{source}> ; "
            f"<{EKG}alignedEntity> ?ours ; <{EKG}alignedWith> ?x }} FILTER(?x != ?ours)")
    same = f"<{OWL}sameAs>, <{SKOS}exactMatch>, <{SCHEMA}sameAs>, <{SCHEMA_HTTP}sameAs>"
    return f"""
INSERT {{ GRAPH <{aligned}> {{ ?ours <{OWL}sameAs> ?x }} }} WHERE {{ {link} }} ;
INSERT {{ GRAPH <{aligned}> {{ ?ours ?p ?o2 }} }} WHERE {{
  {link}
  GRAPH <{graph}> {{ ?x ?p ?o }}
  OPTIONAL {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?other a <{ALIGNMENT_LINK}> ; <{EKG}alignedBy> <{source}> ;
                                           <{EKG}alignedWith> ?o ; <{EKG}alignedEntity> ?mapped }} }}
  BIND(COALESCE(?mapped, ?o) AS ?o2)
  FILTER(!(?p IN ({same}) && sameTerm(?o2, ?ours)))
}} ;
INSERT {{ GRAPH <{aligned}> {{ ?s ?p ?ours }} }} WHERE {{
  {link}
  GRAPH <{graph}> {{ ?s ?p ?x }}
  FILTER(!sameTerm(?s, ?ours) && !sameTerm(?s, ?x))
  FILTER NOT EXISTS {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?other a <{ALIGNMENT_LINK}> ; <{EKG}alignedBy> <{source}> ;
                                                   <{EKG}alignedWith> ?s }} }}
}}"""


def compute(store: ox.Store) -> Report:
    """The alignment of every merged source with our entities (nothing is written)."""
    ours = our_entities(store)
    our_keys = _index_keys(ours)
    label_index = _label_index(ours)
    names = sorted(read_sources(store))
    report = Report(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), names)
    for name in names:
        resources, same = source_resources(store, MERGED_BASE + name, ours, our_keys)
        links, candidates, new = match_source(name, resources, same, ours, our_keys, label_index)
        report.matched += links
        report.candidates += candidates
        report.new += new
    report.conflicts = find_conflicts(store, report.matched, ours, our_keys)
    return report


def write(store: ox.Store, report: Report) -> None:
    """Replace the alignment: the nodes of the alignment vocabulary in ``ALIGNMENT_GRAPH`` (other statements
    there are kept) and the aligned graphs. The new report is first stored in a staging graph (one
    transaction), then swapped in, with the closure computed, in a second one: a reader, or a kill, sees
    the old alignment or the new, never a mixture. A staging graph left by a kill is dropped next time."""
    staging = ox.NamedNode(STAGING_GRAPH)
    store.update(f"DROP SILENT GRAPH <{STAGING_GRAPH}>")
    store.extend(report_quads(report, staging))
    operations = [f"DELETE WHERE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?n a <{cls}> ; ?p ?o }} }}"
                  for cls in ALIGNMENT_CLASSES]
    operations += [f"DROP SILENT GRAPH <{g.value}>" for g in store.named_graphs()
                   if isinstance(g, ox.NamedNode) and g.value.startswith(ALIGNED_BASE)]
    operations += [f"ADD SILENT <{STAGING_GRAPH}> TO <{ALIGNMENT_GRAPH}>", f"DROP SILENT GRAPH <{STAGING_GRAPH}>"]
    operations += [closure_update(name) for name in report.sources]
    store.update(" ;\n".join(operations))
    store.flush()


def align(store: ox.Store) -> Report:
    """Align every merged source with the curated graph, write the result, and return the report."""
    report = compute(store)
    write(store, report)
    return report


def aligned_graph(name: str) -> str:
    return ALIGNED_BASE + name
