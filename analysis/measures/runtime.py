"""Runtime evidence: calls between contexts, their latency, chains, orchestration, load curves,
scaling asymmetry and trace coverage, from the traces.

``measure_runtime(config, mined, units) -> RuntimeEvidence``. With only Jaeger's service
dependencies (no spans), calls are service-level.

Statuses:

- ``calls_status`` — *not measured* without traces; *not measurable* when the traces cannot show
  a call between contexts: an auto-instrumented monolith (one service, framework server spans and
  database/cache client spans, no span inside the process: no INTERNAL span, no
  ``code.namespace``) gives every trace one context at most; *measured* otherwise — with several
  services but no span inside a process, measured between processes only, and its reason says so;
- ``load_status`` — *not measured* without spans; *not measurable* when the traces cover less
  than ``min_load_hours`` or fewer than ``min_load_buckets`` buckets of ``load_bucket_minutes``
  (peaks and correlations need a daily cycle); contexts that served fewer than
  ``min_requests_per_context`` requests are never compared for compute;
- ``coverage_status`` — *not measured* without spans, else measured (coverage measures what the
  traffic in the traces exercised);
- ``inventory_status`` — the entry point inventory coverage is measured against: *not measured*
  without one (or when it found no entry point); *not measurable* when it followed fewer than
  ``min_entry_point_inventory_followed`` of the urlconfs' include() calls, imported url lists and
  router registrations (the source's ``route_includes`` / ``route_includes_followed`` counts): such
  an inventory lists a fraction of the routes, and a share of it traced says nothing; *measured*
  otherwise.

Orchestration: an entry point (a route, a consumed destination, else the root span's name)
whose traces take several contexts along — a checkout route driving orders, billing,
inventory and shipping in one request — is listed with the contexts it drives and how many
traces, and two contexts taking part in one trace are *orchestrated together* (``orchestrated``:
traces per pair, weighted by sampling). Whether they also share a database transaction is not
measured: statement logs carry no transaction ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.core.privacy import mask_identifiers
from analysis.core.routes import display_route
from analysis.mapping.units import Units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability

#: Contexts a synchronous chain must cross to be listed.
CHAIN_MIN_CONTEXTS = 3
ORCHESTRATION_COLUMNS = {"entry_point": "string", "entry_context": "string", "contexts": "object", "traces": "float64"}
ORCHESTRATED_COLUMNS = {"context_a": "string", "context_b": "string", "traces": "float64"}
#: the entry point of a trace without a root span
NO_ROOT = "(no root span)"


@dataclass(frozen=True)
class RuntimeEvidence:
    calls_status: Status
    load_status: Status
    coverage_status: Status
    inventory_status: Status
    window: dict  # first and last span, hours, load buckets
    calls: pd.DataFrame
    latency: pd.DataFrame
    fan_in: pd.DataFrame
    chains: pd.DataFrame
    orchestration: pd.DataFrame  # entry_point, entry_context, contexts, traces
    orchestrated: pd.DataFrame  # context_a, context_b, traces (pairs taking part in one trace)
    curves: pd.DataFrame
    asymmetry: pd.DataFrame
    coverage: dict
    sampling: str | None  # how counts were scaled for sampling, None when they were not


def measure_runtime(config: Config, mined: Mined, units: Units) -> RuntimeEvidence:
    from analysis.measures.runtime_store import from_store, measure_runtime_in_store

    if from_store(mined):  # aggregated in ClickHouse or DuckDB: no spans frame
        return measure_runtime_in_store(config, mined, units)
    th, spans, where, cmap = config.thresholds, mined["spans"], units.span_context, units.context_map
    rows = runtime.call_rows(spans, where, mined["span_links"])  # the ancestor walk, once
    calls = runtime.calls_of_rows(rows)
    deps = mined["service_dependencies"]
    if calls.empty and len(deps):  # only Jaeger's dependencies: service-level coupling
        calls = runtime.service_calls(deps, cmap.assign_spans(pd.DataFrame({"service": deps["parent"]})),
                                      cmap.assign_spans(pd.DataFrame({"service": deps["child"]})))
    sampling_ratio = next((t.sampling_ratio for t in config.traces if t.sampling_ratio), None)
    bucket = int(th["load_bucket_minutes"])
    curves = load.load_curves(spans, where, bucket_minutes=bucket, sampling_ratio=sampling_ratio)
    inventory = (mined["entry_points"][["kind", "name"]].assign(context=units.entry_point_context)
                 if mined.given("entry_points") else None)
    coverage = observability.coverage(list(units.names), spans, where, mined["statements"], units.statements,
                                      entry_points=inventory)
    coverage.pop("entry_points", None)  # route templates and queue names: span attribute values stay out of reports
    window = trace_window(spans, bucket)
    orchestration, orchestrated = orchestration_of(spans, where)
    return RuntimeEvidence(
        calls_status=calls_status(mined, spans, where, deps),
        load_status=load_status(config, mined, window),
        coverage_status=(Status.measured(f"{len(spans)} spans in {coverage.get('traces', 0)} traces") if len(spans)
                         else Status.not_measured(mined.missing("no spans given (sources.traces)", "traces"))),
        inventory_status=inventory_status(config, mined),
        window=window,
        calls=calls,
        latency=runtime.latency_of_rows(rows, spans),
        fan_in=runtime.sync_fan_in(calls),
        chains=runtime.call_chains(spans, where, min_contexts=CHAIN_MIN_CONTEXTS),
        orchestration=orchestration,
        orchestrated=orchestrated,
        curves=curves,
        asymmetry=load.scaling_asymmetry(curves, correlation_minutes=int(th["load_correlation_minutes"]),
                                         min_requests=th["min_requests_per_context"]),
        coverage=coverage,
        sampling=load.sampling_note(spans, sampling_ratio),
    )


def inventory_status(config: Config, mined: Mined) -> Status:
    """Whether the entry point inventory can stand for the routes (see the module docstring)."""
    points = mined["entry_points"]
    if not mined.given("entry_points") or not len(points):
        return Status.not_measured("no entry point inventory (sources.imports reads routes, jobs and consumers)")
    counts = mined.counts.get("entry_points", {})
    calls, followed = int(counts.get("route_includes", 0)), int(counts.get("route_includes_followed", 0))
    least = config.thresholds["min_entry_point_inventory_followed"]
    if calls and followed / calls < least:
        return Status.not_measurable(
            f"the entry point inventory followed {followed} of {calls} include() calls, imported url lists and router "
            f"registrations ({followed / calls:.0%}, min_entry_point_inventory_followed = {least:g}): the routes behind the "
            f"others are missing, so its {len(points)} entry points are a fraction of the routes and the share of them "
            "traced would measure the inventory, not the tracing")
    followed_text = f"; {followed} of {calls} include() calls and router registrations followed" if calls else ""
    return Status.measured(f"{len(points)} entry points in the code{followed_text}")


def trace_window(spans: pd.DataFrame, bucket_minutes: int) -> dict:
    """First and last span, the hours between them and the load buckets they cover."""
    if spans.empty:
        return {"first_span": None, "last_span": None, "hours": 0.0, "buckets": 0}
    first, last = spans["start"].min(), spans["end"].max()
    hours = (last - first).total_seconds() / 3600
    return {"first_span": first, "last_span": last, "hours": round(hours, 3),
            "buckets": int(hours * 60 // bucket_minutes) + 1}


def calls_status(mined: Mined, spans: pd.DataFrame, where: pd.Series, deps: pd.DataFrame) -> Status:
    if not mined.given("traces"):
        return Status.not_measured(mined.missing("no traces given (sources.traces)", "traces"))
    if spans.empty:
        if len(deps):
            return Status.measured(f"service dependencies only ({len(deps)} service pairs): calls between services")
        return Status.not_measured("the traces hold no span")
    # a span inside a process: an INTERNAL one, or one naming its code that is not where the
    # process was entered (a job's function on its CONSUMER span names the job, not a call)
    entered = spans["kind"].isin(("SERVER", "CONSUMER")).to_numpy()
    inside = bool((spans["kind"] == "INTERNAL").any() or (spans["code_namespace"].notna().to_numpy() & ~entered).any())
    services = spans["service"].astype("string").nunique()
    if not inside and services < 2:
        return Status.not_measurable(
            "the traces hold only framework server spans and database/cache client spans of one service, no span inside "
            "the process: a call from one context into another cannot show. Add spans per module (code.namespace on "
            "internal spans, or module spans such as Spring Modulith's module.identifier)")
    if where.notna().sum() == 0:
        return Status.not_measurable("no span was assigned to a context: the span rules match none of the spans")
    measured = f"{len(spans)} spans, {int(where.notna().sum())} with a context"
    if not inside:
        return Status.measured(f"{measured}; between processes only ({services} services, no span inside a process): "
                               "a call from one context into another within one process cannot show")
    return Status.measured(measured)


def load_status(config: Config, mined: Mined, window: dict) -> Status:
    th = config.thresholds
    if not mined.given("traces") or not window["buckets"]:
        return Status.not_measured(mined.missing("no spans given (sources.traces)", "traces"))
    problems = []
    if window["hours"] < th["min_load_hours"]:
        problems.append(f"the traces cover {_duration(window['hours'])} (min_load_hours = {th['min_load_hours']:g})")
    if window["buckets"] < th["min_load_buckets"]:
        problems.append(f"{window['buckets']} load buckets of {th['load_bucket_minutes']:g} minutes "
                        f"(min_load_buckets = {th['min_load_buckets']:g})")
    if problems:
        return Status.not_measurable("; ".join(problems) + ": peaks and load correlation need at least a daily cycle")
    return Status.measured(f"{_duration(window['hours'])} of traces in {window['buckets']} buckets")


def _duration(hours: float) -> str:
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} seconds"
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _contexts_per_trace(frame: pd.DataFrame) -> pd.Series:
    """Per trace (sorted), the sorted tuple of the contexts its spans belong to, for traces
    with two or more; one pass over the spans (a group per trace costs seconds)."""
    found: dict[str, set[str]] = {}
    for trace, context in zip(frame["trace"].to_numpy(dtype=object), frame["context"].to_numpy(dtype=object), strict=True):
        if not (pd.isna(trace) or pd.isna(context)):
            found.setdefault(trace, set()).add(context)
    kept = {trace: tuple(sorted(names)) for trace, names in sorted(found.items()) if len(names) >= 2}
    return pd.Series(list(kept.values()), index=pd.Index(list(kept), dtype="string", name="trace"), dtype=object, name="context")


def orchestration_of(spans: pd.DataFrame, where: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per entry point, the contexts its traces take part in; per pair, traces shared (see the
    module docstring). A trace's entry point is its root span's route (SERVER), destination
    (CONSUMER) or name, its value-like parts masked (:func:`analysis.core.privacy.mask_identifiers`:
    a route or a queue name that carries an id shows the template, ``/reset/{…}``);
    traces whose spans touch fewer than two contexts are left out."""
    if spans.empty:
        return typed_empty(ORCHESTRATION_COLUMNS), typed_empty(ORCHESTRATED_COLUMNS)
    weight = 1.0 / spans["sampling_ratio"].astype("float64").fillna(1.0).clip(lower=1e-9)
    root = spans["parent_span_id"].isna().to_numpy()
    roots_only = spans[root]  # only a root span's entry point is read: named (and masked) for those alone
    entry = pd.Series(pd.NA, index=spans.index, dtype="string")
    entry[root] = entry_points(roots_only)
    frame = pd.DataFrame({"trace": spans["trace_id"].astype("string").to_numpy(), "context": where.astype("string").to_numpy(),
                          "root": root, "entry": entry.to_numpy(), "weight": weight.to_numpy()})
    per_trace = _contexts_per_trace(frame)
    if per_trace.empty:
        return typed_empty(ORCHESTRATION_COLUMNS), typed_empty(ORCHESTRATED_COLUMNS)
    roots = frame[frame["root"]].drop_duplicates("trace").set_index("trace")
    trace_weight = frame.groupby("trace")["weight"].first()
    entries = pd.DataFrame({"contexts": per_trace, "weight": trace_weight.reindex(per_trace.index).to_numpy(),
                            "entry_point": roots["entry"].reindex(per_trace.index).fillna(NO_ROOT).to_numpy(),
                            "entry_context": roots["context"].reindex(per_trace.index).to_numpy()})
    return orchestration_frames(entries)


def entry_points(roots: pd.DataFrame) -> pd.Series:
    """The entry point of each root span (``http_route``, ``messaging_destination``, ``name``):
    its route, else its destination, else its name, value-like parts masked."""
    return (roots["http_route"].map(display_route, na_action="ignore").astype("string")
            .fillna(roots["messaging_destination"]).fillna(roots["name"])
            .astype("string").map(mask_identifiers, na_action="ignore").astype("string"))


def orchestration_frames(entries: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``orchestration`` and ``orchestrated`` frames of ``entries``: one row per trace (or
    per group of traces with the same entry point and contexts, ``weight`` their sum) with
    ``contexts`` (sorted tuple of two or more), ``weight``, ``entry_point`` (masked),
    ``entry_context``."""
    if entries.empty:
        return typed_empty(ORCHESTRATION_COLUMNS), typed_empty(ORCHESTRATED_COLUMNS)
    orchestration = (entries.groupby(["entry_point", "entry_context", "contexts"], dropna=False, sort=True)["weight"].sum()
                     .reset_index().rename(columns={"weight": "traces"}))
    orchestration = orchestration.sort_values(["traces", "entry_point"], ascending=[False, True], kind="stable")
    pairs: dict[tuple[str, str], float] = {}
    for contexts, w in zip(entries["contexts"], entries["weight"], strict=True):
        for i, a in enumerate(contexts):
            for b in contexts[i + 1:]:
                pairs[(a, b)] = pairs.get((a, b), 0.0) + float(w)
    orchestrated = pd.DataFrame([(a, b, n) for (a, b), n in sorted(pairs.items())], columns=list(ORCHESTRATED_COLUMNS))
    return (orchestration.astype({k: v for k, v in ORCHESTRATION_COLUMNS.items() if v != "object"}).reset_index(drop=True),
            orchestrated.astype(ORCHESTRATED_COLUMNS).assign(traces=lambda f: np.round(f["traces"], 3)))
