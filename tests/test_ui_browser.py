"""The query UI and the resource pages in a real browser: Playwright driving Debian's Chromium against the real
server process on 127.0.0.1.

The browser is never downloaded (no `playwright install`): the tests use /usr/bin/chromium. Without it they are
skipped, except when CI is set, where its absence is a failure (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from eurasia_kg.config import GRAPH_BASE, ID_BASE, ONTOLOGY_NS, PREFIXES, SOURCE_BASE
from eurasia_kg.web.ui_views import with_prefixes

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOST = "127.0.0.1"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'
XSS_PERSON = ID_BASE + "person/xss-test"
XSS_OTHER = ID_BASE + "person/xss-other"

# Run in every page before its own scripts: report CSP violations (requests the policy blocks never reach the
# network, so only this sees them) to the test, which keeps them across navigations.
RECORD_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.ekgReportCsp(e.violatedDirective + " " + e.blockedURI);
});
"""


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); browser tests need Debian's Chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the playwright package is missing and CI is set (pip install -e '.[test]')")
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")


# --- The server, as a real process ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(dist: Path) -> Iterator[str]:
    """`eurasia-kg serve` on a free port of 127.0.0.1, serving ``dist``; yields its base URL."""
    port = _free_port()
    base = f"http://{LOCAL_HOST}:{port}"
    log = dist.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "eurasia_kg.cli", "serve", "--dist", str(dist), "--host", LOCAL_HOST,
             "--port", str(port), "--workers", "1", "--store", str(dist.parent / f"store-{port}")],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(base + "/examples.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within 60 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(settings, built) -> Iterator[str]:
    _need_chromium()
    with running_server(settings.dist_dir) as base:
        yield base


def sparql_json(base: str, query: str) -> dict:
    request = urllib.request.Request(base + "/sparql?" + urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


# --- The browser, cut off from everything but 127.0.0.1 -----------------------------------------------

@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Recorder:
    """Every request the browser makes; any to another host is aborted (the network is 'unplugged')."""

    def __init__(self):
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname != LOCAL_HOST:
            self.outside.append(url)
            route.abort()
        else:
            route.continue_()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def page(browser, recorder):
    """A fresh context (empty storage) whose every request is recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.expose_function("ekgReportCsp", lambda violation: recorder.csp.append(violation))
    context.add_init_script(RECORD_CSP)
    context.on("request", lambda request: recorder.requests.append(request.url))
    context.route("**/*", recorder.route)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a wait, not a speed check: CI may share the 2 cores
    page.on("pageerror", lambda error: recorder.errors.append(str(error)))
    yield page
    context.close()


def assert_stayed_home(page, recorder: Recorder, allowed_csp: tuple[str, ...] = ()) -> None:
    assert recorder.requests, "no request was recorded"
    outside = [u for u in recorder.requests if urlsplit(u).scheme in ("http", "https")
               and urlsplit(u).hostname != LOCAL_HOST]
    assert outside == [], f"the browser asked for resources outside 127.0.0.1: {outside}"
    assert recorder.outside == []
    violations = [v for v in recorder.csp if not v.startswith(allowed_csp)]
    assert violations == [], f"the Content-Security-Policy blocked: {violations}"
    assert recorder.errors == [], f"script errors: {recorder.errors}"


def open_ui(page, base: str, path: str = "/") -> None:
    page.goto(base + path)
    page.wait_for_selector(".yasqe .CodeMirror")


def editor_value(page) -> str:
    return page.evaluate("window.ekgQueryUi.yasgui.getTab().getYasqe().getValue()")


def result_rows(page) -> list[list[str]]:
    """The rows of YASR's table, without the row-number column."""
    page.wait_for_selector(".yasr table.dataTable tbody tr")
    return page.evaluate("""() => Array.from(document.querySelectorAll('.yasr table.dataTable tbody tr'))
        .map(tr => Array.from(tr.querySelectorAll('td')).slice(1).map(td => td.innerText.trim()))""")


def wait_for_link(page, selector: str, query: str) -> None:
    """Wait until the link's query parameter is the whole query typed (the UI updates links as one types)."""
    page.wait_for_function("""([selector, query]) => {
        const link = document.querySelector(selector);
        return link !== null && (new URL(link.href).searchParams.get("query") || "").endsWith(query);
    }""", arg=[selector, query])


def type_query(page, query: str) -> None:
    page.click(".yasqe .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(query)
    page.keyboard.press("Escape")  # close any autocompletion hint


# --- (a) type a query, run it, see the rows --------------------------------------------------------------

def test_type_a_query_and_see_the_rows(server, page, recorder):
    open_ui(page, server)
    # Prefixes are pre-declared: the typed query declares none.
    query = ("SELECT ?name WHERE { person:sergei-lavrov rdfs:label ?name . "
             "FILTER (lang(?name) = \"en\") } ORDER BY ?name")
    type_query(page, query)
    # The editor declares the prefixes it knows (from /prefixes.json) as they are typed.
    value = editor_value(page)
    assert value.endswith(query)
    assert value[: -len(query)].splitlines() == [f"PREFIX rdfs: <{PREFIXES['rdfs']}>",
                                                 f"PREFIX person: <{PREFIXES['person']}>"]
    page.click(".yasqe_queryButton")
    assert result_rows(page) == [['"Sergei Lavrov"@en']]
    assert "1 result" in page.inner_text(".yasr_response_chip")

    type_query(page, "SELECT ?person ?name WHERE { ?person a ekg:Person ; rdfs:label ?name "
                     "FILTER (lang(?name) = \"en\") } ORDER BY ?name")
    page.click(".yasqe_queryButton")
    page.wait_for_function("() => document.querySelectorAll('.yasr table.dataTable tbody tr').length > 1")
    expected = sparql_json(server, "SELECT ?person ?name WHERE { ?person a ekg:Person ; rdfs:label ?name "
                                   "FILTER (lang(?name) = \"en\") } ORDER BY ?name")["results"]["bindings"]
    rows = result_rows(page)
    assert len(rows) == len(expected) > 10
    assert [r[1] for r in rows] == [f'"{b["name"]["value"]}"@en' for b in expected]
    assert ["person:sergei-lavrov", '"Sergei Lavrov"@en'] in rows
    assert_stayed_home(page, recorder)


def test_download_links_follow_the_editor(server, page, recorder):
    open_ui(page, server)
    query = "SELECT ?name WHERE { person:sergei-lavrov rdfs:label ?name }"
    type_query(page, query)
    wait_for_link(page, "#downloads a[data-format=csv]", query)
    formats = page.eval_on_selector_all("#downloads a", "links => links.map(a => a.dataset.format)")
    assert formats == ["json", "xml", "csv", "tsv"]
    csv = page.get_attribute("#downloads a[data-format=csv]", "href")
    with urllib.request.urlopen(server + csv, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "Sergei Lavrov" in response.read().decode()

    query = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 5"
    type_query(page, query)
    wait_for_link(page, "#downloads a[data-format=ttl]", query)
    formats = page.eval_on_selector_all("#downloads a", "links => links.map(a => a.dataset.format)")
    assert formats == ["ttl", "nt", "jsonld", "rdfxml", "trig"]
    with page.expect_download() as download:
        page.click("#downloads a[data-format=nt]")
    assert download.value.suggested_filename == "eurasia-kg-result.nt"
    assert "<http://www.w3.org/2000/01/rdf-schema#label>" in Path(download.value.path()).read_text()
    assert_stayed_home(page, recorder)


def test_the_browser_and_the_server_pre_declare_prefixes_alike(server, page, recorder):
    """ui.js adds the PREFIX lines a query needs before it runs or is downloaded; ui_views does the same for the
    links in the page as served. Both must agree, on every example with its own PREFIX lines taken out."""
    open_ui(page, server)
    queries = ['SELECT * { ?s a ekg:Person ; rdfs:label "a:b" ; <http://x.org/a#b> person:x } # foaf:no',
               "ASK { ?s skos:exactMatch ?o FILTER(datatype(?o) = xsd:string) }", "SELECT * { ?s ?p nope:x }"]
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        queries.append("\n".join(line for line in text.splitlines() if not line.upper().startswith("PREFIX")))
    in_browser = page.evaluate("queries => queries.map(q => window.ekgQueryUi.withPrefixes(q))", queries)
    assert in_browser == [with_prefixes(q) for q in queries]
    assert in_browser[0].startswith(f"PREFIX ekg: <{PREFIXES['ekg']}>\n")
    assert_stayed_home(page, recorder)


# --- (b) open an example and run it; permalinks ---------------------------------------------------------

def test_open_an_example_and_run_it(server, page, recorder):
    open_ui(page, server)
    examples = page.locator("a.example")
    assert examples.count() >= 30
    link = page.locator("a.example[data-name='co-attendees']")
    title = link.inner_text().strip()
    link.click()
    text = (ROOT / "queries" / "co-attendees.rq").read_text(encoding="utf-8")
    assert editor_value(page) == text
    assert page.url == server + "/"  # opened in the editor, not by navigating away
    assert page.locator(".yasgui .tabsList .tab.active").inner_text().strip().startswith(title)
    page.click(".yasqe_queryButton")
    rows = result_rows(page)
    expected = sparql_json(server, text)["results"]["bindings"]
    assert 0 < len(expected) <= 50
    assert len(rows) == len(expected)
    assert [r[2:4] for r in rows] == [[f'"{b["personALabel"]["value"]}"@en', f'"{b["personBLabel"]["value"]}"@en']
                                      for b in expected]
    assert_stayed_home(page, recorder)


def test_a_permalink_reproduces_the_query(server, page, recorder):
    open_ui(page, server)
    query = "SELECT ?place WHERE { ?place a ekg:Country } ORDER BY ?place"
    type_query(page, query)
    typed = editor_value(page)
    wait_for_link(page, "#permalink", query)
    permalink = page.get_attribute("#permalink", "href")
    assert urlsplit(permalink).path == "/"

    page.goto(server + permalink)  # as a colleague who was sent the link would
    page.wait_for_selector(".yasqe .CodeMirror")
    assert editor_value(page) == typed
    rows = result_rows(page)  # the permalink runs the query
    expected = sparql_json(server, query)["results"]["bindings"]
    assert len(rows) == len(expected) > 0
    assert_stayed_home(page, recorder)


def test_a_yasgui_share_link_runs_here_whatever_endpoint_it_names(server, page, recorder):
    query = "SELECT ?p WHERE { ?p a ekg:Person } ORDER BY ?p LIMIT 4"
    # YASGUI's own share links carry the endpoint; one naming another server still queries this one.
    open_ui(page, server, "/#" + urlencode({"query": query, "endpoint": "https://dbpedia.org/sparql"}))
    assert editor_value(page) == query
    rows = result_rows(page)
    assert [r[0] for r in rows] == [
        "person:" + b["p"]["value"].rsplit("/", 1)[1] for b in sparql_json(server, query)["results"]["bindings"]]
    assert page.evaluate("window.ekgQueryUi.yasgui.getTab().getEndpoint()") == server + "/sparql"
    assert_stayed_home(page, recorder)


def test_result_iris_open_this_servers_pages(server, page, recorder):
    open_ui(page, server, "/?" + urlencode({"query": "SELECT ?p WHERE { BIND(person:sergei-lavrov AS ?p) }"}))
    result_rows(page)
    page.click(".yasr a.iri")
    page.wait_for_url(server + "/id/person/sergei-lavrov")
    assert page.inner_text("h1") == "Sergei Lavrov"
    assert_stayed_home(page, recorder)


# --- (c) a resource page and a link from it ------------------------------------------------------------

def test_open_a_resource_page_and_follow_a_link(server, page, recorder):
    response = page.goto(server + "/id/person/sergei-lavrov")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page.inner_text("h1") == "Sergei Lavrov"
    link = page.locator("#statements a.iri[href^='/id/post/']").first
    target, label = link.get_attribute("href"), link.inner_text().strip()
    assert target and label
    link.click()
    page.wait_for_url(server + target)
    assert page.inner_text("h1") == label
    # … and back, through the incoming link to the person.
    back = page.locator("a.iri[href='/id/person/sergei-lavrov']").first
    back.click()
    page.wait_for_url(server + "/id/person/sergei-lavrov")
    assert_stayed_home(page, recorder)


# --- (d) nothing leaves 127.0.0.1 ------------------------------------------------------------------------

def test_no_request_leaves_the_server(server, page, recorder):
    """Walk through everything the UI offers, with the outside network cut off, and record every request."""
    open_ui(page, server)
    # Autocompletion: prefixes (YASGUI would ask prefix.cc) and the LOV completers (classes and properties).
    type_query(page, "PREFIX ek")
    page.keyboard.press("Control+Space")
    type_query(page, "SELECT * WHERE { ?s a foaf:Pers")
    page.keyboard.press("Control+Space")
    type_query(page, "SELECT * WHERE { ?s foaf:na")
    page.keyboard.press("Control+Space")
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    # Run, switch result views, open the share popup, add a tab, filter the examples.
    type_query(page, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    page.click(".yasqe_queryButton")
    result_rows(page)
    page.click(".yasr .select_response")
    page.click(".yasr .select_table")
    page.click(".yasqe_share")
    page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    page.click(".yasgui .tabsList .addTab")
    page.fill("#example-filter", "agreement")
    page.locator("a.example").first.click()
    page.locator("details#prefixes summary").click()
    # The other pages.
    for path in ("/id/person/sergei-lavrov", "/validate", "/download",
                 "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})):
        response = page.goto(server + path)
        assert response.status == 200, path
    local = {urlsplit(u).path for u in recorder.requests}
    assert {"/", "/static/ui.js", "/prefixes.json", "/sparql"} <= local
    assert any(p.startswith("/static/vendor/yasgui-") for p in local)
    assert_stayed_home(page, recorder)


# --- (e) the Graph view: CONSTRUCT results and SELECT ?source ?target --------------------------------------

CYTOSCAPE_PATH = "/static/vendor/cytoscape-3.34.4.min.js"
PAIRS_QUERY = (
    "SELECT DISTINCT ?source ?target ?sourceLabel ?targetLabel WHERE { "
    "?event ekg:participant ?source , ?target . FILTER (STR(?source) < STR(?target)) "
    "?source rdfs:label ?sourceLabel . FILTER (lang(?sourceLabel) = \"en\") "
    "?target rdfs:label ?targetLabel . FILTER (lang(?targetLabel) = \"en\") }")
VISITOR_QUERY = "CONSTRUCT { ?e ekg:visitor ?p } WHERE { ?e ekg:visitor ?p }"
NT_IRI_TRIPLE = re.compile(r"^<([^>]*)> <([^>]*)> <([^>]*)> \.$")


def run_query(page, query: str) -> None:
    type_query(page, query)
    assert editor_value(page).endswith(query)
    page.click(".yasqe_queryButton")


def drawn_graph(page) -> dict:
    """The nodes and edges of the Graph view, read from its cytoscape instance (window.__graphView)."""
    page.wait_for_selector(".ekg-graph-canvas[data-state=ready]")
    return page.evaluate("""() => ({
        nodes: window.__graphView.nodes().map(n => ({id: n.id(), label: n.data("label"), href: n.data("href")})),
        edges: window.__graphView.edges().map(e => [e.data("source"), e.data("target"), e.data("label")])})""")


def show_graph(page) -> dict:
    """Switch the results to the Graph view (the table stays the default) and read what it drew."""
    page.wait_for_selector(".yasr .select_graph:not(.disabled)")
    assert page.locator(".yasr .select_table.selected").count() == 1
    page.click(".yasr .select_graph")
    return drawn_graph(page)


def node_point(page, node_id: str) -> tuple[float, float]:
    """Where a node is drawn, in the viewport's coordinates (the graph is scrolled into view first)."""
    page.eval_on_selector(".ekg-graph-canvas", "canvas => canvas.scrollIntoView({block: 'start'})")
    # cytoscape keeps the container's place on the page and refreshes it on scroll events it handles
    # later (debounced): have it look again now, and let a frame pass, or a hover can miss the node.
    page.evaluate("() => new Promise(done => { window.__graphView.resize(); requestAnimationFrame(() => done()); })")
    box = page.locator(".ekg-graph-canvas").bounding_box()
    position = page.evaluate("id => window.__graphView.getElementById(id).renderedPosition()", node_id)
    return box["x"] + position["x"], box["y"] + position["y"]


def nt_triples(base: str, query: str) -> list[tuple[str, str, str]]:
    with urllib.request.urlopen(base + "/sparql?" + urlencode({"query": with_prefixes(query), "format": "nt"}),
                                timeout=30) as response:
        lines = [line.strip() for line in response.read().decode().splitlines() if line.strip()]
    triples = [NT_IRI_TRIPLE.match(line) for line in lines]
    assert all(triples), lines
    return [m.groups() for m in triples]


def test_a_select_with_source_and_target_is_drawn_as_a_graph(server, page, recorder):
    open_ui(page, server)
    run_query(page, PAIRS_QUERY)
    result_rows(page)
    graph = show_graph(page)
    rows = sparql_json(server, with_prefixes(PAIRS_QUERY))["results"]["bindings"]
    pairs = {(r["source"]["value"], r["target"]["value"]) for r in rows}
    labels: dict[str, set[str]] = {}
    for r in rows:
        labels.setdefault(r["source"]["value"], set()).add(r["sourceLabel"]["value"])
        labels.setdefault(r["target"]["value"], set()).add(r["targetLabel"]["value"])
    assert len(pairs) > 5
    # One node per value, one edge per distinct pair, nothing else.
    ids = [n["id"] for n in graph["nodes"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(labels)
    assert sorted((s, t) for s, t, _ in graph["edges"]) == sorted(pairs)
    for node in graph["nodes"]:
        assert node["label"] in labels[node["id"]], node  # named by ?sourceLabel / ?targetLabel
        assert node["href"] == "/id/" + node["id"].removeprefix(ID_BASE)
    assert page.get_attribute(".ekg-graph-canvas", "data-kind") == "pairs"
    assert page.inner_text(".ekg-graph-status").startswith(f"{len(ids)} nodes, {len(pairs)} edges")

    # Pointing at a node names it; clicking it opens the resource's page on this server.
    target = next(n for n in graph["nodes"] if n["id"] == ID_BASE + "person/sergei-lavrov")
    page.mouse.move(*node_point(page, target["id"]))
    page.wait_for_function("() => document.querySelector('.ekg-graph-info strong')?.textContent === 'Sergei Lavrov'")
    page.mouse.click(*node_point(page, target["id"]))
    page.wait_for_url(server + "/id/person/sergei-lavrov")
    assert page.inner_text("h1") == "Sergei Lavrov"

    # Nothing left 127.0.0.1: cytoscape.js came from the vendored copy, loaded when the view was first drawn.
    local = {urlsplit(u).path for u in recorder.requests}
    assert {"/static/graph-view.js", CYTOSCAPE_PATH} <= local
    assert_stayed_home(page, recorder)


def test_a_construct_result_is_drawn_as_a_graph(server, page, recorder):
    open_ui(page, server)
    # cytoscape.js is not loaded until a graph is drawn.
    assert page.evaluate("typeof window.cytoscape") == "undefined"
    run_query(page, VISITOR_QUERY)
    result_rows(page)
    graph = show_graph(page)
    triples = nt_triples(server, VISITOR_QUERY)
    assert len(triples) > 5
    assert {p for _, p, _ in triples} == {PREFIXES["ekg"] + "visitor"}
    ids = [n["id"] for n in graph["nodes"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {s for s, _, _ in triples} | {o for _, _, o in triples}
    assert sorted(graph["edges"]) == sorted([s, o, "ekg:visitor"] for s, _, o in triples)
    assert page.get_attribute(".ekg-graph-canvas", "data-kind") == "triples"

    # The view stays selected for the next query. Literals are not drawn: labels name their subjects' nodes.
    labelled = "CONSTRUCT { ?e ekg:visitor ?p . ?p rdfs:label ?l } WHERE { ?e ekg:visitor ?p " \
               "OPTIONAL { ?p rdfs:label ?l FILTER (lang(?l) = \"en\") } }"
    page.evaluate("() => { window.__graphView.nodes().addClass('old'); }")
    run_query(page, labelled)
    page.wait_for_function("() => window.__graphView && !window.__graphView.nodes('.old').length")
    relabelled = drawn_graph(page)
    assert {n["id"] for n in relabelled["nodes"]} == set(ids)
    assert sorted(relabelled["edges"]) == sorted(graph["edges"])
    english = {b["p"]["value"]: b["l"]["value"] for b in sparql_json(server, with_prefixes(
        "SELECT ?p ?l WHERE { ?e ekg:visitor ?p . ?p rdfs:label ?l FILTER (lang(?l) = 'en') }"))["results"]["bindings"]}
    assert english
    for node in relabelled["nodes"]:
        if node["id"] in english:
            assert node["label"] == english[node["id"]]

    # A result it cannot draw: the table again, and no Graph button.
    run_query(page, "SELECT ?p WHERE { ?p a ekg:Person } LIMIT 3")
    assert len(result_rows(page)) == 3
    assert page.locator(".yasr .select_graph.disabled").count() == 1
    assert not page.locator(".yasr .select_graph").is_visible()
    assert_stayed_home(page, recorder)


# --- (f) literals from strangers do not run ---------------------------------------------------------------

def _nq_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory) -> Iterator[str]:
    """A server whose data holds literals with markup: a <script> and an <img onerror>."""
    _need_chromium()
    dist = tmp_path_factory.mktemp("xss") / "dist"
    dist.mkdir()
    graph = f"<{GRAPH_BASE}sources/xss>"
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    quads = [
        (f"<{XSS_PERSON}>", f"<{rdf}type>", f"<{ONTOLOGY_NS}Person>"),
        (f"<{XSS_PERSON}>", f"<{rdfs}label>", _nq_literal(XSS_SCRIPT) + "@en"),
        (f"<{XSS_PERSON}>", f"<{rdfs}comment>", _nq_literal(XSS_IMG) + "@en"),
        (f"<{XSS_PERSON}>", f"<{rdfs}seeAlso>", f"<{XSS_OTHER}>"),
        (f"<{XSS_OTHER}>", f"<{rdf}type>", f"<{ONTOLOGY_NS}Person>"),
        (f"<{XSS_OTHER}>", f"<{rdfs}label>", _nq_literal(XSS_IMG)),
        (f"<{XSS_OTHER}>", f"<{rdfs}seeAlso>", f"<{XSS_PERSON}>"),
    ]
    (dist / "eurasia-kg.nq").write_text("".join(f"{s} {p} {o} {graph} .\n" for s, p, o in quads), encoding="utf-8")
    # The app reads the ontology from dist/ontology.ttl when the build wrote one, else from ontology/.
    with running_server(dist) as base:
        yield base


def assert_no_script_ran(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("script:not([src])").count() == 0
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0


def test_script_literals_do_not_run_on_a_resource_page(xss_server, page, recorder):
    response = page.goto(xss_server + "/id/person/xss-test")
    assert response.status == 200
    page.wait_for_load_state("load")
    assert_no_script_ran(page)
    # The markup is shown as text.
    assert page.inner_text("h1") == XSS_SCRIPT
    body = page.inner_text("body")
    assert XSS_IMG in body
    assert XSS_SCRIPT in page.title()
    # The other resource links here with its label as the link text: text too.
    link = page.locator("a.iri[href='/id/person/xss-other']").first
    assert link.inner_text().strip() == XSS_IMG
    link.click()
    page.wait_for_url(xss_server + "/id/person/xss-other")
    assert page.inner_text("h1") == XSS_IMG
    assert_no_script_ran(page)
    assert not [u for u in recorder.requests if urlsplit(u).path.endswith("/x")], "the <img> literal was loaded"
    assert_stayed_home(page, recorder)


def test_script_literals_do_not_run_on_a_results_page(xss_server, page, recorder):
    query = "SELECT ?s ?label ?comment WHERE { ?s rdfs:label ?label OPTIONAL { ?s rdfs:comment ?comment } }"
    response = page.goto(xss_server + "/sparql?" + urlencode({"query": query}))  # the browser asks for HTML
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    page.wait_for_load_state("load")
    assert_no_script_ran(page)
    cells = page.eval_on_selector_all("#results tbody td", "cells => cells.map(c => c.innerText)")
    assert any(XSS_SCRIPT in c for c in cells)
    assert any(XSS_IMG in c for c in cells)
    assert query in page.inner_text("pre.query")
    assert not [u for u in recorder.requests if urlsplit(u).path.endswith("/x")]
    assert_stayed_home(page, recorder)


def test_script_literals_do_not_run_in_the_query_ui(xss_server, page, recorder):
    open_ui(page, xss_server)
    type_query(page, "SELECT ?label ?comment WHERE { person:xss-test rdfs:label ?label ; rdfs:comment ?comment }")
    page.click(".yasqe_queryButton")
    rows = result_rows(page)
    assert rows == [[f'"{XSS_SCRIPT}"@en', f'"{XSS_IMG}"@en']]
    assert_no_script_ran(page)
    assert not [u for u in recorder.requests if urlsplit(u).path.endswith("/x")]
    # YASR's table passes each raw value through DOMPurify to build its filter and sort keys. DOMPurify parses
    # it in an inert DOMParser document, where nothing loads or runs; Chromium still reports the onerror
    # attribute it meets there as a 'script-src-attr' violation. That report is the only one allowed.
    assert_stayed_home(page, recorder, allowed_csp=("script-src-attr",))


def test_script_literals_do_not_run_in_the_graph_view(xss_server, page, recorder):
    open_ui(page, xss_server)
    run_query(page, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    result_rows(page)
    graph = show_graph(page)
    # (The store's own record of the build it holds is data too; it is not what this test is about.)
    labels = {n["id"]: n["label"] for n in graph["nodes"] if not n["id"].startswith(SOURCE_BASE)}
    assert labels == {XSS_PERSON: XSS_SCRIPT, XSS_OTHER: XSS_IMG, ONTOLOGY_NS + "Person": "ekg:Person"}
    # The details of a node (its label, and the literals not drawn) are text.
    page.mouse.move(*node_point(page, XSS_PERSON))
    page.wait_for_selector(".ekg-graph-info li")
    assert page.inner_text(".ekg-graph-info strong") == XSS_SCRIPT
    assert page.eval_on_selector_all(".ekg-graph-info li", "items => items.map(li => li.textContent)") == [
        "rdfs:comment: " + XSS_IMG]
    assert_no_script_ran(page)
    assert not [u for u in recorder.requests if urlsplit(u).path.endswith("/x")]
    # As in the table, DOMPurify's inert parse of the raw values is reported as a 'script-src-attr' violation.
    assert_stayed_home(page, recorder, allowed_csp=("script-src-attr",))


# --- syntax errors: the line, the column and a hint, beside (not under) the examples --------------------------

def _painted_box(page, selector: str) -> dict:
    """Where the text of an element is painted (its line boxes, not its own box, which overflow escapes)."""
    return page.evaluate("""(selector) => {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector(selector));
        const r = range.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }""", selector)


def test_a_syntax_error_shows_line_column_and_hint_without_covering_the_examples(server, browser, recorder):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.route("**/*", recorder.route)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_ui(page, server)
        type_query(page, "SELECT ?x WHERE { ?x foo:bar ?y }")
        page.click(".yasqe_queryButton")
        page.wait_for_selector(".yasr .errorResult pre")
        message = page.inner_text(".yasr .errorResult pre").strip()
        assert message == ("syntax error at line 1, column 22: the prefix 'foo:' is not declared: add "
                           "'PREFIX foo: <namespace>' at the top, or use a pre-declared prefix such as ekg:, "
                           "person:, orgid:, place:")
        text = _painted_box(page, ".yasr .errorResult pre")
        examples = page.evaluate("(() => { const r = document.querySelector('#examples').getBoundingClientRect();"
                                 " return {left: r.left}; })()")
        assert text["right"] <= examples["left"], (text, examples)
        # The editor does not add its own tooltip of expected tokens.
        assert page.locator(".yasqe .CodeMirror-gutters .parseErrorIcon").count() == 0
    finally:
        context.close()


def test_a_syntax_errors_line_is_the_editors(server, page, recorder):
    # Opened from a permalink, the text has no PREFIX line; the UI adds one when it sends the query.
    query = "SELECT ?p WHERE {\n  ?p a ekg:Person\n"
    open_ui(page, server, "/?" + urlencode({"query": query}))
    assert editor_value(page) == query
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr .errorResult pre")
    assert page.inner_text(".yasr .errorResult pre").strip() == (
        "syntax error at line 3, column 1: '{' opened at line 1, column 17 is never closed: add '}'")
    assert_stayed_home(page, recorder)
