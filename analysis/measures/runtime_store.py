"""Runtime evidence from the aggregates an engine read back (ClickHouse, DuckDB), not from spans.

``measure_runtime_in_store(config, mined, units) -> RuntimeEvidence``, used by
:func:`analysis.measures.runtime.measure_runtime` when the ``store_*`` frames hold the traces'
aggregates (:func:`analysis.measures.runtime_sql.aggregate_spans`, run by the pipeline's
:func:`analysis.pipeline.mine_trace_stores`). The same evidence as from a spans frame:
calls between contexts (sync and async: volume, latency added, errors), their latency
(percentiles, slowest call, the callers' time and the share spent waiting), fan-in,
synchronous chains, orchestration (entry points driving several contexts, pairs taking part
in one trace), load curves and scaling asymmetry, trace coverage (with the SQL log's figures
beside it), and whether the spans can show a call inside a process (``calls_status``). With
several trace stores the latency percentiles are not measured (they do not add up across
stores; ``calls_status`` says so). The SQL log's statements are linked to the spans their
``traceparent`` names, and the entry point inventory to the spans that show it, by what the
engine looked up for them (``store_sql_spans``, ``store_entry_keys``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.core.routes import normalize_route
from analysis.mapping.span_tree import span_positions
from analysis.mapping.units import Units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability
from analysis.measures.runtime_sql import (
    CALL_COLUMNS,
    CHAIN_COLUMNS,
    CONTEXTS_JOIN,
    CURVE_COLUMNS,
    LATENCY_COLUMNS,
    coverage_of,
)

#: coverage figures of the store used here and not shown as coverage (the file path has none)
_STORE_ONLY = ("inside_spans", "services", "stores", "unmatched_routes", "unmatched_names", "entry_spans")


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
    got = mined.store_figures()
    if "first_span_s" not in got:
        return {"first_span": None, "last_span": None, "hours": 0.0, "buckets": 0}
    first, last = (pd.Timestamp(int(got[f"{key}_s"]) * 10**9 + int(got[f"{key}_ns"]), tz="UTC") for key in ("first_span", "last_span"))
    hours = (last - first).total_seconds() / 3600
    return {"first_span": first, "last_span": last, "hours": round(hours, 3), "buckets": int(hours * 60 // bucket_minutes) + 1}


def store_latency(mined: Mined, calls: pd.DataFrame) -> pd.DataFrame:
    """``call_latency`` from ``store_latency`` (``wait_share`` from the calls' total time)."""
    rows = mined["store_latency"]
    if rows.empty:
        return typed_empty(LATENCY_COLUMNS)
    total = calls.set_index(["caller", "callee", "mode"])["total_ms"]
    waited = total.reindex(pd.MultiIndex.from_frame(rows[["caller", "callee", "mode"]].astype(str))).to_numpy(dtype=float)
    caller_ms = rows["caller_ms"].to_numpy(dtype=float)
    sync = (rows["mode"] == "sync").to_numpy(dtype=bool) & (caller_ms > 0)
    share = np.full(len(rows), np.nan)
    share[sync] = waited[sync] / caller_ms[sync]
    out = rows.assign(wait_share=share).sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return out[list(LATENCY_COLUMNS)].astype(LATENCY_COLUMNS).reset_index(drop=True)


def store_chains(mined: Mined) -> pd.DataFrame:
    rows = mined["store_chains"]
    return (rows.sort_values(["traces", "chain"], ascending=[False, True])[list(CHAIN_COLUMNS)].astype(CHAIN_COLUMNS)
            .reset_index(drop=True))


def store_orchestration(mined: Mined) -> tuple[pd.DataFrame, pd.DataFrame]:
    from analysis.measures.runtime import orchestration_frames

    rows = mined["store_orchestration"]
    entries = pd.DataFrame({"contexts": pd.Series([tuple(str(c).split(CONTEXTS_JOIN)) for c in rows["contexts"]], dtype=object),
                            "weight": rows["traces"].to_numpy(dtype=float), "entry_point": rows["entry_point"].to_numpy(),
                            "entry_context": rows["entry_context"].to_numpy()})
    return orchestration_frames(entries)


def stored_statements(mined: Mined) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The database spans aggregated in an engine as :func:`analysis.measures.data.traced_statements`
    gives them from a spans frame: ``(statements, context, table_access)``."""
    rows, tables = mined["store_db_statements"], mined["store_db_tables"]
    statements = pd.DataFrame({"fingerprint": rows["fingerprint"].astype("string"), "executions": rows["executions"].astype("int64")})
    return (statements.reset_index(drop=True), rows["context"].astype("string").reset_index(drop=True),
            tables[["fingerprint", "table", "access"]].astype("string").reset_index(drop=True))


def store_calls_status(coverage: dict, spans: int, with_context: int, stores: int, has_latency: bool) -> Status:
    """``calls_status`` as :func:`analysis.measures.runtime.calls_status` decides it, from the
    store's counts."""
    if not spans:
        return Status.not_measured("the trace store holds no span in the time window")
    inside, services = int(coverage.get("inside_spans", 0)), int(coverage.get("services", 0))
    if not inside and services < 2:
        return Status.not_measurable(
            "the traces hold only framework server spans and database/cache client spans of one service, no span inside "
            "the process: a call from one context into another cannot show. Add spans per module (code.namespace on "
            "internal spans, or module spans such as Spring Modulith's module.identifier)")
    if not with_context:
        return Status.not_measurable("no span was assigned to a context: the span rules match none of the spans")
    measured = f"{spans} spans, {with_context} with a context (aggregated in the trace store)"
    if not has_latency and stores > 1:
        measured += f"; latency percentiles not measured: {stores} trace stores, and percentiles do not add up across them"
    if not inside:
        return Status.measured(f"{measured}; between processes only ({services} services, no span inside a process): "
                               "a call from one context into another within one process cannot show")
    return Status.measured(measured)


def store_entry_counts(keys: pd.DataFrame) -> dict[str, pd.Series]:
    """:func:`analysis.measures.metrics.observability.entry_point_counts` from ``store_entry_keys``
    (routes normalized here, as the file path does)."""
    counts = {}
    for kind in observability.ENTRY_POINT_KINDS:
        rows = keys[keys["kind"] == kind]
        key = rows["key"].astype(str).map(normalize_route) if kind == "route" else rows["key"].astype(str)
        counts[kind] = rows["spans"].astype("int64").groupby(key.to_numpy(dtype=object)).sum()
    return counts


def store_link_figures(mined: Mined, units: Units) -> dict:
    """The coverage figures that look statements and entry points up among the spans, from
    what the engine looked up (``store_sql_spans``, ``store_db_statements``,
    ``store_entry_keys``): as :func:`analysis.measures.metrics.observability.coverage` gives them."""
    out: dict = {}
    statements = mined["statements"]
    if len(statements):
        linked = span_positions(mined["store_sql_spans"], statements["trace_id"], statements["parent_span_id"]) >= 0
        fingerprints = set(mined["store_db_statements"]["fingerprint"].dropna().astype(str))
        out.update(observability.sql_figures(statements, units.statements, linked, fingerprints))
    if mined.given("entry_points"):
        inventory = mined["entry_points"][["kind", "name"]].assign(context=units.entry_point_context)
        traced = observability.entry_point_matches(inventory, store_entry_counts(mined["store_entry_keys"]))
        out.update(observability.entry_point_figures(traced))
    return out


def measure_runtime_in_store(config: Config, mined: Mined, units: Units):
    """The runtime evidence from the ``store_*`` frames (see the module docstring)."""
    from analysis.measures.runtime import RuntimeEvidence, inventory_status, load_status

    th = config.thresholds
    bucket = int(th["load_bucket_minutes"])
    calls, curves = store_calls(mined), store_curves(mined)
    coverage = observability.coverage(list(units.names), mined["spans"], units.span_context, mined["statements"],
                                      units.statements)
    coverage.pop("entry_points", None)
    coverage.update(store_link_figures(mined, units))
    coverage.update(coverage_of(mined["store_coverage"], list(units.names)))
    store_only = {key: coverage.pop(key, 0) for key in _STORE_ONLY}
    spans = int(coverage.get("spans", 0))
    window = store_window(mined, bucket)
    with_context = spans - int(coverage.get("unassigned_spans", 0))
    latency = store_latency(mined, calls)
    orchestration, orchestrated = store_orchestration(mined)
    coverage_status = (Status.measured(f"{spans} spans in {coverage.get('traces', 0)} traces (aggregated in the trace store)")
                       if spans else Status.not_measured("the trace store holds no span in the time window"))
    return RuntimeEvidence(
        calls_status=store_calls_status(store_only, spans, with_context, int(store_only["stores"]), len(latency) > 0 or calls.empty),
        load_status=load_status(config, mined, window),
        coverage_status=coverage_status,
        inventory_status=inventory_status(config, mined),
        window=window,
        calls=calls,
        latency=latency,
        fan_in=runtime.sync_fan_in(calls),
        chains=store_chains(mined),
        orchestration=orchestration,
        orchestrated=orchestrated,
        curves=curves,
        asymmetry=load.scaling_asymmetry(curves, correlation_minutes=int(th["load_correlation_minutes"]),
                                         min_requests=th["min_requests_per_context"]),
        coverage=coverage,
        sampling=("counts and self time scaled by 1/ratio for sampling (in the trace store)"
                  if len(curves) and bool(curves["scaled"].any()) else None),
    )
