"""Synthetic who-met-whom data in the eurasia-kg vocabulary, for benchmarking the network code.

  python bench/synthetic.py --people 10000 [--seed 7] [--output synthetic-10k.nq]

The data are shaped like the real thing, with the skew real diplomatic networks have:
  * people (ekg:Person, rdfs:label@en, ekg:nationality of a country with its ISO code; 5% are
    ekg:UnnamedPerson) in sectors of about 100 (a ministry, a commission), a few countries
    holding most of them (Zipf weights);
  * events of four kinds: bilateral ekg:Meeting (mostly 2 people, up to 5), ekg:Negotiation
    (2 to 8), ekg:Visit (ekg:visitor and ekg:host, half of them with a meeting of the two as a
    sub-event, as in the article), and multilateral sessions (ekg:Summit with ekg:sessionOf a
    body) whose size follows a truncated power law (P(size) ~ size^-2.5, 5 to 100 people);
  * who takes part is drawn by preferential attachment (a person is picked in proportion to
    1 + the events they already attended, 80% from the event's own sector), while newcomers are
    fed in so that every person takes part in something: degrees come out heavy-tailed, with
    hubs, and the sectors form communities;
  * most events have an ekg:when interval (time:hasBeginning/time:hasEnd with time:inXSDDate),
    some only a wording of their date; 30% carry an ekg:quote with an oa:TextQuoteSelector.
Entailments the build's reasoner would add are written out (every event also `a ekg:Event`,
ekg:participant beside ekg:visitor/ekg:host, and sub-event participants on the parent), so that
the queries of queries/network run unchanged on a store without reasoning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from eurasia_kg.config import GRAPH_BASE, ID_BASE, ONTOLOGY_NS  # noqa: E402

VERSION = 1  # bump when the output for a given (people, seed) changes: cached exact values depend on it
DATA_GRAPH = f"<{GRAPH_BASE}sources/synthetic>"
SHARED_GRAPH = f"<{GRAPH_BASE}shared>"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
TIME = "http://www.w3.org/2006/time#"
OA = "http://www.w3.org/ns/oa#"
XSD_DATE = "<http://www.w3.org/2001/XMLSchema#date>"
COUNTRIES = ("IR", "RU", "CN", "TR", "IN", "KZ", "AZ", "AM", "TM", "UZ", "TJ", "KG", "BY", "SY", "IQ", "AF",
             "PK", "GE", "MN", "BH")
SECTOR_SIZE = 100
KINDS = (("meeting", 0.45), ("negotiation", 0.20), ("visit", 0.25), ("summit", 0.10))


def ekg(name: str) -> str:
    return f"<{ONTOLOGY_NS}{name}>"


def iri(path: str) -> str:
    return f"<{ID_BASE}{path}>"


def literal(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


class Participants:
    """Who takes part: preferential attachment within sectors, with newcomers fed in until all have come."""

    def __init__(self, people: int, slots: int, rng: random.Random):
        self.rng = rng
        self.sectors = max(1, people // SECTOR_SIZE)
        self.sector_of = [rng.randrange(self.sectors) for _ in range(people)]
        self.newcomers: list[list[int]] = [[] for _ in range(self.sectors)]
        for person in rng.sample(range(people), people):
            self.newcomers[self.sector_of[person]].append(person)
        self.waiting = people
        self.slots_left = slots
        # Each person appears in a pool once on arrival and once more per event attended.
        self.pool: list[int] = []
        self.sector_pool: list[list[int]] = [[] for _ in range(self.sectors)]

    def sector(self) -> int:
        return self.sector_of[self.rng.choice(self.pool)] if self.pool and self.rng.random() < 0.7 else \
            self.rng.randrange(self.sectors)

    def _newcomer(self, sector: int) -> int | None:
        if not self.waiting:
            return None
        queue = self.newcomers[sector]
        if not queue:
            queue = next((q for q in self.newcomers if q), [])
        self.waiting -= 1
        return queue.pop()

    def draw(self, size: int, sector: int) -> list[int]:
        chosen: list[int] = []
        tries = 0
        while len(chosen) < size and tries < size * 20:
            tries += 1
            person = None
            if self.waiting and self.rng.random() < self.waiting / max(1, self.slots_left):
                person = self._newcomer(sector)
            elif self.pool:
                local = self.sector_pool[sector]
                source = local if local and self.rng.random() < 0.8 else self.pool
                person = self.rng.choice(source)
            else:
                person = self._newcomer(sector)
            if person is None or person in chosen:
                continue
            chosen.append(person)
        for person in chosen:
            self.pool.append(person)
            self.sector_pool[self.sector_of[person]].append(person)
        self.slots_left = max(0, self.slots_left - len(chosen))
        return chosen


def _summit_size(rng: random.Random, low: int = 5, high: int = 100, exponent: float = 2.5) -> int:
    """A draw from P(size) ~ size^-exponent on [low, high] (inverse transform of the continuous law)."""
    a = 1 - exponent
    u = rng.random()
    return min(high, int((low ** a + u * (high ** a - low ** a)) ** (1 / a)))


def _size(kind: str, rng: random.Random, people: int) -> int:
    if kind == "meeting":
        return 2 if rng.random() < 0.7 else rng.randint(3, 5)
    if kind == "negotiation":
        return min(8, 2 + int(rng.expovariate(0.6)))
    if kind == "visit":
        return 2
    return min(_summit_size(rng), max(5, people // 5))


def nquads(people: int, seed: int = 7, events_per_person: float = 2.5) -> Iterator[str]:
    """The data set as N-Quads lines."""
    rng = random.Random(f"{seed}-{people}")
    weights = [1 / (rank + 1) for rank in range(len(COUNTRIES))]
    for code in COUNTRIES:
        country = iri(f"place/synthetic-{code.lower()}")
        yield f"{country} {RDF_TYPE} {ekg('Country')} {SHARED_GRAPH} .\n"
        yield f"{country} {LABEL} {literal(f'Country {code}', 'en')} {SHARED_GRAPH} .\n"
        yield f"{country} {ekg('iso3166Alpha2')} {literal(code)} {SHARED_GRAPH} .\n"
    bodies = [iri(f"org/synthetic-body-{b}") for b in range(max(3, people // 500))]
    for number, body in enumerate(bodies):
        yield f"{body} {RDF_TYPE} {ekg('Organisation')} {SHARED_GRAPH} .\n"
        yield f"{body} {LABEL} {literal(f'Commission {number}', 'en')} {SHARED_GRAPH} .\n"
    for person in range(people):
        node = iri(f"person/synthetic-{person}")
        yield f"{node} {RDF_TYPE} {ekg('Person')} {DATA_GRAPH} .\n"
        if rng.random() < 0.05:
            yield f"{node} {RDF_TYPE} {ekg('UnnamedPerson')} {DATA_GRAPH} .\n"
            yield f"{node} {LABEL} {literal(f'Unnamed official {person}', 'en')} {DATA_GRAPH} .\n"
        else:
            yield f"{node} {LABEL} {literal(f'Person {person}', 'en')} {DATA_GRAPH} .\n"
        code = rng.choices(COUNTRIES, weights)[0]
        yield f"{node} {ekg('nationality')} {iri(f'place/synthetic-{code.lower()}')} {DATA_GRAPH} .\n"

    slots = int(people * events_per_person)
    who = Participants(people, slots, rng)
    kinds, kind_weights = zip(*KINDS, strict=True)
    number = 0
    first_day = dt.date(2000, 1, 1)
    failures = 0
    while (who.slots_left > 0 or who.waiting) and failures < 1000:
        kind = rng.choices(kinds, kind_weights)[0]
        attendees = who.draw(_size(kind, rng, people), who.sector())
        if len(attendees) < 2:
            failures += 1
            continue
        failures = 0
        number += 1
        event = iri(f"event/synthetic-{number}")
        types = {"meeting": ("Meeting",), "negotiation": ("Negotiation",), "visit": ("Visit",),
                 "summit": ("Summit", "Meeting")}[kind]
        for name in (*types, "Event"):
            yield f"{event} {RDF_TYPE} {ekg(name)} {DATA_GRAPH} .\n"
        yield f"{event} {LABEL} {literal(f'{kind.capitalize()} {number}', 'en')} {DATA_GRAPH} .\n"
        for person in attendees:
            yield f"{event} {ekg('participant')} {iri(f'person/synthetic-{person}')} {DATA_GRAPH} .\n"
        if kind == "summit":
            yield f"{event} {ekg('sessionOf')} {rng.choice(bodies)} {DATA_GRAPH} .\n"
        if kind == "visit":
            visitor, host = (iri(f"person/synthetic-{p}") for p in attendees)
            yield f"{event} {ekg('visitor')} {visitor} {DATA_GRAPH} .\n"
            yield f"{event} {ekg('host')} {host} {DATA_GRAPH} .\n"
            if rng.random() < 0.5:  # talks during the visit: the pair is counted there, not at the visit
                talks = iri(f"event/synthetic-{number}-talks")
                for name in ("Meeting", "Event"):
                    yield f"{talks} {RDF_TYPE} {ekg(name)} {DATA_GRAPH} .\n"
                yield f"{talks} {LABEL} {literal(f'Talks during visit {number}', 'en')} {DATA_GRAPH} .\n"
                yield f"{event} {ekg('hasSubEvent')} {talks} {DATA_GRAPH} .\n"
                for person in (visitor, host):
                    yield f"{talks} {ekg('participant')} {person} {DATA_GRAPH} .\n"
        draw = rng.random()
        if draw < 0.85:
            start = first_day + dt.timedelta(days=rng.randrange(9000))
            end = start + dt.timedelta(days=int(rng.expovariate(0.7)))
            when = iri(f"event/synthetic-{number}/when")
            yield f"{event} {ekg('when')} {when} {DATA_GRAPH} .\n"
            for bound, day in (("hasBeginning", start), ("hasEnd", end)):
                instant = iri(f"event/synthetic-{number}/{bound}")
                yield f"{when} <{TIME}{bound}> {instant} {DATA_GRAPH} .\n"
                yield f"{instant} <{TIME}inXSDDate> \"{day.isoformat()}\"^^{XSD_DATE} {DATA_GRAPH} .\n"
        elif draw < 0.92:
            when = iri(f"event/synthetic-{number}/when")
            yield f"{event} {ekg('when')} {when} {DATA_GRAPH} .\n"
            yield f"{when} {ekg('wording')} {literal('some time before the summit')} {DATA_GRAPH} .\n"
        if rng.random() < 0.3:
            quote = iri(f"quote/synthetic-{number}")
            selector = iri(f"quote/synthetic-{number}/selector")
            yield f"{event} {ekg('quote')} {quote} {DATA_GRAPH} .\n"
            yield f"{quote} {RDF_TYPE} {ekg('Quote')} {DATA_GRAPH} .\n"
            yield f"{quote} <{OA}hasSelector> {selector} {DATA_GRAPH} .\n"
            yield f"{selector} {RDF_TYPE} <{OA}TextQuoteSelector> {DATA_GRAPH} .\n"
            yield f"{selector} <{OA}exact> {literal(f'The officials met ({kind} {number}).')} {DATA_GRAPH} .\n"


EVENT_DATA = "https://w3id.org/eurasia-kg/event-data#"
MERGED_BASE = "https://w3id.org/eurasia-kg/merged/"
CONSULT_CODES = ("040", "041", "042", "043", "044", "045", "046")
OTHER_CODES = ("010", "020", "036", "051", "057", "061", "111", "173", "190")


def event_data_nquads(events: int, seed: int = 7, actors_per_event: float = 0.05,
                      aligned: int = 200) -> Iterator[str]:
    """ICEWS-like merged event data: ``events`` events in the event-data vocabulary (queries/mappings/), half
    of them CAMEO 04x, between ``events * actors_per_event`` actors drawn with a heavy skew, in the merged
    source graph ``MERGED/synthetic-events``; ``aligned`` of the busiest actors are aligned (owl:sameAs in
    ``MERGED/_aligned/synthetic-events``) to people of a small curated graph."""
    rng = random.Random(f"events-{seed}-{events}")
    source = f"<{MERGED_BASE}synthetic-events>"
    aligned_graph = f"<{MERGED_BASE}_aligned/synthetic-events>"
    actors = max(10, int(events * actors_per_event))
    evd = EVENT_DATA
    for number in range(aligned):
        person = iri(f"person/synthetic-aligned-{number}")
        yield f"{person} {RDF_TYPE} {ekg('Person')} {SHARED_GRAPH} .\n"
        yield f"{person} {LABEL} {literal(f'Aligned person {number}', 'en')} {SHARED_GRAPH} .\n"
        same_as = "<http://www.w3.org/2002/07/owl#sameAs>"
        yield f"{person} {same_as} <https://example.org/synthetic-events/actor/{number}> {aligned_graph} .\n"
    for number in range(actors):
        actor = f"<https://example.org/synthetic-events/actor/{number}>"
        yield f"{actor} {RDF_TYPE} <{evd}Actor> {source} .\n"
        yield f"{actor} {LABEL} {literal(f'Actor {number}')} {source} .\n"
        yield f"{actor} <{evd}country> {literal(rng.choice(COUNTRIES))} {source} .\n"
    first_day = dt.date(1995, 1, 1)
    for number in range(events):
        event = f"<https://example.org/synthetic-events/event/{number}>"
        one = int(actors * rng.random() ** 3)  # a heavy skew: a few actors are in most events
        other = int(actors * rng.random() ** 3)
        if one == other:
            other = (other + 1) % actors
        code = rng.choice(CONSULT_CODES) if rng.random() < 0.5 else rng.choice(OTHER_CODES)
        day = first_day + dt.timedelta(days=rng.randrange(10500))
        yield f"{event} {RDF_TYPE} <{evd}Event> {source} .\n"
        yield f"{event} <{evd}cameoCode> {literal(code)} {source} .\n"
        yield f"{event} <{evd}sourceActor> <https://example.org/synthetic-events/actor/{one}> {source} .\n"
        yield f"{event} <{evd}targetActor> <https://example.org/synthetic-events/actor/{other}> {source} .\n"
        yield f"{event} <{evd}date> \"{day.isoformat()}\"^^{XSD_DATE} {source} .\n"
        yield f"{event} {LABEL} {literal(f'Event {number} (CAMEO {code})', 'en')} {source} .\n"


def store(people: int, seed: int = 7, events_per_person: float = 2.5) -> ox.Store:
    """An in-memory pyoxigraph store holding the synthetic data set."""
    result = ox.Store()
    data = "".join(nquads(people, seed, events_per_person)).encode()
    result.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    return result


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--people", type=int, default=1000)
    args.add_argument("--seed", type=int, default=7)
    args.add_argument("--events-per-person", type=float, default=2.5)
    args.add_argument("--output", type=Path, help="N-Quads file to write (default: standard output)")
    opts = args.parse_args()
    lines = nquads(opts.people, opts.seed, opts.events_per_person)
    if opts.output:
        with opts.output.open("w", encoding="utf-8") as out:
            out.writelines(lines)
    else:
        sys.stdout.writelines(lines)


if __name__ == "__main__":
    main()
