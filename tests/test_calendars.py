import datetime as dt

from rdflib import Graph

from eurasia_kg import calendars

D = dt.date


def test_solar_hijri_1391_runs_from_20_march_2012_to_20_march_2013():
    assert calendars.solar_hijri_year(1391) == (D(2012, 3, 20), D(2013, 3, 20))


def test_solar_hijri_1390_matches_the_bounds_the_article_states():
    # "During the Iranian calendar year 1390 (March 21, 2011 – March 19, 2012)"
    assert calendars.solar_hijri_year(1390) == (D(2011, 3, 21), D(2012, 3, 19))


def test_solar_hijri_1392_starts_at_nowruz_2013():
    assert calendars.solar_hijri_year(1392) == (D(2013, 3, 21), D(2014, 3, 20))


def test_solar_hijri_month():
    assert calendars.solar_hijri_month(1391, 12) == (D(2013, 2, 19), D(2013, 3, 20))


def test_gregorian_to_solar_hijri_round_trip():
    assert calendars.gregorian_to_solar_hijri(D(2013, 2, 25)) == (1391, 12, 7)


TTL = """
@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/y> time:hasDateTimeDescription <http://example.org/d> ; time:hasEnd <http://example.org/end> .
<http://example.org/end> time:inXSDDate "%s"^^xsd:date .
<http://example.org/d> time:hasTRS ekg:SolarHijriCalendar ; time:unitType time:unitYear ;
    time:year "1391"^^time:generalYear .
"""


def test_derive_adds_missing_bound_and_keeps_stated_one():
    graph = Graph().parse(data=TTL % "2013-03-20", format="turtle")
    derived, conflicts = calendars.derive_gregorian_bounds(graph)
    assert conflicts == []
    begins = list(derived.objects(None, calendars.TIME.hasBeginning))
    assert [str(b) for b in begins] == ["https://w3id.org/eurasia-kg/id/instant/2012-03-20"]
    assert list(derived.objects(None, calendars.TIME.hasEnd)) == []


def test_derive_reports_a_stated_bound_that_disagrees():
    graph = Graph().parse(data=TTL % "2013-03-21", format="turtle")
    _, conflicts = calendars.derive_gregorian_bounds(graph)
    assert [(c.which, c.stated, c.computed) for c in conflicts] == [("hasEnd", "2013-03-21", "2013-03-20")]


def test_interval_during_a_year_takes_the_years_beginning():
    ttl = TTL % "2013-03-20" + """
<http://example.org/closing> time:intervalDuring <http://example.org/y> ; time:hasEnd <http://example.org/end> .
"""
    graph = Graph().parse(data=ttl, format="turtle")
    derived, _ = calendars.derive_gregorian_bounds(graph)
    from rdflib import URIRef
    closing = URIRef("http://example.org/closing")
    assert [str(o) for o in derived.objects(closing, calendars.TIME.hasBeginning)] == [
        "https://w3id.org/eurasia-kg/id/instant/2012-03-20"]
    assert list(derived.objects(closing, calendars.TIME.hasEnd)) == []
