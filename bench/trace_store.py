"""Trace analysis where the spans live: today's file path against DuckDB and chDB (ClickHouse in-process).

    python bench/trace_store.py [--sizes 1000000 10000000] [--dir /tmp] [--workers 2] [--modes file duckdb chdb]

For each size, writes (once, seeded) OTLP/JSON lines as bench/traces.py does (requests of
200 spans; traces of a SERVER span and four children: code spans in three contexts, a db
CLIENT span) and the same spans as the OpenTelemetry Collector ClickHouse exporter's rows,
loaded (untimed: that is the exporter's work) into ``otel_traces`` in a chDB session on disk.
Then times, each in a fresh process whose peak resident memory is read with wait4 (plus its
largest parsing worker's):

- ``file``: today's path: ``mine_traces`` into one spans frame, the span contexts, then calls,
  their latency, synchronous chains, orchestration, load curves, coverage and statements per
  context with the pandas metrics, as the pipeline computes them (measures/runtime.py), and
  the decomposition's traffic between code units (measures/decomposition/graph.py) and the
  scorecard's weekly p95 latency and requests per minute per context (measures/scorecard.py);
- ``duckdb``: the same file read by DuckDB's own JSON reader into a DuckDB database on disk
  (:func:`analysis.sources.traces.store.load_file`: spans unnested in SQL, what the attributes
  decide computed by Seams' reader once per distinct profile; memory limit 512 MB, spilling),
  then :func:`analysis.measures.runtime_sql.aggregate_spans`;
- ``chdb``: :func:`~analysis.measures.runtime_sql.aggregate_spans` over the exporter's table in chDB
  (the queries a ClickHouse server would run; chDB's memory is this process's).

Peak memory is the step's process plus its largest parsing worker (as bench/traces.py counts
it); CPU seconds are user + system of the step and its workers (contention distorts them less
than wall time); load is the 1-minute load average when the step ended. Before the first size,
the chdb step's floor is measured: a process importing Seams' modules and chDB and running one
query, no span. Each step writes its runtime evidence (kept in --dir, so ``--modes`` can run
one path again against the others' earlier run); the three must be equal (calls, their latency
percentiles, chains, orchestration, load per context, coverage counts, statements per context,
the traffic between code units, the scorecard's latency and request rates). Goals: at 10 million spans, peak memory
under 1 GiB on both engines, and the engine paths at least as fast as the file path.
Prints a table, then one JSON object with the figures as the last line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_PEAK_MIB = 1024
MODES = ("file", "duckdb", "chdb")


def context_map():
    from analysis.core.config import ContextSpec, SpanRules
    from analysis.mapping.contexts import ContextMap

    return ContextMap(tuple(
        ContextSpec(name, spans=SpanRules(code_namespaces=(f"shopfront.{name}",), routes=(f"/{name}*",)))
        for name in ("orders", "billing", "catalog", "cart")))


def prepare(size: int, folder: Path) -> tuple[Path, Path]:
    """The OTLP file and the chDB session folder holding the exporter's table, made once."""
    import orjson

    sys.path.insert(0, str(ROOT / "bench"))
    from traces import write_spans

    from analysis.sources.traces.store import OTEL_TRACES_DDL, otel_rows

    path = folder / f"seams-bench-traces-{size}.jsonl"
    if not path.exists():
        write_spans(path, size)
    chdb_dir = folder / f"seams-bench-chdb-{size}"
    if not (chdb_dir / "loaded").exists():
        from chdb import session

        shutil.rmtree(chdb_dir, ignore_errors=True)
        rows = folder / f"seams-bench-rows-{size}.jsonl"
        with path.open("rb") as fh, rows.open("wb") as out:
            for row in otel_rows(fh):
                out.write(orjson.dumps(row) + b"\n")
        s = session.Session(str(chdb_dir))
        s.query(OTEL_TRACES_DDL.format(table="default.otel_traces"))
        s.query(f"INSERT INTO default.otel_traces FROM INFILE '{rows}' FORMAT JSONEachRow")
        s.close()
        rows.unlink()
        (chdb_dir / "loaded").write_text("ok")
    return path, chdb_dir


def entry_spec():
    """What the scorecard asks of the entry spans: weekly p95 latency (at 95% confidence) per context."""
    from analysis.measures.metrics import delivery
    from analysis.measures.runtime_entries import EntrySpec

    def windows(first, last):
        return [(start, delivery.period_end(start, "week")) for start in delivery.period_starts((first, last), "week")]

    return EntrySpec(windows=windows, contexts=tuple(context_map().names), q=0.95, confidence=0.95)


def scorecard_table(spans=None, where=None, got=None):
    """The scorecard's weekly latency and request rates, from a spans frame or an engine's aggregates."""
    import pandas as pd

    from analysis.measures.metrics import delivery

    names = list(context_map().names)
    if spans is not None:
        obs = delivery.observations(delivery.latency_observations(spans, where))
        per_minute = delivery.requests_per_minute(spans, where)
        span = (pd.to_datetime(spans["start"], utc=True).min(), pd.to_datetime(spans["end"], utc=True).max())
        fixed = None
    else:
        obs = delivery.observations([])
        first, last = (pd.Timestamp(int(got.coverage[k]) * 60 * 10**9, tz="UTC") for k in ("first_minute", "last_minute"))
        per_minute = delivery.fill_minutes(got.entry_minutes, first, last)
        span = (got.window["first_span"], got.window["last_span"])
        fixed = {"latency_p95_ms": {(int(r.lo_ns), int(r.hi_ns), str(r.context)):
                                    (float(r.value), int(r.n), None if pd.isna(r.low) else float(r.low),
                                     None if pd.isna(r.high) else float(r.high)) for r in got.entry_latency.itertuples()}}
    table = delivery.period_table(obs, per_minute, {"latency": span, "requests_per_minute": span}, names, "week", 0.95, fixed=fixed)
    return table[table["metric"].isin(["latency_p95_ms", "throughput_rpm_p50", "throughput_rpm_p95"])]


def unit_of_namespace(namespace: str) -> str:
    """The decomposition's unit of a code namespace without an import graph: the namespace."""
    return namespace


def evidence(calls, curves, coverage: dict, statements, latency, chains, orchestration, units: dict, scorecard) -> dict:
    """The figures compared across the three paths (plain values)."""
    keys = ("spans", "orphan_spans", "root_spans", "traces", "traces_with_missing_parent", "consumer_spans",
            "broken_async", "unassigned_spans")
    totals = curves.groupby("context")[["requests", "spans", "self_time_ms"]].sum() if len(curves) else None
    return {
        "calls": sorted([r.caller, r.callee, r.mode, int(r.calls), float(r.total_ms), float(r.error_share)]
                        for r in calls.itertuples()),
        "curve_rows": len(curves),
        "load": {} if totals is None else {c: [float(v) for v in row] for c, row in totals.iterrows()},
        "coverage": {k: int(coverage[k]) for k in keys},
        "statements": sorted([str(r.fingerprint), str(r.context), int(r.calls)] for r in statements.itertuples()),
        "latency": sorted([r.caller, r.callee, r.mode, int(r.calls), int(r.caller_spans), float(r.p50_ms), float(r.p95_ms),
                           float(r.max_ms), float(r.caller_ms)] for r in latency.itertuples()),
        "chains": sorted([str(r.chain), int(r.traces)] for r in chains.itertuples()),
        "orchestration": sorted([str(r.entry_point), str(r.entry_context), ",".join(r.contexts), float(r.traces)]
                                for r in orchestration.itertuples()),
        # the decomposition's traffic between units (calls, tables, traces, transactions, namespaces)
        "units": {name: sorted([str(v) for v in row] for row in frame.itertuples(index=False)) for name, frame in units.items()},
        # the scorecard's weekly p95 latency (with its interval) and requests per minute per context
        "scorecard": sorted([str(r.period), str(r.context), str(r.metric), float(r.value), int(r.n),
                             None if math.isnan(r.low) else float(r.low), None if math.isnan(r.high) else float(r.high)]
                            for r in scorecard.itertuples()),
    }


def child(mode: str, path: str, chdb_dir: str, scratch: str, workers: int) -> None:
    from analysis.core import frames
    from analysis.core.config import TraceSource
    from analysis.core.rejects import Rejects
    from analysis.measures.runtime_sql import aggregate_spans

    cmap = context_map()
    how = mode
    started = time.perf_counter()
    if mode == "file":
        import pandas as pd

        from analysis.mapping.attribution import db_span_contexts
        from analysis.mapping.units import span_contexts
        from analysis.measures.coupling import runtime
        from analysis.measures.decomposition.graph import TRAFFIC_COLUMNS, traffic_of_spans
        from analysis.measures.metrics import load, observability
        from analysis.measures.runtime import CHAIN_MIN_CONTEXTS, orchestration_of
        from analysis.sources.traces.miner import mine_traces

        mined = mine_traces(TraceSource(Path(path)), Rejects(), workers=workers).frames
        spans, links = mined["spans"], mined["span_links"]
        where = span_contexts(cmap, spans)
        # what the engines compute, as the pipeline computes it from a spans frame (measures/runtime.py)
        rows = runtime.call_rows(spans, where, links if len(links) else None)
        traffic = traffic_of_spans(spans, where, unit_of_namespace)
        figures = evidence(runtime.calls_of_rows(rows),
                           load.load_curves(spans, where, bucket_minutes=5),
                           observability.coverage(cmap.names, spans, where, frames.empty("statements"),
                                                  pd.Series([], dtype="string")),
                           db_span_contexts(spans, where),
                           runtime.latency_of_rows(rows, spans),
                           runtime.call_chains(spans, where, min_contexts=CHAIN_MIN_CONTEXTS),
                           orchestration_of(spans, where)[0],
                           {name: getattr(traffic, name) for name in TRAFFIC_COLUMNS}, scorecard_table(spans, where))
    elif mode == "duckdb":
        from analysis.sources.traces.store import DuckDBStore, load_file

        shutil.rmtree(scratch, ignore_errors=True)
        store = DuckDBStore(Path(scratch) / "spans.duckdb")
        how = load_file(store, TraceSource(Path(path)), Rejects(), workers=workers)
        got = aggregate_spans(store, cmap, unit_of_namespace=unit_of_namespace, entries=entry_spec())
        figures = evidence(got.calls, got.curves, got.coverage, got.statements, got.latency, got.chains, got.orchestration,
                           got.units, scorecard_table(got=got))
        store.close()
    elif mode == "baseline":  # what the chdb step holds before any span: Seams' modules, chDB, one query
        from chdb import session

        import analysis.sources.traces.store  # noqa: F401

        session.Session(chdb_dir).query("SELECT 1", "CSV")
        figures = {}
    else:
        from chdb import session

        from analysis.sources.traces.store import ClickHouseStore

        got = aggregate_spans(ClickHouseStore(session=session.Session(chdb_dir), table="default.otel_traces"), cmap,
                              unit_of_namespace=unit_of_namespace, entries=entry_spec())
        figures = evidence(got.calls, got.curves, got.coverage, got.statements, got.latency, got.chains, got.orchestration,
                           got.units, scorecard_table(got=got))
    seconds = time.perf_counter() - started
    workers_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "worker_peak_kib": workers_usage.ru_maxrss, "how": how,
                      "worker_cpu_s": workers_usage.ru_utime + workers_usage.ru_stime, "evidence": figures}))


def measure(mode: str, path: Path, chdb_dir: Path, scratch: Path, workers: int) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(path), str(chdb_dir), str(scratch), str(workers)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{mode} on {path} failed with exit code {os.waitstatus_to_exitcode(status)}")
    figures = json.loads(out.decode().strip().splitlines()[-1])
    figures["peak_mib"] = (usage.ru_maxrss + figures.pop("worker_peak_kib")) / 1024
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime + figures.pop("worker_cpu_s")
    figures["load"] = round(os.getloadavg()[0], 2)
    return figures


def same(a, b, rel: float = 1e-6) -> bool:
    """Equal, floats within ``rel`` (sums of milliseconds added in another order)."""
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-6)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b, strict=True))
    return a == b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--workers", type=int, default=2, help="processes parsing the OTLP lines (file and duckdb steps)")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES,
                    help="paths to run (the others' evidence is read back from an earlier run in --dir)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        mode, path, chdb_dir, scratch, workers = args.child
        child(mode, path, chdb_dir, scratch, int(workers))
        return 0
    folder = Path(args.dir)
    results: dict = {}
    rows = []
    baseline = None
    for size in args.sizes:
        path, chdb_dir = prepare(size, folder)
        if baseline is None and "chdb" in args.modes:
            baseline = measure("baseline", path, chdb_dir, folder / "seams-bench-baseline", 1)["peak_mib"]
            results["chdb_baseline_mib"] = baseline
        figures: dict = {}
        for mode in MODES:
            kept = folder / f"seams-bench-evidence-{size}-{mode}.json"
            if mode in args.modes:
                figures[mode] = measure(mode, path, chdb_dir, folder / f"seams-bench-duckdb-{size}", args.workers)
                figures[mode]["spans_per_s"] = size / figures[mode]["seconds"]
                kept.write_text(json.dumps(figures[mode]))
            elif kept.exists():
                figures[mode] = {**json.loads(kept.read_text()), "earlier_run": True}
        if "file" not in figures:
            raise SystemExit(f"no file path run for {size:,} spans in {folder}: add file to --modes")
        reference = figures["file"]["evidence"]
        for mode in [m for m in MODES if m in figures]:
            figures[mode]["equal_to_file"] = same(figures[mode]["evidence"], reference)
            rows.append((size, mode, figures[mode]))
        figures["calls"] = len(reference["calls"])
        for mode in [m for m in MODES if m in figures]:
            figures[mode].pop("evidence")
        results[str(size)] = figures
    print(f"{'spans':>12}  {'path':<7} {'seconds':>8} {'CPU s':>7} {'spans/s':>10} {'peak MiB':>9} {'load':>5}  equal to file")
    for size, mode, f in rows:
        earlier = "  (earlier run)" if f.get("earlier_run") else ""
        how = "  (read by Seams' readers)" if mode == "duckdb" and f.get("how") == "python" else ""
        print(f"{size:>12,}  {mode:<7} {f['seconds']:8.1f} {f.get('cpu_s', float('nan')):7.1f} {f['spans_per_s']:10,.0f} "
              f"{f['peak_mib']:9.0f} {f.get('load', float('nan')):5.2f}  {f['equal_to_file']}{earlier}{how}")
    print(f"file parses with {args.workers} processes; duckdb reads the file with DuckDB's JSON reader; "
          "chdb: the exporter's table already loaded (untimed); load: the 1-minute load average after the step")
    if baseline is not None:
        print(f"chdb step before any span (Seams' modules, chDB imported, one query): {baseline:.0f} MiB")
    print(f"goals: peak under {GOAL_PEAK_MIB} MiB for duckdb and chdb at 10 million spans; engine paths at least as fast as the file path")
    print(json.dumps({"goal_peak_mib": GOAL_PEAK_MIB, "workers": args.workers, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
