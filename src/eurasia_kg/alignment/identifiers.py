"""Finding identifiers: what an IRI, a literal or a predicate stands for, by the heuristics in
``heuristics.toml``; broad types; label normalisation.

An identifier is a key ``(scheme, normalised value)``, e.g. ``("wikidata", "Q58217")``,
``("iso3166-numeric", "004")``, ``("freebase", "/m/03shp")``.
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
import unicodedata
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rapidfuzz import fuzz

Key = tuple[str, str]

SCHEMA = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
WD = "http://www.wikidata.org/entity/"

WIKIDATA_IRI = re.compile(r"^https?://(?:www\.|m\.)?wikidata\.org/(?:entity|wiki)/(?:Special:EntityPage/)?"
                          r"([Qq][1-9]\d*)/?(?:[#?].*)?$")
WIKIDATA_LITERAL = re.compile(r"^(?:wd:)?([Qq][1-9]\d*)$")
DBPEDIA_IRI = re.compile(r"^https?://dbpedia\.org/(?:resource|page)/([^?#]+)")
WIKIPEDIA_IRI = re.compile(r"^https?://en\.(?:m\.)?wikipedia\.org/wiki/([^?#]+)")
GEONAMES_IRI = re.compile(r"^https?://(?:sws\.|www\.)?geonames\.org/(\d+)(?:[/#?].*)?$")
FREEBASE_IRI = re.compile(r"^https?://(?:rdf\.freebase\.com/ns/|(?:www\.)?freebase\.com/)([mg])[./]([0-9a-z_]+)/?$")
FREEBASE_LITERAL = re.compile(r"^/?([mg])[./]([0-9a-z_]+)$")
@dataclass(frozen=True)
class Heuristics:
    """heuristics.toml, read once per alignment and passed down (no module-level state)."""

    label: frozenset[str]
    type: frozenset[str]
    page: frozenset[str]
    see_also: frozenset[str]
    link: dict[str, str]
    not_facts: frozenset[str]
    same_property: dict[str, str]
    id_properties: dict[str, str]
    wikidata_statements: dict
    not_identifier_words: tuple[str, ...]
    iso_pattern: re.Pattern
    id_words: dict[str, str]
    code_nodes: dict
    property_values: dict
    wikidata_kinds: dict[str, str]
    kind_words: tuple[tuple[str, tuple[str, ...]], ...]
    dataset_types: frozenset[str]
    candidate_threshold: float
    min_token: int
    stopwords: frozenset[str]
    our_identifier_properties: tuple[str, ...]

    @classmethod
    def load(cls) -> Heuristics:
        text = importlib.resources.files(__package__).joinpath("heuristics.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        p, ids, kinds = data["predicates"], data["identifiers"], data["kinds"]
        return cls(
            label=frozenset(p["label"]), type=frozenset(p["type"]), page=frozenset(p["page"]),
            see_also=frozenset(p["see_also"]), link=dict(p["link"]),
            not_facts=frozenset(p["not_facts"]) | frozenset(p["label"]) | frozenset(p["type"])
            | frozenset(p["link"]) | frozenset(p["page"]),
            same_property=dict(data["same_property"]), id_properties=dict(ids["properties"]),
            wikidata_statements=ids["wikidata_statements"],
            not_identifier_words=tuple(ids["names"]["not_identifiers"]),
            iso_pattern=re.compile(ids["names"]["iso_pattern"]), id_words=dict(ids["names"]["words"]),
            code_nodes=ids["code_nodes"], property_values=ids["property_values"],
            wikidata_kinds=dict(kinds["wikidata"]),
            kind_words=tuple((k["kind"], tuple(k["words"])) for k in kinds["words"]),
            dataset_types=frozenset(kinds["dataset_types"]),
            candidate_threshold=float(data["labels"]["candidate_threshold"]),
            min_token=int(data["labels"]["min_token"]), stopwords=frozenset(data["labels"]["stopwords"]),
            our_identifier_properties=tuple(data["ours"]["identifier_properties"]))

    # --- predicates ------------------------------------------------------------------------

    def classify_predicate(self, iri: str) -> str | None:
        """label, type, link, page, id:SCHEME, or None (a fact, or nothing the alignment reads)."""
        iri = schema_https(iri)
        if iri in self.label:
            return "label"
        if iri in self.type:
            return "type"
        if iri in self.link:
            return "link"
        if iri in self.page:
            return "page"
        if iri in self.id_properties:
            scheme = self.id_properties[iri]
            return None if scheme == "none" else "id:" + scheme
        local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
        name = re.sub(r"[^a-z0-9]", "", local.lower())
        if any(word in name for word in self.not_identifier_words):
            return None
        for word, scheme in self.id_words.items():
            if word in name:
                return "id:" + scheme
        if self.iso_pattern.search(name):
            return "id:iso"
        return None

    def kind_of(self, types: Iterable[str]) -> str | None:
        """The broad type (person, place, organisation, event, agreement) of a resource's classes."""
        order = [k for k, _ in self.kind_words]
        kinds = []
        for iri in types:
            if iri.startswith(WD) and iri[len(WD):] in self.wikidata_kinds:
                kinds.append(self.wikidata_kinds[iri[len(WD):]])
                continue
            name = re.split(r"[#/]", iri.rstrip("/#"))[-1].lower()
            for kind, words in self.kind_words:
                if any(word in name for word in words):
                    kinds.append(kind)
                    break
        return min(kinds, key=order.index) if kinds else None


def schema_https(iri: str) -> str:
    return SCHEMA + iri[len(SCHEMA_HTTP):] if iri.startswith(SCHEMA_HTTP) else iri


def wikipedia_title(raw: str) -> str:
    """An English Wikipedia / DBpedia title as DBpedia writes it: decoded, underscores, first letter upper."""
    title = urllib.parse.unquote(raw).strip().replace(" ", "_")
    return title[:1].upper() + title[1:]


def keys_of_iri(iri: str) -> list[Key]:
    """The identifiers an IRI stands for by its form: Wikidata item, DBpedia resource, Wikipedia page,
    GeoNames feature, Freebase MID."""
    if m := WIKIDATA_IRI.match(iri):
        return [("wikidata", m.group(1).upper())]
    if m := DBPEDIA_IRI.match(iri) or WIKIPEDIA_IRI.match(iri):
        return [("dbpedia", wikipedia_title(m.group(1)))]
    if m := GEONAMES_IRI.match(iri):
        return [("geonames", str(int(m.group(1))))]
    if m := FREEBASE_IRI.match(iri):
        return [("freebase", f"/{m.group(1)}/{m.group(2)}")]
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
        return [("geonames", str(int(value)))] if value.isdigit() else keys_of_iri(value)
    if scheme == "freebase":
        m = FREEBASE_LITERAL.match(value)
        return [("freebase", f"/{m.group(1)}/{m.group(2)}")] if m else keys_of_iri(value)
    if scheme == "iso":
        key = iso_key(value)
        return [key] if key else []
    if scheme.startswith("iso3166-"):
        key = iso_key(value)
        return [key] if key and (key[0] == scheme or scheme == "iso3166-2") else []
    return []


def key_forms(key: Key) -> list[str]:
    """IRIs that stand for an identifier, to find sources that use them as subjects or objects."""
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
    if scheme == "freebase":
        kind, mid = value.strip("/").split("/", 1)
        return [f"http://rdf.freebase.com/ns/{kind}.{mid}", f"https://www.freebase.com/{kind}/{mid}",
                f"http://www.freebase.com/{kind}/{mid}"]
    return []


NOT_WORD = re.compile(r"[\W_]+")


def normalise_label(label: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: "Sergéi  Lavrov!" -> "sergei lavrov"."""
    if not label.isascii():
        label = "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))
    return NOT_WORD.sub(" ", label.casefold()).strip()


def similarity(a: str, b: str) -> float:
    """The normalised InDel similarity of two labels, 0 to 1 (difflib's ratio; rapidfuzz computes it
    a hundred times as fast, which a source of a million labels needs)."""
    return fuzz.ratio(a, b) / 100.0


def compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b
