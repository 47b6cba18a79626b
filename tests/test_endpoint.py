"""The SPARQL endpoint over the real built graph, through the Flask test client.

Responses are parsed back (rdflib for RDF; json, ElementTree, csv and rdflib's TSV reader for
results) and compared with what the store itself answers, not searched for substrings.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from eurasia_kg.config import GRAPH_BASE, ID_BASE, ONTOLOGY_GRAPH, PREFIXES, Settings
from eurasia_kg.web import create_app

from .conftest import ROOT
from .test_linked_data import BROWSER, parse_html, text_of

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
EKG = Namespace("https://w3id.org/eurasia-kg/ontology#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
LAVROV = URIRef(ID_BASE + "person/sergei-lavrov")
SOURCE_GRAPH = GRAPH_BASE + "sources/avim-2013-23"
USER_GRAPH = "http://example.org/researcher/notes"
TOKEN = "s3cret-update-token"

PEOPLE = "SELECT ?person ?name WHERE { ?person a ekg:Person ; foaf:name ?name } ORDER BY ?name ?person"
ASK_LAVROV = "ASK { person:sergei-lavrov a ekg:Person }"
VISITS = ("CONSTRUCT { ?e ekg:visitor ?v } WHERE { ?e ekg:visitor ?v ; ekg:hostCountry "
          "<https://w3id.org/eurasia-kg/id/place/iran> }")
DESCRIBE = "DESCRIBE person:sergei-lavrov"
# Never yields a row: a Cartesian product of the whole graph with itself, three times, sorted.
CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
COUNT_PEOPLE = "SELECT (COUNT(*) AS ?n) WHERE { ?p a ekg:Person }"


def _close(app) -> None:
    app.extensions["ekg"].pool.close()


def _make_app(settings: Settings, **overrides):
    app = create_app(Settings(root=ROOT, dist=settings.dist_dir, **{"workers": 2, **overrides}))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def app(built, settings):
    app = _make_app(settings)
    yield app
    _close(app)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


class _FakeEndpoint(BaseHTTPRequestHandler):
    """A remote SPARQL endpoint for SERVICE: one row, whatever the query."""

    hits: list[str] = []  # the paths asked for, by every test

    def _answer(self) -> None:
        self.hits.append(self.path)
        body = json.dumps({"head": {"vars": ["remote"]},
                           "results": {"bindings": [{"remote": {"type": "literal", "value": "from afar"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def remote_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def strict_app(built, settings, remote_endpoint):
    """Small limits, a 1 s timeout, no response cache, and SERVICE allowed to one endpoint prefix."""
    app = _make_app(settings, max_rows=3, max_query_length=600, max_body=4000, query_timeout=1.0, cache_bytes=0,
                    service_allowlist=(remote_endpoint.rsplit("/", 1)[0],))
    yield app
    _close(app)


@pytest.fixture(scope="module")
def update_app(built, settings):
    app = _make_app(settings, update_token=TOKEN, cache_bytes=0)
    yield app
    _close(app)


def get(client, query: str, accept: str | None = None, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql?" + urlencode({"query": query, **params}, doseq=True), headers=headers)


def expected_people(kg) -> list[tuple[str, str]]:
    table = kg.select(PEOPLE)
    return [(row[0].value, row[1].value) for row in table.rows]


def expected_graph(kg, query: str) -> set:
    from eurasia_kg.sparql import to_rdflib

    return {tuple(to_rdflib(t) for t in (tr.subject, tr.predicate, tr.object)) for tr in kg.query(query)}


# --- results, parsed back ------------------------------------------------------------------------

def rows_from(response) -> list[tuple[str, ...]]:
    """(person, name) rows of a SELECT response in any results format."""
    body = response.get_data()
    media_type = response.mimetype
    if media_type == "application/sparql-results+json":
        data = json.loads(body)
        variables = data["head"]["vars"]
        return [tuple(b[v]["value"] for v in variables) for b in data["results"]["bindings"]]
    if media_type == "application/sparql-results+xml":
        root = ET.fromstring(body)
        variables = [v.get("name") for v in root.iter(f"{SRX}variable")]
        rows = []
        for result in root.iter(f"{SRX}result"):
            cells = {b.get("name"): b[0].text for b in result.iter(f"{SRX}binding")}
            rows.append(tuple(cells[v] for v in variables))
        return rows
    if media_type == "text/csv":
        header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        return [tuple(row) for row in rows]
    if media_type == "text/tab-separated-values":
        return [tuple(str(term) for term in row) for row in Result.parse(io.BytesIO(body), format="tsv")]
    raise AssertionError(f"not a results format: {media_type}")


def boolean_from(response) -> bool:
    body = response.get_data()
    media_type = response.mimetype
    if media_type == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    if media_type == "application/sparql-results+xml":
        return ET.fromstring(body).find(f"{SRX}boolean").text == "true"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter="\t" if "tab" in media_type else ","))
    assert len(rows) == 2 and len(rows[1]) == 1
    return rows[1][0] == "true"


RDF_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
               "application/rdf+xml": "xml"}


def graph_from(response) -> Graph:
    body = response.get_data()
    if response.mimetype == "application/trig":
        dataset = Dataset()
        dataset.parse(data=body, format="trig")
        graph = Graph()
        for s, p, o, _ in dataset.quads():
            graph.add((s, p, o))
        return graph
    return Graph().parse(data=body, format=RDF_PARSERS[response.mimetype])


# --- the three request forms ---------------------------------------------------------------------

def test_get_post_form_and_post_direct_agree(client, kg):
    expected = expected_people(kg)
    assert len(expected) > 10
    by_get = client.get("/sparql?" + urlencode({"query": PEOPLE}))
    by_form = client.post("/sparql", data={"query": PEOPLE})
    by_direct = client.post("/sparql", data=PEOPLE.encode(), content_type="application/sparql-query")
    for response in (by_get, by_form, by_direct):
        assert response.status_code == 200
        assert response.mimetype == "application/sparql-results+json"
        assert rows_from(response) == expected


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_select_in_every_results_format(client, kg, media_type):
    response = get(client, PEOPLE, media_type)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Vary"] == "Accept"
    assert rows_from(response) == expected_people(kg)


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_ask_in_every_results_format(client, media_type):
    yes = get(client, ASK_LAVROV, media_type)
    no = get(client, "ASK { person:sergei-lavrov a ekg:Place }", media_type)
    assert (yes.status_code, no.status_code) == (200, 200)
    assert yes.mimetype == media_type
    assert (boolean_from(yes), boolean_from(no)) == (True, False)


@pytest.mark.parametrize("media_type", sorted(RDF_PARSERS) + ["application/trig"])
@pytest.mark.parametrize("query", [VISITS, DESCRIBE], ids=["construct", "describe"])
def test_graph_results_in_every_rdf_format(client, kg, media_type, query):
    response = get(client, query, media_type)
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = graph_from(response)
    expected = expected_graph(kg, query)
    assert expected
    assert set(graph) == expected


def test_construct_holds_a_known_triple(client):
    graph = graph_from(get(client, VISITS, "text/turtle"))
    assert (URIRef(ID_BASE + "event/rogozin-visit-iran"), EKG.visitor, URIRef(ID_BASE + "person/dmitry-rogozin")) \
        in graph
    described = graph_from(get(client, DESCRIBE, "application/n-triples"))
    assert (LAVROV, URIRef(PREFIXES["foaf"] + "name"), Literal("Sergei Lavrov")) in described


def test_html_table_for_browsers(client, kg):
    response = get(client, PEOPLE, BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Vary"] == "Accept"
    page = parse_html(response.get_data(as_text=True))
    table = page.find(".//table[@id='results']")
    assert [text_of(th) for th in table.iter("th")] == ["person", "name"]
    rows = [[text_of(td) for td in tr.iter("td")] for tr in table.find("tbody").iter("tr")]
    names = [name for _, name in expected_people(kg)]
    assert [row[1] for row in rows] == names
    # Resource IRIs link to their pages on this server.
    links = {a.get("href") for a in table.iter("a")}
    assert "/id/person/sergei-lavrov" in links


def test_html_boolean_for_browsers(client):
    page = parse_html(get(client, ASK_LAVROV, BROWSER).get_data(as_text=True))
    assert text_of(page.find(".//p[@id='boolean']")) == "true"


# --- negotiation ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "media_type"), [
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0.2, text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/html;q=0.1, text/csv;q=0.3", "text/csv"),
])
def test_q_values_decide_the_results_format(client, accept, media_type):
    response = get(client, ASK_LAVROV, accept)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize(("accept", "media_type"), [
    ("application/rdf+xml;q=0.4, application/n-triples;q=0.8", "application/n-triples"),
    ("application/ld+json, text/turtle;q=0.9", "application/ld+json"),
    ("*/*", "text/turtle"),
])
def test_q_values_decide_the_rdf_format(client, accept, media_type):
    response = get(client, VISITS, accept)
    assert response.mimetype == media_type
    assert len(graph_from(response)) > 0


def test_format_parameter_overrides_accept(client, kg):
    response = get(client, PEOPLE, "application/sparql-results+json", format="csv")
    assert response.mimetype == "text/csv"
    assert rows_from(response) == expected_people(kg)
    # Several spellings, as SPARQLWrapper sends them: the first one that names a format wins.
    graph = get(client, VISITS, "application/rdf+xml", format=["rdf+xml", "application/rdf+xml"])
    assert graph.mimetype == "application/rdf+xml"
    assert set(graph_from(graph)) == expected_graph(kg, VISITS)
    # A name that fits no format of this result is ignored, and Accept decides.
    assert get(client, VISITS, "application/n-triples", format="csv").mimetype == "application/n-triples"
    assert get(client, VISITS, None, format="json").mimetype == "application/ld+json"


def test_unmeetable_accept_is_406(client):
    response = get(client, PEOPLE, "image/png")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.get_data(as_text=True)
    # A CONSTRUCT cannot be answered in a results-only format.
    assert get(client, VISITS, "text/csv").status_code == 406


# --- errors ---------------------------------------------------------------------------------------

def test_malformed_query_is_400_with_the_line_column_and_a_hint(client):
    bad = "SELECT ?s WHERE { ?s ?p "
    with pytest.raises(SyntaxError):
        ox.Store().query(bad, prefixes=PREFIXES, base_iri="http://localhost/sparql")
    response = get(client, bad)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == ("syntax error at line 1, column 25: '{' opened at line 1, "
                                               "column 17 is never closed: add '}'\n")


def test_missing_query_is_400(client):
    assert client.get("/sparql?default-graph-uri=http://example.org/g").status_code == 400
    response = client.post("/sparql", data={"default-graph-uri": "http://example.org/g"})
    assert response.status_code == 400
    assert "missing 'query'" in response.get_data(as_text=True)
    assert client.post("/sparql", data=b"", content_type="application/sparql-query").status_code == 400


def test_duplicated_query_is_400(client):
    response = client.get("/sparql?" + urlencode([("query", ASK_LAVROV), ("query", PEOPLE)]))
    assert response.status_code == 400
    assert "2 times" in response.get_data(as_text=True)
    assert client.post("/sparql", data={"query": [ASK_LAVROV, PEOPLE]}).status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x", None])
def test_wrong_body_type_is_415(client, content_type):
    response = client.post("/sparql", data=ASK_LAVROV.encode(), content_type=content_type)
    assert response.status_code == 415


def test_non_utf8_direct_body_is_refused(client):
    response = client.post("/sparql", data=ASK_LAVROV.encode("utf-16"),
                           content_type="application/sparql-query; charset=UTF-16")
    assert response.status_code == 415
    latin = client.post("/sparql", data='ASK { ?s ?p "é" }'.encode("latin-1"), content_type="application/sparql-query")
    assert latin.status_code == 400


INSERT_NOTE = f'INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ person:sergei-lavrov rdfs:comment "a note" }} }}'
ASK_NOTE = f'ASK {{ GRAPH <{USER_GRAPH}> {{ person:sergei-lavrov rdfs:comment "a note" }} }}'


def test_update_is_refused_at_the_query_endpoint(client):
    responses = [
        get(client, INSERT_NOTE),
        client.post("/sparql", data={"update": INSERT_NOTE}),
        client.post("/sparql", data=INSERT_NOTE.encode(), content_type="application/sparql-update"),
        client.post("/sparql", data=INSERT_NOTE.encode(), content_type="application/sparql-query"),
    ]
    for response in responses:
        assert response.status_code == 400
        assert "/update" in response.get_data(as_text=True)
    assert boolean_from(get(client, ASK_NOTE, "application/sparql-results+json")) is False


def test_update_endpoint_is_off_by_default(client):
    response = client.post("/update", data=INSERT_NOTE.encode(), content_type="application/sparql-update",
                           headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert boolean_from(get(client, ASK_NOTE, "application/sparql-results+json")) is False


# --- SPARQL Update with a token -------------------------------------------------------------------

def _update(client, text: str, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/update", data=text.encode(), content_type="application/sparql-update", headers=headers)


def _quad_count(client) -> int:
    response = get(client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                    "application/sparql-results+json")
    return int(rows_from(response)[0][0])


def test_update_needs_the_token(update_app):
    client = update_app.test_client()
    missing = _update(client, INSERT_NOTE, token=None)
    wrong = _update(client, INSERT_NOTE, token="not-the-token")
    odd = _update(client, INSERT_NOTE, token="tökén")
    assert (missing.status_code, wrong.status_code, odd.status_code) == (401, 401, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert boolean_from(get(client, ASK_NOTE, "application/sparql-results+json")) is False
    assert client.get("/update", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_update_into_a_user_graph(update_app):
    client = update_app.test_client()
    before = _quad_count(client)
    response = _update(client, INSERT_NOTE)
    assert response.status_code == 204
    # Every worker sees it (queries go to the workers in turn), in the named graph and in the union.
    for _ in range(4):
        assert boolean_from(get(client, ASK_NOTE, "application/sparql-results+json")) is True
        union = get(client, 'ASK { person:sergei-lavrov rdfs:comment "a note" }', "application/sparql-results+json")
        assert boolean_from(union) is True
    assert _quad_count(client) == before + 1
    # The form encoding works too, and the note can be taken back.
    form = client.post("/update", data={"update": INSERT_NOTE.replace("INSERT DATA", "DELETE DATA")},
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert form.status_code == 204
    assert _quad_count(client) == before


@pytest.mark.parametrize("update", [
    f'INSERT DATA {{ GRAPH <{SOURCE_GRAPH}> {{ person:sergei-lavrov rdfs:comment "vandalism" }} }}',
    "DELETE WHERE { GRAPH ?g { person:sergei-lavrov foaf:name ?name } }",
    "CLEAR ALL",
    f"DROP GRAPH <{ONTOLOGY_GRAPH}>",
    f'INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <http://example.org/x> rdfs:label "ok" }} }} ;\n'
    f"CLEAR GRAPH <{SOURCE_GRAPH}>",
], ids=["insert-curated", "delete-curated", "clear-all", "drop-ontology", "mixed"])
def test_update_touching_a_curated_graph_is_403_and_changes_nothing(update_app, update):
    client = update_app.test_client()
    before = _quad_count(client)
    response = _update(client, update)
    assert response.status_code == 403
    assert "curated" in response.get_data(as_text=True)
    assert _quad_count(client) == before
    name = get(client, "SELECT ?name WHERE { person:sergei-lavrov foaf:name ?name }", "text/csv")
    assert rows_from(name) == [("Sergei Lavrov",)]
    user = get(client, f"ASK {{ GRAPH <{USER_GRAPH}> {{ <http://example.org/x> ?p ?o }} }}",
               "application/sparql-results+json")
    assert boolean_from(user) is False


@pytest.mark.parametrize("update", [
    "LOAD <{remote}> INTO GRAPH <http://example.org/loaded>",
    "LOAD SILENT <{remote}>",
    "INSERT { GRAPH <http://example.org/copied> { ?s ?p ?o } } WHERE { SERVICE <{remote}> { ?s ?p ?o } }",
], ids=["load", "load-silent", "service"])
def test_update_does_not_fetch_from_other_servers(update_app, remote_endpoint, update):
    client = update_app.test_client()
    hits = len(_FakeEndpoint.hits)
    response = _update(client, update.replace("{remote}", remote_endpoint))
    assert response.status_code == 400
    assert "is not allowed" in response.get_data(as_text=True)
    assert len(_FakeEndpoint.hits) == hits


def test_malformed_update_is_400(update_app):
    client = update_app.test_client()
    response = _update(client, "INSERT DATA { oops")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("error at 1:")


# --- service description and dataset --------------------------------------------------------------

def test_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(), format="turtle")
    endpoint = URIRef("http://localhost/sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert not list(graph.subjects(SD.supportedLanguage, SD.SPARQL11Update))  # off without a token
    formats = set(graph.objects(endpoint, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    as_json_ld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert as_json_ld.mimetype == "application/ld+json"
    assert isomorphic(Graph().parse(data=as_json_ld.get_data(), format="json-ld"), graph)
    # A browser asking for the endpoint itself gets the query UI.
    assert client.get("/sparql", headers={"Accept": BROWSER}).status_code in (302, 303)


def test_service_description_announces_update_with_a_token(update_app):
    response = update_app.test_client().get("/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.get_data(), format="turtle")
    update = URIRef("http://localhost/update")
    assert (update, SD.endpoint, update) in graph
    assert (update, SD.supportedLanguage, SD.SPARQL11Update) in graph


def test_default_graph_uri(client, kg):
    sizes = kg.graph_sizes()
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    response = get(client, query, "text/csv", **{"default-graph-uri": ONTOLOGY_GRAPH})
    assert rows_from(response) == [(str(sizes[ONTOLOGY_GRAPH]),)]
    both = get(client, query, "text/csv", **{"default-graph-uri": [ONTOLOGY_GRAPH, SOURCE_GRAPH]})
    assert int(rows_from(both)[0][0]) == sizes[ONTOLOGY_GRAPH] + sizes[SOURCE_GRAPH]  # no shared triples
    # With no protocol dataset, the default graph is the union of every graph (set semantics).
    union = int(rows_from(get(client, query, "text/csv"))[0][0])
    assert union >= max(sizes.values())


def test_named_graph_uri(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = get(client, query, "text/csv", **{"named-graph-uri": [SOURCE_GRAPH, ONTOLOGY_GRAPH]})
    assert rows_from(response) == sorted([(ONTOLOGY_GRAPH,), (SOURCE_GRAPH,)])
    # With only named graphs given, the default graph is empty.
    empty = get(client, "ASK { ?s ?p ?o }", "application/sparql-results+json",
                **{"named-graph-uri": SOURCE_GRAPH})
    assert boolean_from(empty) is False
    by_form = client.post("/sparql", data={"query": query, "named-graph-uri": SOURCE_GRAPH},
                          headers={"Accept": "text/csv"})
    assert rows_from(by_form) == [(SOURCE_GRAPH,)]


# --- caps -----------------------------------------------------------------------------------------

def test_row_cap(strict_app):
    client = strict_app.test_client()
    capped = get(client, PEOPLE, "application/sparql-results+json")
    assert capped.status_code == 200
    assert len(rows_from(capped)) == 3
    assert capped.headers["X-Result-Truncated"].startswith("true")
    small = get(client, PEOPLE + " LIMIT 2", "application/sparql-results+json")
    assert len(rows_from(small)) == 2
    assert "X-Result-Truncated" not in small.headers
    graph = get(client, "CONSTRUCT WHERE { person:sergei-lavrov ?p ?o }", "application/n-triples")
    assert len(graph_from(graph)) == 3
    assert "X-Result-Truncated" in graph.headers


def test_query_length_cap(strict_app):
    client = strict_app.test_client()
    long_query = ASK_LAVROV + " #" + "x" * 700
    response = client.post("/sparql", data={"query": long_query})
    assert response.status_code == 400
    assert "limit is 600" in response.get_data(as_text=True)


def test_body_size_cap(strict_app):
    client = strict_app.test_client()
    padded = ASK_LAVROV + " #" + "x" * 5000
    assert client.post("/sparql", data={"query": padded}).status_code == 413
    response = client.post("/sparql", data=padded.encode(), content_type="application/sparql-query")
    assert response.status_code == 413
    assert "4000 bytes" in response.get_data(as_text=True)


# --- SERVICE --------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
])
def test_service_is_refused_by_default(client, query):
    response = get(client, query)
    assert response.status_code == 400
    assert "SERVICE <http://example.org/sparql> is not allowed" in response.get_data(as_text=True)


def test_service_with_a_variable_endpoint_is_refused(client):
    response = get(client, "SELECT * WHERE { ?e a ekg:Event SERVICE ?e { ?s ?p ?o } }")
    assert response.status_code == 400
    assert "variable" in response.get_data(as_text=True)


def test_service_allowlist(strict_app, remote_endpoint):
    client = strict_app.test_client()
    allowed = get(client, f"SELECT ?remote WHERE {{ SERVICE <{remote_endpoint}> {{ ?x ?y ?remote }} }}", "text/csv")
    assert "not allowed" not in allowed.get_data(as_text=True)
    assert allowed.status_code == 200
    assert rows_from(allowed) == [("from afar",)]
    # A prefix allows only IRIs under it, not a look-alike host.
    host = remote_endpoint.rsplit("/", 1)[0]
    for other in ("http://example.org/sparql", host + ".evil.example/sparql"):
        refused = get(client, f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}")
        assert refused.status_code == 400
        assert f"SERVICE <{other}> is not allowed" in refused.get_data(as_text=True)


# --- HTTP caching, CORS, CSP ------------------------------------------------------------------------

def test_etag_last_modified_and_304(client):
    first = get(client, PEOPLE, "text/csv")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Last-Modified"].endswith("GMT")
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/sparql?" + urlencode({"query": PEOPLE}), headers={"Accept": "text/csv",
                                                                          "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    other = get(client, PEOPLE, "application/sparql-results+json")
    assert other.headers["ETag"] != etag  # the format is part of the representation
    posted = client.post("/sparql", data={"query": PEOPLE}, headers={"If-None-Match": etag})
    assert posted.status_code == 200
    assert posted.headers["Cache-Control"] == "no-store"


def test_cors(client):
    origin = "https://example.org"

    def allowed(response) -> bool:
        # flask-cors echoes the origin (with Vary: Origin) when any origin is allowed.
        return response.headers.get("Access-Control-Allow-Origin") in ("*", origin)

    assert allowed(client.get("/sparql?" + urlencode({"query": ASK_LAVROV}), headers={"Origin": origin}))
    assert allowed(client.post("/sparql", data={"query": ASK_LAVROV}, headers={"Origin": origin}))
    assert allowed(client.get("/id/person/sergei-lavrov", headers={"Origin": origin, "Accept": "text/turtle"}))
    preflight = client.options("/sparql", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})
    assert allowed(preflight)
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    # The update endpoint is not opened to other origins.
    assert "Access-Control-Allow-Origin" not in client.post("/update", headers={"Origin": origin}).headers


@pytest.mark.parametrize("path", ["/", "/sparql?" + urlencode({"query": PEOPLE}), "/id/person/sergei-lavrov",
                                  "/download", "/validate", "/id/person/nobody-at-all"])
def test_content_security_policy_on_html_pages(client, path):
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.mimetype == "text/html"
    policy = {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_access_log_line_per_request(client, caplog):
    """One line per request, written by the access log's own thread (so it may come a little later)."""
    marker = "access-log-marker"
    with caplog.at_level("INFO", logger="eurasia_kg.access"):
        get(client, ASK_LAVROV + f" # {marker}")
        client.get(f"/id/person/sergei-lavrov?{marker}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [r.getMessage() for r in caplog.records
                     if r.name == "eurasia_kg.access" and marker in r.getMessage()]
            if len(lines) >= 2:
                break
            time.sleep(0.02)
    assert len(lines) == 2
    assert '"GET /sparql?query=' in lines[0] and " 200 " in lines[0]
    assert '"GET /id/person/sergei-lavrov?' in lines[1]


# --- metrics --------------------------------------------------------------------------------------

def _metric(client, sample_name: str, **labels) -> float:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    total = 0.0
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_metrics_count_requests(app):
    client = app.test_client()
    before = _metric(client, "ekg_http_requests_total", endpoint="/sparql", status="200")
    for _ in range(3):
        get(client, ASK_LAVROV)
    get(client, "ASK {")
    assert _metric(client, "ekg_http_requests_total", endpoint="/sparql", status="200") == before + 3
    assert _metric(client, "ekg_http_requests_total", endpoint="/sparql", status="400") >= 1
    assert _metric(client, "ekg_errors_total", kind="400") >= 1
    assert _metric(client, "ekg_http_request_duration_seconds_count", endpoint="/sparql") >= before + 4


# --- the timeout ----------------------------------------------------------------------------------

def test_timeout_stops_the_query_while_others_get_answers(strict_app, kg):
    """A query that never yields a row is stopped at the timeout with a 503, while requests on
    another thread keep getting 200s; the killed worker is replaced and later queries succeed."""
    pool = strict_app.extensions["ekg"].pool
    client = strict_app.test_client()
    people = len(kg.select("SELECT ?p WHERE { ?p a ekg:Person }").rows)
    timeouts_before = _metric(client, "ekg_query_timeouts_total")
    slow: dict = {}

    def run_slow() -> None:
        slow["response"] = strict_app.test_client().get("/sparql?" + urlencode({"query": CARTESIAN}))

    thread = threading.Thread(target=run_slow)
    thread.start()
    during = []
    while thread.is_alive():
        response = get(client, COUNT_PEOPLE, "text/csv")
        if thread.is_alive():  # answered while the slow query was still held up
            during.append((response.status_code, rows_from(response)))
    thread.join()

    assert slow["response"].status_code == 503
    assert "timeout" in slow["response"].get_data(as_text=True)
    assert during, "no request was answered while the slow query ran"
    assert all(answer == (200, [(str(people),)]) for answer in during)
    assert _metric(client, "ekg_query_timeouts_total") == timeouts_before + 1

    # The killed worker was replaced: every live worker is free again, and at least `workers` of them.
    deadline = time.monotonic() + 60
    while not (pool.idle_workers() >= 2 and pool.idle_workers() == pool.live_workers()) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle_workers() >= 2 and pool.idle_workers() == pool.live_workers()
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(strict_app.test_client(), COUNT_PEOPLE, "text/csv")))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(r.status_code, rows_from(r)) for r in results] == [(200, [(str(people),)])] * 4


# --- the rdflib engine ----------------------------------------------------------------------------

def test_rdflib_engine_gives_the_same_rows(built, settings, client, kg, remote_endpoint):
    rdflib_app = _make_app(settings, engine="rdflib", workers=1)
    try:
        rdflib_client = rdflib_app.test_client()
        for accept in ("application/sparql-results+json", "text/csv"):
            ours = rows_from(get(rdflib_client, PEOPLE, accept))
            assert ours == rows_from(get(client, PEOPLE, accept)) == expected_people(kg)
        assert boolean_from(get(rdflib_client, ASK_LAVROV, "application/sparql-results+json")) is True
        assert set(graph_from(get(rdflib_client, VISITS, "text/turtle"))) == expected_graph(kg, VISITS)
        named = get(rdflib_client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "text/csv",
                    **{"named-graph-uri": SOURCE_GRAPH})
        assert rows_from(named) == [(SOURCE_GRAPH,)]
        # FROM names a graph of the dataset; neither engine fetches it from the web.
        hits = len(_FakeEndpoint.hits)
        for engine_client in (rdflib_client, client):
            remote = get(engine_client, f"SELECT * FROM <{remote_endpoint}> WHERE {{ ?s ?p ?o }}", "text/csv")
            assert (remote.status_code, rows_from(remote)) == (200, [])
            from_graph = get(engine_client, f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}",
                             "text/csv")
            assert rows_from(from_graph) == [(str(kg.graph_sizes()[ONTOLOGY_GRAPH]),)]
        assert len(_FakeEndpoint.hits) == hits
    finally:
        _close(rdflib_app)


# --- HEAD, negotiation errors, truncation in the body, TriG documents -----------------------------

SAMPLES = {"rest": "person/sergei-lavrov", "name": "eurasia-kg.ttl", "fmt": "csv", "filename": "ui.js"}


def _sample_path(rule) -> str | None:
    path = rule.rule
    for argument in rule.arguments:
        if argument not in SAMPLES:
            return None
        path = path.replace(f"<{argument}>", SAMPLES[argument]).replace(f"<path:{argument}>", SAMPLES[argument])
    return path


def test_head_answers_every_get_route_as_get_does(app):
    client = app.test_client()
    paths = sorted({p for rule in app.url_map.iter_rules() if "GET" in rule.methods
                    if (p := _sample_path(rule)) is not None})
    paths.append("/sparql?" + urlencode({"query": ASK_LAVROV}))
    assert len(paths) > 15
    for path in paths:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, path
        assert head.headers.get("Content-Type") == got.headers.get("Content-Type"), path
        assert head.get_data() == b"", path


def test_406_carries_vary_accept(client):
    for response in (get(client, PEOPLE, "image/png"), client.get("/id/person/sergei-lavrov", headers={"Accept":
                                                                                                      "image/png"})):
        assert response.status_code == 406
        assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("value", ["png", "application/nonsense", "json-but-not-quite"])
def test_unknown_format_parameter_is_400(client, value):
    response = client.get("/sparql?" + urlencode({"query": PEOPLE, "format": value}))
    assert response.status_code == 400
    assert "unknown format" in response.get_data(as_text=True)


def test_truncation_is_said_inside_json_and_xml_bodies(strict_app):
    client = strict_app.test_client()
    body = json.loads(get(client, PEOPLE, "application/sparql-results+json").get_data())
    assert body["truncated"] is True
    assert body["head"]["link"] == ["https://w3id.org/eurasia-kg/ontology#resultTruncated"]
    assert len(body["results"]["bindings"]) == 3
    root = ET.fromstring(get(client, PEOPLE, "application/sparql-results+xml").get_data())
    assert [link.get("href") for link in root.iter(f"{SRX}link")] == [
        "https://w3id.org/eurasia-kg/ontology#resultTruncated"]
    parsed = ox.parse_query_results(get(client, PEOPLE, "application/sparql-results+xml").get_data(),
                                    format=ox.QueryResultsFormat.XML)
    assert len(list(parsed)) == 3  # still valid SPARQL XML
    untruncated = json.loads(get(client, PEOPLE + " LIMIT 2", "application/sparql-results+json").get_data())
    assert "truncated" not in untruncated and "link" not in untruncated["head"]


@pytest.mark.parametrize("path", ["/.well-known/void", "/ontology"])
def test_trig_documents_put_their_triples_in_the_default_graph(client, path):
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    trig = client.get(path, headers={"Accept": "application/trig"})
    assert trig.status_code == 200 and trig.mimetype == "application/trig"
    quads = list(ox.parse(trig.get_data(), format=ox.RdfFormat.TRIG))
    assert quads and all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
    dataset = Dataset()
    dataset.parse(data=trig.get_data(), format="trig")
    assert len(dataset.default_graph) == len(quads)
    assert isomorphic(Graph().parse(data=turtle.get_data(), format="turtle"),
                      Graph().parse(data=trig.get_data(), format="trig"))


def test_the_front_cache_replays_the_same_answer(app):
    client = app.test_client()
    query = PEOPLE + " # front-cache-test"
    hits = _metric(client, "ekg_cache_hits_total")
    first = get(client, query, "application/sparql-results+json")
    second = get(client, query, "application/sparql-results+json")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_data() == first.get_data() and second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert _metric(client, "ekg_cache_hits_total") == hits + 1
    other_format = get(client, query, "text/csv")  # another Accept: not the cached answer
    assert other_format.mimetype == "text/csv"
    assert _metric(client, "ekg_cache_hits_total") == hits + 1
    conditional = client.get("/sparql?" + urlencode({"query": query}), headers={
        "Accept": "application/sparql-results+json", "If-None-Match": first.headers["ETag"]})
    assert conditional.status_code == 304
    head = client.head("/sparql?" + urlencode({"query": query}), headers={"Accept": "application/sparql-results+json"})
    assert head.status_code == 200 and head.get_data() == b""
