"""Gregorian bounds for Solar Hijri dates, converted with convertdate (never by hand)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from convertdate import persian
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from .config import ID_BASE, ONTOLOGY_NS

TIME = Namespace("http://www.w3.org/2006/time#")
EKG = Namespace(ONTOLOGY_NS)
INSTANT = Namespace(ID_BASE + "instant/")


@lru_cache(maxsize=256)  # convertdate computes the equinox astronomically, which is slow
def solar_hijri_year(year: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of a Solar Hijri year."""
    return _gregorian(year, 1, 1), _gregorian(year, 12, persian.month_length(year, 12))


@lru_cache(maxsize=1024)
def solar_hijri_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of a Solar Hijri month."""
    return _gregorian(year, month, 1), _gregorian(year, month, persian.month_length(year, month))


def gregorian_to_solar_hijri(day: dt.date) -> tuple[int, int, int]:
    return persian.from_gregorian(day.year, day.month, day.day)


def _gregorian(year: int, month: int, day: int) -> dt.date:
    return dt.date(*persian.to_gregorian(year, month, day))


@dataclass(frozen=True)
class BoundConflict:
    interval: str
    which: str
    stated: str
    computed: str


def instant(day: dt.date) -> URIRef:
    return INSTANT[day.isoformat()]


def _instant_triples(day: dt.date) -> list[tuple]:
    node = instant(day)
    return [(node, RDF.type, TIME.Instant), (node, RDFS.label, Literal(day.isoformat(), lang="en")),
            (node, TIME.inXSDDate, Literal(day.isoformat(), datatype=XSD.date))]


def _stated_day(graph: Graph, interval: URIRef, prop: URIRef) -> str | None:
    for node in graph.objects(interval, prop):
        for value in graph.objects(node, TIME.inXSDDate):
            return str(value)
    return None


def derive_gregorian_bounds(graph: Graph) -> tuple[Graph, list[BoundConflict]]:
    """Triples giving Gregorian bounds to intervals described in the Solar Hijri calendar.

    A bound the data already states is kept; if the conversion disagrees with it, the
    disagreement is reported rather than written.
    """
    derived = Graph()
    conflicts: list[BoundConflict] = []
    _convert_described(graph, derived, conflicts)
    _inherit_enclosing_bounds(graph, derived)
    return derived, conflicts


def _inherit_enclosing_bounds(graph: Graph, derived: Graph) -> None:
    """An interval during another one, with a bound missing, takes the enclosing bound: the truth
    lies inside it (\"the closing days of 1391\" begin no earlier than 1391 does)."""
    for inner, outer in graph.subject_objects(TIME.intervalDuring):
        for prop in (TIME.hasBeginning, TIME.hasEnd):
            if (inner, prop, None) in graph or (inner, prop, None) in derived:
                continue
            bound = graph.value(outer, prop) or derived.value(outer, prop)
            if bound is not None:
                derived.add((inner, prop, bound))


def _convert_described(graph: Graph, derived: Graph, conflicts: list[BoundConflict]) -> None:
    for interval, description in graph.subject_objects(TIME.hasDateTimeDescription):
        if (description, TIME.hasTRS, EKG.SolarHijriCalendar) not in graph:
            continue
        bounds = _bounds_of(graph, description)
        if bounds is None:
            continue
        for prop, day in zip((TIME.hasBeginning, TIME.hasEnd), bounds, strict=True):
            stated = _stated_day(graph, interval, prop)
            if stated is None:
                derived.add((interval, prop, instant(day)))
                for triple in _instant_triples(day):
                    derived.add(triple)
            elif stated != day.isoformat():
                conflicts.append(BoundConflict(str(interval), prop.fragment, stated, day.isoformat()))


def _bounds_of(graph: Graph, description: URIRef) -> tuple[dt.date, dt.date] | None:
    year = graph.value(description, TIME.year)
    if year is None:
        return None
    year_number = int(str(year).lstrip("-") or 0)
    month = graph.value(description, TIME.month)
    if month is not None:
        return solar_hijri_month(year_number, int(str(month).lstrip("-")))
    return solar_hijri_year(year_number)
