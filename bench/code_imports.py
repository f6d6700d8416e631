"""Benchmark Seams' tree-sitter import graphs on real repositories, one per language family.

    .venv/bin/python bench/code_imports.py REPO [REPO ...] [--languages java,kotlin]

For each repository: a cold run (empty parse cache: every file parsed) and a warm re-run
(every file's facts read from the cache; resolution redone), then a run after one file
changed. Prints, per repository and language, the files parsed, the edges between files
of the repository, the imports that land outside it (stdlib, third party, unresolved),
the unresolved share (unresolved / (edges + imports outside): the part of the graph
Seams could not place), the times and files per second. The last line is one JSON
object with every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.core.config import ImportsSource  # noqa: E402
from analysis.core.rejects import Rejects  # noqa: E402
from analysis.sources.code_imports import mine_code_imports  # noqa: E402
from analysis.sources.code_imports.files import language_of  # noqa: E402


def timed_run(source: ImportsSource, cache_dir: Path):
    rejects = Rejects()
    start = time.perf_counter()
    result = mine_code_imports(source, rejects, cache_dir=cache_dir)
    return result, rejects, time.perf_counter() - start


def bench_repository(repository: Path, languages: tuple[str, ...], workdir: Path) -> dict:
    source = ImportsSource(repository, languages=languages)
    cache = workdir / f"cache-{repository.name}"
    shutil.rmtree(cache, ignore_errors=True)
    cold, rejects, cold_s = timed_run(source, cache)
    warm, _, warm_s = timed_run(source, cache)
    assert warm.frames["imports"].equals(cold.frames["imports"]), "warm run differs from cold run"
    # one file changed: its cache entry is dropped (the repository is never written)
    packed = next(iter(sorted(cache.rglob("facts.json"))), None)
    if packed is not None:
        data = json.loads(packed.read_text())
        path, entry = sorted(data["files"].items())[0]
        del data["files"][path]
        data["facts"].pop(entry[2], None)
        packed.write_text(json.dumps(data))
    _, _, one_changed_s = timed_run(source, cache)

    imports, outside = cold.frames["imports"], cold.frames["unresolved_imports"]
    per_language = {}
    edges_by_language = Counter(language_of(path) for path in imports["importer_path"])
    for language in sorted(set(outside["language"]) | set(edges_by_language)):
        rows = outside[outside["language"] == language]
        counts = Counter(rows["classification"])
        edges = edges_by_language[language]
        total = edges + len(rows)
        per_language[language] = {
            "edges": edges, "stdlib": counts["stdlib"], "third_party": counts["third_party"],
            "unresolved": counts["unresolved"],
            "unresolved_share": round(counts["unresolved"] / total, 4) if total else 0.0,
        }
    files = cold.records_read
    syntax_errors = sum(1 for r in rejects.records if r.reason.startswith("syntax error"))
    return {
        "repository": str(repository), "files": files, "edges": len(imports),
        "outside": len(outside), "unresolved": int((outside["classification"] == "unresolved").sum()),
        "unresolved_share": round(int((outside["classification"] == "unresolved").sum()) / max(len(imports) + len(outside), 1), 4),
        "syntax_errors": syntax_errors, "rejects": rejects.count(),
        "cold_s": round(cold_s, 3), "warm_s": round(warm_s, 3), "one_changed_s": round(one_changed_s, 3),
        "files_per_s_cold": round(files / cold_s, 1), "files_per_s_warm": round(files / warm_s, 1),
        "languages": per_language, "notes": cold.notes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repositories", nargs="+", type=Path)
    parser.add_argument("--languages", default="", help="comma-separated; default: every supported language found")
    parser.add_argument("--workdir", type=Path, default=None, help="where the parse caches go (default: a temporary folder)")
    args = parser.parse_args(argv)
    languages = tuple(x for x in args.languages.split(",") if x)
    results = []
    with tempfile.TemporaryDirectory(prefix="seams-bench-code-imports-") as tmp:
        workdir = args.workdir or Path(tmp)
        for repository in args.repositories:
            results.append(bench_repository(repository, languages, workdir))

    print(f"{'repository':<18} {'language':<11} {'files':>6} {'edges':>7} {'stdlib':>7} {'3rd':>7} {'unres':>6} "
          f"{'unres%':>7} {'cold s':>7} {'warm s':>7} {'1chg s':>7} {'files/s':>8}")
    for r in results:
        name = Path(r["repository"]).name
        for language, f in r["languages"].items():
            print(f"{name:<18} {language:<11} {'':>6} {f['edges']:>7} {f['stdlib']:>7} {f['third_party']:>7} "
                  f"{f['unresolved']:>6} {100 * f['unresolved_share']:>6.1f}%")
        print(f"{name:<18} {'(all)':<11} {r['files']:>6} {r['edges']:>7} {'':>7} {'':>7} {r['unresolved']:>6} "
              f"{100 * r['unresolved_share']:>6.1f}% {r['cold_s']:>7.2f} {r['warm_s']:>7.2f} {r['one_changed_s']:>7.2f} "
              f"{r['files_per_s_cold']:>8.0f}")
        for note in r["notes"]:
            print(f"    {note}")
    print(json.dumps({"code_imports": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
