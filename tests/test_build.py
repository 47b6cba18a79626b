"""The build: outputs, incremental no-op, atomic failure, and a second source without code changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF, VOID

from eurasia_kg import build as build_module
from eurasia_kg.build import BuildError, BuildNotConforming, build
from eurasia_kg.config import Settings
from eurasia_kg.store import KnowledgeStore

from .conftest import FIXTURES, ROOT

G = "https://w3id.org/eurasia-kg/graph/"
EXPECTED_GRAPHS = {G + "ontology", G + "shared", G + "sources/avim-2013-23",
                   G + "sources/avim-2013-23/interpretations", G + "inferred", G + "inferred-from-interpretations",
                   G + "metadata", G + "metrics", G + "background/nationality", G + "background/geography",
                   G + "background/event-places", G + "background/organisations"}


def test_build_conforms_and_reports_every_graph(built):
    assert built.changed is True
    assert built.violations == 0
    assert set(built.graph_sizes) == EXPECTED_GRAPHS
    assert all(n > 0 for n in built.graph_sizes.values())


def test_summary_lists_counts_violations_and_timings(built):
    text = built.summary()
    assert "SHACL violations: 0" in text
    assert "ekg:Person" in text and "Timings:" in text


@pytest.mark.parametrize("name", ["eurasia-kg.nq", "eurasia-kg.trig", "eurasia-kg.ttl", "eurasia-kg.nt",
                                  "eurasia-kg.jsonld", "ontology.ttl", "void.ttl", "shacl-report.ttl",
                                  "shacl-summary.txt", "build.json"])
def test_dist_has_output(built, settings, name):
    path = settings.dist_dir / name
    assert path.is_file() and path.stat().st_size > 0


def test_quad_dumps_keep_named_graphs(built, settings):
    for name, fmt in (("eurasia-kg.nq", "nquads"), ("eurasia-kg.trig", "trig")):
        ds = Dataset()
        ds.parse(settings.dist_dir / name, format=fmt)
        sizes = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
        assert sizes == built.graph_sizes, name


@pytest.mark.parametrize("name,fmt", [("eurasia-kg.ttl", "turtle"), ("eurasia-kg.nt", "nt"),
                                      ("eurasia-kg.jsonld", "json-ld")])
def test_triple_dumps_parse_back_to_the_union(built, settings, name, fmt):
    graph = Graph().parse(settings.dist_dir / name, format=fmt)
    kolokoltsev = URIRef("https://w3id.org/eurasia-kg/id/person/vladimir-kolokoltsev")
    assert (kolokoltsev, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")) in graph
    nt = Graph().parse(settings.dist_dir / "eurasia-kg.nt", format="nt")
    assert len(graph) == len(nt)


def test_void_counts_match_the_graphs(built, settings):
    void = Graph().parse(settings.dist_dir / "void.ttl")
    for graph, size in built.graph_sizes.items():
        if graph == G + "metadata":
            continue
        assert int(void.value(URIRef(graph), VOID.triples)) == size, graph
    dataset = URIRef("https://w3id.org/eurasia-kg/dataset")
    assert (dataset, RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")) in void
    person = URIRef("https://w3id.org/eurasia-kg/dataset/class/Person")
    assert int(void.value(person, VOID.entities)) == 25  # 15 named people and 10 unnamed post-holders


def test_rebuild_without_changes_does_nothing(built, settings):
    stamp = (settings.dist_dir / "eurasia-kg.nq").stat().st_mtime_ns
    report = build(settings)
    assert report.changed is False
    assert "Nothing changed" in report.summary()
    assert (settings.dist_dir / "eurasia-kg.nq").stat().st_mtime_ns == stamp


@pytest.fixture
def project(tmp_path) -> Path:
    """A scratch copy of the project's data, to break without harming the real one."""
    for name in ("ontology", "graphs", "shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def _settings(project: Path) -> Settings:
    return Settings(root=project, pylode=False, reason=False)


def _snapshot(dist: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(dist.iterdir())}


def test_broken_turtle_names_file_and_line_and_leaves_dist_alone(project):
    settings = _settings(project)
    build(settings)
    before = _snapshot(settings.dist_dir)
    bad = project / "graphs" / "shared" / "broken.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n')
    with pytest.raises(BuildError) as error:
        build(settings)
    assert f"{bad}:3" in str(error.value)
    assert _snapshot(settings.dist_dir) == before


def test_unknown_ontology_term_is_reported_with_its_file(project):
    bad = project / "graphs" / "shared" / "typo.ttl"
    bad.write_text("@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> .\n"
                   "<https://w3id.org/eurasia-kg/id/person/x> a ekg:Persn ; ekg:visiter <http://example.org/y> .\n")
    with pytest.raises(BuildError) as error:
        build(_settings(project))
    message = str(error.value)
    assert f"{bad}: class <https://w3id.org/eurasia-kg/ontology#Persn>" in message
    assert f"{bad}: property <https://w3id.org/eurasia-kg/ontology#visiter>" in message
    assert not (project / "dist").exists()


def test_nonconforming_data_fails_and_writes_nothing(project):
    bad = project / "graphs" / "shared" / "nameless.ttl"
    bad.write_text("@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> .\n"
                   "<https://w3id.org/eurasia-kg/id/person/no-label> a ekg:Person .\n")
    with pytest.raises(BuildNotConforming) as error:
        build(_settings(project))
    assert "Every person needs an English rdfs:label." in error.value.result.summary()
    assert not (project / "dist").exists()


def test_a_failure_while_writing_leaves_the_old_dist(project, monkeypatch):
    settings = _settings(project)
    build(settings)
    before = _snapshot(settings.dist_dir)

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "_write_ontology_docs", disk_full)
    (project / "graphs" / "shared" / "places.ttl").write_text(
        (project / "graphs" / "shared" / "places.ttl").read_text() + "\n# touched\n")
    with pytest.raises(OSError):
        build(Settings(root=project, pylode=True, reason=False))
    assert _snapshot(settings.dist_dir) == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist-")] == []


def test_second_source_builds_validates_and_queries_with_the_first(tmp_path):
    extra = FIXTURES / "second-source"
    settings = Settings(root=ROOT, dist=tmp_path / "dist", extra_graph_roots=(extra,),
                        source_texts=extra / "texts", pylode=False)
    report = build(settings)
    assert report.violations == 0
    assert report.graph_sizes[G + "sources/fictional-gazette-2099"] > 0
    assert not any("fictional-gazette-2099.txt" in w for w in report.warnings)  # its quotes were checked
    kg = KnowledgeStore.from_dist(settings.dist_dir)
    rows = kg.select("""
        PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
        SELECT ?g ?event WHERE { GRAPH ?g { ?event ekg:participant|ekg:visitor|ekg:negotiator
            <https://w3id.org/eurasia-kg/id/person/sergei-lavrov> } } ORDER BY ?g ?event""").rows
    found = {(g.value.rsplit("/graph/", 1)[1], e.value.rsplit("/", 1)[1]) for g, e in rows}
    assert ("sources/avim-2013-23", "lavrov-visit-iran") in found
    assert ("sources/fictional-gazette-2099", "fictional-caspian-puppet-festival-2099") in found


def test_second_source_quote_that_is_not_in_its_text_fails(tmp_path):
    extra = tmp_path / "extra"
    shutil.copytree(FIXTURES / "second-source", extra)
    text = extra / "texts" / "fictional-gazette-2099.txt"
    text.write_text(text.read_text().replace("Puppet", "Marionette"))
    settings = Settings(root=ROOT, dist=tmp_path / "dist", extra_graph_roots=(extra,),
                        source_texts=extra / "texts", pylode=False, reason=False)
    with pytest.raises(BuildError, match="does not occur in"):
        build(settings)


def test_store_loads_the_dump(kg, built):
    assert len(kg) == sum(built.graph_sizes.values())
    assert isinstance(kg.store, ox.Store)
