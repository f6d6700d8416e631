"""The runtime aggregation as SQL: calls between contexts, load per context per bucket,
coverage figures and database statements per context, computed inside an engine that holds
the spans (ClickHouse, chDB, DuckDB) and read back as aggregates, never as spans.

:func:`aggregate_spans` ``(store, context_map, *, bucket_minutes, max_depth, sampling_ratio)
-> StoreAggregates``. ``store`` is a :class:`SpanStore`: an engine session holding a flat span
table ``seams_t`` (one row per span) and optionally a links table ``seams_links``:

========================  =====================================================================
``seams_t`` column        meaning (as the ``spans`` frame of :mod:`analysis.core.frames`)
========================  =====================================================================
``rid``                   a row number, unique (joins walk the tree by it)
``trace_id, span_id``     ids (text); ``parent_span_id`` NULL when the span names none
``kind``                  ``SERVER``, ``CLIENT``, ``INTERNAL``, ``PRODUCER``, ``CONSUMER``, ...
``name, service``         span and service name
``start_ns, end_ns``      start and end, integer nanoseconds since the epoch (UTC)
``duration_ms``           (end - start) / 1e6
``is_error``              boolean
``code_namespace`` ...    ``code_function``, ``http_route``, ``db_system``,
                          ``messaging_destination``, ``attributes`` (JSON of the named
                          attributes): NULL when absent
``db_key``                the statement's key: its fingerprint when the reader made one, else
                          the engine's normalized statement (fingerprinted by the store)
``db_tables``             the statement's tables (``table:access`` list) when known
``link_count``            span links the span holds
``sampling_ratio``        the span's known head-sampling ratio, NULL when unknown
========================  =====================================================================

``seams_links``: ``ord`` (row order), ``trace_id, span_id, linked_trace_id, linked_span_id``.

One definition serves every engine: each statement below is written once and generated for
the store's dialect by sqlglot (:func:`render`). The steps, each a table in the engine:

1. *rules*: the distinct combinations of the values the span rules read (code namespace,
   route, destination, name, service, named attributes) are read back and matched by the
   context map itself (:meth:`analysis.mapping.contexts.ContextMap.assign_spans`: most specific
   rule first) — the rules are the mapping's, never re-written in SQL; the matches go back to
   the engine as a small table and are joined to the spans;
2. *parents*: each span's parent (same trace, ``span_id`` = its ``parent_span_id``; a span
   naming itself has none), and with span links the first linked span for a span without a
   parent in the data (:func:`analysis.measures.coupling.runtime.link_parents`);
3. *ancestors*: the nearest proper ancestor with a context, walked one level per statement
   over the spans still unresolved, at most ``max_depth`` levels (setting
   ``max_ancestor_depth``); spans still unresolved then (a deeper chain, or a parent cycle) are
   counted in ``beyond_depth`` and stay without an ancestor. Walked twice, as the file path
   does: over the rules' contexts for inheritance (never across a queue), then over the
   final contexts for calls (:func:`analysis.mapping.units.inherit_span_context`,
   :func:`analysis.measures.coupling.runtime.call_rows`);
4. *figures*: calls (caller, callee, mode: volume, latency added, errors; span links as async
   calls), load curves (requests, spans, self time per context and bucket, weighted for
   sampling), coverage counts (orphans, broken async, attribute completeness, entry points),
   database statements per context (the context of the db span's nearest ancestor).

5. *per call and per trace* (read back per pair, chain or entry point, never per span):
   latency of calls (the engine returns the order statistics each percentile needs, at most
   four rows a pair, and :func:`interpolate` does numpy's interpolation between them, so the
   percentiles equal ``numpy.percentile``'s bit for bit), synchronous chains (one level of the
   context tree per statement), orchestration (each trace's contexts as bits summed in the
   engine; entry points named and masked here: :func:`analysis.core.privacy.mask_span_name`,
   then :func:`analysis.measures.runtime.entry_points`).

Span names are read back only as distinct rule values (matched with a statement's literals
masked, as the trace readers keep names) and as entry points (masked before they leave this
module); attribute values are compared with the rules in the engine, never read back.

The results equal the file path's (:mod:`analysis.measures.metrics.load`,
:mod:`analysis.measures.coupling.runtime`, :mod:`analysis.measures.metrics.observability`,
:func:`analysis.measures.runtime.orchestration_of`) on the same spans;
``tests/measures/test_runtime_sql.py`` compares every figure on the sample. Sums of
milliseconds may differ in the last bits (float addition in another order). A trace with
several root spans (or sampling ratios differing within it) takes its first in the store's
order where the file path takes the first in the file's; duplicate spans are the store's to
drop (the loaders do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
import sqlglot

from analysis.core.frames import typed_empty
from analysis.core.privacy import mask_span_name
from analysis.mapping.contexts import ContextMap
from analysis.measures.coupling.runtime import CHAIN_SEPARATOR
from analysis.measures.metrics.observability import CONNECTION_SPAN, FRAMEWORK_SPAN
from analysis.measures.runtime import (
    CHAIN_MIN_CONTEXTS,
    NO_ROOT,
    ORCHESTRATED_COLUMNS,
    ORCHESTRATION_COLUMNS,
    entry_points,
    orchestration_frames,
)

if TYPE_CHECKING:
    from analysis.measures.runtime_entries import EntrySpec

#: nanoseconds in a minute
MINUTE_NS = 60 * 10**9

#: the dialect every statement is written in (then generated for the store's)
SOURCE_DIALECT = "duckdb"
RULE_COLUMNS = ("code_namespace", "http_route", "messaging_destination", "name", "service", "attributes")
CALL_COLUMNS = {"caller": "string", "callee": "string", "mode": "string", "calls": "int64",
                "total_ms": "float64", "mean_ms": "float64", "error_share": "float64"}
CURVE_COLUMNS = {"context": "string", "bucket": "datetime64[ns, UTC]", "requests": "int64", "spans": "int64",
                 "self_time_ms": "float64", "scaled": "bool"}
STATEMENT_COLUMNS = {"fingerprint": "string", "context": "string", "calls": "int64"}
#: the percentiles of call latency (as :func:`analysis.measures.coupling.runtime.latency_of_rows`)
LATENCY_PERCENTILES = (50, 95)
LATENCY_COLUMNS = {"caller": "string", "callee": "string", "mode": "string", "calls": "int64", "caller_spans": "int64",
                   "p50_ms": "float64", "p95_ms": "float64", "max_ms": "float64", "caller_ms": "float64",
                   "wait_share": "float64"}
CHAIN_COLUMNS = {"chain": "string", "traces": "int64"}
DB_STATEMENT_COLUMNS = {"fingerprint": "string", "context": "string", "executions": "int64"}
#: the spans a SQL log's statements name (their traceparent) and the context that issued them
SQL_SPAN_COLUMNS = {"trace_id": "string", "span_id": "string", "context": "string"}
#: the span keys an entry point inventory is matched against, with their spans
ENTRY_KEY_COLUMNS = {"kind": "string", "key": "string", "spans": "int64"}
#: the routes and names of spans no rule gives a context, with their spans (``what``: route | name)
UNMATCHED_COLUMNS = {"what": "string", "key": "string", "spans": "int64"}
#: distinct routes and names of unmatched spans read back, the commonest first (the rest counted)
UNMATCHED_READ_BACK = 2000
TABLE_ACCESS_COLUMNS = {"fingerprint": "string", "table": "string", "access": "string"}


class SpanStore(Protocol):
    """An engine session holding ``seams_t`` (and ``seams_links`` when ``has_links``)."""

    dialect: str
    has_links: bool

    def execute(self, sql: str) -> None: ...

    def frame(self, sql: str) -> pd.DataFrame: ...

    def create_table(self, name: str, select_sql: str) -> None:
        """``name`` (replaced if it exists) holding the rows of ``select_sql``."""

    def load_frame(self, name: str, frame: pd.DataFrame) -> None:
        """A small table ``name`` from ``frame`` (text columns), replaced if it exists."""

    def fingerprints(self, keys: pd.DataFrame) -> pd.DataFrame:
        """``db_system, db_key, example`` -> adds ``fingerprint`` (the key itself when the
        store's keys are fingerprints already) and, when the store reads them from the
        example, ``tables`` (as the ``db_tables`` column; None when unknown)."""


@dataclass
class StoreAggregates:
    """What :func:`aggregate_spans` measured (columns as the file path's frames)."""

    calls: pd.DataFrame  # caller, callee, mode, calls, total_ms, mean_ms, error_share
    curves: pd.DataFrame  # context, bucket, requests, spans, self_time_ms, scaled
    coverage: dict
    statements: pd.DataFrame  # fingerprint, context, calls (db spans per fingerprint and context)
    window: dict  # first_span, last_span (UTC timestamps) or None
    beyond_depth: int = 0
    notes: list[str] = field(default_factory=list)
    latency: pd.DataFrame = field(default_factory=lambda: typed_empty(LATENCY_COLUMNS))  # as call_latency
    chains: pd.DataFrame = field(default_factory=lambda: typed_empty(CHAIN_COLUMNS))  # chain, traces
    orchestration: pd.DataFrame = field(default_factory=lambda: typed_empty(ORCHESTRATION_COLUMNS))  # as orchestration_of
    orchestrated: pd.DataFrame = field(default_factory=lambda: typed_empty(ORCHESTRATED_COLUMNS))
    db_statements: pd.DataFrame = field(default_factory=lambda: typed_empty(DB_STATEMENT_COLUMNS))  # as traced_statements
    db_tables: pd.DataFrame = field(default_factory=lambda: typed_empty(TABLE_ACCESS_COLUMNS))  # fingerprint, table, access
    sql_spans: pd.DataFrame = field(default_factory=lambda: typed_empty(SQL_SPAN_COLUMNS))  # trace_id, span_id, context
    entry_keys: pd.DataFrame = field(default_factory=lambda: typed_empty(ENTRY_KEY_COLUMNS))  # kind, key, spans
    unmatched: pd.DataFrame = field(default_factory=lambda: typed_empty(UNMATCHED_COLUMNS))  # what, key, spans
    #: the decomposition's unit traffic (analysis.measures.runtime_units), when asked for
    units: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the scorecard's entry spans per context and minute, and their latency per stretch
    #: (analysis.measures.runtime_entries), when asked for
    entry_minutes: pd.DataFrame | None = None
    entry_latency: pd.DataFrame | None = None


def render(sql: str, dialect: str) -> str:
    """``sql`` (written in :data:`SOURCE_DIALECT`) generated for ``dialect`` by sqlglot."""
    if dialect == SOURCE_DIALECT:
        return sql
    return ";\n".join(sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect))


#: ClickHouse's join for two span-sized tables joined on their row numbers: both sides sorted
#: and merged in blocks, where a hash join would hold the right side (at 10 million spans in
#: chDB, orchestration's per-trace grouping peaked at 1,072 MiB with a hash join, under 1,004
#: with this; as the setting of every join it is slower, so it is asked for statement by statement)
MERGE_JOIN = " SETTINGS join_algorithm = 'partial_merge'"


class _Session:
    """The store, with every statement rendered for its dialect; ``merge_join``: the statement
    joins two tables the size of the spans (:data:`MERGE_JOIN` in ClickHouse)."""

    def __init__(self, store: SpanStore):
        self.store = store

    def _render(self, sql: str, merge_join: bool) -> str:
        out = render(sql, self.store.dialect)
        return out + MERGE_JOIN if merge_join and self.store.dialect == "clickhouse" else out

    def frame(self, sql: str, *, merge_join: bool = False) -> pd.DataFrame:
        return self.store.frame(self._render(sql, merge_join))

    def table(self, name: str, sql: str, *, merge_join: bool = False) -> None:
        self.store.create_table(name, self._render(sql, merge_join))

    def count(self, table: str) -> int:
        return int(self.frame(f"SELECT COUNT(*) AS n FROM {table}")["n"].iloc[0])


def aggregate_spans(store: SpanStore, context_map: ContextMap, *, bucket_minutes: float = 5, max_depth: int = 64,
                    sampling_ratio: float | None = None, chain_min_contexts: int = CHAIN_MIN_CONTEXTS,
                    sql_keys: pd.DataFrame | None = None, inventory: pd.DataFrame | None = None,
                    unit_of_namespace: Callable[[str], str | None] | None = None,
                    entries: EntrySpec | None = None) -> StoreAggregates:
    """Calls, their latency, chains, orchestration, load curves, coverage and statements per
    context of the spans in ``store`` (see the module docstring). ``sql_keys``
    (``trace_id, span_id``): the spans a SQL log's statements name, looked up in the store
    (:func:`_sql_spans`); ``inventory`` (``kind, name``): the entry points to find among the
    spans (:func:`_entry_keys`); ``unit_of_namespace``: the decomposition's unit of a code
    namespace, to aggregate the traffic between units (:mod:`analysis.measures.runtime_units`);
    ``entries``: what the scorecard asks of the entry spans (:mod:`analysis.measures.runtime_entries`)."""
    if max_depth < 1:
        raise ValueError(f"max_depth must be at least 1, not {max_depth}")
    db = _Session(store)
    spans = db.count("seams_t")
    if not spans:
        return _empty_aggregates()
    _rules(db, context_map)
    _nodes(db)
    beyond = _walk(db, "seams_a1", ctx="own_ctx", parent="parent_rid", crossing="cross1", max_depth=max_depth)
    db.table("seams_c", """
        SELECT n.rid AS rid, COALESCE(n.own_ctx, CASE WHEN NOT a.crossed THEN a.anc_ctx END) AS ctx
        FROM seams_n AS n LEFT JOIN seams_a1 AS a ON a.rid = n.rid""")
    links = store.has_links and db.count("seams_links") > 0
    _tree(db, links)
    beyond = max(beyond, _walk(db, "seams_a2", ctx="ctx", parent="tree_parent", crossing="cross2", max_depth=max_depth,
                               nodes="seams_tree"))
    calls = _calls(db, links)
    latency = _latency(db, calls)
    chains = _chains(db, separator=CHAIN_SEPARATOR, min_contexts=chain_min_contexts)
    orchestration, orchestrated = _orchestration(db, list(context_map.names), sampling_ratio)
    curves, window = _curves(db, bucket_minutes, sampling_ratio)
    coverage = _coverage(db, context_map)
    statements = _statements(db, store)
    db_statements, db_tables = _db_statements(db, store, sampling_ratio)
    sql_spans = _sql_spans(db, sql_keys) if sql_keys is not None and len(sql_keys) else typed_empty(SQL_SPAN_COLUMNS)
    entry_keys = _entry_keys(db, inventory) if inventory is not None and len(inventory) else typed_empty(ENTRY_KEY_COLUMNS)
    unmatched = _unmatched(db, coverage)
    traffic = {}
    if unit_of_namespace is not None:
        from analysis.measures.runtime_units import unit_traffic

        traffic = unit_traffic(db, unit_of_namespace)
    entry_minutes = entry_latency = None
    if entries is not None:
        from analysis.measures.runtime_entries import entry_figures

        entry_minutes, entry_latency, figures = entry_figures(db, entries)
        coverage["entry_spans"] = figures["entry_spans"]
        coverage.update({key: figures[f"{key}_ns"] // MINUTE_NS for key in ("first_minute", "last_minute") if f"{key}_ns" in figures})
    notes = []
    if beyond:
        notes.append(f"{beyond} spans have no context ancestor within {max_depth} levels (a deeper chain or a "
                     "parent cycle; max_ancestor_depth): they inherit no context and make no call")
    coverage["beyond_depth"] = beyond
    return StoreAggregates(calls=calls, curves=curves, coverage=coverage, statements=statements, window=window,
                           beyond_depth=beyond, notes=notes, latency=latency, chains=chains, orchestration=orchestration,
                           orchestrated=orchestrated, db_statements=db_statements, db_tables=db_tables,
                           sql_spans=sql_spans, entry_keys=entry_keys, unmatched=unmatched, units=traffic,
                           entry_minutes=entry_minutes, entry_latency=entry_latency)


def _empty_aggregates() -> StoreAggregates:
    return StoreAggregates(calls=typed_empty(CALL_COLUMNS), curves=typed_empty(CURVE_COLUMNS),
                           coverage={"spans": 0, "traces": 0}, statements=typed_empty(STATEMENT_COLUMNS),
                           window={"first_span": None, "last_span": None},
                           notes=["no span in the store (or in its time window)"])


# --------------------------------------------------------------------------------------
# 1. rules, 2. parents


def _key(column: str, alias: str = "") -> str:
    return f"COALESCE({alias}{column}, '')"


def _rules(db: _Session, context_map: ContextMap) -> None:
    keys = db.frame("SELECT DISTINCT " + ", ".join(f"{_key(c)} AS {c}" for c in RULE_COLUMNS) + " FROM seams_t")
    values = keys.astype(object).where(keys.astype("string").fillna("") != "", None)
    # a name that is a SQL statement is matched as the file readers keep it: literals masked
    values["name"] = values["name"].map(lambda v: v if v is None else mask_span_name(str(v)))
    found = context_map.assign_spans(values.reset_index(drop=True))
    matched = keys.assign(context=found.to_numpy(dtype=object))
    matched = matched[matched["context"].notna()].astype(str).reset_index(drop=True)
    if matched.empty:  # an empty table still needs its columns
        matched = pd.DataFrame({c: ["\x00"] for c in (*RULE_COLUMNS, "context")})
    db.store.load_frame("seams_rules", matched)


def _nodes(db: _Session) -> None:
    on_rules = " AND ".join(f"r.{c} = {_key(c, 't.')}" for c in RULE_COLUMNS)
    db.table("seams_n", f"""
        SELECT t.rid AS rid, t.kind AS kind, r.context AS own_ctx, p.rid AS parent_rid, p.kind AS parent_kind,
               (t.kind = 'CONSUMER' OR COALESCE(p.kind = 'PRODUCER', FALSE)) AS cross1
        FROM seams_t AS t
        LEFT JOIN seams_rules AS r ON {on_rules}
        LEFT JOIN seams_t AS p ON p.trace_id = t.trace_id AND p.span_id = t.parent_span_id AND t.parent_span_id <> t.span_id""")


def _tree(db: _Session, has_links: bool) -> None:
    """``seams_tree``: parents completed by span links (``tree_parent``, ``cross2``) and the
    links left over (``seams_extra``: ``span_rid, linked_rid``)."""
    if not has_links:
        db.table("seams_tree", """
            SELECT n.rid AS rid, c.ctx AS ctx, n.parent_rid AS tree_parent, n.cross1 AS cross2
            FROM seams_n AS n JOIN seams_c AS c ON c.rid = n.rid""")
        return
    # the links (few) on the right of each join: the side an engine builds its hash table from
    db.table("seams_lo", """
        SELECT l.ord AS ord, o.rid AS span_rid, l.linked_trace_id AS linked_trace_id, l.linked_span_id AS linked_span_id
        FROM seams_t AS o JOIN seams_links AS l ON o.trace_id = l.trace_id AND o.span_id = l.span_id""")
    db.table("seams_lk", """
        SELECT lo.span_rid AS span_rid, k.rid AS linked_rid, MIN(lo.ord) AS ord
        FROM seams_t AS k JOIN seams_lo AS lo ON k.trace_id = lo.linked_trace_id AND k.span_id = lo.linked_span_id
        WHERE lo.span_rid <> k.rid
        GROUP BY lo.span_rid, k.rid""")
    db.table("seams_adopt", """
        SELECT lk.span_rid AS span_rid, MIN(lk.ord) AS ord
        FROM seams_lk AS lk JOIN seams_n AS n ON n.rid = lk.span_rid
        WHERE n.parent_rid IS NULL
        GROUP BY lk.span_rid""")
    db.table("seams_tree", """
        SELECT n.rid AS rid, c.ctx AS ctx, COALESCE(n.parent_rid, ad.linked_rid) AS tree_parent,
               (n.kind = 'CONSUMER' OR COALESCE(p.kind = 'PRODUCER', FALSE) OR ad.linked_rid IS NOT NULL) AS cross2
        FROM seams_n AS n
        JOIN seams_c AS c ON c.rid = n.rid
        LEFT JOIN (SELECT lk.span_rid AS span_rid, lk.linked_rid AS linked_rid FROM seams_lk AS lk
                   JOIN seams_adopt AS a ON a.span_rid = lk.span_rid AND a.ord = lk.ord) AS ad ON ad.span_rid = n.rid
        LEFT JOIN seams_n AS p ON p.rid = COALESCE(n.parent_rid, ad.linked_rid)""")
    db.table("seams_extra", """
        SELECT lk.span_rid AS span_rid, lk.linked_rid AS linked_rid
        FROM seams_lk AS lk JOIN seams_tree AS t ON t.rid = lk.span_rid
        WHERE t.tree_parent IS NULL OR t.tree_parent <> lk.linked_rid""")


# --------------------------------------------------------------------------------------
# 3. the ancestor walk


def _walk(db: _Session, out: str, *, ctx: str, parent: str, crossing: str, max_depth: int, nodes: str = "seams_n") -> int:
    """``out``: ``rid, anc_rid, anc_ctx, crossed`` of every span whose nearest proper ancestor
    with a context was found within ``max_depth`` levels; returns the spans still walking
    then (deeper, or on a parent cycle)."""
    db.table("seams_w0", f"SELECT rid, {parent} AS ptr, {crossing} AS acc FROM {nodes} WHERE {parent} IS NOT NULL")
    db.table(out, "SELECT rid, ptr AS anc_rid, CAST(NULL AS VARCHAR) AS anc_ctx, acc AS crossed FROM seams_w0 WHERE FALSE")
    current = "seams_w0"
    for depth in range(max_depth):
        if not db.count(current):
            break
        step = f"seams_s{depth % 2}"
        db.table(step, f"""
            SELECT w.rid AS rid, w.ptr AS ptr, w.acc AS acc, n.{ctx} AS hit_ctx, n.{parent} AS up, n.{crossing} AS up_cross
            FROM {nodes} AS n JOIN {current} AS w ON n.rid = w.ptr""")
        db.table(f"{step}_hit", f"SELECT rid, ptr AS anc_rid, hit_ctx AS anc_ctx, acc AS crossed FROM {step} WHERE hit_ctx IS NOT NULL")
        db.store.execute(render(f"INSERT INTO {out} SELECT rid, anc_rid, anc_ctx, crossed FROM {step}_hit", db.store.dialect))
        current = f"seams_w{(depth + 1) % 2 + 1}"
        db.table(current, f"SELECT rid, up AS ptr, (acc OR up_cross) AS acc FROM {step} WHERE hit_ctx IS NULL AND up IS NOT NULL")
    return db.count(current)


# --------------------------------------------------------------------------------------
# 4. figures


def _calls(db: _Session, has_links: bool) -> pd.DataFrame:
    """``seams_cr``: one row per call (as :func:`analysis.measures.coupling.runtime.call_rows`:
    ``caller, callee, mode, caller_rid, duration_ms, is_error`` of the callee span), and the
    calls per caller, callee and mode read back."""
    along_tree = """
        SELECT a.anc_ctx AS caller, t.ctx AS callee, CASE WHEN a.crossed THEN 'async' ELSE 'sync' END AS mode,
               a.anc_rid AS caller_rid, s.duration_ms AS duration_ms, s.is_error AS is_error
        FROM seams_tree AS t JOIN seams_a2 AS a ON a.rid = t.rid JOIN seams_t AS s ON s.rid = t.rid
        WHERE t.ctx IS NOT NULL AND a.anc_ctx <> t.ctx"""
    by_links = """
        SELECT h.ctx AS caller, t.ctx AS callee, 'async' AS mode, h.rid AS caller_rid, s.duration_ms AS duration_ms,
               s.is_error AS is_error
        FROM seams_extra AS e
        JOIN seams_tree AS t ON t.rid = e.span_rid
        JOIN seams_t AS s ON s.rid = e.span_rid
        JOIN seams_tree AS k ON k.rid = e.linked_rid
        LEFT JOIN seams_a2 AS ka ON ka.rid = e.linked_rid
        JOIN seams_tree AS h ON h.rid = CASE WHEN k.ctx IS NOT NULL THEN k.rid ELSE ka.anc_rid END
        WHERE t.ctx IS NOT NULL AND h.ctx <> t.ctx"""
    db.table("seams_cr", f"{along_tree} UNION ALL {by_links}" if has_links else along_tree)
    out = db.frame("""
        SELECT caller, callee, mode, COUNT(*) AS calls, SUM(duration_ms) AS total_ms,
               SUM(CASE WHEN is_error THEN 1 ELSE 0 END) AS errors
        FROM seams_cr AS c GROUP BY caller, callee, mode""")
    if out.empty:
        return typed_empty(CALL_COLUMNS)
    out["calls"] = out["calls"].astype("int64")
    out["total_ms"] = out["total_ms"].astype(float)
    out["mean_ms"] = out["total_ms"] / out["calls"]
    out["error_share"] = out["errors"].astype(float) / out["calls"]
    out = out.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return out[list(CALL_COLUMNS)].astype(CALL_COLUMNS).reset_index(drop=True)


def _weight(sampling_ratio: float | None) -> str:
    fallback = 1.0 if sampling_ratio is None else float(sampling_ratio)
    return (f"(1.0 / CASE WHEN s.sampling_ratio > 0 AND s.sampling_ratio <= 1 THEN s.sampling_ratio "
            f"ELSE {fallback!r} END)")


def _curves(db: _Session, bucket_minutes: float, sampling_ratio: float | None) -> tuple[pd.DataFrame, dict]:
    """Self time as :func:`analysis.measures.metrics.load.self_time` (children clipped to the
    parent, their union counted once), then summed per context and bucket with the weights
    of :func:`analysis.measures.metrics.load.sampling_weights`."""
    if bucket_minutes <= 0:
        raise ValueError(f"bucket_minutes must be positive, not {bucket_minutes}")
    width = int(round(bucket_minutes * 60e9))
    db.table("seams_iv", """
        SELECT n.parent_rid AS owner, GREATEST(c.start_ns, p.start_ns) AS lo, LEAST(c.end_ns, p.end_ns) AS hi
        FROM seams_n AS n JOIN seams_t AS c ON c.rid = n.rid JOIN seams_t AS p ON p.rid = n.parent_rid
        WHERE n.parent_rid IS NOT NULL AND LEAST(c.end_ns, p.end_ns) > GREATEST(c.start_ns, p.start_ns)""")
    db.table("seams_cov", """
        SELECT owner, SUM(GREATEST(hi - GREATEST(lo, COALESCE(reach, lo)), 0)) AS covered_ns
        FROM (SELECT owner, lo, hi, MAX(hi) OVER (PARTITION BY owner ORDER BY lo, hi
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
              FROM seams_iv) AS x
        GROUP BY owner""")
    weight = _weight(sampling_ratio)
    sums = db.frame(f"""
        SELECT c.ctx AS context, s.start_ns - (s.start_ns % {width}) AS bucket_ns,
               SUM(CASE WHEN s.kind IN ('SERVER', 'CONSUMER') THEN {weight} ELSE 0.0 END) AS requests,
               SUM({weight}) AS spans,
               SUM(GREATEST(s.duration_ms - COALESCE(v.covered_ns, 0) / 1e6, 0.0) * {weight}) AS self_time_ms,
               MAX(CASE WHEN {weight} <> 1.0 THEN 1 ELSE 0 END) AS scaled
        FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid LEFT JOIN seams_cov AS v ON v.owner = s.rid
        WHERE c.ctx IS NOT NULL
        GROUP BY c.ctx, s.start_ns - (s.start_ns % {width})""")
    span = db.frame(f"""
        SELECT MIN(start_ns) AS first_ns, MAX(end_ns) AS last_ns,
               MIN(start_ns - (start_ns % {width})) AS lo, MAX(start_ns - (start_ns % {width})) AS hi,
               MAX(CASE WHEN {weight} <> 1.0 THEN 1 ELSE 0 END) AS scaled
        FROM seams_t AS s""").iloc[0]
    window = {"first_span": pd.Timestamp(int(span["first_ns"]), tz="UTC"), "last_span": pd.Timestamp(int(span["last_ns"]), tz="UTC")}
    if sums.empty:
        return typed_empty(CURVE_COLUMNS), window
    buckets = pd.to_datetime(np.arange(int(span["lo"]), int(span["hi"]) + 1, width), utc=True)
    sums["bucket"] = pd.to_datetime(sums["bucket_ns"].astype("int64"), utc=True)
    contexts = sorted(sums["context"].astype(str).unique())
    full = pd.MultiIndex.from_product([contexts, buckets], names=["context", "bucket"])
    out = (sums.astype({"context": str}).set_index(["context", "bucket"])[["requests", "spans", "self_time_ms"]]
           .astype(float).reindex(full, fill_value=0.0).reset_index())
    out["requests"] = np.rint(out["requests"].to_numpy(dtype=float))
    out["spans"] = np.rint(out["spans"].to_numpy(dtype=float))
    out["scaled"] = bool(int(span["scaled"] or 0))
    return out[list(CURVE_COLUMNS)].astype(CURVE_COLUMNS), window


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def _set(column: str) -> str:
    return f"(s.{column} IS NOT NULL AND s.{column} <> '')"


def _coverage(db: _Session, context_map: ContextMap) -> dict:
    """The trace figures of :func:`analysis.measures.metrics.observability.coverage`."""
    framework = f"REGEXP_MATCHES(COALESCE(s.name, ''), {_quote(FRAMEWORK_SPAN)})"
    connecting = f"(REGEXP_MATCHES(COALESCE(s.name, ''), {_quote(CONNECTION_SPAN)}) AND NOT {_set('db_key')})"
    db_client = f"(s.kind = 'CLIENT' AND ({_set('db_system')} OR {_set('db_key')}))"
    orphan = f"({_set('parent_span_id')} AND n.parent_rid IS NULL)"
    counts = {
        "spans": "COUNT(*)",
        "orphan_spans": f"SUM(CASE WHEN {orphan} THEN 1 ELSE 0 END)",
        "root_spans": f"SUM(CASE WHEN NOT {_set('parent_span_id')} THEN 1 ELSE 0 END)",
        "traces": "COUNT(DISTINCT s.trace_id)",
        "traces_with_missing_parent": f"COUNT(DISTINCT CASE WHEN {orphan} THEN s.trace_id END)",
        "consumer_spans": "SUM(CASE WHEN s.kind = 'CONSUMER' THEN 1 ELSE 0 END)",
        "broken_async": "SUM(CASE WHEN s.kind = 'CONSUMER' AND n.parent_rid IS NULL AND s.link_count = 0 THEN 1 ELSE 0 END)",
        "unassigned_spans": "SUM(CASE WHEN c.ctx IS NULL THEN 1 ELSE 0 END)",
        # a span inside a process (calls_status): an INTERNAL one, or one naming its code where the process was not entered
        "inside_spans": ("SUM(CASE WHEN s.kind = 'INTERNAL' OR (s.code_namespace IS NOT NULL AND s.kind NOT IN ('SERVER', 'CONSUMER')) "
                         "THEN 1 ELSE 0 END)"),
        "services": "COUNT(DISTINCT s.service)",
    }
    completeness = {
        "http_route": ("s.kind = 'SERVER'", _set("http_route")),
        "code_namespace": (f"s.kind = 'INTERNAL' AND NOT {framework}", _set("code_namespace")),
        "db_fingerprint": (f"{db_client} AND NOT {connecting}", _set("db_key")),
        "messaging_destination": ("s.kind IN ('PRODUCER', 'CONSUMER')", _set("messaging_destination")),
        "code_function": (_set("code_namespace"), _set("code_function")),
        "service": ("TRUE", "NOT STARTS_WITH(COALESCE(s.service, ''), 'unknown_service')"),
    }
    for key, (relevant, present) in completeness.items():
        counts[f"{key}__spans"] = f"SUM(CASE WHEN {relevant} THEN 1 ELSE 0 END)"
        counts[f"{key}__with"] = f"SUM(CASE WHEN ({relevant}) AND {present} THEN 1 ELSE 0 END)"
    joined = "FROM seams_t AS s JOIN seams_n AS n ON n.rid = s.rid JOIN seams_c AS c ON c.rid = s.rid"
    row = db.frame("SELECT " + ", ".join(f"{v} AS {k}" for k, v in counts.items()) + f" {joined}").iloc[0]
    got = {k: int(0 if pd.isna(row[k]) else row[k]) for k in counts}
    seen = db.frame("""
        SELECT DISTINCT c.ctx AS context FROM seams_c AS c WHERE c.ctx IS NOT NULL""")["context"].astype(str)
    entry = db.frame(f"""
        SELECT DISTINCT CASE WHEN s.kind = 'SERVER' THEN 'route' ELSE 'destination' END AS what,
               CASE WHEN s.kind = 'SERVER' THEN s.http_route ELSE s.messaging_destination END AS value
        FROM seams_t AS s
        WHERE (s.kind = 'SERVER' AND {_set('http_route')}) OR (s.kind = 'CONSUMER' AND {_set('messaging_destination')})""")
    by_context = db.frame(f"""
        SELECT COALESCE(c.ctx, '(unassigned)') AS context, COUNT(*) AS consumers,
               SUM(CASE WHEN n.parent_rid IS NULL AND s.link_count = 0 THEN 1 ELSE 0 END) AS broken
        {joined} WHERE s.kind = 'CONSUMER' GROUP BY COALESCE(c.ctx, '(unassigned)')""")
    declared = sorted(set(context_map.names))
    with_spans = sorted(set(seen) & set(declared))
    return {
        "contexts_declared": len(declared),
        "contexts_with_spans": with_spans,
        "contexts_without_spans": sorted(set(declared) - set(with_spans)),
        "context_span_coverage": _share(len(with_spans), len(declared)),
        **{k: got[k] for k in ("spans", "orphan_spans", "root_spans", "traces", "traces_with_missing_parent",
                               "consumer_spans", "broken_async", "unassigned_spans", "inside_spans", "services")},
        "orphan_span_share": _share(got["orphan_spans"], got["spans"]),
        "broken_trace_share": _share(got["traces_with_missing_parent"], got["traces"]),
        "broken_async_share": _share(got["broken_async"], got["consumer_spans"]),
        "broken_async_by_context": {str(r.context): {"consumers": int(r.consumers), "broken": int(r.broken)}
                                    for r in by_context.sort_values("context").itertuples()},
        "entry_points_traced": len(entry),
        "unassigned_span_share": _share(got["unassigned_spans"], got["spans"]),
        "attribute_completeness": {
            key: {"with_attribute": got[f"{key}__with"], "spans": got[f"{key}__spans"],
                  "share": _share(got[f"{key}__with"], got[f"{key}__spans"])}
            for key in completeness
        },
    }


def _statements(db: _Session, store: SpanStore) -> pd.DataFrame:
    """Database spans per statement fingerprint and the context of their nearest ancestor
    (:func:`analysis.mapping.attribution.db_span_contexts`)."""
    keys = db.frame(f"""
        SELECT s.db_system AS db_system, s.db_key AS db_key, a.anc_ctx AS context, COUNT(*) AS calls, MIN(s.db_example) AS example
        FROM seams_t AS s JOIN seams_a2 AS a ON a.rid = s.rid
        WHERE s.kind = 'CLIENT' AND {_set('db_key')}
        GROUP BY db_system, db_key, context""")
    if keys.empty:
        return typed_empty(STATEMENT_COLUMNS)
    named = store.fingerprints(keys)
    out = named.groupby(["fingerprint", "context"], as_index=False, sort=True)["calls"].sum()
    return out[list(STATEMENT_COLUMNS)].astype(STATEMENT_COLUMNS).reset_index(drop=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------
# 5. figures that need each call's or each trace's spans: latency percentiles, chains,
#    orchestration (computed in the engine; read back per pair, chain or entry point)




def percentile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """The order statistics (0-based ``lo``, ``hi``) and the weight between them of the
    ``q``-th percentile of ``n`` values, as ``numpy.percentile`` (method ``linear``) finds them."""
    virtual = (n - 1) * (np.float64(q) / 100)
    if virtual >= n - 1:
        return n - 1, n - 1, 0.0
    lo = int(np.floor(virtual))
    return lo, lo + 1, float(virtual - lo)


def interpolate(lo: float, hi: float, gamma: float) -> float:
    """``numpy.percentile``'s linear interpolation between two order statistics, bit for bit
    (numpy's ``_lerp``: from the lower value below a weight of 0.5, from the upper one above)."""
    a, b, t = np.float64(lo), np.float64(hi), np.float64(gamma)
    diff = b - a
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def _latency(db: _Session, calls: pd.DataFrame) -> pd.DataFrame:
    """Latency per caller, callee and mode from ``seams_cr``: percentiles of the callee spans'
    durations (the engine numbers each pair's calls by duration and returns only the order
    statistics the percentiles need, at most four rows a pair; the interpolation is numpy's,
    so the figures equal the file path's exactly), the slowest call, the distinct caller spans
    and their summed duration (``wait_share`` = the calls' time / the callers' for sync calls)."""
    if calls.empty:
        return typed_empty(LATENCY_COLUMNS)
    groups = db.frame("""SELECT caller, callee, mode, COUNT(*) AS n, MAX(duration_ms) AS max_ms FROM seams_cr
                         GROUP BY caller, callee, mode""")
    wanted = [(r.caller, r.callee, r.mode, str(rank + 1))
              for r in groups.itertuples() for q in LATENCY_PERCENTILES
              for rank in sorted(set(percentile_ranks(int(r.n), q)[:2]))]
    db.store.load_frame("seams_qr", pd.DataFrame(wanted, columns=["caller", "callee", "mode", "rnk"]).astype(str))
    if db.store.dialect == "clickhouse":
        # each pair's durations gathered and sorted in one array (8 bytes a call), the wanted
        # elements read by rank: ClickHouse's window would buffer each pair's rows whole
        values = db.frame("""
            SELECT g.caller AS caller, g.callee AS callee, g.mode AS mode, CAST(q.rnk AS BIGINT) AS rn,
                   g.sorted[CAST(q.rnk AS BIGINT)] AS duration_ms
            FROM (SELECT caller, callee, mode, arraySort(groupArray(duration_ms)) AS sorted FROM seams_cr
                  GROUP BY caller, callee, mode) AS g
            JOIN seams_qr AS q ON q.caller = g.caller AND q.callee = g.callee AND q.mode = g.mode""")
    else:  # DuckDB's window sorts spill to disk, where its lists would not
        values = db.frame("""
            SELECT o.caller AS caller, o.callee AS callee, o.mode AS mode, o.rn AS rn, o.duration_ms AS duration_ms
            FROM (SELECT caller, callee, mode, duration_ms,
                         ROW_NUMBER() OVER (PARTITION BY caller, callee, mode ORDER BY duration_ms) AS rn FROM seams_cr) AS o
            JOIN seams_qr AS q ON q.caller = o.caller AND q.callee = o.callee AND q.mode = o.mode AND CAST(q.rnk AS BIGINT) = o.rn""")
    # the callers' pairs on the right: ClickHouse builds its hash table from the right side (the
    # caller spans of the calls, not every span of the window); grouped rather than DISTINCT,
    # as a grouping spills to disk past its limit
    callers = db.frame("""
        SELECT d.caller AS caller, d.callee AS callee, d.mode AS mode, COUNT(*) AS caller_spans, SUM(s.duration_ms) AS caller_ms
        FROM seams_t AS s JOIN (SELECT caller, callee, mode, caller_rid FROM seams_cr GROUP BY caller, callee, mode, caller_rid) AS d
             ON s.rid = d.caller_rid
        GROUP BY d.caller, d.callee, d.mode""")
    at = {(str(r.caller), str(r.callee), str(r.mode), int(r.rn)): float(r.duration_ms) for r in values.itertuples()}
    by = {(str(r.caller), str(r.callee), str(r.mode)): (int(r.caller_spans), float(r.caller_ms)) for r in callers.itertuples()}
    total = {(str(r.caller), str(r.callee), str(r.mode)): float(r.total_ms) for r in calls.itertuples()}
    rows = []
    for r in groups.itertuples():
        key, n = (str(r.caller), str(r.callee), str(r.mode)), int(r.n)
        figures = []
        for q in LATENCY_PERCENTILES:
            lo, hi, gamma = percentile_ranks(n, q)
            figures.append(interpolate(at[(*key, lo + 1)], at[(*key, hi + 1)], gamma))
        spans, caller_ms = by[key]
        share = total[key] / caller_ms if key[2] == "sync" and caller_ms > 0 else float("nan")
        rows.append((*key, n, spans, *figures, float(r.max_ms), caller_ms, share))
    frame = pd.DataFrame(rows, columns=list(LATENCY_COLUMNS))
    frame = frame.sort_values(["calls", "caller", "callee", "mode"], ascending=[False, True, True, True])
    return frame.astype(LATENCY_COLUMNS).reset_index(drop=True)


def _chains(db: _Session, *, separator: str, min_contexts: int) -> pd.DataFrame:
    """Synchronous chains of contexts, root to leaf, and the traces showing each (as
    :func:`analysis.measures.coupling.runtime.call_chains`): each span with a context hangs
    under its nearest ancestor with one unless the way crosses a queue; a chain is extended
    one level of that tree per statement (a level's spans joined to the one above), the
    leaves' chains are counted per distinct trace in the engine and read back per chain."""
    db.table("seams_up", """
        SELECT t.rid AS rid, t.ctx AS ctx, CASE WHEN a.crossed THEN NULL ELSE a.anc_rid END AS up
        FROM seams_tree AS t LEFT JOIN seams_a2 AS a ON a.rid = t.rid
        WHERE t.ctx IS NOT NULL""")
    db.table("seams_chain", "SELECT rid, ctx AS last_ctx, ctx AS chain FROM seams_up WHERE up IS NULL")
    db.table("seams_ch0", "SELECT rid, last_ctx, chain FROM seams_chain")
    level = "seams_ch0"
    while db.count(level):  # ends: every level is one step further from a root, and a root has no parent
        step = "seams_ch1" if level == "seams_ch0" else "seams_ch0"
        db.table(step, f"""
            SELECT u.rid AS rid, u.ctx AS last_ctx,
                   CASE WHEN u.ctx = c.last_ctx THEN c.chain ELSE c.chain || {_quote(separator)} || u.ctx END AS chain
            FROM seams_up AS u JOIN {level} AS c ON u.up = c.rid""")
        db.store.execute(render(f"INSERT INTO seams_chain SELECT rid, last_ctx, chain FROM {step}", db.store.dialect))
        level = step
    # the distinct traces of each chain grouped first (a grouping spills to disk), then counted:
    # a distinct count per chain would hold every trace id of the chain at once
    found = db.frame("""
        SELECT d.chain AS chain, COUNT(*) AS traces FROM (
            SELECT c.chain AS chain, s.trace_id AS trace_id
            FROM seams_chain AS c JOIN seams_t AS s ON s.rid = c.rid
            LEFT JOIN (SELECT DISTINCT up FROM seams_up WHERE up IS NOT NULL) AS h ON h.up = c.rid
            WHERE h.up IS NULL
            GROUP BY c.chain, s.trace_id) AS d
        GROUP BY d.chain""")
    if found.empty:
        return typed_empty(CHAIN_COLUMNS)
    wide = found["chain"].astype(str).map(lambda c: len(set(c.split(separator))) >= min_contexts).astype(bool)
    out = found[wide].sort_values(["traces", "chain"], ascending=[False, True])
    return out[list(CHAIN_COLUMNS)].astype(CHAIN_COLUMNS).reset_index(drop=True)


def _orchestration(db: _Session, contexts: list[str], sampling_ratio: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per entry point the contexts its traces take part in, per pair the traces shared (as
    :func:`analysis.measures.runtime.orchestration_of`). Each trace's contexts are a set of
    bits (one per context of the map, in words of 52) or-ed over its spans in one pass per trace in
    the engine; the traces with two or more are grouped by their root span's route,
    destination and name, their root's context and their contexts, and read back per group
    (a trace weighs 1 / its first span's sampling ratio; its root is its first root span, in
    the store's order). The entry point is named here, its literals and value-like parts
    masked (:func:`analysis.core.privacy.mask_span_name`, then
    :func:`analysis.measures.runtime.entry_points`) before anything else sees it."""
    names = sorted(set(contexts))
    if not names:
        return orchestration_frames(pd.DataFrame())
    words = [names[i:i + 52] for i in range(0, len(names), 52)]
    bits = ", ".join(
        "BIT_OR(CASE " + " ".join(f"WHEN c.ctx = {_quote(name)} THEN {2 ** j}" for j, name in enumerate(word)) + f" ELSE 0 END) AS m{w}"
        for w, word in enumerate(words))
    # one pass over the spans per trace: its contexts, its first span, its first root span
    db.table("seams_tm", f"""
        SELECT s.trace_id AS trace_id, MIN(s.rid) AS first_rid, MIN(CASE WHEN s.parent_span_id IS NULL THEN s.rid END) AS root_rid,
               {bits}
        FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid
        GROUP BY s.trace_id HAVING MIN(c.ctx) <> MAX(c.ctx)""", merge_join=True)  # two contexts or more, without a set per trace
    fallback = 1.0 if sampling_ratio is None else float(sampling_ratio)
    masks = ", ".join(f"m.m{w}" for w in range(len(words)))
    # the traces' first and root spans picked out of the span tables with the (smaller) traces
    # on the right of each join: ClickHouse builds its hash table from the right side
    db.table("seams_tw", """SELECT m.*, w.sampling_ratio AS sampling_ratio
                            FROM seams_t AS w JOIN seams_tm AS m ON w.rid = m.first_rid""")
    db.table("seams_tr", """SELECT r.rid AS rid, r.http_route AS http_route, r.messaging_destination AS messaging_destination,
                                   r.name AS name FROM seams_t AS r JOIN seams_tm AS m ON r.rid = m.root_rid""")
    db.table("seams_trc", "SELECT c.rid AS rid, c.ctx AS ctx FROM seams_c AS c JOIN seams_tm AS m ON c.rid = m.root_rid")
    grouped = db.frame(f"""
        SELECT {", ".join(f"m.m{w} AS m{w}" for w in range(len(words)))}, r.http_route AS route,
               r.messaging_destination AS destination, r.name AS name, rc.ctx AS entry_context,
               CASE WHEN m.root_rid IS NULL THEN 1 ELSE 0 END AS no_root,
               SUM(1.0 / GREATEST(COALESCE(m.sampling_ratio, {fallback!r}), 1e-9)) AS weight
        FROM seams_tw AS m
        LEFT JOIN seams_tr AS r ON r.rid = m.root_rid
        LEFT JOIN seams_trc AS rc ON rc.rid = m.root_rid
        GROUP BY {masks}, r.http_route, r.messaging_destination, r.name, rc.ctx, CASE WHEN m.root_rid IS NULL THEN 1 ELSE 0 END""")
    if grouped.empty:
        return orchestration_frames(pd.DataFrame())
    text = {c: grouped[c].astype(object).where(grouped[c].notna(), None) for c in ("route", "destination", "name")}
    roots = pd.DataFrame({"http_route": pd.Series(text["route"], dtype="string"),
                          "messaging_destination": pd.Series(text["destination"], dtype="string"),
                          "name": pd.Series([None if v is None else mask_span_name(str(v)) for v in text["name"]], dtype="string")})
    no_root = grouped["no_root"].astype(bool).to_numpy()
    entry = np.array(entry_points(roots).astype(object).to_numpy(), dtype=object)
    entry[no_root] = NO_ROOT
    sets = []
    for row in grouped[[f"m{w}" for w in range(len(words))]].itertuples(index=False):
        sets.append(tuple(sorted(name for w, word in enumerate(words) for j, name in enumerate(word) if int(row[w]) >> j & 1)))
    entries = pd.DataFrame({"contexts": pd.Series(sets, dtype=object), "weight": grouped["weight"].astype(float).to_numpy(),
                            "entry_point": pd.Series(entry, dtype="string").to_numpy(),
                            "entry_context": pd.Series(grouped["entry_context"].astype(object)
                                                       .where(grouped["entry_context"].notna(), None), dtype="string").to_numpy()})
    return orchestration_frames(entries)




def _db_statements(db: _Session, store: SpanStore, sampling_ratio: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The database spans as statements, for the data evidence when no SQL log is given (as
    :func:`analysis.measures.data.traced_statements`): per fingerprint and context of the db
    span (its own or inherited; unassigned kept), the spans weighted by 1 / their sampling
    ratio, rounded; and each fingerprint's tables (``table:r`` read, ``table:w`` written).
    Read back per statement key and context, never per span."""
    fallback = 1.0 if sampling_ratio is None else float(sampling_ratio)
    keys = db.frame(f"""
        SELECT s.db_system AS db_system, s.db_key AS db_key, c.ctx AS context,
               SUM(1.0 / GREATEST(COALESCE(s.sampling_ratio, {fallback!r}), 1e-9)) AS weight, MIN(s.db_example) AS example
        FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid
        WHERE s.db_key IS NOT NULL
        GROUP BY s.db_system, s.db_key, c.ctx""")
    if keys.empty:
        return typed_empty(DB_STATEMENT_COLUMNS), typed_empty(TABLE_ACCESS_COLUMNS)
    named = store.fingerprints(keys)
    listed = db.frame("SELECT DISTINCT db_key, db_tables FROM seams_t WHERE db_key IS NOT NULL AND db_tables IS NOT NULL")
    by_key = dict(zip(named["db_key"], named["fingerprint"], strict=True))
    pairs = {(by_key.get(k, k), str(v)) for k, v in zip(listed["db_key"], listed["db_tables"], strict=True)}
    if "tables" in named:  # the store read the tables from each statement's example (ClickHouse)
        pairs |= {(str(f), str(v)) for f, v in zip(named["fingerprint"], named["tables"], strict=True) if isinstance(v, str)}
    from analysis.measures.data import _table_and_access

    access = sorted({(f, *_table_and_access(item)) for f, listed_tables in pairs for item in listed_tables.split(",") if item})
    context = named["context"].astype(object).where(named["context"].notna(), None)
    grouped = (pd.DataFrame({"fingerprint": named["fingerprint"].astype(str), "context": context,
                             "weight": named["weight"].astype(float)})
               .groupby(["fingerprint", "context"], dropna=False, sort=True)["weight"].sum().reset_index())
    statements = pd.DataFrame({"fingerprint": grouped["fingerprint"], "context": grouped["context"],
                               "executions": np.rint(grouped["weight"].to_numpy(dtype=float)).astype("int64")})
    return (statements.astype(DB_STATEMENT_COLUMNS).reset_index(drop=True),
            pd.DataFrame(access, columns=list(TABLE_ACCESS_COLUMNS)).astype(TABLE_ACCESS_COLUMNS))


def _sql_spans(db: _Session, keys: pd.DataFrame) -> pd.DataFrame:
    """The spans of ``keys`` (a SQL log's traceparents: ``trace_id, span_id``) the store holds,
    each with the context that issued a statement under it, as
    :func:`analysis.mapping.attribution.attribute_statements` decides it from a spans frame:
    the span's own context (inherited, never across a queue) unless it is a db client span or
    has none, else its nearest proper ancestor's (across a queue: the producer's code issued
    it). Keys the store does not hold are left out; read back per key, never per span."""
    wanted = keys[["trace_id", "span_id"]].dropna().astype(str).drop_duplicates().reset_index(drop=True)
    if wanted.empty:
        return typed_empty(SQL_SPAN_COLUMNS)
    db.store.load_frame("seams_sqlk", wanted)
    db_client = f"(s.kind = 'CLIENT' AND ({_set('db_system')} OR {_set('db_key')}))"
    found = db.frame(f"""
        SELECT k.trace_id AS trace_id, k.span_id AS span_id,
               COALESCE(CASE WHEN NOT {db_client} THEN c.ctx END, a.anc_ctx) AS context
        FROM seams_sqlk AS k
        JOIN seams_t AS s ON s.trace_id = k.trace_id AND s.span_id = k.span_id
        JOIN seams_c AS c ON c.rid = s.rid
        LEFT JOIN seams_a1 AS a ON a.rid = s.rid""")
    out = found.sort_values(["trace_id", "span_id"]).reset_index(drop=True)
    return out[list(SQL_SPAN_COLUMNS)].astype(SQL_SPAN_COLUMNS)


def _entry_keys(db: _Session, inventory: pd.DataFrame) -> pd.DataFrame:
    """What :func:`analysis.measures.metrics.observability.entry_point_traces` counts for an
    inventory, from the store: the server spans per route as recorded (``route``; normalised
    by the caller, in Python, as the file path does) and, per inventoried job or consumer
    name, the spans whose name, code namespace or ``namespace.function`` (for consumers:
    destination or name of a consumer span, or ``namespace.function``) it equals."""
    names = inventory[["kind", "name"]].dropna().astype(str)
    names = names[names["kind"].isin(["job", "consumer"])].drop_duplicates().reset_index(drop=True)
    routes = db.frame(f"""
        SELECT 'route' AS kind, s.http_route AS key, COUNT(*) AS spans FROM seams_t AS s
        WHERE s.kind = 'SERVER' AND {_set('http_route')} GROUP BY s.http_route""")
    parts = [routes]
    if len(names):
        db.store.load_frame("seams_inv", names)
        qualified = "s.code_namespace || '.' || s.code_function"
        parts.append(db.frame(f"""
            SELECT e.kind AS kind, e.name AS key, COUNT(*) AS spans
            FROM seams_inv AS e JOIN (
                SELECT 'job' AS kind, s.name AS key FROM seams_t AS s
                UNION ALL SELECT 'job', s.code_namespace FROM seams_t AS s WHERE {_set('code_namespace')}
                UNION ALL SELECT 'job', {qualified} FROM seams_t AS s WHERE {_set('code_namespace')} AND {_set('code_function')}
                UNION ALL SELECT 'consumer', s.messaging_destination FROM seams_t AS s
                          WHERE s.kind = 'CONSUMER' AND {_set('messaging_destination')}
                UNION ALL SELECT 'consumer', s.name FROM seams_t AS s WHERE s.kind = 'CONSUMER'
                UNION ALL SELECT 'consumer', {qualified} FROM seams_t AS s WHERE {_set('code_namespace')} AND {_set('code_function')}
            ) AS v ON v.kind = e.kind AND v.key = e.name
            GROUP BY e.kind, e.name"""))
    out = pd.concat(parts, ignore_index=True).sort_values(["kind", "key"]).reset_index(drop=True)
    return out[list(ENTRY_KEY_COLUMNS)].astype(ENTRY_KEY_COLUMNS)


def _unmatched(db: _Session, coverage: dict) -> pd.DataFrame:
    """The routes (as recorded) and names (a statement's literals masked, as the trace readers
    keep names) of the spans without a context, with their spans: what the span rules' warning
    lists (:meth:`analysis.mapping.units.Units.span_rule_warnings`). At most
    :data:`UNMATCHED_READ_BACK` of each, the commonest first; how many distinct ones there were
    goes to ``coverage`` (``unmatched_routes``, ``unmatched_names``)."""
    if not coverage.get("unassigned_spans"):
        return typed_empty(UNMATCHED_COLUMNS)
    parts = []
    for what, column in (("route", "s.http_route"), ("name", "COALESCE(s.name, '')")):
        where = "c.ctx IS NULL" + (" AND s.http_route IS NOT NULL" if what == "route" else "")
        counted = f"SELECT {column} AS key, COUNT(*) AS spans FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid WHERE {where} GROUP BY {column}"
        coverage[f"unmatched_{what}s"] = db.count(f"({counted}) AS u")
        rows = db.frame(f"SELECT key, spans FROM ({counted}) AS u ORDER BY spans DESC, key LIMIT {UNMATCHED_READ_BACK}")
        if what == "name":
            rows = rows.assign(key=rows["key"].map(lambda v: mask_span_name(str(v))))
        parts.append(rows.assign(what=what))
    out = pd.concat(parts, ignore_index=True)
    return out[list(UNMATCHED_COLUMNS)].astype(UNMATCHED_COLUMNS)


# --------------------------------------------------------------------------------------
# the aggregates as frames (contracts store_calls, store_load, store_statements, store_coverage)


#: how ``store_orchestration`` joins a trace's contexts
CONTEXTS_JOIN = "\x1f"


def store_frames(parts: list[StoreAggregates]) -> dict[str, pd.DataFrame]:
    """The aggregates of one or more stores as the ``store_*`` frames of
    :mod:`analysis.core.frames` (several stores: counts, sums and loads added; latency
    percentiles, which do not add up, kept only from a single store)."""
    from analysis.core import frames

    calls = [p.calls.assign(errors=np.rint(p.calls["error_share"] * p.calls["calls"]).astype("int64")) for p in parts if len(p.calls)]
    curves = [p.curves for p in parts if len(p.curves)]
    statements = [p.statements for p in parts if len(p.statements)]
    out = {
        "store_calls": (frames.conform(pd.concat(calls).groupby(["caller", "callee", "mode"], as_index=False)
                                       [["calls", "total_ms", "errors"]].sum(), "store_calls") if calls else frames.empty("store_calls")),
        "store_load": (frames.conform(pd.concat(curves).groupby(["context", "bucket"], as_index=False)
                                      .agg(requests=("requests", "sum"), spans=("spans", "sum"), self_time_ms=("self_time_ms", "sum"),
                                           scaled=("scaled", "any")), "store_load") if curves else frames.empty("store_load")),
        "store_statements": (frames.conform(pd.concat(statements).groupby(["fingerprint", "context"], as_index=False)["calls"].sum(),
                                            "store_statements") if statements else frames.empty("store_statements")),
    }
    latency = [p.latency for p in parts if len(p.latency)]
    out["store_latency"] = (frames.conform(latency[0], "store_latency") if len(latency) == 1  # percentiles do not add up
                            else frames.empty("store_latency"))
    chains = [p.chains for p in parts if len(p.chains)]
    out["store_chains"] = (frames.conform(pd.concat(chains).groupby("chain", as_index=False)["traces"].sum(), "store_chains")
                           if chains else frames.empty("store_chains"))
    driven = [p.orchestration.assign(contexts=p.orchestration["contexts"].map(CONTEXTS_JOIN.join)) for p in parts
              if len(p.orchestration)]
    out["store_orchestration"] = (frames.conform(pd.concat(driven).groupby(["entry_point", "entry_context", "contexts"], dropna=False,
                                                                          as_index=False)["traces"].sum(), "store_orchestration")
                                  if driven else frames.empty("store_orchestration"))
    executed = [p.db_statements for p in parts if len(p.db_statements)]
    out["store_db_statements"] = (frames.conform(pd.concat(executed).groupby(["fingerprint", "context"], dropna=False, sort=True,
                                                                           as_index=False)["executions"].sum(), "store_db_statements")
                                  if executed else frames.empty("store_db_statements"))
    tables = [p.db_tables for p in parts if len(p.db_tables)]
    out["store_db_tables"] = (frames.conform(pd.concat(tables).drop_duplicates().sort_values(list(TABLE_ACCESS_COLUMNS)),
                                             "store_db_tables") if tables else frames.empty("store_db_tables"))
    linked = [p.sql_spans for p in parts if len(p.sql_spans)]
    # a span held by several stores: the first store's (as a file holding it twice keeps its first)
    out["store_sql_spans"] = (frames.conform(pd.concat(linked).drop_duplicates(["trace_id", "span_id"]), "store_sql_spans")
                              if linked else frames.empty("store_sql_spans"))
    keys = [p.entry_keys for p in parts if len(p.entry_keys)]
    out["store_entry_keys"] = (frames.conform(pd.concat(keys).groupby(["kind", "key"], as_index=False, sort=True)["spans"].sum(),
                                              "store_entry_keys") if keys else frames.empty("store_entry_keys"))
    unmatched = [p.unmatched for p in parts if len(p.unmatched)]
    out["store_unmatched"] = (frames.conform(pd.concat(unmatched).groupby(["what", "key"], as_index=False, sort=True)["spans"].sum(),
                                             "store_unmatched") if unmatched else frames.empty("store_unmatched"))
    for name, keys in (("calls", ["caller", "unit", "crossed"]), ("tables", ["unit", "db_tables"]),
                       ("traces", ["units", "route", "queue"]), ("transactions", ["tables"]),
                       ("namespaces", ["code_namespace", "context"])):
        found = [p.units[name] for p in parts if name in p.units and len(p.units[name])]
        value = "calls" if name == "calls" else "traces" if name in ("traces", "transactions") else "spans"
        out[f"store_unit_{name}"] = (frames.conform(pd.concat(found).groupby(keys, as_index=False, sort=True, dropna=False)[value].sum(),
                                                    f"store_unit_{name}") if found else frames.empty(f"store_unit_{name}"))
    minutes = [p.entry_minutes for p in parts if p.entry_minutes is not None and len(p.entry_minutes)]
    out["store_entry_minutes"] = (frames.conform(pd.concat(minutes).groupby(["context", "minute"], as_index=False, sort=True)
                                                 ["requests"].sum(), "store_entry_minutes") if minutes
                                  else frames.empty("store_entry_minutes"))
    quantiles = [p.entry_latency for p in parts if p.entry_latency is not None and len(p.entry_latency)]
    out["store_entry_latency"] = (frames.conform(quantiles[0], "store_entry_latency") if len(quantiles) == 1  # they do not add up
                                  else frames.empty("store_entry_latency"))
    figures: dict[str, float] = {"stores": float(len(parts))} if parts else {}
    window: dict[str, int] = {}
    for part in parts:
        for key, value in _flat(part.coverage):
            figures[key] = figures.get(key, 0.0) + value
        for key, pick in (("first_minute", min), ("last_minute", max)):  # minutes since the epoch: a float holds them exactly
            if key in part.coverage:
                figures[key] = float(pick(figures.get(key, part.coverage[key]), part.coverage[key]))
        for key in ("first_span", "last_span"):
            when = part.window.get(key)
            if when is not None:
                ns = int(pd.Timestamp(when).value)
                window[key] = (min if key == "first_span" else max)(window.get(key, ns), ns)
    for key, ns in window.items():  # whole seconds and nanoseconds apart: a float holds each exactly
        figures[f"{key}_s"], figures[f"{key}_ns"] = float(ns // 10**9), float(ns % 10**9)
    out["store_coverage"] = frames.conform(pd.DataFrame({"figure": list(figures), "value": list(figures.values())}), "store_coverage")
    return out


_COUNTED = ("spans", "orphan_spans", "root_spans", "traces", "traces_with_missing_parent", "consumer_spans", "broken_async",
            "unassigned_spans", "entry_points_traced", "beyond_depth", "inside_spans", "services", "stores", "unmatched_routes",
            "unmatched_names", "entry_spans")


def _flat(coverage: dict):
    for key in _COUNTED:
        if key in coverage:
            yield key, float(coverage[key])
    for name, part in coverage.get("attribute_completeness", {}).items():
        yield f"attribute_completeness.{name}.with_attribute", float(part["with_attribute"])
        yield f"attribute_completeness.{name}.spans", float(part["spans"])
    for context, part in coverage.get("broken_async_by_context", {}).items():
        yield f"broken_async_by_context.{context}.consumers", float(part["consumers"])
        yield f"broken_async_by_context.{context}.broken", float(part["broken"])
    for context in coverage.get("contexts_with_spans", []):
        yield f"context_spans.{context}", 1.0


def coverage_of(rows: pd.DataFrame, declared: list[str]) -> dict:
    """The trace coverage figures (as :func:`analysis.measures.metrics.observability.coverage`
    gives them) from a ``store_coverage`` frame."""
    got = dict(zip(rows["figure"].astype(str), rows["value"].astype(float), strict=True))
    count = {k: int(got.get(k, 0)) for k in _COUNTED}
    seen = {k.split(".", 1)[1] for k in got if k.startswith("context_spans.")}
    with_spans = sorted(seen & set(declared))
    completeness: dict[str, dict] = {}
    by_context: dict[str, dict] = {}
    for key, value in got.items():
        if key.startswith("attribute_completeness."):
            name, what = key.split(".")[1:]
            completeness.setdefault(name, {})[what] = int(value)
        elif key.startswith("broken_async_by_context."):
            context, what = key[len("broken_async_by_context."):].rsplit(".", 1)
            by_context.setdefault(context, {})[what] = int(value)
    return {
        "contexts_declared": len(declared),
        "contexts_with_spans": with_spans,
        "contexts_without_spans": sorted(set(declared) - set(with_spans)),
        "context_span_coverage": _share(len(with_spans), len(declared)),
        **count,
        "orphan_span_share": _share(count["orphan_spans"], count["spans"]),
        "broken_trace_share": _share(count["traces_with_missing_parent"], count["traces"]),
        "broken_async_share": _share(count["broken_async"], count["consumer_spans"]),
        "broken_async_by_context": dict(sorted(by_context.items())),
        "unassigned_span_share": _share(count["unassigned_spans"], count["spans"]),
        "attribute_completeness": {k: {**v, "share": _share(v.get("with_attribute", 0), v.get("spans", 0))}
                                   for k, v in completeness.items()},
    }
