"""Spans held by an engine: ClickHouse (a server through clickhouse-connect, or chDB in this
process) and DuckDB (a database file in the cache, for local inputs too large for a frame).

Each store is a session holding the flat span table ``seams_t`` (and ``seams_links``) that
:func:`analysis.measures.runtime_sql.aggregate_spans` aggregates; its columns are listed there.

ClickHouse — :class:`ClickHouseStore` reads the OpenTelemetry Collector ClickHouse exporter's
table (default ``otel_traces``; :data:`OTEL_TRACES_DDL` is the exporter's definition):
``Timestamp`` (DateTime64(9), the start), ``TraceId``, ``SpanId``, ``ParentSpanId`` ('' for a
root), ``SpanName``, ``SpanKind`` (``Server``, ``SPAN_KIND_SERVER`` ...), ``ServiceName``,
``SpanAttributes`` (Map), ``Duration`` (UInt64 nanoseconds), ``StatusCode`` (``Error`` /
``STATUS_CODE_ERROR``), ``TraceState``, ``Links.TraceId`` / ``Links.SpanId`` (Nested). The
attributes are read by the semantic-convention names of the file readers
(:mod:`analysis.sources.traces.formats.spans`), the newer name first. Within a time window
(``since`` / ``until`` on ``Timestamp``) and, optionally, a sample of the traces
(``sample``: a trace is kept when ``cityHash64(TraceId)`` falls in that share, and every kept
span weighs 1 / share in the counts). A statement is keyed by ClickHouse's
``normalizeQuery`` and fingerprinted here from one example per key (the example never leaves
the process). Missing columns: one :class:`~analysis.core.errors.SourceError` naming them.
An unreachable server: a ``SourceError`` too (the pipeline turns it into missing evidence).

DuckDB — :class:`DuckDBStore` is a database file in the cache, with a memory limit and a
temporary folder beside it, so DuckDB spills to disk instead of growing. :func:`load_file`
fills it: by DuckDB's own readers where they read the file as Seams' readers do
(:mod:`analysis.sources.traces.engine_load`: OTLP/JSON lines by ``read_json``, Parquet exports
of ``otel_traces`` by ``read_parquet``), else with spans read by Seams' own readers
(:func:`analysis.sources.traces.iter_span_chunks`) chunk by chunk; duplicates across chunks
are then dropped (the first kept) once the file is loaded.

A duplicate span (the exporter may write a span twice on a retry) is looked for first by a
64-bit hash of its ids, and counted on the ids themselves only when a hash repeats.

The password of a ClickHouse server is never in the config: ``password_env`` names the
environment variable holding it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from analysis.core.config import TraceSource
from analysis.core.errors import SourceError
from analysis.core.rejects import Rejects

#: the OpenTelemetry Collector ClickHouse exporter's trace table (its ``traces_table.sql``,
#: with the exporter's defaults: MergeTree, no TTL, no cluster)
OTEL_TRACES_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
"""

#: the columns of the exporter's table Seams reads
OTEL_COLUMNS = ("Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
                "SpanAttributes", "Duration", "StatusCode", "Links.TraceId", "Links.SpanId")
#: settings of every ClickHouse query: NULLs from outer joins (as SQL has them); memory bounded
#: by spilling joins, sorts and groupings to disk
CLICKHOUSE_SETTINGS = {
    "join_use_nulls": 1,
    "allow_suspicious_low_cardinality_types": 1,
    "join_algorithm": "grace_hash,partial_merge,hash",
    "max_bytes_before_external_group_by": 50_000_000,
    "max_bytes_before_external_sort": 50_000_000,
    "max_threads": 2,
    # a grace hash join spills buckets to disk once its table exceeds this; starting with 16
    # buckets spares the rehashing of doubling from one (the parent join at 10 million spans in
    # chDB: 54 CPU seconds instead of 87, within the same peak memory)
    "max_bytes_in_join": 100_000_000,
    "grace_hash_join_initial_buckets": 16,
    # inserts (CREATE TABLE ... AS SELECT) written in blocks, not squashed to a million rows
    "min_insert_block_size_rows": 65_536,
    "min_insert_block_size_bytes": 32_000_000,
}


def _attr(*names: str) -> str:
    """The first non-empty of the span attributes ``names`` (NULL when none)."""
    parts = [f"nullIf(SpanAttributes['{n}'], '')" for n in names]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def otel_flat_select(table: str, *, named: tuple[str, ...] = (), where: str = "1", sample: float | None = None) -> str:
    """The flat span relation (``seams_t``'s columns, ``rid`` aside) over the exporter's
    ``table``, in ClickHouse SQL: the readers' rules for kinds, errors and attribute names."""
    kind = "upper(replaceOne(toString(SpanKind), 'SPAN_KIND_', ''))"
    function_name = _attr("code.function.name")
    job = _attr("rq.job.function", "celery.task_name")
    namespace = (f"coalesce({_attr('code.namespace')}, "
                 f"if({_attr('code.function')} IS NULL AND {function_name} IS NOT NULL AND position({function_name}, '.') > 0, "
                 f"substring({function_name}, 1, length({function_name}) - position(reverse({function_name}), '.')), NULL), "
                 f"if({_attr('code.function')} IS NULL AND {function_name} IS NULL AND position(coalesce({job}, ''), '.') > 0, "
                 f"substring({job}, 1, length({job}) - position(reverse({job}), '.')), NULL))")
    function = (f"coalesce({_attr('code.function')}, "
                f"if(position(coalesce({function_name}, ''), '.') > 0, "
                f"substring({function_name}, length({function_name}) - position(reverse({function_name}), '.') + 2), {function_name}), "
                f"if(position(coalesce({job}, ''), '.') > 0, substring({job}, length({job}) - position(reverse({job}), '.') + 2), NULL))")
    statement = _attr("db.query.text", "db.statement")
    pairs = ", ".join(f"'{n}', SpanAttributes['{n}']" for n in sorted(named))
    attributes = (f"if(length(mapFilter((k, v) -> v != '', map({pairs}))) = 0, NULL, "
                  f"toJSONString(mapFilter((k, v) -> v != '', map({pairs}))))") if named else "CAST(NULL AS Nullable(String))"
    ratio = f"toFloat64({sample!r})" if sample else "toFloat64OrNull(SpanAttributes['sampling.probability'])"
    keep = f" AND cityHash64(TraceId) % 1000000 < {int(round((sample or 1) * 1_000_000))}" if sample else ""
    return f"""
        SELECT TraceId AS trace_id, SpanId AS span_id, nullIf(ParentSpanId, '') AS parent_span_id,
               {kind} AS kind, toString(SpanName) AS name, nullIf(toString(ServiceName), '') AS service,
               toInt64(toUnixTimestamp64Nano(Timestamp)) AS start_ns,
               toInt64(toUnixTimestamp64Nano(Timestamp)) + toInt64(Duration) AS end_ns,
               Duration / 1e6 AS duration_ms,
               toBool(toString(StatusCode) IN ('Error', 'STATUS_CODE_ERROR', 'ERROR')) AS is_error,
               {namespace} AS code_namespace, {function} AS code_function,
               {_attr('http.route')} AS http_route, {_attr('db.system.name', 'db.system')} AS db_system,
               if({statement} IS NULL, NULL, normalizeQuery({statement})) AS db_key, {statement} AS db_example,
               CAST(NULL AS Nullable(String)) AS db_tables,
               {_attr('messaging.destination.name', 'messaging.destination')} AS messaging_destination,
               toInt64(length(Links.TraceId)) AS link_count, {ratio} AS sampling_ratio, {attributes} AS attributes
        FROM {table}
        WHERE ({where}){keep}"""


class ClickHouseStore:
    """The exporter's table in ClickHouse: a server (``client``: a clickhouse-connect client)
    or chDB (``session``: a chDB session). See the module docstring."""

    dialect = "clickhouse"

    def __init__(self, *, client=None, session=None, table: str = "otel_traces", named: tuple[str, ...] = (),
                 since: pd.Timestamp | None = None, until: pd.Timestamp | None = None, sample: float | None = None):
        if (client is None) == (session is None):
            raise ValueError("give a clickhouse-connect client or a chDB session")
        self.client, self.session, self.table = client, session, table
        self._purge = session is not None
        self.has_links = True
        self.prefix = "" if session is None else "seams_work."
        if session is not None:  # a chDB session keeps its settings from query to query
            for key, value in CLICKHOUSE_SETTINGS.items():
                self._raw(f"SET {key} = " + (f"'{value}'" if isinstance(value, str) else str(value)))
            self._raw("CREATE DATABASE IF NOT EXISTS seams_work")
        self.check_columns()
        window = ["1"]
        if since is not None:
            window.append(f"Timestamp >= toDateTime64('{pd.Timestamp(since).tz_convert('UTC').strftime('%Y-%m-%d %H:%M:%S.%f')}', 9, 'UTC')")
        if until is not None:
            window.append(f"Timestamp < toDateTime64('{pd.Timestamp(until).tz_convert('UTC').strftime('%Y-%m-%d %H:%M:%S.%f')}', 9, 'UTC')")
        flat = otel_flat_select(table, named=named, where=" AND ".join(window), sample=sample)
        self.create_table("seams_t", f"SELECT *, toInt64(rowNumberInAllBlocks()) AS rid FROM ({flat})")
        # one span per (trace, span id): the exporter may write a span twice on a retry; counted
        # (grouping spills to disk), and only when there are some, dropped (the first kept)
        # first by a 64-bit hash of the ids (8 bytes a span to group, not the two texts): equal
        # ids have equal hashes, so no repeated hash proves no duplicate; only a repeat is
        # then counted on the texts themselves
        self.duplicates = 0
        if self._count("SELECT COUNT(*) AS n FROM (SELECT cityHash64(trace_id, span_id) AS h FROM seams_t "
                        "GROUP BY h HAVING COUNT(*) > 1)"):
            self.duplicates = self._count("""SELECT SUM(n - 1) AS n
                FROM (SELECT COUNT(*) AS n FROM seams_t GROUP BY trace_id, span_id HAVING COUNT(*) > 1)""")
        if self.duplicates:
            self.create_table("seams_u", "SELECT * FROM seams_t ORDER BY rid LIMIT 1 BY trace_id, span_id")
            self.create_table("seams_t", "SELECT * FROM seams_u")
            self._raw(f"DROP TABLE IF EXISTS {self.prefix}seams_u")
        self.create_table("seams_links", """
            SELECT toInt64(rowNumberInAllBlocks()) AS ord, trace_id, span_id, linked_trace_id, linked_span_id FROM (
                SELECT TraceId AS trace_id, SpanId AS span_id, l.1 AS linked_trace_id, l.2 AS linked_span_id
                FROM {table} ARRAY JOIN arrayZip(Links.TraceId, Links.SpanId) AS l
                WHERE ({where}) AND length(Links.TraceId) > 0 ORDER BY trace_id, span_id)""".format(
            table=table, where=" AND ".join(window)))

    # -- the session ---------------------------------------------------------------
    def _count(self, sql: str) -> int:
        found = self.frame(sql)
        return int(found["n"].iloc[0]) if len(found) and not pd.isna(found["n"].iloc[0]) else 0

    def _raw(self, sql: str):
        if self.session is not None:
            head = sql.lstrip().upper()
            out = self.session.query(sql, "DataFrame" if head.startswith(("SELECT", "WITH")) else "CSV")
            if self._purge and head.startswith(("SELECT", "WITH", "CREATE", "INSERT")):
                # chDB's memory is this process's: what its allocator keeps after a statement is
                # handed back, so the next statement's peak is not added to the last one's
                try:
                    self.session.query("SYSTEM JEMALLOC PURGE", "CSV")
                except Exception:  # a build without jemalloc: nothing to hand back
                    self._purge = False
            return out
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            return self.client.query_df(sql, settings=CLICKHOUSE_SETTINGS)
        return self.client.command(sql, settings=CLICKHOUSE_SETTINGS)

    def _names(self, sql: str) -> str:
        if not self.prefix:
            return sql
        import re

        return re.sub(r"\b(seams_[a-z0-9_]+)\b", lambda m: self.prefix + m.group(1), sql)

    def execute(self, sql: str) -> None:
        self._raw(self._names(sql))

    def frame(self, sql: str) -> pd.DataFrame:
        out = self._raw(self._names(sql))
        return out if isinstance(out, pd.DataFrame) else pd.DataFrame()

    def create_table(self, name: str, select_sql: str) -> None:
        full = self.prefix + name
        self._raw(f"DROP TABLE IF EXISTS {full}")
        temporary = "TEMPORARY " if self.session is None else ""
        self._raw(f"CREATE {temporary}TABLE {full} ENGINE = MergeTree ORDER BY tuple() AS {self._names(select_sql)}")

    def load_frame(self, name: str, frame: pd.DataFrame) -> None:
        full = self.prefix + name
        self._raw(f"DROP TABLE IF EXISTS {full}")
        columns = ", ".join(f"`{c}` String" for c in frame.columns)
        temporary = "TEMPORARY " if self.session is None else ""
        self._raw(f"CREATE {temporary}TABLE {full} ({columns}) ENGINE = Memory")
        if self.client is not None:
            self.client.insert_df(full, frame.astype(str))
            return
        for start in range(0, len(frame), 1000):
            rows = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")"
                             for row in frame.iloc[start:start + 1000].itertuples(index=False))
            self._raw(f"INSERT INTO {full} VALUES {rows}")

    def fingerprints(self, keys: pd.DataFrame) -> pd.DataFrame:
        from analysis.sources.traces.formats.spans import statement_summary

        found = [statement_summary(str(example), None if pd.isna(system) else str(system))
                 for system, example in zip(keys["db_system"], keys["example"], strict=True)]
        return keys.assign(fingerprint=[f[0] for f in found], tables=[f[1] for f in found])

    def check_columns(self) -> None:
        """One error naming every column of :data:`OTEL_COLUMNS` the table lacks."""
        database, _, name = self.table.rpartition(".")
        where = f"table = '{name}'" + (f" AND database = '{database}'" if database else " AND database = currentDatabase()")
        found = self._raw(f"SELECT name FROM system.columns WHERE {where}")
        have = set(found["name"]) if isinstance(found, pd.DataFrame) and len(found) else set()
        if not have:
            raise SourceError(self.table, "no such table (the OpenTelemetry Collector ClickHouse exporter's otel_traces)")
        missing = [c for c in OTEL_COLUMNS if c not in have]
        if missing:
            raise SourceError(self.table, f"the table lacks the exporter's columns {', '.join(missing)}")


def _literal(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------
# DuckDB


SPAN_COLUMNS = ("trace_id", "span_id", "parent_span_id", "kind", "name", "service", "start_ns", "end_ns", "duration_ms",
                "is_error", "code_namespace", "code_function", "http_route", "db_system", "db_key", "db_example",
                "db_tables", "messaging_destination", "link_count", "sampling_ratio", "attributes")


class DuckDBStore:
    """Spans in a DuckDB database file (see the module docstring); ``memory_limit`` bounds
    DuckDB's memory, the rest spills into ``<path>.tmp/``."""

    dialect = "duckdb"

    def __init__(self, path: Path | str, *, memory_limit: str = "512MB", threads: int = 2):
        import duckdb

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute(f"SET temp_directory = '{self.path}.tmp'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # DuckDB would draw one on stdout
        self.has_links = False

    def close(self) -> None:
        self.con.close()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def create_table(self, name: str, select_sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {select_sql}")

    def load_frame(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register("seams_frame", frame)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM seams_frame")
        self.con.unregister("seams_frame")

    def fingerprints(self, keys: pd.DataFrame) -> pd.DataFrame:
        return keys.assign(fingerprint=keys["db_key"])

    def _append(self, table: str, frame: pd.DataFrame, exists: bool) -> bool:
        """Add ``frame``'s rows to ``table``, creating it from them the first time; True after."""
        self.con.register("seams_chunk", frame)
        self.con.execute(f"INSERT INTO {table} SELECT * FROM seams_chunk" if exists
                         else f"CREATE TABLE {table} AS SELECT * FROM seams_chunk")
        self.con.unregister("seams_chunk")
        return True

    def load_chunks(self, chunks: Iterable[tuple[pd.DataFrame, pd.DataFrame]]) -> int:
        """Append ``(spans chunk, span_links chunk)`` pairs (the ``spans`` frame's columns) as
        they come; then drop duplicates across chunks (the first kept). Returns the spans kept."""
        self.con.execute("DROP TABLE IF EXISTS seams_raw")
        self.con.execute("DROP TABLE IF EXISTS seams_links")
        created = links_created = False
        offset = link_offset = 0
        for chunk, links in chunks:
            if len(chunk):
                flat = span_rows(chunk, offset)
                offset += len(flat)
                created = self._append("seams_raw", flat, created)
            if len(links):
                rows = links[["trace_id", "span_id", "linked_trace_id", "linked_span_id"]].astype(object)
                rows.insert(0, "ord", range(link_offset, link_offset + len(rows)))
                link_offset += len(rows)
                links_created = self._append("seams_links", rows, links_created)
        if not created:
            self._append("seams_raw", span_rows(_empty_spans(), 0), False)
        self.con.execute("""CREATE OR REPLACE TABLE seams_t AS
            SELECT * FROM seams_raw QUALIFY row_number() OVER (PARTITION BY trace_id, span_id ORDER BY rid) = 1""")
        self.con.execute("DROP TABLE seams_raw")
        self.has_links = links_created
        row = self.con.execute("SELECT COUNT(*) FROM seams_t").fetchone()
        return int(row[0]) if row else 0


def _empty_spans() -> pd.DataFrame:
    from analysis.core import frames

    return frames.empty("spans")


def span_rows(spans: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A ``spans`` frame (or chunk) as ``seams_t`` rows numbered from ``offset``."""
    start = pd.to_datetime(spans["start"], utc=True).astype("datetime64[ns, UTC]").array.asi8
    end = pd.to_datetime(spans["end"], utc=True).astype("datetime64[ns, UTC]").array.asi8
    text = {c: spans[c].astype(object).where(spans[c].notna(), None).to_numpy()
            for c in ("trace_id", "span_id", "parent_span_id", "kind", "name", "service", "code_namespace", "code_function",
                      "http_route", "db_system", "db_fingerprint", "db_tables", "messaging_destination", "attributes")
            if c in spans}
    n = len(spans)
    return pd.DataFrame({
        "trace_id": text["trace_id"], "span_id": text["span_id"], "parent_span_id": text["parent_span_id"],
        "kind": text["kind"], "name": text["name"], "service": text["service"],
        "start_ns": start, "end_ns": end, "duration_ms": spans["duration_ms"].to_numpy(dtype=float),
        "is_error": spans["is_error"].to_numpy(dtype=bool),
        "code_namespace": text["code_namespace"], "code_function": text["code_function"], "http_route": text["http_route"],
        "db_system": text["db_system"], "db_key": text["db_fingerprint"], "db_example": pd.Series([None] * n, dtype=object),
        "db_tables": text["db_tables"], "messaging_destination": text["messaging_destination"],
        "link_count": spans["link_count"].to_numpy(dtype="int64"),
        "sampling_ratio": spans["sampling_ratio"].to_numpy(dtype=float),
        "attributes": text.get("attributes", pd.Series([None] * n, dtype=object)),
        "rid": pd.RangeIndex(offset, offset + n).to_numpy(dtype="int64"),
    })


def clickhouse_client(host: str, *, port: int | None = None, username: str = "default", password_env: str | None = None,
                      database: str | None = None, secure: bool = False):
    """A clickhouse-connect client; the password from the environment variable ``password_env``
    (never from the config). An unreachable server raises :class:`SourceError`."""
    import clickhouse_connect
    from clickhouse_connect.driver.exceptions import ClickHouseError

    password = os.environ.get(password_env, "") if password_env else ""
    try:
        return clickhouse_connect.get_client(host=host, port=port or (8443 if secure else 8123), username=username,
                                             password=password, database=database or "default", secure=secure,
                                             autogenerate_session_id=True, connect_timeout=10)
    except (OSError, ClickHouseError) as exc:  # refused, timed out, unknown host, bad credentials
        raise SourceError(f"clickhouse://{host}", f"cannot connect ({type(exc).__name__})") from None


# --------------------------------------------------------------------------------------
# OTLP/JSON lines as the exporter's rows (to load a file into ClickHouse or chDB)

_KIND_TEXT = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
_STATUS_TEXT = {0: "Unset", 1: "Ok", 2: "Error"}


def _text(value: dict) -> str:
    from analysis.sources.traces.formats.spans import attribute_text

    found = attribute_text(value)
    return "" if found is None else found


def _hex_id(raw) -> str:
    import base64

    if not raw:
        return ""
    if isinstance(raw, str) and all(c in "0123456789abcdefABCDEF" for c in raw):
        return raw.lower()
    try:
        return base64.b64decode(raw).hex()
    except (ValueError, TypeError):
        return str(raw)


def otel_rows(lines: Iterable[bytes]) -> Iterable[dict]:
    """The exporter's ``otel_traces`` rows (one dict per span, JSONEachRow keys) of OTLP/JSON
    lines (``{"resourceSpans": [...]}`` per line), as the Collector would write them."""
    import orjson

    for line in lines:
        if not line.strip():
            continue
        document = orjson.loads(line)
        for resource_spans in document.get("resourceSpans") or ():
            resource = {a["key"]: _text(a.get("value") or {}) for a in (resource_spans.get("resource") or {}).get("attributes") or ()}
            service = resource.get("service.name", "")
            for scope_spans in resource_spans.get("scopeSpans") or ():
                scope = scope_spans.get("scope") or {}
                for span in scope_spans.get("spans") or ():
                    start, end = int(span.get("startTimeUnixNano") or 0), int(span.get("endTimeUnixNano") or 0)
                    kind = span.get("kind", 0)
                    kind = _KIND_TEXT[kind] if isinstance(kind, int) and 0 <= kind < 6 else str(kind)
                    status = (span.get("status") or {}).get("code", 0)
                    links = span.get("links") or ()
                    yield {
                        "Timestamp": f"{start // 1_000_000_000}.{start % 1_000_000_000:09d}",
                        "TraceId": _hex_id(span.get("traceId")), "SpanId": _hex_id(span.get("spanId")),
                        "ParentSpanId": _hex_id(span.get("parentSpanId")), "TraceState": span.get("traceState") or "",
                        "SpanName": span.get("name") or "", "SpanKind": kind, "ServiceName": service,
                        "ResourceAttributes": resource, "ScopeName": scope.get("name") or "",
                        "ScopeVersion": scope.get("version") or "",
                        "SpanAttributes": {a["key"]: _text(a.get("value") or {}) for a in span.get("attributes") or ()},
                        "Duration": max(end - start, 0),
                        "StatusCode": _STATUS_TEXT.get(status, str(status)) if isinstance(status, int) else str(status),
                        "StatusMessage": "",
                        "Links.TraceId": [_hex_id(k.get("traceId")) for k in links],
                        "Links.SpanId": [_hex_id(k.get("spanId")) for k in links],
                        "Links.TraceState": [k.get("traceState") or "" for k in links],
                        "Links.Attributes": [{} for _ in links],
                    }


# --------------------------------------------------------------------------------------
# opening the store of a configured trace source


#: engine errors (a server gone, a query refused, a disk full) become a SourceError: the
#: traces are then missing evidence in the report, not a crash
def _engine_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [OSError]
    try:
        import duckdb

        found.append(duckdb.Error)
    except ImportError:
        pass
    try:
        from chdb import ChdbError

        found.append(ChdbError)
    except ImportError:
        pass
    try:
        from clickhouse_connect.driver.exceptions import ClickHouseError

        found.append(ClickHouseError)
    except ImportError:
        pass
    return tuple(found)


@contextlib.contextmanager
def open_store(source: TraceSource, rejects: Rejects, *, cache_dir: Path | None = None) -> Iterator:
    """The store holding ``source``'s spans: its ClickHouse table (``format: clickhouse``), or
    a DuckDB database in the cache, loaded once per version of the file (a file larger than
    ``trace_store_min_mib``). Any engine failure is raised as a :class:`SourceError`."""
    name = str(source.path)
    errors = _engine_errors()
    try:
        if source.store is not None:
            spec = source.store
            if spec.chdb is not None:
                from chdb import session

                handle = session.Session(str(spec.chdb))
                client = None
            else:
                handle = None
                client = clickhouse_client(spec.host or "", port=spec.port, username=spec.username,
                                           password_env=spec.password_env, database=spec.database, secure=spec.secure)
            yield ClickHouseStore(client=client, session=handle, table=spec.table, named=source.attributes,
                                  since=pd.Timestamp(spec.since) if spec.since else None,
                                  until=pd.Timestamp(spec.until) if spec.until else None, sample=spec.sample)
            return
        yield _duckdb_of_file(source, rejects, cache_dir)
    except SourceError:
        raise
    except errors as exc:
        raise SourceError(name, f"the trace engine failed ({type(exc).__name__}: {exc})") from None


def _duckdb_of_file(source: TraceSource, rejects: Rejects, cache_dir: Path | None) -> DuckDBStore:
    import hashlib
    import tempfile

    from analysis.sources.traces.miner import parse_workers

    st = os.stat(source.path)
    key = hashlib.blake2b(f"{Path(source.path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{source.format}|"
                          f"{source.sampling_ratio}|{source.attributes}".encode(), digest_size=12).hexdigest()
    folder = (cache_dir / "traces-duckdb" / key) if cache_dir is not None else Path(tempfile.mkdtemp(prefix="seams-duckdb-"))
    loaded = folder / "loaded"
    store = DuckDBStore(folder / "spans.duckdb")
    if loaded.exists():
        store.has_links = bool(store.frame("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'seams_links'")["n"].iloc[0])
        return store
    load_file(store, source, rejects, workers=parse_workers(source.path))
    loaded.write_text("spans loaded\n")
    return store


def load_file(store: DuckDBStore, source: TraceSource, rejects: Rejects, *, workers: int = 1) -> str:
    """``source``'s spans into ``store``: by DuckDB's own readers where they read the file as
    Seams' readers do (:mod:`analysis.sources.traces.engine_load`: OTLP/JSON lines, Parquet
    exports of ``otel_traces``), else by Seams' readers chunk by chunk. Returns the way it
    went: ``"duckdb"`` or ``"python"``."""
    from analysis.sources.traces.engine_load import load_otel_parquet, load_otlp_json
    from analysis.sources.traces.formats.spans import TraceReadStats
    from analysis.sources.traces.miner import iter_span_chunks, resolve_format

    name, named = str(source.path), frozenset(source.attributes)
    if source.format == "otel-parquet":
        load_otel_parquet(store, Path(source.path), name, rejects, named=named, sampling_ratio=source.sampling_ratio)
        return "duckdb"
    stats = TraceReadStats()
    fmt = resolve_format(source, rejects, stats)
    if fmt == "otlp-json" and load_otlp_json(store, Path(source.path), name, rejects, named=named,
                                             sampling_ratio=source.sampling_ratio):
        return "duckdb"
    store.load_chunks(iter_span_chunks(source, rejects, stats, fmt=fmt, workers=workers) if fmt is not None else ())
    return "python"
