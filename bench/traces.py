"""Spans per second and peak memory of the trace reader on large OTLP/JSON lines files.

    python bench/traces.py [--sizes 1000000 10000000] [--dir /tmp] [--frame-max 2000000] [--workers 2]

For each size, writes (once, seeded) a file of OTLP/JSON lines as the Collector's file
exporter does — requests of 200 spans, traces of one SERVER span and four children (code
spans in three contexts, a db CLIENT span whose statement carries a literal) — then times,
each in a fresh process whose peak resident memory is read with wait4:

- ``orjson``: merely ``orjson.loads`` every line (the floor);
- ``spans frame``: ``mine_traces`` into the ``spans`` frame (sizes up to --frame-max:
  the whole frame is held, so its memory grows with the file by design);
- ``aggregates``: ``aggregate_traces`` into load curves, context calls and coverage with a
  context map (streamed: memory bounded by the window, not the file).

``--workers`` (default 2, the machine's two cores): the frame and aggregate steps parse
the OTLP/JSON lines in that many worker processes (the aggregate step measures in the
parent meanwhile); peak memory is the parent's plus its largest worker's. ``--workers 1``
reads in one process. ``orjson / seams`` in the JSON is Seams' time over the orjson floor
(single process for the floor).

Goals: at least 100,000 spans/s end to end into the spans frame and into the aggregates;
a 10-million-span file aggregated under 2 GiB peak. Prints a table, then one JSON object with the figures as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SPANS_PER_S = 100_000
GOAL_PEAK_MIB = 2048
SPANS_PER_REQUEST = 200
ROUTES = ("/orders/{id}", "/cart", "/billing/invoices", "/catalog/items/{id}")
NAMESPACES = ("shopfront.orders.views", "shopfront.billing.service", "shopfront.catalog.repo", "shopfront.cart.api")
SERVICES = ("shopfront", "shopfront-worker")


def write_spans(path: Path, n_spans: int, seed: int = 7) -> None:
    """``n_spans`` spans of OTLP/JSON lines into ``path`` (deterministic for a seed)."""
    import orjson

    rnd = random.Random(seed)
    t0 = 1_700_000_000_000_000_000
    written = trace_no = 0
    with path.open("wb") as fh:
        while written < n_spans:
            spans: list[dict] = []
            while len(spans) < SPANS_PER_REQUEST and written + len(spans) < n_spans:
                trace_no += 1
                trace_id = f"{rnd.getrandbits(128):032x}"
                root = f"{rnd.getrandbits(64):016x}"
                start = t0 + trace_no * 5_000_000
                route = rnd.choice(ROUTES)
                spans.append({"traceId": trace_id, "spanId": root, "parentSpanId": "", "name": f"GET {route}", "kind": 2,
                              "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 4_000_000),
                              "attributes": [{"key": "http.route", "value": {"stringValue": route}},
                                             {"key": "http.request.method", "value": {"stringValue": "GET"}}],
                              "status": {}})
                for k in range(min(4, n_spans - written - len(spans))):
                    begin = start + 100_000 + k * 800_000
                    if k == 3:
                        attributes = [{"key": "db.system", "value": {"stringValue": "postgresql"}},
                                      {"key": "db.statement", "value": {"stringValue": f"SELECT * FROM orders WHERE id = {rnd.randint(1, 1000)}"}}]
                        kind, name = 3, "SELECT orders"
                    else:
                        attributes = [{"key": "code.namespace", "value": {"stringValue": rnd.choice(NAMESPACES)}},
                                      {"key": "code.function", "value": {"stringValue": "handle"}}]
                        kind, name = 1, "handle"
                    spans.append({"traceId": trace_id, "spanId": f"{rnd.getrandbits(64):016x}", "parentSpanId": root,
                                  "name": name, "kind": kind, "startTimeUnixNano": str(begin),
                                  "endTimeUnixNano": str(begin + 700_000), "attributes": attributes, "status": {}})
            message = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": rnd.choice(SERVICES)}}]},
                                          "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]}]}
            fh.write(orjson.dumps(message) + b"\n")
            written += len(spans)


def _context_fn():
    from analysis.core.config import ContextSpec, SpanRules
    from analysis.mapping.contexts import ContextMap
    from analysis.mapping.units import span_contexts

    cmap = ContextMap(tuple(
        ContextSpec(name, spans=SpanRules(code_namespaces=(f"shopfront.{name}",), routes=(f"/{name}*",)))
        for name in ("orders", "billing", "catalog", "cart")
    ))
    return lambda spans: span_contexts(cmap, spans)


def child(mode: str, path: str, workers: int = 1) -> None:
    """One measurement in this process; prints ``{"seconds", "spans"}``."""
    sys.path.insert(0, str(ROOT))
    if mode != "orjson":  # imports (pandas, pyarrow, sqlglot) are not the reader's speed
        import analysis.sources.sqltext  # noqa: F401
        import analysis.sources.traces.miner  # noqa: F401
    started = time.perf_counter()
    if mode == "orjson":
        import orjson

        spans = 0
        with open(path, "rb") as fh:
            for line in fh:
                for rs in orjson.loads(line)["resourceSpans"]:
                    for scope in rs["scopeSpans"]:
                        spans += len(scope["spans"])
    elif mode == "frame":
        from analysis.core.config import TraceSource
        from analysis.core.rejects import Rejects
        from analysis.sources.traces.miner import mine_traces

        spans = len(mine_traces(TraceSource(Path(path)), Rejects(), workers=workers).frames["spans"])
    else:
        from analysis.core.config import TraceSource
        from analysis.core.rejects import Rejects
        from analysis.measures.runtime_stream import aggregate_traces
        from analysis.sources.traces import iter_span_chunks

        context_fn = _context_fn()
        started = time.perf_counter()
        chunks = iter_span_chunks(TraceSource(Path(path)), Rejects(), workers=workers)
        spans = aggregate_traces(chunks, context_fn, 5).spans_kept
    seconds = time.perf_counter() - started
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker process
    print(json.dumps({"seconds": seconds, "spans": spans, "worker_peak_kib": worker_peak}))


def measure(mode: str, path: Path, workers: int = 1) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(path), str(workers)], stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{mode} on {path} failed with exit code {proc.returncode}")
    figures = json.loads(out.decode().strip().splitlines()[-1])
    figures["peak_mib"] = usage.ru_maxrss / 1024
    if workers > 1 and mode != "orjson":
        figures["workers"] = workers
        figures["peak_mib"] += figures.pop("worker_peak_kib") / 1024
    figures["spans_per_s"] = figures["spans"] / figures["seconds"] if figures["seconds"] else float("nan")
    return figures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--frame-max", type=int, default=2_000_000, help="largest size also read into one spans frame")
    ap.add_argument("--workers", type=int, default=2, help="processes parsing the lines (frame and aggregate steps)")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    results = {}
    rows = []
    for size in args.sizes:
        path = Path(args.dir) / f"seams-bench-traces-{size}.jsonl"
        if not path.exists():
            write_spans(path, size)
        figures = {"bytes": path.stat().st_size}
        for mode in ("orjson", "frame", "aggregates"):
            if mode == "frame" and size > args.frame_max:
                continue
            figures[mode] = measure(mode, path, 1 if mode == "orjson" else args.workers)
            rows.append((f"{size:,} spans", mode, figures[mode]))
        for mode in ("frame", "aggregates"):
            if mode in figures:
                figures[mode]["orjson_over_seams"] = figures["orjson"]["seconds"] / figures[mode]["seconds"]
        results[str(size)] = figures
    print(f"{'input':>18}  {'step':<11} {'seconds':>8} {'spans/s':>10} {'peak MiB':>9} {'vs orjson':>9}")
    for label, mode, f in rows:
        ratio = f"{f['orjson_over_seams']:9.2f}" if "orjson_over_seams" in f else f"{'':>9}"
        print(f"{label:>18}  {mode:<11} {f['seconds']:8.1f} {f['spans_per_s']:10,.0f} {f['peak_mib']:9.0f} {ratio}")
    print(f"workers: {args.workers} parsing processes for the frame and aggregate steps (orjson: one process)")
    print(f"goals: >= {GOAL_SPANS_PER_S:,} spans/s into the spans frame and the aggregates; 10 million spans aggregated under {GOAL_PEAK_MIB} MiB")
    print(json.dumps({"goal_spans_per_s": GOAL_SPANS_PER_S, "goal_peak_mib": GOAL_PEAK_MIB, "workers": args.workers, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
