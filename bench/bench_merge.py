"""Merge speed against `oxigraph load`, on the same generated file, in one run.

  python bench/bench_merge.py [--triples 1000000]

Generates an N-Triples and a Turtle file of N triples (people, events, labels, dates), then
times, each in a fresh process with its peak memory (ru_maxrss of the child):
  * eurasia-kg merge FILE --store NEW   (one transaction, metadata record, no validation flag)
  * oxigraph load --location NEW --file FILE
Target: merge takes at most 1.5x Oxigraph's time. Also measures query latency on the merged
store (embedded pyoxigraph, read-only) against Oxigraph server holding the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OXIGRAPH = shutil.which("oxigraph") or str(BIN / "oxigraph")
EX = "https://example.org/bench/"


def generate(path: Path, triples: int, turtle: bool) -> None:
    rng = random.Random(7)
    people = max(1, triples // 20)
    with path.open("w", encoding="utf-8") as out:
        if turtle:
            out.write(f"@prefix ex: <{EX}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
        written = 0
        event = 0
        while written < triples:
            event += 1
            members = rng.sample(range(people), k=min(people, 2 + int(rng.paretovariate(1.5)) % 8))
            lines = [(f"event/{event}", "http://www.w3.org/2000/01/rdf-schema#label", f'"Event {event}"@en')]
            lines += [(f"event/{event}", f"{EX}participant", f"<{EX}person/{m}>") for m in members]
            lines.append((f"event/{event}", f"{EX}date",
                          f'"{2000 + event % 20}-01-{1 + event % 28:02d}"^^<http://www.w3.org/2001/XMLSchema#date>'))
            for s, p, o in lines:
                if written >= triples:
                    break
                out.write(f"<{EX}{s}> <{p}> {o} .\n")
                written += 1


def run(command: list[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MB) of a fresh child process."""
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", script, *command], check=True, capture_output=True, text=True)
    seconds, kilobytes = out.stdout.split()
    return float(seconds), int(kilobytes) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


QUERIES = [
    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?e <{EX}participant> ?p }} }}",
    f"SELECT ?e WHERE {{ GRAPH ?g {{ ?e <{EX}participant> <{EX}person/1> }} }} LIMIT 100",
    f"SELECT ?p (COUNT(?e) AS ?n) WHERE {{ GRAPH ?g {{ ?e <{EX}participant> ?p }} }} "
    "GROUP BY ?p ORDER BY DESC(?n) LIMIT 10",
]


def query_latency(store_dir: Path, oxigraph_dir: Path, repeat: int) -> dict:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))
    embedded = []
    for query in QUERIES * repeat:
        start = time.perf_counter()
        list(store.query(query))
        embedded.append(time.perf_counter() - start)
    port = free_port()
    server = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(oxigraph_dir), "--bind",
                               f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        remote = []
        for query in QUERIES * repeat:
            url = f"http://127.0.0.1:{port}/query?" + urllib.parse.urlencode({"query": query})
            start = time.perf_counter()
            urllib.request.urlopen(urllib.request.Request(
                url, headers={"Accept": "application/sparql-results+json"}), timeout=120).read()
            remote.append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait()
    return {"embedded_p50_ms": statistics.median(embedded) * 1000,
            "oxigraph_server_p50_ms": statistics.median(remote) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict = {"triples": args.triples}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for fmt, turtle in (("nt", False), ("ttl", True)):
            data = tmp / f"data.{fmt}"
            generate(data, args.triples, turtle)
            ours = run([str(BIN / "eurasia-kg"), "merge", str(data), "--name", f"bench-{fmt}", "--no-progress",
                        "--no-align",
                        "--store", str(tmp / f"store-{fmt}"), "--dist", str(tmp / "no-dist")])
            theirs = run([OXIGRAPH, "load", "--location", str(tmp / f"oxigraph-{fmt}"), "--file", str(data)])
            results[fmt] = {"merge_s": ours[0], "merge_peak_mb": ours[1], "oxigraph_load_s": theirs[0],
                            "oxigraph_peak_mb": theirs[1], "ratio": ours[0] / theirs[0]}
            print(f"{fmt}: merge {ours[0]:.2f} s ({ours[1]:.0f} MB)  oxigraph load {theirs[0]:.2f} s "
                  f"({theirs[1]:.0f} MB)  ratio {ours[0] / theirs[0]:.2f} (target <= 1.5)")
        results["query"] = query_latency(tmp / "store-nt", tmp / "oxigraph-nt", args.repeat)
        print(f"query p50: embedded {results['query']['embedded_p50_ms']:.1f} ms, "
              f"oxigraph server {results['query']['oxigraph_server_p50_ms']:.1f} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "merge.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
