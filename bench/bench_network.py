"""Benchmark the who-met-whom network at scale: 10k and 100k people, and 1M merged events.

  python bench/bench_network.py [--sizes 10000 100000] [--events 1000000] [--error-size 10000]

What is timed, per size, is what a user runs: ``eurasia-kg network measures`` with its defaults, that is
``network.build_network`` (every query of queries/network/, through ``network.store_select``, with the
default options) followed by ``network.compute_measures`` on the default measure set, with the default
sampling (exact up to ``measures.EXACT_LIMIT`` nodes, sampled above). Generating the data and loading
the store are reported but not counted.

  * people: bench/synthetic.py's network (the article's vocabulary) in an in-memory pyoxigraph store;
  * events: bench/synthetic.py's event data (ICEWS-like, in the event-data vocabulary of
    queries/mappings/) merged as a source graph beside a small curated graph, with an alignment
    graph linking some actors to our people; the "consulted" links (CAMEO 04x) are built from it;
  * error: on the --error-size network, the sampled betweenness and closeness (the defaults used above
    EXACT_LIMIT, forced here with the same k) against igraph's exact values, which equal networkx's to 1e-9
    (tests/test_network_measures.py): mean and largest absolute and relative error, Spearman's rank
    correlation over the exact top 100 and the overlap of the two top-100 sets.
Writes bench/results/network.json and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import networkx as nx  # noqa: E402

import synthetic  # noqa: E402
from eurasia_kg import network  # noqa: E402
from eurasia_kg.network import measures as M  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGETS = {"10000": 10.0, "100000": 120.0}


def timed_build(store) -> tuple[network.Network, dict]:
    queries = network.load_queries(ROOT / "queries" / "network")
    select = network.store_select(store)
    names = {text.split("\n")[0]: name for name, text in queries.items()}  # each query's "# title:" line
    per_query: dict[str, float] = {}

    def timed_select(query: str):
        began = time.perf_counter()
        rows = select(query)
        name = names.get(query.split("\n")[0], "graph-names")
        per_query[name] = per_query.get(name, 0.0) + time.perf_counter() - began
        return rows

    started = time.perf_counter()
    built = network.build_network(timed_select, queries, network.Options())
    total = time.perf_counter() - started
    return built, {"build_s": round(total, 3), "sparql_s": round(sum(per_query.values()), 3),
                   "python_s": round(total - sum(per_query.values()), 3),
                   "queries_s": {k: round(v, 3) for k, v in sorted(per_query.items(), key=lambda x: -x[1])}}


def timed_measures(graph: nx.Graph) -> dict:
    per_measure = {}
    started = time.perf_counter()
    ig = M.Indexed.of(graph)
    convert = time.perf_counter() - started
    sampling = M.sampling_for(graph)
    for measure in network.MEASURES:
        began = time.perf_counter()
        M.compute_measures(graph, [measure]) if measure in ("degree", "weighted_degree") else {
            "betweenness": lambda: M.betweenness(ig, sampling.betweenness_k),
            "closeness": lambda: M.closeness(ig, sampling.closeness_k),
            "eigenvector": lambda: M.eigenvector_by_component(ig),
            "pagerank": lambda: M.pagerank(ig),
            "core_number": lambda: M.core_number(ig),
            "community": lambda: M.communities(ig),
        }[measure]()
        per_measure[measure] = round(time.perf_counter() - began, 3)
    # the figure that counts: compute_measures as users call it (conversion included), in one go
    began = time.perf_counter()
    network.compute_measures(graph)
    whole = time.perf_counter() - began
    return {"measures_s": round(whole, 3), "igraph_conversion_s": round(convert, 3), "per_measure_s": per_measure,
            "betweenness_k": sampling.betweenness_k, "closeness_k": sampling.closeness_k}


def graph_stats(graph: nx.Graph) -> dict:
    degrees = sorted((d for _, d in graph.degree()), reverse=True)
    components = [len(c) for c in nx.connected_components(graph)]
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
            "mean_degree": round(2 * graph.number_of_edges() / max(1, graph.number_of_nodes()), 2),
            "max_degree": degrees[0] if degrees else 0, "components": len(components),
            "largest_component": max(components, default=0)}


def load(lines) -> tuple[object, dict]:
    started = time.perf_counter()
    data = "".join(lines).encode()
    generated = time.perf_counter() - started
    started = time.perf_counter()
    store = synthetic.ox.Store()
    store.bulk_load(data, format=synthetic.ox.RdfFormat.N_QUADS)
    return store, {"quads": data.count(b"\n"), "generate_s": round(generated, 2),
                   "load_store_s": round(time.perf_counter() - started, 2)}


def run_people(people: int, seed: int) -> tuple[dict, nx.Graph]:
    store, entry = load(synthetic.nquads(people, seed))
    built, build = timed_build(store)
    del store
    entry.update(build)
    entry["graph"] = graph_stats(built.graph)
    entry.update(timed_measures(built.graph))
    entry["total_s"] = round(entry["build_s"] + entry["measures_s"], 3)
    print(f"== {people:,} people ({entry['quads']:,} quads): build {entry['build_s']} s "
          f"(SPARQL {entry['sparql_s']} s), measures {entry['measures_s']} s, total {entry['total_s']} s; "
          f"{entry['graph']['nodes']:,} nodes, {entry['graph']['edges']:,} edges", flush=True)
    print(f"   per measure: {entry['per_measure_s']}", flush=True)
    return entry, built.graph


def run_events(events: int, seed: int) -> dict:
    store, entry = load(synthetic.event_data_nquads(events, seed))
    built, build = timed_build(store)
    del store
    entry.update(build)
    entry["events"] = events
    entry["consulted_events"] = sum(1 for e in built.events.values() if e.get("code"))
    entry["graph"] = graph_stats(built.graph)
    entry.update(timed_measures(built.graph))
    entry["total_s"] = round(entry["build_s"] + entry["measures_s"], 3)
    print(f"== {events:,} merged events ({entry['consulted_events']:,} of CAMEO 04x): build {entry['build_s']} s "
          f"(SPARQL {entry['sparql_s']} s), measures {entry['measures_s']} s, total {entry['total_s']} s; "
          f"{entry['graph']['nodes']:,} nodes, {entry['graph']['edges']:,} edges", flush=True)
    return entry


def _errors(exact: dict, sampled: dict, top: int = 100) -> dict:
    from scipy.stats import spearmanr

    nodes = list(exact)
    absolute = [abs(exact[n] - sampled[n]) for n in nodes]
    relative = [abs(exact[n] - sampled[n]) / exact[n] for n in nodes if exact[n] > 0]
    best = sorted(nodes, key=lambda n: -exact[n])[:top]
    best_sampled = set(sorted(nodes, key=lambda n: -sampled[n])[:top])
    return {"mean_abs_error": statistics.fmean(absolute), "max_abs_error": max(absolute),
            "mean_rel_error": statistics.fmean(relative) if relative else 0.0,
            "max_exact_value": max(exact.values()), "mean_exact_value": statistics.fmean(exact.values()),
            f"spearman_top{top}": float(spearmanr([exact[n] for n in best], [sampled[n] for n in best]).statistic),
            f"top{top}_overlap": len(best_sampled & set(best)) / top}


def error_study(graph: nx.Graph) -> dict:
    ig = M.Indexed.of(graph)
    study = {"nodes": graph.number_of_nodes()}
    for measure, exact_fn, sampled_fn, k in (
            ("betweenness", lambda: M.betweenness(ig), lambda: M.betweenness(ig, M.BETWEENNESS_K), M.BETWEENNESS_K),
            ("closeness", lambda: M.closeness(ig), lambda: M.closeness(ig, M.CLOSENESS_K), M.CLOSENESS_K)):
        began = time.perf_counter()
        exact = exact_fn()
        exact_s = time.perf_counter() - began
        began = time.perf_counter()
        sampled = sampled_fn()
        sampled_s = time.perf_counter() - began
        study[measure] = {"k": k, "exact_s": round(exact_s, 2), "sampled_s": round(sampled_s, 2),
                          **_errors(exact, sampled)}
        print(f"   {measure}: k={k}, exact {exact_s:.1f} s, sampled {sampled_s:.2f} s, "
              f"mean abs error {study[measure]['mean_abs_error']:.2e} (mean value "
              f"{study[measure]['mean_exact_value']:.2e}), mean relative error {study[measure]['mean_rel_error']:.3f}, "
              f"Spearman top-100 {study[measure]['spearman_top100']:.3f}, "
              f"top-100 overlap {study[measure]['top100_overlap']:.2f}", flush=True)
    return study


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--sizes", type=int, nargs="*", default=[10000, 100000])
    args.add_argument("--events", type=int, nargs="*", default=[1000000])
    args.add_argument("--error-size", type=int, default=10000)
    args.add_argument("--seed", type=int, default=7)
    args.add_argument("--output", type=Path, default=RESULTS / "network.json")
    opts = args.parse_args()
    import igraph

    results: dict = {"machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                                 "networkx": nx.__version__, "igraph": igraph.__version__,
                                 "pyoxigraph": synthetic.ox.__version__, "loadavg_at_start": os.getloadavg()},
                     "generator": {"seed": opts.seed, "version": synthetic.VERSION},
                     "exact_limit": M.EXACT_LIMIT, "sizes": {}, "events": {}}
    if os.getloadavg()[0] > 1.0:
        print(f"warning: load average {os.getloadavg()[0]:.2f} at the start: other work on this machine will "
              "show in the figures", flush=True)
    for people in opts.sizes:
        entry, graph = run_people(people, opts.seed)
        results["sizes"][str(people)] = entry
        if people == opts.error_size:
            print(f"== sampling error on the {people:,}-people network", flush=True)
            results["error"] = error_study(graph)
        del graph
    for events in opts.events:
        results["events"][str(events)] = run_events(events, opts.seed)
    results["targets"] = {size: {"target_s": target, "total_s": results["sizes"][size]["total_s"],
                                 "met": results["sizes"][size]["total_s"] < target}
                          for size, target in TARGETS.items() if size in results["sizes"]}
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    opts.output.parent.mkdir(exist_ok=True)
    opts.output.write_text(json.dumps(results, indent=1))
    print(f"wrote {opts.output.relative_to(ROOT) if opts.output.is_relative_to(ROOT) else opts.output}")


if __name__ == "__main__":
    main()
