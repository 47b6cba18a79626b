"""The W3C SPARQL 1.1 Protocol tests, run by our own runner against the Flask app.

The manifest (``../shared/w3c-rdf-tests/sparql/sparql11/protocol/manifest.ttl``) encodes each test
as one or more HTTP requests (``ht:Request``) with the expected response (``mf:expectedStatus``,
``mf:expectedFormat``, ``mf:expectedBoolean``). Every ``ht:absolutePath`` starts with ``/sparql/``;
as the manifest allows, the runner replaces that prefix with this server's paths: ``/sparql`` for
query requests and ``/update`` for update requests (an update test's own follow-up query goes to
``/sparql``).

Two apps serve the tests, each over a temporary dist/ whose N-Quads hold data1–3.nt in the graphs
the tests name (``ut:graphData``), with the default graph kept separate (``union_default_graph``
off): one read-only (no update token, the default), for the query tests; and one with an update
token, for the update tests, whose requests carry ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from eurasia_kg.config import Settings
from eurasia_kg.web import create_app

from .conftest import ROOT, SHARED, shared_or_skip

PROTOCOL_DIR = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11" / "protocol"
MANIFEST = PROTOCOL_DIR / "manifest.ttl"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

QUERY_PATH = "/sparql"
UPDATE_PATH = "/update"
TOKEN = "w3c-protocol-test-token"

# Tests this server does not take part in, with the reason. Every test in the manifest currently
# applies: SPARQL Update is run with a token configured (it is off by default), and all pass.
NOT_APPLICABLE: dict[str, str] = {}

RESULT_TYPES = {
    "application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
RDF_TYPES = {
    "text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
    "application/rdf+xml": "xml", "application/trig": "trig",
}


@dataclass
class Expected:
    status_classes: set[str]  # "2", "3", "4", "5"
    format: str | None = None  # "boolean", "tabular" or "RDF"
    boolean: bool | None = None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class ProtocolTest:
    name: str  # the local name, e.g. query_post_form
    title: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)  # (file, graph IRI)

    @property
    def is_update(self) -> bool:
        return "update" in self.name


def _list(graph: Graph, head) -> list:
    return list(Collection(graph, head)) if head is not None else []


def _request(graph: Graph, node) -> Request:
    headers = {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
               for h in _list(graph, graph.value(node, HT.headers))}
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    resp = graph.value(node, HT.resp)
    classes = set()
    for status in graph.objects(resp, MF.expectedStatus):
        match = re.search(r"StatusCode(\d)xx$", str(status))
        assert match, f"unknown expected status {status}"
        classes.add(match.group(1))
    fmt = graph.value(resp, MF.expectedFormat)
    boolean = graph.value(resp, MF.expectedBoolean)
    return Request(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)), headers, body,
                   Expected(classes, str(fmt) if fmt is not None else None,
                            boolean.toPython() if boolean is not None else None))


def load_manifest(path: Path) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle", publicID=BASE)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in _list(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = [_request(graph, r) for r in _list(graph, graph.value(action, HT.requests))]
        graph_data = []
        for data in graph.objects(entry, UT.graphData):
            file_iri = str(graph.value(data, UT.graph))
            graph_data.append((path.parent / file_iri.rsplit("/", 1)[-1], str(graph.value(data, RDFS.label))))
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[-1], str(graph.value(entry, MF.name)), requests,
                                  sorted(graph_data)))
    return tests


TESTS = load_manifest(MANIFEST) if MANIFEST.is_file() else []


def _dist_with(tests: list[ProtocolTest], dist: Path) -> Path:
    """A dist/ whose eurasia-kg.nq holds every test's graph data in the graph it names."""
    dist.mkdir(parents=True)
    quads = []
    for path, graph_iri in sorted({gd for t in tests for gd in t.graph_data}):
        for triple in Graph().parse(path, format="nt"):
            quads.append(" ".join(term.n3() for term in (*triple, URIRef(graph_iri))) + " .\n")
    assert quads, "the manifest names graph data"
    (dist / "eurasia-kg.nq").write_text("".join(quads), encoding="utf-8")
    return dist


@pytest.fixture(scope="module")
def manifest() -> list[ProtocolTest]:
    shared_or_skip(MANIFEST)
    return TESTS


@pytest.fixture(scope="module")
def w3c_dist(manifest, tmp_path_factory) -> Path:
    return _dist_with(manifest, tmp_path_factory.mktemp("w3c") / "dist")


def _app(dist: Path, **settings):
    app = create_app(Settings(root=ROOT, dist=dist, workers=1, union_default_graph=False, cache_bytes=0, **settings))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def query_client(w3c_dist):
    app = _app(w3c_dist)
    yield app.test_client()
    app.extensions["ekg"].pool.close()


@pytest.fixture(scope="module")
def update_client(w3c_dist):
    app = _app(w3c_dist, update_token=TOKEN)
    yield app.test_client()
    app.extensions["ekg"].pool.close()


def _is_query_request(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/sparql-query"):
        return True
    text = (request.body or b"").decode("utf-8", "replace") if content_type.startswith(
        "application/x-www-form-urlencoded") else ""
    return bool(re.search(r"(^|[?&])query=", request.path + "&" + text))


def _path_for(test: ProtocolTest, request: Request) -> str:
    assert request.path.startswith("/sparql/"), request.path
    rest = request.path[len("/sparql/"):]
    target = UPDATE_PATH if test.is_update and not _is_query_request(request) else QUERY_PATH
    return target + rest


def check_response(response, expected: Expected) -> None:
    status_class = str(response.status_code)[0]
    assert status_class in expected.status_classes, (
        f"status {response.status_code}, expected {sorted(expected.status_classes)}xx: "
        f"{response.get_data(as_text=True)[:500]}")
    if expected.format is None:
        return
    media_type = response.mimetype
    body = response.get_data()
    if expected.format == "RDF":
        assert media_type in RDF_TYPES, f"{media_type} is not an RDF format"
        Graph().parse(data=body, format=RDF_TYPES[media_type])  # must parse
        return
    assert media_type in RESULT_TYPES, f"{media_type} is not a SPARQL results format"
    kind = RESULT_TYPES[media_type]
    if expected.format == "boolean":
        assert kind in ("json", "xml"), f"a boolean result needs SPARQL JSON or XML, not {media_type}"
        value = _boolean(body, kind)
        if expected.boolean is not None:
            assert value is expected.boolean
    else:
        assert expected.format == "tabular", expected.format
        _table(body, kind)


def _boolean(body: bytes, kind: str) -> bool:
    if kind == "json":
        data = json.loads(body)
        assert isinstance(data["boolean"], bool)
        return data["boolean"]
    root = ET.fromstring(body)
    element = root.find(f"{SRX}boolean")
    assert element is not None and element.text in ("true", "false")
    return element.text == "true"


def _table(body: bytes, kind: str) -> list[dict]:
    if kind == "json":
        data = json.loads(body)
        assert isinstance(data["head"]["vars"], list)
        return data["results"]["bindings"]
    if kind == "xml":
        root = ET.fromstring(body)
        assert root.find(f"{SRX}head") is not None
        return list(root.find(f"{SRX}results"))
    lines = body.decode("utf-8").splitlines()
    assert lines, "an empty table has at least its header line"
    return lines[1:]


@pytest.mark.parametrize("test", TESTS or [None], ids=[t.name for t in TESTS] or ["manifest"])
def test_protocol(test: ProtocolTest | None, manifest, request) -> None:
    assert test is not None
    if test.name in NOT_APPLICABLE:
        pytest.skip(f"not applicable: {NOT_APPLICABLE[test.name]}")
    client = request.getfixturevalue("update_client" if test.is_update else "query_client")
    for number, req in enumerate(test.requests, 1):
        headers = dict(req.headers)
        path = _path_for(test, req)
        if path.startswith(UPDATE_PATH):
            headers["Authorization"] = f"Bearer {TOKEN}"
        response = client.open(path, method=req.method, data=req.body, headers=headers)
        try:
            check_response(response, req.expected)
        except AssertionError as exc:
            raise AssertionError(f"{test.name} ({test.title}), request {number} {req.method} {path}: {exc}") from exc


def test_every_manifest_entry_runs(manifest) -> None:
    """Nothing in the manifest is silently dropped: 34 tests, and only listed ones are not applicable."""
    names = [t.name for t in manifest]
    assert len(names) == len(set(names)) == 34
    assert set(NOT_APPLICABLE) <= set(names)
    assert all(t.requests for t in manifest)
