"""Tests never touch the user's data, and the user's data never changes the tests: with a populated
default store (the per-user data directory) that would change the answers the tests pin, a run of
the command-line and server tests still passes, and leaves that store exactly as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from eurasia_kg.dataset import LocalDataset

from .conftest import ROOT

INTRUDER = """@prefix ekg: <https://w3id.org/eurasia-kg/ontology#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/eurasia-kg/id/person/sergei-lavrov> foaf:name "Sergei Lavrov (the user's own copy)" .
<https://example.org/users-data/someone> a ekg:Person ; rdfs:label "Someone the user merged"@en ;
    foaf:name "Aaron A. Someone" .
"""


def digest(store: Path) -> str:
    quads = LocalDataset(store).reader().store.dump(format=ox.RdfFormat.N_QUADS)
    return hashlib.sha256(b"\n".join(sorted(quads.splitlines()))).hexdigest()


def test_a_populated_default_store_does_not_change_the_tests(built, settings, tmp_path):
    user = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "users-own-data")}
    user.pop("EURASIA_KG_STORE", None)
    data = tmp_path / "users-own.ttl"
    data.write_text(INTRUDER, encoding="utf-8")
    cli = [sys.executable, "-m", "eurasia_kg.cli"]
    merged = subprocess.run([*cli, "merge", str(data), "--dist", str(settings.dist_dir), "--no-progress"],
                            env=user, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert merged.returncode == 0, merged.stderr
    where = subprocess.run([*cli, "store", "path"], env=user, capture_output=True, text=True, timeout=60)
    store = Path(where.stdout.strip())
    assert store == tmp_path / "users-own-data" / "eurasia-kg" / "store"
    # The user's store does change what the commands answer for the user ...
    asked = subprocess.run([*cli, "query", "SELECT ?n WHERE { ?p foaf:name ?n FILTER(CONTAINS(?n, 'Lavrov')) }",
                            "--format", "csv", "--dist", str(settings.dist_dir)],
                           env=user, capture_output=True, text=True, timeout=60)
    assert "the user's own copy" in asked.stdout
    before = digest(store), LocalDataset(store).generation()

    # ... and not what the tests see: they pin "Sergei Lavrov" alone, and pass.
    tests = ["tests/test_cli.py", "tests/test_store_serving.py::test_rebuilding_replaces_only_the_curated_graphs"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *tests],
                         env=user, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert (digest(store), LocalDataset(store).generation()) == before, "the user's store is untouched"
