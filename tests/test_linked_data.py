"""Linked Data: /id/… pages and documents, the ontology, VoID, downloads, and literal escaping.

HTML is parsed with the standard library's html.parser into an ElementTree (``parse_html``),
RDF with rdflib; the assertions are on elements and triples, not substrings.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from eurasia_kg.config import ID_BASE, ONTOLOGY_IRI, PREFIXES, Settings
from eurasia_kg.web import create_app

from .conftest import ROOT

# What a browser sends.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
EKG = Namespace("https://w3id.org/eurasia-kg/ontology#")
FOAF = Namespace(PREFIXES["foaf"])
VOID = Namespace("http://rdfs.org/ns/void#")
LAVROV = URIRef(ID_BASE + "person/sergei-lavrov")

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs) -> None:
        element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs) -> None:
        ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def parse_html(text: str) -> ET.Element:
    """An HTML page as an ElementTree (entities decoded), for ElementPath queries."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def text_of(element: ET.Element | None) -> str:
    assert element is not None
    return " ".join("".join(element.itertext()).split())


@pytest.fixture(scope="module")
def dist(built, settings, tmp_path_factory) -> Path:
    """A copy of the built dist/ (the download tests compare files with it)."""
    copy = tmp_path_factory.mktemp("linked-data") / "dist"
    shutil.copytree(settings.dist_dir, copy)
    return copy


@pytest.fixture(scope="module")
def app(dist):
    app = create_app(Settings(root=ROOT, dist=dist, workers=2))
    app.config["TESTING"] = True
    yield app
    app.extensions["ekg"].pool.close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def lavrov_page(client) -> ET.Element:
    response = client.get("/id/person/sergei-lavrov", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Vary"] == "Accept"
    return parse_html(response.get_data(as_text=True))


CONTEXT_URL = "http://localhost/context.jsonld"  # where the test client's server publishes it


def parse_rdf(client, body: bytes, parser: str, with_oxigraph: bool = False) -> Graph:
    """RDF from a response; for JSON-LD, the context it refers to is fetched from this server, as a
    JSON-LD processor would (``with_oxigraph``: parsed by pyoxigraph rather than rdflib)."""
    if parser == "json-ld":
        doc = json.loads(body)
        assert doc["@context"] == CONTEXT_URL
        doc["@context"] = client.get("/context.jsonld").get_json()["@context"]
        body = json.dumps(doc).encode()
        if with_oxigraph:
            triples = ox.parse(body, format=ox.RdfFormat.JSON_LD)
            return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return Graph().parse(data=body, format=parser)


def _construct(kg, iri: str) -> set:
    from eurasia_kg.sparql import to_rdflib

    query = f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}"
    return {tuple(to_rdflib(t) for t in (tr.subject, tr.predicate, tr.object)) for tr in kg.query(query)}


# --- HTML -----------------------------------------------------------------------------------------

def test_page_shows_label_and_types(lavrov_page):
    assert text_of(lavrov_page.find(".//h1[@id='label']")) == "Sergei Lavrov"
    assert text_of(lavrov_page.find(".//title")).startswith("Sergei Lavrov")
    types = lavrov_page.find(".//p[@class='types']")
    type_links = {a.get("title"): text_of(a) for a in types.iter("a")}
    assert type_links[str(EKG.Person)] == "Person"
    assert {a.get("href") for a in types.iter("a") if a.get("title") == str(EKG.Person)} == {"/ontology#Person"}
    assert str(FOAF.Person) in type_links


def _rows(section: ET.Element) -> list[list[ET.Element]]:
    return [list(tr.iter("td")) for tr in section.find(".//tbody").iter("tr")]


def test_page_lists_statements_with_links(lavrov_page, kg):
    section = lavrov_page.find(".//section[@id='statements']")
    rows = _rows(section)
    values = {(text_of(p), text_of(o)) for p, o, _graph in rows}
    assert ("foaf:name", "Sergei Lavrov") in values
    links = {a.get("href") for _, o, _ in rows for a in o.iter("a")}
    assert "/id/place/russia" in links  # a resource of ours links to its page here
    assert "/id/event/lavrov-visit-iran" in links
    # Every non-type statement in the store is on the page (how identifiers were checked is shown
    # as their provenance instead).
    expected = kg.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{LAVROV}> ?p ?o }} "
                         f"FILTER(?p NOT IN (rdf:type, ekg:identifierEvidence)) }}").rows[0][0]
    assert len(rows) == int(expected.value)
    graphs = {text_of(g) for _, _, g in rows}
    assert {"shared", "inferred"} <= graphs


def test_page_lists_incoming_links(lavrov_page):
    section = lavrov_page.find(".//section[@id='incoming']")
    subjects = {a.get("href") for subject, _p, _g in _rows(section) for a in subject.iter("a")}
    assert {"/id/event/lavrov-visit-iran", "/id/event/lavrov-syria-talks"} <= subjects


def test_page_shows_the_quotes_behind_the_facts(lavrov_page, kg):
    section = lavrov_page.find(".//section[@id='quotes']")
    shown = {text_of(q) for q in section.iter("blockquote")}
    expected = {" ".join(row[0].value.split()) for row in kg.select(f"""
        SELECT DISTINCT ?exact WHERE {{
          {{ <{LAVROV}> ekg:quote ?q }} UNION {{ ?fact ekg:quote ?q ; ?p <{LAVROV}> }}
          ?q oa:hasSelector/oa:exact ?exact }}""").rows}
    assert expected
    assert shown == expected
    assert any("Sergei Lavrov paid a visit to Iran" in quote for quote in shown)


def test_page_shows_each_quote_once_with_the_facts_it_supports(lavrov_page):
    items = lavrov_page.find(".//section[@id='quotes']/ul").findall("li")
    quotes = [text_of(li.find("blockquote")) for li in items]
    assert len(quotes) == len(set(quotes)) == 2  # 18 rows before: each quote once per fact and property
    facts = {quote: [a.get("href") for a in li.find("span[@class='facts']").iter("a")][:-1]
             for quote, li in zip(quotes, items, strict=True)}
    visit = next(q for q in quotes if "Sergei Lavrov paid a visit to Iran" in q)
    assert facts[visit] == ["/id/event/lavrov-syria-talks", "/id/event/lavrov-visit-iran",
                            "/id/holding/sergei-lavrov--minister-of-foreign-affairs-of-russia"]
    # 3 facts under the visit quote; 5 under the visits quote, among them the unnamed foreign minister of
    # the exchange, the list of foreign ministers, and the interpretation that he was Lavrov (issue 11a).
    assert sum(len(f) for f in facts.values()) == 8


def test_identifier_evidence_is_shown_as_provenance(lavrov_page):
    statements = text_of(lavrov_page.find(".//section[@id='statements']"))
    assert "entity-ids.csv" not in statements and "identifier evidence" not in statements
    provenance = lavrov_page.find(".//section[@id='identifiers']/div[@id='identifier-provenance']")
    assert text_of(provenance.find("h3")) == "Provenance of these identifiers"
    assert "Q58217,Sergey Lavrov" in text_of(provenance.find(".//cite"))


def test_literals_are_shown_as_text(lavrov_page):
    rows = {text_of(p): o for p, o, _g in _rows(lavrov_page.find(".//section[@id='statements']"))}
    label = rows["rdfs:label"]
    assert text_of(label) == "Sergei Lavrov"  # not "Sergei Lavrov"@en, nor Sergei Lavrov@en
    assert label.find("span[@class='literal']").get("lang") == "en"


def test_page_shows_external_identifiers(lavrov_page):
    section = lavrov_page.find(".//section[@id='identifiers']")
    links = {a.get("href") for a in section.iter("a")}
    assert "http://www.wikidata.org/entity/Q58217" in links
    assert "http://dbpedia.org/resource/Sergey_Lavrov" in links


def test_page_advertises_its_rdf_documents(lavrov_page):
    alternates = {link.get("type"): link.get("href") for link in lavrov_page.iter("link")
                  if link.get("rel") == "alternate"}
    assert alternates == {"text/turtle": "/id/person/sergei-lavrov.ttl",
                          "application/ld+json": "/id/person/sergei-lavrov.jsonld",
                          "application/n-triples": "/id/person/sergei-lavrov.nt"}


def test_a_page_without_accept_is_html(client):
    response = client.get("/id/person/sergei-lavrov")
    assert response.mimetype == "text/html"


# --- RDF documents ----------------------------------------------------------------------------------

FORMATS = [("text/turtle", ".ttl", "turtle"), ("application/ld+json", ".jsonld", "json-ld"),
           ("application/n-triples", ".nt", "nt")]


@pytest.mark.parametrize(("media_type", "suffix", "parser"), FORMATS)
def test_rdf_by_accept_and_by_suffix(client, kg, media_type, suffix, parser):
    by_accept = client.get("/id/person/sergei-lavrov", headers={"Accept": media_type})
    by_suffix = client.get(f"/id/person/sergei-lavrov{suffix}")
    expected = _construct(kg, str(LAVROV))
    for response in (by_accept, by_suffix):
        assert response.status_code == 200
        assert response.mimetype == media_type
        graph = parse_rdf(client, response.get_data(), parser)
        assert (LAVROV, FOAF.name, Literal("Sergei Lavrov")) in graph
        assert (URIRef(ID_BASE + "event/lavrov-visit-iran"), EKG.participant, LAVROV) in graph
        assert set(graph) == expected
    assert by_accept.headers["Vary"] == "Accept"


def test_q_values_choose_the_rdf_format(client):
    response = client.get("/id/person/sergei-lavrov",
                          headers={"Accept": "text/html;q=0.5, application/n-triples;q=0.9, text/turtle;q=0.7"})
    assert response.mimetype == "application/n-triples"


def test_resource_etag_and_304(client):
    first = client.get("/id/person/sergei-lavrov.ttl")
    again = client.get("/id/person/sergei-lavrov.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert first.headers["Last-Modified"].endswith("GMT")


@pytest.mark.parametrize(("path", "accept"), [("/id/person/nobody-at-all", BROWSER),
                                              ("/id/person/nobody-at-all", "text/turtle"),
                                              ("/id/person/nobody-at-all.ttl", None),
                                              ("/id/no-such-kind/x.jsonld", None)])
def test_unknown_iri_is_404(client, path, accept):
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 404


def test_unknown_iri_page_says_so(client):
    response = client.get("/id/person/nobody-at-all", headers={"Accept": BROWSER})
    page = parse_html(response.get_data(as_text=True))
    assert text_of(page.find(".//h1")) == "Not found"
    assert text_of(page.find(".//main//code")) == ID_BASE + "person/nobody-at-all"


# --- the ontology, VoID, downloads ------------------------------------------------------------------

def test_ontology_html_for_browsers_and_turtle_by_negotiation(client):
    html = client.get("/ontology", headers={"Accept": BROWSER})
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    page = parse_html(html.get_data(as_text=True))
    assert any("Person" in text_of(h) for h in page.iter("h3"))
    assert "Content-Security-Policy" in html.headers

    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.get_data(), format="turtle")
    assert (EKG.Person, RDF.type, OWL.Class) in graph
    assert (URIRef("https://w3id.org/eurasia-kg/ontology"), RDF.type, OWL.Ontology) in graph
    as_json_ld = client.get("/ontology", headers={"Accept": "application/ld+json"})
    assert as_json_ld.mimetype == "application/ld+json"
    assert isomorphic(parse_rdf(client, as_json_ld.get_data(), "json-ld"), graph)
    assert isomorphic(Graph().parse(data=client.get("/ontology.ttl").get_data(), format="turtle"), graph)


def test_ontology_page_has_its_title_iri_prefixes_and_the_site_header(client):
    response = client.get("/ontology", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    page = parse_html(body)
    assert text_of(page.find(".//title")) == "eurasia-kg ontology · eurasia-kg"
    assert text_of(page.find(".//h1")) == "eurasia-kg ontology"
    assert text_of(page.find(".//code[@id='ontology-iri']")) == ONTOLOGY_IRI
    assert page.find(".//header[@class='site']/nav") is not None
    assert "ns1:" not in body
    prefixes = {text_of(tr.find("td/code")): text_of(tr.findall("td")[1]) for tr in
                page.find(".//section[@id='prefixes']//tbody").iter("tr")}
    assert prefixes["ekg:"] == PREFIXES["ekg"]
    person = page.find(".//div[@id='Person']")
    assert text_of(person.find("h3/code")) == "ekg:Person"


def test_ontology_version_iri_resolves_here(client):
    page = parse_html(client.get("/ontology", headers={"Accept": BROWSER}).get_data(as_text=True))
    link = page.find(".//a[@id='version-iri']")
    assert text_of(link) == ONTOLOGY_IRI + "/0.1.0"
    assert link.get("href") == "/ontology/0.1.0"
    response = client.get(link.get("href"), headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(), format="turtle")
    assert (URIRef(ONTOLOGY_IRI), OWL.versionIRI, URIRef(ONTOLOGY_IRI + "/0.1.0")) in graph
    assert client.get("/ontology/0.0.9", headers={"Accept": "text/turtle"}).status_code == 404


def test_context_is_served_with_the_projects_prefixes(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.get_json() == {"@context": dict(sorted(PREFIXES.items()))}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("with_oxigraph", [False, True], ids=["rdflib", "pyoxigraph"])
def test_resource_json_ld_is_compact_and_round_trips(client, kg, with_oxigraph):
    response = client.get("/id/person/sergei-lavrov.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    doc = json.loads(response.get_data())
    assert doc["@context"] == CONTEXT_URL
    lavrov = next(node for node in doc["@graph"] if node["@id"] == "person:sergei-lavrov")
    assert lavrov["foaf:name"] == "Sergei Lavrov"
    graph = parse_rdf(client, response.get_data(), "json-ld", with_oxigraph=with_oxigraph)
    assert set(graph) == _construct(kg, str(LAVROV))


def test_void(client, kg):
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(), format="turtle")
    dataset = URIRef("https://w3id.org/eurasia-kg/dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    total = graph.value(dataset, VOID.triples)
    assert isinstance(total.toPython(), int) and total.toPython() > 1000
    sizes = kg.graph_sizes()
    subsets = list(graph.objects(dataset, VOID.subset))
    assert subsets
    for subset in subsets:
        assert graph.value(subset, VOID.triples).toPython() == sizes[str(subset)]
    as_nt = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert isomorphic(Graph().parse(data=as_nt.get_data(), format="nt"), graph)


def test_download_listing_and_a_dump(client, kg, dist):
    listing = client.get("/download")
    assert listing.status_code == 200
    page = parse_html(listing.get_data(as_text=True))
    links = {text_of(a): a.get("href") for a in page.find(".//table").iter("a")}
    assert links["eurasia-kg.nq"] == "/download/eurasia-kg.nq"
    assert {"eurasia-kg.ttl", "eurasia-kg.trig", "void.ttl", "ontology.ttl"} <= set(links)
    assert not any(name.startswith(".") for name in links)

    dump = client.get(links["eurasia-kg.nq"])
    assert dump.status_code == 200
    dataset = Dataset()
    dataset.parse(data=dump.get_data(), format="nquads")
    assert len(dataset) == len(kg)
    assert dump.get_data() == (dist / "eurasia-kg.nq").read_bytes()
    assert "max-age" in dump.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/download/.build-state.json", "/download/..%2Fpyproject.toml",
                                  "/download/no-such-file.ttl"])
def test_download_refuses_hidden_and_missing_files(client, path):
    assert client.get(path).status_code == 404


# --- escaping -----------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror="alert(2)">'
MALLORY = ID_BASE + "person/mallory"


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    """An app over a dist whose literals (and an IRI) are hostile HTML."""
    dist = tmp_path_factory.mktemp("hostile") / "dist"
    dist.mkdir()
    graph = f"<{ID_BASE.replace('/id/', '/graph/')}sources/hostile>"
    quote = f"<{ID_BASE}quote/hostile>"
    selector = f"<{ID_BASE}quote/hostile-selector>"
    lines = [
        f'<{MALLORY}> <{RDFS.label}> {Literal(SCRIPT).n3()} {graph} .',
        f'<{MALLORY}> <{RDF.type}> <{EKG.Person}> {graph} .',
        f'<{MALLORY}> <{RDFS.comment}> {Literal(ATTRIBUTE, lang="en").n3()} {graph} .',
        f'<{MALLORY}> <{RDFS.seeAlso}> <javascript:alert(3)> {graph} .',
        f'<{MALLORY}> <{EKG.quote}> {quote} {graph} .',
        f'{quote} <http://www.w3.org/ns/oa#hasSelector> {selector} {graph} .',
        f'{selector} <http://www.w3.org/ns/oa#exact> {Literal(SCRIPT + " said so").n3()} {graph} .',
        f'<{ID_BASE}event/party> <{EKG.participant}> <{MALLORY}> {graph} .',
        f'<{ID_BASE}event/party> <{RDFS.label}> {Literal("</td></tr>" + SCRIPT).n3()} {graph} .',
    ]
    (dist / "eurasia-kg.nq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = create_app(Settings(root=ROOT, dist=dist, workers=1))
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["ekg"].pool.close()


def _assert_inert(html: str) -> ET.Element:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    page = parse_html(html)
    for script in page.iter("script"):
        assert "alert" not in "".join(script.itertext())
    for element in page.iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
        assert not element.get("href", "").startswith("javascript:")
    return page


def test_literals_are_escaped_on_resource_pages(hostile_client):
    response = hostile_client.get("/id/person/mallory", headers={"Accept": BROWSER})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = _assert_inert(html)
    assert text_of(page.find(".//h1[@id='label']")) == SCRIPT  # shown as text, not run
    quotes = {text_of(q) for q in page.find(".//section[@id='quotes']").iter("blockquote")}
    assert quotes == {SCRIPT + " said so"}
    incoming = page.find(".//section[@id='incoming']")
    assert text_of(incoming.find(".//a")) == "</td></tr>" + SCRIPT


def test_literals_are_escaped_in_result_tables(hostile_client):
    from urllib.parse import urlencode

    query = "SELECT ?label ?comment WHERE { ?s rdfs:label ?label OPTIONAL { ?s rdfs:comment ?comment } }"
    response = hostile_client.get("/sparql?" + urlencode({"query": query}), headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = _assert_inert(response.get_data(as_text=True))
    cells = {text_of(td) for td in page.find(".//table[@id='results']").iter("td")}
    assert SCRIPT in cells
