"""The query UI at / through the Flask test client: vendored YASGUI, examples, prefixes, permalink,
downloads, and no page that loads anything from outside the server."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from eurasia_kg.config import PREFIXES, Settings
from eurasia_kg.web import create_app
from eurasia_kg.web.ui_views import YASGUI_CSS, YASGUI_JS, YASGUI_VERSION, query_kind, with_prefixes

from .conftest import ROOT

STATIC = ROOT / "src" / "eurasia_kg" / "web" / "static"
VENDOR = STATIC / "vendor"
SERVER = "localhost"  # the test client's host
SELECT_FORMATS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                  "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_FORMATS = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
                 "rdfxml": "application/rdf+xml", "trig": "application/trig"}


@pytest.fixture(scope="module")
def app(settings: Settings, built):
    app = create_app(Settings(root=ROOT, dist=settings.dist_dir, workers=1))
    app.config["TESTING"] = True
    yield app
    app.extensions["ekg"].pool.close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def index(client) -> tuple:
    response = client.get("/")
    return response, Page.parse(response.get_data(as_text=True))


class Page(HTMLParser):
    """The elements of an HTML page, as (tag, attributes) pairs, and the text of its inline scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    @classmethod
    def parse(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        self._in_script = tag == "script" and "src" not in attributes

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def with_class(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and cls in a.get("class", "").split()]


def is_external(url: str) -> bool:
    """A URL that points away from this server (absolute http(s) to another host, or protocol-relative)."""
    url = url.strip()
    if url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname not in (SERVER, "127.0.0.1")


# --- The page and the vendored YASGUI ----------------------------------------------------------------------

def test_index_is_html_with_the_vendored_yasgui(index, client):
    response, page = index
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = [a["src"] for t, a in page.elements if t == "script"]
    styles = [a["href"] for t, a in page.elements if t == "link" and a.get("rel") == "stylesheet"]
    assert f"/static/{YASGUI_JS}" in scripts
    assert f"/static/{YASGUI_CSS}" in styles
    assert "/static/ui.js" in scripts
    for path in scripts + styles:
        served = client.get(path)
        assert served.status_code == 200, path
        assert len(served.data) > 100, path
    assert client.get(f"/static/{YASGUI_JS}").mimetype in ("text/javascript", "application/javascript")
    assert client.get(f"/static/{YASGUI_CSS}").mimetype == "text/css"


def test_the_vendored_files_carry_version_licence_and_provenance():
    assert (VENDOR / f"yasgui-{YASGUI_VERSION}.min.js").stat().st_size > 500_000
    assert (VENDOR / f"yasgui-{YASGUI_VERSION}.min.css").is_file()
    assert "MIT License" in (VENDOR / "yasgui-LICENSE.txt").read_text(encoding="utf-8")
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert "@zazuko/yasgui" in readme and YASGUI_VERSION in readme and "MIT" in readme
    # Only the served bundle is vendored: one version, no node_modules, no source maps.
    names = sorted(p.name for p in VENDOR.iterdir())
    assert [n for n in names if n.startswith("yasgui-")] == [
        f"yasgui-{YASGUI_VERSION}.min.css", f"yasgui-{YASGUI_VERSION}.min.js", "yasgui-LICENSE.txt"]
    assert not [n for n in names if n.endswith(".map") or n == "node_modules"]


def test_the_vendored_css_loads_nothing_from_outside():
    css = (VENDOR / f"yasgui-{YASGUI_VERSION}.min.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), "the stylesheet must not load fonts or images"


def test_no_inline_scripts_on_the_index(index):
    # The Content-Security-Policy allows scripts from the server only; configuration travels in data-config.
    _, page = index
    assert page.inline_scripts == []
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)


def test_ui_script_keeps_yasgui_on_this_server():
    script = (STATIC / "ui.js").read_text(encoding="utf-8")
    assert 'prefixCcApi = "/prefixes.json"' in script  # not prefix.cc
    assert 'delete Yasqe.Autocompleters["class"]' in script  # the LOV completers
    assert "delete Yasqe.Autocompleters.property" in script
    assert 'new URL("/sparql", window.location.href)' in script
    assert not re.search(r"https?://", re.sub(r"^\s*(/\*|\*|//).*$", "", script, flags=re.MULTILINE))


def test_the_graph_view_is_served_and_draws_with_the_vendored_cytoscape(index, client):
    _, page = index
    scripts = [a["src"] for t, a in page.elements if t == "script"]
    # graph-view.js registers the YASR plugin that ui.js hands to YASGUI: it comes first.
    assert scripts.index("/static/graph-view.js") < scripts.index("/static/ui.js")
    config = json.loads(page.find("div", id="ekg-ui")[0]["data-config"])
    assert config["cytoscapeJs"] == "/static/vendor/cytoscape-3.34.4.min.js"
    assert not [s for s in scripts if "cytoscape" in s]  # loaded when a graph is first drawn, not with the page
    served = client.get(config["cytoscapeJs"])
    assert served.status_code == 200 and len(served.data) > 100_000


def test_the_graph_view_sets_no_html():
    script = (STATIC / "graph-view.js").read_text(encoding="utf-8")
    code = re.sub(r"^\s*(/\*|\*|//).*$", "", script, flags=re.MULTILINE)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code, sink
    assert "textContent" in code
    # The only addresses in it are IRIs it compares with (label predicates, the SVG namespace), never fetched.
    assert not re.search(r"fetch\(|XMLHttpRequest|\.src = (?!src\b)", code)


# --- Examples ------------------------------------------------------------------------------------------

def test_the_competency_queries_are_listed_as_examples(index, client, settings):
    _, page = index
    files = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    links = page.with_class("a", "example")
    assert len(links) >= 30
    assert [a["data-name"] for a in links] == files
    listed = client.get("/examples.json").get_json()
    assert [e["name"] for e in listed] == files
    for example, link in zip(listed, links, strict=True):
        assert example["title"] and example["title"] != example["name"], example["name"]
        assert example["description"], example["name"]
        # The link is a permalink that opens the example in the editor.
        assert urlsplit(link["href"]).path == "/"
        assert parse_qs(urlsplit(link["href"]).query)["query"] == [example["query"]]
        assert example["query"] == (ROOT / "queries" / f"{example['name']}.rq").read_text(encoding="utf-8")


def test_example_titles_and_descriptions_are_on_the_page(index, client):
    response, _ = index
    html = response.get_data(as_text=True)
    for example in client.get("/examples.json").get_json():
        assert _escaped(example["title"]) in html
        assert _escaped(example["description"]) in html


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


# --- Prefixes ------------------------------------------------------------------------------------------

def test_prefixes_are_pre_declared(index, client):
    _, page = index
    config = json.loads(page.find("div", id="ekg-ui")[0]["data-config"])
    assert config["prefixes"] == PREFIXES
    assert client.get("/prefixes.json").get_json() == PREFIXES
    listed = page.find("details", id="prefixes")
    assert listed
    html = client.get("/").get_data(as_text=True)
    for name, namespace in PREFIXES.items():
        assert f"<code>{name}:</code></td><td><code>{namespace}</code>" in html
    assert {"ekg", "person", "rdfs", "xsd", "skos", "prov", "wd"} <= set(PREFIXES)


def test_with_prefixes_adds_only_the_missing_declarations():
    query = 'SELECT * { ?s a ekg:Person ; rdfs:label "not:aprefix" ; <http://x.org/a#b> person:x } # foaf:no'
    added = with_prefixes(query)
    assert added.endswith(query)
    header = added[: -len(query)]
    assert header.splitlines() == [f"PREFIX ekg: <{PREFIXES['ekg']}>", f"PREFIX rdfs: <{PREFIXES['rdfs']}>",
                                   f"PREFIX person: <{PREFIXES['person']}>"]
    declared = f"PREFIX ekg: <{PREFIXES['ekg']}>\nSELECT * {{ ?s a ekg:Person FILTER(datatype(?s) = xsd:string) }}"
    assert with_prefixes(declared) == f"PREFIX xsd: <{PREFIXES['xsd']}>\n" + declared
    assert with_prefixes("SELECT * { ?s ?p unknown:x }") == "SELECT * { ?s ?p unknown:x }"


def test_a_query_using_pre_declared_prefixes_runs(client):
    query = with_prefixes("SELECT ?label WHERE { person:sergei-lavrov rdfs:label ?label FILTER(lang(?label) = 'en') }")
    response = client.get("/sparql?" + urlencode({"query": query, "format": "json"}))
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = response.get_json()["results"]["bindings"]
    assert [r["label"]["value"] for r in rows] == ["Sergei Lavrov"]


# --- Permalink and downloads --------------------------------------------------------------------------

def test_permalink_loads_the_query(client):
    query = "SELECT ?p WHERE { ?p a ekg:Person } LIMIT 3"
    response = client.get("/?" + urlencode({"query": query}))
    page = Page.parse(response.get_data(as_text=True))
    assert response.status_code == 200
    permalink = page.find("a", id="permalink")[0]["href"]
    assert parse_qs(urlsplit(permalink).query)["query"] == [query]
    # Without JavaScript the query is in the plain form; with it, YASGUI reads ?query= from the address.
    assert f">{_escaped(query)}</textarea>" in response.get_data(as_text=True)


def _download_links(client, query: str) -> dict[str, str]:
    page = Page.parse(client.get("/?" + urlencode({"query": query})).get_data(as_text=True))
    return {a["data-format"]: a["href"] for t, a in page.elements if t == "a" and "data-format" in a}


def test_select_results_download_in_every_format(client):
    links = _download_links(client, "SELECT ?name WHERE { person:sergei-lavrov rdfs:label ?name }")
    assert set(links) == set(SELECT_FORMATS)
    for key, href in links.items():
        assert parse_qs(urlsplit(href).query)["format"] == [key]
        response = client.get(href)
        assert response.status_code == 200, (key, response.get_data(as_text=True))
        assert response.mimetype == SELECT_FORMATS[key]
        assert "Sergei Lavrov" in response.get_data(as_text=True)


def test_construct_results_download_in_every_graph_format(client):
    links = _download_links(client, "CONSTRUCT { person:sergei-lavrov rdfs:label ?l } "
                                    "WHERE { person:sergei-lavrov rdfs:label ?l }")
    assert set(links) == set(GRAPH_FORMATS)
    for key, href in links.items():
        response = client.get(href)
        assert response.status_code == 200, (key, response.get_data(as_text=True))
        assert response.mimetype == GRAPH_FORMATS[key]
        assert "Lavrov" in response.get_data(as_text=True)


def test_query_kind_reads_the_query_form():
    assert query_kind("PREFIX a: <http://x#construct> SELECT * {}") == "results"
    assert query_kind("# CONSTRUCT in a comment\nASK {}") == "results"
    assert query_kind("PREFIX a: <x:>\nconstruct { ?s ?p ?o } where { ?s ?p ?o }") == "graph"
    assert query_kind("DESCRIBE <x:y>") == "graph"


# --- Nothing from outside -----------------------------------------------------------------------------

RESULTS_QUERY = ("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?o) && !STRSTARTS(STR(?o), "
                 "'https://w3id.org/eurasia-kg/')) } LIMIT 50")
PAGES = ["/", "/?" + urlencode({"query": RESULTS_QUERY}), "/sparql?" + urlencode({"query": RESULTS_QUERY}),
         "/id/person/sergei-lavrov", "/validate", "/download"]
# Attributes that make a browser fetch something when the page loads.
LOADING = {"src", "srcset", "poster", "data", "background", "formaction", "action", "manifest", "ping"}


@pytest.mark.parametrize("path", PAGES)
def test_no_page_loads_anything_from_outside(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    page = Page.parse(html)
    assert page.elements, path
    outside = []
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
            loads = name in LOADING or (name == "href" and tag in ("link", "base")) or (
                tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh")
            if loads and any(is_external(u) for u in urls):
                outside.append((tag, name, value))
            if name == "style" and re.search(r"url\(\s*['\"]?(https?:)?//", value):
                outside.append((tag, name, value))
    assert outside == [], f"{path} loads from outside the server: {outside}"
    # Inline <style> blocks may not pull in remote fonts or images either.
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S | re.I):
        assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", block), path
    assert page.inline_scripts == [], f"{path} has inline scripts, which the CSP blocks"


@pytest.mark.parametrize("path", PAGES)
def test_links_to_other_sites_do_not_leak_the_opener(client, path):
    """Pages link to external IRIs (vocabularies, Wikidata): plain links, which load nothing until followed."""
    page = Page.parse(client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True))
    for tag, attrs in page.elements:
        if tag == "a" and is_external(attrs.get("href", "")):
            assert "noopener" in attrs.get("rel", "") or attrs.get("target", "_self") == "_self", attrs


def test_the_query_ui_links_nowhere_outside(index):
    _, page = index
    outside = [(t, a) for t, a in page.elements for v in a.values() if is_external(v)]
    assert outside == []
