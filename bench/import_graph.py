"""Seams' Python import graph against grimp alone: speed (cold, warm) and agreement of edges.

Usage:
    python bench/import_graph.py --repo /tmp/django-5.2.19:django --repo /work/bench-repos/saleor:saleor

Each ``--repo`` is ``PATH:PACKAGE`` (PATH is put on a child process's ``sys.path`` for grimp
alone; Seams never needs that). For each: grimp's ``build_graph`` time in a fresh process,
Seams' ``mine_imports`` cold (empty parse cache) and warm (same cache), whether every
module edge of grimp's graph is in Seams' ``imports`` frame and vice versa, the dynamic
edges found (with a sample), and the unresolved imports by class. Prints a table, then one
JSON object as the last line. Never writes into the analysed repositories.
"""

from __future__ import annotations

import argparse
import json
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
    from analysis.config import ImportsSource
    from analysis.rejects import Rejects
    from analysis.sources.imports import mine_imports

    t = time.perf_counter()
    result = mine_imports(ImportsSource(Path(path), (package,)), Rejects(), cache_dir=cache_dir)
    return time.perf_counter() - t, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", required=True, help="PATH:PACKAGE")
    parser.add_argument("--sample", type=int, default=8, help="dynamic edges shown per repository")
    args = parser.parse_args(argv)
    figures = {}
    for spec in args.repo:
        path, _, package = spec.rpartition(":")
        g = grimp_alone(path, package)
        with tempfile.TemporaryDirectory(prefix="seams-bench-") as tmp:
            cold, result = seams(path, package, Path(tmp))
            warm, _ = seams(path, package, Path(tmp))
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
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
