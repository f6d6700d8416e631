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
- ``traces`` — entry spans (SERVER, CONSUMER) for latency and throughput; spans aggregated in a
  trace engine give their requests per minute and the latency quantile of each period and
  event window (:mod:`analysis.measures.runtime_entries`, asked for by :func:`entry_spec`).

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
from analysis.measures.runtime_entries import EntrySpec
from analysis.measures.runtime_store import store_window

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
    stored = _in_engine(mined)
    per_minute = stored_minutes(mined) if stored else delivery.requests_per_minute(mined["spans"], units.span_context)
    fixed = stored_latency(mined) if stored else None
    statuses = input_statuses(config, mined, delivered, changes_origin)
    coverages = source_coverages(mined, delivered, statuses)
    confidence = float(config.thresholds["scorecard_confidence"])
    window = float(config.thresholds["scorecard_window_days"])
    comparisons = [delivery.before_after(obs, per_minute, coverages, [e.context] if e.context else [],
                                         pd.Timestamp(e.date, tz="UTC"), window, confidence, fixed=fixed)
                   .assign(event=e.label, date=e.date.isoformat(), window_days=window)
                   for e in config.scorecard.events]
    compared = pd.concat([c for c in comparisons if len(c)], ignore_index=True) if any(len(c) for c in comparisons) else None
    columns = {**EVENT_COLUMNS, **delivery.COMPARISON_COLUMNS}
    return ScorecardEvidence(
        period=period, statuses=statuses,
        table=delivery.period_table(obs, per_minute, coverages, names, period, confidence, fixed=fixed),
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
    elif _in_engine(mined):
        figures = mined.store_figures()
        entries, stores = int(figures.get("entry_spans", 0)), int(figures.get("stores", 0))
        window = _store_span(mined)
        if not entries:
            out["traces"] = Status.not_measurable("the traces hold no entry span (SERVER or CONSUMER)")
        else:
            out["traces"] = Status.measured(
                f"{entries} entry spans aggregated in the trace engine, {_span_text(window)}"
                + (f"; latency quantiles not measured: {stores} trace stores, and quantiles do not add up across them"
                   if stores > 1 else ""))
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
    traces = ((_store_span(mined) if _in_engine(mined) else
               (pd.to_datetime(spans["start"], utc=True).min(), pd.to_datetime(spans["end"], utc=True).max()))
              if statuses["traces"].known else None)
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


# --------------------------------------------------------------------------------------
# spans aggregated in a trace engine


def entry_spec(config: Config, contexts: list[str]) -> EntrySpec:
    """What the scorecard asks a trace engine of the entry spans: the periods the spans touch
    and the events' windows, each context's and the whole monolith's p95 latency there with its
    interval (:mod:`analysis.measures.runtime_entries`)."""
    period = config.scorecard.period
    window = pd.Timedelta(days=float(config.thresholds["scorecard_window_days"]))
    days = [pd.Timestamp(e.date, tz="UTC") for e in config.scorecard.events]

    def windows(first: pd.Timestamp, last: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        stretches = [(start, delivery.period_end(start, period)) for start in delivery.period_starts((first, last), period)]
        return stretches + [side for day in days for side in ((day - window, day), (day, day + window))]

    return EntrySpec(windows=windows, contexts=tuple(contexts), q=float(delivery.METRICS[LATENCY_METRIC][4]),
                     confidence=float(config.thresholds["scorecard_confidence"]))


#: the scorecard's latency figure (computed in the engine when the spans are there)
LATENCY_METRIC = "latency_p95_ms"


def _in_engine(mined: Mined) -> bool:
    return mined["spans"].empty and len(mined["store_coverage"]) > 0


def _store_span(mined: Mined) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    window = store_window(mined, 1)
    return None if window["first_span"] is None else (window["first_span"], window["last_span"])


def stored_minutes(mined: Mined) -> pd.DataFrame:
    """Requests per minute (as :func:`analysis.measures.metrics.delivery.requests_per_minute`)
    from the engine's counts, idle minutes filled."""
    got, counts = mined.store_figures(), mined["store_entry_minutes"]
    if not len(counts) or "first_minute" not in got:
        return typed_empty(delivery.MINUTE_COLUMNS)
    first, last = (pd.Timestamp(int(got[key]) * 60 * 10**9, tz="UTC") for key in ("first_minute", "last_minute"))
    return delivery.fill_minutes(counts, first, last)


def stored_latency(mined: Mined) -> delivery.Fixed:
    """The latency figures the engine computed, per stretch and context."""
    rows = mined["store_entry_latency"]
    return {LATENCY_METRIC: {(int(r.lo_ns), int(r.hi_ns), str(r.context)):
                             (float(r.value), int(r.n), None if pd.isna(r.low) else float(r.low),
                              None if pd.isna(r.high) else float(r.high)) for r in rows.itertuples()}}
