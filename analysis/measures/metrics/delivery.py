"""The migration scorecard's figures: how fast and how safely the monolith ships, what it
costs, how it performs — per period, per context, and before/after a day.

Inputs (frames of :mod:`analysis.core.frames`): ``deploys`` (a deploy log; release tags are
left out: they have neither duration nor outcome), ``incidents``, ``costs``, ``delivered``
(or merged pull requests, :func:`merged_pull_requests`), ``spans`` with ``span_context``, and
``commits`` / ``file_changes`` with ``file_context`` for the lead time.

Step 1 — :func:`observations`: one row per observed thing, ``kind, at, context, value, unit``:

====================  ===============================  ==========================================
kind                  value                            contexts
====================  ===============================  ==========================================
``deploy``            1 per deploy                      those it lists; none listed: every context
``deploy_time``       its duration (minutes)            as ``deploy``
``deploy_failed``     1 failed, 0 succeeded             as ``deploy`` (unknown, cancelled: none)
``lead_time``         hours from a commit to the first  each context the commit touches (a deploy
                      successful deploy at or after it  listing it, or listing none)
``incident``          1 per incident (opened)           those it lists
``time_to_restore``   hours from opened to resolved     those it lists
``change``            1 per delivered change            those it lists
``latency``           an entry span's duration (ms)     the span's context
``cost``              the amount (unit: currency)       the one context it names; none or several:
                                                        the whole monolith only
====================  ===============================  ==========================================

Every row is also counted for the whole monolith (context ``(all)``). Each source *covers*
the time from its first to its last row (:func:`coverage`): inside it, a period without
deploys has 0 deploys; outside it, nothing is known and nothing is shown.

Step 2 — :func:`period_table`: per period (``week``: from Monday, or ``month``, UTC) and
context, the scorecard's rows (:data:`METRICS`): counts, rates over the covered days, medians
and p90/p95 with their interval (:mod:`analysis.measures.metrics.intervals`), ``n`` the
observations behind each. Throughput (requests per minute at p50 and p95) comes from
:func:`requests_per_minute`: entry spans (SERVER, CONSUMER) per minute weighted by their
sampling, every minute of the traces' coverage counted, idle ones as 0.

Step 3 — :func:`before_after`: the same figures over the ``window_days`` before a day and the
``window_days`` from it, each side clipped to its source's coverage, with ``n``, the interval
of each side and whether the intervals overlap (then the change may be noise).

DORA's four keys are ``deploys_per_week`` (deployment frequency), ``lead_time_median_h``
(lead time for changes), ``change_failure_rate`` (failed deploys / failed and successful ones,
from the deploy log's status) and ``time_to_restore_median_h`` (time to restore service).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.frames import typed_empty
from analysis.measures.metrics.change import aligned_context
from analysis.measures.metrics.intervals import poisson_interval, proportion_interval, quantile, quantile_interval
from analysis.measures.metrics.load import ENTRY_KINDS, sampling_weights

ALL = "(all)"
#: metric -> (label, unit, observation kind, statistic, parameter): statistic is ``count``,
#: ``rate`` (per ``parameter`` days), ``quantile`` (``parameter`` = q), ``share`` or ``sum``
METRICS: dict[str, tuple[str, str, str, str, float]] = {
    "deploys": ("deploys", "deploys", "deploy", "count", 0),
    "deploys_per_week": ("deployment frequency", "per week", "deploy", "rate", 7),
    "deploy_time_median_min": ("deploy time, median", "min", "deploy_time", "quantile", 0.5),
    "deploy_time_p90_min": ("deploy time, p90", "min", "deploy_time", "quantile", 0.9),
    "change_failure_rate": ("change failure rate", "share", "deploy_failed", "share", 0),
    "lead_time_median_h": ("lead time for changes, median", "h", "lead_time", "quantile", 0.5),
    "latency_p95_ms": ("p95 latency of entry points", "ms", "latency", "quantile", 0.95),
    "throughput_rpm_p50": ("requests per minute, p50", "rpm", "requests_per_minute", "quantile", 0.5),
    "throughput_rpm_p95": ("requests per minute, p95", "rpm", "requests_per_minute", "quantile", 0.95),
    "changes": ("delivered changes", "changes", "change", "count", 0),
    "changes_per_week": ("change throughput", "per week", "change", "rate", 7),
    "incidents": ("incidents", "incidents", "incident", "count", 0),
    "incidents_per_month": ("incidents a month", "per 30 days", "incident", "rate", 30),
    "time_to_restore_median_h": ("time to restore, median", "h", "time_to_restore", "quantile", 0.5),
    "cost": ("infrastructure cost", "currency", "cost", "sum", 0),
}
DORA = ("deploys_per_week", "lead_time_median_h", "change_failure_rate", "time_to_restore_median_h")
OBSERVATION_COLUMNS = {"kind": "string", "at": "datetime64[ns, UTC]", "context": "string", "value": "float64", "unit": "string"}
TABLE_COLUMNS = {"period": "datetime64[ns, UTC]", "context": "string", "metric": "string", "value": "float64", "unit": "string",
                 "n": "int64", "low": "float64", "high": "float64"}
MINUTE_COLUMNS = {"context": "string", "minute": "datetime64[ns, UTC]", "requests": "float64"}
COMPARISON_COLUMNS = {"context": "string", "metric": "string", "unit": "string", "before": "float64", "after": "float64",
                      "change": "float64", "n_before": "Int64", "n_after": "Int64", "before_low": "float64",
                      "before_high": "float64", "after_low": "float64", "after_high": "float64", "note": "string"}
SQUASHED_PULL_REQUEST = re.compile(r"\(#\d+\)\s*$")


# --------------------------------------------------------------------------------------
# periods and coverage


def period_start(times: pd.Series, period: str) -> pd.Series:
    """The first instant (UTC) of each timestamp's week (from Monday) or calendar month."""
    utc = pd.to_datetime(times, utc=True).dt.tz_convert("UTC")
    day = utc.dt.normalize()
    if period == "week":
        return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).astype("datetime64[ns, UTC]")
    if period == "month":
        return (day - pd.to_timedelta(day.dt.day - 1, unit="D")).astype("datetime64[ns, UTC]")
    raise ValueError(f"period must be week or month, not {period!r}")


def period_end(start: pd.Timestamp, period: str) -> pd.Timestamp:
    return start + (pd.Timedelta(days=7) if period == "week" else pd.DateOffset(months=1))


def period_starts(span: tuple[pd.Timestamp, pd.Timestamp], period: str) -> pd.DatetimeIndex:
    """The starts of the periods a source's covered time ``span`` touches."""
    return pd.date_range(period_start(pd.Series([span[0]]), period).iloc[0], span[1], freq="W-MON" if period == "week" else "MS")


#: figures computed where the observations live (a trace engine): metric -> (stretch start ns,
#: stretch end ns, context) -> (value, n, low, high); a stretch absent has no value
Fixed = Mapping[str, Mapping[tuple[int, int, str], tuple]]


def _fixed_figure(fixed: Fixed | None, metric: str, start: pd.Timestamp, end: pd.Timestamp, context: str) -> tuple | None:
    if fixed is None or metric not in fixed:
        return None
    return fixed[metric].get((int(pd.Timestamp(start).value), int(pd.Timestamp(end).value), context), (None, 0, None, None))


def coverage(times: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A source's covered time: its first and last row (None without rows)."""
    known = pd.to_datetime(times, utc=True).dropna()
    return (known.min(), known.max()) if len(known) else None


def covered_days(start: pd.Timestamp, end: pd.Timestamp, span: tuple[pd.Timestamp, pd.Timestamp] | None) -> float:
    """Days of ``[start, end)`` inside a source's coverage (its last day counted whole)."""
    if span is None:
        return 0.0
    first, last = span[0].normalize(), span[1].normalize() + pd.Timedelta(days=1)
    overlap = min(end, last) - max(start, first)
    return max(0.0, overlap / pd.Timedelta(days=1))


# --------------------------------------------------------------------------------------
# observations


def _listed(contexts: pd.Series, names: Sequence[str], *, none_means_all: bool) -> list[list[str]]:
    out = []
    for text in contexts.astype(object):
        listed = [c for c in str(text).split(",") if c] if isinstance(text, str) else []
        out.append(list(names) if not listed and none_means_all else listed)
    return out


def _rows(kind: str, at: Iterable, contexts: Iterable[list[str]], values: Iterable[float],
          units: Iterable[str] | None = None) -> list[tuple]:
    """One row per listed context and one for ``(all)``, for each observation."""
    rows = []
    unit_of = iter(units) if units is not None else None
    for when, listed, value in zip(at, contexts, values):
        unit = next(unit_of) if unit_of is not None else ""
        rows += [(kind, when, context, float(value), unit) for context in [*listed, ALL]]
    return rows


def deploy_observations(deploys: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """``deploy``, ``deploy_time`` and ``deploy_failed`` rows from a deploy log's rows."""
    log = deploys[deploys["origin"] == "deploy-log"]
    if log.empty:
        return []
    listed = _listed(log["contexts"], names, none_means_all=True)
    at = list(log["deployed_at"])
    rows = _rows("deploy", at, listed, [1.0] * len(log))
    timed = log["duration_s"].notna().to_numpy(dtype=bool)
    rows += _rows("deploy_time", [a for a, t in zip(at, timed) if t], [c for c, t in zip(listed, timed) if t],
                  (log.loc[timed, "duration_s"].astype(float) / 60.0).tolist())
    status = log["status"].astype(object)
    judged = status.isin(["success", "failure"]).to_numpy(dtype=bool)
    rows += _rows("deploy_failed", [a for a, j in zip(at, judged) if j], [c for c, j in zip(listed, judged) if j],
                  (status[judged] == "failure").astype(float).tolist())
    return rows


def incident_observations(incidents: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """``incident`` and ``time_to_restore`` rows."""
    if incidents.empty:
        return []
    listed = _listed(incidents["contexts"], names, none_means_all=False)
    rows = _rows("incident", incidents["opened_at"], listed, [1.0] * len(incidents))
    resolved = incidents["resolved_at"].notna().to_numpy(dtype=bool)
    hours = ((incidents["resolved_at"] - incidents["opened_at"]) / pd.Timedelta(hours=1))[resolved]
    rows += _rows("time_to_restore", incidents.loc[resolved, "opened_at"], [c for c, r in zip(listed, resolved) if r], hours.tolist())
    return rows


def change_observations(delivered: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """``change`` rows from delivered changes (or merged pull requests)."""
    if delivered.empty:
        return []
    return _rows("change", delivered["delivered_at"], _listed(delivered["contexts"], names, none_means_all=False), [1.0] * len(delivered))


def cost_observations(costs: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """``cost`` rows: an amount naming one context is that context's (and the monolith's);
    one naming none or several is the monolith's only (never split by a guess)."""
    if costs.empty:
        return []
    listed = [c if len(c) == 1 else [] for c in _listed(costs["contexts"], names, none_means_all=False)]
    currency = costs["currency"].astype(object).where(costs["currency"].notna(), "").astype(str)
    return _rows("cost", costs["month"], listed, costs["amount"].astype(float).tolist(), units=currency.tolist())


def latency_observations(spans: pd.DataFrame, span_context: pd.Series) -> list[tuple]:
    """``latency`` rows: entry spans (SERVER, CONSUMER) and their duration."""
    entry = spans["kind"].isin(ENTRY_KINDS).to_numpy(dtype=bool)
    if not entry.any():
        return []
    ctx = pd.Series(span_context.to_numpy(dtype=object))[entry]
    listed = [[str(c)] if isinstance(c, str) else [] for c in ctx]
    return _rows("latency", spans.loc[entry, "start"], listed, spans.loc[entry, "duration_ms"].astype(float).tolist())


def lead_time_observations(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series,
                           deploys: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """``lead_time`` rows: for each commit after the deploy log's first deploy and each
    context it touches, hours to the first deploy at or after its commit time that ships
    that context (lists it, or lists none) and did not fail; for ``(all)``, until every one
    of its contexts is shipped (a commit touching none: the first deploy). A commit not
    shipped yet makes no row."""
    log = deploys[(deploys["origin"] == "deploy-log") & ~deploys["status"].isin(["failure", "cancelled"]).fillna(False)]
    if log.empty or commits.empty:
        return []
    shipped = _listed(log["contexts"], names, none_means_all=True)
    times = log["deployed_at"].to_numpy(dtype="datetime64[ns]")
    ships: dict[str, np.ndarray] = {c: np.sort(times[[c in s for s in shipped]]) for c in names}
    anything = np.sort(times)
    ctx = aligned_context(file_changes, file_context)
    touched = pd.DataFrame({"commit": file_changes["commit"], "context": ctx}).dropna().drop_duplicates()
    contexts_of = touched.groupby("commit")["context"].agg(lambda c: sorted(set(c))).to_dict()
    first = anything.min()

    def hours_to_ship(deployed: np.ndarray, when: np.datetime64) -> float | None:
        k = int(np.searchsorted(deployed, when, side="left"))
        return float((deployed[k] - when) / np.timedelta64(1, "h")) if k < len(deployed) else None

    rows = []
    for commit, when in zip(commits["commit"], commits["committed_at"].to_numpy(dtype="datetime64[ns]")):
        if when < first:
            continue
        at = pd.Timestamp(when, tz="UTC")
        contexts = contexts_of.get(commit, [])
        each = {c: hours_to_ship(ships.get(c, anything[:0]), when) for c in contexts}
        rows += [("lead_time", at, c, h, "") for c, h in each.items() if h is not None]
        known = [h for h in each.values() if h is not None]
        overall = hours_to_ship(anything, when) if not contexts else (max(known) if len(known) == len(each) else None)
        if overall is not None:
            rows.append(("lead_time", at, ALL, overall, ""))
    return rows


def merged_pull_requests(commits: pd.DataFrame, file_changes: pd.DataFrame, file_context: pd.Series,
                         merge_files: pd.DataFrame, merge_context: pd.Series) -> pd.DataFrame:
    """Merged pull requests from git history as a ``delivered`` frame: every merge commit
    with files (its pull request's contexts) and every commit whose subject ends with a
    pull request number, ``(#123)`` (a squash or rebase merge: its own files' contexts);
    ``delivered_at`` = the commit time, ``kind`` = ``pull request``."""
    rows = []
    merge_contexts = _contexts_by_commit(merge_files["commit"], merge_context.to_numpy(dtype=object))
    own_contexts = _contexts_by_commit(file_changes["commit"], aligned_context(file_changes, file_context).to_numpy(dtype=object))
    with_files = set(merge_files["commit"])
    for commit, when, is_merge, subject in zip(commits["commit"], commits["committed_at"], commits["is_merge"], commits["subject"]):
        if bool(is_merge) and commit in with_files:
            rows.append((when, merge_contexts.get(commit)))
        elif not bool(is_merge) and SQUASHED_PULL_REQUEST.search(str(subject)):
            rows.append((when, own_contexts.get(commit)))
    frame = pd.DataFrame(rows, columns=["delivered_at", "contexts"])
    frame["kind"] = "pull request"
    return frame.astype({"delivered_at": "datetime64[ns, UTC]", "contexts": "string", "kind": "string"}).sort_values(
        "delivered_at", kind="stable").reset_index(drop=True)


def _contexts_by_commit(commits: pd.Series, contexts: np.ndarray) -> dict[str, str]:
    """``commit -> "a,b"``: the sorted distinct contexts of each commit's rows (rows without a
    commit or a context left out), in one pass (a group per commit costs seconds)."""
    found: dict[str, set[str]] = {}
    known = (commits.notna().to_numpy(dtype=bool) & pd.notna(contexts)).nonzero()[0]
    for commit, context in zip(commits.to_numpy(dtype=object)[known], contexts[known], strict=True):
        found.setdefault(commit, set()).add(context)
    return {commit: ",".join(sorted(names)) for commit, names in found.items()}


def observations(rows: Iterable[tuple]) -> pd.DataFrame:
    """The observation rows as a frame (see the module docstring)."""
    listed = list(rows)
    if not listed:
        return typed_empty(OBSERVATION_COLUMNS)
    frame = pd.DataFrame(listed, columns=list(OBSERVATION_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.astype(OBSERVATION_COLUMNS)


def requests_per_minute(spans: pd.DataFrame, span_context: pd.Series) -> pd.DataFrame:
    """Entry spans per minute, per context and for ``(all)``, weighted by their sampling:
    columns ``context, minute, requests``; every minute from the first to the last span's
    minute (idle minutes as 0), for each context with an entry span."""
    columns = {"context": "string", "minute": "datetime64[ns, UTC]", "requests": "float64"}
    entry = spans["kind"].isin(ENTRY_KINDS).to_numpy(dtype=bool)
    if not entry.any():
        return typed_empty(columns)
    minute = pd.to_datetime(spans["start"], utc=True).dt.floor("1min")
    weight = sampling_weights(spans)[entry]
    frame = pd.DataFrame({"context": pd.Series(span_context.to_numpy(dtype=object))[entry].to_numpy(),
                          "minute": minute[entry].to_numpy(), "requests": weight})
    counts = [group.groupby("minute", as_index=False)["requests"].sum().assign(context=context)
              for context, group in [*frame.dropna(subset=["context"]).groupby("context", sort=True), (ALL, frame)]]
    return fill_minutes(pd.concat(counts, ignore_index=True), minute.min(), minute.max())


def fill_minutes(counts: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """``context, minute, requests`` for every minute from ``first`` to ``last`` (idle
    minutes as 0) of each context in ``counts`` (the minutes with requests), ``(all)`` last."""
    columns = MINUTE_COLUMNS
    minutes = pd.date_range(first, last, freq="1min")
    named = sorted(set(counts["context"].astype(str)) - {ALL})
    parts = []
    for context in [*named, ALL]:
        group = counts[counts["context"] == context]
        if context == ALL and group.empty:
            continue
        filled = group.set_index("minute")["requests"].reindex(minutes, fill_value=0.0)
        parts.append(pd.DataFrame({"context": context, "minute": minutes, "requests": filled.to_numpy(dtype=float)}))
    return pd.concat(parts, ignore_index=True).astype(columns) if parts else typed_empty(columns)


# --------------------------------------------------------------------------------------
# figures over a stretch of time


def figure(metric: str, values: pd.Series | np.ndarray, days: float, confidence: float) -> tuple[float | None, int, float | None, float | None]:
    """``(value, n, low, high)`` of one metric over observations covering ``days``."""
    _, _, _, statistic, parameter = METRICS[metric]
    data: Any = values.astype(float).to_numpy() if isinstance(values, pd.Series) else np.asarray(values, dtype=float)
    n = len(data)
    if statistic == "count":
        return (float(n) if days > 0 else None), n, None, None
    if statistic == "rate":
        if days <= 0:
            return None, n, None, None
        low, high = poisson_interval(n, confidence)
        scale = parameter / days
        return n * scale, n, low * scale, high * scale
    if statistic == "quantile":
        if not n:
            return None, 0, None, None
        low_q, high_q = quantile_interval(data, parameter, confidence)
        return quantile(data, parameter), n, low_q, high_q
    if statistic == "share":
        if not n:
            return None, 0, None, None
        low_s, high_s = proportion_interval(int(data.sum()), n, confidence)
        return float(data.mean()), n, low_s, high_s
    return (float(data.sum()) if n else None), n, None, None  # sum


def _metric_values(metric: str, obs: pd.DataFrame, per_minute: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows a metric reads (``at, context, value, unit``) and its source's kind."""
    kind = METRICS[metric][2]
    if kind == "requests_per_minute":
        return per_minute.rename(columns={"minute": "at", "requests": "value"}).assign(unit="rpm"), kind
    return obs[obs["kind"] == kind], kind


def period_table(obs: pd.DataFrame, per_minute: pd.DataFrame, coverages: Mapping[str, tuple | None], contexts: Sequence[str],
                 period: str, confidence: float = 0.95, fixed: Fixed | None = None) -> pd.DataFrame:
    """Per period and context, every metric whose source covers the period (module docstring);
    a metric in ``fixed`` takes its figures from there."""
    rows: list[tuple] = []
    for metric in METRICS:
        values, kind = _metric_values(metric, obs, per_minute)
        span = coverages.get(kind)
        if span is None:
            continue
        starts = period_starts(span, period)
        cells = _by_period_and_context(values, period)
        numbers = values["value"].astype(float).to_numpy()
        for start in starts:
            end = period_end(start, period)
            days = covered_days(start, end, span)
            for context in [*contexts, ALL]:
                rows_of = cells.get((pd.Timestamp(start).value, context), _NO_ROWS)
                if metric == "cost":
                    for currency, group in values.iloc[rows_of].groupby("unit", sort=True):
                        rows.append((start, context, metric, float(group["value"].sum()), currency or "(no currency)", len(group), None, None))
                    continue
                given = _fixed_figure(fixed, metric, start, end, context)
                value, n, low, high = given if given is not None else figure(metric, numbers[rows_of], days, confidence)
                if value is None:
                    continue
                rows.append((start, context, metric, value, METRICS[metric][1], n, low, high))
    if not rows:
        return typed_empty(TABLE_COLUMNS)
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    out["_order"] = out["metric"].map(list(METRICS).index)
    out = out.sort_values(["period", "context", "_order", "unit"], kind="stable").drop(columns="_order")
    return out.astype(TABLE_COLUMNS).reset_index(drop=True)


_NO_ROWS = np.empty(0, dtype=np.intp)


def _by_period_and_context(values: pd.DataFrame, period: str) -> dict[tuple[int, str], np.ndarray]:
    """The positions of ``values``' rows by (the nanoseconds of their period's start, their
    context), grouped once: selecting each period's and context's rows one by one costs
    tens of seconds over a long history's months and contexts. Rows without a context
    belong to no group."""
    if not len(values):
        return {}
    keys = pd.DataFrame({"start": period_start(values["at"], period).to_numpy(dtype="datetime64[ns]").astype("int64"),
                         "context": values["context"].to_numpy(dtype=object)})
    return {(int(start), str(context)): rows
            for (start, context), rows in keys.groupby(["start", "context"], sort=False, dropna=True).indices.items()}


def before_after(obs: pd.DataFrame, per_minute: pd.DataFrame, coverages: Mapping[str, tuple | None], contexts: Sequence[str],
                 day: pd.Timestamp, window_days: float, confidence: float = 0.95, fixed: Fixed | None = None) -> pd.DataFrame:
    """Every metric over ``[day - window_days, day)`` and ``[day, day + window_days)``, each
    side clipped to its source's coverage; per context in ``contexts`` (and ``(all)``)."""
    day = pd.Timestamp(day).tz_convert("UTC") if pd.Timestamp(day).tzinfo else pd.Timestamp(day).tz_localize("UTC")
    sides = {"before": (day - pd.Timedelta(days=window_days), day), "after": (day, day + pd.Timedelta(days=window_days))}
    rows = []
    for metric, (_, unit, _, statistic, _) in METRICS.items():
        if statistic == "count":
            continue  # counts depend on the window's length: the rate stands for them
        values, kind = _metric_values(metric, obs, per_minute)
        span = coverages.get(kind)
        if span is None:
            continue
        for context in dict.fromkeys([*contexts, ALL]):
            mine = values[values["context"] == context]
            units = sorted(set(mine["unit"])) if metric == "cost" else [unit]
            for shown_unit in units or [unit]:
                found: dict[str, tuple] = {}
                for side, (start, end) in sides.items():
                    days = covered_days(start, end, span)
                    at = mine["at"] + pd.Timedelta(days=14) if metric == "cost" else mine["at"]  # a month counts where its middle falls
                    chosen = mine[((at >= start) & (at < end)).to_numpy(dtype=bool)]
                    if metric == "cost":
                        monthly = chosen[chosen["unit"] == shown_unit].groupby("at")["value"].sum()
                        found[side] = (float(monthly.mean()) if len(monthly) else None, len(monthly), None, None) if days > 0 else (None, 0, None, None)
                    else:
                        given = _fixed_figure(fixed, metric, start, end, context)
                        found[side] = ((given if given is not None else figure(metric, chosen["value"], days, confidence))
                                       if days > 0 else (None, 0, None, None))
                rows.append(_comparison(context, metric, shown_unit if metric == "cost" else unit, found, confidence))
    if not rows:
        return typed_empty(COMPARISON_COLUMNS)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS)).astype(COMPARISON_COLUMNS)


def _comparison(context: str, metric: str, unit: str, found: dict, confidence: float) -> tuple:
    (before, n_b, lo_b, hi_b), (after, n_a, lo_a, hi_a) = found["before"], found["after"]
    change = after - before if before is not None and after is not None else None
    if before is None or after is None:
        missing = [side for side, f in found.items() if f[0] is None]
        note = f"no evidence {' and '.join(missing)}: the source does not cover it or holds nothing there"
    elif metric == "cost":
        note = f"mean of {n_b} and {n_a} months"
    elif None in (lo_b, hi_b, lo_a, hi_a):
        note = f"n = {n_b} before, {n_a} after: too few values for a {confidence:.0%} interval — the change may be noise"
    elif hi_b < lo_a or hi_a < lo_b:
        note = f"the {confidence:.0%} intervals do not overlap"
    else:
        note = f"the {confidence:.0%} intervals overlap: the change may be noise"
    return (context, metric, unit, before, after, change, n_b, n_a, lo_b, hi_b, lo_a, hi_a, note)
