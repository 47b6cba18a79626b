"""serve uses the on-disk store (so merged data survives a restart) or a remote SPARQL endpoint."""

from __future__ import annotations

import json

import pytest

from eurasia_kg import cli, dataset, merge
from eurasia_kg.config import Settings
from eurasia_kg.dataset import LocalDataset
from eurasia_kg.web import create_app

MERGED = """@prefix ex: <http://example.org/other/> .
<https://w3id.org/eurasia-kg/id/person/sergei-lavrov> ex:note "a note only the other dataset has" .
"""
ASK_MERGED = 'ASK { ?p <http://example.org/other/note> "a note only the other dataset has" }'


def _ask(app, query: str) -> bool:
    response = app.test_client().get("/sparql", query_string={"query": query},
                                     headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    return response.json["boolean"]


@pytest.fixture
def store_with_merge(built, settings, tmp_path):
    store_dir = tmp_path / "store"
    dataset.sync(LocalDataset(store_dir), settings.dist_dir)
    data = tmp_path / "other.ttl"
    data.write_text(MERGED)
    merge.merge_file(LocalDataset(store_dir), data, "other")
    return store_dir


def test_serve_reads_the_on_disk_store_and_keeps_it_across_restarts(settings, store_with_merge):
    for _ in range(2):  # the second app is a restart
        app = create_app(Settings(dist=settings.dist_dir, store=str(store_with_merge), workers=1))
        try:
            assert _ask(app, ASK_MERGED) is True
            assert _ask(app, "ASK { ?v ekg:visitor <https://w3id.org/eurasia-kg/id/person/sergei-lavrov> }") is True
        finally:
            app.extensions["ekg"].pool.close()


def test_rebuilding_replaces_only_the_curated_graphs(settings, store_with_merge):
    ds = LocalDataset(store_with_merge)
    assert dataset.sync(ds, settings.dist_dir, force=True).changed
    assert bool(ds.reader().query(ASK_MERGED, use_default_graph_as_union=True)) is True
    assert list(merge.read_sources(ds.reader())) == ["other"]


def test_serve_over_a_remote_endpoint(oxigraph_server, built, settings, tmp_path, capsys):
    assert cli.main(["push", "--to", oxigraph_server + "/store", "--dist", str(settings.dist_dir),
                     "--store", str(tmp_path / "none")]) == 0
    capsys.readouterr()
    app = create_app(Settings(dist=settings.dist_dir, store=oxigraph_server + "/query", workers=1))
    try:
        client = app.test_client()
        page = client.get("/id/person/sergei-lavrov", headers={"Accept": "text/html"})
        assert page.status_code == 200 and b"Sergei Lavrov" in page.data
        turtle = client.get("/id/person/sergei-lavrov.ttl")
        assert turtle.status_code == 200 and b"foaf/0.1/name" in turtle.data or b"foaf:name" in turtle.data
        network = client.get("/network/graph.json")
        assert network.status_code == 200
        pairs = {frozenset((e["source"].rsplit("/", 1)[1], e["target"].rsplit("/", 1)[1]))
                 for e in json.loads(network.data)["edges"]}
        assert frozenset(("mohammad-reza-rahimi", "dmitry-medvedev")) in pairs
        assert _ask(app, "ASK { ?s a ekg:Visit }") is True
    finally:
        app.extensions["ekg"].pool.close()
