"""The decomposition's runtime signal aggregated in a trace engine: the traffic between the
code's units, read back per unit pair, table list and trace shape, never per span.

:func:`unit_traffic` ``(db, unit_of_namespace, *, max_depth) -> dict[str, DataFrame]``: the
frames of :class:`analysis.measures.decomposition.graph.UnitTraffic` (``calls``, ``tables``,
``traces``, ``transactions``, ``namespaces``), as
:func:`analysis.measures.decomposition.graph.traffic_of_spans` computes them from a spans frame.
Run by :func:`analysis.measures.runtime_sql.aggregate_spans` in its session, over its tables
(``seams_t``, ``seams_n``: parents, ``seams_c``: contexts):

1. the distinct code namespaces are read back and given their unit by ``unit_of_namespace``
   (the unit graph's own rule: the longest module a namespace lies in), which goes back to the
   engine as a small table;
2. each span's nearest ancestor with a unit is walked as the contexts are
   (:func:`analysis.measures.runtime_sql._walk`: one level per statement, at most ``max_depth``
   levels, a consumer span on the way marking the call asynchronous);
3. read back: calls per caller unit, unit and mode; database spans per unit (their own, else
   their caller's) and statement key, the key's tables resolved by Seams (the reader's list, or
   the store's from one example statement); per trace, its units, the route and destination
   of its earliest span with one (ties in the store's order) and its statement keys — grouped in the engine by those
   values, so one row per distinct trace shape; spans per code namespace and context.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from analysis.measures.decomposition.graph import JOIN, UNIT_DEPTH, traffic_frame
from analysis.measures.runtime_sql import SpanStore, _Session, _walk


def unit_traffic(db: _Session, unit_of_namespace: Callable[[str], str | None], *,
                 max_depth: int = UNIT_DEPTH) -> dict[str, pd.DataFrame]:
    """The unit traffic of the spans in ``db`` (see the module docstring)."""
    store = db.store
    names = db.frame("SELECT DISTINCT s.code_namespace AS ns FROM seams_t AS s WHERE s.code_namespace IS NOT NULL")
    mapping = [(str(n), unit_of_namespace(str(n))) for n in names["ns"]]
    units = pd.DataFrame([(n, u) for n, u in mapping if u is not None], columns=["ns", "unit"])
    store.load_frame("seams_um", units if len(units) else pd.DataFrame({"ns": ["\x00"], "unit": ["\x00"]}))
    # the spans stream on the left; on the right, the narrow parents table and the small mapping
    db.table("seams_un", """
        SELECT s.rid AS rid, s.trace_id AS trace_id, m.unit AS unit, n.parent_rid AS parent_rid,
               COALESCE(n.kind = 'CONSUMER', FALSE) AS cons
        FROM seams_t AS s JOIN (SELECT rid, parent_rid, kind FROM seams_n) AS n ON n.rid = s.rid
        LEFT JOIN seams_um AS m ON m.ns = s.code_namespace""")
    _walk(db, "seams_ua", ctx="unit", parent="parent_rid", crossing="cons", max_depth=max_depth, nodes="seams_un")
    # the spans with a unit on the right (the side a hash join holds), not every span's ancestor
    calls = db.frame("""
        SELECT a.anc_ctx AS caller, u.unit AS unit, a.crossed AS crossed, COUNT(*) AS calls
        FROM seams_ua AS a JOIN (SELECT rid, unit FROM seams_un WHERE unit IS NOT NULL) AS u ON u.rid = a.rid
        WHERE a.anc_ctx <> u.unit
        GROUP BY a.anc_ctx, u.unit, a.crossed""")
    tables_of = _statement_keys(db, store)
    # the database spans first (their statement key), then their units: the joins hold only them
    db.table("seams_db", """
        SELECT s.rid AS rid, d.kid AS kid FROM seams_t AS s
        JOIN seams_dk AS d ON d.sys = COALESCE(s.db_system, '') AND d.k = COALESCE(s.db_key, '') AND d.t = COALESCE(s.db_tables, '')""")
    used = db.frame("""
        SELECT COALESCE(u.unit, a.anc_ctx) AS unit, b.kid AS kid, COUNT(*) AS spans
        FROM seams_un AS u JOIN seams_db AS b ON b.rid = u.rid
        LEFT JOIN (SELECT rid, anc_ctx FROM seams_ua WHERE rid IN (SELECT rid FROM seams_db)) AS a ON a.rid = u.rid
        WHERE COALESCE(u.unit, a.anc_ctx) IS NOT NULL
        GROUP BY COALESCE(u.unit, a.anc_ctx), b.kid""")
    used = used.assign(db_tables=used["kid"].astype(int).map(tables_of)).dropna(subset=["db_tables"])
    tables = used.groupby(["unit", "db_tables"], as_index=False, sort=True)["spans"].sum()
    return {
        "calls": traffic_frame(calls.sort_values(["caller", "unit", "crossed"]), "calls"),
        "tables": traffic_frame(tables, "tables"),
        "traces": traffic_frame(_trace_shapes(db), "traces"),
        "transactions": traffic_frame(_transactions(db, tables_of), "transactions"),
        "namespaces": traffic_frame(db.frame("""
            SELECT s.code_namespace AS code_namespace, c.ctx AS context, COUNT(*) AS spans
            FROM seams_t AS s JOIN seams_c AS c ON c.rid = s.rid
            WHERE s.code_namespace IS NOT NULL AND c.ctx IS NOT NULL
            GROUP BY s.code_namespace, c.ctx""").sort_values(["code_namespace", "context"]), "namespaces"),
    }


def _statement_keys(db: _Session, store: SpanStore) -> dict[int, str | None]:
    """``seams_dk``: each distinct statement key of the database spans (system, key, the
    reader's table list) numbered; returns each number's table list (the reader's, else the
    store's from the key's example statement; None when neither knows)."""
    db.table("seams_dk", """
        SELECT g.sys AS sys, g.k AS k, g.t AS t, g.example AS example, ROW_NUMBER() OVER (ORDER BY g.sys, g.k, g.t) AS kid
        FROM (SELECT COALESCE(s.db_system, '') AS sys, COALESCE(s.db_key, '') AS k, COALESCE(s.db_tables, '') AS t,
                     MIN(s.db_example) AS example
              FROM seams_t AS s WHERE s.db_tables IS NOT NULL OR s.db_key IS NOT NULL
              GROUP BY COALESCE(s.db_system, ''), COALESCE(s.db_key, ''), COALESCE(s.db_tables, '')) AS g""")
    keys = db.frame("SELECT kid, sys, k, t, example FROM seams_dk")
    out: dict[int, str | None] = {int(k): (str(t) if t else None) for k, t in zip(keys["kid"], keys["t"], strict=True)}
    unknown = keys[(keys["t"] == "") & keys["example"].notna()]
    if len(unknown):
        named = store.fingerprints(pd.DataFrame({"db_system": unknown["sys"].where(unknown["sys"] != "", None),
                                                 "db_key": unknown["k"], "example": unknown["example"]}))
        if "tables" in named:
            out.update({int(k): (str(t) if isinstance(t, str) and t else None)
                        for k, t in zip(unknown["kid"], named["tables"], strict=True)})
    return out


def _per_trace(db: _Session) -> dict[str, str]:
    """The dialect's aggregates of one trace: its units (sorted, joined by :data:`JOIN`), the
    route and destination of its earliest span with one (ties by ``rid``: the store's order),
    and statement key numbers (sorted, comma-joined)."""
    if db.store.dialect == "clickhouse":
        return {"units": "arrayStringConcat(arraySort(groupArray(unit)), char(31))",
                "route": "argMinIf(s.http_route, tuple(s.start_ns, s.rid), s.http_route IS NOT NULL)",
                "queue": "argMinIf(s.messaging_destination, tuple(s.start_ns, s.rid), s.messaging_destination IS NOT NULL)",
                "kids": "arrayStringConcat(arraySort(groupUniqArray(toString(d.kid))), ',')"}
    return {"units": "array_to_string(list_sort(list(unit)), chr(31))",
            "route": "arg_min(s.http_route, row(s.start_ns, s.rid)) FILTER (WHERE s.http_route IS NOT NULL)",
            "queue": "arg_min(s.messaging_destination, row(s.start_ns, s.rid)) FILTER (WHERE s.messaging_destination IS NOT NULL)",
            "kids": "array_to_string(list_sort(list_distinct(list(CAST(d.kid AS VARCHAR)))), ',')"}


def _trace_shapes(db: _Session) -> pd.DataFrame:
    """Traces holding a unit, per their units, first route and first destination: each trace's
    distinct units, then its route and destination, each grouped by trace on its own (so no
    aggregation holds a trace's spans), then the shapes counted."""
    agg = _per_trace(db)
    db.table("seams_tu", "SELECT trace_id, unit FROM seams_un WHERE unit IS NOT NULL GROUP BY trace_id, unit")
    # written for the store's dialect (its aggregates have no common spelling), not generated
    db.store.create_table("seams_tus", f"SELECT trace_id, {agg['units']} AS units FROM seams_tu GROUP BY trace_id")
    db.store.create_table("seams_trq", f"""
        SELECT s.trace_id AS trace_id, {agg['route']} AS route, {agg['queue']} AS queue
        FROM seams_t AS s WHERE s.http_route IS NOT NULL OR s.messaging_destination IS NOT NULL GROUP BY s.trace_id""")
    return db.frame("""
        SELECT u.units AS units, q.route AS route, q.queue AS queue, COUNT(*) AS traces
        FROM seams_tus AS u LEFT JOIN seams_trq AS q ON q.trace_id = u.trace_id
        GROUP BY u.units, q.route, q.queue
        ORDER BY units, route, queue""")


def _transactions(db: _Session, tables_of: dict[int, str | None]) -> pd.DataFrame:
    """Traces per distinct set of their database spans' table lists (the statement keys grouped
    per trace in the engine, their tables resolved here)."""
    agg = _per_trace(db)
    shapes = db.store.frame(f"""
        SELECT kids, COUNT(*) AS traces FROM (
            SELECT s.trace_id AS trace_id, {agg['kids']} AS kids
            FROM seams_un AS s JOIN seams_db AS d ON d.rid = s.rid
            GROUP BY s.trace_id) AS t
        GROUP BY kids""")
    rows: dict[str, int] = {}
    for kids, n in zip(shapes["kids"], shapes["traces"], strict=True):
        listed = sorted({t for k in str(kids).split(",") if k and (t := tables_of.get(int(k))) is not None})
        if listed:
            key = JOIN.join(listed)
            rows[key] = rows.get(key, 0) + int(n)
    return pd.DataFrame(sorted(rows.items()), columns=["tables", "traces"])
