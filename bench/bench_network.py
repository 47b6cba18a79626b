"""Benchmark the who-met-whom network on synthetic data of 1k, 10k and 100k people.

  python bench/bench_network.py [--sizes 1000 10000 100000] [--k 100] [--budget 300] [--error-ks 50 100 200 500]

For each size, bench/synthetic.py writes the data set into an in-memory pyoxigraph store; then:
  * the network is built with eurasia_kg.network.build_network from the real queries of
    queries/network (default options), timed as a whole and query by query;
  * each measure of the default set is timed alone with eurasia_kg.network.compute_measures, in a
    forked child process that is stopped after --budget seconds. Betweenness is exact up to
    --exact-limit people and sampled with k=--k (networkx's k=, a fixed seed) above. An exact
    all-pairs measure (closeness, exact betweenness) is first estimated from a few single-source
    runs and skipped, with its estimate, when that exceeds the budget;
  * on the --error-size graph (10k), the sampled betweenness for each of --error-ks is compared
    with the exact values: mean absolute error, largest error, Spearman's rank correlation over
    the exact top 100 and the overlap of the two top-100 sets. The exact values take long, so they
    are computed once on all cores (Brandes' algorithm split by source, the same sums as networkx's)
    and cached in bench/results/ (keyed by size, seed, generator version and networkx version).
Writes bench/results/network.json and prints the tables.
Target: the full default measure set on 10k people in under 10 s (with sampled betweenness), error stated.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import synthetic  # noqa: E402
from eurasia_kg import network  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FORK = multiprocessing.get_context("fork")
TARGET_S = 10.0


# --- Timing in a child process, with a budget -------------------------------------------------------

def _child(conn, function: Callable[[], object]) -> None:
    started = time.perf_counter()
    value = function()
    conn.send((time.perf_counter() - started, value))
    conn.close()


def timed_in_child(function: Callable[[], object], budget: float, want_value: bool = False) -> dict:
    """Seconds ``function`` takes in a forked copy of this process, or a note that it passed ``budget``."""
    parent, child = FORK.Pipe(duplex=False)
    process = FORK.Process(target=_child, args=(child, (lambda: function() if want_value else (function(), None)[1])))
    process.start()
    child.close()
    if parent.poll(budget):
        seconds, value = parent.recv()
        process.join()
        return {"seconds": round(seconds, 3), "value": value}
    process.kill()
    process.join()
    return {"seconds": None, "stopped_after_s": budget}


# --- Exact betweenness on all cores ------------------------------------------------------------------

def _brandes_chunk(graph: nx.Graph, sources: list) -> dict:
    from networkx.algorithms.centrality.betweenness import _accumulate_basic, _single_source_shortest_path_basic

    totals = dict.fromkeys(graph, 0.0)
    for source in sources:
        stack, preds, sigma, _ = _single_source_shortest_path_basic(graph, source)
        totals, _ = _accumulate_basic(totals, stack, preds, sigma, source)
    return totals


def _chunk_worker(conn, graph: nx.Graph, sources: list) -> None:
    conn.send(_brandes_chunk(graph, sources))
    conn.close()


def exact_betweenness(graph: nx.Graph, processes: int | None = None) -> dict:
    """networkx.betweenness_centrality(graph) (normalized, unweighted), its sources split over processes."""
    from networkx.algorithms.centrality.betweenness import _rescale

    processes = processes or os.cpu_count() or 1
    nodes = list(graph)
    chunks = [nodes[i::processes] for i in range(processes)]
    pipes, workers = [], []
    for chunk in chunks:
        parent, child = FORK.Pipe(duplex=False)
        worker = FORK.Process(target=_chunk_worker, args=(child, graph, chunk))
        worker.start()
        child.close()
        pipes.append(parent)
        workers.append(worker)
    totals = dict.fromkeys(graph, 0.0)
    for parent in pipes:
        for node, value in parent.recv().items():
            totals[node] += value
    for worker in workers:
        worker.join()
    return _rescale(totals, len(graph), normalized=True, directed=False, endpoints=False, sampled_nodes=None)


def cached_exact_betweenness(graph: nx.Graph, people: int, seed: int) -> tuple[dict, dict]:
    path = RESULTS / f"betweenness-exact-{people}-seed{seed}-gen{synthetic.VERSION}-nx{nx.__version__}.json"
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached["nodes"] == graph.number_of_nodes() and cached["edges"] == graph.number_of_edges():
            return cached["values"], {"cached": True, "path": str(path.relative_to(ROOT)),
                                      "seconds_when_computed": cached["seconds"], "processes": cached["processes"]}
    processes = os.cpu_count() or 1
    started = time.perf_counter()
    values = exact_betweenness(graph, processes)
    seconds = time.perf_counter() - started
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps({"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                                "seconds": round(seconds, 1), "processes": processes, "values": values}))
    return values, {"cached": False, "path": str(path.relative_to(ROOT)), "seconds_when_computed": round(seconds, 1),
                    "processes": processes}


def sampling_error(exact: dict, sampled: dict, top: int = 100) -> dict:
    from scipy.stats import spearmanr

    nodes = list(exact)
    errors = [abs(exact[n] - sampled[n]) for n in nodes]
    best = sorted(nodes, key=lambda n: -exact[n])[:top]
    best_sampled = set(sorted(nodes, key=lambda n: -sampled[n])[:top])
    rho = spearmanr([exact[n] for n in best], [sampled[n] for n in best]).statistic
    return {"mean_abs_error": statistics.fmean(errors), "max_abs_error": max(errors),
            "max_exact_value": max(exact.values()), "mean_exact_value": statistics.fmean(exact.values()),
            f"spearman_top{top}": float(rho), f"top{top}_overlap": len(best_sampled & set(best)) / top}


# --- Estimates for all-pairs measures --------------------------------------------------------------

def estimate_all_pairs(graph: nx.Graph, measure: str, samples: int = 10) -> float:
    """Seconds an all-pairs measure would take, from ``samples`` single-source runs."""
    rng = random.Random(0)
    sources = rng.sample(list(graph), min(samples, graph.number_of_nodes()))
    started = time.perf_counter()
    if measure == "closeness":
        for source in sources:
            nx.single_source_shortest_path_length(graph, source)
    else:
        _brandes_chunk(graph, sources)
    return (time.perf_counter() - started) / len(sources) * graph.number_of_nodes()


# --- One size ------------------------------------------------------------------------------------------

def graph_stats(graph: nx.Graph) -> dict:
    degrees = sorted((d for _, d in graph.degree()), reverse=True)
    components = [len(c) for c in nx.connected_components(graph)]
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
            "mean_degree": round(2 * graph.number_of_edges() / max(1, graph.number_of_nodes()), 2),
            "median_degree": degrees[len(degrees) // 2] if degrees else 0, "top5_degrees": degrees[:5],
            "components": len(components), "largest_component": max(components, default=0)}


def run_size(people: int, opts: argparse.Namespace) -> tuple[dict, nx.Graph]:
    entry: dict = {"people": people}
    started = time.perf_counter()
    data = "".join(synthetic.nquads(people, opts.seed)).encode()
    entry["generate_s"] = round(time.perf_counter() - started, 3)
    entry["quads"] = data.count(b"\n")
    started = time.perf_counter()
    store = synthetic.ox.Store()
    store.bulk_load(data, format=synthetic.ox.RdfFormat.N_QUADS)
    entry["load_store_s"] = round(time.perf_counter() - started, 3)
    del data

    queries = network.load_queries(ROOT / "queries" / "network")
    names = {text: name for name, text in queries.items()}
    select = network.store_select(store)
    per_query: dict[str, float] = {}

    def timed_select(query: str, graphs: list[str] | None):
        began = time.perf_counter()
        answer = select(query, graphs)
        name = names.get(query, "graph-names")
        per_query[name] = per_query.get(name, 0.0) + time.perf_counter() - began
        return answer

    started = time.perf_counter()
    built = network.build_network(timed_select, queries, network.Options())
    entry["build_network_s"] = round(time.perf_counter() - started, 3)
    entry["build_queries_s"] = {name: round(s, 3) for name, s in sorted(per_query.items(), key=lambda x: -x[1])}
    entry["build_networkx_s"] = round(entry["build_network_s"] - sum(per_query.values()), 3)
    graph = built.graph
    del store
    entry["graph"] = graph_stats(graph)
    print(f"== {people} people: {entry['quads']} quads, generated in {entry['generate_s']} s, stored in "
          f"{entry['load_store_s']} s; network built in {entry['build_network_s']} s "
          f"({graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges)", flush=True)

    exact_betweenness_here = people <= opts.exact_limit
    k = None if exact_betweenness_here else opts.k
    entry["betweenness_k"] = k
    measures: dict[str, dict] = {}
    for measure in network.MEASURES:
        exact_all_pairs = measure == "closeness" or (measure == "betweenness" and k is None)
        result: dict = {}
        if exact_all_pairs:
            estimate = estimate_all_pairs(graph, measure)
            result["estimate_s"] = round(estimate, 1)
            if estimate > opts.budget:
                result.update(seconds=None, skipped=f"estimated {estimate:.0f} s from 10 single-source runs, "
                                                    f"over the {opts.budget:.0f} s budget")
                measures[measure] = result
                print(f"   {measure:16} skipped: {result['skipped']}", flush=True)
                continue
        timing = timed_in_child(lambda m=measure: network.compute_measures(graph, [m], betweenness_k=k),
                                opts.budget)
        result.update({key: value for key, value in timing.items() if key != "value"})
        if measure == "betweenness":
            result["k"] = k
        measures[measure] = result
        shown = f"{result['seconds']:.2f} s" if result["seconds"] is not None else \
            f"stopped after {opts.budget:.0f} s"
        print(f"   {measure:16} {shown}" + (f" (k={k})" if measure == "betweenness" and k else ""), flush=True)
    entry["measures"] = measures
    done = [m["seconds"] for m in measures.values()]
    entry["all_measures_s"] = round(sum(done), 3) if all(s is not None for s in done) else None
    entry["all_measures_lower_bound_s"] = round(sum(s or m.get("stopped_after_s") or m.get("estimate_s") or 0
                                                    for s, m in zip(done, measures.values(), strict=True)), 1)
    return entry, graph


def error_study(graph: nx.Graph, people: int, opts: argparse.Namespace) -> dict:
    print(f"== betweenness sampling error on {people} people", flush=True)
    exact, provenance = cached_exact_betweenness(graph, people, opts.seed)
    print(f"   exact: {'cached in ' + provenance['path'] if provenance['cached'] else 'computed'} "
          f"({provenance['seconds_when_computed']} s on {provenance['processes']} processes)", flush=True)
    study: dict = {"people": people, "exact": provenance, "by_k": {}}
    for k in opts.error_ks:
        timing = timed_in_child(lambda k=k: nx.betweenness_centrality(graph, k=k, seed=network.LOUVAIN_SEED),
                                opts.budget, want_value=True)
        if timing["seconds"] is None:
            study["by_k"][str(k)] = {"seconds": None, "stopped_after_s": opts.budget}
            continue
        error = sampling_error(exact, timing["value"])
        study["by_k"][str(k)] = {"seconds": timing["seconds"], **error}
        print(f"   k={k:<5} {timing['seconds']:7.2f} s  mean abs error {error['mean_abs_error']:.2e}  "
              f"max error {error['max_abs_error']:.2e}  Spearman top-100 {error['spearman_top100']:.3f}  "
              f"top-100 overlap {error['top100_overlap']:.2f}", flush=True)
    return study


def check_exact_matches_networkx(graph: nx.Graph) -> float:
    """Largest difference between the split exact betweenness and networkx's own, on a small graph."""
    ours = exact_betweenness(graph)
    reference = nx.betweenness_centrality(graph)
    return max(abs(ours[n] - reference[n]) for n in graph)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args.add_argument("--seed", type=int, default=7)
    args.add_argument("--k", type=int, default=100, help="sources sampled for betweenness above --exact-limit")
    args.add_argument("--exact-limit", type=int, default=1000, help="largest size with exact betweenness")
    args.add_argument("--budget", type=float, default=300.0, help="seconds allowed to one measure")
    args.add_argument("--error-size", type=int, default=10000)
    args.add_argument("--error-ks", type=int, nargs="*", default=[50, 100, 200, 500])
    opts = args.parse_args()
    results: dict = {"machine": {"nproc": os.cpu_count(), "cpu": _cpu(), "python": platform.python_version(),
                                 "networkx": nx.__version__, "pyoxigraph": synthetic.ox.__version__,
                                 "loadavg_at_start": os.getloadavg()},
                     "generator": {"seed": opts.seed, "version": synthetic.VERSION}, "budget_s": opts.budget,
                     "sizes": {}}
    if os.getloadavg()[0] > 1.0:
        print(f"warning: load average {os.getloadavg()[0]:.2f} before the benchmark starts; other work on this "
              "machine will show in the figures", flush=True)
    for people in opts.sizes:
        entry, graph = run_size(people, opts)
        if people == min(opts.sizes):
            entry["split_exact_betweenness_max_diff_vs_networkx"] = check_exact_matches_networkx(graph)
        if people == opts.error_size and opts.error_ks:
            results["betweenness_error"] = error_study(graph, people, opts)
        results["sizes"][str(people)] = entry
        del graph
    ten = results["sizes"].get("10000")
    if ten:
        total = ten["all_measures_s"]
        results["target"] = {
            "target": f"full default measure set on 10k people in under {TARGET_S:.0f} s (sampled betweenness)",
            "measures_s": total, "lower_bound_s": ten["all_measures_lower_bound_s"],
            "with_build_s": round(total + ten["build_network_s"], 2) if total is not None else None,
            "met": total is not None and total < TARGET_S}
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "network.json").write_text(json.dumps(results, indent=2))
    print()
    print(tables(results))
    print(f"written {RESULTS / 'network.json'}")


def _cpu() -> str:
    try:
        return next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name")), "")
    except OSError:
        return ""


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def tables(results: dict) -> str:
    sizes = results["sizes"]
    lines = ["people   quads      nodes    edges   mean/median/max degree   build s   (queries s, networkx s)"]
    for people, e in sizes.items():
        g = e["graph"]
        lines.append(f"{people:>7} {e['quads']:>8} {g['nodes']:>8} {g['edges']:>8}   "
                     f"{g['mean_degree']:>6}/{g['median_degree']}/{g['top5_degrees'][0] if g['top5_degrees'] else 0:<8}"
                     f"{e['build_network_s']:>12.2f}   ({sum(e['build_queries_s'].values()):.2f}, "
                     f"{e['build_networkx_s']:.2f})")
    lines.append("")
    header = f"{'measure':16}" + "".join(f"{p + ' people':>20}" for p in sizes)
    lines += [header, "-" * len(header)]
    for measure in network.MEASURES:
        cells = []
        for e in sizes.values():
            m = e["measures"][measure]
            if m["seconds"] is not None:
                cell = f"{m['seconds']:.2f} s" + (f" (k={m['k']})" if m.get("k") else
                                                  " (exact)" if measure == "betweenness" else "")
            elif m.get("skipped"):
                cell = f"skipped (~{m['estimate_s']:.0f} s)"
            else:
                cell = f"> {m['stopped_after_s']:.0f} s"
            cells.append(f"{cell:>20}")
        lines.append(f"{measure:16}" + "".join(cells))
    totals = [f"{_s(e['all_measures_s'])} s" if e["all_measures_s"] is not None
              else f">= {_s(e['all_measures_lower_bound_s'])} s" for e in sizes.values()]
    lines.append(f"{'all measures':16}" + "".join(f"{t:>20}" for t in totals))
    study = results.get("betweenness_error")
    if study:
        lines += ["", f"betweenness sampling error on {study['people']} people (exact: "
                      f"{'cached' if study['exact']['cached'] else 'computed'}, "
                      f"{study['exact']['seconds_when_computed']} s on {study['exact']['processes']} processes)",
                  f"{'k':>5} {'time s':>8} {'mean abs err':>13} {'max err':>10} {'Spearman top100':>16} "
                  f"{'top100 overlap':>15}"]
        for k, row in study["by_k"].items():
            if row["seconds"] is None:
                lines.append(f"{k:>5} stopped after {row['stopped_after_s']:.0f} s")
                continue
            lines.append(f"{k:>5} {row['seconds']:>8.2f} {row['mean_abs_error']:>13.2e} {row['max_abs_error']:>10.2e} "
                         f"{row['spearman_top100']:>16.3f} {row['top100_overlap']:>15.2f}")
    target = results.get("target")
    if target:
        lines += ["", f"target {target['target']}: {'met' if target['met'] else 'NOT met'} "
                      f"(measures {_s(target['measures_s'])} s, lower bound {target['lower_bound_s']} s; "
                      f"with the network build {_s(target['with_build_s'])} s)"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
