"""What every trace format shares: span columns gathered in lists, checked and packed into
``spans`` frame chunks column by column.

A reader walks its own format and, per span, appends raw values to a :class:`SpanBatch`
(one Python list per column; no dict per span). :meth:`SpanBatch.frame` then checks and
converts whole columns at once with Arrow and NumPy — ids, times, duplicates — and files
a reject per unreadable span. That split keeps the per-span Python work to list appends
and the few attribute lookups Seams needs.

Column rules (shared by every format)
    - ``trace_id``: 32 hex digits of any case (lower-cased), 16 hex digits (a 64-bit
      Jaeger or Zipkin id, left-padded with zeros), or base64 of 16 bytes; all zero is
      invalid. ``span_id`` / ``parent_span_id``: 16 hex digits or base64 of 8 bytes (an
      all-zero or empty parent means a root span).
    - ``start`` / ``end``: unix nanoseconds as an integer or a string of digits; missing,
      zero, negative or over 2^63 is invalid; ``end`` before ``start`` is rejected.
    - ``kind``: a number 0–5, a name (``SERVER``), ``SPAN_KIND_SERVER`` or a lower-case
      name (``server``); anything else reads as UNSPECIFIED and is counted in the notes.
    - Semantic conventions, old and new names alike (:func:`semantic_columns`):
      ``code.namespace`` + ``code.function`` or ``code.function.name``; ``http.route``;
      ``db.system.name`` / ``db.system``; ``db.query.text`` / ``db.statement`` (kept only as
      a fingerprint and its tables); ``messaging.destination.name`` /
      ``messaging.destination``. ``http.request.method`` / ``http.method`` and
      ``url.path`` / ``http.target`` are recognised but not kept: their values are
      literals (paths with ids) and the route says the same without them.
    - ``sampling_ratio``: :func:`sampling_ratio_of_tracestate` or the sampler attributes
      (:func:`sampling_ratio_of_attributes`), else the source's configured ratio, else NaN.
    - ``name``: as given, except a name that is a SQL statement (:data:`SQL_NAME`), whose
      literals are masked (:func:`analysis.core.privacy.mask_literals`); a database span
      named by its own statement becomes ``"<operation> <tables>"``.

Rejects (source = the file, location = where in it, reason) — see the ``REASON_*`` names.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import frames
from analysis.core.privacy import SQL_NAME, mask_literals
from analysis.core.rejects import Rejects

UNKNOWN_SERVICE = "unknown_service"

REASON_DUPLICATE = "duplicate span id"
REASON_TRACE_ID = "missing or invalid trace id"
REASON_SPAN_ID = "missing or invalid span id"
REASON_PARENT_ID = "invalid parent span id"
REASON_START = "missing or invalid start time"
REASON_END = "missing or invalid end time"
REASON_END_BEFORE_START = "end before start"
REASON_NOT_OBJECT = "span is not an object"
REASON_OVERSIZED = "attribute value over the size limit, ignored"

#: Attribute values longer than this are not read (the span is kept, a reject says which
#: attribute was dropped): a statement of megabytes is a dump, not a query.
MAX_ATTRIBUTE_CHARS = 1 << 20

KIND_NAMES = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
KINDS: dict[object, str] = {
    key: name
    for number, name in enumerate(KIND_NAMES)
    for key in (number, str(number), name, f"SPAN_KIND_{name}", name.lower())
}
ERROR_CODES = frozenset({2, "2", "STATUS_CODE_ERROR", "ERROR"})

CODE_NAMESPACE = "code.namespace"
CODE_FUNCTION = "code.function"
CODE_FUNCTION_NAME = "code.function.name"
HTTP_ROUTE = "http.route"
DB_SYSTEM_NAME = "db.system.name"
DB_SYSTEM = "db.system"
DB_QUERY_TEXT = "db.query.text"
DB_STATEMENT = "db.statement"
DB_COLLECTION_NAME = "db.collection.name"
DB_SQL_TABLE = "db.sql.table"
MESSAGING_DESTINATION_NAME = "messaging.destination.name"
MESSAGING_DESTINATION = "messaging.destination"
#: the function a background job or task runs (RQ, Celery): it names the owning module
RQ_JOB_FUNCTION = "rq.job.function"
CELERY_TASK_NAME = "celery.task_name"
SAMPLING_PROBABILITY = "sampling.probability"
SAMPLER_TYPE = "sampler.type"
SAMPLER_PARAM = "sampler.param"
#: the attributes a reader hands to :func:`semantic_columns`; every other value is skipped
WANTED_ATTRIBUTES = frozenset({
    CODE_NAMESPACE, CODE_FUNCTION, CODE_FUNCTION_NAME, HTTP_ROUTE, DB_SYSTEM_NAME, DB_SYSTEM,
    DB_QUERY_TEXT, DB_STATEMENT, DB_COLLECTION_NAME, DB_SQL_TABLE, MESSAGING_DESTINATION_NAME,
    MESSAGING_DESTINATION, SAMPLING_PROBABILITY, SAMPLER_TYPE, SAMPLER_PARAM, RQ_JOB_FUNCTION, CELERY_TASK_NAME,
})

NON_SQL_DB_SYSTEMS = frozenset({
    "redis", "mongodb", "memcached", "elasticsearch", "opensearch", "dynamodb", "aws.dynamodb",
    "couchdb", "hbase", "neo4j", "geode", "cosmosdb", "azure.cosmosdb", "influxdb", "etcd",
    "cassandra",
})
SQL_DIALECTS = {
    "postgresql": "postgres", "cockroachdb": "postgres", "mysql": "mysql", "mariadb": "mysql",
    "sqlite": "sqlite", "mssql": "tsql", "microsoft.sql_server": "tsql", "oracle": "oracle",
    "oracle.db": "oracle", "redshift": "redshift", "aws.redshift": "redshift",
    "snowflake": "snowflake", "clickhouse": "clickhouse", "trino": "trino", "presto": "presto",
    "hive": "hive", "spark": "spark", "duckdb": "duckdb", "teradata": "teradata",
    "gcp.bigquery": "bigquery", "bigquery": "bigquery",
}
DEFAULT_SQL_DIALECT = "postgres"

COLUMNS = tuple(frames.SCHEMAS["spans"])
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
_MAX_NANOS = 2**63 - 1
_CACHED_STATEMENT_CHARS = 4096
_CACHE_ENTRIES = 8192


# --------------------------------------------------------------------------------------
# values


def id_hex(raw: object, size: int, zero: bool = False, short_hex: bool = False) -> str | None:
    """A trace (``size`` 16) or span (8) id as lower-case hex, or None when unreadable.

    ``2 * size`` hex digits, or base64 (standard or URL-safe, padding optional) of
    exactly ``size`` bytes; with ``short_hex``, also fewer hex digits (left-padded:
    Jaeger and Zipkin write 64-bit trace ids and may drop leading zeros). All zero is
    invalid unless ``zero``.
    """
    if raw.__class__ is not str or not raw:
        return None
    decoded = None
    if len(raw) == 2 * size or (short_hex and len(raw) <= 2 * size):
        try:
            decoded = bytes.fromhex(raw.rjust(2 * size, "0"))
        except ValueError:
            decoded = None
        if decoded is None and short_hex:
            return None
    if decoded is None:
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


def nanos(raw: object) -> int | None:
    """Unix nanoseconds from an integer, a finite float or a string of digits; None for
    missing, zero (the proto3 default: not set), negative or out-of-range values."""
    if raw.__class__ is str:
        if not (0 < len(raw) <= 19 and raw.isascii() and raw.isdigit()):
            return None
        value = int(raw)
    elif raw.__class__ is int:
        value = raw
    elif raw.__class__ is float and math.isfinite(raw):
        value = int(raw)
    else:
        return None
    if value <= 0 or value > _MAX_NANOS:
        return None
    return value


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


@lru_cache(maxsize=1024)
def sampling_ratio_of_tracestate(tracestate: str) -> float | None:
    """The sampling probability an OpenTelemetry ``tracestate`` records, or None.

    ``ot=th:T`` (the current OpenTelemetry probability-sampling spec): T is the rejection
    threshold, up to 14 hex digits padded on the right; probability = 1 - T / 2^56
    (``th:0`` keeps everything, ``th:8`` half). ``ot=p:P`` (the earlier experimental
    spec): probability = 2^-P for P in 0..62 (P = 63 means zero: not a ratio).
    """
    for member in tracestate.split(","):
        vendor, eq, value = member.strip().partition("=")
        if vendor != "ot" or not eq:
            continue
        for field_ in value.split(";"):
            key, colon, text = field_.partition(":")
            if not colon:
                continue
            if key == "th" and 0 < len(text) <= 14:
                try:
                    threshold = int(text.ljust(14, "0"), 16)
                except ValueError:
                    return None
                return 1.0 - threshold / 2.0**56
            if key == "p" and text.isdigit() and int(text) <= 62:
                return 2.0 ** -int(text)
    return None


def sampling_ratio_of_attributes(found: dict[str, str]) -> float | None:
    """``sampling.probability``, else ``sampler.param`` when ``sampler.type`` is
    ``probabilistic`` (Jaeger's sampler tags); None when neither is a ratio in (0, 1]."""
    text = found.get(SAMPLING_PROBABILITY)
    if text is None and found.get(SAMPLER_TYPE) == "probabilistic":
        text = found.get(SAMPLER_PARAM)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= 1 else None


# --------------------------------------------------------------------------------------
# semantic conventions -> columns


def named_attributes(found: dict[str, str] | None, named: frozenset[str]) -> str | None:
    """The attributes the context map's rules name, as a sorted JSON object (``None`` when the
    span carries none of them)."""
    if not named or not found:
        return None
    kept = {k: found[k] for k in sorted(named) if k in found}
    return json.dumps(kept, separators=(",", ":"), ensure_ascii=False) if kept else None


def semantic_columns(found: dict[str, str]) -> tuple:
    """(code_namespace, code_function, http_route, db_system, statement, destination,
    db_collection) from the wanted attributes (old and new convention names), the
    newer name winning when both are present. Without any ``code.*`` attribute, the function a
    background job runs (``rq.job.function``, ``celery.task_name``: ``extras.webhooks.send_webhook``)
    gives the namespace and the function: it names the module that owns the work."""
    namespace, function = found.get(CODE_NAMESPACE), found.get(CODE_FUNCTION)
    if namespace is None and function is None and CODE_FUNCTION_NAME not in found:
        job = found.get(RQ_JOB_FUNCTION) or found.get(CELERY_TASK_NAME)
        if job and "." in job:
            namespace, function = split_function_name(job)
    if namespace is None and CODE_FUNCTION_NAME in found:
        split_ns, split_fn = split_function_name(found[CODE_FUNCTION_NAME])
        namespace, function = split_ns, function or split_fn
    elif namespace is None and function is not None and "." in function:
        namespace, function = split_function_name(function)
    return (
        namespace, function, found.get(HTTP_ROUTE),
        found.get(DB_SYSTEM_NAME) or found.get(DB_SYSTEM),
        found.get(DB_QUERY_TEXT) or found.get(DB_STATEMENT),
        found.get(MESSAGING_DESTINATION_NAME) or found.get(MESSAGING_DESTINATION),
        found.get(DB_COLLECTION_NAME) or found.get(DB_SQL_TABLE),
    )


def statement_summary(statement: str, db_system: str | None) -> tuple[str, str | None, str]:
    """(fingerprint, tables or None, ``"<operation> <tables>"`` label) of a db statement,
    parsed in the dialect of ``db_system`` (never kept as text). The tables are
    comma-joined, each marked with how the statement uses it: ``orders:r`` (read),
    ``invoices:w`` (written), sorted by name (the ``db_tables`` column)."""
    system = db_system.lower() if db_system else None
    dialect = SQL_DIALECTS.get(system, DEFAULT_SQL_DIALECT) if system else DEFAULT_SQL_DIALECT
    sql = system not in NON_SQL_DB_SYSTEMS
    summary = _cached_summary if len(statement) <= _CACHED_STATEMENT_CHARS else _summary
    return summary(statement, dialect, sql)


def _summary(statement: str, dialect: str, sql: bool) -> tuple[str, str | None, str]:
    from analysis.sources import sqltext

    normalized = sqltext.normalize(statement)
    fingerprint = sqltext.fingerprint(normalized)
    if not sql:
        return fingerprint, None, f"db {fingerprint}"
    access = sqltext.table_access(normalized, dialect)
    names = sorted(access.reads | access.writes)
    tables = ",".join(f"{name}:{'w' if name in access.writes else 'r'}" for name in names) or None
    return fingerprint, tables, f"{access.operation} {','.join(names)}" if names else access.operation


def name_fingerprint(name: str) -> str:
    """The fingerprint of a span name, to spot names that repeat their statement."""
    return _cached_fingerprint(name) if len(name) <= _CACHED_STATEMENT_CHARS else _fingerprint(name)


def _fingerprint(text: str) -> str:
    from analysis.sources import sqltext

    return sqltext.fingerprint(sqltext.normalize(text))


_cached_summary = lru_cache(maxsize=_CACHE_ENTRIES)(_summary)
_cached_fingerprint = lru_cache(maxsize=_CACHE_ENTRIES)(_fingerprint)


def db_columns(name: str, statement: str | None, db_system: str | None, collection: str | None) -> tuple:
    """(name, db_fingerprint, db_tables): the statement as a fingerprint and its tables;
    a name that is the statement itself (same fingerprint) becomes ``"<op> <tables>"``."""
    if statement is None:
        return name, None, collection.lower() if collection else None
    fingerprint, tables, label = statement_summary(statement, db_system)
    if " " in name.strip() and name_fingerprint(name) == fingerprint:
        name = label
    if tables is None and collection:
        tables = collection.lower()
    return name, fingerprint, tables


# --------------------------------------------------------------------------------------
# gathering spans column by column


@dataclass
class TraceReadStats:
    """What one read saw besides the kept spans (for ``SourceFrames`` and its notes)."""

    spans_read: int = 0
    messages: int = 0
    unknown_kinds: int = 0
    oversized_attributes: int = 0
    #: lines (or whole documents) holding bytes that are not UTF-8, read with U+FFFD
    lines_not_utf8: int = 0
    notes: list[str] = field(default_factory=list)


def spans_in(raw: bytes, key: bytes) -> int:
    """How many spans a piece of a file that cannot be read held, counted by a key every
    span of its format has once (``"startTimeUnixNano"``, ``"operationName"``,
    ``"traceId"``): what a lost line or element costs, in spans."""
    return raw.count(key)


class SpanBatch:
    """Span values gathered column by column; :meth:`frame` checks and packs them.

    A reader appends, per span, through :attr:`append` (one bound ``list.append`` per
    field of :data:`FIELDS`, in that order) and, when the span has links, to
    :attr:`links` (``(span index, linked trace id, linked span id)``).
    ``trace_id``, ``span_id``, ``parent_span_id``, ``start`` and ``end`` may be raw (any
    JSON value); every other field must already be its column's value (``kind`` a raw
    value too: it is looked up in :data:`KINDS`, unknown ones counted). ``where`` is the
    location of the span's list (``resourceSpans[0].scopeSpans[1]``), ``index`` the span's
    position in it and ``line`` the line number (0 for a whole document): rejects say
    ``line 3 resourceSpans[0].scopeSpans[1].spans[4]``.
    """

    FIELDS = (
        "trace_id", "span_id", "parent_span_id", "name", "kind", "service", "start", "end",
        "is_error", "code_namespace", "code_function", "http_route", "db_system",
        "db_fingerprint", "db_tables", "messaging_destination", "link_count", "sampling_ratio",
        "attributes", "where", "line", "index",
    )

    def __init__(self) -> None:
        self.lists: dict[str, list] = {f: [] for f in self.FIELDS}
        self.links: list[tuple[int, object, object]] = []
        self.append = {f: values.append for f, values in self.lists.items()}

    def __len__(self) -> int:
        return len(self.lists["trace_id"])

    def frame(self, source: str, rejects: Rejects, stats: TraceReadStats, sampling_ratio: float | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(spans chunk: the contract columns plus ``line``; its span links).

        Unreadable spans are filed in ``rejects`` and left out; ``sampling_ratio`` fills
        the spans that carry none.
        """
        lists = self.lists
        n = len(lists["trace_id"])
        keep = np.ones(n, dtype=bool)
        reasons: list[tuple[int, str]] = []

        def bad(mask: np.ndarray, reason: str) -> None:
            for i in np.flatnonzero(mask & keep):
                reasons.append((int(i), reason))
            keep[mask] = False

        trace_id, bad_trace = _ids(lists["trace_id"], 16, _ZERO_TRACE, zero_ok=False)
        bad(bad_trace, REASON_TRACE_ID)
        span_id, bad_span = _ids(lists["span_id"], 8, _ZERO_SPAN, zero_ok=False)
        bad(bad_span, REASON_SPAN_ID)
        parent, bad_parent = _ids(lists["parent_span_id"], 8, _ZERO_SPAN, zero_ok=True)
        bad(bad_parent, REASON_PARENT_ID)
        start, bad_start = _times(lists["start"])
        bad(bad_start, REASON_START)
        end, bad_end = _times(lists["end"])
        bad(bad_end, REASON_END)
        bad(end < start, REASON_END_BEFORE_START)

        kind = _kinds(lists["kind"], stats)

        ratio = np.asarray(lists["sampling_ratio"], dtype="float64") if n else np.zeros(0)
        if sampling_ratio is not None:
            ratio = np.where(np.isnan(ratio), float(sampling_ratio), ratio)

        data = {
            "trace_id": trace_id, "span_id": span_id, "parent_span_id": parent,
            "name": _span_names(lists["name"]), "kind": kind, "service": _strings(lists["service"]),
            "start": pd.to_datetime(start, unit="ns", utc=True), "end": pd.to_datetime(end, unit="ns", utc=True),
            "duration_ms": (end - start) / 1e6, "is_error": np.asarray(lists["is_error"], dtype=bool),
        }
        for column in ("code_namespace", "code_function", "http_route", "db_system", "db_fingerprint",
                       "db_tables", "messaging_destination"):
            data[column] = _strings(lists[column])
        data["attributes"] = _strings(lists["attributes"]) if any(v is not None for v in lists["attributes"]) else (
            pa.nulls(n, pa.string()))
        data["link_count"] = np.asarray(lists["link_count"], dtype="int64")
        data["sampling_ratio"] = ratio
        data["line"] = np.asarray(lists["line"], dtype="int64")
        out = pd.DataFrame({c: (pd.array(v, dtype="string") if isinstance(v, (pa.Array, pa.ChunkedArray)) else v)
                            for c, v in data.items()})
        for i, reason in sorted(reasons):
            rejects.add(source, self.where_of(i), reason, _excerpt_of(lists, i, reason))
        links = self._links_frame(trace_id, span_id, keep)
        return out[keep].reset_index(drop=True), links

    def where_of(self, i: int) -> str:
        where, line, index = self.lists["where"][i], self.lists["line"][i], self.lists["index"][i]
        where = f"{where}.spans[{index}]" if where else f"spans[{index}]"
        return f"line {line} {where}" if line else where

    def _links_frame(self, trace_id, span_id, keep: np.ndarray) -> pd.DataFrame:
        rows = []
        for i, linked_trace, linked_span in self.links:
            if not keep[i]:
                continue
            t, s = id_hex(linked_trace, 16), id_hex(linked_span, 8)
            if t is not None and s is not None:
                rows.append((trace_id[i].as_py(), span_id[i].as_py(), t, s))
        frame = pd.DataFrame(rows, columns=list(frames.SCHEMAS["span_links"]))
        return frames.conform(frame, "span_links")


def _excerpt_of(lists: dict, i: int, reason: str) -> str:
    raw = lists["trace_id"][i] if reason == REASON_TRACE_ID else lists["span_id"][i] if reason == REASON_SPAN_ID else ""
    return raw[:40] if raw.__class__ is str else ""


def drop_duplicate_spans(chunk: pd.DataFrame, source: str, rejects: Rejects) -> pd.DataFrame:
    """``chunk`` without the second and later spans of one ``(trace_id, span_id)``, each
    filed as a :data:`REASON_DUPLICATE` reject at its line (``document`` for a whole
    document). Zipkin's shared server spans are told apart before (see zipkin_json)."""
    if len(chunk) < 2:
        return chunk
    dup = chunk.duplicated(["trace_id", "span_id"], keep="first").to_numpy()
    if not dup.any():
        return chunk
    lines = chunk["line"].to_numpy() if "line" in chunk else np.zeros(len(chunk), dtype=np.int64)
    for i in np.flatnonzero(dup):
        where = f"line {lines[i]}" if lines[i] else "document"
        rejects.add(source, where, REASON_DUPLICATE, f"{chunk['trace_id'].iat[i]} {chunk['span_id'].iat[i]}")
    return chunk[~dup].reset_index(drop=True)


_HEX_BYTES = np.zeros(256, dtype=bool)
_HEX_BYTES[list(b"0123456789abcdefABCDEF")] = True
_UPPER_HEX_BYTES = np.zeros(256, dtype=bool)
_UPPER_HEX_BYTES[list(b"ABCDEF")] = True


def _hex_of_length(arr: pa.Array, digits: int) -> tuple[np.ndarray, bool]:
    """(per value: exactly ``digits`` hex digits, whether any upper-case digit was seen),
    from the Arrow buffers in one pass (no per-value Python)."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + n + 1]
    lengths = np.diff(offsets)
    data_buffer = arr.buffers()[2]
    if data_buffer is None or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=bool), False
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]: offsets[-1]]
    not_hex = np.concatenate(([0], np.cumsum(~_HEX_BYTES[data], dtype=np.int64)))
    rel = offsets - offsets[0]
    ok = (lengths == digits) & (not_hex[rel[1:]] == not_hex[rel[:-1]])
    if arr.null_count:
        ok &= arr.is_valid().to_numpy(zero_copy_only=False)
    return ok, bool(_UPPER_HEX_BYTES[data].any())


def _ids(values: list, size: int, zero_text: str, *, zero_ok: bool):
    """(Arrow string array of lower-case hex with nulls, bad mask). Empty or missing is a
    root when ``zero_ok`` (parents), else bad; hex on the fast path, others one by one."""
    n = len(values)
    try:
        arr = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([v if v.__class__ is str else None for v in values], type=pa.string())
    if n == 0:
        return arr, np.zeros(0, dtype=bool)
    fast, upper = _hex_of_length(arr, 2 * size)
    result = pc.utf8_lower(arr) if upper else arr
    is_zero = pc.fill_null(pc.equal(result, zero_text), False).to_numpy(zero_copy_only=False)
    bad = np.zeros(n, dtype=bool)
    if zero_ok:
        null_mask = is_zero.copy()
        empty = pc.fill_null(pc.equal(pc.utf8_length(arr), 0), True).to_numpy(zero_copy_only=False)
        null_mask |= empty
        slow = ~fast & ~empty
    else:
        null_mask = np.zeros(n, dtype=bool)
        bad |= is_zero
        slow = ~fast
    if slow.any():
        py = result.to_pylist()
        for i in np.flatnonzero(slow):
            decoded = id_hex(values[i], size, zero=zero_ok)
            if decoded is None:
                bad[i] = True
            elif zero_ok and decoded == zero_text:
                null_mask[i] = True
            else:
                py[i] = decoded
        result = pa.array(py, type=pa.string())
    if null_mask.any() or bad.any():
        result = pc.if_else(pa.array(null_mask | bad), pa.scalar(None, pa.string()), result)
    return result, bad


def _times(values: list) -> tuple[np.ndarray, np.ndarray]:
    """(int64 nanoseconds, bad mask): digit strings and integers on the fast path."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    try:
        out = pc.cast(pa.array(values, type=pa.string()), pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    else:
        return out, out <= 0
    out = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    for i, raw in enumerate(values):
        value = nanos(raw)
        if value is None:
            bad[i] = True
        else:
            out[i] = value
    return out, bad


def _kinds(raw: list, stats: TraceReadStats) -> pa.Array:
    """Kind names from raw kinds (numbers on the fast path); unknown ones counted."""
    numbers = None
    if all(k.__class__ is int for k in raw):
        try:
            numbers = np.asarray(raw, dtype=np.int64) if raw else np.zeros(0, dtype=np.int64)
        except OverflowError:
            numbers = None
    if numbers is not None and ((numbers >= 0) & (numbers < len(KIND_NAMES))).all():
        return pa.array(np.asarray(KIND_NAMES, dtype=object)[numbers], type=pa.string())
    kinds = [KINDS.get(k) if k.__class__ in (int, str) else None for k in raw]
    stats.unknown_kinds += sum(1 for k in kinds if k is None)
    return pa.array(kinds, type=pa.string()).fill_null("UNSPECIFIED")


def _strings(values: list) -> pa.Array:
    return pa.array(values, type=pa.string())


def _span_names(values: list) -> pa.Array:
    """The names, those that are SQL statements with their literals masked (:data:`SQL_NAME`)."""
    names = _strings(values)
    if not len(names):
        return names
    statements = pc.fill_null(pc.match_substring_regex(names, SQL_NAME), False).to_numpy(zero_copy_only=False)
    if not statements.any():
        return names
    masked = names.to_pylist()
    for i in np.flatnonzero(statements):
        masked[i] = mask_literals(masked[i])
    return pa.array(masked, type=pa.string())


def attribute_text(value: object) -> str | None:
    """An OTLP ``AnyValue`` (or a bare JSON scalar) as text: strings as they are, ints
    (string or number), doubles and bools spelled out; arrays, maps and bytes give None."""
    if value.__class__ is dict:
        if "stringValue" in value:
            text = value["stringValue"]
            return text if text.__class__ is str else None
        if "intValue" in value:
            number = value["intValue"]
            if number.__class__ is int:
                return str(number)
            if number.__class__ is str and _is_integer_text(number):
                return str(int(number))
            return None
        if "boolValue" in value:
            flag = value["boolValue"]
            return ("true" if flag else "false") if flag.__class__ is bool else None
        if "doubleValue" in value:
            number = value["doubleValue"]
            return repr(float(number)) if number.__class__ in (int, float) else None
        return None
    if value.__class__ is str:
        return value
    if value.__class__ in (int, float):
        return str(value)
    if value.__class__ is bool:
        return "true" if value else "false"
    return None


def _is_integer_text(text: str) -> bool:
    digits = text[1:] if text[:1] in ("-", "+") else text
    return 0 < len(digits) <= 20 and digits.isascii() and digits.isdigit()


_SPACE = re.compile(r"\s+")
