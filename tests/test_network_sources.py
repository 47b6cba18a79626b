"""The network across sources: event data (ICEWS and GDELT style, as RDF and as tab-separated files)
merged into a temporary store beside the curated graphs, aligned, and turned into links with provenance."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import pyoxigraph as ox
import pytest

from eurasia_kg import cli, dataset, merge, tabular
from eurasia_kg import network as N
from eurasia_kg.dataset import LocalDataset

from .conftest import ROOT

P = "https://w3id.org/eurasia-kg/id/person/"
FIXTURES = ROOT / "tests" / "fixtures" / "event-data"
MAPPINGS = ROOT / "queries" / "mappings"
QUERIES = N.load_queries(ROOT / "queries" / "network")
MERGED = "https://w3id.org/eurasia-kg/merged/"
IDRISSOV = "https://w3id.org/eurasia-kg/event-data/icews/actor/Erlan%20Idrissov--Kazakhstan"


# --- The mapping of tab-separated files --------------------------------------------------------

def _mapped(tmp_path, name: str, mapping: str) -> ox.Store:
    out = tmp_path / f"{name}.nt"
    tabular.to_rdf_file(FIXTURES / name, MAPPINGS / mapping, out)
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.N_TRIPLES)
    return store


EVD = "https://w3id.org/eurasia-kg/event-data#"


def test_icews_rows_are_mapped_by_column_name(tmp_path):
    store = _mapped(tmp_path, "icews-events.tsv", "icews-events.toml")
    rows = {tuple(term.value for term in r) for r in store.query(
        f"SELECT ?id ?code ?date ?source ?target WHERE {{ ?e <{EVD}eventId> ?id ; <{EVD}cameoCode> ?code ; "
        f"<{EVD}date> ?date ; <{EVD}sourceActor>/<http://www.w3.org/2000/01/rdf-schema#label> ?source ; "
        f"<{EVD}targetActor>/<http://www.w3.org/2000/01/rdf-schema#label> ?target }}")}
    assert len(rows) == 6
    assert ("90003", "044", "2013-08-20", "Sergey Lavrov", "Erlan Idrissov") in rows
    assert ("90004", "057", "2013-08-21", "Sergey Lavrov", "Saeed Jalili") in rows


def test_a_shuffled_icews_file_maps_the_same(tmp_path):
    """Columns are found by name: reversing their order changes nothing."""
    lines = (FIXTURES / "icews-events.tsv").read_text().splitlines()
    shuffled = tmp_path / "shuffled.tsv"
    shuffled.write_text("\n".join("\t".join(reversed(line.split("\t"))) for line in lines) + "\n")
    original, reordered = tmp_path / "a.nt", tmp_path / "b.nt"
    tabular.to_rdf_file(FIXTURES / "icews-events.tsv", MAPPINGS / "icews-events.toml", original)
    tabular.to_rdf_file(shuffled, MAPPINGS / "icews-events.toml", reordered)
    assert sorted(original.read_text().splitlines()) == sorted(reordered.read_text().splitlines())


def test_gdelt_rows_without_header_are_mapped_by_the_mappings_column_list(tmp_path):
    store = _mapped(tmp_path, "gdelt-events.tsv", "gdelt-events.toml")
    codes = {r[0].value: (r[1].value, r[2].value) for r in store.query(
        f"SELECT ?id ?code ?date WHERE {{ ?e <{EVD}eventId> ?id ; <{EVD}cameoCode> ?code ; <{EVD}date> ?date }}")}
    assert codes == {"700001": ("042", "2013-09-15"), "700002": ("0461", "2013-11-20"),
                     "700003": ("190", "2013-11-21")}


def test_gzipped_tsv_is_read(tmp_path):
    packed = tmp_path / "icews-events.tsv.gz"
    with gzip.open(packed, "wb") as out:
        out.write((FIXTURES / "icews-events.tsv").read_bytes())
    assert tabular.to_rdf_file(packed, MAPPINGS / "icews-events.toml", tmp_path / "out.nt") > 0


@pytest.mark.parametrize("content,message", [
    ("Event ID\tEvent Date\n1\t2013-01-01\n", "missing column Source Name, Source Country, CAMEO Code"),
    (None, "line 3: 19 fields where the header has 20"),
    ("", "line 1: the file is empty"),
])
def test_bad_files_name_the_line_and_the_reason_and_leave_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.tsv"
    if content is None:
        lines = (FIXTURES / "icews-events.tsv").read_text().splitlines()
        lines[2] = "\t".join(lines[2].split("\t")[:-1])
        content = "\n".join(lines) + "\n"
    bad.write_text(content)
    out = tmp_path / "bad.nt"
    with pytest.raises(tabular.TabularError, match=message):
        tabular.to_rdf_file(bad, MAPPINGS / "icews-events.toml", out)
    assert not out.exists()
    assert str(bad) in _message(bad, out)


def _message(bad, out) -> str:
    try:
        tabular.to_rdf_file(bad, MAPPINGS / "icews-events.toml", out)
    except tabular.TabularError as exc:
        return str(exc)
    return ""


def test_a_bad_tsv_merge_changes_nothing(built, settings, tmp_path):
    ds = LocalDataset(tmp_path / "store")
    dataset.sync(ds, settings.dist_dir)
    before = len(ds.reader().store)
    bad = tmp_path / "bad.tsv"
    bad.write_text("Event ID\tSource Name\n1\tx\n")
    with pytest.raises(merge.MergeError, match="missing column"):
        tabular.merge_tabular(ds, bad, MAPPINGS / "icews-events.toml")
    assert len(ds.reader().store) == before


def test_a_tsv_over_the_size_limit_is_refused_before_mapping(tmp_path, monkeypatch):
    mapped = []
    monkeypatch.setattr(tabular, "to_rdf_file", lambda *args: mapped.append(args))
    with pytest.raises(merge.MergeError, match="over the limit of 100"):
        tabular.merge_tabular(LocalDataset(tmp_path / "store"), FIXTURES / "icews-events.tsv",
                              MAPPINGS / "icews-events.toml", max_bytes=100)
    assert mapped == []


def test_a_mapping_with_unknown_keys_is_refused(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('construct = "x.rq"\ncolumn = ["a"]\n')
    with pytest.raises(tabular.TabularError, match="unknown key column; accepted: title, construct"):
        tabular.load_mapping(mapping)


# --- Merged, aligned, and in the network ----------------------------------------------------------

@pytest.fixture(scope="module")
def merged(built, settings, tmp_path_factory):
    """The curated graphs, then the four event-data fixtures and the ICEWS crosswalk, merged (and aligned as
    each is merged) into a temporary store; the store."""
    work = tmp_path_factory.mktemp("event-data")
    ds = LocalDataset(work / "store")
    dataset.sync(ds, settings.dist_dir)
    for name, mapping in (("icews-events.tsv", "icews-events.toml"), ("gdelt-events.tsv", "gdelt-events.toml")):
        result = tabular.merge_tabular(ds, FIXTURES / name, MAPPINGS / mapping, name.replace(".tsv", "-tsv"))
        assert result.changed and result.record.triples > 0
    for name in ("icews-actor-links.ttl", "icews-style-events.ttl", "gdelt-style-events.ttl"):
        shutil.copy(FIXTURES / name, work / name)
        merge.merge_file(ds, work / name)
    return ds.reader().store


def _pairs(network: N.Network) -> set[frozenset]:
    return {frozenset((a.removeprefix(P), b.removeprefix(P))) for a, b in network.graph.edges}


def test_merged_event_data_adds_consulted_links_beside_the_articles(kg, merged):
    article = N.build_network(N.store_select(kg.store), QUERIES, N.Options())
    network = N.build_network(N.store_select(merged), QUERIES, N.Options())
    assert _pairs(article) < _pairs(network)  # every link of the article is still there
    consulted = {frozenset((a.removeprefix(P), b.removeprefix(P))) for a, b, d in network.graph.edges(data=True)
                 if "consulted" in d["kinds"]}
    assert consulted == {
        frozenset(("sergei-lavrov", "saeed-jalili")),  # ICEWS 040 and 046 (057 and 036 are not links)
        frozenset(("vladimir-putin", "saeed-jalili")),  # ICEWS 043
        frozenset(("sergei-lavrov", IDRISSOV)),  # ICEWS 044: an actor of its own
        frozenset(("dmitry-medvedev", "https://example.org/icews-style/actor/rouhani")),  # RDF 044
        frozenset(("nikolai-patrushev", "dmitry-medvedev")),  # RDF 040 (173 is not a link)
        frozenset(("https://w3id.org/eurasia-kg/event-data/gdelt/actor/IRNGOV",
                   "https://w3id.org/eurasia-kg/event-data/gdelt/actor/RUSGOV")),  # GDELT 042, 0461 (190 is not)
        frozenset(("https://example.org/gdelt-style/actor/IRNGOV",
                   "https://example.org/gdelt-style/actor/RUSGOV")),  # aligned to a place: stays itself
        frozenset(("https://example.org/gdelt-style/actor/IRNGOV",
                   "https://example.org/gdelt-style/actor/TURGOV")),
    }


def test_each_link_keeps_its_events_graphs_dates_and_codes(merged):
    network = N.build_network(N.store_select(merged), QUERIES, N.Options())
    data = network.graph.edges[P + "sergei-lavrov", P + "saeed-jalili"]
    assert data["events"] == ["https://w3id.org/eurasia-kg/event-data/icews/event/90001",
                              "https://w3id.org/eurasia-kg/event-data/icews/event/90006"]
    assert data["sources"] == [MERGED + "icews-events-tsv"]
    assert data["codes"] == ["040", "046"]
    assert data["weight"] == 2.0
    first = network.events[data["events"][0]]
    assert (first["start"], first["end"], first["code"]) == ("2013-05-14", "2013-05-14", "040")
    assert first["label"] == "Sergey Lavrov: Consult: Saeed Jalili"
    actor = network.graph.nodes[IDRISSOV]
    assert (actor["label"], actor["kind"], actor["country"]) == ("Erlan Idrissov", "actor", "Kazakhstan")
    assert network.graph.nodes[P + "saeed-jalili"]["kind"] == "person"  # joined our node


def test_the_article_links_keep_their_own_graph(merged):
    network = N.build_network(N.store_select(merged), QUERIES, N.Options())
    data = network.graph.edges[P + "ali-akbar-salehi", P + "alexander-novak"]
    assert data["sources"] == ["https://w3id.org/eurasia-kg/graph/sources/avim-2013-23"]
    assert data["kinds"] == ["co-participated"]


def test_sources_are_chosen_by_name(merged):
    only_gdelt = N.build_network(N.store_select(merged), QUERIES, N.Options(sources=("gdelt-events-tsv",)))
    assert {d["sources"][0] for _, _, d in only_gdelt.graph.edges(data=True) if "consulted" in d["kinds"]} == \
        {MERGED + "gdelt-events-tsv"}
    # without the crosswalk the ICEWS actors are not aligned: Lavrov's ICEWS links are the ICEWS actor's
    no_links = N.build_network(N.store_select(merged), QUERIES, N.Options(sources=("icews-events-tsv",)))
    assert not no_links.graph.has_edge(P + "sergei-lavrov", P + "saeed-jalili")
    assert no_links.graph.has_edge("https://w3id.org/eurasia-kg/event-data/icews/actor/Sergey%20Lavrov--Russian%20"
                                   "Federation", IDRISSOV)
    article_only = N.build_network(N.store_select(merged), QUERIES, N.Options(sources=()))
    assert all("consulted" not in d["kinds"] for _, _, d in article_only.graph.edges(data=True))
    with pytest.raises(N.NetworkError, match="unknown source acled; accepted: gdelt-events-tsv, gdelt-style-events"):
        N.build_network(N.store_select(merged), QUERIES, N.Options(sources=("acled",)))


def test_measures_change_with_the_merged_data(kg, merged):
    before = N.compute_measures(N.build_network(N.store_select(kg.store), QUERIES, N.Options()).graph)
    after = N.compute_measures(N.build_network(N.store_select(merged), QUERIES, N.Options()).graph)
    assert before["degree"][P + "saeed-jalili"] == 1  # Patrushev, in the article
    assert after["degree"][P + "saeed-jalili"] == 3  # and Lavrov and Putin, from ICEWS
    assert before["betweenness"][P + "saeed-jalili"] == 0.0
    assert after["betweenness"][P + "saeed-jalili"] > 0.0  # now between Patrushev and Lavrov/Putin
    assert after["degree"][P + "dmitry-medvedev"] == before["degree"][P + "dmitry-medvedev"] + 2


def test_measures_per_quarter_follow_the_merged_dates(merged):
    network = N.build_network(N.store_select(merged), QUERIES, N.Options())
    timeline = N.measures_by_period(network, "quarter", ["degree"])
    by_window = {part.window.label: part.results["degree"] for part in timeline.windows}
    assert by_window["2013-Q2"][P + "saeed-jalili"] == 2  # Lavrov (May) and Putin (June)
    assert by_window["2014-Q1"][P + "saeed-jalili"] == 1  # Lavrov again (February 2014)
    assert P + "saeed-jalili" not in by_window["2013-Q3"]


def test_the_network_reads_a_remote_endpoint_the_same(merged, tmp_path):
    """The same select contract over HTTP: an Oxigraph server on a dump of the merged store."""
    import socket
    import subprocess
    import time
    import urllib.request

    dump = tmp_path / "merged.nq"
    merged.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    oxigraph = shutil.which("oxigraph") or str(ROOT / ".venv" / "bin" / "oxigraph")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data_dir = tmp_path / "oxigraph"
    subprocess.run([oxigraph, "load", "--location", str(data_dir), "--file", str(dump)], check=True,
                   capture_output=True)
    server = subprocess.Popen([oxigraph, "serve-read-only", "--location", str(data_dir), "--bind",
                               f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/query"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        remote = N.build_network(N.endpoint_select(url), QUERIES, N.Options())
        local = N.build_network(N.store_select(merged), QUERIES, N.Options())
        assert set(remote.graph.edges) == set(local.graph.edges) or \
            {frozenset(e) for e in remote.graph.edges} == {frozenset(e) for e in local.graph.edges}
        assert remote.events == local.events
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_merge_command_maps_tab_separated_event_data(built, settings, tmp_path, capsys):
    """`eurasia-kg merge FILE.tsv --mapping icews-events`: mapped, merged and recorded under the original
    file (its name and SHA-256), and merging it again is recognised; without a mapping, exit 2."""
    common = ["--store", str(tmp_path / "store"), "--dist", str(settings.dist_dir), "--no-progress"]
    icews = FIXTURES / "icews-events.tsv"
    capsys.readouterr()
    assert cli.main(["merge", str(icews), *common]) == 2
    assert "needs a mapping to RDF: give --mapping FILE" in capsys.readouterr().err
    assert cli.main(["merge", str(icews), "--mapping", "icews-events", *common]) == 0
    assert "merged icews-events:" in capsys.readouterr().out
    record = merge.read_sources(LocalDataset(tmp_path / "store").reader())["icews-events"]
    assert record.file == str(icews.resolve())
    assert record.sha256 == hashlib.sha256(icews.read_bytes()).hexdigest()
    assert cli.main(["merge", str(icews), "--mapping", str(MAPPINGS / "icews-events.toml"), *common]) == 0
    assert "unchanged (same SHA-256)" in capsys.readouterr().out
