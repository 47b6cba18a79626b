"""Benchmark the SPARQL endpoint against rdflib-endpoint and Oxigraph's server, side by side in one run.

  python bench/bench_endpoint.py [--duration 10] [--repeat 3] [--concurrency 1 4] [--rdflib-workers 2]
                                 [--client auto|wrk|python] [--only SERVER ...]

On the built graph (dist/eurasia-kg.nq; run `eurasia-kg build` first) and a mix made of the
competency queries (queries/*.rq, sent in turn as URL-encoded GETs asking for SPARQL JSON), it
starts each server on a free port of 127.0.0.1:
  * ours-nocache: `eurasia-kg serve --cache-size 0` (every request runs its query);
  * ours-cache:   `eurasia-kg serve` with its default response cache;
  * rdflib-endpoint: rdflib_endpoint.SparqlEndpoint over an rdflib Dataset(default_union=True)
    holding the same N-Quads, under uvicorn (by default 2 processes, the same CPU budget as our 2
    query workers; --rdflib-workers 1 is what `rdflib-endpoint serve` does);
  * oxigraph-mem: `oxigraph serve --union-default-graph` in memory (like our embedded store), the
    same N-Quads POSTed to its /store;
  * oxigraph-rocksdb: `oxigraph load` and `oxigraph optimize` of the same N-Quads into a RocksDB
    directory, then `oxigraph serve-read-only --union-default-graph`.
All servers are started first; then --repeat rounds interleave them, and the median round counts.
Each server first gets the whole mix once (a warm-up, which also gives the row count of
every query: the counts are compared across servers and any mismatch is reported); each round then
loads it at each concurrency for --duration seconds with wrk (a Lua script cycles through the mix) or, if
wrk is missing, a light threaded Python client. A server whose single pass through the mix takes
longer than --duration is loaded long enough for one full pass (capped at --max-duration), so
the slow queries are not left out of its figure.

Writes bench/results/endpoint.json (the last 64 KiB of each server's log in bench/results/logs/)
and prints the table with ratios against ours.
Targets: ours >= 10x rdflib-endpoint; ours uncached >= 0.5x Oxigraph; ours cached >= 1x Oxigraph.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCEPT = "application/sparql-results+json"
REFERENCE = "ours-nocache"


# --- rdflib-endpoint, as a uvicorn app factory (run in its own processes) ---------------------

def rdflib_app():
    """The rdflib-endpoint app over the dump named by $EKG_BENCH_DATA (uvicorn --factory)."""
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    dataset.parse(os.environ["EKG_BENCH_DATA"], format="nquads")
    return SparqlEndpoint(graph=dataset, cors_enabled=False)


def serve_rdflib(data: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ["EKG_BENCH_DATA"] = data
    uvicorn.run("bench_endpoint:rdflib_app", factory=True, host="127.0.0.1", port=port, workers=workers,
                app_dir=str(Path(__file__).resolve().parent), log_level="warning", access_log=False)


# --- Servers ------------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    description: str
    command: list[str]  # "{port}" in an argument stands for the port, chosen when the server starts
    path: str  # the query endpoint's path
    port: int = 0
    prepare: list[list[str]] = field(default_factory=list)
    upload: Path | None = None  # N-Quads to POST to /store once the server answers (Oxigraph in memory)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 120.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": ACCEPT})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def query_path(server: Server, text: str) -> str:
    return f"{server.path}?{urllib.parse.urlencode({'query': text})}"


def start(server: Server, logs: Path, ready_timeout: float = 180.0, attempts: int = 3) -> float:
    """Start the server on a free port (another, if it exits at once: the port may have been taken
    meanwhile); the seconds until it answers a query."""
    for step in server.prepare:
        subprocess.run(step, check=True, capture_output=True)
    log_path = logs / f"{server.name}.log"
    for attempt in range(attempts):
        server.port = free_port()
        command = [part.replace("{port}", str(server.port)) for part in server.command]
        started = time.perf_counter()
        # A session of its own, so that stopping it also stops the worker processes it starts.
        with open(log_path, "ab") as log:
            server.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
        probe = query_path(server, "ASK { }")
        while time.perf_counter() - started < ready_timeout:
            if server.process.poll() is not None:
                break
            try:
                status, _ = get(server.port, probe, timeout=5)
                if status == 200:
                    if server.upload is not None:
                        upload(server)
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.2)
        else:
            stop(server)
            raise RuntimeError(f"{server.name} did not answer within {ready_timeout} s; see {log_path}")
        print(f"   {server.name} exited with {server.process.returncode} (attempt {attempt + 1}); see {log_path}",
              flush=True)
    raise RuntimeError(f"{server.name} would not start; see {log_path}")


def upload(server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        connection.request("POST", "/store", body=server.upload.read_bytes(),
                           headers={"Content-Type": "application/n-quads"})
        response = connection.getresponse()
        response.read()
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"{server.name}: loading {server.upload} answered HTTP {response.status}")
    finally:
        connection.close()


def stop(server: Server) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


# --- Verification pass ---------------------------------------------------------------------------

def _signature(binding: dict, loose: bool = False) -> tuple:
    """A row for comparing answers across servers: blank-node labels erased, and a literal taken as
    its sorted words, since the order of the values GROUP_CONCAT joins is left open by SPARQL.
    ``loose`` also drops language tags and compares numbers by value (80 and 80.0 as xsd:decimal)."""
    row = []
    for var in sorted(binding):
        term = binding[var]
        value = term["value"]
        datatype = term.get("datatype", "")
        lang = term.get("xml:lang", "").lower()
        if term["type"] == "bnode":
            value = "_:b"
        elif term["type"] in ("literal", "typed-literal"):
            value = " ".join(sorted(re.split(r"[\s,;|\u2013]+", value)))
            if loose:
                lang = ""
                if datatype.endswith(("#decimal", "#integer", "#double", "#float")):
                    with contextlib.suppress(ValueError):
                        value = repr(float(term["value"]))
        kind = "literal" if term["type"] == "typed-literal" else term["type"]
        row.append((var, kind, value, datatype, lang))
    return tuple(row)


def verify(server: Server, mix: list[tuple[str, str]]) -> dict[str, dict]:
    """Send each query once: status, row count, time, and the answer's signature."""
    answers = {}
    for name, text in mix:
        started = time.perf_counter()
        status, body = get(server.port, query_path(server, text))
        elapsed = time.perf_counter() - started
        entry = {"status": status, "seconds": round(elapsed, 4)}
        if status == 200:
            bindings = json.loads(body)["results"]["bindings"]
            entry["rows"] = len(bindings)
            entry["signature"] = sorted(_signature(b) for b in bindings)
            entry["loose_signature"] = sorted(_signature(b, loose=True) for b in bindings)
        else:
            entry["error"] = body[:300].decode("utf-8", "replace")
        answers[name] = entry
    return answers


def compare(verification: dict[str, dict[str, dict]], names: list[str]) -> list[dict]:
    """Queries whose status, row count or answer differs from the reference server's."""
    problems = []
    reference = verification[REFERENCE]
    for server, answers in verification.items():
        if server == REFERENCE:
            continue
        for name in names:
            ours, theirs = reference[name], answers[name]
            if ours["status"] != theirs["status"] or ours.get("rows") != theirs.get("rows"):
                problems.append({"query": name, "server": server, "kind": "row count",
                                 "reference": ours.get("rows", f"HTTP {ours['status']}"),
                                 "theirs": theirs.get("rows", f"HTTP {theirs['status']}"),
                                 "error": theirs.get("error") or ours.get("error")})
            elif ours.get("signature") != theirs.get("signature"):
                first = next(((a, b) for a, b in zip(ours["signature"], theirs["signature"], strict=False)
                              if a != b), (None, None))
                kind = "values (same row count)"
                if ours["loose_signature"] == theirs["loose_signature"]:
                    kind = "lexical forms only (language tag or number form; same rows and values)"
                problems.append({"query": name, "server": server, "kind": kind,
                                 "reference": ours["rows"], "theirs": theirs["rows"],
                                 "first_difference": {"ours": first[0], "theirs": first[1]}})
    return problems


# --- Load generators -------------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = %s
local threads = %d
local started = 0
function setup(thread)
  thread:set("i", math.floor(started * #paths / threads))
  started = started + 1
end
local headers = { ["Accept"] = "%s" }
function request()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "mean_us": %%.1f, ' ..
    '"max_us": %%d, "errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(server: Server, paths: list[str], concurrency: int, duration: float, scratch: Path) -> dict:
    threads = min(concurrency, os.cpu_count() or 1)
    script = scratch / "mix.lua"
    script.write_text(WRK_SCRIPT % ("{" + ", ".join(_lua_string(p) for p in paths) + "}", threads, ACCEPT))
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--timeout", "60s",
               "-s", str(script), server.base]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON "))
    raw = json.loads(line[len("BENCH_JSON "):])
    seconds = raw["duration_us"] / 1e6
    return {"client": "wrk", "command": " ".join(command[:-3] + ["mix.lua", server.base]),
            "requests": raw["requests"], "seconds": round(seconds, 3),
            "rps": raw["requests"] / seconds, "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "mean_ms": raw["mean_us"] / 1000, "max_ms": raw["max_us"] / 1000, "errors": raw["errors"]}


def load_python(server: Server, paths: list[str], concurrency: int, duration: float) -> dict:
    """A light client: one persistent connection per thread, cycling through the mix."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.perf_counter() + duration

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        position = index * len(paths) // concurrency
        while time.perf_counter() < deadline:
            path = paths[position % len(paths)]
            position += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": ACCEPT})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            latencies[index].append(time.perf_counter() - started)
        connection.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    every = sorted(x for xs in latencies for x in xs)

    def pct(p: float) -> float:
        return every[min(len(every) - 1, math.ceil(p / 100 * len(every)) - 1)] * 1000 if every else float("nan")

    return {"client": "python", "requests": len(every), "seconds": round(seconds, 3), "rps": len(every) / seconds,
            "p50_ms": pct(50), "p99_ms": pct(99), "mean_ms": sum(every) / len(every) * 1000 if every else None,
            "max_ms": every[-1] * 1000 if every else None, "errors": {"status_or_io": sum(errors)}}


# --- Main ----------------------------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "system": platform.platform(),
            "loadavg_at_start": os.getloadavg()}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("eurasia-kg", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "uvicorn", "waitress"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    if shutil.which("wrk"):
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        found["wrk"] = (done.stdout or done.stderr).split("\n")[0].strip()
    return found


def servers(dist: Path, scratch: Path, rdflib_workers: int) -> list[Server]:
    nq = dist / "eurasia-kg.nq"
    ours = [str(BIN / "eurasia-kg"), "serve", "--root", str(ROOT), "--dist", str(dist), "--host", "127.0.0.1",
            "--port", "{port}"]
    oxigraph = str(BIN / "oxigraph") if (BIN / "oxigraph").exists() else "oxigraph"
    location = str(scratch / "oxigraph-db")
    return [
        Server(REFERENCE, "eurasia-kg serve --cache-size 0", ours + ["--cache-size", "0"], "/sparql"),
        Server("ours-cache", "eurasia-kg serve (default cache)", ours, "/sparql"),
        Server("rdflib-endpoint", f"rdflib-endpoint under uvicorn, {rdflib_workers} process(es)",
               [sys.executable, str(Path(__file__).resolve()), "--serve-rdflib", str(nq), "--port", "{port}",
                "--rdflib-workers", str(rdflib_workers)], "/"),
        Server("oxigraph-mem", "oxigraph serve --union-default-graph (in memory, N-Quads POSTed to /store)",
               [oxigraph, "serve", "--bind", "127.0.0.1:{port}", "--union-default-graph"], "/query", upload=nq),
        Server("oxigraph-rocksdb", "oxigraph load + optimize, serve-read-only --union-default-graph",
               [oxigraph, "serve-read-only", "--location", location, "--bind", "127.0.0.1:{port}",
                "--union-default-graph"], "/query",
               prepare=[[oxigraph, "load", "--location", location, "--file", str(nq)],
                        [oxigraph, "optimize", "--location", location]]),
    ]


def keep_log_tail(source: Path, target: Path, size: int = 65536) -> None:
    """The end of a server's log (ours logs every request: whole logs run to hundreds of MB)."""
    if not source.is_file():
        return
    with source.open("rb") as log:
        log.seek(max(0, source.stat().st_size - size))
        target.write_bytes(log.read())


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (the lower middle one for an even count), with every run's rate."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rps_of_each_repeat"] = [round(r["rps"], 1) for r in runs]
    return chosen


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--dist", type=Path, default=ROOT / "dist")
    args.add_argument("--duration", type=float, default=10.0, help="seconds per server, concurrency and repeat")
    args.add_argument("--max-duration", type=float, default=60.0,
                      help="longest run, for a server whose one pass through the mix exceeds --duration")
    args.add_argument("--repeat", type=int, default=3,
                      help="rounds over all servers (interleaved); the median round is reported")
    args.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args.add_argument("--rdflib-workers", type=int, default=2)
    args.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args.add_argument("--only", nargs="+", help="run only these servers (names as in the table; ours-nocache "
                                                "always runs, as the reference)")
    args.add_argument("--serve-rdflib", metavar="NQUADS", help=argparse.SUPPRESS)
    args.add_argument("--port", type=int, help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.serve_rdflib:
        serve_rdflib(opts.serve_rdflib, opts.port, opts.rdflib_workers)
        return
    if not (opts.dist / "eurasia-kg.nq").is_file():
        sys.exit(f"{opts.dist / 'eurasia-kg.nq'} not found: run `eurasia-kg build` first")
    client = opts.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    mix = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "queries").glob("*.rq"))]
    names = [name for name, _ in mix]
    results: dict = {"machine": machine(), "versions": versions(), "client": client, "duration_s": opts.duration,
                     "repeat": opts.repeat, "concurrency": opts.concurrency, "mix": names, "accept": ACCEPT,
                     "data": str(opts.dist / "eurasia-kg.nq"), "servers": {}, "verification": {}}
    runs: dict[str, dict[str, list[dict]]] = {}
    if os.getloadavg()[0] > 1.0:
        print(f"warning: load average {os.getloadavg()[0]:.2f} before the benchmark starts; other work on this "
              "machine will show in the figures", flush=True)
    logs = ROOT / "bench" / "results" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="ekg-bench-") as tmp:
        scratch = Path(tmp)
        chosen = [s for s in servers(opts.dist, scratch, opts.rdflib_workers)
                  if not opts.only or s.name in opts.only or s.name == REFERENCE]
        try:
            # All servers are up at once (idle ones cost no CPU), so the rounds can interleave them
            # and a slow spell of the machine does not fall on one server only.
            for server in chosen:
                startup = start(server, scratch)
                answers = verify(server, mix)
                pass_s = sum(a["seconds"] for a in answers.values())
                results["verification"][server.name] = answers
                results["servers"][server.name] = {
                    "description": server.description, "command": server.command, "startup_s": round(startup, 2),
                    "one_pass_s": round(pass_s, 3), "runs": {}}
                runs[server.name] = {str(c): [] for c in opts.concurrency}
                print(f"== {server.name}: {server.description}; up in {startup:.1f} s, "
                      f"one pass through the mix {pass_s:.2f} s", flush=True)
            for round_ in range(opts.repeat):
                for server in chosen:
                    entry = results["servers"][server.name]
                    paths = [query_path(server, text) for _, text in mix]
                    for concurrency in opts.concurrency:
                        duration = opts.duration
                        if entry["one_pass_s"] * 1.1 > duration:
                            duration = min(opts.max_duration, math.ceil(entry["one_pass_s"] * 1.1))
                        run = (load_wrk(server, paths, concurrency, duration, scratch) if client == "wrk"
                               else load_python(server, paths, concurrency, duration))
                        run["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
                        runs[server.name][str(concurrency)].append(run)
                        print(f"   round {round_ + 1} {server.name:16} c={concurrency}: {run['rps']:9.1f} req/s  "
                              f"p50 {run['p50_ms']:8.2f} ms  p99 {run['p99_ms']:8.2f} ms  "
                              f"({run['requests']} requests in {run['seconds']} s, errors {run['errors']})",
                              flush=True)
        finally:
            for server in chosen:
                stop(server)
                keep_log_tail(scratch / f"{server.name}.log", logs / f"{server.name}.log")
    for name, by_concurrency in runs.items():
        results["servers"][name]["runs"] = {c: median_run(rs) for c, rs in by_concurrency.items() if rs}
    mismatches = compare(results["verification"], names)
    for answers in results["verification"].values():
        for entry in answers.values():
            entry.pop("signature", None)
            entry.pop("loose_signature", None)
    results["mismatches"] = mismatches
    results["row_counts_match"] = {
        server: sum(1 for n in names if answers[n]["status"] == 200
                    and answers[n].get("rows") == results["verification"][REFERENCE][n].get("rows"))
        for server, answers in results["verification"].items()}
    results["ratios"], results["targets"] = ratios_and_targets(results["servers"], opts.concurrency)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "endpoint.json").write_text(json.dumps(results, indent=2))
    print()
    print(table(results, opts.concurrency))
    print()
    print("Row counts equal to ours-nocache's: " + ", ".join(
        f"{server} {count}/{len(names)}" for server, count in results["row_counts_match"].items()))
    if mismatches:
        print("Answers that differ from ours-nocache:")
        for m in mismatches:
            print(f"  {m['server']:16} {m['query']:50} {m['kind']}: ours {m['reference']}, theirs {m['theirs']}")
    else:
        print("Row counts (and answers, blank nodes aside) match across servers for every query of the mix.")
    for target in results["targets"]:
        print(f"target {target['target']}: {'met' if target['met'] else 'NOT met'} ({target['detail']})")
    print(f"written {out / 'endpoint.json'}")


def ratios_and_targets(found: dict, concurrencies: list[int]) -> tuple[dict, list[dict]]:
    rps = {name: {str(c): entry["runs"][str(c)]["rps"] for c in concurrencies} for name, entry in found.items()}
    ratios = {}
    for ours in ("ours-nocache", "ours-cache"):
        for other in ("rdflib-endpoint", "oxigraph-mem", "oxigraph-rocksdb"):
            if ours in rps and other in rps:
                ratios[f"{ours}/{other}"] = {str(c): ratio(rps[ours][str(c)], rps[other][str(c)])
                                             for c in concurrencies}
    targets = []

    def check(label: str, key: str, bound: float) -> None:
        if key not in ratios:
            return
        values = ratios[key]
        worst = min(v for v in values.values() if v is not None)
        targets.append({"target": label, "ratio": key, "bound": bound, "met": worst >= bound,
                        "detail": ", ".join(f"c={c}: {v:.2f}x" for c, v in values.items())})

    check(">= 10x rdflib-endpoint (ours, uncached)", "ours-nocache/rdflib-endpoint", 10)
    check(">= 10x rdflib-endpoint (ours, cached)", "ours-cache/rdflib-endpoint", 10)
    for oxigraph in ("oxigraph-mem", "oxigraph-rocksdb"):
        check(f">= 0.5x Oxigraph (ours uncached vs {oxigraph})", f"ours-nocache/{oxigraph}", 0.5)
        check(f">= 1x Oxigraph (ours cached vs {oxigraph}, repeated mix)", f"ours-cache/{oxigraph}", 1)
    return ratios, targets


def table(results: dict, concurrencies: list[int]) -> str:
    found = results["servers"]
    head = (f"{'server':16} {'c':>2} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'run s':>6} "
            f"{'uncached/this':>14} {'cached/this':>12}")
    lines = [head, "-" * len(head)]
    for name, entry in found.items():
        for c in concurrencies:
            run = entry["runs"][str(c)]
            ours_n = found.get("ours-nocache", {}).get("runs", {}).get(str(c), {}).get("rps")
            ours_c = found.get("ours-cache", {}).get("runs", {}).get(str(c), {}).get("rps")
            r1, r2 = ratio(ours_n, run["rps"]), ratio(ours_c, run["rps"])
            lines.append(f"{name:16} {c:>2} {run['rps']:>10.1f} {run['p50_ms']:>9.2f} {run['p99_ms']:>9.2f} "
                         f"{run['seconds']:>6.1f} {(f'{r1:.2f}x' if r1 else '-'):>14} "
                         f"{(f'{r2:.2f}x' if r2 else '-'):>12}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
