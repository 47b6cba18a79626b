"""Aligning merged datasets with the curated graph (issue 5): each signal links the right pairs
(explicit owl:sameAs / skos:exactMatch / schema:sameAs; Wikidata, DBpedia/Wikipedia, ISO 3166 and
GeoNames identifiers in their various forms), label similarity only ever makes a candidate for
review (the look-alike tennis player), conflicts are reported without choosing, new entities are
listed, facts only another dataset has can be asked for on our IRIs with their provenance, and the
report round-trips through JSON and is in the store as RDF.

The data sets are the project's own, in ``tests/fixtures/external/`` (see its README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from eurasia_kg import alignment, cli, dataset, merge
from eurasia_kg.alignment import Report
from eurasia_kg.config import ALIGNED_BASE, GRAPH_BASE
from eurasia_kg.dataset import LocalDataset

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT / "tests" / "fixtures" / "external"
QUERIES = sorted((ROOT / "queries" / "merge").glob("*.rq"))
FIXTURES = ["wikidata-extract.ttl", "country-codes.nt", "events.nq", "think-tank.trig", "people.jsonld",
            "geonames.rdf", "cities.ttl.gz"]

P = "https://w3id.org/eurasia-kg/id/person/"
PL = "https://w3id.org/eurasia-kg/id/place/"
WD = "http://www.wikidata.org/entity/"
TT = "https://example.org/thinktank/id/"
CODES = "https://example.org/codes/country/"
ACTOR = "https://example.org/events/actor/"
TENNIS = "https://example.org/people/sergei-lavrov-tennis"
EKG = "https://w3id.org/eurasia-kg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Every link the fixtures must produce, and no other: (source, ours, theirs) -> the strongest signal.
EXPECTED = {
    # explicit links, in either direction, and a source that uses our IRI itself
    ("think-tank", P + "sergei-lavrov", TT + "lavrov"): "explicit:owl:sameAs",
    ("think-tank", P + "saeed-jalili", TT + "jalili"): "explicit:skos:exactMatch",
    ("think-tank", PL + "moscow", TT + "moscow"): "explicit:schema:sameAs",
    ("think-tank", P + "dmitry-medvedev", TT + "medvedev"): "explicit:owl:sameAs",  # stated on our IRI
    ("think-tank", PL + "tehran", PL + "tehran"): "same-iri",
    # Wikidata: wd: prefixed (Turtle), http://www.wikidata.org/entity/ (JSON-LD @id), https://www.wikidata.org/wiki/
    ("wikidata-extract", P + "sergei-lavrov", WD + "Q58217"): "identifier:wikidata",
    ("wikidata-extract", P + "vladimir-putin", WD + "Q7747"): "identifier:wikidata",
    ("wikidata-extract", PL + "russia", WD + "Q159"): "identifier:wikidata",
    # a Wikidata item the extract names only as an object (Russia's capital): a resource all the same
    ("wikidata-extract", PL + "moscow", WD + "Q649"): "identifier:wikidata",
    ("people", P + "vladimir-kolokoltsev", WD + "Q1344473"): "identifier:wikidata",
    ("people", P + "nikolai-levichev", "https://example.org/people/levichev"): "identifier:wikidata",
    ("think-tank", P + "nikolai-patrushev", TT + "patrushev"): "identifier:wikidata",
    # DBpedia IRIs (http, https) and Wikipedia pages and titles
    ("people", P + "dmitry-rogozin", "https://example.org/people/rogozin"): "identifier:dbpedia",
    ("events", P + "vladimir-putin", ACTOR + "putin"): "identifier:dbpedia",
    ("events", P + "saeed-jalili", ACTOR + "jalili"): "identifier:dbpedia",
    ("cities", PL + "tabriz", "https://example.org/cities/tabriz"): "identifier:dbpedia",
    # GeoNames: https sws with slash, http sws without, a literal, www web pages (https and http)
    ("geonames", PL + "iran", "https://sws.geonames.org/130758/"): "identifier:geonames",
    ("geonames", PL + "tehran", "http://sws.geonames.org/112931"): "identifier:geonames",
    ("geonames", PL + "mashhad", "https://example.org/gazetteer/mashhad"): "identifier:geonames",
    ("geonames", PL + "gorgan", "https://example.org/gazetteer/gorgan"): "identifier:geonames",
    ("cities", PL + "moscow", "https://example.org/cities/moscow"): "identifier:geonames",
    # ISO 3166: "004" zero-padded, 417 and 4 as xsd:integer, alpha-3, lower-case alpha-2, wdt:P297, 3166-2
    ("country-codes", PL + "afghanistan", CODES + "afghanistan"): "identifier:iso3166-numeric",
    ("country-codes", PL + "kyrgyzstan", CODES + "kyrgyzstan"): "identifier:iso3166-numeric",
    ("country-codes", PL + "russia", CODES + "russia"): "identifier:iso3166-numeric",
    ("country-codes", PL + "iran", CODES + "iran"): "identifier:iso3166-alpha3",
    ("country-codes", PL + "syria", CODES + "syria"): "identifier:iso3166-alpha2",
    ("events", PL + "afghanistan", ACTOR + "AFG"): "identifier:iso3166-numeric",
    ("events", PL + "russia", ACTOR + "RUS"): "identifier:iso3166-alpha3",
    ("events", PL + "turkey", ACTOR + "TUR"): "identifier:iso3166-alpha2",
    ("cities", PL + "bishkek", "https://example.org/cities/bishkek"): "identifier:iso3166-2",
}
NEW = {
    ("cities", "https://example.org/cities/astrakhan"), ("cities", "https://example.org/cities/tehrangeles"),
    ("country-codes", CODES + "freedonia"), ("events", "https://example.org/events/event/e1"),
    ("people", TENNIS), ("wikidata-extract", WD + "Q99990001"),
}


class _Discard(Exception):
    pass


def full_realignment(ds: LocalDataset) -> Report:
    """The report of aligning every source afresh, computed in a transaction that is then thrown away."""
    found = []
    with pytest.raises(_Discard), ds.transaction() as writer:
        found.append(alignment.realign_all(writer))
        raise _Discard
    return found[0]


@pytest.fixture(scope="module")
def aligned_dataset(built, settings, tmp_path_factory) -> LocalDataset:
    """Every well-formed fixture merged beside the curated graph, each aligned as it was merged."""
    ds = LocalDataset(tmp_path_factory.mktemp("aligned") / "store")
    dataset.sync(ds, settings.dist_dir)
    for name in FIXTURES:
        merge.merge_file(ds, EXTERNAL / name)
    return ds


@pytest.fixture(scope="module")
def aligned(aligned_dataset):
    """The store after the incremental merges, and the report of the whole alignment."""
    return aligned_dataset.reader().store, full_realignment(aligned_dataset)


def links(report: Report) -> dict[tuple[str, str, str], alignment.Match]:
    return {(m.source, m.ours, m.theirs): m for m in report.matched}


def rows(store: ox.Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(query)
    names = [v.value for v in result.variables]
    return [{n: (None if s[n] is None else s[n].value) for n in names} for s in result]


# --------------------------------------------------------------------------- signals


def test_exactly_the_expected_pairs_are_linked(aligned):
    _, report = aligned
    assert {key: m.signal for key, m in links(report).items()} == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}:{k[2].rsplit('/', 1)[-1] or k[2]}")
def test_each_signal_links_its_pair(aligned, key):
    _, report = aligned
    match = links(report)[key]
    signal = EXPECTED[key]
    assert match.signals[0] == signal
    assert match.tier == (1 if signal.startswith(("explicit:", "same-iri")) else 2)
    assert match.score == 1.0 and match.evidence


def test_signals_are_listed_strongest_first_and_all_kept(aligned):
    _, report = aligned
    russia = links(report)[("wikidata-extract", PL + "russia", WD + "Q159")]
    assert russia.signals == ("identifier:wikidata", "identifier:iso3166-alpha2", "identifier:iso3166-alpha3",
                              "identifier:iso3166-numeric")
    assert any(e.startswith("iso3166-numeric 643: theirs via") for e in russia.evidence)
    assert any(e.startswith("wikidata Q159: theirs via its IRI") for e in russia.evidence)


def test_identifier_forms_are_normalised():
    integer = ox.Literal("4", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    assert alignment.keys_of_value("id:iso", integer) == [("iso3166-numeric", "004")]
    assert alignment.keys_of_value("id:iso", ox.Literal("004")) == [("iso3166-numeric", "004")]
    assert alignment.keys_of_value("id:iso", ox.Literal(" ir ")) == [("iso3166-alpha2", "IR")]
    assert alignment.keys_of_value("id:iso", ox.Literal("irn")) == [("iso3166-alpha3", "IRN")]
    assert alignment.keys_of_value("id:iso", ox.Literal("ru-mow")) == [("iso3166-2", "RU-MOW")]
    for form in ("http://www.wikidata.org/entity/Q58217", "https://www.wikidata.org/wiki/Q58217",
                 "https://www.wikidata.org/entity/Q58217", "https://m.wikidata.org/wiki/Q58217",
                 "https://www.wikidata.org/wiki/Special:EntityPage/Q58217"):
        assert alignment.keys_of_iri(form) == [("wikidata", "Q58217")], form
    for literal in ("Q58217", "wd:Q58217", "q58217"):
        assert alignment.keys_of_value("id:wikidata", ox.Literal(literal)) == [("wikidata", "Q58217")]
    for form in ("http://dbpedia.org/resource/Sergey_Lavrov", "https://dbpedia.org/resource/Sergey_Lavrov",
                 "http://dbpedia.org/page/Sergey_Lavrov", "https://en.wikipedia.org/wiki/Sergey_Lavrov",
                 "https://en.m.wikipedia.org/wiki/Sergey%20Lavrov"):
        assert alignment.keys_of_iri(form) == [("dbpedia", "Sergey_Lavrov")], form
    assert alignment.keys_of_value("id:wikipedia", ox.Literal("sergey Lavrov")) == [("dbpedia", "Sergey_Lavrov")]
    for form in ("https://sws.geonames.org/130758/", "http://sws.geonames.org/130758", "https://www.geonames.org/130758",
                 "http://www.geonames.org/130758/iran.html", "https://sws.geonames.org/130758/about.rdf"):
        assert alignment.keys_of_iri(form) == [("geonames", "130758")], form
    assert alignment.keys_of_value("id:geonames", ox.Literal("0130758")) == [("geonames", "130758")]
    assert alignment.keys_of_iri("https://fr.wikipedia.org/wiki/Iran") == []  # another language, another title


def test_identifier_properties_are_recognised_but_not_country_codes_of_features():
    c = alignment.classify_predicate
    assert c("http://www.wikidata.org/prop/direct/P297") == "id:iso"
    assert c("http://www.wikidata.org/prop/direct/P1566") == "id:geonames"
    assert c("http://www.wikidata.org/prop/direct/P569") is None
    assert c("https://example.org/vocab/codes#isoNumeric") == "id:iso"
    assert c("https://w3id.org/eurasia-kg/ontology#iso3166_2") == "id:iso"
    assert c("https://example.org/thinktank/id/wikidataItem") == "id:wikidata"
    assert c("http://www.geonames.org/ontology#countryCode") is None, "the country a feature is in, not its code"
    assert c("https://w3id.org/eurasia-kg/ontology#identifierEvidence") is None
    assert c("http://schema.org/sameAs") == c("https://schema.org/sameAs") == "link"


# --------------------------------------------------------------------------- candidates, never links


def test_the_look_alike_tennis_player_is_only_a_candidate(aligned):
    store, report = aligned
    assert not any(m.theirs == TENNIS for m in report.matched)
    (candidate,) = [c for c in report.candidates if c.theirs == TENNIS]
    assert (candidate.ours, candidate.signals, candidate.tier) == (P + "sergei-lavrov", ("label",), 3)
    assert candidate.score == 1.0, "identical names, and still only a candidate"
    assert "review" in candidate.evidence[0]
    assert ("people", TENNIS) in {(n.source, n.iri) for n in report.new}
    # Nothing links or copies it: no owl:sameAs, and his birth date is nowhere on our Lavrov.
    assert not store.query(f"ASK {{ GRAPH ?g {{ ?s <http://www.w3.org/2002/07/owl#sameAs> <{TENNIS}> }} }}")
    assert not store.query(f"""ASK {{ GRAPH ?g {{ <{P}sergei-lavrov> ?p ?o
                                  FILTER(CONTAINS(STR(?o), "1994") || CONTAINS(STR(?o), "tennis")) }} }}""")


def test_candidates_are_exactly_the_label_look_alikes(aligned):
    _, report = aligned
    assert {(c.source, c.ours, c.theirs): (c.signals, c.score) for c in report.candidates} == {
        ("people", P + "sergei-lavrov", TENNIS): (("label",), 1.0),
        ("cities", PL + "astrakhan", "https://example.org/cities/astrakhan"): (("label",), 1.0),
    }
    # Tehrangeles resembles Tehran too little; "S. V. Lavrov" is linked explicitly, so no candidate.
    assert not any("tehrangeles" in c.theirs for c in report.candidates)


def _store_with(ours: list[tuple[str, str, str]], theirs: list[tuple[str, str, str]]) -> ox.Store:
    """A small in-memory store: statements of the curated graph and of one merged source named "x"."""
    store = ox.Store()

    def term(value: str):
        return ox.NamedNode(value) if value.startswith(("http://", "https://")) else ox.Literal(value)

    for graph, triples in ((GRAPH_BASE + "shared", ours), (merge.MERGED_BASE + "x", theirs)):
        for s, p, o in triples:
            store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), term(o), ox.NamedNode(graph)))
    record = merge.SourceRecord("x", merge.MERGED_BASE + "x", "/x.ttl", "0" * 64, len(theirs), "2026-01-01T00:00:00Z")
    store.extend(merge._metadata_quads(record))
    return store


def test_an_ambiguous_identifier_or_a_type_mismatch_makes_candidates_not_links():
    store = _store_with(
        [(PL + "a", RDF_TYPE, EKG + "Country"), (PL + "a", EKG + "iso3166Alpha2", "XA"),
         (PL + "b", RDF_TYPE, EKG + "Country"), (PL + "b", EKG + "iso3166Alpha2", "XA"),
         (P + "c", RDF_TYPE, EKG + "Person"), (P + "c", EKG + "wikidata", WD + "Q1")],
        [("https://example.org/ambiguous", EKG + "iso3166Alpha2", "XA"),
         ("https://example.org/a-city", RDF_TYPE, "https://example.org/City"),
         ("https://example.org/a-city", "https://example.org/wikidata", "Q1")])
    report = alignment.align(store)
    assert report.matched == []
    assert {(c.ours, c.theirs) for c in report.candidates} == {
        (PL + "a", "https://example.org/ambiguous"), (PL + "b", "https://example.org/ambiguous"),
        (P + "c", "https://example.org/a-city")}
    assert all("not linked" in c.evidence[-1] for c in report.candidates)
    assert not store.query("ASK { GRAPH ?g { ?s <http://www.w3.org/2002/07/owl#sameAs> ?o } }")


# --------------------------------------------------------------------------- conflicts and new entities


def test_conflicting_values_are_reported_without_choosing(aligned):
    store, report = aligned
    found = {(c.entity, c.property): {(v.source, v.value) for v in c.values} for c in report.conflicts}
    assert found == {
        (P + "sergei-lavrov", "https://schema.org/birthDate"): {
            ("wikidata-extract", "1950-03-21T00:00:00Z"), ("think-tank", "1950-03-12")},
        (PL + "russia", "http://www.wikidata.org/prop/direct/P1082"): {
            ("wikidata-extract", "146000000"), ("country-codes", "143000000")},
        (PL + "iran", "http://www.wikidata.org/prop/direct/P1082"): {
            ("geonames", "77000000"), ("country-codes", "76500000")},
    }
    # Both values stay in the data, each in its own graph, on our IRI.
    dates = {(r["birthDate"], r["graph"].rsplit("/", 1)[-1])
             for r in rows(store, (ROOT / "queries/merge/birth-dates-from-other-datasets.rq").read_text())}
    assert dates == {("1950-03-21T00:00:00Z", "wikidata-extract"), ("1950-03-12", "think-tank")}
    in_rdf = rows(store, (ROOT / "queries/merge/conflicting-values.rq").read_text())
    assert len(in_rdf) == 6 and {r["entity"] for r in in_rdf} == {e for e, _ in found}


def test_values_are_compared_after_normalising():
    def norm(value: str, datatype: str | None = None) -> str | None:
        term = ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(value)
        return alignment._normalised_value(term, lambda iri: iri)

    assert norm("1950-03-21T00:00:00Z", "dateTime") == norm("1950-03-21", "date") == "date 1950-03-21"
    assert norm("+1950-03-21T00:00:00Z", "dateTime") == "date 1950-03-21"
    assert norm("1950-03-21T10:30:00Z", "dateTime") != norm("1950-03-21", "date"), "a time of day is kept"
    assert norm("146000000", "decimal") == norm("146000000", "integer") == norm("1.46E8", "double")
    assert norm("Moscow") == norm("moscow") != norm("Moskva")
    mapped = alignment._normalised_value(ox.NamedNode(WD + "Q649"), {WD + "Q649": PL + "moscow"}.get)
    assert mapped == f"iri <{PL}moscow>"


def test_a_fact_stated_once_is_no_conflict(aligned):
    _, report = aligned
    assert not any(c.entity == P + "vladimir-putin" for c in report.conflicts), "one birth date, one source"


def test_new_entities_are_listed(aligned):
    store, report = aligned
    assert {(n.source, n.iri) for n in report.new} == NEW
    kinds = {n.iri: n.kind for n in report.new}
    assert kinds[TENNIS] == "person" and kinds[WD + "Q99990001"] == "organisation"
    listed = {(r["source"], r["entity"]) for r in rows(store, (ROOT / "queries/merge/new-entities.rq").read_text())}
    assert listed == NEW


def test_records_that_are_only_typed_are_counted_not_listed():
    """Regression (issue 8): a source of event records (typed, with no name, identifier or link) made
    one listed "new entity" per record, which at a million records was most of the merge's time.
    They are counted; named resources of the same source are still listed, with their types."""
    record = "https://example.org/events/record/"
    store = _store_with([(P + "c", RDF_TYPE, EKG + "Person")],
                        [*((f"{record}{i}", RDF_TYPE, "https://example.org/Event") for i in range(5)),
                         ("https://example.org/named", RDF_TYPE, "https://schema.org/Person"),
                         ("https://example.org/named", "http://www.w3.org/2000/01/rdf-schema#label", "Someone")])
    report = alignment.align(store)
    assert [(n.iri, n.kind) for n in report.new] == [("https://example.org/named", "person")]
    assert report.unnamed == {"x": 5}
    assert "new entities: 1 (and 5 more resources without a name or identifier" in report.text()
    count = next(iter(store.query(f"SELECT ?n WHERE {{ GRAPH ?g {{ ?r <{EKG}newEntityCount> ?n }} }}")))["n"]
    assert count.value == "6"


# --------------------------------------------------------------------------- querying across


def test_a_fact_only_the_other_dataset_has_is_found_on_our_iri_with_its_graph(aligned):
    store, _ = aligned
    found = rows(store, f"""SELECT ?date ?g WHERE {{
        GRAPH ?g {{ <{P}sergei-lavrov> <http://www.wikidata.org/prop/direct/P569> ?date }} }}""")
    assert found == [{"date": "1950-03-21T00:00:00Z", "g": ALIGNED_BASE + "wikidata-extract"}]
    assert not store.query(f"""ASK {{ GRAPH ?g {{ <{P}sergei-lavrov> <http://www.wikidata.org/prop/direct/P569> ?d }}
                                   FILTER(STRSTARTS(STR(?g), "https://w3id.org/eurasia-kg/graph/")) }}"""), \
        "our curated graph does not have it"
    union = [s["d"].value for s in store.query(
        f"SELECT ?d WHERE {{ <{P}sergei-lavrov> <http://www.wikidata.org/prop/direct/P569> ?d }}",
        use_default_graph_as_union=True)]
    assert union == ["1950-03-21T00:00:00Z"]
    # Objects are rewritten too: the event data's actors become our people.
    events = rows(store, (ROOT / "queries/merge/events-involving-our-people.rq").read_text())
    assert {(r["person"], r["role"].rsplit("#", 1)[-1]) for r in events} == {
        (P + "vladimir-putin", "source"), (P + "saeed-jalili", "target")}
    assert {r["graph"] for r in events} == {ALIGNED_BASE + "events"}


def test_each_link_has_its_plain_owl_same_as_in_the_sources_aligned_graph(aligned):
    store, report = aligned
    same = {(r["g"].rsplit("/", 1)[-1], r["ours"], r["theirs"]) for r in rows(store, """
        SELECT ?g ?ours ?theirs WHERE { GRAPH ?g { ?ours <http://www.w3.org/2002/07/owl#sameAs> ?theirs }
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/eurasia-kg/merged/_aligned/")) }""")}
    expected = {key for key in EXPECTED if key[1] != key[2]}
    assert expected <= same
    # The only other owl:sameAs there is the source's own statement, carried over onto our IRI.
    assert same - expected == {("events", P + "vladimir-putin", "http://dbpedia.org/resource/Vladimir_Putin")}


def test_the_example_queries_have_headers_and_answer(aligned):
    store, _ = aligned
    assert len(QUERIES) >= 3
    for path in QUERIES:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0].startswith("# title: ") and lines[1].startswith("# description: "), path.name
        assert rows(store, text), f"{path.name} answers nothing"
    links_rows = rows(store, (ROOT / "queries/merge/alignment-links.rq").read_text())
    assert {(r["source"], r["ours"], r["theirs"]) for r in links_rows} == set(EXPECTED)
    lavrov = next(r for r in links_rows if r["theirs"] == WD + "Q58217")
    assert lavrov["signals"] == "identifier:wikidata" and lavrov["tier"] == "2"
    review = rows(store, (ROOT / "queries/merge/candidates-awaiting-review.rq").read_text())
    assert {r["theirs"] for r in review} == {TENNIS, "https://example.org/cities/astrakhan"}


# --------------------------------------------------------------------------- the report


def test_the_report_round_trips_through_json(aligned):
    _, report = aligned
    text = report.to_json()
    assert Report.from_json(text) == report
    data = json.loads(text)
    assert set(data) == {"generated", "sources", "matched", "new", "candidates", "conflicts", "unnamed"}
    lavrov = next(m for m in data["matched"] if m["theirs"] == WD + "Q58217")
    assert lavrov["signal"] == "identifier:wikidata" and lavrov["ours"] == P + "sergei-lavrov"


def test_the_report_is_in_the_store_as_rdf(aligned):
    store, report = aligned
    a = alignment

    def count(cls: str) -> int:
        return int(next(iter(store.query(f"""SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {{
            GRAPH <{merge.ALIGNMENT_GRAPH}> {{ ?n a <{cls}> }} }}""")))["c"].value)

    assert count(a.ALIGNMENT_LINK) == len(report.matched)
    assert count(a.ALIGNMENT_CANDIDATE) == len(report.candidates)
    assert count(a.VALUE_CONFLICT) == len(report.conflicts)
    assert count(a.CONFLICTING_VALUE) == sum(len(c.values) for c in report.conflicts)
    assert count(a.MERGE_REPORT) == len(report.sources) == len(FIXTURES)
    new = {(r["name"], r["e"]) for r in rows(store, f"""SELECT ?name ?e WHERE {{
        GRAPH <{merge.ALIGNMENT_GRAPH}> {{ ?r a <{a.MERGE_REPORT}> ; <{EKG}alignedBy> ?rec ; <{EKG}newEntity> ?e }}
        GRAPH <{merge.MERGE_METADATA_GRAPH}> {{ ?rec <http://purl.org/dc/terms/identifier> ?name }} }}""")}
    assert new == NEW
    # Every node names the source record it came from, so removing a source removes its part.
    assert not store.query(f"""ASK {{ GRAPH <{merge.ALIGNMENT_GRAPH}> {{ ?n a ?c FILTER NOT EXISTS {{
        ?n <{EKG}alignedBy> ?rec }} }} }}""")
    text = report.text()
    for heading in ("matched: 30", "new entities: 6", "conflicting values (all kept; none chosen): 3",
                    "candidates awaiting review (not linked): 2"):
        assert heading in text


def _alignment_state(store) -> list[str]:
    return sorted(line for line in store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines()
                  if "generatedAtTime" not in line)


def test_incremental_alignment_equals_aligning_everything_afresh(aligned_dataset):
    """Each merge aligned only its own source; realigning them all gives the same links, candidates,
    conflicts and closure, triple for triple."""
    incremental = _alignment_state(aligned_dataset.reader().store)
    with aligned_dataset.transaction() as writer:
        alignment.realign_all(writer)
    assert _alignment_state(aligned_dataset.reader().store) == incremental


def test_aligning_again_gives_the_same_result(aligned_dataset, aligned):
    _, report = aligned
    again = full_realignment(aligned_dataset)
    assert (again.matched, again.candidates, again.new, again.conflicts) == (
        report.matched, report.candidates, report.new, report.conflicts)


def test_merge_aligns_prints_the_report_and_writes_json(built, settings, tmp_path, capsys):
    store_dir, out_json = tmp_path / "store", tmp_path / "report.json"
    capsys.readouterr()
    code = cli.main(["merge", str(EXTERNAL / "people.jsonld"), str(EXTERNAL / "wikidata-extract.ttl"),
                     "--store", str(store_dir), "--dist", str(settings.dist_dir), "--no-progress",
                     "--report-json", str(out_json)])
    out = capsys.readouterr().out
    assert code == 0
    assert "matched: 4" in out and "candidates awaiting review (not linked): 1" in out and TENNIS in out
    report = Report.from_json(out_json.read_text(encoding="utf-8"))
    assert {(m.source, m.ours, m.theirs) for m in report.matched} >= {
        ("wikidata-extract", P + "sergei-lavrov", WD + "Q58217"), ("people", P + "vladimir-kolokoltsev",
                                                                   WD + "Q1344473")}
    assert [c.theirs for c in report.candidates] == [TENNIS]

    # Removing a source removes its links, its report and its aligned graph, and nothing else.
    ds = LocalDataset(store_dir)
    def the_other_source(store) -> list[str]:
        return [line for line in _alignment_state(store) if "wikidata-extract" in line]

    others = the_other_source(ds.reader().store)
    assert len(others) > 10
    assert cli.main(["sources", "remove", "people", "--store", str(store_dir), "--dist", str(settings.dist_dir)]) == 0
    store = ds.reader().store
    assert not store.query(f"""ASK {{ GRAPH <{merge.ALIGNMENT_GRAPH}> {{
        ?n <{EKG}alignedBy> <{merge.SOURCE_BASE}people> }} }}""")
    graphs = {g.value for g in store.named_graphs()}
    assert ALIGNED_BASE + "people" not in graphs and ALIGNED_BASE + "wikidata-extract" in graphs
    assert not store.query(f"""ASK {{ GRAPH ?g {{ ?s ?p <{WD}Q1344473> }}
                                   FILTER(STRSTARTS(STR(?g), "{merge.MERGED_BASE}")) }}""")
    assert the_other_source(store) == others, "the other source's links, closure and record are untouched"
    assert cli.main(["align", "--store", str(store_dir), "--dist", str(settings.dist_dir)]) == 0


# --------------------------------------------------------------------------- identifier vocabularies (issue 8)

VOCAB = "https://example.org/vocabularies/"


@pytest.fixture(scope="module")
def vocabularies(built, settings, tmp_path_factory) -> LocalDataset:
    ds = LocalDataset(tmp_path_factory.mktemp("vocabularies") / "store")
    dataset.sync(ds, settings.dist_dir)
    for name in ("wikidata-extract.ttl", "identifier-vocabularies.ttl"):
        merge.merge_file(ds, EXTERNAL / name)
    return ds


def test_identifiers_are_found_where_real_vocabularies_put_them(vocabularies):
    report = alignment.stored_report(vocabularies.reader())
    found = {m.theirs: (m.ours, m.signals[0]) for m in report.matched if m.source == "identifier-vocabularies"}
    assert found == {
        VOCAB + "iran": (PL + "iran", "identifier:iso3166-alpha3"),  # LCC: cmns-id:identifies + lcc-lr:hasTag
        VOCAB + "russia": (PL + "russia", "identifier:iso3166-alpha2"),  # older LCC: lcc-lr:identifies
        VOCAB + "afghanistan": (PL + "afghanistan", "identifier:iso3166-numeric"),  # lcc-cr:hasNumericRegionCode
        VOCAB + "syria": (PL + "syria", "identifier:iso3166-alpha2"),  # schema:identifier PropertyValue
        VOCAB + "turkey": (PL + "turkey", "identifier:iso3166-alpha3"),  # p:P298 / ps:P298
        "https://sws.geonames.org/124665/": (PL + "mashhad", "identifier:geonames"),  # reified rdf:subject
        WD + "Q858": (PL + "syria", "identifier:wikidata"),  # a Wikidata item only ever an object
    }
    assert not any("persian" in m.theirs for m in report.matched), "a language code is no country code"


def test_a_wikidata_item_used_only_as_an_object_brings_the_event_to_our_entity(vocabularies):
    store = vocabularies.reader().store
    assert store.query(f"""ASK {{ GRAPH <{ALIGNED_BASE}identifier-vocabularies> {{
        <{VOCAB}event-1> <{VOCAB}target> <{PL}syria> }} }}""")


def test_a_number_against_a_string_is_a_candidate_conflict(vocabularies):
    store = vocabularies.reader().store
    found = rows(store, f"""SELECT ?value ?graph ?signal WHERE {{ GRAPH <{merge.ALIGNMENT_GRAPH}> {{
        ?c a <{alignment.VALUE_CONFLICT}> ; <{EKG}alignedEntity> <{PL}russia> ;
           <{EKG}conflictProperty> <http://www.wikidata.org/prop/direct/P1082> ; <{EKG}signal> ?signal ;
           <{EKG}conflictingValue> [ <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?value ;
                                     <{EKG}inGraph> ?graph ] }} }}""")
    assert {(r["value"], r["graph"].rsplit("/", 1)[-1], r["signal"]) for r in found} == {
        ("146000000", "wikidata-extract", "type-mismatch"), ("146000000", "identifier-vocabularies", "type-mismatch")}


def test_freebase_mids_are_reached_through_dbpedia_and_removing_that_source_unlinks_them(built, settings, tmp_path):
    ds = LocalDataset(tmp_path / "store")
    dataset.sync(ds, settings.dist_dir)
    merge.merge_file(ds, EXTERNAL / "dbpedia-freebase.ttl")
    result = merge.merge_file(ds, EXTERNAL / "freebase.nt")
    mid = "http://rdf.freebase.com/ns/m.0fictional1"
    (link,) = [m for m in result.report.matched if m.theirs == mid]
    assert (link.ours, link.signals[0], link.derived_from) == (P + "sergei-lavrov", "identifier:freebase",
                                                              ("dbpedia-freebase",))
    born = f"""ASK {{ GRAPH <{ALIGNED_BASE}freebase> {{ <{P}sergei-lavrov>
        <http://rdf.freebase.com/ns/people.person.date_of_birth> ?d }} }}"""
    assert ds.reader().query(born)
    record, realigned = merge.remove_source(ds, "dbpedia-freebase")
    assert realigned == ["freebase"], "the source whose link rested on the removed one is realigned"
    assert not ds.reader().query(born)
    assert not any(m.theirs == mid for m in alignment.stored_report(ds.reader()).matched)
