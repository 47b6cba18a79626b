"""Outgrowing one machine: push to, and query, a real Oxigraph server started on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from eurasia_kg import cli, remote
from eurasia_kg.config import MERGE_METADATA_GRAPH
from eurasia_kg.sparql import QueryRejected

from .conftest import free_port


def local_sizes(dist: Path) -> dict[str, int]:
    """The graphs a push sends from a store that holds this build: the build's, and the store's record of it."""
    quads = ox.parse(path=str(dist / "eurasia-kg.nq"), format=ox.RdfFormat.N_QUADS)
    return {**{g: len(set(ts)) for g, ts in remote.graphs_of(quads).items()}, MERGE_METADATA_GRAPH: 1}


def test_push_with_the_graph_store_protocol(oxigraph_server, built, settings, capsys, tmp_path):
    code = cli.main(["push", "--to", oxigraph_server + "/store", "--dist", str(settings.dist_dir),
                     "--store", str(tmp_path / "no-store")])
    out = capsys.readouterr().out
    assert code == 0
    assert "graph-store-protocol" in out
    assert remote.remote_graph_sizes(oxigraph_server + "/query") == local_sizes(settings.dist_dir)


def test_push_falls_back_to_sparql_update(oxigraph_server, built, settings, capsys, tmp_path):
    code = cli.main(["push", "--to", oxigraph_server + "/no-graph-store-here", "--update-endpoint",
                     oxigraph_server + "/update", "--dist", str(settings.dist_dir), "--store", str(tmp_path / "x")])
    out = capsys.readouterr().out
    assert code == 0
    assert "falling back to SPARQL Update" in out and "sparql-update" in out
    assert remote.remote_graph_sizes(oxigraph_server + "/query") == local_sizes(settings.dist_dir)


def test_push_to_a_dead_endpoint_is_a_clear_error(built, settings, capsys, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/store"
    code = cli.main(["push", "--to", url, "--dist", str(settings.dist_dir), "--store", str(tmp_path / "x")])
    assert code == 2
    assert url in capsys.readouterr().err


def test_remote_engine_answers_like_the_embedded_one(oxigraph_server, built, settings, tmp_path):
    cli.main(["push", "--to", oxigraph_server + "/store", "--dist", str(settings.dist_dir),
              "--store", str(tmp_path / "x")])
    engine = remote.RemoteEngine(oxigraph_server + "/query")
    outcome = engine.run("SELECT ?name WHERE { ?p a ekg:Person ; foaf:name ?name } ORDER BY ?name", 100)
    assert len(outcome.rows) == 15 and outcome.rows[0][0].value == "Abdolreza Sheikholeslami"
    assert engine.run("ASK { ?s a ekg:Visit }", 10).boolean is True
    graph = engine.run("CONSTRUCT { ?v ekg:visitor ?p } WHERE { ?v ekg:visitor ?p }", 1000)
    assert graph.kind == "graph" and len(graph.triples) >= 10
    with pytest.raises(QueryRejected):
        engine.run("SELECT * WHERE { ?s ?p }", 10)
