"""The migration scorecard: the before/after table a migration is judged by, from Seams' inputs.

``measure_scorecard(config, mined, units) -> ScorecardEvidence``: per period (``scorecard.period``:
week or month) and context, deploy time (median, p90), deployment frequency, change failure
rate, lead time for changes, p95 latency of entry points, requests per minute (p50, p95),
delivered changes, incidents and time to restore, infrastructure cost
(:mod:`analysis.measures.metrics.delivery` defines each); DORA's four keys over all the covered
time; and, around each ``scorecard.events`` day, the ``scorecard_window_days`` before against
the same after, with the uncertainty of each side (``scorecard_confidence``).

Inputs and their states (``statuses``):

- ``deploys`` — a deploy log (``sources.git.deploys``); release tags alone are *not
  measurable* here (no duration, no outcome);
- ``lead_time`` — the deploy log and the git history together;
- ``incidents``, ``costs`` — their logs (``sources.incidents``, ``sources.costs``); costs are
  monthly, so with ``period: week`` they are *not measurable* per period;
- ``changes`` — the delivered-changes log (``sources.delivered``), else merged pull requests
  from git history (merge commits, or subjects ending ``(#123)``);
- ``traces`` — entry spans (SERVER, CONSUMER) for latency and throughput.

A source not given is *not measured*: its rows are absent, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.evidence import Status
from analysis.core.frames import Mined, typed_empty
from analysis.mapping.units import Units
from analysis.measures.metrics import delivery
from analysis.measures.metrics.load import ENTRY_KINDS

DORA_LABELS = {"deploys_per_week": "deployment frequency", "lead_time_median_h": "lead time for changes",
               "change_failure_rate": "change failure rate", "time_to_restore_median_h": "time to restore service"}
DORA_COLUMNS = {"key": "string", "metric": "string", "value": "float64", "unit": "string", "n": "Int64", "low": "float64",
                "high": "float64", "state": "string", "reason": "string"}
EVENT_COLUMNS = {"event": "string", "date": "string", "window_days": "float64"}


@dataclass(frozen=True)
class ScorecardEvidence:
    period: str
    statuses: dict[str, Status]
    table: pd.DataFrame  # period, context, metric, value, unit, n, low, high
    comparisons: pd.DataFrame  # event, date, window_days, context, metric, unit, before, after, change, n and intervals, note
    dora: pd.DataFrame  # key, metric, value, unit, n, low, high, state, reason (the whole monolith, all covered time)
    changes_origin: str | None  # "delivered log", "pull requests" or None


def measure_scorecard(config: Config, mined: Mined, units: Units) -> ScorecardEvidence:
    names = list(units.names)
    deploys = mined["deploys"]
    delivered, changes_origin = changes_frame(mined, units)
    rows = [*delivery.deploy_observations(deploys, names), *delivery.incident_observations(mined["incidents"], names),
            *delivery.change_observations(delivered, names), *delivery.latency_observations(mined["spans"], units.span_context),
            *delivery.lead_time_observations(mined["commits"], mined["file_changes"], units.file_context, deploys, names)]
    period = config.scorecard.period
    if period == "month":
        rows += delivery.cost_observations(mined["costs"], names)
    obs = delivery.observations(rows)
    per_minute = delivery.requests_per_minute(mined["spans"], units.span_context)
    statuses = input_statuses(config, mined, delivered, changes_origin)
    coverages = source_coverages(mined, delivered, statuses)
    confidence = float(config.thresholds["scorecard_confidence"])
    window = float(config.thresholds["scorecard_window_days"])
    comparisons = [delivery.before_after(obs, per_minute, coverages, [e.context] if e.context else [],
                                         pd.Timestamp(e.date, tz="UTC"), window, confidence)
                   .assign(event=e.label, date=e.date.isoformat(), window_days=window)
                   for e in config.scorecard.events]
    compared = pd.concat([c for c in comparisons if len(c)], ignore_index=True) if any(len(c) for c in comparisons) else None
    columns = {**EVENT_COLUMNS, **delivery.COMPARISON_COLUMNS}
    return ScorecardEvidence(
        period=period, statuses=statuses,
        table=delivery.period_table(obs, per_minute, coverages, names, period, confidence),
        comparisons=compared[list(columns)].astype(columns) if compared is not None else typed_empty(columns),
        dora=dora_keys(obs, coverages, statuses, confidence), changes_origin=changes_origin,
    )


def changes_frame(mined: Mined, units: Units) -> tuple[pd.DataFrame, str | None]:
    """The delivered changes: the log when given, else merged pull requests from git."""
    if mined.given("delivered"):
        return mined["delivered"], "delivered log"
    if mined.given("git"):
        return delivery.merged_pull_requests(mined["commits"], mined["file_changes"], units.file_context,
                                             mined["merge_files"], units.merge_context), "pull requests"
    return mined["delivered"], None


def _span_text(span: tuple | None) -> str:
    return f"{span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}" if span else ""


def input_statuses(config: Config, mined: Mined, delivered: pd.DataFrame, changes_origin: str | None) -> dict[str, Status]:
    """The state of each scorecard input (see the module docstring)."""
    deploys = mined["deploys"]
    log = deploys[deploys["origin"] == "deploy-log"]
    out: dict[str, Status] = {}
    if not mined.given("git"):
        out["deploys"] = Status.not_measured("no deploy log (sources.git.deploys)")
    elif log.empty:
        out["deploys"] = (Status.not_measurable("release tags only: they have no duration and no outcome; give a deploy log (sources.git.deploys)")
                          if len(deploys) else Status.not_measured("no deploy log (sources.git.deploys) and no release tags"))
    else:
        out["deploys"] = Status.measured(f"{len(log)} deploys, {_span_text(delivery.coverage(log['deployed_at']))}")
    out["lead_time"] = (Status.measured("commits of the git history to the deploy log's deploys") if out["deploys"].known and len(mined["commits"])
                        else Status.not_measured("lead time needs the deploy log and the git history"))
    for kind, column, what in (("incidents", "opened_at", "incident log"), ("costs", "month", "cost log")):
        frame = mined[kind]
        if not mined.given(kind):
            out[kind] = Status.not_measured(f"no {what} (sources.{kind})")
        elif frame.empty:
            out[kind] = Status.not_measurable(f"the {what} holds no readable row")
        else:
            out[kind] = Status.measured(f"{len(frame)} rows, {_span_text(delivery.coverage(frame[column]))}")
    if out["costs"].known and config.scorecard.period == "week":
        out["costs"] = Status.not_measurable("costs are monthly: set scorecard.period: month to see them")
    if changes_origin is None:
        out["changes"] = Status.not_measured("no delivered-changes log (sources.delivered) and no git history")
    elif delivered.empty:
        out["changes"] = Status.not_measurable("no merged pull request in the history (merge commits, or subjects ending '(#123)'); "
                                               "give a delivered-changes log (sources.delivered)" if changes_origin == "pull requests"
                                               else "the delivered-changes log holds no readable row")
    else:
        out["changes"] = Status.measured(f"{len(delivered)} {'merged pull requests' if changes_origin == 'pull requests' else 'delivered changes'}, "
                                         f"{_span_text(delivery.coverage(delivered['delivered_at']))}")
    spans = mined["spans"]
    entry = spans[spans["kind"].isin(ENTRY_KINDS)]
    if not mined.given("traces"):
        out["traces"] = Status.not_measured("no traces (sources.traces)")
    elif spans.empty and len(mined["store_coverage"]):
        out["traces"] = Status.not_measured(
            "the traces were aggregated in a trace engine (format: clickhouse, or a file above trace_store_min_mib): "
            "the scorecard's latency and request rates are computed from each entry span, and an engine hands back aggregates")
    elif entry.empty:
        out["traces"] = Status.not_measurable("the traces hold no entry span (SERVER or CONSUMER)")
    else:
        out["traces"] = Status.measured(f"{len(entry)} entry spans, {_span_text(delivery.coverage(spans['start']))}")
    return out


def source_coverages(mined: Mined, delivered: pd.DataFrame, statuses: dict[str, Status]) -> dict[str, tuple | None]:
    """Each observation kind's covered time (None when its source is not known)."""
    log = mined["deploys"][mined["deploys"]["origin"] == "deploy-log"]
    deploys = delivery.coverage(log["deployed_at"]) if statuses["deploys"].known else None
    incidents = delivery.coverage(mined["incidents"]["opened_at"]) if statuses["incidents"].known else None
    costs = delivery.coverage(mined["costs"]["month"]) if statuses["costs"].known else None
    if costs is not None:
        costs = (costs[0], costs[1] + pd.DateOffset(months=1) - pd.Timedelta(days=1))
    changes = delivery.coverage(delivered["delivered_at"]) if statuses["changes"].known else None
    spans = mined["spans"]
    traces = (pd.to_datetime(spans["start"], utc=True).min(), pd.to_datetime(spans["end"], utc=True).max()) if statuses["traces"].known else None
    return {"deploy": deploys, "deploy_time": deploys, "deploy_failed": deploys,
            "lead_time": deploys if statuses["lead_time"].known else None, "incident": incidents, "time_to_restore": incidents,
            "change": changes, "cost": costs, "latency": traces, "requests_per_minute": traces}


def dora_keys(obs: pd.DataFrame, coverages: dict[str, tuple | None], statuses: dict[str, Status], confidence: float) -> pd.DataFrame:
    """DORA's four keys for the whole monolith over all the time their source covers."""
    sources = {"deploys_per_week": "deploys", "lead_time_median_h": "lead_time", "change_failure_rate": "deploys",
               "time_to_restore_median_h": "incidents"}
    rows: list[tuple] = []
    for metric, key in DORA_LABELS.items():
        status = statuses[sources[metric]]
        kind = delivery.METRICS[metric][2]
        span = coverages.get(kind)
        values = obs[(obs["kind"] == kind) & (obs["context"] == delivery.ALL)]["value"]
        if status.known and span is not None and (len(values) or metric == "deploys_per_week"):
            days = delivery.covered_days(span[0].normalize(), span[1].normalize() + pd.Timedelta(days=1), span)
            value, n, low, high = delivery.figure(metric, values, days, confidence)
            rows.append((key, metric, value, delivery.METRICS[metric][1], n, low, high, "measured", f"{status.reason}"))
        elif status.known:
            reason = ("the deploy log gives no outcome (status)" if metric == "change_failure_rate"
                      else "no incident was resolved" if metric == "time_to_restore_median_h" else "no commit was deployed after it")
            rows.append((key, metric, None, delivery.METRICS[metric][1], None, None, None, "not measurable", reason))
        else:
            rows.append((key, metric, None, delivery.METRICS[metric][1], None, None, None, status.state.value, status.reason))
    return pd.DataFrame(rows, columns=list(DORA_COLUMNS)).astype(DORA_COLUMNS)
