"""The who-met-whom network: measures checked by hand, the article's edges, exports, errors, PROV."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest

from eurasia_kg import cli
from eurasia_kg import network as N

from .conftest import ROOT

P = "https://w3id.org/eurasia-kg/id/person/"
QUERIES = N.load_queries(ROOT / "queries" / "network")


# --- Measures on small graphs, with values worked out by hand --------------------

@pytest.fixture
def path3() -> nx.Graph:
    """a – b – c, weights 1 and 2."""
    graph = nx.Graph()
    graph.add_edge("a", "b", weight=1.0)
    graph.add_edge("b", "c", weight=2.0)
    return graph


def test_degree_and_weighted_degree(path3):
    r = N.compute_measures(path3, ["degree", "weighted_degree"])
    assert r["degree"] == {"a": 1, "b": 2, "c": 1}
    assert r["weighted_degree"] == {"a": 1.0, "b": 3.0, "c": 2.0}


def test_betweenness_of_a_path(path3):
    # b lies on the one shortest path a–c: 1 pair out of (n-1)(n-2)/2 = 1, so normalised 1.0.
    assert N.compute_measures(path3, ["betweenness"])["betweenness"] == {"a": 0.0, "b": 1.0, "c": 0.0}


def test_closeness_of_a_path(path3):
    # a: distances 1 and 2, closeness = 2/3; b: distances 1 and 1, closeness = 1.
    r = N.compute_measures(path3, ["closeness"])["closeness"]
    assert r == pytest.approx({"a": 2 / 3, "b": 1.0, "c": 2 / 3})


def test_core_number_of_a_triangle_with_a_tail():
    graph = nx.Graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert N.compute_measures(graph, ["core_number"])["core_number"] == {"a": 2, "b": 2, "c": 2, "d": 1}


def test_pagerank_of_a_star_sums_to_one():
    # Star with centre h and 3 leaves, unweighted: by symmetry leaves equal, and the centre gets
    # (1-d)/4 + d * 3 * (leaf/1); leaf = (1-d)/4 + d * centre/3. Solve: centre = 0.4737, leaf = 0.1754.
    graph = nx.star_graph(3)
    nx.set_edge_attributes(graph, 1.0, "weight")
    r = N.compute_measures(graph, ["pagerank"])["pagerank"]
    d = 0.85
    centre = ((1 - d) / 4 + d * 3 * (1 - d) / 4) / (1 - d * d)
    leaf = (1 - d) / 4 + d * centre / 3
    assert r[0] == pytest.approx(centre, abs=1e-6)
    assert r[1] == pytest.approx(leaf, abs=1e-6)
    assert sum(r.values()) == pytest.approx(1.0)


def test_eigenvector_on_a_disconnected_graph():
    # Two components: a single edge (x–y) and a path a–b–c; plus an isolated node z.
    # Edge: both 1/sqrt(2), share 2/6. Path a–b–c: principal eigenvector (1, sqrt2, 1)/2, share 3/6.
    graph = nx.Graph([("x", "y"), ("a", "b"), ("b", "c")])
    graph.add_node("z")
    nx.set_edge_attributes(graph, 1.0, "weight")
    r = N.compute_measures(graph, ["eigenvector"])["eigenvector"]
    assert r["z"] == 0.0
    assert r["x"] == pytest.approx(2 / 6 / math.sqrt(2))
    assert r["a"] == pytest.approx(3 / 6 * 0.5)
    assert r["b"] == pytest.approx(3 / 6 * math.sqrt(2) / 2)


def test_louvain_is_deterministic_and_finds_two_cliques():
    graph = nx.Graph()
    graph.add_edges_from([(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6), (3, 4)], weight=1.0)
    first = N.compute_measures(graph, ["community"])["community"]
    assert first == N.compute_measures(graph, ["community"])["community"]
    assert first[1] == first[2] == first[3] != first[4] == first[5] == first[6]


def test_empty_network_is_a_valid_answer():
    assert N.compute_measures(nx.Graph()) == {m: {} for m in N.MEASURES}


# --- The article's network ---------------------------------------------------------

@pytest.fixture(scope="module")
def select(kg):
    return N.store_select(kg.store)


def _pairs(network: N.Network) -> set[frozenset]:
    return {frozenset((a.removeprefix(P), b.removeprefix(P))) for a, b in network.graph.edges}


EXPECTED_PAIRS = {
    frozenset(("mohammad-reza-rahimi", "dmitry-medvedev")),  # SCO meeting in Kyrgyzstan
    frozenset(("ali-akbar-salehi", "alexander-novak")),  # 10th Joint Economic Commission meeting
    frozenset(("saeed-jalili", "nikolai-patrushev")),  # exchange of visits on Syria
    frozenset(("unnamed-deputy-of-saeed-jalili", "unnamed-deputy-of-nikolai-patrushev")),  # secondary meetings
    frozenset(("unnamed-iranian-deputy-minister-energy-petroleum", "unnamed-russian-deputy-minister-energy-petroleum")),
    frozenset(("unnamed-iranian-culture-minister", "unnamed-russian-culture-minister")),  # exchange of visits
    # The foreign ministers of the exchange of visits, now unnamed post-holders in the stated graph (issue 11).
    frozenset(("unnamed-iranian-foreign-minister-visit-exchange", "unnamed-russian-foreign-minister-visit-exchange")),
}


def test_article_network_has_exactly_the_supported_pairs(kg, select):
    network = N.build_network(select, QUERIES, N.Options())
    assert _pairs(network) == EXPECTED_PAIRS


def test_edges_carry_events_dates_and_quotes(kg, select):
    network = N.build_network(select, QUERIES, N.Options())
    data = network.graph.edges[P + "ali-akbar-salehi", P + "alexander-novak"]
    assert data["kinds"] == ["co-participated"]
    assert data["events"] == ["https://w3id.org/eurasia-kg/id/event/joint-economic-commission-10th-meeting"]
    event = network.events[data["events"][0]]
    assert (event["start"], event["end"], event["date_interpreted"]) == ("2012-03-20", "2013-03-20", True)
    assert any("Ali Akbar Salehi" in q for q in event["quotes"])


def test_met_edges_only_where_the_text_states_a_meeting_or_talks(kg, select):
    network = N.build_network(select, QUERIES, N.Options(kinds=("met",)))
    assert _pairs(network) == {
        frozenset(("unnamed-deputy-of-saeed-jalili", "unnamed-deputy-of-nikolai-patrushev")),
        frozenset(("unnamed-iranian-deputy-minister-energy-petroleum",
                   "unnamed-russian-deputy-minister-energy-petroleum")),
    }


def test_visited_host_is_empty_because_the_article_names_no_host(kg, select):
    network = N.build_network(select, QUERIES, N.Options(kinds=("visited-host",)))
    assert network.graph.number_of_edges() == 0


def test_unnamed_post_holders_can_be_left_out(kg, select):
    network = N.build_network(select, QUERIES, N.Options(include_unnamed=False))
    assert all(not d["unnamed"] for _, d in network.graph.nodes(data=True))
    assert len(_pairs(network)) == 3


def test_interpretations_are_opt_in(kg, select):
    salehi_lavrov = frozenset(("ali-akbar-salehi", "sergei-lavrov"))
    assert salehi_lavrov not in _pairs(N.build_network(select, QUERIES, N.Options()))
    assert salehi_lavrov in _pairs(N.build_network(select, QUERIES, N.Options(include_interpretations=True)))


def test_time_window_by_solar_hijri_year_and_by_dates(kg, select):
    in_1391 = N.build_network(select, QUERIES, N.Options(window=N.make_window(iranian_year=1391)))
    assert _pairs(in_1391) == EXPECTED_PAIRS
    feb_2013 = N.build_network(select, QUERIES, N.Options(window=N.make_window("2013-02-01", "2013-02-28")))
    assert set(feb_2013.graph.nodes) == {P + "vladimir-kolokoltsev"}
    assert feb_2013.graph.number_of_edges() == 0


def test_institutions_make_a_person_institution_graph(kg, select):
    network = N.build_network(select, QUERIES, N.Options(include_institutions=True))
    assert network.graph.has_edge(P + "sergei-lavrov",
                                  "https://w3id.org/eurasia-kg/id/org/ministry-of-foreign-affairs-of-russia")


@pytest.mark.parametrize("kwargs,message", [
    ({"kinds": ("met", "hugged")}, "unknown edge kind hugged; accepted: met, co-participated, visited-host"),
    ({"weight": "heavy"}, "unknown weighting 'heavy'; accepted: events, unit"),
])
def test_bad_options_are_clear_errors(kwargs, message):
    with pytest.raises(N.NetworkError, match=message):
        N.Options(**kwargs)


def test_window_with_no_events_is_an_error(kg, select):
    with pytest.raises(N.NetworkError, match="no event falls within"):
        N.build_network(select, QUERIES, N.Options(window=N.make_window("1990-01-01", "1990-12-31")))


@pytest.mark.parametrize("args,message", [
    (("2013-02-30", None, None), "--from must be a date as YYYY-MM-DD"),
    (("2013-03-01", "2013-01-01", None), "ends (2013-01-01) before it starts"),
    ((None, None, "thirteen ninety-one"), "--iranian-year must be a Solar Hijri year"),
])
def test_malformed_windows(args, message):
    with pytest.raises(N.NetworkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        N.make_window(*args)


# --- Exports round-trip through networkx's readers ------------------------------------

@pytest.fixture(scope="module")
def article(kg, select) -> N.Network:
    return N.build_network(select, QUERIES, N.Options())


@pytest.mark.parametrize("fmt", N.EXPORT_FORMATS)
def test_export_round_trips(article, fmt, tmp_path):
    data = N.export(article, fmt, tmp_path / f"network.{fmt}")
    assert (tmp_path / f"network.{fmt}").read_bytes() == data
    if fmt == "gexf":
        back = nx.read_gexf(tmp_path / "network.gexf")
    elif fmt == "graphml":
        back = nx.read_graphml(tmp_path / "network.graphml")
        back = nx.relabel_nodes(back, {n: d["iri"] for n, d in back.nodes(data=True)})  # ids are n0, n1, …
    elif fmt == "cytoscape":
        back = nx.cytoscape_graph(json.loads(data))
    elif fmt == "json":
        back = nx.node_link_graph(json.loads(data), edges="links")
    else:
        back = N.read_csv_export(data)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in article.graph.edges}
    if fmt != "csv":
        assert set(back.nodes) == set(article.graph.nodes)
    a, b = P + "ali-akbar-salehi", P + "alexander-novak"
    assert float(back.edges[a, b]["weight"]) == 1.0


# --- CLI -----------------------------------------------------------------------------

def test_cli_measures_json(capsys, built, settings):
    code = cli.main(["network", "measures", "--measure", "degree", "--format", "json", "--dist",
                     str(settings.dist_dir)])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    degrees = {r["node"].removeprefix(P): r["degree"] for r in rows}
    assert degrees["dmitry-medvedev"] == 1 and degrees["sergei-lavrov"] == 0


@pytest.mark.parametrize("argv,message", [
    (["measures", "--measure", "fame"], "accepted: degree, weighted_degree, betweenness"),
    (["measures", "--edges", "met,waved"], "accepted: met, co-participated, visited-host"),
    (["measures", "--from", "yesterday"], "--from must be a date"),
    (["measures", "--format", "xlsx"], "accepted: table, csv, json"),
    (["export", "--format", "dot"], "accepted: gexf, graphml, cytoscape, csv, json"),
    (["plot", "figure.txt"], "ending in .svg, .png or .pdf"),
])
def test_cli_bad_input_exits_2_listing_accepted_values(capsys, built, settings, argv, message):
    code = cli.main(["network", *argv, "--dist", str(settings.dist_dir)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_plot_writes_a_png(built, settings, tmp_path):
    out = tmp_path / "network.png"
    assert cli.main(["network", "plot", str(out), "--measure", "degree", "--dist", str(settings.dist_dir)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- Measures in the graph, with their PROV record --------------------------------------

def test_metrics_are_queryable_with_prov(kg):
    rows = kg.select("""
        PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?person ?value ?version ?started WHERE { GRAPH <https://w3id.org/eurasia-kg/graph/metrics> {
            ?m ekg:networkMeasure ekg:Degree ; ekg:measureOf ?person ; ekg:value ?value ; prov:wasGeneratedBy ?a .
            ?a ekg:softwareVersion ?version ; prov:startedAtTime ?started ; ekg:edgeKind "met" } }
        ORDER BY DESC(?value) ?person""").rows
    values = {r[0].value.removeprefix(P): float(r[1].value) for r in rows}
    assert values["dmitry-medvedev"] == 1.0 and values["vladimir-kolokoltsev"] == 0.0
    assert rows[0][2].value.startswith("networkx ")


# --- Over time (issue 10) ----------------------------------------------------------------------

@pytest.mark.parametrize("day,period,label,first,last", [
    ("2013-02-14", "month", "2013-02", "2013-02-01", "2013-02-28"),
    ("2012-02-29", "month", "2012-02", "2012-02-01", "2012-02-29"),
    ("2013-11-30", "quarter", "2013-Q4", "2013-10-01", "2013-12-31"),
    ("2013-04-01", "quarter", "2013-Q2", "2013-04-01", "2013-06-30"),
    ("2013-07-04", "year", "2013", "2013-01-01", "2013-12-31"),
    ("2013-03-20", "iranian-year", "1391 SH", "2012-03-20", "2013-03-20"),  # the last day of 1391
    ("2013-03-21", "iranian-year", "1392 SH", "2013-03-21", "2014-03-20"),  # Nowruz 1392
])
def test_periods(day, period, label, first, last):
    import datetime as dt

    window = N.period_of(dt.date.fromisoformat(day), period)
    assert (window.label, window.start.isoformat(), window.end.isoformat()) == (label, first, last)


def test_periods_cover_a_range_without_gaps():
    import datetime as dt

    windows = N.periods("quarter", dt.date(2012, 11, 5), dt.date(2013, 8, 1))
    assert [w.label for w in windows] == ["2012-Q4", "2013-Q1", "2013-Q2", "2013-Q3"]
    assert all(b.start - a.end == dt.timedelta(days=1) for a, b in zip(windows, windows[1:], strict=False))


def test_article_measures_per_iranian_year(kg, select):
    network = N.build_network(select, QUERIES, N.Options())
    timeline = N.measures_by_period(network, "iranian-year", ["degree"])
    assert [p.window.label for p in timeline.windows] == ["1391 SH"]
    assert _pairs(timeline.windows[0].network) == EXPECTED_PAIRS
    assert timeline.windows[0].results["degree"][P + "dmitry-medvedev"] == 1


def test_metrics_graph_holds_measures_per_window(kg):
    rows = kg.select("""
        PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?start ?end ?value WHERE { GRAPH <https://w3id.org/eurasia-kg/graph/metrics> {
            ?m ekg:networkMeasure ekg:Degree ; ekg:measureOf <https://w3id.org/eurasia-kg/id/person/dmitry-medvedev> ;
               ekg:value ?value ; prov:wasGeneratedBy ?a .
            ?a ekg:windowStart ?start ; ekg:windowEnd ?end ; ekg:parameter "period=iranian-year" } }""").rows
    assert [(r[0].value, r[1].value, float(r[2].value)) for r in rows] == [("2012-03-20", "2013-03-20", 1.0)]


def test_cli_measures_by_period(capsys, built, settings):
    code = cli.main(["network", "measures", "--by", "iranian-year", "--measure", "degree", "--format", "csv",
                     "--dist", str(settings.dist_dir)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "window,start,end,node,label,degree"
    assert f"1391 SH,2012-03-20,2013-03-20,{P}dmitry-medvedev,Dmitry Medvedev,1" in out
    code = cli.main(["network", "measures", "--by", "quarter", "--measure", "degree", "--dist",
                     str(settings.dist_dir)])
    table = capsys.readouterr().out
    assert code == 0 and table.startswith("degree by quarter") and "2013-Q1" in table


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml")])
def test_cli_timeline_figure(built, settings, tmp_path, suffix, magic):
    out = tmp_path / f"medvedev{suffix}"
    assert cli.main(["network", "timeline", str(out), "--node", P + "dmitry-medvedev", "--by", "iranian-year",
                     "--dist", str(settings.dist_dir)]) == 0
    assert out.read_bytes()[:len(magic)] == magic


@pytest.mark.parametrize("argv,message", [
    (["measures", "--by", "decade"], "unknown period 'decade'; accepted: month, quarter, year, iranian-year"),
    (["timeline", "x.svg"], "give the person: --node <IRI>"),
    (["timeline", "x.svg", "--node", P + "nobody"], "is not a node of this network"),
    (["measures", "--sources", "acled"], "unknown source acled; accepted: none (no source is merged)"),
    (["export", "--format", "graphml", "--by", "year"], "a dynamic export (with --by) is GEXF only"),
])
def test_cli_time_and_source_errors_exit_2(capsys, built, settings, argv, message):
    assert cli.main(["network", *argv, "--dist", str(settings.dist_dir)]) == 2
    assert message in capsys.readouterr().err
