"""Trace files loaded into a DuckDB store by DuckDB's own readers: OTLP/JSON lines through
``read_json``, Parquet exports of the Collector's ``otel_traces`` table through ``read_parquet``.

:func:`load_otlp_json` ``(store, path, name, rejects, *, named, sampling_ratio) -> bool`` and
:func:`load_otel_parquet` ``(store, path, name, rejects, *, named, sampling_ratio) -> None``
fill the store's ``seams_t`` (and ``seams_links``) as :meth:`DuckDBStore.load_chunks` does from
Seams' Python readers, with the same spans and values:

- DuckDB unnests the spans in SQL (``resourceSpans`` → ``scopeSpans`` → ``spans``) and checks
  ids, times, kinds and status there;
- everything a span's attributes decide (code namespace and function, route, db system and
  statement fingerprint, destination, sampling ratio, named attributes, the span name a SQL
  statement becomes, the service) is computed by the Python reader itself, once per distinct
  *profile* (name, trace state, the wanted span attributes, the wanted resource attributes),
  and joined back: the rules are the reader's, not a copy of them in SQL.

OTLP/JSON is loaded this way only when every span is one the Python reader reads without a
reject or a note: plain (not gzip) JSON lines, each an OTLP message with ``resourceSpans``;
ids of 32 / 16 hex digits (not all zero; a parent id empty, absent or 16 hex digits); start
and end as strings of digits or integers, the end not before the start; kinds 0 to 5; a
status object; the trace state a string; no attribute over the size limit; no span twice.
Anything else (base64 ids, kind names, the api_v3 envelope, damaged lines, duplicates, lines
over DuckDB's 16 MB object size...) makes :func:`load_otlp_json` return False, and the file
is read by the Python readers as before, with their rejects.

Parquet has no Python reader: spans with an invalid trace or span id, an invalid parent id or
no start are rejected (one reject per reason, counting its spans), duplicates too (the first
row kept); kinds that are not OpenTelemetry's are read as ``UNSPECIFIED``.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd

from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.spans import (
    KIND_NAMES,
    REASON_DUPLICATE,
    REASON_PARENT_ID,
    REASON_SPAN_ID,
    REASON_START,
    REASON_TRACE_ID,
    WANTED_ATTRIBUTES,
    SpanBatch,
    TraceReadStats,
)

_ATTR = "STRUCT(key VARCHAR, value JSON)[]"
_SPAN = ("STRUCT(traceId JSON, spanId JSON, parentSpanId JSON, traceState JSON, name JSON, kind JSON, "
         f"startTimeUnixNano JSON, endTimeUnixNano JSON, attributes {_ATTR}, status JSON, links JSON)")
_RS = f"STRUCT(resource STRUCT(attributes {_ATTR}), scopeSpans STRUCT(spans {_SPAN}[])[], instrumentationLibrarySpans JSON)"
#: the OTLP/JSON fields read, typed for ``read_json`` (a value of another JSON type is an error
#: of the read, and the file goes to the Python readers)
OTLP_COLUMNS = {"resourceSpans": f"{_RS}[]", "result": "JSON"}
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
#: the columns of ``seams_raw``, the spans before their profiles are joined
_RAW = "trace_id, span_id, parent_span_id, kind, start_ns, end_ns, is_error, link_count, profile"


def _keys(names: frozenset[str]) -> str:
    return ", ".join("'" + n.replace("'", "''") + "'" for n in sorted(names))


def _text(json_value: str, of: str = "VARCHAR") -> str:
    """The JSON value as text when it is of JSON type ``of``, else NULL."""
    return f"CASE WHEN json_type({json_value}) = '{of}' THEN {json_value} ->> '$' END"


def _hex(text: str, digits: int) -> str:
    return f"coalesce(regexp_full_match({text}, '[0-9a-fA-F]{{{digits}}}'), FALSE)"


def _nanos(value: str) -> str:
    """Nanoseconds of a JSON string of digits or a JSON integer (NULL otherwise)."""
    return (f"CASE WHEN json_type({value}) = 'VARCHAR' AND regexp_full_match({value} ->> '$', '[0-9]{{1,19}}') "
            f"THEN TRY_CAST({value} ->> '$' AS BIGINT) WHEN json_type({value}) = 'UBIGINT' "
            f"THEN TRY_CAST({value} ->> '$' AS BIGINT) END")


def load_otlp_json(store, path: Path, name: str, rejects: Rejects, *, named: frozenset[str] = frozenset(),
                   sampling_ratio: float | None = None) -> bool:
    """OTLP/JSON lines into ``store`` by DuckDB's JSON reader; False (nothing loaded, the
    store's tables dropped) when the file holds anything the Python reader would reject,
    note or read otherwise (see the module docstring)."""
    import duckdb

    from analysis.sources.traces.formats.otlp_json import lines_layout

    if not lines_layout(path):
        return False
    con = store.con
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in OTLP_COLUMNS.items()) + "}"
    source = str(path).replace("'", "''")
    span_keys = _keys(WANTED_ATTRIBUTES | named)
    resource_keys = _keys(WANTED_ATTRIBUTES | named | {"service.name"})
    trace = _text("s.traceId")
    span = _text("s.spanId")
    parent = _text("s.parentSpanId")
    start, end = _nanos("s.startTimeUnixNano"), _nanos("s.endTimeUnixNano")
    kind = "TRY_CAST(s.kind ->> '$' AS BIGINT)"
    code = "s.status -> 'code'"
    # a span the Python reader would reject, note or read otherwise
    odd = f"""(bad OR s IS NULL
        OR NOT {_hex(trace, 32)} OR lower({trace}) = '{_ZERO_TRACE}'
        OR NOT {_hex(span, 16)} OR lower({span}) = '{_ZERO_SPAN}'
        OR NOT (s.parentSpanId IS NULL OR json_type(s.parentSpanId) = 'NULL' OR {parent} = '' OR {_hex(parent, 16)})
        OR {start} IS NULL OR {start} <= 0 OR {end} IS NULL OR {end} <= 0 OR {end} < {start}
        OR NOT (s.kind IS NULL OR json_type(s.kind) = 'NULL' OR (json_type(s.kind) = 'UBIGINT' AND {kind} BETWEEN 0 AND 5))
        OR NOT (s.status IS NULL OR json_type(s.status) IN ('NULL', 'OBJECT'))
        OR NOT (s.traceState IS NULL OR json_type(s.traceState) IN ('NULL', 'VARCHAR'))
        OR NOT (s.name IS NULL OR json_type(s.name) IN ('NULL', 'VARCHAR'))
        OR coalesce(list_bool_or(list_transform(s.attributes, lambda a: a IS NULL)), FALSE)
        OR coalesce(list_bool_or(list_transform(
               CASE WHEN json_type(s.links) = 'ARRAY' THEN CAST(s.links AS JSON[]) END,
               lambda k: (json_type(k -> 'traceId') = 'VARCHAR' AND NOT {_hex("k ->> 'traceId'", 32)})
                      OR (json_type(k -> 'spanId') = 'VARCHAR' AND NOT {_hex("k ->> 'spanId'", 16)}))), FALSE))"""
    kinds = "[" + ", ".join(f"'{k}'" for k in KIND_NAMES) + "]"
    try:
        con.execute("DROP TABLE IF EXISTS seams_raw")
        con.execute(f"""CREATE TABLE seams_raw AS
            SELECT lower({trace}) AS trace_id, lower({span}) AS span_id,
                   CASE WHEN {parent} IS NULL OR {parent} = '' OR lower({parent}) = '{_ZERO_SPAN}' THEN NULL
                        ELSE lower({parent}) END AS parent_span_id,
                   list_extract({kinds}, coalesce({kind}, 0) + 1) AS kind,
                   {start} AS start_ns, {end} AS end_ns,
                   CASE json_type({code}) WHEN 'UBIGINT' THEN {code} ->> '$' = '2'
                        WHEN 'VARCHAR' THEN {code} ->> '$' IN ('2', 'STATUS_CODE_ERROR', 'ERROR') ELSE FALSE END AS is_error,
                   CASE WHEN json_type(s.links) = 'ARRAY' THEN json_array_length(s.links) ELSE 0 END::BIGINT AS link_count,
                   to_json(struct_pack(n := s.name, s := s.traceState,
                       a := list_filter(s.attributes, lambda a: a.key IN ({span_keys})),
                       r := list_filter(rattrs, lambda a: a.key IN ({resource_keys}))))::VARCHAR AS profile,
                   CASE WHEN json_type(s.links) = 'ARRAY' AND json_array_length(s.links) > 0 THEN s.links END AS links,
                   {odd} AS odd
            FROM (SELECT bad, rattrs, unnest(CASE WHEN bad THEN [NULL] ELSE coalesce(ss.spans, []) END) AS s
              FROM (SELECT bad OR ss IS NULL AS bad, rattrs, ss
                FROM (SELECT bad, rs.resource.attributes AS rattrs,
                             unnest(CASE WHEN bad THEN [NULL] ELSE coalesce(rs.scopeSpans, []) END) AS ss
                  FROM (SELECT bad OR rs IS NULL OR rs.instrumentationLibrarySpans IS NOT NULL AS bad, rs
                    FROM (SELECT bad, unnest(CASE WHEN bad THEN [NULL] ELSE rss END) AS rs
                      FROM (SELECT resourceSpans AS rss, (result IS NOT NULL OR resourceSpans IS NULL) AS bad
                            FROM read_json('{source}', format = 'newline_delimited', columns = {columns})))))))""")
        if con.execute("SELECT coalesce(bool_or(odd), FALSE) FROM seams_raw").fetchone()[0]:
            return _give_up(con)
        profiles = _profiles(con, named, sampling_ratio)
        if profiles is None:
            return _give_up(con)
        if _finish(store, profiles, dedupe=False) is None:
            return _give_up(con)
    except duckdb.Error:
        return _give_up(con)
    return True


def _give_up(con) -> bool:
    for table in ("seams_raw", "seams_profiles", "seams_t", "seams_links"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return False


def _profiles(con, named: frozenset[str], sampling_ratio: float | None) -> pd.DataFrame | None:
    """Per distinct profile, the columns the Python reader computes from it (None when the
    reader files a reject or a note for any)."""
    from analysis.sources.traces.formats.otlp_json import OtlpJsonReader

    keys = con.execute("SELECT DISTINCT profile FROM seams_raw").fetchall()
    rejects, stats = Rejects(), TraceReadStats()
    reader = OtlpJsonReader("profiles", rejects, stats, named)
    batch = SpanBatch()
    for (profile,) in keys:
        p = orjson.loads(profile)
        span = {"traceId": "1" * 32, "spanId": "1" * 16, "startTimeUnixNano": "1", "endTimeUnixNano": "1",
                "name": p["n"], "traceState": p["s"], "attributes": p["a"]}
        message = {"resourceSpans": [{"resource": {"attributes": p["r"] or []}, "scopeSpans": [{"spans": [span]}]}]}
        reader.add_message(batch, message, 1)
    frame, _ = batch.frame("profiles", rejects, stats, sampling_ratio)
    if rejects.count() or stats.notes or stats.unknown_kinds or len(frame) != len(keys):
        return None
    out = pd.DataFrame({"profile": [k for (k,) in keys]})
    for column in ("name", "service", "code_namespace", "code_function", "http_route", "db_system", "db_tables",
                   "messaging_destination", "attributes"):
        out[column] = frame[column].astype(object).where(frame[column].notna(), None).to_numpy()
    out["db_key"] = frame["db_fingerprint"].astype(object).where(frame["db_fingerprint"].notna(), None).to_numpy()
    out["sampling_ratio"] = frame["sampling_ratio"].to_numpy(dtype=float)
    return out


def _finish(store, profiles: pd.DataFrame, *, dedupe: bool) -> int | None:
    """``seams_t`` and ``seams_links`` from ``seams_raw`` and the profiles; the spans kept.
    Without ``dedupe``, None when a (trace, span) id pair repeats (nothing built)."""
    con = store.con
    store.load_frame("seams_profiles", profiles)
    key = "trace_id, span_id"
    # a repeated 64-bit hash of the ids first (8 bytes a span to group): none proves no duplicate
    if not dedupe and con.execute(f"SELECT COUNT(*) FROM (SELECT hash({key}) AS h FROM seams_raw GROUP BY h HAVING COUNT(*) > 1)"
                                  ).fetchone()[0] and con.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM seams_raw GROUP BY {key} HAVING COUNT(*) > 1)").fetchone()[0]:
        return None
    con.execute("""CREATE OR REPLACE TABLE seams_t AS
        SELECT r.trace_id, r.span_id, r.parent_span_id, r.kind, p.name, p.service, r.start_ns, r.end_ns,
               (r.end_ns - r.start_ns) / 1e6 AS duration_ms, r.is_error, p.code_namespace, p.code_function,
               p.http_route, p.db_system, p.db_key, CAST(NULL AS VARCHAR) AS db_example, p.db_tables,
               p.messaging_destination, r.link_count, p.sampling_ratio, p.attributes, r.rowid AS rid
        FROM seams_raw AS r JOIN seams_profiles AS p ON p.profile = r.profile""")
    # the links in each span's order (only that order matters: the first linked span found)
    con.execute(f"""CREATE OR REPLACE TABLE seams_links AS
        SELECT rid * 4294967296 + pos AS ord, trace_id, span_id,
               lower(k ->> 'traceId') AS linked_trace_id, lower(k ->> 'spanId') AS linked_span_id
        FROM (SELECT rowid AS rid, trace_id, span_id, unnest(CAST(links AS JSON[])) AS k,
                     generate_subscripts(CAST(links AS JSON[]), 1) AS pos
              FROM seams_raw WHERE links IS NOT NULL)
        WHERE json_type(k -> 'traceId') = 'VARCHAR' AND json_type(k -> 'spanId') = 'VARCHAR'
          AND {_hex("k ->> 'traceId'", 32)} AND {_hex("k ->> 'spanId'", 16)}
          AND lower(k ->> 'traceId') <> '{_ZERO_TRACE}' AND lower(k ->> 'spanId') <> '{_ZERO_SPAN}'""")
    con.execute("DROP TABLE seams_raw")
    con.execute("DROP TABLE seams_profiles")
    store.has_links = bool(con.execute("SELECT COUNT(*) FROM seams_links").fetchone()[0])
    return int(con.execute("SELECT COUNT(*) FROM seams_t").fetchone()[0])


#: the exporter's columns a Parquet export must hold (``Links.TraceId`` / ``Links.SpanId`` optional)
PARQUET_COLUMNS = ("Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
                   "SpanAttributes", "ResourceAttributes", "Duration", "StatusCode")


def load_otel_parquet(store, path: Path, name: str, rejects: Rejects, *, named: frozenset[str] = frozenset(),
                      sampling_ratio: float | None = None) -> int:
    """A Parquet export of the exporter's ``otel_traces`` into ``store`` (see the module
    docstring); returns the spans kept. Missing columns: one SourceError naming them."""
    from analysis.core.errors import SourceError

    con = store.con
    source = str(path).replace("'", "''")
    scan = f"read_parquet('{source}')"
    types = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    missing = [c for c in PARQUET_COLUMNS if c not in types]
    if missing:
        raise SourceError(name, f"the Parquet file lacks the exporter's columns {', '.join(missing)}")
    timestamp = '"Timestamp"'
    start = (f"CAST({timestamp} AS BIGINT)" if any(t in types["Timestamp"] for t in ("INT", "DECIMAL"))
             else f"epoch_ns(CAST({timestamp} AS TIMESTAMP_NS))")
    links = '"Links.TraceId"' if "Links.TraceId" in types and "Links.SpanId" in types else None
    span_keys = resource_keys = _keys(WANTED_ATTRIBUTES | named - {"service.name"})
    kind = "upper(replace(CAST(SpanKind AS VARCHAR), 'SPAN_KIND_', ''))"
    kinds = "(" + ", ".join(f"'{k}'" for k in KIND_NAMES) + ")"
    attrs = ("list_transform(list_filter(map_entries({m}), lambda e: e.key IN ({keys})), "
             "lambda e: struct_pack(key := e.key, value := struct_pack(stringValue := e.value)))")
    reason = (f"CASE WHEN NOT {_hex('TraceId', 32)} OR lower(TraceId) = '{_ZERO_TRACE}' THEN 1 "
              f"WHEN NOT {_hex('SpanId', 16)} OR lower(SpanId) = '{_ZERO_SPAN}' THEN 2 "
              f"WHEN NOT (coalesce(ParentSpanId, '') = '' OR {_hex('ParentSpanId', 16)}) THEN 3 "
              f"WHEN {timestamp} IS NULL OR start_ns <= 0 OR Duration IS NULL THEN 4 ELSE 0 END")
    con.execute("DROP TABLE IF EXISTS seams_raw")
    con.execute(f"""CREATE TABLE seams_raw AS
        SELECT lower(TraceId) AS trace_id, lower(SpanId) AS span_id,
               CASE WHEN coalesce(ParentSpanId, '') = '' OR lower(ParentSpanId) = '{_ZERO_SPAN}' THEN NULL
                    ELSE lower(ParentSpanId) END AS parent_span_id,
               CASE WHEN {kind} IN {kinds} THEN {kind} ELSE 'UNSPECIFIED' END AS kind,
               start_ns, start_ns + CAST(Duration AS BIGINT) AS end_ns,
               coalesce(CAST(StatusCode AS VARCHAR) IN ('Error', 'STATUS_CODE_ERROR', 'ERROR'), FALSE) AS is_error,
               {f"CAST(coalesce(len({links}), 0) AS BIGINT)" if links else "CAST(0 AS BIGINT)"} AS link_count,
               to_json(struct_pack(n := SpanName, s := TraceState,
                   a := {attrs.format(m="SpanAttributes", keys=span_keys)},
                   r := list_concat([struct_pack(key := 'service.name', value := struct_pack(stringValue := ServiceName))],
                                    {attrs.format(m="ResourceAttributes", keys=resource_keys)})
                   ))::VARCHAR AS profile,
               {f'CASE WHEN len({links}) > 0 THEN to_json(list_transform(list_zip({links}, "Links.SpanId"), lambda l: struct_pack(traceId := l[1], spanId := l[2]))) END' if links else "CAST(NULL AS JSON)"} AS links,
               {reason} AS reason
        FROM (SELECT *, {start} AS start_ns FROM {scan})""")
    texts = {1: REASON_TRACE_ID, 2: REASON_SPAN_ID, 3: REASON_PARENT_ID, 4: REASON_START}
    for code, n in con.execute("SELECT reason, COUNT(*) FROM seams_raw WHERE reason > 0 GROUP BY reason ORDER BY reason").fetchall():
        rejects.add(name, "rows", texts[int(code)], records=int(n))
    con.execute("DELETE FROM seams_raw WHERE reason > 0")
    duplicates = con.execute("""SELECT COALESCE(SUM(n - 1), 0) FROM (
        SELECT COUNT(*) AS n FROM seams_raw GROUP BY trace_id, span_id HAVING COUNT(*) > 1)""").fetchone()[0]
    if duplicates:
        rejects.add(name, "rows", REASON_DUPLICATE, records=int(duplicates))
        con.execute("""DELETE FROM seams_raw WHERE rowid IN (SELECT rowid FROM (
            SELECT rowid, row_number() OVER (PARTITION BY trace_id, span_id ORDER BY rowid) AS k FROM seams_raw) WHERE k > 1)""")
    profiles = _profiles(con, named, sampling_ratio)
    if profiles is None:
        raise SourceError(name, "span names or attributes Seams' readers would reject (over the size limit)")
    kept = _finish(store, profiles, dedupe=True)
    return int(kept or 0)
