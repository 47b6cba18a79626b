"""Every quote in the graph occurs in the article (after repairing its extraction damage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from eurasia_kg import loader, quotes

ROOT = Path(__file__).resolve().parents[1]
OA = Namespace("http://www.w3.org/ns/oa#")
SOURCE = "https://w3id.org/eurasia-kg/id/source/avim-2013-23"


def _selectors():
    graph = Graph()
    for path in loader.rdf_files(ROOT / "graphs"):
        loader.parse_into(graph, path)
    rows = []
    for quote in graph.subjects(OA.hasSource, None):
        for sel in graph.objects(quote, OA.hasSelector):
            rows.append((str(quote), str(graph.value(quote, OA.hasSource)), str(graph.value(sel, OA.exact)),
                         str(graph.value(sel, OA.prefix) or ""), str(graph.value(sel, OA.suffix) or "")))
    return sorted(rows)


SELECTORS = _selectors()


def test_the_article_has_at_least_50_quotes():
    assert len([s for s in SELECTORS if s[1] == SOURCE]) >= 50


@pytest.mark.parametrize("row", [s for s in SELECTORS if s[1] == SOURCE], ids=lambda r: r[0].rsplit("/", 1)[-1])
def test_quote_occurs_in_article_with_its_context(article_text, row):
    quote, _, exact, prefix, suffix = row
    check = quotes.check_quote(article_text, quote, exact, prefix, suffix)
    assert check.found, f"{quote}: {exact!r} is not in the article"
    assert check.context_found, f"{quote}: prefix/suffix do not surround the quote in the article"


def test_a_made_up_quote_is_not_found(article_text):
    assert not quotes.check_quote(article_text, "x", "Iran and Russia signed a treaty on Mars.").found


def test_normalise_repairs_artefacts_and_drops_apostrophes():
    assert quotes.normalise("Tehran   ጀ  Moscow\n Russias") == "Tehran – Moscow Russias"
    assert quotes.normalise("Russia’s and Iran's") == "Russias and Irans"
    assert quotes.repair("IRAN  ᤀ匀  RELATIONS") == "IRAN ’S RELATIONS"


def test_context_of_returns_text_around_a_quote():
    prefix, suffix = quotes.context_of("one two three four five", "three", width=5)
    assert (prefix, suffix) == (" two ", " four")


def test_context_of_a_missing_quote_raises():
    with pytest.raises(ValueError, match="quote not found"):
        quotes.context_of("one two", "three")
