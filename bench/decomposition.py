"""Context discovery and inferred decomposition against a ground truth: MoJoFM, coverage,
metrics, time and peak memory.

Usage:
    python bench/decomposition.py --target sample:/work/main/data/sample \\
        --target saleor:/work/bench-repos/saleor --target netbox:/work/bench-repos/netbox

Each ``--target`` is ``NAME:PATH``: a sample folder (holding ``seams.yml`` and ``repo/``: the
planted contexts of its config are the truth) or a repository (a Django project: its local
``INSTALLED_APPS`` are the truth, each app's folder with, in the *folded* truth, the folder its
API layer keeps for it — ``<pkg>/graphql/<app>/``, ``<pkg>/api/<app>/``, ``<pkg>/templates/<app>/``
— and in the *unfolded* truth the layer as the app it is installed as). Other repositories (a
Java monolith) give ``--truth modules`` : the build's modules (a folder holding ``build.gradle``
or ``pom.xml`` with a ``src/main``), whose files are the module's.

Steps, each in a fresh child process (its wall time around the step only, and its peak resident
memory, ``ru_maxrss``; the entry point inventory of ``init`` runs in a forked child whose memory
is not counted):

- ``init``: ``analysis.discovery.propose.propose`` on the repository (also the child's CPU seconds,
  git and the forked inventory included, start-up and imports too: a figure a busy machine does
  not stretch); MoJoFM of the proposal
  against the truth over the source files both place, coverage of files at HEAD and of
  historical changes; the proposal is written (outside the repository) for the next step;
- ``infer``: the sources of that config mined (cached under ``--cache``, not timed), then
  ``measure_decomposition`` timed: units, edges, signals, each partition's metrics, MoJoFM of the
  declared map and of every candidate against the truth (over the modules both place).

Prints a table per target, then one JSON object as the last line. Never writes into the analysed
repositories.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
SOURCE_SUFFIXES = (".py", ".java", ".kt", ".rb", ".go", ".ts", ".tsx", ".js")
LAYER_FOLDERS = ("graphql", "api", "templates")


# ---- ground truths ---------------------------------------------------------------------------

def django_truth(repo: Path, files: list[str], *, fold: bool) -> dict[str, str]:
    """path -> app for the files of the local apps ``INSTALLED_APPS`` names (see the docstring)."""
    from analysis.sources.django_project import installed_apps

    folders = {f.rsplit("/", 1)[0] for f in files if "/" in f}
    apps: dict[str, str] = {}
    for path in files:
        if path.endswith(".py") and "settings" in path and "/tests/" not in path:
            try:
                tree = ast.parse((repo / path).read_text(encoding="utf-8", errors="replace"))
            except (SyntaxError, ValueError, OSError):
                continue
            for dotted in installed_apps(tree):
                for base in ("", *sorted({str(PurePosixPath(f).parent) + "/" for f in files if f.endswith("manage.py") and "/" in f})):
                    folder = base + dotted.replace(".", "/")
                    if folder in folders:
                        apps[folder] = folder.rsplit("/", 1)[-1]
    rules = dict(apps)
    if fold:
        names = set(apps.values())
        for folder in list(apps):
            for layer in LAYER_FOLDERS:
                parent = str(PurePosixPath(folder).parent)
                for name in names:
                    candidate = f"{parent}/{layer}/{name}"
                    if candidate in folders and candidate not in apps:
                        rules[candidate] = name
    ordered = sorted(rules, key=len, reverse=True)
    out = {}
    for path in files:
        for folder in ordered:
            if path.startswith(folder + "/"):
                out[path] = rules[folder]
                break
    return out


def config_truth(config_path: Path, files: list[str]) -> dict[str, str]:
    """path -> context by the globs of a config (the sample's planted contexts)."""
    from analysis.core.config import load_config
    from analysis.mapping.contexts import ContextMap

    cmap = ContextMap(load_config(config_path).contexts)
    return {f: c for f in files if (c := cmap.context_of_path(f)) is not None}


def module_truth(files: list[str], every_file: list[str]) -> dict[str, str]:
    """path -> build module (a folder with build.gradle/pom.xml whose files lie under src/main)."""
    roots = sorted({str(PurePosixPath(f).parent) for f in every_file
                    if PurePosixPath(f).name in ("build.gradle", "build.gradle.kts", "pom.xml") and "/" in f}, key=len, reverse=True)
    out = {}
    for path in files:
        if "/src/main/" not in path:
            continue
        for root in roots:
            if path.startswith(root + "/"):
                out[path] = root.rsplit("/", 1)[-1]
                break
    return out


def truths(kind: str, target: Path, repo: Path, files: list[str]) -> dict[str, dict[str, str]]:
    if kind == "sample":
        return {"planted": config_truth(target / "seams.yml", files)}
    if kind == "modules":
        return {"build modules": module_truth(files, _head(repo))}
    return {"apps, layers folded": django_truth(repo, files, fold=True), "apps as installed": django_truth(repo, files, fold=False)}


# ---- the two steps (run in a child) ---------------------------------------------------------

def step_init(target: Path, repo: Path, kind: str, out: Path) -> dict:
    from analysis.discovery.propose import propose
    from analysis.discovery.writer import config_text
    from analysis.mapping.contexts import ContextMap
    from analysis.measures.decomposition.mojo import mojofm

    t = time.perf_counter()
    p = propose(repo)
    seconds = time.perf_counter() - t
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(config_text(p, out.parent), encoding="utf-8")
    files = [f for f in _head(repo) if f.endswith(SOURCE_SUFFIXES)]
    cmap = ContextMap(p.specs())
    proposed = {f: c for f in files if (c := cmap.context_of_path(f)) is not None}
    scores = {}
    for name, truth in truths(kind, target, repo, files).items():
        both = [f for f in truth if f in proposed]
        scores[name] = {"mojofm": mojofm(proposed, truth), "units_compared": len(both), "truth_units": len(truth),
                        "truth_parts": len(set(truth.values()))}
    return {"seconds": round(seconds, 2), "steps": {k: round(v, 2) for k, v in p.seconds.items()}, "contexts": len(p.candidates),
            "conventions": p.conventions, "layers": [layer.folder for layer in p.layers], "old_names": len(p.old_names),
            "shared": [c.name for c in p.candidates if c.role == "shared"],
            "head_coverage": p.coverage.head_share, "history_coverage": p.coverage.history_share,
            "source_files": len(files), "vs_truth": scores,
            "unassigned_head": p.coverage.unassigned_head.head(5).to_dict("records"),
            "unassigned_history": p.coverage.unassigned_history.head(5).to_dict("records")}


def step_infer(target: Path, repo: Path, kind: str, config_path: Path, cache: Path) -> dict:
    from analysis import pipeline
    from analysis.core.config import load_config
    from analysis.core.frames import Mined
    from analysis.mapping.units import map_units
    from analysis.measures.decomposition import DECLARED, candidate_paths, measure_decomposition
    from analysis.measures.decomposition.mojo import mojofm

    os.environ["SEAMS_CACHE_DIR"] = str(cache)
    config = load_config(config_path)
    t = time.perf_counter()
    mined, _ = pipeline.mine(config, only=None if kind == "sample" else ("git", "imports", "code_imports", "orm"))
    mine_seconds = time.perf_counter() - t
    frames = Mined.of(mined)
    units = map_units(config, frames)
    t = time.perf_counter()
    d = measure_decomposition(config, frames, units)
    seconds = time.perf_counter() - t
    files = [f for f in _head(repo) if f.endswith(SOURCE_SUFFIXES)]
    by_truth = {}
    for name, truth in truths(kind, target, repo, files).items():
        by_truth[name] = {p: mojofm(candidate_paths(d, p), truth) for p in [DECLARED, *d.candidates]}
    return {"seconds": round(seconds, 2), "mine_seconds": round(mine_seconds, 1), "units": len(d.graph.units), "edges": len(d.graph.edges),
            "signals": d.graph.signals, "status": d.status.describe(), "better": d.better,
            "metrics": json.loads(d.metrics.to_json(orient="records")), "mojofm_vs_truth": by_truth,
            "pulled": len(d.pulled), "looks_like_two": d.looks_like_two["context"].tolist(),
            "looks_like_one": d.looks_like_one[["context_a", "context_b"]].values.tolist()}


def _head(repo: Path) -> list[str]:
    from analysis.sources.git.head import head_paths

    return head_paths(repo)


def child(args: argparse.Namespace) -> int:
    target, kind = Path(args.path), args.kind
    repo = target / "repo" if kind == "sample" else target
    if args.child == "init":
        result = step_init(target, repo, kind, Path(args.config))
    else:
        result = step_infer(target, repo, kind, Path(args.config), Path(args.cache))
    result["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # CPU seconds of the whole step (this process, git and the forked inventory): what a busy machine does not stretch
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_s_process"] = round(own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 1)
    print(json.dumps(result, default=str))
    return 0


def run_child(step: str, name: str, path: str, kind: str, config: Path, cache: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", step, "--path", path, "--kind", kind, "--config", str(config), "--cache", str(cache), "--name", name]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _f(value, digits: int = 2) -> str:
    return "–" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", default=[], help="NAME:PATH (a sample folder or a repository)")
    parser.add_argument("--truth", action="append", default=[], help="NAME:KIND to override the truth (sample, django, modules)")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "seams-bench-decomposition"), help="mining cache")
    parser.add_argument("--skip-infer", action="append", default=[], help="NAME: run init only")
    parser.add_argument("--child", choices=("init", "infer"))
    parser.add_argument("--path")
    parser.add_argument("--kind")
    parser.add_argument("--config")
    parser.add_argument("--name")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    kinds = dict(t.split(":", 1) for t in args.truth)
    cache = Path(args.cache)
    figures: dict = {"load_average_before": os.getloadavg()[0]}
    print(f"1-minute load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores): a busy machine stretches every time below")
    for spec in args.target:
        name, path = spec.split(":", 1)
        kind = kinds.get(name) or ("sample" if (Path(path) / "seams.yml").exists() and (Path(path) / "repo").is_dir() else "django")
        proposed = cache / name / "seams.yml"
        init = run_child("init", name, path, kind, proposed, cache)
        infer_config = Path(path) / "seams.yml" if kind == "sample" else proposed
        infer = {"skipped": True} if name in args.skip_infer or "error" in init else run_child("infer", name, path, kind, infer_config, cache)
        figures[name] = {"truth": kind, "init": init, "infer": infer}
        print(f"\n== {name} ({path}; truth: {kind}) ==")
        if "error" in init:
            print(f"init failed: {init['error']}")
            continue
        print(f"init: {init['contexts']} contexts ({', '.join(init['conventions'])}), {_f(init['seconds'])} s "
              f"(the child's CPU, imports included: {init.get('cpu_s_process')} s), peak {init['peak_mib']} MiB; "
              f"layers {init['layers']}, {init['old_names']} old names, shared {init['shared']}")
        print(f"  coverage: files at HEAD {_f(init['head_coverage'], 3)}, historical changes {_f(init['history_coverage'], 3)}")
        for truth, s in init["vs_truth"].items():
            print(f"  MoJoFM vs {truth}: {_f(s['mojofm'], 1)} ({s['units_compared']} of {s['truth_units']} truth files, {s['truth_parts']} parts)")
        if "error" in infer:
            print(f"infer failed: {infer['error']}")
        elif not infer.get("skipped"):
            print(f"infer: {infer['units']} units, {infer['edges']} edges {infer['signals']}, {_f(infer['seconds'])} s "
                  f"(mining {infer['mine_seconds']} s, not timed), peak {infer['peak_mib']} MiB")
            cols = ["partition", "parts", "modularity", "sm", "icp", "ifn", "ned", "mq", "bcp", "transactions_spanning", "traces_spanning"]
            print("  " + " | ".join(cols) + " | " + " | ".join(f"MoJoFM vs {t}" for t in infer["mojofm_vs_truth"]))
            for row in infer["metrics"]:
                vs = [_f(infer["mojofm_vs_truth"][t].get(row["partition"]), 1) for t in infer["mojofm_vs_truth"]]
                print("  " + " | ".join(_f(row.get(c), 3) if c not in ("partition", "parts") else str(row.get(c)) for c in cols) + " | " + " | ".join(vs))
            print(f"  better partition: {infer['better'].get('exists')} ({infer['better'].get('candidate')}); pulled units {infer['pulled']}; "
                  f"look like two {infer['looks_like_two']}; look like one {infer['looks_like_one']}")
    figures["load_average_after"] = os.getloadavg()[0]
    print(f"\n1-minute load average after: {os.getloadavg()[0]:.1f}")
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
