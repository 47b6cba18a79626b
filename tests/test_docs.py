"""The documentation stays true to the graph.

- Every ```sparql check block of docs/modelling.md is an ASK query that must be true on the built graph.
- Every other ```sparql block under docs/ must at least run.
- Every ```turtle block under docs/ must parse; those of docs/modelling.md are copied from the real
  data, so each of their triples (those without blank nodes) must be in the built graph.
- docs/iri-scheme.md lists every kind of IRI the graph uses under /id/, and the graph keeps its slug rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal

DOCS = Path(__file__).resolve().parents[1] / "docs"
MODELLING = DOCS / "modelling.md"
IRI_SCHEME = DOCS / "iri-scheme.md"
ID_BASE = "https://w3id.org/eurasia-kg/id/"
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# kind/slug, kind/source/slug (quotes, interpretations), or holding/person--post.
ID_IRI = re.compile(rf"{re.escape(ID_BASE)}[a-z]+/(?:{SLUG}/)?{SLUG}(?:--{SLUG})?")
MIN_CHECKS = 8
REQUIRED_KINDS = ("visit", "post", "agreement", "figure", "claim", "unnamed", "Solar Hijri")

# A fenced block: the info string after ``` and the body up to the closing fence.
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def fenced_blocks(path: Path) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block in a Markdown file."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(path.read_text(encoding="utf-8"))]


def blocks_of(path: Path, info: str) -> list[str]:
    return [body for kind, body in fenced_blocks(path) if kind == info]


def doc_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


CHECKS = blocks_of(MODELLING, "sparql check") if MODELLING.is_file() else []
QUERIES = [(p, i, body) for p in doc_files() for i, body in enumerate(blocks_of(p, "sparql"))]
MODELLING_TURTLE = blocks_of(MODELLING, "turtle") if MODELLING.is_file() else []
ALL_TURTLE = [(p, i, body) for p in doc_files() for i, body in enumerate(blocks_of(p, "turtle"))]


def test_modelling_guide_exists():
    assert MODELLING.is_file(), f"{MODELLING} is missing"


def test_enough_check_blocks():
    assert len(CHECKS) >= MIN_CHECKS, f"docs/modelling.md has {len(CHECKS)} sparql check blocks, want >= {MIN_CHECKS}"


@pytest.mark.parametrize("kind", REQUIRED_KINDS)
def test_modelling_mentions_kind(kind):
    assert kind.lower() in MODELLING.read_text(encoding="utf-8").lower(), f"docs/modelling.md never mentions {kind!r}"


@pytest.mark.parametrize("index", range(len(CHECKS)))
def test_check_block_holds(kg, index):
    query = CHECKS[index]
    assert re.search(r"^\s*ASK\b", query, re.MULTILINE | re.IGNORECASE), f"check block {index} is not an ASK query"
    assert "PREFIX" in query, f"check block {index} declares no PREFIX: checks must be self-contained"
    result = kg.query(query)
    assert isinstance(result, bool | ox.QueryBoolean), f"check block {index} did not return a boolean"
    assert bool(result), f"check block {index} of docs/modelling.md is false on the built graph:\n{query}"


@pytest.mark.parametrize(("path", "index", "body"), QUERIES, ids=[f"{p.name}-{i}" for p, i, _ in QUERIES])
def test_example_query_runs(kg, path, index, body):
    kg.query(body)


@pytest.mark.parametrize(("path", "index", "body"), ALL_TURTLE,
                         ids=[f"{p.name}-{i}" for p, i, _ in ALL_TURTLE])
def test_turtle_block_parses(path, index, body):
    graph = Graph()
    try:
        graph.parse(data=body, format="turtle")
    except Exception as exc:  # rdflib raises many types; all mean "does not parse"
        pytest.fail(f"turtle block {index} of {path.relative_to(DOCS.parent)} does not parse: {exc}")
    assert len(graph), f"turtle block {index} of {path.relative_to(DOCS.parent)} is empty"


def _ask_for(triple) -> str:
    s, p, o = triple
    if isinstance(o, Literal):
        # Compare literals by value, so that 5300000000.0 matches however the dump spells it.
        return f"ASK {{ {s.n3()} {p.n3()} ?o . FILTER (?o = {o.n3()}) }}"
    return f"ASK {{ {s.n3()} {p.n3()} {o.n3()} }}"


@pytest.mark.parametrize("index", range(len(MODELLING_TURTLE)))
def test_modelling_turtle_is_in_the_graph(kg, index):
    graph = Graph()
    graph.parse(data=MODELLING_TURTLE[index], format="turtle")
    missing = [t for t in graph if not any(isinstance(term, BNode) for term in t) and not bool(kg.query(_ask_for(t)))]
    assert not missing, f"turtle block {index} of docs/modelling.md has triples the built graph lacks:\n" + "\n".join(
        " ".join(term.n3() for term in t) for t in sorted(missing))


def _id_iris(kg) -> list[str]:
    rows = kg.select(f"""SELECT DISTINCT ?x WHERE {{
        {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }}
        FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{ID_BASE}"))
    }}""").rows
    return sorted(row[0].value for row in rows)


def test_iri_scheme_lists_every_kind(kg):
    text = IRI_SCHEME.read_text(encoding="utf-8")
    kinds = {iri[len(ID_BASE):].split("/")[0] for iri in _id_iris(kg)}
    undocumented = sorted(k for k in kinds if f"`/id/{k}/`" not in text)
    assert not undocumented, f"docs/iri-scheme.md does not list these kinds of IRI: {undocumented}"


def test_iris_follow_the_slug_rules(kg):
    bad = [iri for iri in _id_iris(kg) if not ID_IRI.fullmatch(iri)]
    assert not bad, "IRIs that break the slug rules of docs/iri-scheme.md:\n" + "\n".join(bad)
