"""SPARQL syntax errors in plain words: one case per kind of mistake, from pyoxigraph's real messages."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from eurasia_kg import sparql_errors
from eurasia_kg.config import PREFIXES

# query -> (line, column, hint): the place is the mistake's, not where the parser gave up.
CASES = {
    "unclosed brace": ("SELECT * WHERE {\n  ?s ?p ?o\n",
                       (3, 1, "'{' opened at line 1, column 16 is never closed: add '}'")),
    "stray brace": ("SELECT * WHERE { ?s ?p ?o } }", (1, 29, "'}' has no matching '{' before it")),
    "misspelt keyword": ("SELEC ?s WHERE { ?s ?p ?o }",
                         (1, 1, "'SELEC' is not a SPARQL keyword; did you mean SELECT?")),
    "missing object": ("SELECT * WHERE { ?s ?p }", (1, 24, "a triple pattern needs a subject, a predicate and an "
                                                          "object: one is missing before this")),
    "misspelt function": ("SELECT * WHERE { ?s ?p ?o FILTR(?o) }",
                          (1, 27, "'FILTR' is not a SPARQL keyword; did you mean FILTER?")),
    "not a query": ("hello world", (1, 1, "a query is SELECT, CONSTRUCT, ASK or DESCRIBE (after its PREFIX lines), "
                                          "not 'hello'")),
    "undeclared prefix": ("SELECT ?x WHERE { ?x foo:bar ?y }",
                          (1, 22, "the prefix 'foo:' is not declared: add 'PREFIX foo: <namespace>' at the top, "
                                  "or use a pre-declared prefix such as ekg:, person:, orgid:, place:")),
    "unclosed string": ('SELECT * WHERE { ?s rdfs:label "Lavrov }',
                        (1, 41, "the string that starts at line 1, column 32 is not closed: end it with \"")),
    "bad IRI": ("SELECT * WHERE { ?s <http://a b> ?o }",
                (1, 21, "<http://a b> is not a valid IRI: an IRI has no spaces and none of the characters "
                        "< > \" { } | ^ `")),
    "missing dot": ("SELECT * WHERE { ?s a ekg:Person ?x ekg:name ?n }",
                    (1, 34, "a '.' is missing between two triple patterns (or ';' before another property of the "
                            "same subject)")),
    "missing operand": ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = )\n}",
                        (3, 13, "an expression (a variable, a value or a function call) is missing here")),
    "missing parenthesis": ("SELECT (COUNT(?x) AS ?n WHERE { ?x ?p ?o }", (1, 25, "a ')' is missing before this")),
    "not a number": ("SELECT * WHERE { ?s ?p ?o } LIMIT ten", (1, 35, "a whole number is expected here")),
    "ends early": ("SELECT ?s WHERE { ?s ?p ?o } GROUP BY",
                   (1, 38, "the query ends too early: something is missing at the end")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_syntax_error_is_explained(name):
    query, (line, column, hint) = CASES[name]
    with pytest.raises(SyntaxError) as error:
        ox.Store().query(query, prefixes=PREFIXES)
    problem = sparql_errors.explain(query, str(error.value))
    assert (problem.line, problem.column, problem.hint) == (line, column, hint)
    assert str(problem) == f"syntax error at line {line}, column {column}: {hint}"
    assert "expected one of" not in str(problem) and "\n" not in str(problem)


def test_rdflib_positions_are_counted_in_the_users_text():
    from rdflib.plugins.sparql import prepareQuery

    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    query = "SELECT ?s WHERE {\n  ?s ?p ?o\n"
    with pytest.raises(Exception) as error:
        prepareQuery(prologue + query)
    problem = sparql_errors.explain(query, str(error.value), line_offset=len(PREFIXES))
    assert problem is not None and problem.line in (2, 3)
    assert problem.hint == "'{' opened at line 1, column 17 is never closed: add '}'"


def test_a_message_without_a_position_is_kept_on_one_line():
    assert sparql_errors.explain("SELECT", "something\nwent wrong") is None
    assert sparql_errors.describe("SELECT", "something\nwent wrong") == "something went wrong"
