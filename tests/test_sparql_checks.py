"""The decisions taken before an engine runs: they come from rdflib's SPARQL parser, not from patterns."""

from __future__ import annotations

import pytest

from eurasia_kg.sparql import QueryRejected
from eurasia_kg.sparql_checks import Checker, nesting_depth, parses_as_update, with_update_dataset

ALLOWED = "http://allowed.example/sparql"


@pytest.fixture
def checker() -> Checker:
    return Checker((ALLOWED,), max_length=20000, max_depth=100)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service silent <http://evil.example/sparql> { ?s ?p ?o } }",
    "PREFIX e: <http://evil.example/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    "BASE <http://evil.example/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE#a comment between the keyword and the IRI\n<http://evil.example/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://allowed.example/sparql.evil.example/> { ?s ?p ?o } }",
    "SELECT * WHERE { OPTIONAL { { SELECT * WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } } } } }",
])
def test_service_to_a_server_not_allowed_is_refused(checker, query):
    with pytest.raises(QueryRejected, match="SERVICE|parsed"):
        checker.query(query)


def test_service_with_a_variable_is_refused(checker):
    with pytest.raises(QueryRejected, match="variable"):
        checker.query("SELECT * WHERE { ?e ?p ?o SERVICE ?e { ?s ?p ?o } }")


@pytest.mark.parametrize("query", [
    f"SELECT * WHERE {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}",
    'SELECT * WHERE { ?s ?p "SERVICE <http://evil.example/>" }',  # only a string
    "SELECT * WHERE { ?s <http://example.org/service> ?o } # SERVICE <http://evil.example/>",
])
def test_what_is_not_a_forbidden_service_passes(checker, query):
    assert checker.query(query).has_dataset is False


def test_from_is_read_by_the_parser(checker):
    assert checker.query("SELECT * FROM <http://g/1> WHERE { ?s ?p ?o }").has_dataset is True
    assert checker.query("SELECT * FROM NAMED <http://g/1> WHERE { GRAPH ?g { ?s ?p ?o } }").has_dataset is True
    assert checker.query('SELECT * WHERE { ?s ?p "from" }').has_dataset is False
    assert checker.query("SELECT * WHERE { ?s <http://example.org/from> ?o }").has_dataset is False


@pytest.mark.parametrize("update", [
    "LOAD <http://evil.example/data.ttl>",
    "LOAD SILENT <http://evil.example/data.ttl> INTO GRAPH <http://g/1>",
    "PREFIX e: <http://evil.example/> LOAD e:data.ttl",
    "INSERT { GRAPH <http://g/1> { ?s ?p ?o } } WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }",
    "CLEAR GRAPH <http://g/1> ; LOAD <http://evil.example/x>",
])
def test_load_and_service_in_updates_are_refused(checker, update):
    with pytest.raises(QueryRejected, match="not allowed"):
        checker.update(update)


def test_updates_are_told_apart_by_the_parser():
    assert parses_as_update("INSERT DATA { <http://a> <http://b> <http://c> }")
    assert parses_as_update("PREFIX x: <http://x/> # SELECT\nDELETE WHERE { ?s x:p ?o }")
    assert not parses_as_update("SELECT * WHERE { ?s ?p ?o } # INSERT DATA { }")
    assert not parses_as_update('ASK { ?s ?p "INSERT DATA" }')


def test_nesting_depth_ignores_strings_and_comments_but_not_iris():
    assert nesting_depth("SELECT * WHERE { { ?s ?p ?o } }") == 2
    assert nesting_depth('SELECT * WHERE { ?s ?p "{{{{{{" } # ((((((') == 1
    assert nesting_depth("SELECT * WHERE { <http://x/#> ?p ?o FILTER(((1))) }") == 4
    assert nesting_depth("SELECT * WHERE { ?s ?p ?o FILTER(?o <((((((1)>) }") >= 6  # counted, to be safe
    assert nesting_depth(")))))) {{{ ") == 3  # closers first cannot lower the count


def test_depth_and_length_are_refused_first(checker):
    with pytest.raises(QueryRejected, match="levels deep"):
        checker.query("SELECT * WHERE " + "{" * 101 + "}" * 101)
    with pytest.raises(QueryRejected, match="characters long"):
        checker.query("#" * 20001)


def test_using_graph_uri_is_applied_to_each_operation(checker):
    update = ("INSERT { GRAPH <http://g/2> { ?s ?p ?o } } WHERE { ?s ?p ?o } ;\n"
              "DELETE { GRAPH <http://g/2> { ?s ?p ?o } } WHERE { ?s ?p 'WHERE' }")
    rewritten = with_update_dataset(update, checker.update(update), ["http://g/1"], [])
    assert rewritten.count("USING <http://g/1> WHERE") == 2
    with pytest.raises(QueryRejected, match="own USING"):
        own = "INSERT { ?s ?p ?o } USING <http://g/3> WHERE { ?s ?p ?o }"
        with_update_dataset(own, checker.update(own), ["http://g/1"], [])
