"""The graph covers the whole article, and invents nothing."""

from __future__ import annotations

import pytest

PREFIXES = """PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
"""
NAMED_PEOPLE = {
    "Mehdi Sanaei", "Vladimir Putin", "Saeed Jalili", "Nikolai Platonovich Patrushev", "Sergei Lavrov",
    "Fyodor Lukyanov", "Vladimir Kolokoltsev", "Nikolai Levichev", "Dmitry Rogozin", "Mohammad Reza Rahimi",
    "Dmitry Medvedev", "Veronika Skvortsova", "Ali Akbar Salehi", "Alexander Valentinovich Novak",
    "Abdolreza Sheikholeslami",
}


def values(kg, query: str) -> list[str]:
    return [row[0].value for row in kg.select(PREFIXES + query).rows]


def count(kg, query: str) -> int:
    return int(kg.select(PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {query} }}").rows[0][0].value)


def test_all_15_named_people_and_no_others(kg):
    names = values(kg, "SELECT ?name WHERE { ?p a ekg:Person ; foaf:name ?name FILTER NOT EXISTS "
                       "{ ?p a ekg:UnnamedPerson } } ORDER BY ?name")
    assert set(names) == NAMED_PEOPLE
    assert len(names) == 15


def test_every_named_person_is_named_in_the_article(article_text):
    text = " ".join(article_text.split()).lower()  # the citation block writes "Mehdi SANAEI"
    for name in NAMED_PEOPLE:
        assert name.lower() in text, name


def test_unnamed_post_holders_are_kept_unnamed(kg):
    assert count(kg, "?x a ekg:UnnamedPerson ; ekg:describedAs ?d") == 10
    assert count(kg, "?x a ekg:UnnamedPerson ; foaf:name ?n") == 0


def test_the_iranian_interior_minister_is_not_invented(kg):
    assert values(kg, """SELECT ?x WHERE { ?x a ekg:Person ; rdfs:label ?l
        FILTER(CONTAINS(LCASE(?l), "interior") || CONTAINS(LCASE(?l), "internal affairs of iran")) }""") == []


def test_the_source_record(kg):
    row = kg.select(PREFIXES + """SELECT ?title ?author ?publisher ?number ?issued ?url WHERE {
        <https://w3id.org/eurasia-kg/id/source/avim-2013-23> dcterms:title ?title ; dcterms:creator/foaf:name ?author ;
          dcterms:publisher/rdfs:label ?publisher ; ekg:blogNumber ?number ; dcterms:issued ?issued ; schema:url ?url .
        FILTER(LANG(?publisher) = "en") }""").rows
    assert [[t.value for t in r] for r in row] == [[
        "Iran's Relations with Russia", "Mehdi Sanaei", "Center for Eurasian Studies (AVİM)", "2013/23",
        "2013-04-23", "https://avim.org.tr/Blog/IRAN-S-RELATIONS-WITH-RUSSIA"]]


@pytest.mark.parametrize("cls,expected", [
    ("ekg:Visit", 7), ("ekg:VisitExchange", 7), ("ekg:Negotiation", 6), ("ekg:Meeting", 4), ("ekg:Exhibition", 2),
    ("ekg:CultureWeek", 2), ("ekg:Agreement", 12), ("ekg:Figure", 10), ("ekg:Claim", 21), ("ekg:PostHolding", 24),
    ("ekg:Country", 8), ("ekg:City", 9), ("ekg:Quote", 61), ("ekg:Interpretation", 31),
])
def test_counts_per_class(kg, cls, expected):
    assert count(kg, f"?x a {cls}") == expected


def test_negative_facts_are_recorded(kg):
    statuses = dict(kg_row for kg_row in (
        (r[0].value.rsplit("/", 1)[1], r[1].value.rsplit("#", 1)[1])
        for r in kg.select(PREFIXES + "SELECT ?a ?s WHERE { ?a ekg:status ?s }").rows))
    assert statuses["s300-contract"] == "Refused"
    assert statuses["oil-and-energy-agreement-not-reached"] == "NotReached"
    assert statuses["energy-cooperation-roadmap"] == "AgreedToDrawUp"


def test_conflicting_trade_figures_are_all_kept(kg):
    figures = values(kg, """SELECT ?v WHERE { ?f ekg:measure ekg:BilateralTradeVolume ; ekg:value ?v ;
        ekg:refArea <https://w3id.org/eurasia-kg/id/place/iran> , <https://w3id.org/eurasia-kg/id/place/russia> }
        ORDER BY ?v""")
    assert [float(v) for v in figures] == [2e9, 3e9, 5.3e9]
