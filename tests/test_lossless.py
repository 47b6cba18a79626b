"""Every value survives every format the server writes, read back by three independent parsers.

One result set holds the values that went wrong before (0, 0.0, false and the empty string written
as empty literals; "1050"^^xsd:double rewritten as 1050.0; a dateTime's Z rewritten as +00:00),
with language tags, a long string full of escapes, IRIs, blank nodes and an unbound cell. The real
server process answers it in every results format and every RDF format; pyoxigraph's parsers,
rdflib's and SPARQLWrapper's read it back, and each value must equal the engine's own term.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph
from rdflib.compare import isomorphic
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from eurasia_kg.sparql import to_rdflib

from .running_server import running_server

XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://example.org/lossless/"
GRAPH = "https://w3id.org/eurasia-kg/graph/lossless"
LONG = ("A long value: tabs\t, newlines\n\r, quotes \" and ' and \"\"\", backslashes \\, "
        "<angle brackets> & ampersands, Persian ایران, Russian Россия, emoji 🕊, ]]> and }} "
        "— and so on. ") * 120
VALUES = [
    ox.Literal("0", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("0.0", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal(""),
    ox.Literal("1050", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("1.0E3", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("2013-04-01T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
    ox.Literal("2013-04-01", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("Sergei Lavrov", language="en"),
    ox.Literal("Сергей Лавров", language="ru"),
    ox.Literal("لاوروف", language="fa-ir"),
    ox.Literal(LONG),
    ox.Literal("-0", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("a value of its own type", datatype=ox.NamedNode(EX + "customType")),
    ox.NamedNode(EX + "an-iri?with=query&and#fragment"),
    ox.BlankNode("value"),
]
SELECT = f"""SELECT ?row ?value ?node WHERE {{
  ?row <{EX}value> ?value .
  OPTIONAL {{ ?row <{EX}node> ?node }}
}} ORDER BY ?row"""
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
RESULT_FORMATS = {  # media type: (pyoxigraph's format, rdflib's name, SPARQLWrapper's return format)
    "application/sparql-results+json": (ox.QueryResultsFormat.JSON, "json", JSON),
    "application/sparql-results+xml": (ox.QueryResultsFormat.XML, "xml", XML),
    "text/tab-separated-values": (ox.QueryResultsFormat.TSV, "tsv", TSV),
    "text/csv": (ox.QueryResultsFormat.CSV, "csv", CSV),
}
GRAPH_FORMATS = {  # media type: (pyoxigraph's format, rdflib's name, SPARQLWrapper's return format)
    "text/turtle": (ox.RdfFormat.TURTLE, "turtle", TURTLE),
    "application/n-triples": (ox.RdfFormat.N_TRIPLES, "nt", N3),
    "application/ld+json": (ox.RdfFormat.JSON_LD, "json-ld", JSONLD),
    "application/rdf+xml": (ox.RdfFormat.RDF_XML, "xml", RDFXML),
    "application/trig": (ox.RdfFormat.TRIG, "trig", None),
}


def _quads() -> list[ox.Quad]:
    graph = ox.NamedNode(GRAPH)
    quads = []
    for i, value in enumerate(VALUES):
        row = ox.NamedNode(f"{EX}row/{i:02d}")
        quads.append(ox.Quad(row, ox.NamedNode(EX + "value"), value, graph))
        if i % 3 == 0:  # some rows have a blank node, the others leave ?node unbound
            quads.append(ox.Quad(row, ox.NamedNode(EX + "node"), ox.BlankNode(f"n{i}"), graph))
    quads.append(ox.Quad(ox.BlankNode("value"), ox.NamedNode(EX + "label"), ox.Literal("a blank node"), graph))
    return quads


@pytest.fixture(scope="module")
def engine() -> ox.Store:
    store = ox.Store()
    store.extend(_quads())
    return store


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    dist = tmp_path_factory.mktemp("lossless-dist")
    (dist / "eurasia-kg.nq").write_bytes(ox.serialize(_quads(), format=ox.RdfFormat.N_QUADS))
    # A store of its own: this dist/ holds only the result set, not the project's graph.
    with running_server(dist, "--workers", "1", "--store", str(dist.parent / "lossless-store")) as running:
        yield running


def _get(server, query: str, accept: str) -> bytes:
    request = urllib.request.Request(server.base + "/sparql?" + urlencode({"query": query}), headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == accept
        return response.read()


def _expected_rows(engine: ox.Store) -> list[list]:
    result = engine.query(SELECT, use_default_graph_as_union=True)
    variables = [v.value for v in result.variables]
    assert variables == ["row", "value", "node"]
    rows = [[solution[v] for v in variables] for solution in result]
    assert len(rows) == len(VALUES)
    return rows


def _same_blank_nodes(actual: list[list], expected: list[list]) -> None:
    """Blank nodes may be renamed, but one-to-one, and only blank nodes may stand for blank nodes."""
    mapping: dict[str, str] = {}
    for got_row, want_row in zip(actual, expected, strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            if isinstance(want, ox.BlankNode | BNode) or (isinstance(want, dict) and want.get("type") == "bnode"):
                got_label = got["value"] if isinstance(got, dict) else str(got)
                want_label = want["value"] if isinstance(want, dict) else str(want)
                assert mapping.setdefault(got_label, want_label) == want_label
    assert len(set(mapping.values())) == len(mapping)


def _csv_cell(term) -> str:
    """How SPARQL 1.1 CSV writes a term: its lexical form, a blank node as _:label (any label)."""
    return "_:" if isinstance(term, ox.BlankNode) else term.value


def _csv_matches(cell: str, term) -> bool:
    return cell.startswith("_:") if isinstance(term, ox.BlankNode) else cell == term.value


def _without_blank_nodes(rows: list[list]) -> list[list]:
    return [[None if isinstance(t, ox.BlankNode | BNode) else t for t in row] for row in rows]


@pytest.mark.parametrize("media_type", sorted(RESULT_FORMATS))
def test_select_survives_pyoxigraphs_parser(server, engine, media_type):
    ox_format = RESULT_FORMATS[media_type][0]
    body = _get(server, SELECT, media_type)
    expected = _expected_rows(engine)
    if ox_format == ox.QueryResultsFormat.CSV:  # CSV keeps lexical forms only (SPARQL 1.1 CSV), by design
        header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        assert header == ["row", "value", "node"]
        assert all(_csv_matches(row[0], r[0]) and _csv_matches(row[1], r[1])
                   for row, r in zip(rows, expected, strict=True))
        assert [bool(row[2]) for row in rows] == [r[2] is not None for r in expected]
        return
    result = ox.parse_query_results(body, format=ox_format)
    actual = [[solution[v] for v in ("row", "value", "node")] for solution in result]
    assert _without_blank_nodes(actual) == _without_blank_nodes(expected)
    _same_blank_nodes(actual, expected)


@pytest.mark.parametrize("media_type", sorted(RESULT_FORMATS))
def test_select_survives_rdflibs_parser(server, engine, media_type):
    _, name, _ = RESULT_FORMATS[media_type]
    body = _get(server, SELECT, media_type)
    engine_rows = _expected_rows(engine)
    expected = [[to_rdflib(t) for t in row] for row in engine_rows]
    result = Result.parse(io.BytesIO(body), format=name)
    actual = [[binding.get(v) for v in result.vars] for binding in result.bindings]
    assert [str(v) for v in result.vars] == ["row", "value", "node"]
    assert len(actual) == len(expected)
    for got_row, want_row, engine_row in zip(actual, expected, engine_rows, strict=True):
        for got, want, term in zip(got_row, want_row, engine_row, strict=True):
            if name == "csv":  # rdflib reads every CSV cell as a plain literal: only the text can survive
                # An empty cell is unbound or the empty string: CSV cannot tell them apart (SPARQL 1.1 CSV).
                if term is None or (isinstance(term, ox.Literal) and term.value == ""):
                    assert got is None or str(got) == ""
                elif isinstance(term, ox.BlankNode):
                    assert isinstance(got, BNode)
                else:
                    assert _csv_matches(str(got), term), (got, term)
            elif isinstance(want, BNode) or want is None:
                assert type(got) is type(want)
            else:
                # rdflib may rewrite a lexical form itself when it reads one (1050 → 1050.0): compare the
                # values, datatypes and language tags, which is what rdflib's users see.
                assert type(got) is type(want) and got.eq(want), (got, want)
                assert getattr(got, "datatype", None) == getattr(want, "datatype", None)
                assert getattr(got, "language", None) == getattr(want, "language", None)
    if name != "csv":
        _same_blank_nodes(actual, expected)


def _sparqlwrapper(server, query: str, return_format: str):
    wrapper = SPARQLWrapper(server.base + "/sparql")
    wrapper.setQuery(query)
    wrapper.setReturnFormat(return_format)
    wrapper.setTimeout(60)
    return wrapper.queryAndConvert()


def test_select_survives_sparqlwrappers_json(server, engine):
    expected = _expected_rows(engine)
    result = _sparqlwrapper(server, SELECT, JSON)
    rows = [[b.get(v) for v in ("row", "value", "node")] for b in result["results"]["bindings"]]
    for got_row, want_row in zip(rows, expected, strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            _assert_same_json_term(got, want)
    _same_blank_nodes(rows, expected)


def _assert_same_json_term(got: dict | None, want) -> None:
    if want is None:
        assert got is None
    elif isinstance(want, ox.NamedNode):
        assert got == {"type": "uri", "value": want.value}
    elif isinstance(want, ox.BlankNode):
        assert got["type"] == "bnode"
    else:
        assert got["type"] == "literal" and got["value"] == want.value
        assert got.get("xml:lang") == want.language
        datatype = None if want.language or want.datatype.value == XSD + "string" else want.datatype.value
        assert got.get("datatype") == datatype


def test_select_survives_sparqlwrappers_xml(server, engine):
    """SPARQLWrapper's default format: it hands back the XML document (xml.dom.minidom)."""
    expected = _expected_rows(engine)
    document = _sparqlwrapper(server, SELECT, XML)
    results = document.getElementsByTagName("result")
    assert len(results) == len(expected)
    for element, want_row in zip(results, expected, strict=True):
        cells = {b.getAttribute("name"): b for b in element.getElementsByTagName("binding")}
        for name, want in zip(("row", "value", "node"), want_row, strict=True):
            if want is None:
                assert name not in cells
                continue
            term = next(n for n in cells[name].childNodes if n.nodeType == n.ELEMENT_NODE)
            text = "".join(n.data for n in term.childNodes if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE))
            if isinstance(want, ox.NamedNode):
                assert (term.tagName, text) == ("uri", want.value)
            elif isinstance(want, ox.BlankNode):
                assert term.tagName == "bnode" and text
            else:
                assert (term.tagName, text) == ("literal", want.value)
                assert (term.getAttribute("xml:lang") or None) == want.language
                datatype = None if want.language or want.datatype.value == XSD + "string" else want.datatype.value
                assert (term.getAttribute("datatype") or None) == datatype


@pytest.mark.parametrize("return_format", [TSV, CSV])
def test_select_survives_sparqlwrappers_tables(server, engine, return_format):
    """SPARQLWrapper hands TSV and CSV back as text; TSV keeps terms in N-Triples syntax, CSV keeps values."""
    expected = _expected_rows(engine)
    text = _sparqlwrapper(server, SELECT, return_format).decode("utf-8")
    if return_format == TSV:
        parsed = ox.parse_query_results(text.encode(), format=ox.QueryResultsFormat.TSV)
        rows = [[s[v] for v in ("row", "value", "node")] for s in parsed]
        assert _without_blank_nodes(rows) == _without_blank_nodes(expected)
    else:
        rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
        assert all(_csv_matches(row[1], r[1]) for row, r in zip(rows, expected, strict=True))


def test_ask_false_and_true_survive(server):
    for media_type in ("application/sparql-results+json", "application/sparql-results+xml"):
        for answer in (True, False):
            body = _get(server, f"ASK {{ FILTER({str(answer).lower()}) }}", media_type)
            assert bool(ox.parse_query_results(body, format=RESULT_FORMATS[media_type][0])) is answer
            assert Result.parse(io.BytesIO(body), format=RESULT_FORMATS[media_type][1]).askAnswer is answer


def _expected_graph(engine: ox.Store) -> list[ox.Triple]:
    return list(engine.query(CONSTRUCT, use_default_graph_as_union=True))


@pytest.mark.parametrize("media_type", sorted(GRAPH_FORMATS))
def test_construct_survives_pyoxigraph_and_rdflib(server, engine, media_type):
    ox_format, rdflib_name, _ = GRAPH_FORMATS[media_type]
    body = _get(server, CONSTRUCT, media_type)
    expected = _expected_graph(engine)
    parsed = list(ox.parse(body, format=ox_format))
    if ox_format == ox.RdfFormat.TRIG:  # TriG: every triple in the default graph, none in a blank-node graph
        assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in parsed)
    got, want = ox.Dataset(ox.Quad(*q.triple) for q in parsed), ox.Dataset(ox.Quad(*t) for t in expected)
    got.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    want.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    assert set(got) == set(want)
    graph = Dataset().parse(data=body, format=rdflib_name) if rdflib_name == "trig" else \
        Graph().parse(data=body, format=rdflib_name)
    reference = Graph()
    for triple in expected:
        reference.add(tuple(to_rdflib(t) for t in triple))
    triples = Graph()
    for triple in graph.triples((None, None, None)):
        triples.add(triple)
    assert isomorphic(triples, reference)


@pytest.mark.parametrize("return_format", [TURTLE, RDFXML, JSONLD])
def test_construct_survives_sparqlwrapper(server, engine, return_format):
    converted = _sparqlwrapper(server, CONSTRUCT, return_format)
    graph = converted if isinstance(converted, Graph) else Graph().parse(
        data=converted if isinstance(converted, bytes | str) else json.dumps(converted),
        format={TURTLE: "turtle", JSONLD: "json-ld"}.get(return_format, "xml"))
    reference = Graph()
    for triple in _expected_graph(engine):
        reference.add(tuple(to_rdflib(t) for t in triple))
    assert isomorphic(graph, reference)
