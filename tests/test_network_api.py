"""The network's JSON API and exports under /network/…: the same network as `network.build_network`,
errors as 400s that list the accepted values, and an empty network as a valid answer."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest

from eurasia_kg import network as N
from eurasia_kg.config import Settings
from eurasia_kg.web import create_app

from .conftest import ROOT

P = "https://w3id.org/eurasia-kg/id/person/"
QUERIES = N.load_queries(ROOT / "queries" / "network")
RAHIMI_MEDVEDEV = frozenset((P + "mohammad-reza-rahimi", P + "dmitry-medvedev"))
SALEHI_NOVAK = frozenset((P + "ali-akbar-salehi", P + "alexander-novak"))
SALEHI_LAVROV = frozenset((P + "ali-akbar-salehi", P + "sergei-lavrov"))


@pytest.fixture(scope="module")
def app(settings, built):
    app = create_app(Settings(dist=settings.dist_dir, workers=1))
    yield app
    app.extensions["ekg"].pool.close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def select(kg):
    return N.store_select(kg.store)


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def pairs(answer: dict) -> set[frozenset]:
    return {frozenset((e["source"], e["target"])) for e in answer["edges"]}


def expected(select, **options) -> N.Network:
    return N.build_network(select, QUERIES, N.Options(**options))


CASES = [
    ("", {}),
    ("?edges=met", {"kinds": ("met",)}),
    ("?edges=co-participated,visited-host", {"kinds": ("co-participated", "visited-host")}),
    ("?edges=met&edges=co-participated", {"kinds": ("met", "co-participated")}),
    ("?unnamed=0", {"include_unnamed": False}),
    ("?institutions=1", {"include_institutions": True}),
    ("?interpretations=1", {"include_interpretations": True}),
    ("?iranian-year=1391", {"window": N.make_window(iranian_year=1391)}),
    ("?from=2013-01-01&to=2013-03-01", {"window": N.make_window("2013-01-01", "2013-03-01")}),
    ("?from=2012-03-20&unnamed=false&weight=unit", {"window": N.make_window("2012-03-20", None),
                                                    "include_unnamed": False, "weight": "unit"}),
]


@pytest.mark.parametrize(("query", "options"), CASES, ids=[c[0] or "defaults" for c in CASES])
def test_graph_json_is_the_network_build_network_makes(client, select, query, options):
    answer = get_json(client, "/network/graph.json" + query)
    network = expected(select, **options)
    assert {n["id"] for n in answer["nodes"]} == set(network.graph.nodes)
    assert pairs(answer) == {frozenset(e) for e in network.graph.edges}
    for edge in answer["edges"]:
        data = network.graph.edges[edge["source"], edge["target"]]
        assert edge["kinds"] == data["kinds"]
        assert edge["weight"] == data["weight"]
        assert [e["iri"] for e in edge["events"]] == data["events"]
    for node in answer["nodes"]:
        data = network.graph.nodes[node["id"]]
        assert (node["label"], node["country"], node["unnamed"], node["kind"]) == \
               (data["label"], data["country"], data["unnamed"], data["kind"])


def test_the_articles_edges_and_no_unsupported_pair(client):
    stated = pairs(get_json(client, "/network/graph.json"))
    assert RAHIMI_MEDVEDEV in stated  # both at the SCO meeting in Kyrgyzstan
    assert SALEHI_NOVAK in stated  # both at the 10th Joint Economic Commission meeting
    assert SALEHI_LAVROV not in stated  # only an interpretation links them
    assert SALEHI_LAVROV in pairs(get_json(client, "/network/graph.json?interpretations=1"))


def test_edges_carry_events_dates_and_quotes(client):
    answer = get_json(client, "/network/graph.json")
    edge = next(e for e in answer["edges"] if frozenset((e["source"], e["target"])) == SALEHI_NOVAK)
    assert edge["kinds"] == ["co-participated"]
    (event,) = edge["events"]
    assert event["iri"] == "https://w3id.org/eurasia-kg/id/event/joint-economic-commission-10th-meeting"
    assert event["label"].startswith("10th meeting of the Iran-Russia Joint Economic Commission")
    assert (event["start"], event["end"], event["date_interpreted"]) == ("2012-03-20", "2013-03-20", True)
    assert any("Ali Akbar Salehi" in quote for quote in event["quotes"])


@pytest.mark.parametrize("measure", N.MEASURES)
def test_node_values_are_the_chosen_measure(client, select, measure):
    answer = get_json(client, f"/network/graph.json?measure={measure}")
    assert answer["measure"] == measure
    values = N.compute_measures(expected(select).graph, [measure])[measure]
    assert {n["id"]: n["value"] for n in answer["nodes"]} == pytest.approx({k: float(v) for k, v in values.items()})


def test_the_default_measure_is_degree(client, select):
    answer = get_json(client, "/network/graph.json")
    assert answer["measure"] == "degree"
    degrees = dict(expected(select).graph.degree())
    assert {n["id"]: n["value"] for n in answer["nodes"]} == {k: float(v) for k, v in degrees.items()}


def test_window_is_reported(client):
    answer = get_json(client, "/network/graph.json?iranian-year=1391")
    assert answer["options"]["window"] == {"start": "2012-03-20", "end": "2013-03-20", "label": "Iranian year 1391"}
    assert get_json(client, "/network/graph.json?from=2013-01-01")["options"]["window"]["end"] is None


def test_an_empty_network_is_a_200_with_empty_lists(client):
    # Iranian year 1392 has events (the planned culture week), but no person took part in them.
    answer = get_json(client, "/network/graph.json?iranian-year=1392")
    assert (answer["nodes"], answer["edges"]) == ([], [])
    answer = get_json(client, "/network/graph.json?edges=visited-host&from=2013-01-01&to=2013-03-01&unnamed=0")
    assert answer["edges"] == []


BAD = [
    ("measure=centrality", "unknown measure centrality", N.MEASURES),
    ("edges=met,handshake", "unknown edge kind handshake", N.EDGE_KINDS),
    ("from=2013-02-30", "from must be a date as YYYY-MM-DD", ()),
    ("to=yesterday", "to must be a date as YYYY-MM-DD", ()),
    ("iranian-year=thirteen-ninety-one", "iranian-year must be a Solar Hijri year", ()),
    ("iranian-year=1300", "no event falls within Iranian year 1300", ()),
    ("from=1900-01-01&to=1900-12-31", "no event falls within", ()),
    ("from=2013-01-01&to=2012-01-01", "ends (2012-01-01) before it starts", ()),
    ("from=2013-01-01&iranian-year=1391", "either from/to or iranian-year", ()),
    ("unnamed=perhaps", "unnamed must be a yes/no flag", ("0", "1", "true", "false")),
    ("weight=heavy", "unknown weighting", ("events", "unit")),
    ("colour=red", "unknown parameter colour", ("edges", "from", "to", "iranian-year", "measure")),
]


@pytest.mark.parametrize(("query", "message", "accepted"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_400_listing_the_accepted_values(client, query, message, accepted):
    response = client.get("/network/graph.json?" + query)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert message in text
    for value in accepted:
        assert value in text


def test_exports_reject_the_same_bad_input(client):
    response = client.get("/network/export.gexf?measure=nope")
    assert response.status_code == 400
    assert "accepted: degree" in response.get_data(as_text=True)
    response = client.get("/network/export.pdf")
    assert response.status_code == 400
    assert "accepted: gexf, graphml, cytoscape, csv, json" in response.get_data(as_text=True)


# --- Exports ------------------------------------------------------------------------------------

def _read(fmt: str, body: bytes) -> nx.Graph:
    if fmt == "gexf":
        return nx.read_gexf(io.BytesIO(body))
    if fmt == "graphml":  # node ids are name tokens; the IRI is the iri attribute
        graph = nx.read_graphml(io.BytesIO(body))
        return nx.relabel_nodes(graph, {n: d["iri"] for n, d in graph.nodes(data=True)})
    if fmt == "cytoscape":
        return nx.cytoscape_graph(json.loads(body))
    if fmt == "json":
        return nx.node_link_graph(json.loads(body), edges="links")
    return N.read_csv_export(body)


@pytest.mark.parametrize("fmt", N.EXPORT_FORMATS)
@pytest.mark.parametrize("query", ["", "?iranian-year=1391&unnamed=0", "?interpretations=1&institutions=1"])
def test_exports_parse_with_networkx_and_match_the_network(client, select, fmt, query):
    response = client.get(f"/network/export.{fmt}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"eurasia-kg-network.")
    graph = _read(fmt, response.get_data())
    options = {"": {}, "?iranian-year=1391&unnamed=0": {"window": N.make_window(iranian_year=1391),
                                                        "include_unnamed": False},
               "?interpretations=1&institutions=1": {"include_interpretations": True,
                                                     "include_institutions": True}}[query]
    network = expected(select, **options)
    assert {frozenset(e) for e in graph.edges} == {frozenset(e) for e in network.graph.edges}
    if fmt != "csv":  # an edge list cannot carry nodes without edges
        assert set(graph.nodes) == set(network.graph.nodes)


def test_export_media_types(client):
    types = {fmt: client.get(f"/network/export.{fmt}").mimetype for fmt in N.EXPORT_FORMATS}
    assert types == {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml",
                     "cytoscape": "application/json", "csv": "text/csv", "json": "application/json"}


def test_the_page_links_the_exports(client):
    response = client.get("/network")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for fmt in ("gexf", "graphml"):
        assert f'href="/network/export.{fmt}"' in html
    assert 'id="download-png"' in html
    assert "<script>" not in html  # the CSP allows no inline script: all code is in static files
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- Neighbourhood ------------------------------------------------------------------------------

def test_neighbourhood_is_the_persons_ego_network(client, select):
    node = P + "saeed-jalili"
    answer = get_json(client, "/network/neighbourhood.json?node=" + node)
    ego = nx.ego_graph(expected(select).graph, node, radius=1)
    assert answer["node"] == node
    assert {n["id"] for n in answer["nodes"]} == set(ego.nodes) == {node, P + "nikolai-patrushev"}
    assert pairs(answer) == {frozenset(e) for e in ego.edges}
    assert answer["edges"][0]["events"][0]["quotes"]


def test_neighbourhood_follows_the_filters(client):
    node = P + "ali-akbar-salehi"
    stated = get_json(client, "/network/neighbourhood.json?node=" + node)
    implied = get_json(client, f"/network/neighbourhood.json?node={node}&interpretations=1")
    assert P + "sergei-lavrov" not in {n["id"] for n in stated["nodes"]}
    assert P + "sergei-lavrov" in {n["id"] for n in implied["nodes"]}


def test_neighbourhood_of_someone_without_links_is_empty(client):
    answer = get_json(client, "/network/neighbourhood.json?node=" + P + "no-such-person")
    assert (answer["nodes"], answer["edges"]) == ([], [])


@pytest.mark.parametrize(("query", "message"), [("", "give the node"), ("node=x&radius=9", "radius must be"),
                                                ("node=x&measure=size", "accepted: degree")])
def test_neighbourhood_bad_input(client, query, message):
    response = client.get("/network/neighbourhood.json?" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_person_pages_embed_the_neighbourhood(client):
    html = client.get("/id/person/saeed-jalili", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="neighbourhood-graph"' in html
    assert f'data-node="{P}saeed-jalili"' in html
    page = client.get("/id/event/joint-economic-commission-10th-meeting", headers={"Accept": "text/html"})
    assert 'id="neighbourhood-graph"' not in page.get_data(as_text=True)


def test_cors_and_etag(client):
    response = client.get("/network/graph.json", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://example.org")
    again = client.get("/network/graph.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_page_script_never_writes_data_as_html():
    script = (ROOT / "src" / "eurasia_kg" / "web" / "static" / "network.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


# --- Over time, one link, a person's figure (issue 10) ------------------------------------------

def test_timeline_json_replays_the_network_window_by_window(client, select):
    response = client.get("/network/timeline.json?period=iranian-year&measure=degree")
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["period"], answer["measure"]) == ("iranian-year", "degree")
    labels = [w["label"] for w in answer["windows"]]
    assert labels == ["1391 SH"]
    window = answer["windows"][0]
    assert window["nodes"][P + "dmitry-medvedev"] == 1.0
    assert f"{P}dmitry-medvedev {P}mohammad-reza-rahimi" in {e["id"] for e in window["edges"]}
    assert (window["start"], window["end"]) == ("2012-03-20", "2013-03-20")


def test_timeline_json_rejects_an_unknown_period(client):
    response = client.get("/network/timeline.json?period=decade")
    assert response.status_code == 400
    assert "accepted: month, quarter, year, iranian-year" in response.get_data(as_text=True)


def test_edge_json_gives_one_links_events(client):
    response = client.get(f"/network/edge.json?source={P}ali-akbar-salehi&target={P}alexander-novak")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["kinds"] == ["co-participated"]
    assert answer["sources"] == ["https://w3id.org/eurasia-kg/graph/sources/avim-2013-23"]
    assert [e["iri"] for e in answer["events"]] == [
        "https://w3id.org/eurasia-kg/id/event/joint-economic-commission-10th-meeting"]
    missing = client.get(f"/network/edge.json?source={P}ali-akbar-salehi&target={P}vladimir-putin")
    assert missing.status_code == 400 and "no link between" in missing.get_data(as_text=True)


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml")])
def test_person_timeline_figure(client, fmt, magic):
    response = client.get(f"/network/person-timeline.{fmt}?node={P}dmitry-medvedev&measure=degree&period=year")
    assert response.status_code == 200
    assert response.mimetype == {"png": "image/png", "svg": "image/svg+xml"}[fmt]
    assert response.get_data()[:len(magic)] == magic
    if fmt == "svg":
        assert b"Dmitry Medvedev: degree by year" in response.get_data()


def test_person_page_shows_the_centrality_figure(client):
    page = client.get("/id/person/dmitry-medvedev").get_data(as_text=True)
    assert "/network/person-timeline.svg?node=https://w3id.org/eurasia-kg/id/person/dmitry-medvedev&amp;" \
        in page


def test_a_dynamic_gexf_has_spells(client):
    response = client.get("/network/export.gexf?period=iranian-year")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'mode="dynamic"' in body and "<spells>" in body and 'timeformat="date"' in body
