"""The alignment's findings, as a report: links, candidates for review, new entities and
conflicting values; printed, written as JSON, and written as RDF into the alignment graph.

RDF (``ALIGNMENT_GRAPH``; every node carries ``ekg:alignedBy`` its source record, so a source's
nodes can be dropped with it):

* ``ekg:AlignmentLink`` / ``ekg:AlignmentCandidate``: ``ekg:alignedEntity`` (ours),
  ``ekg:alignedWith`` (theirs), ``ekg:alignedBy``, ``ekg:signal`` (one per signal, strongest first),
  ``ekg:signalTier`` (1–3), ``ekg:score``, ``ekg:evidence`` (in words), ``prov:generatedAtTime``,
  ``rdfs:label``, and ``prov:wasDerivedFrom`` the records of other sources whose aligned data
  supplied an identifier (so removing those sources realigns this one);
* ``ekg:ValueConflict``: ``ekg:alignedEntity``, ``ekg:conflictProperty``, ``ekg:conflictingValue`` →
  ``ekg:ConflictingValue`` nodes with ``rdf:value``, ``ekg:inGraph``, ``ekg:viaProperty``,
  ``ekg:alignedWith``, and ``ekg:signal "type-mismatch"`` where a number meets a string;
* ``ekg:MergeReport`` (one per source): ``ekg:newEntity`` (at most ``RDF_NEW_ENTITIES``) and
  ``ekg:newEntityCount``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from ..config import ID_BASE, SOURCE_BASE
from ..config import ONTOLOGY_NS as EKG

LINK_BASE = ID_BASE + "alignment/"
CANDIDATE_BASE = ID_BASE + "alignment-candidate/"
CONFLICT_BASE = ID_BASE + "conflict/"
REPORT_BASE = ID_BASE + "merge-report/"
# The RDF report lists at most this many new entities per source (with their total count); the JSON lists all.
RDF_NEW_ENTITIES = 10_000

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Classes of the alignment vocabulary (declared in ontology/eurasia-kg.ttl).
ALIGNMENT_LINK = EKG + "AlignmentLink"
ALIGNMENT_CANDIDATE = EKG + "AlignmentCandidate"
VALUE_CONFLICT = EKG + "ValueConflict"
CONFLICTING_VALUE = EKG + "ConflictingValue"
MERGE_REPORT = EKG + "MergeReport"
ALIGNMENT_CLASSES = (ALIGNMENT_LINK, ALIGNMENT_CANDIDATE, VALUE_CONFLICT, CONFLICTING_VALUE, MERGE_REPORT)


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
    derived_from: tuple[str, ...] = ()  # other sources whose aligned data supplied an identifier

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
    kind: str = ""  # "number", "date", "text" or "iri": what was compared


@dataclass(frozen=True)
class Conflict:
    entity: str
    label: str
    property: str
    values: tuple[ConflictValue, ...]

    @property
    def type_mismatch(self) -> bool:
        """A number in one dataset, a string in another: a candidate conflict, to be checked by hand."""
        return len({v.kind for v in self.values}) > 1


@dataclass
class Report:
    generated: str
    sources: list[str] = field(default_factory=list)
    matched: list[Match] = field(default_factory=list)
    new: list[NewEntity] = field(default_factory=list)
    candidates: list[Match] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    # Per source: resources it only types (no name, identifier or link), counted and not listed.
    unnamed: dict[str, int] = field(default_factory=dict)

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
            return Match(**{**m, "signals": tuple(m["signals"]), "evidence": tuple(m["evidence"]),
                            "derived_from": tuple(m.get("derived_from", ()))})

        return cls(
            generated=data["generated"], sources=list(data["sources"]),
            matched=[match(m) for m in data["matched"]], new=[NewEntity(**n) for n in data["new"]],
            candidates=[match(m) for m in data["candidates"]],
            conflicts=[Conflict(c["entity"], c["label"], c["property"],
                                tuple(ConflictValue(**v) for v in c["values"])) for c in data["conflicts"]],
            unnamed=dict(data.get("unnamed", {})))

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))

    def for_source(self, name: str) -> Report:
        return Report(self.generated, [name], [m for m in self.matched if m.source == name],
                      [n for n in self.new if n.source == name], [c for c in self.candidates if c.source == name],
                      [c for c in self.conflicts if any(v.source == name for v in c.values)],
                      {name: self.unnamed[name]} if name in self.unnamed else {})

    def text(self, limit: int = 50) -> str:
        from ..store import shorten

        def cut(rows: list[str]) -> list[str]:
            return rows if len(rows) <= limit else rows[:limit] + [f"    … and {len(rows) - limit} more "
                                                                      "(see --report-json)"]

        lines = [f"Alignment with the curated graph ({', '.join(self.sources) or 'no merged sources'})"]
        lines.append(f"  matched: {len(self.matched)} (the signal behind each in brackets)")
        lines += cut([f"    {m.source}: {shorten(m.ours)} = {shorten(m.theirs)}"
                      f"{f' {m.theirs_label!r}' if m.theirs_label else ''}  [{', '.join(m.signals)}]"
                      for m in self.matched])
        unnamed = sum(self.unnamed.values())
        lines.append(f"  new entities: {len(self.new)}" + (f" (and {unnamed} more resources without a name or "
                                                          "identifier, such as event records: counted, not listed)"
                                                          if unnamed else ""))
        lines += cut([f"    {n.source}: {shorten(n.iri)}{f' {n.label!r}' if n.label else ''}"
                      f"{f' ({n.kind})' if n.kind else ''}" for n in self.new])
        lines.append(f"  conflicting values (all kept; none chosen): {len(self.conflicts)}")
        for c in self.conflicts[:limit]:
            mismatch = " (a number in one dataset, text in another: check by hand)" if c.type_mismatch else ""
            lines.append(f"    {shorten(c.entity)} {c.label!r}, {shorten(c.property)}{mismatch}:")
            lines += [f"      {v.value}  in {v.source} ({shorten(v.via)} of {shorten(v.about)})" for v in c.values]
        lines.append(f"  candidates awaiting review (not linked): {len(self.candidates)}")
        lines += cut([f"    {c.source}: {shorten(c.ours)} ~ {shorten(c.theirs)}"
                      f"{f' {c.theirs_label!r}' if c.theirs_label else ''}  score {c.score:.2f}  "
                      f"[{', '.join(c.signals)}]" for c in self.candidates])
        return "\n".join(lines)



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
        "newEntityCount", "conflictProperty", "conflictingValue", "inGraph", "viaProperty", "signal")}
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
            for other in m.derived_from:
                yield q(node, nn(PROV + "wasDerivedFrom"), nn(SOURCE_BASE + other))
    new: dict[str, list[NewEntity]] = defaultdict(list)
    for n in report.new:
        new[n.source].append(n)
    for name in report.sources:
        node = nn(REPORT_BASE + name)
        yield q(node, a, nn(MERGE_REPORT))
        yield q(node, label, lit(f"Merge report for source {name}", language="en"))
        yield q(node, ekg["alignedBy"], nn(SOURCE_BASE + name))
        yield q(node, generated, now)
        yield q(node, ekg["newEntityCount"], lit(str(len(new[name]) + report.unnamed.get(name, 0)), datatype=integer))
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
        if c.type_mismatch:
            yield q(node, ekg["signal"], lit("type-mismatch"))
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

