"""Runtime evidence: calls between contexts, their latency, chains, load curves, scaling
asymmetry and trace coverage, from the traces.

``measure_runtime(config, mined, units) -> RuntimeEvidence``. With only Jaeger's service
dependencies (no spans), calls are service-level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import runtime
from analysis.measures.metrics import load, observability

#: Contexts a synchronous chain must cross to be listed.
CHAIN_MIN_CONTEXTS = 3


@dataclass(frozen=True)
class RuntimeEvidence:
    calls: pd.DataFrame
    latency: pd.DataFrame
    fan_in: pd.DataFrame
    chains: pd.DataFrame
    curves: pd.DataFrame
    asymmetry: pd.DataFrame
    coverage: dict
    sampling: str | None  # how counts were scaled for sampling, None when they were not


def measure_runtime(config: Config, mined: Mined, units: Units) -> RuntimeEvidence:
    th, spans, where, cmap = config.thresholds, mined["spans"], units.span_context, units.context_map
    rows = runtime.call_rows(spans, where, mined["span_links"])  # the ancestor walk, once
    calls = runtime.calls_of_rows(rows)
    deps = mined["service_dependencies"]
    if calls.empty and len(deps):  # only Jaeger's dependencies: service-level coupling
        calls = runtime.service_calls(deps, cmap.assign_spans(pd.DataFrame({"service": deps["parent"]})),
                                      cmap.assign_spans(pd.DataFrame({"service": deps["child"]})))
    sampling_ratio = next((t.sampling_ratio for t in config.traces if t.sampling_ratio), None)
    curves = load.load_curves(spans, where, bucket_minutes=int(th["load_bucket_minutes"]), sampling_ratio=sampling_ratio)
    inventory = (mined["entry_points"][["kind", "name"]].assign(context=units.entry_point_context)
                 if mined.given("entry_points") else None)
    coverage = observability.coverage(list(units.names), spans, where, mined["statements"], units.statements,
                                      entry_points=inventory)
    coverage.pop("entry_points", None)  # route templates and queue names: span attribute values stay out of reports
    return RuntimeEvidence(
        calls=calls,
        latency=runtime.latency_of_rows(rows, spans),
        fan_in=runtime.sync_fan_in(calls),
        chains=runtime.call_chains(spans, where, min_contexts=CHAIN_MIN_CONTEXTS),
        curves=curves,
        asymmetry=load.scaling_asymmetry(curves, correlation_minutes=int(th["load_correlation_minutes"])),
        coverage=coverage,
        sampling=load.sampling_note(spans, sampling_ratio),
    )
