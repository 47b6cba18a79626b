"""Benchmark the build against the bare tools it wraps, side by side in one run.

  python bench/bench_build.py [--repeat N]

Measures, on the same input files:
  * bare owlrl: parse ontology/ and graphs/ into one graph and compute the OWL 2 RL closure;
  * bare pySHACL: parse the same data and shapes/ and validate (pySHACL's defaults);
  * the full `eurasia-kg build` (parse, checks, calendar, validation, reasoning, dumps, VoID, pyLODE);
  * the no-op rebuild (nothing changed).
Each is timed as a fresh process, the way a user runs it, so imports count on both sides.
Targets: full build <= bare owlrl + bare pySHACL; no-op rebuild >= 10x faster than that sum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import owlrl
import pyshacl
from rdflib import Graph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from eurasia_kg import loader  # noqa: E402
from eurasia_kg.build import build  # noqa: E402
from eurasia_kg.config import Settings  # noqa: E402


def _parse(dirs: list[Path]) -> Graph:
    graph = Graph()
    for directory in dirs:
        for path in loader.rdf_files(directory):
            graph.parse(path)
    return graph


def bare_owlrl() -> None:
    graph = _parse([ROOT / "ontology", ROOT / "graphs"])
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)


def bare_pyshacl() -> None:
    data = _parse([ROOT / "ontology", ROOT / "graphs"])
    shapes = _parse([ROOT / "shapes"])
    pyshacl.validate(data, shacl_graph=shapes)


def timed(command: list[str], repeat: int) -> float:
    """Median wall time of a fresh process, as a user runs it (imports included)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _python(function: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                                  f"import bench_build; bench_build.{function}()"]


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "eurasia_kg.cli", "build", "--root", str(ROOT), "--dist", str(Path(tmp) / "dist")]
        results = {
            "bare_owlrl_s": timed(_python("bare_owlrl"), opts.repeat),
            "bare_pyshacl_s": timed(_python("bare_pyshacl"), opts.repeat),
            "full_build_s": timed(cli + ["--force"], opts.repeat),
            "noop_rebuild_s": timed(cli, opts.repeat),
        }
        settings = Settings(root=ROOT, dist=Path(tmp) / "dist")
        start = time.perf_counter()
        build(settings)
        results["noop_rebuild_in_process_s"] = time.perf_counter() - start
    bare = results["bare_owlrl_s"] + results["bare_pyshacl_s"]
    results["bare_tools_sum_s"] = bare
    results["full_build_over_bare_sum"] = results["full_build_s"] / bare
    results["bare_sum_over_noop"] = bare / results["noop_rebuild_s"]
    for key, value in results.items():
        print(f"{key:28} {value:8.3f}")
    print(f"target full build <= bare sum: {'met' if results['full_build_over_bare_sum'] <= 1 else 'NOT met'}")
    print(f"target no-op >= 10x faster:    {'met' if results['bare_sum_over_noop'] >= 10 else 'NOT met'}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "build.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
