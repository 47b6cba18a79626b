"""The one dataset in a remote store (``--store URL``): every command works against a real Oxigraph
server and a real Virtuoso (the engine behind DBpedia), each started by the test with a temporary
database on free ports. Virtuoso's dialect differs (its default graph is every graph, system graphs
included; it answers ASK in JSON as a one-row SELECT; its Graph Store endpoint has its own path):
the same commands must give the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eurasia_kg import cli

EXTERNAL = Path(__file__).resolve().parent / "fixtures" / "external"
P = "https://w3id.org/eurasia-kg/id/person/"
WD = "http://www.wikidata.org/entity/"
STORES = {"oxigraph": ("oxigraph_server", "/query"), "virtuoso": ("virtuoso_server", "/sparql")}


@pytest.fixture(params=sorted(STORES))
def store_url(request) -> str:
    fixture, path = STORES[request.param]
    return request.getfixturevalue(fixture) + path


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(capsys, common, query: str) -> list[dict]:
    code, out, err = run(capsys, "query", query, "--format", "json", *common)
    assert code == 0, err
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(out)["results"]["bindings"]]


def test_every_command_works_against_a_remote_store(store_url, built, settings, capsys):
    common = ("--store", store_url, "--dist", settings.dist_dir)
    # The first command brings the curated graphs over from dist/.
    people = rows(capsys, common, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?p a ekg:Person ; "
                                  "foaf:name ?name } }")
    assert people == [{"n": "15"}]
    code, out, _ = run(capsys, "store", "status", *common)
    assert code == 0 and f"store: {store_url} (remote)" in out and "up to date" in out

    code, out, err = run(capsys, "merge", EXTERNAL / "wikidata-extract.ttl", EXTERNAL / "people.jsonld", *common,
                         "--no-progress")
    assert code == 0, err
    assert "merged wikidata-extract: 20 triples" in out and "merged people: 12 triples" in out
    assert f"{WD}Q58217" in out or "wd:Q58217" in out, "Lavrov is matched by his Wikidata identifier"
    code, out, _ = run(capsys, "sources", "list", *common)
    assert [line.split("\t")[0] for line in out.strip().splitlines()] == ["people", "wikidata-extract"]

    # A fact only the other dataset has, asked for on our IRI, with the graph it came from.
    born = rows(capsys, common, f"""SELECT ?d ?g WHERE {{ GRAPH ?g {{ <{P}sergei-lavrov>
        <http://www.wikidata.org/prop/direct/P569> ?d }} }}""")
    assert [(r["d"][:10], r["g"].rsplit("/", 1)[-1]) for r in born] == [("1950-03-21", "wikidata-extract")]
    kolokoltsev = (f"ASK {{ GRAPH ?g {{ <{P}vladimir-kolokoltsev> <http://www.w3.org/2002/07/owl#sameAs> "
                   f"<{WD}Q1344473> }} }}")
    code, out, _ = run(capsys, "query", kolokoltsev, *common)
    assert (code, out.strip()) == (0, "true")

    code, out, err = run(capsys, "sources", "remove", "people", *common)
    assert code == 0 and "removed people (12 triples" in out, err
    code, out, _ = run(capsys, "query", kolokoltsev, *common)
    assert (code, out.strip()) == (0, "false"), "the removed source's links and closure are gone"
    code, out, _ = run(capsys, "sources", "list", *common)
    assert out.strip().split("\t")[0] == "wikidata-extract"

    code, out, _ = run(capsys, "stats", *common)
    assert code == 0 and "https://w3id.org/eurasia-kg/merged/wikidata-extract" in out
    assert "openlinksw" not in out, "a store's own system graphs are not ours"
    code, out, err = run(capsys, "network", "measures", "--format", "csv", *common)
    assert code == 0, err
    assert "Dmitry Medvedev" in out

    code, out, _ = run(capsys, "store", "reset", "--yes", *common)
    assert code == 0
    code, out, _ = run(capsys, "sources", "list", *common)
    assert "no merged sources" in out
