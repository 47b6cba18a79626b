"""Aligning merged sources with the curated graph, one source at a time.

For every merged source (``MERGED_BASE + name``) each resource it describes is compared with our
entities (the ``/id/`` resources of the curated graphs), using these signals, strongest first:

1. explicit links between the two datasets, in either: ``owl:sameAs``, ``skos:exactMatch``,
   ``schema:sameAs``, and a source that uses our IRI itself;
2. shared identifiers, normalised (Wikidata, DBpedia/Wikipedia, GeoNames, Freebase, ISO 3166
   alpha-2/alpha-3/numeric/3166-2), found where real datasets put them (``reading``);
3. label similarity (same broad type): **candidates for review only**, never linked.

Conflicts (``conflicts``) are single-valued properties whose values differ across datasets; the
``owl:sameAs`` closure (``closure``) copies each source's statements onto our IRIs in its own graph.

Incremental: merging a source aligns that source only (:func:`align_source`) and refreshes the
conflicts of the entities it links; removing one (:func:`unalign_source`) drops its nodes and
closure, refreshes those conflicts, and realigns only the sources whose links rested on its data.
Everything runs inside the caller's transaction, so a kill leaves the alignment as it was.
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox

from ..config import ALIGNED_BASE, ALIGNMENT_GRAPH, MERGED_BASE, SOURCE_BASE
from ..config import ONTOLOGY_NS as EKG
from ..dataset import Reader, Writer
from .closure import aligned_graph, closure_update
from .conflicts import _normalised_value, find_conflicts, normalised_value, stored_links
from .identifiers import Heuristics, iso_key, keys_of_iri, keys_of_value, normalise_label
from .matching import index_keys, label_index, match_source
from .reading import dependent_sources, our_entities, source_resources, values
from .report import (
    ALIGNMENT_CANDIDATE,
    ALIGNMENT_CLASSES,
    ALIGNMENT_LINK,
    CONFLICTING_VALUE,
    MERGE_REPORT,
    VALUE_CONFLICT,
    Conflict,
    ConflictValue,
    Match,
    NewEntity,
    Report,
    conflict_iri,
    report_quads,
)

__all__ = ["Report", "Match", "NewEntity", "Conflict", "ConflictValue", "Heuristics", "align_source",
           "unalign_source", "realign_all", "aligned_graph", "closure_update", "conflict_iri", "iso_key",
           "keys_of_iri", "keys_of_value", "normalise_label", "normalised_value", "_normalised_value",
           "ALIGNMENT_CLASSES", "ALIGNMENT_LINK", "ALIGNMENT_CANDIDATE", "VALUE_CONFLICT", "CONFLICTING_VALUE",
           "MERGE_REPORT", "source_names", "align", "classify_predicate", "stored_report"]

GRAPH = ox.NamedNode(ALIGNMENT_GRAPH)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def source_names(reader: Reader) -> list[str]:
    from ..merge import read_sources

    return sorted(read_sources(reader))


def align_source(writer: Writer, name: str, h: Heuristics | None = None, conflicts: bool = True) -> Report:
    """(Re)align one source: its links, candidates, report node and closure; then the conflicts of
    the entities it links. Returns the source's report."""
    h = h or Heuristics.load()
    _drop_source_nodes(writer, name)
    ours = our_entities(writer, h, exclude_source=name)
    our_keys = index_keys(ours)
    resources, same, unnamed = source_resources(writer, MERGED_BASE + name, ours, our_keys, h)
    links, candidates, new = match_source(name, resources, same, ours, our_keys, label_index(ours, h), h)
    report = Report(_now(), [name], links, new, candidates, [], {name: unnamed} if unnamed else {})
    writer.extend(report_quads(report, GRAPH))
    writer.update(closure_update(name))
    if conflicts:
        report.conflicts = _refresh_conflicts(writer, {m.ours for m in links}, h, ours)
    return report


def unalign_source(writer: Writer, name: str, h: Heuristics | None = None) -> list[str]:
    """Drop one source's alignment (before its graph goes); returns the sources realigned because
    their links rested on identifiers its aligned data supplied."""
    h = h or Heuristics.load()
    affected = {ours for by, ours, _ in stored_links(writer) if by == name}
    dependents = sorted(dependent_sources(writer, name))
    _drop_source_nodes(writer, name)
    if affected:
        _refresh_conflicts(writer, affected, h, exclude=name)
    for other in dependents:
        align_source(writer, other, h)
    return dependents


def realign_all(writer: Writer, h: Heuristics | None = None) -> Report:
    """Align every merged source afresh (after the curated graphs changed, or on request)."""
    h = h or Heuristics.load()
    operations = [f"DELETE WHERE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?n a <{cls}> ; ?p ?o }} }}"
                  for cls in ALIGNMENT_CLASSES]
    operations += [f"DROP SILENT GRAPH <{g}>" for g in writer.named_graphs() if g.startswith(ALIGNED_BASE)]
    writer.update(" ;\n".join(operations))
    names = source_names(writer)
    report = Report(_now(), names)
    for name in names:
        part = align_source(writer, name, h, conflicts=False)
        report.matched += part.matched
        report.candidates += part.candidates
        report.new += part.new
        report.unnamed.update(part.unnamed)
    report.conflicts = _refresh_conflicts(writer, {m.ours for m in report.matched}, h)
    return report


def align(store) -> Report:
    """Align every merged source in ``store`` (a dataset writer, or a pyoxigraph Store) afresh."""
    from ..dataset.local import LocalWriter

    return realign_all(store if isinstance(store, Writer) else LocalWriter(store))


def classify_predicate(iri: str) -> str | None:
    """What a predicate is to the alignment (see ``Heuristics.classify_predicate``)."""
    return Heuristics.load().classify_predicate(iri)


def stored_report(reader: Reader) -> Report:
    """What the alignment graph holds, as a report (links and conflicts; for listing, not recomputed)."""
    rows = reader.select(f"""SELECT ?by ?ours ?theirs (GROUP_CONCAT(?signal; separator="|") AS ?signals) WHERE {{
        GRAPH <{ALIGNMENT_GRAPH}> {{ ?link a <{ALIGNMENT_LINK}> ; <{EKG}alignedBy> ?by ; <{EKG}alignedEntity> ?ours ;
        <{EKG}alignedWith> ?theirs ; <{EKG}signal> ?signal }} }} GROUP BY ?by ?ours ?theirs ORDER BY ?by ?ours""")
    report = Report(_now(), source_names(reader))
    for by, ours, theirs, signals in rows:
        report.matched.append(Match(by.value[len(SOURCE_BASE):], ours.value, theirs.value,
                                    tuple(signals.value.split("|")), 0, 1.0, ()))
    return report


def _drop_source_nodes(writer: Writer, name: str) -> None:
    source = SOURCE_BASE + name
    classes = ", ".join(f"<{c}>" for c in (ALIGNMENT_LINK, ALIGNMENT_CANDIDATE, MERGE_REPORT))
    writer.update(f"""DELETE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?n ?p ?o }} }} WHERE {{ GRAPH <{ALIGNMENT_GRAPH}> {{
        ?n <{EKG}alignedBy> <{source}> ; a ?cls ; ?p ?o FILTER(?cls IN ({classes})) }} }} ;
        DROP SILENT GRAPH <{aligned_graph(name)}>""")


def _refresh_conflicts(writer: Writer, entities: set[str], h: Heuristics, ours=None,
                       exclude: str | None = None) -> list[Conflict]:
    """Recompute the conflict nodes of some of our entities from every stored link."""
    if not entities:
        return []
    chosen = values(sorted(entities))
    writer.update(f"""DELETE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?v ?p ?o }} }} WHERE {{ VALUES ?e {{ {chosen} }}
        GRAPH <{ALIGNMENT_GRAPH}> {{ ?c a <{VALUE_CONFLICT}> ; <{EKG}alignedEntity> ?e ; <{EKG}conflictingValue> ?v .
        ?v ?p ?o }} }} ;
        DELETE {{ GRAPH <{ALIGNMENT_GRAPH}> {{ ?c ?p ?o }} }} WHERE {{ VALUES ?e {{ {chosen} }}
        GRAPH <{ALIGNMENT_GRAPH}> {{ ?c a <{VALUE_CONFLICT}> ; <{EKG}alignedEntity> ?e ; ?p ?o }} }}""")
    ours = ours if ours is not None else our_entities(writer, h)
    links = [link for link in stored_links(writer, entities) if link[0] != exclude]
    found = find_conflicts(writer, links, ours, index_keys(ours), h)
    writer.extend(report_quads(Report(_now(), [], conflicts=found), GRAPH))
    return found
