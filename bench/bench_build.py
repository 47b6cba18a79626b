"""Benchmark the build against the bare tools it wraps, interleaved in one run.

  python bench/bench_build.py [--repeat N] [--output bench/results/build.json]

On the same input files, each round runs, in turn and each as a fresh process (imports count on
both sides, the way a user runs them):
  * bare owlrl: parse ontology/ and graphs/ into one graph and compute the OWL 2 RL closure;
  * bare pySHACL: parse the same data and shapes/ and validate (pySHACL's defaults);
  * the full `eurasia-kg build --force` with its default settings (parse, checks, calendar,
    validation, reasoning with the interpretations kept apart, network measures, dumps, VoID);
  * the no-op rebuild (nothing changed).
Wall time is measured around each process, CPU time (user + system) from the kernel's accounting
of the finished child. The ratios are those of the build to the sum of the two bare tools: per
round, then their geometric mean (rounds interleave, so a burst of load hits both sides).
Targets: full build <= 1.0x the bare sum, in wall time and in CPU; no-op rebuild >= 10x faster.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from eurasia_kg import loader  # noqa: E402


def _parse(dirs: list[Path]):
    from rdflib import Graph

    graph = Graph()
    for directory in dirs:
        for path in loader.rdf_files(directory):
            graph.parse(path)
    return graph


def bare_owlrl() -> None:
    import owlrl

    graph = _parse([ROOT / "ontology", ROOT / "graphs"])
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)


def bare_pyshacl() -> None:
    import pyshacl

    data = _parse([ROOT / "ontology", ROOT / "graphs"])
    shapes = _parse([ROOT / "shapes"])
    pyshacl.validate(data, shacl_graph=shapes)


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _python(function: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                                  f"import bench_build; bench_build.{function}()"]


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _conditions() -> dict:
    versions = {}
    for name in ("rdflib", "owlrl", "pyshacl", "pyoxigraph", "networkx"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--repeat", type=int, default=5, help="interleaved rounds (default 5)")
    args.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "build.json")
    opts = args.parse_args()
    samples: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []}
                                                  for k in ("bare_owlrl", "bare_pyshacl", "full_build", "noop")}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "eurasia_kg.cli", "build", "--root", str(ROOT), "--dist", str(Path(tmp) / "dist")]
        commands = {"bare_owlrl": _python("bare_owlrl"), "bare_pyshacl": _python("bare_pyshacl"),
                    "full_build": cli + ["--force"], "noop": cli}
        for round_number in range(opts.repeat):
            for name, command in commands.items():
                wall, cpu = run(command)
                samples[name]["wall"].append(wall)
                samples[name]["cpu"].append(cpu)
            print(f"round {round_number + 1}/{opts.repeat}: " + ", ".join(
                f"{k} {v['wall'][-1]:.2f}s/{v['cpu'][-1]:.2f}s cpu" for k, v in samples.items()), flush=True)
    load_end = os.getloadavg()

    ratios = {}
    for kind in ("wall", "cpu"):
        per_round = [b / (o + s) for b, o, s in zip(samples["full_build"][kind], samples["bare_owlrl"][kind],
                                                    samples["bare_pyshacl"][kind], strict=True)]
        ratios[kind] = {"per_round": per_round, "geomean": _geomean(per_round),
                        "median_ratio": statistics.median(samples["full_build"][kind]) / (
                            statistics.median(samples["bare_owlrl"][kind])
                            + statistics.median(samples["bare_pyshacl"][kind]))}
    bare_wall = statistics.median(samples["bare_owlrl"]["wall"]) + statistics.median(samples["bare_pyshacl"]["wall"])
    noop_speedup = bare_wall / statistics.median(samples["noop"]["wall"])
    results = {
        "command": " ".join([Path(sys.executable).name, "bench/bench_build.py", "--repeat", str(opts.repeat)]),
        "rounds": opts.repeat,
        "load_average_start": load_start, "load_average_end": load_end,
        "conditions": _conditions(),
        "medians_s": {k: {kind: statistics.median(v[kind]) for kind in ("wall", "cpu")} for k, v in samples.items()},
        "samples_s": samples,
        "full_build_over_bare_sum": ratios,
        "bare_sum_over_noop_wall": noop_speedup,
        "targets": {"full_build_wall_le_1": ratios["wall"]["geomean"] <= 1.0,
                    "full_build_cpu_le_1": ratios["cpu"]["geomean"] <= 1.0,
                    "noop_ge_10x": noop_speedup >= 10},
    }
    print(f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f} (nproc {os.cpu_count()})")
    for name, medians in results["medians_s"].items():
        print(f"  {name:14} wall {medians['wall']:7.3f} s   cpu {medians['cpu']:7.3f} s   (medians)")
    for kind in ("wall", "cpu"):
        r = ratios[kind]
        print(f"full build / (bare owlrl + bare pySHACL), {kind}: geometric mean {r['geomean']:.3f} "
              f"(per round {', '.join(f'{x:.2f}' for x in r['per_round'])}); ratio of medians {r['median_ratio']:.3f}"
              f" -> target <= 1.0 {'met' if r['geomean'] <= 1 else 'NOT met'}")
    print(f"no-op rebuild: {noop_speedup:.1f}x faster than the bare sum -> target >= 10x "
          f"{'met' if noop_speedup >= 10 else 'NOT met'}")
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_text(json.dumps(results, indent=2))
    print(f"wrote {opts.output}")


if __name__ == "__main__":
    main()
