"""Exports that tools read without complaint: GEXF (static and dynamic) and GraphML validate against the
published XSDs (tests/fixtures/schemas/, with their sources), the graph is named, GraphML ids are name
tokens, and every export carries the measures on nodes and weight, kinds and sources on edges."""

from __future__ import annotations

import io

import networkx as nx
import pytest

from eurasia_kg import network as N

from .conftest import ROOT

lxml = pytest.importorskip("lxml.etree", reason="lxml is a test dependency (pip install -e '.[test]')")

SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
QUERIES = N.load_queries(ROOT / "queries" / "network")
P = "https://w3id.org/eurasia-kg/id/person/"


class LocalSchemas(lxml.Resolver):
    """The schemas' http:// addresses, answered from the files beside the test: nothing is fetched."""

    def resolve(self, url, public_id, context):
        if url.startswith("http://graphml.graphdrawing.org/xmlns/1.0/"):
            return self.resolve_filename(str(SCHEMAS / "graphml-1.0" / url.rsplit("/", 1)[-1]), context)
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"the schema asked for {url}, which the tests do not have")
        return None


def _schema(path) -> lxml.XMLSchema:
    parser = lxml.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return lxml.XMLSchema(lxml.parse(str(path), parser))


@pytest.fixture(scope="module")
def gexf_schema():
    return _schema(SCHEMAS / "gexf-1.2draft" / "gexf.xsd")


@pytest.fixture(scope="module")
def graphml_schema():
    return _schema(SCHEMAS / "graphml-1.0" / "graphml.xsd")


@pytest.fixture(scope="module")
def article(kg) -> N.Network:
    return N.build_network(N.store_select(kg.store), QUERIES, N.Options(include_institutions=True))


@pytest.fixture(scope="module")
def results(article):
    return N.compute_measures(article.graph)


def _valid(schema, data: bytes) -> None:
    document = lxml.parse(io.BytesIO(data))
    if not schema.validate(document):
        raise AssertionError("\n".join(str(e) for e in list(schema.error_log)[:10]))


def test_gexf_validates_and_is_named(article, results, gexf_schema):
    data = N.export(article, "gexf", results=results)
    _valid(gexf_schema, data)
    root = lxml.fromstring(data)
    assert root.find("{http://www.gexf.net/1.2draft}graph").get("name") is None  # not in GEXF 1.2's schema
    assert root.findtext("{http://www.gexf.net/1.2draft}meta/{http://www.gexf.net/1.2draft}description") == \
        "eurasia-kg who-met-whom network"


def test_dynamic_gexf_validates_with_spells_per_window(article, results, gexf_schema):
    timeline = N.measures_by_period(article, "iranian-year", N.MEASURES)
    data = N.export(article, "gexf", results=results, timeline=timeline)
    _valid(gexf_schema, data)
    root = lxml.fromstring(data)
    ns = {"g": "http://www.gexf.net/1.2draft"}
    graph = root.find("g:graph", ns)
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    medvedev = root.find(f"g:graph/g:nodes/g:node[@id='{P}dmitry-medvedev']", ns)
    spells = [(s.get("start"), s.get("end")) for s in medvedev.findall("g:spells/g:spell", ns)]
    assert spells == [("2012-03-20", "2013-03-20")]  # the Iranian year 1391
    edge = root.find(f"g:graph/g:edges/g:edge[@source='{P}dmitry-medvedev'][@target='{P}mohammad-reza-rahimi']", ns)
    assert [(s.get("start"), s.get("end")) for s in edge.findall("g:spells/g:spell", ns)] == \
        [("2012-03-20", "2013-03-20")]
    dynamic = root.find("g:graph/g:attributes[@class='node'][@mode='dynamic']", ns)
    assert "degree_over_time" in {a.get("title") for a in dynamic.findall("g:attribute", ns)}


def test_graphml_validates_with_token_ids_and_the_iri_kept(article, results, graphml_schema):
    data = N.export(article, "graphml", results=results)
    _valid(graphml_schema, data)
    graph = nx.read_graphml(io.BytesIO(data))
    assert all(node.startswith("n") and node[1:].isdigit() for node in graph)
    assert {d["iri"] for _, d in graph.nodes(data=True)} == set(article.graph)


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "cytoscape", "json"])
def test_every_export_carries_the_measures_and_the_edge_attributes(article, results, fmt):
    data = N.export(article, fmt, results=results)
    if fmt == "gexf":
        graph = nx.read_gexf(io.BytesIO(data))
    elif fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(data))
        graph = nx.relabel_nodes(graph, {n: d["iri"] for n, d in graph.nodes(data=True)})
    elif fmt == "cytoscape":
        import json

        graph = nx.cytoscape_graph(json.loads(data))
    else:
        import json

        graph = nx.node_link_graph(json.loads(data), edges="links")
    medvedev = graph.nodes[P + "dmitry-medvedev"]
    for measure in N.MEASURES:
        assert float(medvedev[measure]) == pytest.approx(float(results[measure][P + "dmitry-medvedev"]))
    edge = graph.edges[P + "ali-akbar-salehi", P + "alexander-novak"]
    assert float(edge["weight"]) == 1.0
    kinds = edge["kinds"] if isinstance(edge["kinds"], str) else " ".join(edge["kinds"])
    sources = edge["sources"] if isinstance(edge["sources"], str) else " ".join(edge["sources"])
    assert kinds == "co-participated"
    assert sources == "https://w3id.org/eurasia-kg/graph/sources/avim-2013-23"


def test_csv_carries_weight_kinds_sources_and_dates(article):
    graph = N.read_csv_export(N.export(article, "csv"))
    edge = graph.edges[P + "ali-akbar-salehi", P + "alexander-novak"]
    assert (edge["weight"], edge["kinds"], edge["first_date"], edge["last_date"]) == \
        (1.0, "co-participated", "2012-03-20", "2013-03-20")


def test_a_label_with_markup_survives_every_xml_export(gexf_schema, graphml_schema):
    graph = nx.Graph()
    graph.add_node("https://example.org/a?x=1&y=<2>", label='A "quoted" <name> & more', kind="actor", country="",
                   unnamed=False)
    graph.add_node("https://example.org/b", label="B", kind="actor", country="", unnamed=False)
    graph.add_edge("https://example.org/a?x=1&y=<2>", "https://example.org/b", event_kinds={"e": {"consulted"}})
    network = N.Network(graph, N.Options(), {"e": {"label": "e & <f>", "start": "2013-01-01", "end": "2013-01-01",
                                                   "graphs": ["https://w3id.org/eurasia-kg/merged/x"], "code": "040"}})
    from eurasia_kg.network.build import _finish

    _finish(network)
    for fmt, schema in (("gexf", gexf_schema), ("graphml", graphml_schema)):
        data = N.export(network, fmt)
        _valid(schema, data)
        back = nx.read_gexf(io.BytesIO(data)) if fmt == "gexf" else nx.read_graphml(io.BytesIO(data))
        assert 'A "quoted" <name> & more' in {d["label"] for _, d in back.nodes(data=True)}
