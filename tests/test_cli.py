"""The command line: exit codes, formats, and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rdflib import Graph, URIRef

from eurasia_kg import cli
from eurasia_kg.config import SETTINGS

from .conftest import ROOT

ASK = "ASK { <https://w3id.org/eurasia-kg/id/person/sergei-lavrov> a ekg:Person }"
SELECT = """SELECT ?name WHERE { ?p a ekg:Person ; foaf:name ?name FILTER(STRSTARTS(?name, "Sergei")) }"""


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_query_table(capsys, built, settings):
    code, out, _ = run(capsys, "query", SELECT, "--dist", str(settings.dist_dir))
    assert code == 0
    assert out.splitlines() == ["name", "-------------", "Sergei Lavrov", "(1 row)"]


def test_query_csv(capsys, built, settings):
    code, out, _ = run(capsys, "query", SELECT, "--format", "csv", "--dist", str(settings.dist_dir))
    assert (code, out) == (0, "name\nSergei Lavrov\n\n")


def test_query_json_is_sparql_results_json(capsys, built, settings):
    code, out, _ = run(capsys, "query", SELECT, "--format", "json", "--dist", str(settings.dist_dir))
    data = json.loads(out)
    assert code == 0
    assert data["head"]["vars"] == ["name"]
    assert [b["name"]["value"] for b in data["results"]["bindings"]] == ["Sergei Lavrov"]


def test_query_ask(capsys, built, settings):
    assert run(capsys, "query", ASK, "--dist", str(settings.dist_dir))[:2] == (0, "true\n")


def test_query_construct_as_turtle(capsys, built, settings):
    query = ("CONSTRUCT { ?e ekg:visitor ?v } WHERE { ?e ekg:visitor ?v ; ekg:hostCountry "
             "<https://w3id.org/eurasia-kg/id/place/iran> }")
    code, out, _ = run(capsys, "query", query, "--format", "ttl", "--dist", str(settings.dist_dir))
    graph = Graph().parse(data=out, format="turtle")
    assert code == 0
    assert (URIRef("https://w3id.org/eurasia-kg/id/event/rogozin-visit-iran"),
            URIRef("https://w3id.org/eurasia-kg/ontology#visitor"),
            URIRef("https://w3id.org/eurasia-kg/id/person/dmitry-rogozin")) in graph


def test_query_from_file(capsys, built, settings, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(SELECT)
    assert run(capsys, "query", "-f", str(path), "--format", "csv", "--dist", str(settings.dist_dir))[:2] == (
        0, "name\nSergei Lavrov\n\n")


def test_malformed_query_exits_2_with_line_column_and_hint(capsys, built, settings):
    code, out, err = run(capsys, "query", "SELECT * WHERE { ?s ?p }", "--dist", str(settings.dist_dir))
    assert (code, out) == (2, "")
    assert err == ("error: syntax error at line 1, column 24: a triple pattern needs a subject, a predicate and an "
                   "object: one is missing before this\n")
    assert "expected one of" not in err


def test_malformed_query_file_names_the_file(capsys, built, settings, tmp_path):
    path = tmp_path / "visits.rq"
    path.write_text("SELECT ?e WHERE {\n  ?e a ekg:Visit\n")
    code, out, err = run(capsys, "query", "-f", str(path), "--dist", str(settings.dist_dir))
    assert (code, out) == (2, "")
    assert err == (f"error: syntax error in {path} at line 3, column 1: '{{' opened at line 1, column 17 is never "
                   "closed: add '}'\n")


def test_missing_query_file_is_one_line_and_exit_2(capsys, built, settings, tmp_path):
    missing = tmp_path / "missing.rq"
    code, out, err = run(capsys, "query", "-f", str(missing), "--dist", str(settings.dist_dir))
    assert (code, out) == (2, "")
    assert err == f"error: cannot read the query file {missing}: no such file or directory\n"


def test_missing_query_file_from_the_shell_has_no_traceback(built, settings, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "eurasia_kg.cli", "query", "-f", "missing.rq",
                           "--dist", str(settings.dist_dir)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "error: cannot read the query file missing.rq: no such file or directory\n"


def test_query_without_a_build_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "query", ASK, "--dist", str(tmp_path / "none"), "--store", str(tmp_path / "store"))
    assert code == 2
    assert "is empty" in err and "run 'eurasia-kg build'" in err


def test_stats_prints_counts(capsys, built, settings):
    code, out, _ = run(capsys, "stats", "--dist", str(settings.dist_dir))
    assert code == 0
    assert "https://w3id.org/eurasia-kg/graph/inferred" in out
    assert "ekg:Person" in out


def test_build_broken_file_exit_2_names_file_and_line(tmp_path):
    import shutil
    for name in ("ontology", "graphs", "shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    bad = tmp_path / "graphs" / "shared" / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\n\nex:a ex:b .\n")
    proc = subprocess.run([sys.executable, "-m", "eurasia_kg.cli", "build", "--root", str(tmp_path), "--no-pylode"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{bad}:3" in proc.stderr
    assert "nothing was written" in proc.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_a_cli_option(capsys, setting):
    with pytest.raises(SystemExit):
        cli.main([setting.scope.split()[0], "--help"])
    assert "--" + setting.name.replace("_", "-") in capsys.readouterr().out


def test_settings_table_matches_the_settings_class():
    from dataclasses import fields

    from eurasia_kg.config import Settings
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS if s.name != "root")


def test_output_cut_short_by_a_pager_ends_quietly(built, settings, tmp_path):
    """`eurasia-kg query … | head -1`: the reader goes away after one line of a long answer (far more
    than a pipe holds); no broken-pipe traceback."""
    command = (f"{sys.executable} -m eurasia_kg.cli query 'SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }}' --format csv "
               f"--dist {settings.dist_dir} --store {tmp_path / 'store'} | head -1")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.stdout == "s,p,o\n"
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
