"""Adding a source as a workflow: `eurasia-kg source new | context | uncovered` (docs/adding-a-source.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from eurasia_kg import cli
from eurasia_kg.build import build
from eurasia_kg.config import Settings

from .conftest import FIXTURES, ROOT, shared_or_skip

GAZETTE = FIXTURES / "second-source" / "texts" / "fictional-gazette-2099.txt"
SOURCE = URIRef("https://w3id.org/eurasia-kg/id/source/gazette-2099-01")
QUOTES = """
quote:festival a ekg:Quote ;
    rdfs:label "the festival"@en ;
    oa:hasSource <https://w3id.org/eurasia-kg/id/source/gazette-2099-01> ;
    # a comment the researcher wrote, which --fill keeps
    oa:hasSelector [ a oa:TextQuoteSelector ;
        oa:exact "In March 2099 the imaginary Caspian Puppet Festival opened in Astrakhan." ] .

quote:troupe a ekg:Quote ;
    rdfs:label "the troupe"@en ;
    oa:hasSource <https://w3id.org/eurasia-kg/id/source/gazette-2099-01> ;
    oa:hasSelector [ a oa:TextQuoteSelector ;
        oa:exact "attended by a troupe from Tehran" ;
        oa:prefix "wrong words " ;
        oa:suffix " here" ] .
"""


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("ontology", "graphs", "shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def new(capsys, project: Path, *extra):
    return run(capsys, "source", "new", "--root", project, "--source-texts", project / "texts", "--text", GAZETTE,
               "--id", "gazette-2099-01", "--title", "The Fictional Gazette", "--author", "Jane Smith",
               "--publisher", "The Fictional Gazette", "--issued", "2099-03-31", *extra)


def test_new_lays_out_the_source_with_its_record(capsys, project):
    code, out, err = new(capsys, project, "--url", "https://example.org/gazette")
    directory = project / "graphs" / "sources" / "gazette-2099-01"
    assert (code, err) == (0, "")
    assert out.startswith(f"created {directory} ")
    assert sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.ttl")) == [
        "interpretations/interpretations.ttl", "quotes.ttl", "source.ttl"]
    record = Graph().parse(directory / "source.ttl")
    assert record.value(SOURCE, DCTERMS.title) == Literal("The Fictional Gazette", lang="en")
    assert str(record.value(SOURCE, DCTERMS.issued)) == "2099-03-31"
    assert (project / "texts" / "gazette-2099-01.txt").read_bytes() == GAZETTE.read_bytes()
    # The new source builds and conforms to the shapes as it is.
    report = build(Settings(root=project, source_texts=project / "texts", reason=False))
    assert report.violations == 0
    assert report.graph_sizes["https://w3id.org/eurasia-kg/graph/sources/gazette-2099-01"] > 10


def test_new_refuses_to_overwrite(capsys, project):
    assert new(capsys, project)[0] == 0
    before = (project / "graphs" / "sources" / "gazette-2099-01" / "source.ttl").read_bytes()
    code, out, err = new(capsys, project)
    assert (code, out) == (2, "")
    assert err == f"error: {project / 'graphs' / 'sources' / 'gazette-2099-01'} exists already; nothing was written\n"
    assert (project / "graphs" / "sources" / "gazette-2099-01" / "source.ttl").read_bytes() == before


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--id", "Gazette 2099", "the source id 'Gazette 2099' is not a slug"),
    ("--issued", "31/03/2099", "--issued '31/03/2099' is not a date as YYYY-MM-DD"),
])
def test_new_refuses_bad_input_with_one_line(capsys, project, option, value, message):
    code, out, err = new(capsys, project, option, value)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert not (project / "graphs" / "sources" / "gazette-2099-01").exists()


@pytest.fixture
def with_quotes(capsys, project) -> Path:
    assert new(capsys, project)[0] == 0
    quotes = project / "graphs" / "sources" / "gazette-2099-01" / "quotes.ttl"
    quotes.write_text(quotes.read_text() + QUOTES)
    return project


def test_context_reports_missing_and_wrong_context(capsys, with_quotes):
    code, out, _ = run(capsys, "source", "context", "gazette-2099-01", "--root", with_quotes,
                       "--source-texts", with_quotes / "texts")
    assert code == 1
    assert out.splitlines() == [
        "missing    https://w3id.org/eurasia-kg/id/quote/gazette-2099-01/festival  (quotes.ttl)",
        "different  https://w3id.org/eurasia-kg/id/quote/gazette-2099-01/troupe  (quotes.ttl)",
        "1 missing, 1 different"]


def test_context_fill_writes_the_texts_context_and_keeps_the_file(capsys, with_quotes):
    args = ("--root", with_quotes, "--source-texts", with_quotes / "texts")
    code, out, _ = run(capsys, "source", "context", "gazette-2099-01", "--fill", *args)
    assert (code, out.splitlines()[-1]) == (0, "2 filled")
    text = (with_quotes / "graphs" / "sources" / "gazette-2099-01" / "quotes.ttl").read_text()
    assert "# a comment the researcher wrote, which --fill keeps" in text
    assert ('oa:exact "In March 2099 the imaginary Caspian Puppet Festival opened in Astrakhan." ;\n'
            '        oa:prefix " tests; nothing here happened) " ;\n'
            '        oa:suffix " Sergei Lavrov sent a greeting " ] .') in text
    assert "wrong words" not in text
    assert run(capsys, "source", "context", "gazette-2099-01", *args)[:2] == (0, "2 ok\n")


def test_context_of_a_quote_not_in_the_text_is_exit_2(capsys, with_quotes):
    quotes = with_quotes / "graphs" / "sources" / "gazette-2099-01" / "quotes.ttl"
    quotes.write_text(quotes.read_text().replace("a troupe from Tehran", "a troupe from Paris"))
    code, out, _ = run(capsys, "source", "context", "gazette-2099-01", "--root", with_quotes,
                       "--source-texts", with_quotes / "texts")
    assert code == 2
    assert "not found  https://w3id.org/eurasia-kg/id/quote/gazette-2099-01/troupe  (quotes.ttl)" in out


def test_uncovered_lists_the_sentences_without_a_quote(capsys, with_quotes):
    quotes = with_quotes / "graphs" / "sources" / "gazette-2099-01" / "quotes.ttl"
    quotes.write_text(quotes.read_text().replace("attended by a troupe from Tehran", "In March 2099"))
    code, out, _ = run(capsys, "source", "uncovered", "gazette-2099-01", "--root", with_quotes,
                       "--source-texts", with_quotes / "texts")
    assert code == 0
    assert out.splitlines() == [
        "   2  Sergei Lavrov sent a greeting to the festival, which was attended by a troupe from Tehran.",
        "1 of 2 sentences have no quote"]


def test_uncovered_runs_on_the_article(capsys):
    shared_or_skip(ROOT.parent / "shared" / "sources")
    code, out, _ = run(capsys, "source", "uncovered", "avim-2013-23", "--root", ROOT)
    assert code == 0
    total = int(out.splitlines()[-1].split(" of ")[1].split()[0])
    assert total > 50  # the article's sentences, split by pysbd


def test_unknown_source_is_one_line_and_exit_2(capsys, project):
    code, out, err = run(capsys, "source", "uncovered", "no-such-source", "--root", project)
    assert (code, out) == (2, "")
    assert err.startswith("error: no source 'no-such-source'") and err.count("\n") == 1
