"""Nesting too deep is refused with 400 before any parser sees it: the worker that would have run it
stays alive (pyoxigraph's parser used to overflow its stack and take the worker down, a 500)."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import query_path, request

ATTACKS = {
    "2500 braces": "SELECT * WHERE " + "{" * 2500 + " ?s ?p ?o " + "}" * 2500,
    "5000 parentheses in a FILTER": "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "brackets hidden after an IRI with a fragment": "SELECT * WHERE { <http://x.org/#> ?p ?o FILTER("
                                                    + "(" * 3000 + "1" + ")" * 3000 + ") }",
    "an update nested too deep": "INSERT DATA { " + "(" * 3000 + " }",
}


def _live_workers(server) -> float:
    text = request(server, "GET", "/metrics").body.decode()
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "ekg_query_workers" and s.labels.get("state") == "live")


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_deep_nesting_is_400(server, name):
    live = _live_workers(server)
    for reply in (request(server, "GET", query_path(ATTACKS[name])),
                  request(server, "POST", "/sparql", ATTACKS[name].encode(),
                          {"Content-Type": "application/sparql-query"})):
        assert reply.status == 400, reply.body[:200]
        assert b"levels deep" in reply.body or b"/update" in reply.body
    assert _live_workers(server) == live
    assert request(server, "GET", query_path("ASK { }")).status == 200


def test_nesting_within_the_limit_is_answered(server):
    reply = request(server, "GET", query_path("SELECT * WHERE " + "{" * 60 + " ?s ?p ?o " + "}" * 60 + " LIMIT 1"),
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200
    assert len(json.loads(reply.body)["results"]["bindings"]) == 1


def test_strings_and_comments_do_not_count(server):
    deep_text = "(" * 500
    query = f'SELECT ("{deep_text}" AS ?x) WHERE {{ }} # {"{" * 500}'
    reply = request(server, "GET", query_path(query), headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200
    assert json.loads(reply.body)["results"]["bindings"][0]["x"]["value"] == deep_text


@pytest.mark.parametrize("depth", [2000, 20000])
def test_deeply_nested_json_ld_to_validate_is_400(server, depth):
    body = ('{"@id": "https://example.org/x", "https://example.org/p": ' + "[" * depth + '"v"' + "]" * depth
            + "}").encode()
    reply = request(server, "POST", "/validate", body, {"Content-Type": "application/ld+json",
                                                        "Accept": "application/json"})
    assert reply.status == 400, reply.body[:300]
    assert b"levels deep" in reply.body
