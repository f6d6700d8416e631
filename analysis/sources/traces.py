"""Spans from OpenTelemetry traces exported as OTLP/JSON.

Public entry: :func:`mine_traces` ``(TraceSource, Rejects) -> SourceFrames`` with one frame,
``spans`` (contract in :mod:`analysis.frames`)::

    trace_id, span_id, parent_span_id, name, kind, service, start, end, duration_ms,
    is_error, code_namespace, code_function, http_route, db_system, db_fingerprint,
    db_tables, messaging_destination, link_count

The parts around it, usable on their own:

- :func:`parse_otlp_json` ``(message) -> Iterator[dict]``: pure, one decoded message in,
  one row (or reject) per span out;
- :func:`iter_otlp_json_lines` ``(lines, source, rejects) -> Iterator[dict]``: JSON lines
  in, kept rows out, rejects filed;
- :func:`spans_frame` ``(rows) -> DataFrame``: kept rows to the contract frame.

What it reads
    The OTLP/JSON encoding of ``TracesData`` / ``ExportTraceServiceRequest``
    (``{"resourceSpans": [{"resource": …, "scopeSpans": [{"spans": [...]}]}]}``; the
    pre-1.0 name ``instrumentationLibrarySpans`` is read too), in one of two shapes, told
    apart by the file's first non-blank line:

    - JSON lines, one request per line, as the OpenTelemetry Collector's ``file``
      exporter writes them (the first line is a complete JSON value). Read line by line,
      spans packed into frame chunks as they come: memory grows with the spans kept, not
      with the file (one line at a time is decoded whole).
    - one JSON document spanning the whole file (the first line alone is not valid
      JSON, the whole file is). Read whole, so memory holds the file once. A JSON-lines
      file with a damaged first line is also tried whole once, then read line by line.

    Either may be wrapped in the Jaeger ``api_v3`` envelope ``{"result": {...}}``. A file
    starting with the gzip magic bytes is decompressed on the fly, whatever its name.

How a span becomes a row
    - ``trace_id`` / ``span_id`` / ``parent_span_id``: hex of any case (lower-cased) or
      base64 (the proto3 JSON mapping of ``bytes``) decoding to 16 / 8 bytes. An empty,
      missing or all-zero ``parentSpanId`` is ``<NA>`` (a root span).
    - ``kind``: the enum number (0 UNSPECIFIED, 1 INTERNAL, 2 SERVER, 3 CLIENT,
      4 PRODUCER, 5 CONSUMER) or its name (``SPAN_KIND_SERVER`` → ``SERVER``); missing
      is UNSPECIFIED; anything else is read as UNSPECIFIED and counted in the notes.
    - ``service``: the resource attribute ``service.name`` (``unknown_service`` when absent).
    - ``start`` / ``end``: ``startTimeUnixNano`` / ``endTimeUnixNano`` (strings or numbers)
      as UTC timestamps; ``duration_ms = (end - start) / 1e6``.
    - ``is_error``: ``status.code`` is 2 / ``STATUS_CODE_ERROR``.
    - ``code_namespace`` / ``code_function``: ``code.namespace`` / ``code.function``
      (old semantic conventions), else ``code.function.name`` split at its last ``::``
      or ``.`` (``pkg.mod.func`` → ``pkg.mod`` / ``func``).
    - ``http_route``: ``http.route``. ``messaging_destination``:
      ``messaging.destination.name``, else ``messaging.destination``.
    - ``db_system``: ``db.system.name``, else ``db.system``.
    - ``db_fingerprint`` / ``db_tables``: from ``db.query.text``, else ``db.statement``:
      ``sqltext.fingerprint(sqltext.normalize(text))`` and the sorted, comma-joined
      tables ``sqltext.table_access`` reads or writes, parsed in the dialect of the
      ``db.system`` (:data:`SQL_DIALECTS`, default postgres; ``<NA>`` for the
      :data:`NON_SQL_DB_SYSTEMS` such as redis or mongodb). The statement text is never
      kept; a span name of several words that is the statement itself (same
      fingerprint) is replaced by ``"<operation> <tables>"``, so no literal reaches the
      frame through the name.
    - ``link_count``: the number of ``links``.

    No other attribute value is read or kept.

What is rejected (``Rejects``: source = the file path, location, reason)
    - a line that is not valid JSON (``"line N"``, ``"invalid JSON: …"``), for example a
      truncated last line; a truncated gzip stream;
    - a JSON line without ``resourceSpans`` (``"not OTLP/JSON (no resourceSpans)"``);
      when no line of a non-empty file is OTLP/JSON, :class:`~analysis.errors.SourceError`;
    - a span without a valid ``traceId`` or ``spanId``, with an unreadable
      ``parentSpanId``, without a start or end time, or ending before it starts;
    - a second span with the same ``spanId`` in one trace (the first one is kept).

``records_read`` counts the spans read (kept or rejected); ``records_rejected`` counts
every reject filed for the source by this call. An empty file gives an empty frame and a
note.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import math
import os
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import numpy as np
import orjson
import pandas as pd

from analysis import frames
from analysis.config import TraceSource
from analysis.errors import SourceError
from analysis.frames import SourceFrames
from analysis.rejects import Rejects

UNKNOWN_SERVICE = "unknown_service"
NOT_OTLP = "not OTLP/JSON (no resourceSpans)"
DUPLICATE_SPAN = "duplicate span id"

_KIND_NAMES = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_KINDS: dict[object, str] = {
    key: name for number, name in enumerate(_KIND_NAMES) for key in (number, str(number), name, f"SPAN_KIND_{name}")
}
_ERROR_CODES = frozenset({2, "2", "STATUS_CODE_ERROR", "ERROR"})

#: Database systems (``db.system`` / ``db.system.name``) whose statements are not SQL:
#: they are fingerprinted but not searched for tables.
NON_SQL_DB_SYSTEMS = frozenset({
    "redis", "mongodb", "memcached", "elasticsearch", "opensearch", "dynamodb", "aws.dynamodb",
    "couchdb", "hbase", "neo4j", "geode", "cosmosdb", "azure.cosmosdb", "influxdb", "etcd",
})
#: ``db.system`` values to sqlglot dialects; other systems use the default dialect.
SQL_DIALECTS = {
    "postgresql": "postgres", "cockroachdb": "postgres", "mysql": "mysql", "mariadb": "mysql",
    "sqlite": "sqlite", "mssql": "tsql", "microsoft.sql_server": "tsql", "oracle": "oracle",
    "oracle.db": "oracle", "redshift": "redshift", "aws.redshift": "redshift",
    "snowflake": "snowflake", "clickhouse": "clickhouse", "trino": "trino", "presto": "presto",
    "hive": "hive", "spark": "spark", "duckdb": "duckdb", "teradata": "teradata",
    "gcp.bigquery": "bigquery", "bigquery": "bigquery",
}
DEFAULT_SQL_DIALECT = "postgres"

#: Statements (and span names) up to this length are normalized once per distinct text;
#: the cache holds raw text in memory only, never in a frame.
_CACHED_STATEMENT_CHARS = 4096
_CACHE_ENTRIES = 4096
#: Spans gathered in Python lists before they are packed into a frame chunk.
_CHUNK_SPANS = 20_000

_CODE_NAMESPACE = "code.namespace"
_CODE_FUNCTION = "code.function"
_CODE_FUNCTION_NAME = "code.function.name"
_HTTP_ROUTE = "http.route"
_DB_SYSTEM_NAME = "db.system.name"
_DB_SYSTEM = "db.system"
_DB_QUERY_TEXT = "db.query.text"
_DB_STATEMENT = "db.statement"
_MESSAGING_DESTINATION_NAME = "messaging.destination.name"
_MESSAGING_DESTINATION = "messaging.destination"
_WANTED_ATTRIBUTES = frozenset({
    _CODE_NAMESPACE, _CODE_FUNCTION, _CODE_FUNCTION_NAME, _HTTP_ROUTE, _DB_SYSTEM_NAME, _DB_SYSTEM,
    _DB_QUERY_TEXT, _DB_STATEMENT, _MESSAGING_DESTINATION_NAME, _MESSAGING_DESTINATION,
})

_ZERO_SPAN = "0" * 16
_MAX_NANOS = 2**63 - 1
_MAX_DIGITS = 20  # longer digit strings are no 64-bit number (and int() would refuse huge ones)
_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_EXCERPT_CHARS = 40


# --------------------------------------------------------------------------------------
# pure parsing: one decoded message -> span rows

#: called with (reason, where) for each span or part of a message that cannot be read
OnReject = Callable[[str, str], None]


def resource_spans_of(message: object) -> object | None:
    """The ``resourceSpans`` of one decoded OTLP/JSON message, or None when it is not one.

    Unwraps the Jaeger api_v3 envelope ``{"result": {...}}``. ``{}`` (an empty proto3
    message) and ``"resourceSpans": null`` are OTLP with no spans (``[]``).
    """
    if isinstance(message, dict) and "resourceSpans" not in message and "result" in message:
        message = message["result"]
    if not isinstance(message, dict):
        return None
    if "resourceSpans" in message:
        found = message["resourceSpans"]
        return [] if found is None else found
    return [] if not message else None


def parse_otlp_json(message: object) -> Iterator[dict]:
    """One row per span of one decoded ``TracesData`` / ``ExportTraceServiceRequest``.

    A kept span is a dict with the ``spans`` contract's columns, except that ``start``
    and ``end`` are unix nanoseconds (int; :func:`spans_frame` turns them into UTC
    timestamps), plus ``unknown_kind`` (True when the kind was not recognised and read as
    UNSPECIFIED). A span, or a part of the message, that cannot be read is a dict
    ``{"reject": reason, "where": "resourceSpans[i].scopeSpans[j].spans[k]"}``; a
    message that is not OTLP/JSON gives one such reject with reason :data:`NOT_OTLP`.
    """
    found = resource_spans_of(message)
    if found is None:
        yield {"reject": NOT_OTLP, "where": ""}
        return
    pending: list[dict] = []
    for values in _span_values(found, lambda reason, where: pending.append({"reject": reason, "where": where})):
        yield from pending
        pending.clear()
        yield _row(values)
    yield from pending


def _row(values: tuple) -> dict:
    row = dict(zip(_COLUMNS, values))
    row["unknown_kind"] = values[_UNKNOWN_KIND]
    return row


def _span_values(resource_spans: object, on_reject: OnReject) -> Iterator[tuple]:
    """The values of each readable span, in contract column order plus ``unknown_kind``."""
    if not isinstance(resource_spans, list):
        on_reject("resourceSpans is not a list", "resourceSpans")
        return
    for i, rs in enumerate(resource_spans):
        if not isinstance(rs, dict):
            on_reject("resourceSpans entry is not an object", f"resourceSpans[{i}]")
            continue
        service = _service_name(rs.get("resource"))
        scopes_key = "scopeSpans" if "scopeSpans" in rs else "instrumentationLibrarySpans"
        scopes = rs.get(scopes_key) or []
        if not isinstance(scopes, list):
            on_reject(f"{scopes_key} is not a list", f"resourceSpans[{i}]")
            continue
        for j, scope in enumerate(scopes):
            if not isinstance(scope, dict):
                on_reject(f"{scopes_key} entry is not an object", f"resourceSpans[{i}].{scopes_key}[{j}]")
                continue
            spans = scope.get("spans")
            if not isinstance(spans, list):
                if spans is not None:
                    on_reject("spans is not a list", f"resourceSpans[{i}].{scopes_key}[{j}]")
                continue
            for k, span in enumerate(spans):
                values = _span(span, service)
                if values.__class__ is str:
                    on_reject(values, f"resourceSpans[{i}].{scopes_key}[{j}].spans[{k}]")
                else:
                    yield values


def _service_name(resource: object) -> str:
    attributes = resource.get("attributes") if isinstance(resource, dict) else None
    if isinstance(attributes, list):
        for a in attributes:
            if isinstance(a, dict) and a.get("key") == "service.name":
                name = _attribute_text(a.get("value"))
                if name:
                    return name
    return UNKNOWN_SERVICE


def _span(span: object, service: str) -> tuple | str:
    """One span's values (contract order, then ``unknown_kind``), or why it is rejected."""
    if not isinstance(span, dict):
        return "span is not an object"
    trace_id = _id_hex(span.get("traceId"), 16)
    if trace_id is None:
        return "missing or invalid traceId"
    span_id = _id_hex(span.get("spanId"), 8)
    if span_id is None:
        return "missing or invalid spanId"
    parent = span.get("parentSpanId")
    if parent is not None and parent != "":
        parent = _id_hex(parent, 8, zero=True)
        if parent is None:
            return "invalid parentSpanId"
        if parent == _ZERO_SPAN:
            parent = None
    else:
        parent = None
    start = _nanos(span.get("startTimeUnixNano"))
    if start is None:
        return "missing or invalid startTimeUnixNano"
    end = _nanos(span.get("endTimeUnixNano"))
    if end is None:
        return "missing or invalid endTimeUnixNano"
    if end < start:
        return "end before start"

    raw_kind = span.get("kind") or 0  # missing or null: the proto3 default
    kind = _KINDS.get(raw_kind) if raw_kind.__class__ in (int, str) else None
    status = span.get("status")
    code = status.get("code") if status.__class__ is dict else None
    links = span.get("links")
    name = span.get("name")
    if name.__class__ is not str:
        name = "" if name is None else str(name)

    namespace = function = route = db_system = statement = destination = None
    attributes = span.get("attributes")
    if attributes.__class__ is list:
        found: dict[str, str] = {}
        for a in attributes:
            if a.__class__ is dict and (key := a.get("key")).__class__ is str and key in _WANTED_ATTRIBUTES:
                text = _attribute_text(a.get("value"))
                if text:
                    found[key] = text
        if found:
            namespace, function = found.get(_CODE_NAMESPACE), found.get(_CODE_FUNCTION)
            if namespace is None and function is None and _CODE_FUNCTION_NAME in found:
                namespace, function = split_function_name(found[_CODE_FUNCTION_NAME])
            route = found.get(_HTTP_ROUTE)
            db_system = found.get(_DB_SYSTEM_NAME) or found.get(_DB_SYSTEM)
            statement = found.get(_DB_QUERY_TEXT) or found.get(_DB_STATEMENT)
            destination = found.get(_MESSAGING_DESTINATION_NAME) or found.get(_MESSAGING_DESTINATION)
    db_fingerprint = db_tables = None
    if statement is not None:
        db_fingerprint, db_tables, label = _statement_summary(statement, db_system)
        if " " in name.strip() and _name_fingerprint(name) == db_fingerprint:
            name = label

    return (
        trace_id, span_id, parent, name, kind or "UNSPECIFIED", service, start, end,
        (end - start) / 1e6,
        code in _ERROR_CODES if code.__class__ in (int, str) else False,
        namespace, function, route, db_system, db_fingerprint, db_tables, destination,
        len(links) if links.__class__ is list else 0,
        kind is None,
    )


def split_function_name(qualified: str) -> tuple[str | None, str]:
    """``code.function.name`` → (namespace, function), split at the last ``::`` or ``.``.

    ``"pkg.mod.func"`` → ``("pkg.mod", "func")``; ``"Ns\\\\Cls::run"`` → ``("Ns\\\\Cls", "run")``;
    ``"main"`` → ``(None, "main")``.
    """
    sep = "::" if "::" in qualified else "."
    namespace, dot, function = qualified.rpartition(sep)
    if not dot or not namespace or not function:
        return None, qualified
    return namespace, function


def _attribute_text(value: object) -> str | None:
    """An OTLP ``AnyValue`` as text: strings as they are, ints (string or number), doubles
    and bools spelled out; arrays, maps and bytes give None."""
    if isinstance(value, dict):
        if "stringValue" in value:
            text = value["stringValue"]
            return text if isinstance(text, str) else None
        if "intValue" in value:
            number = value["intValue"]
            if isinstance(number, int) and not isinstance(number, bool):
                return str(number)
            if isinstance(number, str) and _is_integer_text(number):
                return str(int(number))
            return None
        if "boolValue" in value:
            flag = value["boolValue"]
            return ("true" if flag else "false") if isinstance(flag, bool) else None
        if "doubleValue" in value:
            number = value["doubleValue"]
            return repr(float(number)) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
        return None
    if isinstance(value, str):  # a bare value, as some hand-written exporters emit
        return value
    return None


def _is_integer_text(text: str) -> bool:
    digits = text[1:] if text[:1] in ("-", "+") else text
    return len(digits) <= _MAX_DIGITS and digits.isascii() and digits.isdigit()


def _id_hex(raw: object, size: int, zero: bool = False) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex; None when unreadable.

    ``2 * size`` hex digits (any case) are read as hex; anything else as base64 (standard
    or URL-safe, padding optional) of exactly ``size`` bytes. An all-zero id is invalid
    (W3C trace context) unless ``zero`` (an all-zero parent means "no parent").
    """
    if raw.__class__ is not str or not raw:
        return None
    decoded = None
    if len(raw) == 2 * size:
        try:
            decoded = bytes.fromhex(raw)
        except ValueError:
            decoded = None
    if decoded is None or len(decoded) != size:
        padded = raw + "=" * (-len(raw) % 4)
        try:
            decoded = base64.b64decode(padded, altchars=b"-_" if ("-" in raw or "_" in raw) else None, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(decoded) != size:
            return None
    if not zero and not any(decoded):
        return None
    return decoded.hex()


def _nanos(raw: object) -> int | None:
    """Unix nanoseconds from a JSON string or number; None for missing, zero (the proto3
    default: not set), negative or out-of-range values."""
    if isinstance(raw, str):
        if not (len(raw) <= _MAX_DIGITS and raw.isascii() and raw.isdigit()):
            return None
        value = int(raw)
    elif isinstance(raw, bool):
        return None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw):
        value = int(raw)
    else:
        return None
    if value <= 0 or value > _MAX_NANOS:
        return None
    return value


# --------------------------------------------------------------------------------------
# db statements: fingerprints and tables (the text itself is never kept)


def _statement_summary(statement: str, db_system: str | None) -> tuple[str, str | None, str]:
    """(fingerprint, comma-joined tables or None, ``"<operation> <tables>"`` label)."""
    system = db_system.lower() if db_system else None
    dialect = SQL_DIALECTS.get(system, DEFAULT_SQL_DIALECT) if system else DEFAULT_SQL_DIALECT
    sql = system not in NON_SQL_DB_SYSTEMS
    summary = _cached_summary if len(statement) <= _CACHED_STATEMENT_CHARS else _summary
    return summary(statement, dialect, sql)


def _summary(statement: str, dialect: str, sql: bool) -> tuple[str, str | None, str]:
    from analysis import sqltext

    normalized = sqltext.normalize(statement)
    fingerprint = sqltext.fingerprint(normalized)
    if not sql:
        return fingerprint, None, f"db {fingerprint}"
    access = sqltext.table_access(normalized, dialect)  # cached there, per normalized text
    tables = ",".join(sorted(access.reads | access.writes)) or None
    return fingerprint, tables, f"{access.operation} {tables}" if tables else access.operation


def _name_fingerprint(name: str) -> str:
    """The fingerprint of a span name, to spot names that repeat their statement."""
    if len(name) <= _CACHED_STATEMENT_CHARS:
        return _cached_fingerprint(name)
    return _fingerprint(name)


def _fingerprint(text: str) -> str:
    from analysis import sqltext

    return sqltext.fingerprint(sqltext.normalize(text))


_cached_summary = lru_cache(maxsize=_CACHE_ENTRIES)(_summary)
_cached_fingerprint = lru_cache(maxsize=_CACHE_ENTRIES)(_fingerprint)


# --------------------------------------------------------------------------------------
# rows -> the spans frame


_COLUMNS = tuple(frames.SCHEMAS["spans"])
_UNKNOWN_KIND = len(_COLUMNS)


def spans_frame(rows: Iterable[dict], chunk_spans: int = _CHUNK_SPANS) -> pd.DataFrame:
    """The ``spans`` contract frame from the kept rows of :func:`parse_otlp_json`."""
    columns = _SpanColumns(chunk_spans)
    for row in rows:
        if "reject" not in row:
            columns.append(tuple(row[c] for c in _COLUMNS))
    return columns.frame()


class _SpanColumns:
    """One list per contract column, filled span by span (no list of dicts is kept).

    Every ``chunk_spans`` spans the lists become a frame (Arrow-backed strings take a
    fraction of the memory of Python objects) and start again.
    """

    def __init__(self, chunk_spans: int = _CHUNK_SPANS) -> None:
        self.chunk_spans = chunk_spans
        self.chunks: list[pd.DataFrame] = []
        self._start_lists()

    def _start_lists(self) -> None:
        self.lists: dict[str, list] = {c: [] for c in _COLUMNS}
        self._appends = tuple(values.append for values in self.lists.values())
        self._room = self.chunk_spans

    def append(self, values: tuple) -> None:
        for append, value in zip(self._appends, values):
            append(value)
        self._room -= 1
        if not self._room:
            self.chunks.append(self._lists_frame())
            self._start_lists()

    def frame(self) -> pd.DataFrame:
        last = self._lists_frame()
        if not self.chunks:
            return last
        return frames.conform(pd.concat([*self.chunks, last], ignore_index=True), "spans")

    def _lists_frame(self) -> pd.DataFrame:
        data: dict[str, object] = {}
        for column, values in self.lists.items():
            kind = frames.SCHEMAS["spans"][column]
            if kind == "datetime":
                data[column] = pd.to_datetime(np.asarray(values, dtype="int64"), unit="ns", utc=True)
            elif kind in ("int", "float", "bool"):
                data[column] = np.asarray(values, dtype={"int": "int64", "float": "float64", "bool": "bool"}[kind])
            else:
                data[column] = pd.array(values, dtype="string")
        return frames.conform(pd.DataFrame(data), "spans")


# --------------------------------------------------------------------------------------
# reading: lines and documents -> rows, with rejects


@dataclass
class TraceReadStats:
    """What one read saw besides the kept spans (for ``SourceFrames`` and its notes)."""

    spans_read: int = 0
    otlp_messages: int = 0
    json_values: int = 0
    nonblank_lines: int = 0
    first_line: str | None = None
    unknown_kinds: int = 0
    notes: list[str] = field(default_factory=list)


class _SpanReader:
    """Decoded messages → kept span values; files rejects and drops duplicate span ids."""

    def __init__(self, source: str, rejects: Rejects, stats: TraceReadStats):
        self.source = source
        self.rejects = rejects
        self.stats = stats
        self.seen: set[str] = set()

    def line(self, raw: bytes | str, number: int) -> Iterator[tuple]:
        text = raw.strip()
        if not text:
            return
        self.stats.nonblank_lines += 1
        if self.stats.first_line is None:
            self.stats.first_line = _excerpt(text)
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            self.rejects.add(self.source, number, f"invalid JSON: {exc.msg}", text[:80])
            return
        yield from self.message(message, f"line {number}", text)

    def message(self, message: object, location: str, excerpt: bytes | str = b"") -> Iterator[tuple]:
        """``location`` is ``"line N"`` in JSON lines, ``""`` for a whole document."""
        stats = self.stats
        stats.json_values += 1
        found = resource_spans_of(message)
        if found is None:
            self.rejects.add(self.source, location or "document", NOT_OTLP, excerpt[:80])
            return
        stats.otlp_messages += 1

        def reject(reason: str, where: str) -> None:
            stats.spans_read += 1
            self.rejects.add(self.source, f"{location} {where}" if location else where, reason)

        seen = self.seen
        for values in _span_values(found, reject):
            stats.spans_read += 1
            key = values[0] + values[1]
            if key in seen:
                self.rejects.add(self.source, location or f"span {stats.spans_read}", DUPLICATE_SPAN, f"{values[0]} {values[1]}")
                continue
            seen.add(key)
            if values[_UNKNOWN_KIND]:
                stats.unknown_kinds += 1
            yield values

    def nothing_otlp(self) -> SourceError | None:
        """The error to raise when a non-empty input held no OTLP/JSON at all."""
        if self.stats.nonblank_lines and not self.stats.otlp_messages:
            name = Path(self.source).name or self.source
            return SourceError(self.source, f"{name} is not OTLP/JSON: first line starts with {self.stats.first_line!r}")
        return None


def _excerpt(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text[: _EXCERPT_CHARS * 4].decode("utf-8", "replace")
    return text[:_EXCERPT_CHARS]


def iter_otlp_json_lines(
    lines: Iterable[bytes | str],
    source: TraceSource | str | os.PathLike,
    rejects: Rejects,
    stats: TraceReadStats | None = None,
) -> Iterator[dict]:
    """Kept span rows (as :func:`parse_otlp_json` gives them) from JSON lines.

    One OTLP/JSON message per line, numbered from 1. Lines that are not JSON or not OTLP,
    unreadable spans and repeated span ids are filed in ``rejects`` under ``source`` (a
    :class:`TraceSource` or a file name). Raises :class:`SourceError` once the lines are
    exhausted when no non-blank line was OTLP/JSON.
    """
    reader = _SpanReader(_source_name(source), rejects, stats if stats is not None else TraceReadStats())
    for number, raw in enumerate(lines, 1):
        for values in reader.line(raw, number):
            yield _row(values)
    error = reader.nothing_otlp()
    if error is not None:
        raise error


def _source_name(source: TraceSource | str | os.PathLike) -> str:
    return str(source.path if isinstance(source, TraceSource) else source)


def mine_traces(source: TraceSource, rejects: Rejects) -> SourceFrames:
    """Read one OTLP/JSON trace file (see the module docstring) into the ``spans`` frame."""
    name = _source_name(source)
    path = Path(source.path)
    if not path.is_file():
        raise SourceError(name, "no such file")
    rejected_before = rejects.count(name)
    stats = TraceReadStats()
    reader = _SpanReader(name, rejects, stats)
    columns = _SpanColumns()
    try:
        with path.open("rb") as fh:
            compressed = fh.read(2) == _GZIP_MAGIC
            fh.seek(0)
            stream: IO[bytes] = gzip.GzipFile(fileobj=fh, mode="rb") if compressed else fh
            for values in _read(stream, reader):
                columns.append(values)
    except OSError as exc:
        raise SourceError(name, f"cannot be read ({exc.strerror or exc})") from None
    error = reader.nothing_otlp()
    if error is not None:
        raise error

    notes = list(stats.notes)
    if not stats.nonblank_lines:
        notes.append(f"{name}: empty file, no spans")
    if stats.unknown_kinds:
        notes.append(f"{name}: {stats.unknown_kinds} spans had an unrecognised kind and were read as UNSPECIFIED")
    return SourceFrames(
        frames={"spans": columns.frame()},
        records_read=stats.spans_read,
        records_rejected=rejects.count(name) - rejected_before,
        notes=notes,
    )


def _read(stream: IO[bytes], reader: _SpanReader) -> Iterator[tuple]:
    """Tell the shape from the first non-blank line, then read lines or one document."""
    lines = _numbered_lines(stream, reader)
    number, first = 0, b""
    for number, raw in lines:
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if raw.strip():
            first = raw
            break
    if not first.strip():
        return
    if _is_json(first) or not first.lstrip().startswith((b"{", b"[")):
        yield from reader.line(first, number)
        for n, raw in lines:
            yield from reader.line(raw, n)
        return

    document = first + _rest(stream, reader, number)
    try:
        message = orjson.loads(document)
    except orjson.JSONDecodeError as exc:
        document_error = exc.msg
    else:
        reader.stats.nonblank_lines += 1
        reader.stats.first_line = _excerpt(first.strip())
        yield from reader.message(message, "")
        return
    # neither one document nor a JSON first line: read JSON lines (the first line may be
    # damaged); when no line at all is JSON, say why the document could not be read
    for n, raw in enumerate(document.split(b"\n"), number):
        yield from reader.line(raw, n)
    if not reader.stats.json_values:
        raise SourceError(reader.source, f"neither JSON lines nor one JSON document ({document_error}); first line starts with {reader.stats.first_line!r}")


def _rest(stream: IO[bytes], reader: _SpanReader, number: int) -> bytes:
    """The rest of the stream, read in blocks (a document needs all of it at once)."""
    blocks = []
    try:
        while block := stream.read(_BLOCK_BYTES):
            blocks.append(block)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        reader.rejects.add(reader.source, f"after line {number}", f"truncated or corrupt gzip stream: {exc}")
    return b"".join(blocks)


def _is_json(text: bytes) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _numbered_lines(stream: IO[bytes], reader: _SpanReader) -> Iterator[tuple[int, bytes]]:
    """Lines numbered from 1; a truncated or corrupt gzip stream ends them with a reject."""
    number = 0
    try:
        for number, raw in enumerate(stream, 1):
            yield number, raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        if not number:
            raise SourceError(reader.source, f"not a readable gzip file ({exc})") from None
        reader.rejects.add(reader.source, number + 1, f"truncated or corrupt gzip stream: {exc}")
        reader.stats.notes.append(f"{reader.source}: gzip stream ends early after line {number}")
