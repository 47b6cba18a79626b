"""The real server process (waitress), on 127.0.0.1, queried by SPARQLWrapper and by plain HTTP."""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from SPARQLWrapper import CSV, JSON, RDFXML, TURTLE, SPARQLWrapper

from eurasia_kg.config import ID_BASE, PREFIXES

from .conftest import ROOT
from .running_server import wait_until_answering

EKG = Namespace("https://w3id.org/eurasia-kg/ontology#")
FOAF = Namespace(PREFIXES["foaf"])
LAVROV = URIRef(ID_BASE + "person/sergei-lavrov")
PREFIX_EKG = "PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
PEOPLE = PREFIX_EKG + "SELECT ?person ?name WHERE { ?person a ekg:Person ; foaf:name ?name } ORDER BY ?name ?person"
READY = re.compile(r"eurasia-kg ready in [\d.]+ s: http://127\.0\.0\.1:(\d+)/")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(built, settings, tmp_path_factory):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("EURASIA_KG_UPDATE_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "eurasia_kg.cli", "serve", "--dist", str(settings.dist_dir), "--root", str(ROOT),
         "--port", str(port), "--host", "127.0.0.1", "--workers", "2",
         "--store", str(tmp_path_factory.mktemp("server-store") / "store")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    log: list[str] = []  # every line the server writes, read by a thread so that the pipe never fills
    ready: queue.Queue[re.Match | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            log.append(line)
            match = READY.search(line)
            if match:
                ready.put(match)
        ready.put(None)  # the output ended: the server stopped

    threading.Thread(target=pump, daemon=True).start()
    try:
        match = ready.get(timeout=60)
    except queue.Empty:
        match = None
    if match is None:
        process.kill()
        pytest.fail("the server did not say it was ready:\n" + "".join(log))
    base = f"http://127.0.0.1:{port}"
    # It said so; now it must answer.
    wait_until_answering(base + "/sparql", timeout=30)
    yield {"base": base, "port": port, "ready_line": match.group(0), "process": process, "log": log}
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    process.stdout.close()


def _endpoint(server, return_format: str, method: str = "GET") -> SPARQLWrapper:
    wrapper = SPARQLWrapper(server["base"] + "/sparql")
    wrapper.setReturnFormat(return_format)
    wrapper.setMethod(method)
    wrapper.setTimeout(30)
    return wrapper


def test_startup_line_says_ready(server):
    assert server["ready_line"].endswith(f"http://127.0.0.1:{server['port']}/")
    assert server["process"].poll() is None


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(server, kg, method):
    wrapper = _endpoint(server, JSON, method)
    wrapper.setQuery(PEOPLE)
    result = wrapper.queryAndConvert()
    assert result["head"]["vars"] == ["person", "name"]
    rows = [(b["person"]["value"], b["name"]["value"]) for b in result["results"]["bindings"]]
    expected = [(row[0].value, row[1].value) for row in kg.select(PEOPLE).rows]
    assert rows == expected
    assert ("https://w3id.org/eurasia-kg/id/person/sergei-lavrov", "Sergei Lavrov") in rows


def test_sparqlwrapper_select_csv(server, kg):
    wrapper = _endpoint(server, CSV)
    wrapper.setQuery(PEOPLE)
    header, *rows = list(csv.reader(io.StringIO(wrapper.queryAndConvert().decode("utf-8"))))
    assert header == ["person", "name"]
    assert [tuple(row) for row in rows] == [(r[0].value, r[1].value) for r in kg.select(PEOPLE).rows]


def test_sparqlwrapper_ask(server):
    wrapper = _endpoint(server, JSON)
    wrapper.setQuery(PREFIX_EKG + f"ASK {{ <{LAVROV}> a ekg:Person }}")
    assert wrapper.queryAndConvert()["boolean"] is True
    wrapper.setQuery(PREFIX_EKG + f"ASK {{ <{LAVROV}> a ekg:Place }}")
    assert wrapper.queryAndConvert()["boolean"] is False


def test_sparqlwrapper_construct_into_rdflib(server):
    query = PREFIX_EKG + f"CONSTRUCT {{ <{LAVROV}> ?p ?o }} WHERE {{ <{LAVROV}> ?p ?o }}"
    wrapper = _endpoint(server, RDFXML)
    wrapper.setQuery(query)
    graph = wrapper.queryAndConvert()  # an rdflib graph, parsed by SPARQLWrapper from RDF/XML
    assert (LAVROV, FOAF.name, Literal("Sergei Lavrov")) in graph
    assert (LAVROV, EKG.wikidata, URIRef("http://www.wikidata.org/entity/Q58217")) in graph

    as_turtle = _endpoint(server, TURTLE, "POST")
    as_turtle.setQuery(query)
    turtle = Graph().parse(data=as_turtle.queryAndConvert(), format="turtle")
    assert set(turtle) == set(graph)


def test_sparqlwrapper_sees_errors(server):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    wrapper = _endpoint(server, JSON)
    wrapper.setQuery("SELECT * WHERE { ?s ?p ")
    with pytest.raises(QueryBadFormed):
        wrapper.queryAndConvert()


def _http(server, path: str, accept: str | None = None, data: bytes | None = None,
          content_type: str | None = None):
    headers = {k: v for k, v in (("Accept", accept), ("Content-Type", content_type)) if v}
    request = urllib.request.Request(server["base"] + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_plain_http(server, kg):
    status, headers, body = _http(server, "/sparql?" + urlencode({"query": PEOPLE}), accept="text/csv")
    assert status == 200
    assert headers.get_content_type() == "text/csv"
    assert headers["Vary"] == "Accept"
    assert headers["Server"].startswith("eurasia-kg")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))[1:]
    assert [tuple(r) for r in rows] == [(r[0].value, r[1].value) for r in kg.select(PEOPLE).rows]

    status, headers, body = _http(server, "/sparql", accept="application/sparql-results+json",
                                  data=f"ASK {{ <{LAVROV}> ?p ?o }}".encode(), content_type="application/sparql-query")
    assert (status, json.loads(body)["boolean"]) == (200, True)

    status, headers, body = _http(server, "/id/person/sergei-lavrov.ttl")
    assert status == 200
    assert (LAVROV, FOAF.name, Literal("Sergei Lavrov")) in Graph().parse(data=body, format="turtle")

    status, headers, _ = _http(server, "/", accept="text/html")
    assert status == 200 and headers.get_content_type() == "text/html"
    assert "default-src 'self'" in headers["Content-Security-Policy"]

    assert _http(server, "/sparql?query=ASK%20%7B", accept="application/sparql-results+json")[0] == 400
    assert _http(server, "/id/person/nobody-at-all", accept="text/turtle")[0] == 404
    assert _http(server, "/update", data=b"CLEAR ALL", content_type="application/sparql-update")[0] == 404


def test_concurrent_clients(server, kg):
    expected = [(r[0].value, r[1].value) for r in kg.select(PEOPLE).rows]
    results: list = []

    def client(n: int) -> None:
        wrapper = _endpoint(server, JSON, "POST" if n % 2 else "GET")
        wrapper.setQuery(PEOPLE + f" LIMIT {100 + n}")  # distinct queries, so no cache hit
        bindings = wrapper.queryAndConvert()["results"]["bindings"]
        results.append([(b["person"]["value"], b["name"]["value"]) for b in bindings])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def test_access_log_line_per_request(server):
    marker = "access-log-marker"
    _http(server, "/sparql?" + urlencode({"query": f"ASK {{}} # {marker}"}), accept="application/sparql-results+json")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in server["log"] if marker in line]
        if lines:
            break
        time.sleep(0.05)
    assert len(lines) == 1
    assert '"GET /sparql?query=' in lines[0]
    assert " 200 " in lines[0]
