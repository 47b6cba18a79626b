"""Benchmark the SPARQL endpoint against Oxigraph's server and rdflib-endpoint, interleaved in one run.

  python bench/bench_endpoint.py [--duration 2] [--repeat 3] [--concurrency 1 4] [--queries N]
                                 [--only SERVER ...] [--client auto|wrk|python] [--startup] [--profile]

On the built graph (dist/eurasia-kg.nq; run `eurasia-kg build` first) and the competency queries
(queries/*.rq, URL-encoded GETs asking for SPARQL JSON), it starts each server on a free port:
  * ours-nocache:  `eurasia-kg serve --cache-bytes 0` under granian (every request runs its query);
  * ours-cache:    `eurasia-kg serve` under granian, with its response cache (the repeated mix);
  * ours-gunicorn, ours-waitress: ours-nocache under the other two HTTP servers, and
    ours-cache-gunicorn, ours-cache-waitress: ours-cache under them (the comparison that chose
    granian: docs/server.md; the last two only with --only);
  * oxigraph-mem:  `oxigraph serve --union-default-graph` in memory (like our embedded store), the
    same N-Quads POSTed to its /store;
  * rdflib-endpoint: rdflib_endpoint.SparqlEndpoint over an rdflib Dataset(default_union=True) of
    the same N-Quads, under uvicorn with 2 processes (the CPU budget of our 2 query workers).
Every server answers every query once first (a warm-up that also checks that all servers give the
same number of rows). Then, --repeat times, for each query and each concurrency, each server in
turn is loaded with that one query for --duration seconds (wrk if installed, else a light Python
client): the servers are interleaved query by query, so a slow spell of the machine falls on all
of them, and after each run the bench waits until that server has stopped working (its processes'
CPU time stops growing), so that work left over from one run cannot slow the next server's. A
server's rate for a query is the median over the repeats; a ratio between two servers
is the geometric mean over the queries of the per-query ratios of their rates.

--startup measures the cold start (launch to first answer, median of 3) and the idle memory
(resident and proportional, all the server's processes) on dist/ and on an on-disk store of
--store-triples triples (dist/ plus bench/synthetic.py's people, bulk-loaded with pyoxigraph).
--profile records ours-nocache under load with py-spy and lists where the time goes.

Writes bench/results/endpoint.json (and endpoint-startup.json, endpoint-profile.txt) and prints
the table. Targets (issue 9): uncached ≥ 0.5× Oxigraph, cached ≥ 1× Oxigraph, ≥ 10× rdflib-endpoint,
cold start ≤ 1 s, idle RSS ≤ 100 MiB.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
ACCEPT = "application/sparql-results+json"
REFERENCE = "ours-nocache"
DEFAULT_SERVERS = ("ours-nocache", "ours-cache", "ours-gunicorn", "ours-waitress", "oxigraph-mem", "rdflib-endpoint")
MiB = 2**20


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


def start(server: Server, logs: Path, ready_timeout: float = 180.0) -> float:
    """Start the server on a free port; the seconds from launch to its first answer to a query."""
    log_path = logs / f"{server.name}.log"
    server.port = free_port()
    command = [part.replace("{port}", str(server.port)) for part in server.command]
    started = time.perf_counter()
    with open(log_path, "ab") as log:  # a session of its own: stopping it stops its workers too
        server.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True, cwd=ROOT)
    probe = query_path(server, "ASK { }")
    while time.perf_counter() - started < ready_timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {log_path}")
        with contextlib.suppress(OSError):
            status, _ = get(server.port, probe, timeout=5)
            if status == 200:
                elapsed = time.perf_counter() - started
                if server.upload is not None:
                    upload(server)
                return elapsed
        time.sleep(0.01)
    stop(server)
    raise RuntimeError(f"{server.name} did not answer within {ready_timeout} s; see {log_path}")


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


def session_memory(leader: int) -> dict:
    """Resident and proportional memory of every process of the session led by ``leader``."""
    rss = pss = count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != leader:
                continue
            count += 1
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
    return {"processes": count, "rss_mib": round(rss / MiB, 1), "pss_mib": round(pss / MiB, 1)}


def session_cpu(leader: int) -> float:
    """CPU seconds (user + system) used so far by every process of the session led by ``leader``."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == leader:
                    ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(server: Server, limit: float = 300.0) -> float:
    """Wait until the server has stopped working (its session used < 5 % of a core over 0.25 s):
    a server still running queries the load client gave up on would take the CPU from the next
    server's run (rdflib-endpoint went on for seconds after each of its windows). Returns the wait."""
    began = time.perf_counter()
    if server.process is None:
        return 0.0
    before = session_cpu(server.process.pid)
    while time.perf_counter() - began < limit:
        time.sleep(0.25)
        now = session_cpu(server.process.pid)
        if now - before < 0.0125:
            break
        before = now
    return time.perf_counter() - began


def servers(dist: Path, rdflib_workers: int, store: Path | None = None) -> list[Server]:
    nq = dist / "eurasia-kg.nq"
    ours = [str(BIN / "eurasia-kg"), "serve", "--root", str(ROOT), "--dist", str(dist), "--host", "127.0.0.1",
            "--port", "{port}"] + (["--store", str(store)] if store else [])
    oxigraph = str(BIN / "oxigraph") if (BIN / "oxigraph").exists() else "oxigraph"
    return [
        Server("ours-nocache", "eurasia-kg serve --cache-bytes 0 (granian)", ours + ["--cache-bytes", "0"], "/sparql"),
        Server("ours-cache", "eurasia-kg serve (granian, default cache)", ours, "/sparql"),
        Server("ours-gunicorn", "eurasia-kg serve --cache-bytes 0 --http-server gunicorn",
               ours + ["--cache-bytes", "0", "--http-server", "gunicorn"], "/sparql"),
        Server("ours-waitress", "eurasia-kg serve --cache-bytes 0 --http-server waitress",
               ours + ["--cache-bytes", "0", "--http-server", "waitress"], "/sparql"),
        Server("ours-cache-gunicorn", "eurasia-kg serve --http-server gunicorn (default cache)",
               ours + ["--http-server", "gunicorn"], "/sparql"),
        Server("ours-cache-waitress", "eurasia-kg serve --http-server waitress (default cache)",
               ours + ["--http-server", "waitress"], "/sparql"),
        Server("oxigraph-mem", "oxigraph serve --union-default-graph (in memory, N-Quads POSTed to /store)",
               [oxigraph, "serve", "--bind", "127.0.0.1:{port}", "--union-default-graph"], "/query", upload=nq),
        Server("rdflib-endpoint", f"rdflib-endpoint under uvicorn, {rdflib_workers} process(es)",
               [sys.executable, str(Path(__file__).resolve()), "--serve-rdflib", str(nq), "--port", "{port}",
                "--rdflib-workers", str(rdflib_workers)], "/"),
    ]


# --- Checking the answers ---------------------------------------------------------------------------

def row_counts(server: Server, mix: list[tuple[str, str]]) -> dict[str, int | str]:
    counts: dict[str, int | str] = {}
    for name, text in mix:
        status, body = get(server.port, query_path(server, text))
        counts[name] = len(json.loads(body)["results"]["bindings"]) if status == 200 else f"HTTP {status}"
    return counts


# --- Load generators -------------------------------------------------------------------------------

WRK_SCRIPT = """
local path = %s
local headers = { ["Accept"] = "%s" }
function request() return wrk.format("GET", path, headers) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(server: Server, path: str, concurrency: int, duration: float, scratch: Path) -> dict:
    script = scratch / "one.lua"
    script.write_text(WRK_SCRIPT % (_lua_string(path), ACCEPT))
    threads = min(concurrency, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--timeout", "60s",
               "-s", str(script), server.base]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    raw = json.loads(next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON "))[11:])
    seconds = raw["duration_us"] / 1e6
    return {"requests": raw["requests"], "rps": raw["requests"] / seconds, "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "errors": raw["errors"]}


def load_python(server: Server, path: str, concurrency: int, duration: float) -> dict:
    """A light client: one persistent connection per thread, the same request again and again."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.perf_counter() + duration

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": ACCEPT})
                response = connection.getresponse()
                response.read()
                errors[index] += response.status != 200
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            latencies[index].append(time.perf_counter() - began)
        connection.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = sorted(x for xs in latencies for x in xs)
    seconds = time.perf_counter() - began
    pct = (lambda p: every[min(len(every) - 1, math.ceil(p / 100 * len(every)) - 1)] * 1000) if every else None
    return {"requests": len(every), "rps": len(every) / seconds, "p50_ms": pct(50) if pct else None,
            "p99_ms": pct(99) if pct else None, "errors": sum(errors)}


# --- Ratios ------------------------------------------------------------------------------------------

def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def ratios(rates: dict[str, dict[str, dict[str, float]]], concurrencies: list[int]) -> dict:
    """For each pair (ours, other) and concurrency: the geometric mean over the queries of ours/other."""
    out = {}
    ours_names = [n for n in rates if n.startswith("ours")]
    for ours in ours_names:
        for other in rates:
            if other == ours:
                continue
            for c in map(str, concurrencies):
                per_query = {q: rates[ours][c][q] / rates[other][c][q] for q in rates[ours][c]
                             if rates[other][c].get(q)}
                out.setdefault(f"{ours}/{other}", {})[c] = {"geomean": geomean(list(per_query.values())),
                                                            "per_query": per_query}
    return out


TARGETS = [("uncached >= 0.5x Oxigraph in memory", "ours-nocache/oxigraph-mem", 0.5),
           ("cached >= 1x Oxigraph in memory (repeated mix)", "ours-cache/oxigraph-mem", 1.0),
           (">= 10x rdflib-endpoint (uncached)", "ours-nocache/rdflib-endpoint", 10.0)]


def targets(found: dict, concurrencies: list[int]) -> list[dict]:
    checked = []
    for label, key, bound in TARGETS:
        if key in found:
            values = {c: found[key][str(c)]["geomean"] for c in concurrencies}
            checked.append({"target": label, "ratio": key, "bound": bound,
                            "met": all(v is not None and v >= bound for v in values.values()),
                            "detail": ", ".join(f"c{c}: {v:.2f}x" for c, v in values.items() if v)})
    return checked


# --- Start-up, memory, profile ------------------------------------------------------------------------

def synthetic_store(dist: Path, triples: int, location: Path) -> int:
    """dist/'s quads and synthetic people up to ``triples`` quads, bulk-loaded into an on-disk store."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pyoxigraph as ox

    import synthetic

    with open(dist / "eurasia-kg.nq", "rb") as dump:
        people = max(100, round((triples - sum(1 for _ in dump)) / 13.05))
    store = ox.Store(str(location))
    store.bulk_load(path=str(dist / "eurasia-kg.nq"), format=ox.RdfFormat.N_QUADS)
    store.bulk_load("".join(synthetic.nquads(people)).encode(), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    count = len(store)
    del store
    return count


def startup(dist: Path, scratch: Path, triples: int, logs: Path) -> dict:
    store = scratch / "store-1m"
    made = time.perf_counter()
    quads = synthetic_store(dist, triples, store)
    result = {"store_quads": quads, "store_build_s": round(time.perf_counter() - made, 1), "runs": {}}
    for label, server in (("dist", servers(dist, 2)[0]), ("store-1m", servers(dist, 2, store)[0])):
        launches, memory = [], None
        for _ in range(3):
            launches.append(start(server, logs))
            time.sleep(3)  # idle: the workers started, the first answer given
            memory = session_memory(server.process.pid)
            stop(server)
        result["runs"][label] = {"first_answer_s": [round(x, 3) for x in launches],
                                 "median_first_answer_s": round(statistics.median(launches), 3),
                                 "idle_memory": memory}
        print(f"   {label}: first answer {statistics.median(launches):.3f} s (median of 3), idle {memory}",
              flush=True)
    return result


def profile(dist: Path, scratch: Path, logs: Path, mix: list[tuple[str, str]], seconds: int = 20) -> str:
    """py-spy's record of the HTTP process and the workers while the mix runs at c=4, top functions by own time."""
    server = servers(dist, 2)[0]
    start(server, logs)
    raw = scratch / "profile.txt"
    try:
        spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(server.process.pid), "--subprocesses",
                                "--duration", str(seconds), "--format", "raw", "--output", str(raw), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.perf_counter() + seconds
        paths = [query_path(server, text) for _, text in mix]
        threads = [threading.Thread(target=lambda i=i: _cycle(server, paths[i::4], deadline)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spy.wait(timeout=seconds + 60)
    finally:
        stop(server)
    return summarise_profile(raw.read_text() if raw.exists() else "")


def _cycle(server: Server, paths: list[str], deadline: float) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    while time.perf_counter() < deadline:
        for path in paths:
            connection.request("GET", path, headers={"Accept": ACCEPT})
            connection.getresponse().read()


def summarise_profile(collapsed: str, top: int = 25) -> str:
    """Self time by function and time by process kind, from py-spy's collapsed stacks."""
    own: dict[str, int] = {}
    by_process: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        kind = "query worker" if "workers.py" in stack else "HTTP process"
        by_process[kind] = by_process.get(kind, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    lines = [f"{total} samples", *(f"{k}: {v / total:.1%}" for k, v in by_process.items())] if total else []
    lines += [f"{n / total:6.1%}  {name}" for name, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


# --- Main ----------------------------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "system": platform.platform(), "loadavg_at_start": os.getloadavg()}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("eurasia-kg", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "uvicorn", "granian",
                    "gunicorn", "waitress", "flask"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--dist", type=Path, default=ROOT / "dist")
    args.add_argument("--duration", type=float, default=2.0, help="seconds per server, query, concurrency, repeat")
    args.add_argument("--repeat", type=int, default=3, help="rounds; the median rate of each query counts")
    args.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args.add_argument("--queries", type=int, help="only the first N queries of the mix (a quick look)")
    args.add_argument("--rdflib-workers", type=int, default=2)
    args.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args.add_argument("--only", nargs="+", help=f"servers to run (default: {' '.join(DEFAULT_SERVERS)}); "
                                                f"{REFERENCE} always runs")
    args.add_argument("--startup", action="store_true", help="also measure cold start and idle memory")
    args.add_argument("--store-triples", type=int, default=1_000_000)
    args.add_argument("--profile", action="store_true", help="also profile ours-nocache under load with py-spy")
    args.add_argument("--serve-rdflib", metavar="NQUADS", help=argparse.SUPPRESS)
    args.add_argument("--port", type=int, help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.serve_rdflib:
        serve_rdflib(opts.serve_rdflib, opts.port, opts.rdflib_workers)
        return
    if not (opts.dist / "eurasia-kg.nq").is_file():
        sys.exit(f"{opts.dist / 'eurasia-kg.nq'} not found: run `eurasia-kg build` first")
    client = opts.client if opts.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    mix = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "queries").glob("*.rq"))]
    mix = mix[: opts.queries] if opts.queries else mix
    command_line = "python bench/bench_endpoint.py " + " ".join(sys.argv[1:])
    results: dict = {"command": command_line, "machine": machine(), "versions": versions(), "client": client,
                     "duration_s": opts.duration, "repeat": opts.repeat, "concurrency": opts.concurrency,
                     "mix": [n for n, _ in mix], "accept": ACCEPT, "servers": {}}
    if os.getloadavg()[0] > 1.0:
        print(f"warning: load average {os.getloadavg()[0]:.2f} at the start: other work will show in the figures",
              flush=True)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    wanted = set(opts.only or DEFAULT_SERVERS) | {REFERENCE}
    with tempfile.TemporaryDirectory(prefix="ekg-bench-") as tmp:
        scratch = Path(tmp)
        chosen = [s for s in servers(opts.dist, opts.rdflib_workers) if s.name in wanted]
        runs: dict[str, dict[str, dict[str, list[float]]]] = {
            s.name: {str(c): {n: [] for n, _ in mix} for c in opts.concurrency} for s in chosen}
        try:
            counts = {}
            for server in chosen:
                first = start(server, logs)
                counts[server.name] = row_counts(server, mix)
                results["servers"][server.name] = {"description": server.description, "command": server.command,
                                                   "first_answer_s": round(first, 3)}
                print(f"== {server.name}: {server.description}; first answer after {first:.2f} s", flush=True)
            results["row_counts"] = counts
            results["row_count_mismatches"] = {
                s: [n for n, _ in mix if counts[s][n] != counts[REFERENCE][n]] for s in counts if s != REFERENCE}
            for round_ in range(opts.repeat):
                for name, text in mix:
                    for concurrency in opts.concurrency:
                        for server in chosen:
                            path = query_path(server, text)
                            run = (load_wrk(server, path, concurrency, opts.duration, scratch) if client == "wrk"
                                   else load_python(server, path, concurrency, opts.duration))
                            if run["requests"] == 0:
                                # Slower than the window (wrk counts only finished requests): the
                                # Python client lets each connection finish at least one, so the
                                # rate is measured, not dropped as zero (which left the slowest
                                # server's slowest queries out of its ratios and flattered it).
                                run = load_python(server, path, concurrency, opts.duration)
                            settle(server)
                            runs[server.name][str(concurrency)][name].append(run["rps"])
                    print(f"   round {round_ + 1}: {name}: " + ", ".join(
                        f"{s.name} {runs[s.name][str(opts.concurrency[-1])][name][-1]:.0f}/s" for s in chosen),
                        flush=True)
        finally:
            for server in chosen:
                stop(server)
        rates = {s: {c: {q: statistics.median(v) for q, v in by_query.items() if v} for c, by_query in per_c.items()}
                 for s, per_c in runs.items()}
        results["rates"] = rates
        results["ratios"] = ratios(rates, opts.concurrency)
        results["targets"] = targets(results["ratios"], opts.concurrency)
        if opts.startup:
            print("== start-up and idle memory", flush=True)
            results["startup"] = startup(opts.dist, scratch, opts.store_triples, logs)
        if opts.profile:
            print("== profile of ours-nocache at c=4 (py-spy)", flush=True)
            summary = profile(opts.dist, scratch, logs, mix)
            (RESULTS / "endpoint-profile.txt").write_text(summary + "\n")
            results["profile"] = summary.splitlines()[:12]
    (RESULTS / "endpoint.json").write_text(json.dumps(results, indent=2))
    print()
    print(table(results, opts.concurrency))
    for target in results["targets"]:
        print(f"target {target['target']}: {'met' if target['met'] else 'NOT met'} ({target['detail']})")
    if any(results["row_count_mismatches"].values()):
        print("row counts that differ from ours:", results["row_count_mismatches"])
    print(f"written {RESULTS / 'endpoint.json'} ({command_line})")


def table(results: dict, concurrencies: list[int]) -> str:
    head = f"{'ratio (geometric mean of per-query rate ratios)':52} " + " ".join(f"{'c' + str(c):>8}"
                                                                                 for c in concurrencies)
    lines = [head, "-" * len(head)]
    for key, by_c in results["ratios"].items():
        if key.startswith(REFERENCE) or key.startswith("ours-cache/") or "/ours" not in key:
            cells = " ".join(f"{by_c[str(c)]['geomean']:>7.2f}x" if by_c[str(c)]["geomean"] else f"{'-':>8}"
                             for c in concurrencies)
            lines.append(f"{key:52} {cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
