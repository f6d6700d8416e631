"""Seams' Python import graph against grimp alone: speed (cold, warm) and agreement of edges.

Usage:
    python bench/import_graph.py --repo /tmp/django-5.2.19:django --repo /work/bench-repos/saleor:saleor

Each ``--repo`` is ``PATH:PACKAGE`` (PATH is put on a child process's ``sys.path`` for grimp
alone; Seams never needs that). For each: grimp's ``build_graph`` time (``cache_dir=None``,
each run in a fresh process), Seams' ``mine_imports`` cold (each run with an empty parse
cache) and warm (the same cache again), each the median of ``--runs`` runs; whether every
module edge of grimp's graph is in Seams' ``imports`` frame and vice versa, the dynamic
edges found (with a sample), and the unresolved imports by class. Both sides are timed
around the build call only (interpreter start and imports excluded on both), wall clock;
the 1-minute load average before and after is printed because a busy machine skews the
ratio. Prints a table, then one JSON object as the last line. Never writes into the
analysed repositories.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRIMP_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import grimp
t = time.perf_counter()
g = grimp.build_graph(sys.argv[2], cache_dir=None)
took = time.perf_counter() - t
pairs = sorted([i, m] for i in g.modules for m in g.find_modules_directly_imported_by(i))
print(json.dumps({"seconds": took, "modules": len(g.modules), "pairs": pairs}))
"""


def grimp_alone(path: str, package: str) -> dict:
    out = subprocess.run([sys.executable, "-c", GRIMP_CHILD, path, package], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def seams(path: str, package: str, cache_dir: Path) -> tuple[float, object]:
    from analysis.core.config import ImportsSource
    from analysis.core.rejects import Rejects
    from analysis.sources.imports import mine_imports

    t = time.perf_counter()
    result = mine_imports(ImportsSource(Path(path), (package,)), Rejects(), cache_dir=cache_dir)
    return time.perf_counter() - t, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", required=True, help="PATH:PACKAGE")
    parser.add_argument("--sample", type=int, default=8, help="dynamic edges shown per repository")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is reported)")
    args = parser.parse_args(argv)
    runs = max(args.runs, 1)
    figures = {}
    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f}")
    for spec in args.repo:
        path, _, package = spec.rpartition(":")
        grimp_runs = [grimp_alone(path, package) for _ in range(runs)]
        g = grimp_runs[0]
        g["seconds"] = statistics.median(r["seconds"] for r in grimp_runs)
        colds, warms = [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="seams-bench-") as tmp:
                took, result = seams(path, package, Path(tmp))
                colds.append(took)
        with tempfile.TemporaryDirectory(prefix="seams-bench-") as tmp:
            seams(path, package, Path(tmp))
            warms = [seams(path, package, Path(tmp))[0] for _ in range(runs)]
        cold, warm = statistics.median(colds), statistics.median(warms)
        imports = result.frames["imports"]
        static = imports[imports["kind"] != "dynamic"]
        ours = set(zip(static["importer"], static["imported"]))
        theirs = {tuple(p) for p in g["pairs"]}
        dynamic = imports[imports["kind"] == "dynamic"]
        unresolved = result.frames["unresolved_imports"]["classification"].value_counts().to_dict()
        figures[package] = {
            "files": result.records_read, "grimp_s": round(g["seconds"], 3), "seams_cold_s": round(cold, 3),
            "seams_warm_s": round(warm, 3), "cold_ratio": round(cold / g["seconds"], 2),
            "grimp_edges": len(theirs), "seams_edges": len(ours), "lost": len(theirs - ours), "extra": len(ours - theirs),
            "dynamic_edges": len(dynamic), "unresolved": {k: int(v) for k, v in unresolved.items()},
        }
        print(f"\n{package} ({path})")
        for key, value in figures[package].items():
            print(f"  {key:<14} {value}")
        for row in dynamic.head(args.sample).itertuples():
            print(f"  dynamic  {row.importer_path}:{row.line}  {row.importer} -> {row.imported}")
        for pair in sorted(theirs - ours)[:5]:
            print(f"  LOST     {pair[0]} -> {pair[1]}")
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
