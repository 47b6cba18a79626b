"""Quality checks (as in Brick): SPARQL queries in queries/quality/ that must return nothing."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from .conftest import FIXTURES

QUALITY = sorted((Path(__file__).resolve().parents[1] / "queries" / "quality").glob("*.rq"))


def test_there_are_quality_checks():
    assert len(QUALITY) >= 8


@pytest.mark.parametrize("path", QUALITY, ids=lambda p: p.stem)
def test_quality_check_returns_nothing(kg, path):
    table = kg.select(path.read_text(encoding="utf-8"))
    assert table.rows == [], [[t.value if t is not None else None for t in row] for row in table.rows]


@pytest.fixture(scope="module")
def broken_store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(FIXTURES / "quality-broken.trig"), format=ox.RdfFormat.TRIG)
    return store


@pytest.mark.parametrize("path", QUALITY, ids=lambda p: p.stem)
def test_quality_check_finds_the_planted_problem(broken_store, path):
    rows = list(broken_store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True))
    assert len(rows) >= 1
