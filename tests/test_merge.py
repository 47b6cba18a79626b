"""Merging other datasets (issue 5): every RDF format, gzip included, into its own named graph with a
DCAT/PROV record; merging again changes nothing; ``sources list|show|remove``; all or nothing (a
parse error, a full disk, a real SIGKILL in mid-merge); hostile input refused (XXE, entity-expansion
bombs, remote JSON-LD contexts, size limits), each refusal naming the file and the reason;
``--strict``; and rebuilding the curated graphs leaves the merged ones alone.

The external data sets are the project's own, in ``tests/fixtures/external/`` (see its README).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from eurasia_kg import cli, dataset, loader, merge
from eurasia_kg.config import GRAPH_BASE
from eurasia_kg.dataset import LocalDataset
from eurasia_kg.dataset.local import GENERATIONS, LocalWriter

EXTERNAL = Path(__file__).resolve().parent / "fixtures" / "external"
EKG = "https://w3id.org/eurasia-kg/ontology#"

# Every well-formed fixture, with the licence it states (None: it states none).
GOOD = {
    "wikidata-extract.ttl": "https://creativecommons.org/publicdomain/zero/1.0/",
    "country-codes.nt": "https://creativecommons.org/licenses/by/4.0/",
    "events.nq": None,
    "think-tank.trig": "CC BY 4.0 (a FICTIONAL licence statement, for the metadata test)",
    "people.jsonld": None,
    "geonames.rdf": "https://creativecommons.org/licenses/by/4.0/",
    "cities.ttl.gz": "ODbL-1.0",
}
FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
           ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML}


# --------------------------------------------------------------------------- helpers


def ds(store_dir: Path) -> LocalDataset:
    return LocalDataset(store_dir)


def dump(store_dir: Path) -> list[str]:
    """Every quad of the published store, as every reader (the CLI, the server) sees it."""
    return sorted(ds(store_dir).reader().store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())


def triples_of(path: Path) -> set[str]:
    """The triples of a fixture, parsed on their own (graphs folded, as a merge folds them)."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    suffix = Path(path.name.removesuffix(".gz")).suffix
    return {str(q.triple if isinstance(q, ox.Quad) else q)
            for q in ox.parse(data, format=FORMATS[suffix], base_iri=path.resolve().as_uri())}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def unpublished(store_dir: Path) -> list[str]:
    """Generations a writer started and never published."""
    current = ds(store_dir).generation()
    root = store_dir / GENERATIONS
    return sorted(p.name for p in root.iterdir() if p.name > current) if root.is_dir() else []


def no_leftovers(store_dir: Path) -> bool:
    """No unpublished generation is left beside the published one."""
    return unpublished(store_dir) == []


@pytest.fixture
def seeded(tmp_path) -> Path:
    """A store that already holds one merged source, so "unchanged" means something."""
    store_dir = tmp_path / "store"
    merge.merge_file(ds(store_dir), EXTERNAL / "wikidata-extract.ttl")
    return store_dir


def write_bomb(path: Path, levels: int) -> Path:
    """RDF/XML whose one literal expands to 20 * 10**levels characters."""
    entities = ['<!ENTITY e0 "laughlaughlaughlaugh">']
    entities += [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, levels + 1)]
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">\n'
        f'  <rdf:Description rdf:about="https://example.org/bomb"><ex:p>&e{levels};</ex:p></rdf:Description>\n'
        "</rdf:RDF>\n", encoding="utf-8")
    return path


def big_ntriples(path: Path, triples: int, error_at: int | None = None) -> Path:
    """A generated N-Triples file; with ``error_at``, that line is a syntax error."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(1, triples + 1):
            if i == error_at:
                out.write(f"<https://example.org/big/s{i}> <https://example.org/big/p> oops-not-a-term .\n")
            else:
                out.write(f'<https://example.org/big/s{i // 10}> <https://example.org/big/p{i % 7}> '
                          f'"generated value {i}, padding the line to a realistic length" .\n')
    return path


# --------------------------------------------------------------------------- formats and records


@pytest.mark.parametrize("filename", sorted(GOOD))
def test_every_format_merges_into_its_own_graph_with_a_dcat_prov_record(tmp_path, filename):
    path = EXTERNAL / filename
    store_dir = tmp_path / "store"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = merge.merge_file(ds(store_dir), path, align=False)
    record = result.record
    name = merge.default_name(path)
    expected = triples_of(path)

    assert result.changed
    assert record.name == name and record.graph == merge.MERGED_BASE + name
    assert record.file == str(path.resolve())
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.triples == len(expected)
    assert record.license == GOOD[filename]
    assert before <= dt.datetime.fromisoformat(record.merged_at) <= dt.datetime.now(dt.UTC)

    store = ds(store_dir).reader().store
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {record.graph, merge.MERGE_METADATA_GRAPH}, "the file's own graphs are folded into one"
    assert not list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    stored = {str(q.triple) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(record.graph))}
    assert stored == expected
    (read,) = merge.read_sources(store).values()
    assert dt.datetime.fromisoformat(read.merged_at) == dt.datetime.fromisoformat(record.merged_at)
    assert dataclasses.replace(read, merged_at=record.merged_at) == record

    rows = list(store.query(f"""
        PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dct: <http://purl.org/dc/terms/> PREFIX void: <http://rdfs.org/ns/void#> PREFIX ekg: <{EKG}>
        SELECT ?name ?file ?sha ?n ?time ?graph ?license WHERE {{ GRAPH <{merge.MERGE_METADATA_GRAPH}> {{
          <{merge.SOURCE_BASE}{name}> a dcat:Dataset , prov:Entity ; dct:identifier ?name ; dct:source ?file ;
              ekg:sha256 ?sha ; void:triples ?n ; prov:generatedAtTime ?time ; ekg:mergedIntoGraph ?graph .
          OPTIONAL {{ <{merge.SOURCE_BASE}{name}> dct:license ?license }} }} }}"""))
    assert len(rows) == 1
    row = rows[0]
    assert (row["name"].value, row["file"].value, row["sha"].value, int(row["n"].value), row["graph"].value) == (
        name, record.file, record.sha256, record.triples, record.graph)
    assert row["time"].datatype.value == "http://www.w3.org/2001/XMLSchema#dateTime"
    assert (row["license"].value if row["license"] else None) == GOOD[filename]


def test_merging_the_same_file_again_changes_nothing(tmp_path, capsys):
    store_dir = tmp_path / "store"
    args = ("merge", EXTERNAL / "people.jsonld", EXTERNAL / "cities.ttl.gz", "--store", store_dir,
            "--dist", tmp_path / "no-dist", "--no-progress")
    assert run_cli(capsys, *args)[0] == 0
    first = dump(store_dir)
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert "people: unchanged (same SHA-256); nothing to do" in out
    assert "cities: unchanged" in out
    assert dump(store_dir) == first
    result = merge.merge_file(ds(store_dir), EXTERNAL / "people.jsonld")
    assert not result.changed and dump(store_dir) == first


def test_the_same_name_with_other_data_is_refused(seeded, tmp_path):
    other = tmp_path / "wikidata-extract.ttl"
    other.write_text("<https://example.org/x> <https://example.org/p> 1 .\n", encoding="utf-8")
    before = dump(seeded)
    with pytest.raises(merge.MergeError, match="already holds other data"):
        merge.merge_file(ds(seeded), other)
    assert dump(seeded) == before


def test_sources_list_show_and_remove_through_the_cli(tmp_path, capsys):
    store_dir = tmp_path / "store"
    common = ("--store", store_dir, "--dist", tmp_path / "no-dist")
    code, out, _ = run_cli(capsys, "merge", EXTERNAL / "country-codes.nt", EXTERNAL / "events.nq", *common,
                           "--no-progress", "--no-align")
    assert code == 0 and "merged country-codes: 22 triples" in out and "merged events: 16 triples" in out

    code, out, _ = run_cli(capsys, "sources", "list", *common)
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["country-codes", "events"]
    assert "22 triples" in lines[0] and str((EXTERNAL / "country-codes.nt").resolve()) in lines[0]

    code, out, _ = run_cli(capsys, "sources", "show", "events", *common)
    assert code == 0
    shown = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert shown["name"] == "events" and shown["graph"] == merge.MERGED_BASE + "events"
    assert shown["sha256"] == hashlib.sha256((EXTERNAL / "events.nq").read_bytes()).hexdigest()
    assert shown["triples"] == "16"

    code, _, err = run_cli(capsys, "sources", "show", "nope", *common)
    assert code == 2 and "no merged source named 'nope'" in err and "country-codes, events" in err

    events_graph = merge.MERGED_BASE + "events"
    code, out, _ = run_cli(capsys, "sources", "remove", "events", *common)
    assert code == 0 and f"removed events (16 triples, <{events_graph}>)" in out
    remaining = dump(store_dir)
    assert not any(events_graph in line or f"{merge.SOURCE_BASE}events>" in line for line in remaining)
    assert sum(line.endswith(f"<{merge.MERGED_BASE}country-codes> .") for line in remaining) == 22
    code, out, _ = run_cli(capsys, "sources", "list", *common)
    assert out.strip().splitlines()[0].startswith("country-codes") and "events" not in out

    code, _, err = run_cli(capsys, "sources", "remove", "events", *common)
    assert code == 2 and "no merged source named 'events'" in err


# --------------------------------------------------------------------------- all or nothing


def test_a_parse_error_leaves_the_store_exactly_as_it_was(seeded, capsys):
    before = dump(seeded)
    broken = EXTERNAL / "broken.ttl"
    with pytest.raises(merge.MergeError) as caught:
        merge.merge_file(ds(seeded), broken)
    message = str(caught.value)
    assert message.startswith(f"{broken}:12: cannot parse")
    assert dump(seeded) == before and no_leftovers(seeded)

    code, _, err = run_cli(capsys, "merge", broken, "--store", seeded, "--no-progress")
    assert code == 2 and f"{broken}:12:" in err and "nothing was changed" in err
    assert dump(seeded) == before


def test_a_parse_error_at_line_90000_leaves_the_store_exactly_as_it_was(seeded, tmp_path):
    """The first 89,999 triples are read (and bulk-loaded) before the error: they must go again."""
    path = big_ntriples(tmp_path / "late-error.nt", 90_000, error_at=90_000)
    before = dump(seeded)
    with pytest.raises(merge.MergeError, match=re.escape(f"{path}:90000: cannot parse")):
        merge.merge_file(ds(seeded), path)
    assert dump(seeded) == before and no_leftovers(seeded)


def test_a_full_disk_in_mid_merge_leaves_the_store_as_it_was(seeded, tmp_path, monkeypatch):
    """Simulated: the store's disk fills up after half the file is bulk-loaded (the first half is
    really written into the new generation, then the load fails with ENOSPC)."""
    path = big_ntriples(tmp_path / "big.nt", 30_000)
    half = tmp_path / "half.nt"
    half.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:15_000]), encoding="utf-8")
    before = dump(seeded)
    real_load = LocalWriter.load_path
    written = []

    def fills_up(writer, file, fmt, graph, base_iri=None):
        real_load(writer, str(half), fmt, graph, base_iri)
        written.append(writer.count(graph))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LocalWriter, "load_path", fills_up)
    with pytest.raises(merge.MergeError) as caught:
        merge.merge_file(ds(seeded), path)
    assert str(path) in str(caught.value) and "No space left on device" in str(caught.value)
    monkeypatch.undo()
    assert written == [15_000], "half the data was in the store when the disk 'filled up'"
    assert dump(seeded) == before and no_leftovers(seeded)


def test_a_disk_error_after_the_data_is_written_still_leaves_the_store_as_it_was(seeded, monkeypatch):
    """Simulated: ENOSPC when the metadata is being prepared, after the triples are already in the store."""
    before = dump(seeded)
    written = []

    def failing_license(store, graph):
        written.append(store.count(graph))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(merge, "find_license", failing_license)
    with pytest.raises((OSError, merge.MergeError), match="No space left on device"):
        merge.merge_file(ds(seeded), EXTERNAL / "country-codes.nt")
    monkeypatch.undo()
    assert written == [22], "the triples had been written when the disk 'filled up'"
    assert dump(seeded) == before and no_leftovers(seeded)


KILL_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from eurasia_kg import merge
    from eurasia_kg.dataset import LocalDataset

    def progress(done, total):
        print(f"progress {done} {total}", flush=True)
        time.sleep(1)  # only widens the window for the kill; the kill itself is real

    merge.merge_file(LocalDataset(Path(sys.argv[1])), Path(sys.argv[2]), progress=progress)
    print("merged", flush=True)
""")


def test_a_sigkill_in_mid_merge_leaves_the_store_as_it_was(seeded, tmp_path):
    """A real process merging 300,000 triples is killed with SIGKILL while it loads: it was writing an
    unpublished generation, so readers never see any of it, and the next writer deletes it.

    Regression: the test waited for a progress report strictly inside the file, but pyoxigraph may
    read the whole file before the first poll (the rest of the load is indexing), so on a fast run
    no such report came and the test failed. Any report means the merge's transaction is open, and
    the final one is given on the merging thread, which the child then holds for a second."""
    path = big_ntriples(tmp_path / "big.nt", 300_000)
    before = dump(seeded)
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(seeded), str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("progress"), f"the merge ended before it could be killed: {child.stderr.read()}"
        assert unpublished(seeded), "a merge is in progress, in a generation of its own"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        assert "merged" not in child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert unpublished(seeded), "killed in mid-merge: its half-written generation is still on disk"
    assert dump(seeded) == before, "and nobody reads it"
    assert merge.read_sources(ds(seeded).reader()).keys() == {"wikidata-extract"}
    merge.merge_file(ds(seeded), EXTERNAL / "country-codes.nt")  # the next writer clears it away
    assert no_leftovers(seeded)
    assert merge.read_sources(ds(seeded).reader()).keys() == {"wikidata-extract", "country-codes"}


# --------------------------------------------------------------------------- hostile input


def _no_fetch_child(store_dir: Path, path: Path) -> subprocess.CompletedProcess:
    """Merge in a child process: a file that names a FIFO blocks any reader, so a timeout means it was read."""
    code = ("import sys; from pathlib import Path; from eurasia_kg import merge\n"
            "from eurasia_kg.dataset import LocalDataset\n"
            "try:\n    merge.merge_file(LocalDataset(Path(sys.argv[1])), Path(sys.argv[2]))\n"
            "except merge.MergeError as exc:\n    print('refused:', exc); sys.exit(3)\n")
    try:
        return subprocess.run([sys.executable, "-c", code, str(store_dir), str(path)], capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"merging {path.name} blocked: it opened the FIFO it names")


def test_xxe_is_refused_without_reading_the_local_file(seeded, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c", encoding="utf-8")
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text((EXTERNAL / "xxe.rdf").read_text(encoding="utf-8").replace("file:///etc/hostname",
                                                                             secret.as_uri()), encoding="utf-8")
    before = dump(seeded)
    with pytest.raises(merge.MergeError) as caught:
        merge.merge_file(ds(seeded), xxe)
    message = str(caught.value)
    assert message.startswith(f"{xxe}: refused:") and "DOCTYPE" in message and "external entities" in message
    assert "TOP-SECRET" not in message
    after = dump(seeded)
    assert after == before and not any("TOP-SECRET" in line for line in after)

    packed = tmp_path / "xxe.rdf.gz"
    packed.write_bytes(gzip.compress(xxe.read_bytes()))
    with pytest.raises(merge.MergeError, match="DOCTYPE"):
        merge.merge_file(ds(seeded), packed)

    code, _, err = run_cli(capsys, "merge", EXTERNAL / "xxe.rdf", "--store", seeded, "--no-progress")
    assert code == 2 and f"{EXTERNAL / 'xxe.rdf'}: refused" in err
    assert dump(seeded) == before


def test_xxe_pointing_at_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "secret.fifo"
    os.mkfifo(fifo)
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text((EXTERNAL / "xxe.rdf").read_text(encoding="utf-8").replace("file:///etc/hostname",
                                                                             fifo.as_uri()), encoding="utf-8")
    done = _no_fetch_child(tmp_path / "store", xxe)
    assert done.returncode == 3 and "refused: " in done.stdout and "DOCTYPE" in done.stdout


def test_an_entity_bomb_is_refused_fast_and_without_growing_memory(seeded, tmp_path):
    bomb = EXTERNAL / "entity-bomb.rdf"
    assert bomb.stat().st_size < 2000, "a tiny file that would expand to 20 GB"
    before = dump(seeded)
    code = textwrap.dedent("""
        import json, resource, sys, time
        from pathlib import Path
        from eurasia_kg import merge
        from eurasia_kg.dataset import LocalDataset
        start, rss = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            merge.merge_file(LocalDataset(Path(sys.argv[1])), Path(sys.argv[2]))
            outcome = "merged"
        except merge.MergeError as exc:
            outcome = str(exc)
        print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - start,
                          "grew_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss}))
    """)
    done = subprocess.run([sys.executable, "-c", code, str(seeded), str(bomb)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"].startswith(f"{bomb}: refused:") and "entity declarations" in result["outcome"]
    assert result["seconds"] < 5
    assert result["grew_kib"] < 50_000, "refused before any parser saw it"
    assert dump(seeded) == before


def test_rdflib_and_pyoxigraph_expand_nested_entities(tmp_path):
    """Why RDF/XML with entity declarations must never reach a parser: both expand nested entities.
    A 600-byte file becomes a 200,000-character literal here; the nine-level fixture would need 20 GB."""
    bomb = write_bomb(tmp_path / "small-bomb.rdf", levels=4)
    assert bomb.stat().st_size < 1000
    graph = Graph().parse(bomb, format="xml")
    assert [len(str(o)) for o in graph.objects()] == [200_000]
    quads = list(ox.parse(path=str(bomb), format=ox.RdfFormat.RDF_XML))
    assert [len(q.object.value) for q in quads] == [200_000]


def test_the_loader_refuses_rdf_xml_with_entity_declarations(tmp_path):
    """``eurasia-kg validate`` and ``build`` read RDF/XML with rdflib (loader.parse_into): same refusal."""
    bomb = write_bomb(tmp_path / "small-bomb.rdf", levels=4)
    with pytest.raises(loader.DataFileError, match="DOCTYPE or entity declarations") as caught:
        loader.parse_into(Graph(), bomb)
    assert str(caught.value).startswith(str(bomb))
    with pytest.raises(loader.DataFileError, match="DOCTYPE"):
        loader.parse_into(Graph(), EXTERNAL / "xxe.rdf")


def _padded(bomb: Path) -> Path:
    """The bomb behind a 70 KB comment: the declaration is no longer in the first 64 KiB."""
    bomb.write_text(bomb.read_text(encoding="utf-8").replace(
        '<?xml version="1.0"?>\n', '<?xml version="1.0"?>\n<!--' + " " * 70_000 + "-->\n"), encoding="utf-8")
    return bomb


def _utf16(bomb: Path) -> Path:
    """The bomb in UTF-16 (rdflib reads it; the bytes "<!DOCTYPE" appear nowhere)."""
    text = bomb.read_text(encoding="utf-8").replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    bomb.write_bytes(text.encode("utf-16"))
    return bomb


def test_the_loader_refuses_a_doctype_after_a_long_comment(tmp_path):
    bomb = _padded(write_bomb(tmp_path / "padded-bomb.rdf", levels=4))  # small: harmless if it gets through
    with pytest.raises(loader.DataFileError, match="DOCTYPE"):
        loader.parse_into(Graph(), bomb)


def test_the_loader_refuses_a_utf16_bomb(tmp_path):
    bomb = _utf16(write_bomb(tmp_path / "utf16-bomb.rdf", levels=4))
    with pytest.raises(loader.DataFileError, match="DOCTYPE"):
        loader.parse_into(Graph(), bomb)


def test_merge_refuses_a_utf16_bomb(tmp_path):
    """pyoxigraph reads UTF-8 only: a UTF-16 file fails to parse before any entity is expanded."""
    bomb = _utf16(write_bomb(tmp_path / "utf16-bomb.rdf", levels=4))
    with pytest.raises(merge.MergeError, match="cannot parse|refused"):
        merge.merge_file(ds(tmp_path / "store"), bomb)


def test_merge_refuses_a_doctype_after_a_long_comment(tmp_path):
    bomb = _padded(write_bomb(tmp_path / "padded-bomb.rdf", levels=4))  # small: harmless if it gets through
    with pytest.raises(merge.MergeError, match="DOCTYPE"):
        merge.merge_file(ds(tmp_path / "store"), bomb)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        type(self).requests.append(self.path)
        body = b'{"@context": {"name": "https://example.org/fetched#name"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_remote_jsonld_context_over_http_is_not_fetched(seeded, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "remote-context-http.jsonld"
        path.write_text((EXTERNAL / path.name).read_text(encoding="utf-8").replace(
            "127.0.0.1:9", f"127.0.0.1:{server.server_address[1]}"), encoding="utf-8")
        before = dump(seeded)
        with pytest.raises(merge.MergeError) as caught:
            merge.merge_file(ds(seeded), path)
        message = str(caught.value)
        assert message.startswith(f"{path}: refused: the JSON-LD @context 'http://127.0.0.1:")
        assert "is remote; it was not fetched" in message, "the message names the context and says so"
        assert _CountingHandler.requests == [], "nothing was fetched"
        assert dump(seeded) == before
    finally:
        server.shutdown()
        server.server_close()


def test_a_file_jsonld_context_is_not_read(tmp_path):
    for_the_fixture = EXTERNAL / "remote-context-file.jsonld"
    with pytest.raises(merge.MergeError, match=re.escape(
            "@context 'file:///etc/eurasia-kg-test/context.jsonld' is a local file; it was not fetched")):
        merge.merge_file(ds(tmp_path / "store"), for_the_fixture)
    fifo = tmp_path / "context.fifo"
    os.mkfifo(fifo)
    path = tmp_path / "remote-context-file.jsonld"
    path.write_text(for_the_fixture.read_text(encoding="utf-8").replace(
        "file:///etc/eurasia-kg-test/context.jsonld", fifo.as_uri()), encoding="utf-8")
    done = _no_fetch_child(tmp_path / "store", path)
    assert done.returncode == 3 and f"refused: {path}:" in done.stdout and "is a local file" in done.stdout


@pytest.mark.parametrize("context, named", [
    ({"@import": "https://example.org/ctx.jsonld", "ex": "https://example.org/"},
     "imports 'https://example.org/ctx.jsonld' (@import); it was not fetched"),
    ("context.jsonld", "@context 'context.jsonld' is a relative reference"),
    ([{"ex": "https://example.org/"}, "https://example.org/second.jsonld"],
     "@context 'https://example.org/second.jsonld' is remote; it was not fetched"),
])
def test_every_context_that_would_be_fetched_is_named_in_the_refusal(tmp_path, context, named):
    path = tmp_path / "ctx.jsonld"
    path.write_text(json.dumps({"@context": context, "@id": "https://example.org/x",
                                "https://example.org/p": "v"}), encoding="utf-8")
    with pytest.raises(merge.MergeError) as caught:
        merge.merge_file(ds(tmp_path / "store"), path)
    assert str(caught.value).startswith(f"{path}: refused: ") and named in str(caught.value)
    assert not (tmp_path / "store" / "GENERATION").exists(), "nothing was written"


def test_deeply_nested_jsonld_is_refused_with_a_message(tmp_path):
    path = tmp_path / "deep.jsonld"
    path.write_text('{"@id": "https://example.org/x", "https://example.org/p": ' + "[" * 100_000 + "]" * 100_000
                    + "}", encoding="utf-8")
    with pytest.raises(merge.MergeError, match="nested too deeply"):
        merge.merge_file(ds(tmp_path / "store"), path)


def test_the_size_limit_is_configurable_and_named_in_the_refusal(seeded, capsys, monkeypatch):
    path = EXTERNAL / "country-codes.nt"
    size = path.stat().st_size
    before = dump(seeded)
    with pytest.raises(merge.MergeError) as caught:
        merge.merge_file(ds(seeded), path, max_bytes=1000)
    assert str(caught.value) == (f"{path}: refused: the file is {size} bytes, over the limit of 1000 "
                                 "(setting max_merge_bytes)")
    code, _, err = run_cli(capsys, "merge", path, "--store", seeded, "--max-merge-bytes", "1000", "--no-progress")
    assert code == 2 and f"{path}: refused" in err and "over the limit of 1000" in err
    monkeypatch.setenv("EURASIA_KG_MAX_MERGE_BYTES", "999")
    code, _, err = run_cli(capsys, "merge", path, "--store", seeded, "--no-progress")
    assert code == 2 and "over the limit of 999" in err
    assert dump(seeded) == before
    monkeypatch.delenv("EURASIA_KG_MAX_MERGE_BYTES")
    assert merge.merge_file(ds(seeded), path, max_bytes=size).changed


# --------------------------------------------------------------------------- validation


def test_strict_rejects_a_nonconforming_source(seeded, capsys):
    before = dump(seeded)
    code, _, err = run_cli(capsys, "merge", EXTERNAL / "nonconforming.ttl", "--strict", "--store", seeded,
                           "--no-progress", "--no-align")
    assert code == 1, "does not conform: 1, as for validate (2 is for errors)"
    assert "rejected (--strict)" in err and str(EXTERNAL / "nonconforming.ttl") in err
    assert "English rdfs:label" in err, "the violation is reported"
    assert dump(seeded) == before and no_leftovers(seeded)


def test_without_strict_a_nonconforming_source_is_kept_and_flagged(seeded, capsys):
    code, out, _ = run_cli(capsys, "merge", EXTERNAL / "nonconforming.ttl", "--store", seeded, "--no-progress",
                           "--no-align")
    assert code == 0
    assert "nonconforming: kept but flagged" in out and "(conforms: false)" in out
    record = merge.read_sources(ds(seeded).reader())["nonconforming"]
    assert record.conforms is False and record.violations >= 1
    code, out, _ = run_cli(capsys, "sources", "list", "--store", seeded)
    line = next(line for line in out.splitlines() if line.startswith("nonconforming"))
    assert f"[{record.violations} violations]" in line
    store = ds(seeded).reader().store
    assert store.query(f"""ASK {{ GRAPH <{merge.MERGE_METADATA_GRAPH}> {{
        <{merge.SOURCE_BASE}nonconforming> <{EKG}conforms> false }} }}""")


def test_a_conforming_source_is_recorded_as_conforming(tmp_path, capsys):
    store_dir = tmp_path / "store"
    assert run_cli(capsys, "merge", EXTERNAL / "geonames.rdf", "--store", store_dir, "--dist", tmp_path / "none",
                   "--no-progress", "--no-align")[0] == 0
    assert merge.read_sources(ds(store_dir).reader())["geonames"].conforms is True


# --------------------------------------------------------------------------- the curated graphs


def _normalised(lines) -> Counter:
    return Counter(re.sub(r"_:\S+", "_:b", line) for line in lines)


def test_syncing_the_curated_graphs_replaces_only_them(built, settings, tmp_path):
    store_dir = tmp_path / "store"
    dataset.sync(ds(store_dir), settings.dist_dir)
    for name in ("think-tank.trig", "people.jsonld"):
        merge.merge_file(ds(store_dir), EXTERNAL / name)
    # Make the store's curated graphs stale: a stray graph, a stray statement, a lost one.
    with ds(store_dir).transaction() as writer:
        stale = ox.NamedNode(GRAPH_BASE + "stale")
        writer.store.add(ox.Quad(ox.NamedNode("https://example.org/stray"), ox.NamedNode("https://example.org/p"),
                                 ox.Literal("stale"), stale))
        shared = ox.NamedNode(GRAPH_BASE + "shared")
        writer.store.add(ox.Quad(ox.NamedNode("https://example.org/stray"), ox.NamedNode("https://example.org/p"),
                                 ox.Literal("stale"), shared))
        writer.store.remove(next(iter(writer.store.quads_for_pattern(None, None, None, shared))))

    def split():
        curated, merged = [], []
        for quad in ds(store_dir).reader().store:
            graph = quad.graph_name
            in_curated = isinstance(graph, ox.NamedNode) and graph.value.startswith(GRAPH_BASE)
            (curated if in_curated else merged).append(str(quad))
        return curated, sorted(merged)

    def merged_data(lines):  # the sources and their records; the alignment is recomputed on a sync
        return [line for line in lines if merge.ALIGNMENT_GRAPH not in line and "/_aligned/" not in line]

    _, merged_before = split()
    assert any(merge.MERGED_BASE in line for line in merged_before)
    assert dataset.sync(ds(store_dir), settings.dist_dir, force=True).changed
    curated_after, merged_after = split()
    assert merged_data(merged_after) == merged_data(merged_before), "merged graphs and their metadata are untouched"
    fresh = ox.Store()  # the build's output, loaded as the store loads it (literals in canonical form)
    fresh.bulk_load(path=str(settings.dist_dir / "eurasia-kg.nq"), format=ox.RdfFormat.N_QUADS)
    assert _normalised(curated_after) == _normalised(str(q) for q in fresh)
    assert not any("stale" in line for line in curated_after)


KILL_IN_ALIGNMENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from eurasia_kg import alignment, merge
    from eurasia_kg.dataset import LocalDataset

    real = alignment.align_source

    def slow_align(writer, name, *args, **kwargs):
        report = real(writer, name, *args, **kwargs)  # the alignment is written ...
        print("aligned, not yet published", flush=True)
        time.sleep(60)  # ... and the process is killed before the transaction ends
        return report

    alignment.align_source = slow_align
    merge.merge_file(LocalDataset(Path(sys.argv[1])), Path(sys.argv[2]))
    print("merged", flush=True)
""")


def test_a_kill_during_the_alignment_leaves_neither_the_source_nor_a_stale_alignment(built, settings, tmp_path):
    """The alignment is part of the merge's transaction: killed after aligning but before publishing,
    the store holds neither the source nor any of its links, and no stale alignment either."""
    store_dir = tmp_path / "store"
    dataset.sync(ds(store_dir), settings.dist_dir)
    merge.merge_file(ds(store_dir), EXTERNAL / "wikidata-extract.ttl")
    before = dump(store_dir)
    child = subprocess.Popen([sys.executable, "-c", KILL_IN_ALIGNMENT, str(store_dir), str(EXTERNAL / "people.jsonld")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("aligned, not yet published"), child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert dump(store_dir) == before
    assert merge.read_sources(ds(store_dir).reader()).keys() == {"wikidata-extract"}
