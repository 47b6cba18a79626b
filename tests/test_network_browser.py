"""The network page at /network in a real browser: Playwright driving Debian's Chromium against the real
server process on 127.0.0.1.

The page must draw exactly the nodes and links the JSON API serves, follow the time filter and the
toggles, show a link's events and quotes, open a person's page on a click (where their neighbourhood is
drawn), download a PNG, and never send a request anywhere but 127.0.0.1.

The browser is never downloaded (no `playwright install`): the tests use /usr/bin/chromium. Without it they
are skipped, except when CI is set, where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from .test_ui_browser import running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOST = "127.0.0.1"
P = "https://w3id.org/eurasia-kg/id/person/"
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
DRAWN = """() => ({
  nodes: window.__cy.nodes().map(n => n.id()).sort(),
  labels: Object.fromEntries(window.__cy.nodes().map(n => [n.id(), n.data("label")])),
  edges: window.__cy.edges().map(e => [e.data("source"), e.data("target")].sort().join(" ")).sort(),
})"""


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


@pytest.fixture(scope="module")
def server(settings, built) -> Iterator[str]:
    """`python -m eurasia_kg.cli serve` on a free port of 127.0.0.1 (the UI tests' helper); yields its base URL."""
    _need_chromium()
    with running_server(settings.dist_dir) as base:
        yield base


def api(base: str, path: str, **params) -> dict:
    url = f"{base}{path}?{urlencode(params)}" if params else base + path
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def api_sets(answer: dict) -> dict:
    return {"nodes": sorted(n["id"] for n in answer["nodes"]),
            "labels": {n["id"]: n["label"] for n in answer["nodes"]},
            "edges": sorted(" ".join(sorted((e["source"], e["target"]))) for e in answer["edges"])}


# --- The browser, cut off from everything but 127.0.0.1 ---------------------------------------

@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Recorder:
    """Every request the browser makes; any to another host is aborted and recorded."""

    def __init__(self):
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.hostname != LOCAL_HOST:
            self.outside.append(url)
            route.abort()
        else:
            route.continue_()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def page(browser, recorder):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script(RECORD_CSP)
    context.on("request", lambda request: recorder.requests.append(request.url))
    context.route("**/*", recorder.route)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a wait, not a speed check: CI may share the 2 cores
    page.on("pageerror", lambda error: recorder.errors.append(str(error)))
    yield page
    violations = page.evaluate("window.__cspViolations || []") if not page.is_closed() else []
    context.close()
    assert recorder.outside == [], f"requests left 127.0.0.1: {recorder.outside}"
    assert all(urlsplit(u).hostname == LOCAL_HOST for u in recorder.requests
               if urlsplit(u).scheme in ("http", "https", "ws", "wss")), recorder.requests
    assert recorder.errors == [], f"errors in the page: {recorder.errors}"
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def wait_ready(page, contains: str = "", absent: str | None = None) -> str:
    """Wait until the graph is drawn (or refused) for a query containing ``contains`` and not ``absent``;
    return that query."""
    page.wait_for_function(
        """([part, absent]) => { const g = document.getElementById("network-graph");
             const query = g.dataset.query || "";
             return ["ready", "error"].includes(g.dataset.state) && query.includes(part)
                    && (absent === null || !query.includes(absent)); }""", arg=[contains, absent])
    return page.get_attribute("#network-graph", "data-query")


def drawn(page) -> dict:
    return page.evaluate(DRAWN)


def page_position(page, script: str) -> dict:
    """Page coordinates of a point the script computes in the graph's rendered coordinates."""
    return page.evaluate("""(script) => { const cy = window.__cy; const r = cy.container().getBoundingClientRect();
        const p = (new Function("cy", script))(cy); return {x: r.left + p.x, y: r.top + p.y}; }""", script)


# --- Tests ---------------------------------------------------------------------------------

def test_the_page_draws_the_nodes_and_links_the_api_serves(server, page):
    page.goto(server + "/network")
    query = wait_ready(page)
    assert page.get_attribute("#network-graph", "data-state") == "ready"
    shown = drawn(page)
    assert shown == api_sets(api(server, "/network/graph.json?" + query))
    assert shown == api_sets(api(server, "/network/graph.json"))  # the page starts from the API's defaults
    assert P + "mohammad-reza-rahimi" in shown["nodes"]
    assert f"{P}dmitry-medvedev {P}mohammad-reza-rahimi" in shown["edges"]
    assert f"{P}alexander-novak {P}ali-akbar-salehi" in shown["edges"]
    assert f"{P}ali-akbar-salehi {P}sergei-lavrov" not in shown["edges"]
    status = page.inner_text("#network-status")
    assert f"{len(shown['nodes'])} nodes and {len(shown['edges'])} links" in status
    # Node size follows the measure: degree 1 nodes are drawn larger than degree 0 ones.
    sizes = page.evaluate("() => Object.fromEntries(window.__cy.nodes().map(n => [n.id(), n.data('size')]))")
    assert sizes[P + "saeed-jalili"] > sizes[P + "vladimir-putin"]
    # Colour follows the country.
    colours = page.evaluate("() => Object.fromEntries(window.__cy.nodes().map(n => [n.id(), n.data('colour')]))")
    assert colours[P + "saeed-jalili"] == colours[P + "ali-akbar-salehi"] != colours[P + "sergei-lavrov"]


def test_the_time_filter_redraws_to_match_the_api(server, page):
    page.goto(server + "/network")
    wait_ready(page)
    full = drawn(page)
    page.fill("#from", "2013-01-01")
    page.fill("#to", "2013-03-01")
    query = wait_ready(page, "to=2013-03-01")
    assert "from=2013-01-01" in query
    narrow = drawn(page)
    assert narrow == api_sets(api(server, "/network/graph.json", **{"from": "2013-01-01", "to": "2013-03-01"}))
    assert narrow["nodes"] == [P + "abdolreza-sheikholeslami", P + "vladimir-kolokoltsev"]
    assert set(narrow["nodes"]) < set(full["nodes"])
    assert "in 2013-01-01 to 2013-03-01" in page.inner_text("#network-status")
    # The downloads follow the filter; so does the address, for a permalink.
    assert "from=2013-01-01" in page.get_attribute("#download-gexf", "href")
    assert "to=2013-03-01" in page.url

    # A Solar Hijri year replaces the dates.
    page.fill("#iranian-year", "1391")
    page.press("#iranian-year", "Enter")
    query = wait_ready(page, "iranian-year=1391")
    assert "from=" not in query and "to=" not in query
    assert drawn(page) == api_sets(api(server, "/network/graph.json", **{"iranian-year": "1391"}))

    # A year whose events involve no one: an empty network, drawn as such.
    page.fill("#iranian-year", "1392")
    page.press("#iranian-year", "Enter")
    wait_ready(page, "iranian-year=1392")
    assert drawn(page)["nodes"] == [] and api(server, "/network/graph.json", **{"iranian-year": "1392"})["nodes"] == []
    assert "nothing matches" in page.inner_text("#network-status")

    # A year with no events at all: the API's 400 message is shown, listing the window.
    page.fill("#iranian-year", "1300")
    page.press("#iranian-year", "Enter")
    wait_ready(page, "iranian-year=1300")
    assert page.get_attribute("#network-graph", "data-state") == "error"
    assert "no event falls within Iranian year 1300" in page.inner_text("#network-error")

    page.click("#clear-time")
    query = wait_ready(page, absent="iranian-year")
    assert "iranian-year" not in query
    assert page.get_attribute("#network-graph", "data-state") == "ready"
    assert drawn(page) == full


def test_toggles_for_edge_kinds_unnamed_and_interpretations(server, page):
    page.goto(server + "/network")
    wait_ready(page)
    page.uncheck("#unnamed")
    query = wait_ready(page, "unnamed=0")
    named = drawn(page)
    assert named == api_sets(api(server, "/network/graph.json", unnamed="0"))
    assert not any("unnamed" in node for node in named["nodes"])

    page.uncheck("input[name=edges][value=co-participated]")
    query = wait_ready(page, "edges=met%2Cvisited-host")
    assert drawn(page) == api_sets(api(server, "/network/graph.json?" + query))
    assert drawn(page)["edges"] == []  # the only met links are between unnamed deputies

    page.check("#unnamed")
    page.check("#interpretations")
    page.check("input[name=edges][value=co-participated]")
    query = wait_ready(page, "interpretations=1")
    shown = drawn(page)
    assert shown == api_sets(api(server, "/network/graph.json?" + query))
    assert f"{P}ali-akbar-salehi {P}sergei-lavrov" in shown["edges"]


def test_hovering_a_link_shows_its_events_dates_and_quotes(server, page):
    page.goto(server + "/network")
    wait_ready(page)
    edge = f'cy.getElementById("{P}alexander-novak {P}ali-akbar-salehi")'
    point = page_position(page, f"return {edge}.renderedMidpoint();")
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector("#edge-events li")
    text = page.inner_text("#edge-events")
    assert "10th meeting of the Iran-Russia Joint Economic Commission" in text
    assert "2012-03-20 to 2013-03-20" in text and "interpretation" in text
    assert "attended by the Iranian Foreign Minister Ali Akbar Salehi" in text
    assert page.locator("#edge-events blockquote").count() >= 1
    link = page.get_attribute("#edge-events a", "href")
    assert link == "/id/event/joint-economic-commission-10th-meeting"


def test_clicking_a_node_opens_its_page_with_the_neighbourhood(server, page):
    page.goto(server + "/network")
    wait_ready(page)
    point = page_position(page, f'return cy.getElementById("{P}saeed-jalili").renderedPosition();')
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/id/person/saeed-jalili")
    assert page.inner_text("h1") == "Saeed Jalili"
    page.wait_for_selector("#neighbourhood-graph[data-state=ready]")
    shown = page.evaluate("""() => window.__cyNeighbourhood.nodes().map(n => n.id()).sort()""")
    answer = api(server, "/network/neighbourhood.json", node=P + "saeed-jalili")
    assert shown == sorted(n["id"] for n in answer["nodes"]) == [P + "nikolai-patrushev", P + "saeed-jalili"]
    assert page.inner_text("#neighbourhood-list") == "Nikolai Platonovich Patrushev"


def test_downloads_gexf_graphml_and_png(server, page):
    page.goto(server + "/network?iranian-year=1391")
    query = wait_ready(page, "iranian-year=1391")
    with page.expect_download() as png:
        page.click("#download-png")
    path = png.value.path()
    assert png.value.suggested_filename == "eurasia-kg-network.png"
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for fmt in ("gexf", "graphml"):
        href = page.get_attribute(f"#download-{fmt}", "href")
        assert href.endswith(f"/network/export.{fmt}?{query}")
        with page.expect_download() as download:
            page.click(f"#download-{fmt}")
        assert download.value.suggested_filename == f"eurasia-kg-network.{fmt}"
        assert b"<" in Path(download.value.path()).read_bytes()[:100]


def test_the_api_rejects_what_the_page_would_never_send(server):
    with pytest.raises(urllib.error.HTTPError) as caught:
        api(server, "/network/graph.json", measure="fame")
    assert caught.value.code == 400
    assert "accepted: degree" in caught.value.read().decode()


# --- A large network: sigma.js + graphology (WebGL), interactive within 5 s (issue 10) ----------------

LARGE_PEOPLE = 5000


@pytest.fixture(scope="module")
def large_server(tmp_path_factory) -> Iterator[str]:
    """The server on a dist/ holding only bench/synthetic.py's network of 5,000 people."""
    import sys

    from .conftest import ROOT

    _need_chromium()
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import synthetic
    finally:
        sys.path.remove(str(ROOT / "bench"))
    dist = tmp_path_factory.mktemp("large") / "dist"
    dist.mkdir()
    with (dist / "eurasia-kg.nq").open("w", encoding="utf-8") as out:
        out.writelines(synthetic.nquads(LARGE_PEOPLE, seed=7, events_per_person=1.0))
    with running_server(dist) as base:
        yield base


def test_a_5000_node_network_is_drawn_with_webgl_and_interactive_within_5_s(large_server, page):
    import time

    url = f"{large_server}/network?measure=degree"
    # The first visit builds the network on the server (and caches the answer); it is timed and reported,
    # not bounded. The bound is on a visit served from the server's cache: the page's own work.
    first = time.monotonic()
    page.goto(url)
    page.wait_for_function("() => document.getElementById('network-graph').dataset.state === 'ready'")
    cold = time.monotonic() - first
    started = time.monotonic()
    page.goto(url)
    page.wait_for_function("() => document.getElementById('network-graph').dataset.state === 'ready'")
    ready = time.monotonic() - started
    assert page.get_attribute("#network-graph", "data-renderer") == "sigma"
    drawn = page.evaluate("() => ({nodes: window.__sigma.getGraph().order, edges: window.__sigma.getGraph().size})")
    assert drawn["nodes"] == LARGE_PEOPLE
    # interactive: a search focuses on a person's neighbourhood and the camera moves there
    page.fill("#node-search", "Person 17")
    page.click("#node-search-go")
    page.wait_for_function("() => document.getElementById('network-graph').dataset.focus !== ''")
    elapsed = time.monotonic() - started
    print(f"5,000 nodes, {drawn['edges']} links: first visit {cold:.2f} s; then drawn in {ready:.2f} s, "
          f"interactive in {elapsed:.2f} s")
    assert elapsed < 5.0, f"the page took {elapsed:.2f} s to become interactive"
    focused = page.get_attribute("#network-graph", "data-focus")
    assert focused == P.replace("person/", "person/synthetic-17") or focused.endswith("synthetic-17")
    # the focused person's links are listed, and one opens its events from /network/edge.json
    assert page.locator("ul.focus-links li").count() > 0
    page.locator("ul.focus-links li button").first.click()
    page.wait_for_selector("#edge-events ul.edge-events li")
    # and the replay slider works on the large graph too
    page.wait_for_function("() => Number(document.getElementById('network-graph').dataset.windows || 0) > 0")
    page.evaluate("() => { const s = document.getElementById('time-slider'); s.value = 1;"
                  " s.dispatchEvent(new Event('input')); }")
    assert page.get_attribute("#network-graph", "data-window")
    hidden = page.evaluate("() => window.__sigma.getGraph().filterNodes((n, a) => a.off).length")
    assert 0 < hidden < LARGE_PEOPLE
