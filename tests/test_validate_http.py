"""POST /validate: the caller's RDF checked against the project's SHACL shapes, over HTTP."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from eurasia_kg.config import Settings
from eurasia_kg.web import create_app

from .conftest import FIXTURES, ROOT
from .test_linked_data import BROWSER, parse_html, text_of

SH = Namespace("http://www.w3.org/ns/shacl#")
AGENT = URIRef("https://w3id.org/eurasia-kg/id/test-agent")
PREAMBLE = """@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> .
@prefix ex: <https://w3id.org/eurasia-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
# Fictional test data, not facts about the world.
CONFORMING = PREAMBLE + 'ex:test-agent a ekg:Agent ;\n    rdfs:label "Test agent"@en .\n'
INVALID = FIXTURES / "invalid" / "agent-without-english-label.ttl"
BROKEN = FIXTURES / "broken" / "bad-syntax.ttl"
MAX_BODY = 50_000


def _expected_message(path) -> str:
    return next(line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                if line.startswith("# expect:"))


@pytest.fixture(scope="module")
def client():
    # Validation needs no query data: an empty dist/ will do.
    app = create_app(Settings(root=ROOT, dist=ROOT / "no-such-dist", workers=1, max_body=MAX_BODY))
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["ekg"].pool.close()


def _as(turtle: str, fmt: str) -> bytes:
    return Graph().parse(data=turtle, format="turtle").serialize(format=fmt, encoding="utf-8")


BODIES = {
    "text/turtle": lambda turtle: turtle.encode(),
    "application/n-triples": lambda turtle: _as(turtle, "nt"),
    "application/ld+json": lambda turtle: _as(turtle, "json-ld"),
    "application/rdf+xml": lambda turtle: _as(turtle, "xml"),
}


def validate(client, body: bytes, content_type: str, accept: str = "application/json"):
    return client.post("/validate", data=body, content_type=content_type, headers={"Accept": accept})


@pytest.mark.parametrize("content_type", sorted(BODIES))
def test_conforming_data(client, content_type):
    response = validate(client, BODIES[content_type](CONFORMING), content_type)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    report = response.get_json()
    assert report == {"conforms": True, "violations": 0, "results": []}


@pytest.mark.parametrize("content_type", sorted(BODIES))
def test_data_that_does_not_conform(client, content_type):
    response = validate(client, BODIES[content_type](INVALID.read_text()), content_type)
    assert response.status_code == 200
    report = json.loads(response.get_data())
    assert report["conforms"] is False
    assert report["violations"] >= 1
    findings = [r for r in report["results"] if r["focus"] == str(AGENT)]
    assert findings
    assert any(r["message"] == _expected_message(INVALID) and r["severity"] == "Violation" for r in findings)


def test_report_as_turtle(client):
    response = validate(client, INVALID.read_bytes(), "text/turtle", accept="text/turtle")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    report = Graph().parse(data=response.get_data(), format="turtle")
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    assert report.value(node, SH.conforms) == Literal(False)
    results = list(report.objects(node, SH.result))
    assert AGENT in {report.value(r, SH.focusNode) for r in results}
    assert _expected_message(INVALID) in {str(report.value(r, SH.resultMessage)) for r in results}

    fine = Graph().parse(data=validate(client, CONFORMING.encode(), "text/turtle", "text/turtle").get_data(),
                         format="turtle")
    assert fine.value(next(fine.subjects(RDF.type, SH.ValidationReport)), SH.conforms) == Literal(True)


def test_report_as_html_for_browsers(client):
    response = validate(client, INVALID.read_bytes(), "text/turtle", accept=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = parse_html(response.get_data(as_text=True))
    assert text_of(page.find(".//h2[@id='verdict']")) == "Does not conform"
    rows = [[text_of(td) for td in tr.iter("td")] for tr in page.find(".//table/tbody").iter("tr")]
    assert ["Violation", str(AGENT)] in [row[:2] for row in rows]
    assert _expected_message(INVALID) in [row[3] for row in rows]


def test_upload_from_the_form(client):
    response = client.post("/validate", headers={"Accept": BROWSER}, content_type="multipart/form-data",
                           data={"file": (INVALID.open("rb"), "mine.ttl")})
    page = parse_html(response.get_data(as_text=True))
    assert text_of(page.find(".//h2[@id='verdict']")) == "Does not conform"
    pasted = client.post("/validate", headers={"Accept": BROWSER}, data={"data": CONFORMING})
    assert text_of(parse_html(pasted.get_data(as_text=True)).find(".//h2[@id='verdict']")) == "Conforms"


def test_parse_error_names_the_line(client):
    expected_line = int(next(line.split(":", 1)[1] for line in BROKEN.read_text().splitlines()
                             if line.startswith("# error-line:")))
    response = validate(client, BROKEN.read_bytes(), "text/turtle", accept="text/turtle")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert f"line {expected_line}" in response.get_data(as_text=True)
    as_json = validate(client, BROKEN.read_bytes(), "text/turtle")
    assert as_json.status_code == 400
    assert as_json.get_json()["line"] == expected_line
    nt = validate(client, b'<http://a> <http://b> <http://c> .\n<http://a> <http://b> "open .\n',
                  "application/n-triples")
    assert nt.status_code == 400
    assert nt.get_json()["line"] == 2


def test_remote_json_ld_context_is_refused(client):
    body = json.dumps({"@context": "https://schema.org/", "@id": "https://example.org/x", "name": "x"}).encode()
    response = validate(client, body, "application/ld+json")
    assert response.status_code == 400
    assert "@context 'https://schema.org/' is remote; it was not fetched" in response.get_json()["error"]


def test_body_over_the_limit_is_413(client):
    body = CONFORMING.encode() + b"#" * MAX_BODY
    response = validate(client, body, "text/turtle")
    assert response.status_code == 413
    assert f"{MAX_BODY} bytes" in response.get_data(as_text=True)


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", None])
def test_unknown_content_type_is_415(client, content_type):
    response = validate(client, CONFORMING.encode(), content_type)
    assert response.status_code == 415


def test_format_parameter_for_an_unlabelled_body(client):
    response = client.post("/validate?format=turtle", data=CONFORMING.encode(), content_type="application/octet-stream",
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json()["conforms"] is True
