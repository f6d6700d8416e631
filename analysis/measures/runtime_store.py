"""Runtime evidence from the aggregates an engine read back (ClickHouse, DuckDB), not from spans.

``measure_runtime_in_store(config, mined, units) -> RuntimeEvidence``, used by
:func:`analysis.measures.runtime.measure_runtime` when the ``store_*`` frames hold the traces'
aggregates (:func:`analysis.measures.runtime_sql.aggregate_spans`, run by the pipeline's
:func:`analysis.pipeline.mine_trace_stores`). The same evidence as from a spans frame:
calls between contexts (sync and async: volume, latency added, errors), fan-in, load curves
and scaling asymmetry, trace coverage (with the SQL log's figures beside it). What needs the
spans of each call is *not measured* here and left empty: latency percentiles, synchronous
chains, orchestration; a statement is tied to a span of the engine only by its fingerprint
(the SQL log's ``traceparent`` cannot be looked up among spans Seams does not hold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.mapping.units import Units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability
from analysis.measures.runtime_sql import CALL_COLUMNS, CURVE_COLUMNS, coverage_of

LATENCY_COLUMNS = {"caller": "string", "callee": "string", "mode": "string", "calls": "int64", "caller_spans": "int64",
                   "p50_ms": "float64", "p95_ms": "float64", "max_ms": "float64", "caller_ms": "float64",
                   "wait_share": "float64"}


def from_store(mined: Mined) -> bool:
    """Whether the traces were aggregated in an engine (and no spans frame holds them)."""
    return bool(len(mined["store_coverage"])) and not len(mined["spans"])


def store_calls(mined: Mined) -> pd.DataFrame:
    rows = mined["store_calls"]
    if rows.empty:
        return typed_empty(CALL_COLUMNS)
    out = rows.assign(mean_ms=rows["total_ms"] / rows["calls"], error_share=rows["errors"] / rows["calls"])
    out = out.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return out[list(CALL_COLUMNS)].astype(CALL_COLUMNS).reset_index(drop=True)


def store_curves(mined: Mined) -> pd.DataFrame:
    rows = mined["store_load"]
    if rows.empty:
        return typed_empty(CURVE_COLUMNS)
    out = rows.assign(requests=np.rint(rows["requests"].to_numpy(dtype=float)), spans=np.rint(rows["spans"].to_numpy(dtype=float)))
    return out.sort_values(["context", "bucket"])[list(CURVE_COLUMNS)].astype(CURVE_COLUMNS).reset_index(drop=True)


def store_window(mined: Mined, bucket_minutes: int) -> dict:
    got = dict(zip(mined["store_coverage"]["figure"], mined["store_coverage"]["value"], strict=True))
    if "first_span_ns" not in got:
        return {"first_span": None, "last_span": None, "hours": 0.0, "buckets": 0}
    first, last = pd.Timestamp(int(got["first_span_ns"]), tz="UTC"), pd.Timestamp(int(got["last_span_ns"]), tz="UTC")
    hours = (last - first).total_seconds() / 3600
    return {"first_span": first, "last_span": last, "hours": round(hours, 3), "buckets": int(hours * 60 // bucket_minutes) + 1}


def measure_runtime_in_store(config: Config, mined: Mined, units: Units):
    """The runtime evidence from the ``store_*`` frames (see the module docstring)."""
    from analysis.measures.runtime import (
        ORCHESTRATED_COLUMNS,
        ORCHESTRATION_COLUMNS,
        RuntimeEvidence,
        inventory_status,
        load_status,
    )

    th = config.thresholds
    bucket = int(th["load_bucket_minutes"])
    calls, curves = store_calls(mined), store_curves(mined)
    coverage = observability.coverage(list(units.names), mined["spans"], units.span_context, mined["statements"],
                                      units.statements)
    coverage.pop("entry_points", None)
    coverage.update(coverage_of(mined["store_coverage"], list(units.names)))
    spans = int(coverage.get("spans", 0))
    window = store_window(mined, bucket)
    with_context = spans - int(coverage.get("unassigned_spans", 0))
    if not spans:
        calls_status = Status.not_measured("the trace store holds no span in the time window")
        coverage_status = Status.not_measured("the trace store holds no span in the time window")
    elif not with_context:
        calls_status = Status.not_measurable("no span was assigned to a context: the span rules match none of the spans")
        coverage_status = Status.measured(f"{spans} spans in {coverage.get('traces', 0)} traces (aggregated in the trace store)")
    else:
        calls_status = Status.measured(f"{spans} spans, {with_context} with a context (aggregated in the trace store)")
        coverage_status = Status.measured(f"{spans} spans in {coverage.get('traces', 0)} traces (aggregated in the trace store)")
    return RuntimeEvidence(
        calls_status=calls_status,
        load_status=load_status(config, mined, window),
        coverage_status=coverage_status,
        inventory_status=inventory_status(config, mined),
        window=window,
        calls=calls,
        latency=typed_empty(LATENCY_COLUMNS),
        fan_in=runtime.sync_fan_in(calls),
        chains=typed_empty({"chain": "string", "traces": "int64"}),
        orchestration=typed_empty(ORCHESTRATION_COLUMNS),
        orchestrated=typed_empty(ORCHESTRATED_COLUMNS),
        curves=curves,
        asymmetry=load.scaling_asymmetry(curves, correlation_minutes=int(th["load_correlation_minutes"]),
                                         min_requests=th["min_requests_per_context"]),
        coverage=coverage,
        sampling=("counts and self time scaled by 1/ratio for sampling (in the trace store)"
                  if len(curves) and bool(curves["scaled"].any()) else None),
    )
