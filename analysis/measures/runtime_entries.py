"""The scorecard's traffic figures aggregated in a trace engine: entry spans per minute, and
their latency quantile with its interval per stretch of time and context, read back per
minute and per stretch, never per span.

:func:`entry_figures` ``(db, spec) -> (minutes, latency)``, run by
:func:`analysis.measures.runtime_sql.aggregate_spans` in its session over ``seams_t`` and
``seams_c`` (the spans' contexts):

- ``minutes``: ``context, minute, requests`` — entry spans (SERVER, CONSUMER) per context
  and minute with any, weighted by their sampling, and the same for ``(all)``; with the
  spans' first and last minute (``first_minute_ns``, ``last_minute_ns``) the scorecard fills
  idle minutes as the file path does (:func:`analysis.measures.metrics.delivery.fill_minutes`);
- ``latency``: ``lo_ns, hi_ns, context, n, value, low, high`` — for each stretch
  ``[lo, hi)`` the spec asks for (the scorecard's periods and its events' windows, from the
  spans' window) and each context and ``(all)``: the entry spans starting in it, their
  duration's ``q`` quantile (numpy's, type 7) and the order statistics bounding it with the
  spec's confidence (:func:`analysis.measures.metrics.intervals.quantile_ranks`). The engine
  counts each stretch's spans, then returns only the order statistics these need (at most
  four a stretch), as :func:`analysis.measures.runtime_sql._latency` does for calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analysis.core.frames import typed_empty
from analysis.measures.metrics.delivery import ALL, MINUTE_COLUMNS
from analysis.measures.metrics.intervals import quantile_ranks
from analysis.measures.runtime_sql import MINUTE_NS as _MINUTE_NS
from analysis.measures.runtime_sql import _Session, _weight, interpolate, percentile_ranks

LATENCY_COLUMNS = {"lo_ns": "int64", "hi_ns": "int64", "context": "string", "n": "int64", "value": "float64",
                   "low": "float64", "high": "float64"}


@dataclass(frozen=True)
class EntrySpec:
    """What the scorecard asks of the entry spans: the stretches of time (``windows(first,
    last)`` -> ``[(lo, hi)]``, given the spans' first start and last end), the contexts, the
    quantile ``q`` (0-1) and the interval's ``confidence``."""

    windows: Callable[[pd.Timestamp, pd.Timestamp], list[tuple[pd.Timestamp, pd.Timestamp]]]
    contexts: tuple[str, ...]
    q: float
    confidence: float


def entry_figures(db: _Session, spec: EntrySpec) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``(minutes, latency, figures)`` (see the module docstring); ``figures``: ``entry_spans``,
    ``first_minute_ns`` and ``last_minute_ns`` (of every span)."""
    db.table("seams_e", f"""
        SELECT s.rid AS rid, s.start_ns AS start_ns, s.duration_ms AS duration_ms, c.ctx AS ctx, {_weight(None)} AS weight
        FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid
        WHERE s.kind IN ('SERVER', 'CONSUMER')""")
    span = db.frame(f"""
        SELECT MIN(start_ns - (start_ns % {_MINUTE_NS})) AS first_minute, MAX(start_ns - (start_ns % {_MINUTE_NS})) AS last_minute,
               MIN(start_ns) AS first_ns, MAX(end_ns) AS last_ns FROM seams_t""").iloc[0]
    entries = db.count("seams_e")
    figures = {"entry_spans": entries}
    if not entries:
        return typed_empty(MINUTE_COLUMNS), typed_empty(LATENCY_COLUMNS), figures
    figures.update(first_minute_ns=int(span["first_minute"]), last_minute_ns=int(span["last_minute"]))
    minute = f"e.start_ns - (e.start_ns % {_MINUTE_NS})"
    minutes = pd.concat([db.frame(f"""
        SELECT e.ctx AS context, {minute} AS minute_ns, SUM(e.weight) AS requests
        FROM seams_e AS e WHERE e.ctx IS NOT NULL GROUP BY e.ctx, {minute}"""), db.frame(f"""
        SELECT '{ALL}' AS context, {minute} AS minute_ns, SUM(e.weight) AS requests FROM seams_e AS e GROUP BY {minute}""")],
        ignore_index=True)
    minutes = pd.DataFrame({"context": minutes["context"].astype(str),
                            "minute": pd.to_datetime(minutes["minute_ns"].astype("int64"), utc=True),
                            "requests": minutes["requests"].astype(float)}).astype(MINUTE_COLUMNS)
    first, last = pd.Timestamp(int(span["first_ns"]), tz="UTC"), pd.Timestamp(int(span["last_ns"]), tz="UTC")
    return minutes.sort_values(["context", "minute"]).reset_index(drop=True), _latency(db, spec, first, last), figures


def _latency(db: _Session, spec: EntrySpec, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    stretches = sorted({(int(pd.Timestamp(lo).value), int(pd.Timestamp(hi).value)) for lo, hi in spec.windows(first, last)})
    groups = pd.DataFrame([(str(i), str(lo), str(hi), ctx) for i, (lo, hi, ctx) in
                           enumerate((lo, hi, ctx) for lo, hi in stretches for ctx in (*spec.contexts, ALL))],
                          columns=["gid", "lo", "hi", "ckey"])
    if groups.empty:
        return typed_empty(LATENCY_COLUMNS)
    db.store.load_frame("seams_lg", groups)
    # each entry span once under its context and once under (all); the stretches joined on that key
    db.table("seams_eg", f"""
        SELECT CAST(g.gid AS BIGINT) AS gid, e.duration_ms AS duration_ms
        FROM (SELECT start_ns, duration_ms, ctx AS ckey FROM seams_e WHERE ctx IS NOT NULL
              UNION ALL SELECT start_ns, duration_ms, '{ALL}' AS ckey FROM seams_e) AS e
        JOIN seams_lg AS g ON g.ckey = e.ckey
        WHERE e.start_ns >= CAST(g.lo AS BIGINT) AND e.start_ns < CAST(g.hi AS BIGINT)""")
    counts = db.frame("SELECT gid, COUNT(*) AS n FROM seams_eg GROUP BY gid")
    wanted: dict[int, tuple] = {}
    for gid, n in zip(counts["gid"].astype(int), counts["n"].astype(int), strict=True):
        lo, hi, gamma = percentile_ranks(n, spec.q * 100)
        lower, upper = quantile_ranks(n, spec.q, spec.confidence)
        wanted[gid] = (n, lo + 1, hi + 1, gamma, lower, upper)
    ranks = sorted({(gid, r) for gid, (_, a, b, _, lower, upper) in wanted.items() for r in (a, b, lower, upper) if r})
    if not ranks:
        return typed_empty(LATENCY_COLUMNS)
    db.store.load_frame("seams_lr", pd.DataFrame(ranks, columns=["gid", "rnk"]).astype(str))
    if db.store.dialect == "clickhouse":
        values = db.store.frame("""
            SELECT g.gid AS gid, CAST(q.rnk AS Int64) AS rn, g.sorted[CAST(q.rnk AS Int64)] AS duration_ms
            FROM (SELECT gid, arraySort(groupArray(duration_ms)) AS sorted FROM seams_eg GROUP BY gid) AS g
            JOIN seams_lr AS q ON CAST(q.gid AS Int64) = g.gid""")
    else:
        values = db.frame("""
            SELECT o.gid AS gid, o.rn AS rn, o.duration_ms AS duration_ms
            FROM (SELECT gid, duration_ms, ROW_NUMBER() OVER (PARTITION BY gid ORDER BY duration_ms) AS rn FROM seams_eg) AS o
            JOIN seams_lr AS q ON CAST(q.gid AS BIGINT) = o.gid AND CAST(q.rnk AS BIGINT) = o.rn""")
    at = {(int(g), int(r)): float(d) for g, r, d in zip(values["gid"], values["rn"], values["duration_ms"], strict=True)}
    rows = []
    for gid, (n, a, b, gamma, lower, upper) in sorted(wanted.items()):
        lo_ns, hi_ns, ctx = groups.loc[gid, ["lo", "hi", "ckey"]]
        rows.append((int(lo_ns), int(hi_ns), ctx, n, interpolate(at[(gid, a)], at[(gid, b)], gamma),
                     at[(gid, lower)] if lower else None, at[(gid, upper)] if upper else None))
    return pd.DataFrame(rows, columns=list(LATENCY_COLUMNS)).astype(LATENCY_COLUMNS)
