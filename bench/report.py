"""Wall time and peak memory of `seams report` on the full sample.

    python bench/report.py [--config data/sample/seams.yml] [--runs 1]

Builds the full sample first if the config is absent. Each run is a fresh process of
`seams report --no-cache` (cold: every source mined again) followed by one with the cache
(warm). Peak memory is the largest resident set of the run's process tree (the CLI and the
notebook kernel), read from getrusage of the children. Goal: cold under 120 s on 2 cores.
Prints a table, then one JSON object with the figures as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 120.0


def seams() -> str:
    exe = Path(sys.executable).with_name("seams")
    return str(exe) if exe.exists() else "seams"


def timed(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the process tree so far, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-2000:])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib / 1024, proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "data/sample/seams.yml"))
    args = ap.parse_args(argv)
    config = Path(args.config)
    if not config.exists():
        subprocess.run([seams(), "sample", "--out", str(config.parent), "--scale", "full"], check=True, cwd=ROOT)
    out = Path(tempfile.mkdtemp(prefix="seams-bench-"))
    env = {**os.environ, "SEAMS_CACHE_DIR": str(out / "cache")}
    rows = []
    cold = timed([seams(), "report", "--config", str(config), "--out", str(out / "reports"), "--no-cache"], env)
    rows.append(("seams report, cold (no cache)", *cold))
    # the warm run needs a filled cache: fill it, then time the run that reads it
    fill = timed([seams(), "report", "--config", str(config), "--out", str(out / "reports")], env)
    warm = timed([seams(), "report", "--config", str(config), "--out", str(out / "reports")], env)
    rows.append(("seams report, cache filling", *fill))
    rows.append(("seams report, warm (cache)", *warm))
    shutil.rmtree(out, ignore_errors=True)

    print(f"{'run':34} {'wall s':>8} {'peak MiB*':>10} {'exit':>5}")
    for name, wall, peak, rc in rows:
        print(f"{name:34} {wall:8.1f} {peak:10.0f} {rc:5d}")
    print(f"goal: cold run under {GOAL_S:.0f} s -> {'met' if cold[0] < GOAL_S else 'NOT met'} ({cold[0] / GOAL_S:.2f}x of the goal)")
    print("* peak resident memory of the largest process among the runs so far (CLI or notebook kernel)")
    figures = {"cold_s": round(cold[0], 2), "fill_s": round(fill[0], 2), "warm_s": round(warm[0], 2),
               "peak_rss_mib": round(max(r[2] for r in rows)), "goal_s": GOAL_S, "cold_vs_goal": round(cold[0] / GOAL_S, 3),
               "ok": all(r[3] == 0 for r in rows)}
    print(json.dumps(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
