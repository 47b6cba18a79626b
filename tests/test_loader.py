"""Reading RDF files: formats, named-graph rule, and errors that name the file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from rdflib import Graph

from eurasia_kg import loader

GOOD_TTL = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"


def test_graph_for_follows_the_directory(tmp_path):
    root = tmp_path / "graphs"
    assert loader.graph_for(root, root / "shared" / "x.ttl") == "https://w3id.org/eurasia-kg/graph/shared"
    assert (loader.graph_for(root, root / "sources" / "a" / "interpretations" / "x.ttl")
            == "https://w3id.org/eurasia-kg/graph/sources/a/interpretations")


@pytest.mark.parametrize("name,expected", [("a.ttl", "turtle"), ("a.nt", "nt"), ("a.nq", "nquads"),
                                           ("a.trig", "trig"), ("a.jsonld", "json-ld"), ("a.rdf", "xml"),
                                           ("a.ttl.gz", "turtle")])
def test_format_from_extension(name, expected):
    assert loader.format_of(Path(name))[0] == expected


def test_format_override_wins_over_extension():
    assert loader.format_of(Path("data.txt"), "nt")[0] == "nt"


def test_unknown_extension_is_a_clear_error():
    with pytest.raises(loader.DataFileError, match="cannot tell the RDF format"):
        loader.format_of(Path("data.csv"))


def test_unknown_format_override_lists_the_accepted_ones():
    with pytest.raises(loader.DataFileError, match="unknown format 'yaml'; use one of"):
        loader.format_of(Path("data.ttl"), "yaml")


def test_gzip_file_is_read(tmp_path):
    path = tmp_path / "a.ttl.gz"
    path.write_bytes(gzip.compress(GOOD_TTL.encode()))
    graph = Graph()
    loader.parse_into(graph, path)
    assert len(graph) == 1


@pytest.mark.parametrize("name,text,line", [
    ("bad.ttl", GOOD_TTL + "ex:d ex:e .\n", 3),
    ("bad.nt", "<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n", 2),
    ("bad.rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
                "<rdf:Description>\n</rdf:RDF>\n", 4),
])
def test_syntax_error_names_file_and_line(tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(loader.DataFileError) as error:
        loader.parse_into(Graph(), path)
    assert error.value.line == line
    assert str(error.value).startswith(f"{path}:{line}")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(loader.DataFileError, match="No such file"):
        loader.parse_into(Graph(), tmp_path / "nope.ttl")


@pytest.mark.parametrize("context", ['"http://example.org/context.jsonld"', '"file:///etc/passwd"',
                                     '["https://schema.org/", {"ex": "http://example.org/"}]'])
def test_jsonld_remote_context_is_refused(tmp_path, context):
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": ' + context + ', "@id": "http://example.org/a", "name": "x"}')
    with pytest.raises(loader.DataFileError,
                       match=r"refused: the JSON-LD @context .* (is remote|is a local file); it was not fetched"):
        loader.parse_into(Graph(), path)


def test_jsonld_inline_context_is_read(tmp_path):
    path = tmp_path / "inline.jsonld"
    path.write_text('{"@context": {"name": "http://xmlns.com/foaf/0.1/name"}, "@id": "http://example.org/a", '
                    '"name": "x"}')
    graph = Graph()
    loader.parse_into(graph, path)
    assert len(graph) == 1


def test_discover_puts_ontology_and_sources_in_their_graphs():
    root = Path(__file__).resolve().parents[1]
    files = loader.discover(root / "ontology", [root / "graphs"])
    graphs = {f.graph for f in files}
    assert "https://w3id.org/eurasia-kg/graph/ontology" in graphs
    assert "https://w3id.org/eurasia-kg/graph/sources/avim-2013-23" in graphs
    assert all(f.path.suffix == ".ttl" for f in files)


BOMB = b'''<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"> <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
<rdf:Description rdf:about="http://example.org/a"><ex:p>&d;</ex:p></rdf:Description></rdf:RDF>'''


def test_rdflib_would_expand_nested_entities():
    # The reason for the refusal below: rdflib's own parser expands the bomb (10^4 characters here).
    graph = Graph().parse(data=BOMB, format="xml")
    assert max(len(str(o)) for o in graph.objects()) == 10_000


XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')


@pytest.mark.parametrize("body", [BOMB, XXE], ids=["entity-bomb", "xxe"])
def test_rdfxml_with_entity_declarations_is_refused(tmp_path, body):
    path = tmp_path / "hostile.rdf"
    path.write_bytes(body)
    graph = Graph()
    with pytest.raises(loader.DataFileError, match="DOCTYPE or entity declarations is refused") as error:
        loader.parse_into(graph, path)
    assert str(path) in str(error.value)
    assert len(graph) == 0
