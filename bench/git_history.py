"""Benchmark Seams' git history mining and code-maat analyses on a real repository.

    .venv/bin/python bench/git_history.py REPO [--jar code-maat.jar] [--pydriller-sample 150]
                                               [--skip-codemaat-compare] [--workdir DIR] [--repeat 3]

Measures wall time and peak memory (the maximum resident set of the process tree, from
``wait4``) of:

- ``git log --name-only --no-renames`` and ``git log --name-only -M`` (the floor of a names pass)
- ``git log --numstat --no-renames`` (the floor of a churn pass, one process)
- Seams names-only (change frequency and coupling input: ``churn="none"``), with and
  without rename detection
- Seams full churn (the parallel ``--numstat`` pass) and the default recent churn
- Seams incremental cache: fill, then a re-run with no new commits
- PyDriller iterating every modified file of a sample of commits, extrapolated to all
  (said so in the table)
- code-maat 1.0.1's coupling analysis (the standalone jar shipped in the npm package
  ``code-forensics``) on its git2 log, and producing that log

then runs every code-maat analysis with the jar and with :mod:`analysis.measures.codemaat` on the
same git2 log and prints matched/total rows per analysis (rows compared as multisets,
numbers compared as numbers). Seams' measurements run in child processes so that each
has its own peak memory; their wall time includes starting Python and importing Seams,
and ``inner_s`` is the call to :func:`mine_git_history` alone (the ``*_in_process``
ratios use it). The names-only measurements, git's and Seams', run ``--repeat`` times
each, interleaved, and keep the run with the median wall time (``runs_s`` lists them
all). The machine's load average (1, 5 and 15 minutes) is recorded before the first and
after the last names-only run: Seams' names pass uses two cores, ``git log`` one, so the
ratios are only comparable on a quiet machine. The last line is one JSON object with
every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_JAR = Path("/work/bench-tools/node_modules/code-forensics/lib/analysers/code_maat/code-maat-1.0.1-standalone.jar")
ANALYSES_FOR_JAR = ("coupling", "soc", "revisions", "summary", "authors", "entity-churn", "abs-churn",
                    "author-churn", "entity-ownership", "main-dev", "main-dev-by-revs", "refactoring-main-dev",
                    "entity-effort", "fragmentation", "communication", "age")


def measure(cmd: list[str], stdout=subprocess.DEVNULL, cwd=None) -> dict:
    """Run ``cmd``; wall seconds and peak RSS (MiB) of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return {"wall_s": round(wall, 3), "peak_mib": round(usage.ru_maxrss / 1024, 1)}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's wall time in ``runs_s``."""
    chosen = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]
    return {**chosen, "runs_s": [r["wall_s"] for r in runs]}


def seams_child(argv: list[str]) -> dict:
    """Run one Seams measurement in a child process (``--child ...``); its own timing and rusage."""
    with tempfile.TemporaryFile() as out:
        figures = measure([sys.executable, __file__, "--child", *argv], stdout=out)
        out.seek(0)
        inner = json.loads(out.read().decode().strip().splitlines()[-1])
    return {**figures, **inner}


def child(argv: list[str]) -> None:
    from analysis.core.config import GitSource
    from analysis.core.rejects import Rejects
    from analysis.sources.git.miner import mine_git_history

    what, repo = argv[0], Path(argv[1])
    source = GitSource(repo, exclude_authors=())
    kwargs = {"none": dict(churn="none"), "none-norenames": dict(churn="none", follow_renames=False),
              "full": dict(churn="full"), "recent": dict(churn="recent")}.get(what)
    if what == "cache":
        kwargs = dict(cache_dir=argv[2])
    start = time.perf_counter()
    result = mine_git_history(source, Rejects(), **kwargs)
    inner = time.perf_counter() - start
    fc = result.frames["file_changes"]
    print(json.dumps({"inner_s": round(inner, 3), "commits": len(result.frames["commits"]), "file_changes": len(fc),
                      "with_counts": int(fc["added"].notna().sum())}))


def pydriller_sample(repo: Path, sample: int) -> dict:
    """PyDriller over ``sample`` evenly spaced commits, touching every modified file's diff."""
    from pydriller import Repository

    shas = subprocess.run(["git", "-C", str(repo), "rev-list", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.split()
    step = max(1, len(shas) // sample)
    chosen = shas[::step][:sample]
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone.git"  # PyDriller writes into the repository's config: use a shared clone
        subprocess.run(["git", "clone", "-q", "--shared", "--bare", str(repo), str(clone)], check=True)
        start = time.perf_counter()
        files = 0
        for commit in Repository(str(clone), only_commits=chosen).traverse_commits():
            for f in commit.modified_files:
                files += 1
                _ = (f.added_lines, f.deleted_lines, f.filename)
        wall = time.perf_counter() - start
    per_commit = wall / max(1, len(chosen))
    return {"sample_commits": len(chosen), "sample_wall_s": round(wall, 2), "files": files,
            "extrapolated_wall_s": round(per_commit * len(shas), 1), "total_commits": len(shas)}


# --------------------------------------------------------------------------------------
# code-maat comparison


def _cell(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def read_csv_rows(text: str) -> tuple[list[str], list[tuple]]:
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], []
    return rows[0], [tuple(_cell(c) for c in r) for r in rows[1:]]


def frame_rows(frame) -> list[tuple]:
    out = []
    for row in frame.itertuples(index=False):
        out.append(tuple(v if isinstance(v, str) else (int(v) if float(v).is_integer() and not isinstance(v, float)
                                                          else float(v)) for v in row))
    return out


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        (abs(float(x) - float(y)) < 1e-9) if isinstance(x, (int, float)) and isinstance(y, (int, float)) else x == y
        for x, y in zip(a, b))


def compare(jar_rows: list[tuple], seams_rows: list[tuple]) -> dict:
    norm = lambda r: tuple(round(float(v), 9) if isinstance(v, (int, float)) else v for v in r)  # noqa: E731
    a, b = Counter(map(norm, jar_rows)), Counter(map(norm, seams_rows))
    matched = sum((a & b).values())
    return {"matched": matched, "total": max(len(jar_rows), len(seams_rows)), "code_maat_rows": len(jar_rows),
            "seams_rows": len(seams_rows), "only_code_maat": [list(r) for r in list((a - b).elements())[:3]],
            "only_seams": [list(r) for r in list((b - a).elements())[:3]]}


def codemaat_compare(jar: Path, log_path: Path, age_now: str) -> dict:
    from analysis.measures.codemaat import Options, parse_git2_log, run

    with open(log_path, encoding="utf-8", errors="replace") as fh:
        mods = parse_git2_log(fh)
    options = Options(age_time_now=dt.date.fromisoformat(age_now))
    results = {}
    for name in ANALYSES_FOR_JAR:
        cmd = ["java", "-jar", str(jar), "-l", str(log_path), "-c", "git2", "-a", name, "-d", age_now]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        jar_s = time.perf_counter() - start
        _, jar_rows = read_csv_rows(out.stdout)
        start = time.perf_counter()
        frame = run(name, mods, options)
        seams_s = time.perf_counter() - start
        results[name] = {**compare(jar_rows, frame_rows(frame)), "code_maat_s": round(jar_s, 2),
                         "seams_s": round(seams_s, 3)}
    return results


# --------------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        child(argv[1:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("--jar", type=Path, default=DEFAULT_JAR)
    ap.add_argument("--pydriller-sample", type=int, default=150)
    ap.add_argument("--skip-codemaat-compare", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each names-only measurement (median kept)")
    args = ap.parse_args(argv)
    repo = args.repo.resolve()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="seams-bench-git-"))
    work.mkdir(parents=True, exist_ok=True)
    git = ["git", "-C", str(repo)]
    f = {}
    names = {
        "git_name_only_no_renames": lambda: measure([*git, "log", "--name-only", "--no-renames", "--format=%H",
                                                     "HEAD"]),
        "git_name_only_renames": lambda: measure([*git, "log", "--name-only", "-M", "--format=%H", "HEAD"]),
        "seams_names_renames": lambda: seams_child(["none", str(repo)]),
        "seams_names_no_renames": lambda: seams_child(["none-norenames", str(repo)]),
    }
    runs: dict[str, list[dict]] = {key: [] for key in names}
    load_before = os.getloadavg()
    for _ in range(max(1, args.repeat)):  # interleaved: a burst of load hits git and Seams alike
        for key, run in names.items():
            runs[key].append(run())
    f.update({key: median_run(r) for key, r in runs.items()})
    f["load_average"] = {"before_names": [round(x, 2) for x in load_before],
                         "after_names": [round(x, 2) for x in os.getloadavg()]}
    f["git_numstat_no_renames"] = measure([*git, "log", "--numstat", "--no-renames", "--format=%H", "HEAD"])
    f["seams_churn_full_parallel"] = seams_child(["full", str(repo)])
    f["seams_churn_recent"] = seams_child(["recent", str(repo)])
    cache = work / "cache"
    f["seams_cache_fill"] = seams_child(["cache", str(repo), str(cache)])
    f["seams_cache_noop"] = seams_child(["cache", str(repo), str(cache)])
    f["pydriller"] = pydriller_sample(repo, args.pydriller_sample)
    log_path = work / "git2.log"
    with open(log_path, "wb") as out:
        f["git2_log"] = measure([*git, "log", "--all", "--numstat", "--date=short",
                                 "--pretty=format:--%h--%ad--%aN", "--no-renames"], stdout=out)
    if args.jar.is_file():
        f["code_maat_coupling"] = measure(["java", "-jar", str(args.jar), "-l", str(log_path), "-c", "git2",
                                           "-a", "coupling"])
    base = f["git_name_only_no_renames"]["wall_s"]
    ratios = {
        "names_renames_vs_name_only_no_renames": f["seams_names_renames"]["wall_s"] / base,
        "names_renames_vs_name_only_renames": f["seams_names_renames"]["wall_s"] / f["git_name_only_renames"]["wall_s"],
        "names_no_renames_vs_name_only_no_renames": f["seams_names_no_renames"]["wall_s"] / base,
        "names_renames_vs_name_only_renames_in_process":
            f["seams_names_renames"]["inner_s"] / f["git_name_only_renames"]["wall_s"],
        "names_no_renames_vs_name_only_no_renames_in_process": f["seams_names_no_renames"]["inner_s"] / base,
        "churn_full_vs_numstat": f["seams_churn_full_parallel"]["wall_s"] / f["git_numstat_no_renames"]["wall_s"],
        "pydriller_vs_seams_churn_full": f["pydriller"]["extrapolated_wall_s"] / f["seams_churn_full_parallel"]["wall_s"],
    }
    if "code_maat_coupling" in f:
        ratios["code_maat_coupling_vs_seams_names"] = f["code_maat_coupling"]["wall_s"] / f["seams_names_renames"]["wall_s"]
    f["ratios"] = {k: round(v, 2) for k, v in ratios.items()}

    print(f"repository: {repo}")
    print(f"load average (1, 5, 15 min) before the names-only runs {f['load_average']['before_names']}, "
          f"after {f['load_average']['after_names']}")
    print(f"{'measurement':44} {'wall s':>8} {'peak MiB':>9}")
    for key, v in f.items():
        if isinstance(v, dict) and "wall_s" in v:
            print(f"{key:44} {v['wall_s']:8.2f} {v['peak_mib']:9.1f}")
    p = f["pydriller"]
    print(f"{'pydriller (extrapolated from a sample)':44} {p['extrapolated_wall_s']:8.1f} {'':>9}   "
          f"({p['sample_commits']} of {p['total_commits']} commits took {p['sample_wall_s']} s)")
    for k, v in f["ratios"].items():
        print(f"ratio {k:54} {v:6.2f}")

    if args.jar.is_file() and not args.skip_codemaat_compare:
        age_now = dt.date.today().isoformat()
        f["codemaat_compare"] = codemaat_compare(args.jar, log_path, age_now)
        print(f"\ncode-maat vs Seams on the same git2 log ({log_path}); age counted from {age_now}")
        print(f"{'analysis':22} {'matched':>8} {'total':>8} {'code-maat s':>12} {'Seams s':>8}")
        for name, r in f["codemaat_compare"].items():
            print(f"{name:22} {r['matched']:8d} {r['total']:8d} {r['code_maat_s']:12.2f} {r['seams_s']:8.3f}")
            if r["matched"] != r["total"]:
                print(f"    only code-maat e.g. {r['only_code_maat']}\n    only Seams e.g. {r['only_seams']}")
    print(json.dumps(f, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
