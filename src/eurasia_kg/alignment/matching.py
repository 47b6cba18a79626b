"""Matching one source's resources with our entities: links (explicit links, shared identifiers)
and candidates for review (label look-alikes, ambiguous or type-crossing identifiers)."""

from __future__ import annotations

from collections import defaultdict

from .identifiers import Heuristics, Key, compatible, normalise_label, similarity
from .reading import Resource
from .report import Match, NewEntity

# Signals, strongest first.
SIGNAL_ORDER = ["same-iri", "explicit:owl:sameAs", "explicit:skos:exactMatch", "explicit:schema:sameAs",
                *(f"identifier:{scheme}" for scheme in ("wikidata", "dbpedia", "geonames", "freebase", "iso3166-alpha2",
                                                        "iso3166-alpha3", "iso3166-numeric", "iso3166-2")), "label"]


def index_keys(ours: dict[str, Resource]) -> dict[Key, set[str]]:
    index: dict[Key, set[str]] = defaultdict(set)
    for iri, entity in ours.items():
        for key in entity.keys:
            index[key].add(iri)
    return index


def label_index(ours: dict[str, Resource], h: Heuristics) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    tokens: dict[str, set[str]] = defaultdict(set)
    normalised: dict[str, list[str]] = {}
    for iri, entity in ours.items():
        normalised[iri] = [n for n in dict.fromkeys(normalise_label(label) for label in entity.labels) if n]
        for label in normalised[iri]:
            for token in label.split():
                if (len(token) >= h.min_token or len(label.split()) == 1) and token not in h.stopwords:
                    tokens[token].add(iri)
    return tokens, normalised


def match_source(name: str, resources: dict[str, Resource], same: set[str], ours: dict[str, Resource],
                 our_keys: dict[Key, set[str]], labels, h: Heuristics
                 ) -> tuple[list[Match], list[Match], list[NewEntity]]:
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
            if tier == 1 or compatible(h.kind_of(theirs.types), h.kind_of(ours[our_iri].types)):
                derived = sorted({s for key in theirs.keys for s in ours[our_iri].via.get(key, ())})
                links.append(Match(name, our_iri, iri, signals, tier, 1.0, tuple(evidence[our_iri] + notes),
                                   ours[our_iri].label, theirs.label, tuple(derived)))
                linked_ours[our_iri] = iri
                continue
            candidates.append(Match(name, our_iri, iri, signals, tier, 1.0, tuple(
                evidence[our_iri] + [f"not linked: the types differ (theirs {h.kind_of(theirs.types)}, "
                                     f"ours {h.kind_of(ours[our_iri].types)})"]), ours[our_iri].label, theirs.label))
        else:
            for our_iri in sorted(chosen):
                candidates.append(Match(name, our_iri, iri, tuple(chosen[our_iri]), tier, 1.0, tuple(
                    evidence[our_iri] + [f"not linked: ambiguous, the same signal points to {len(chosen)} "
                                         "of our entities"]), ours[our_iri].label, theirs.label))
        unlinked.append(theirs)
    tokens, normalised = labels
    linked = {m.theirs for m in links}
    proposed = {(c.ours, c.theirs) for c in candidates}
    kinds: dict[frozenset, str | None] = {}  # sources repeat a few sets of classes many times

    def kind(types: set[str]) -> str | None:
        key = frozenset(types)
        if key not in kinds:
            kinds[key] = h.kind_of(types)
        return kinds[key]

    for theirs in unlinked:
        if theirs.types and not theirs.types.isdisjoint(h.dataset_types):
            continue
        their_kind = kind(theirs.types)
        new.append(NewEntity(name, theirs.iri, theirs.label, their_kind or ""))
        if theirs.iri in linked or not theirs.labels:
            continue
        their_labels = sorted({n for n in map(normalise_label, theirs.labels) if n})
        pool: set[str] = set()
        for label in their_labels:
            for token in label.split():
                if token in tokens:
                    pool |= tokens[token]
        for our_iri in sorted(pool):
            if not compatible(their_kind, kind(ours[our_iri].types)):
                continue
            score, best = max(((similarity(a, b), (a, b)) for a in their_labels for b in normalised[our_iri]),
                              default=(0.0, ("", "")))
            if score < h.candidate_threshold or (our_iri, theirs.iri) in proposed:
                continue
            note = [f"label {best[0]!r} ~ {best[1]!r} (similarity {score:.2f}); broad type: theirs "
                    f"{their_kind or 'unknown'}, ours {kind(ours[our_iri].types) or 'unknown'}; "
                    "no identifier or explicit link supports it: review before linking"]
            if our_iri in linked_ours:
                note.append(f"our entity is already linked to <{linked_ours[our_iri]}> in this source")
            candidates.append(Match(name, our_iri, theirs.iri, ("label",), 3, round(score, 3), tuple(note),
                                    ours[our_iri].label, theirs.label))
    return links, candidates, new


