"""Zipkin v2 JSON: an array of spans (``POST /api/v2/spans``, ``GET /api/v2/trace/{id}``),
a single span, or an array of traces (``GET /api/v2/traces``: arrays of span arrays).

Per span: ``traceId`` (16 or 32 hex digits), ``id``, ``parentId``; ``timestamp`` and
``duration`` in microseconds (a span missing either is incomplete and rejected);
``kind`` (CLIENT, SERVER, PRODUCER, CONSUMER; absent = a local span, INTERNAL);
``name``; the service from ``localEndpoint.serviceName`` (absent: ``unknown_service``);
``tags`` (a string map) with the semantic-convention names of
:mod:`~analysis.sources.traces.formats.spans`; ``error`` tag or ``otel.status_code`` =
ERROR makes an error.

Two Zipkin habits are undone, per document:

- ``shared: true`` — a SERVER span reusing its CLIENT's span id: it gets its own id (the
  first 16 hex digits of blake2b(trace id, span id, "server")) and the client as its
  parent; the server's own children (spans of the server's service naming the shared
  id) hang under it, so caller and callee stay two spans in two services.
- 64- and 128-bit trace ids mixed in one trace: a 64-bit id is the low half of the
  128-bit one, so it is read as the 128-bit id seen in the same document with that low
  half (else left-padded with zeros).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO

from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.documents import at, json_values
from analysis.sources.traces.formats.spans import (
    MAX_ATTRIBUTE_CHARS,
    REASON_NOT_OBJECT,
    REASON_OVERSIZED,
    UNKNOWN_SERVICE,
    WANTED_ATTRIBUTES,
    SpanBatch,
    TraceReadStats,
    db_columns,
    id_hex,
    named_attributes,
    sampling_ratio_of_attributes,
    semantic_columns,
)

NOT_ZIPKIN = "not Zipkin v2 JSON (no traceId and id)"
#: Every record of the format has this key once: the records a lost line held.
ZIPKIN_SPAN_KEY = b'"traceId"'
_NAN = float("nan")


def read_zipkin_json(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats,
                     chunk_spans: int, named: frozenset[str] = frozenset()) -> Iterator[SpanBatch]:
    """Batches of spans from a Zipkin v2 file (see the module docstring); ``named``: the tags
    the context map's rules name, kept in the ``attributes`` column."""
    batch = SpanBatch()
    for line, value in json_values(stream, source, rejects, stats, ZIPKIN_SPAN_KEY):
        stats.messages += 1
        spans = _span_list(value)
        if spans is None:
            rejects.add(source, at(line, "document"), NOT_ZIPKIN)
            continue
        _spans(batch, spans, line, source, rejects, stats, named)
        if len(batch) >= chunk_spans:
            yield batch
            batch = SpanBatch()
    if len(batch):
        yield batch


def _span_list(value: object) -> list | None:
    if value.__class__ is dict:
        return [value] if "traceId" in value or "id" in value else None
    if value.__class__ is not list:
        return None
    if value and all(v.__class__ is list for v in value):  # /api/v2/traces: a list of traces
        return [span for trace in value for span in trace]
    if value and not any(v.__class__ is dict and ("traceId" in v or "id" in v) for v in value[:10]):
        return None
    return value


def shared_server_id(trace_id: str, span_id: str) -> str:
    """The span id given to a shared SERVER span (16 hex digits, deterministic)."""
    return hashlib.blake2b(f"{trace_id}:{span_id}:server".encode(), digest_size=8).hexdigest()


def _spans(batch: SpanBatch, spans: list, line: int, source: str, rejects: Rejects, stats: TraceReadStats,
           named: frozenset[str] = frozenset()) -> None:
    stats.spans_read += len(spans)
    full_ids = {}
    for span in spans:
        if span.__class__ is dict:
            tid = id_hex(span.get("traceId"), 16, short_hex=True)
            if tid is not None and tid[:16] != "0" * 16:
                full_ids[tid[16:]] = tid
    def trace_of(span: dict) -> str | None:
        tid = id_hex(span.get("traceId"), 16, short_hex=True)
        if tid is not None and tid[:16] == "0" * 16:
            return full_ids.get(tid[16:], tid)
        return tid
    # shared server spans: (trace, span id) -> (server id, server service)
    shared: dict[tuple, tuple[str, str]] = {}
    for span in spans:
        if span.__class__ is dict and span.get("shared") is True and str(span.get("kind")).upper() == "SERVER":
            tid, sid = trace_of(span), id_hex(span.get("id"), 8, short_hex=True)
            if tid is not None and sid is not None:
                shared[(tid, sid)] = (shared_server_id(tid, sid), _service(span))
    a = batch.append
    for k, span in enumerate(spans):
        if span.__class__ is not dict:
            rejects.add(source, at(line, f"[{k}]"), REASON_NOT_OBJECT)
            continue
        trace_id = trace_of(span)
        span_id = id_hex(span.get("id"), 8, short_hex=True)
        parent = id_hex(span.get("parentId"), 8, short_hex=True, zero=True) if span.get("parentId") else None
        service = _service(span)
        kind = span.get("kind")
        kind = kind.upper() if kind.__class__ is str else "INTERNAL" if kind is None else kind
        if span.get("shared") is True and kind == "SERVER" and (trace_id, span_id) in shared:
            parent, span_id = span_id, shared[(trace_id, span_id)][0]
        elif parent is not None and (trace_id, parent) in shared:
            server_id, server_service = shared[(trace_id, parent)]
            if service == server_service:
                parent = server_id
        tags = span.get("tags")
        found = {}
        if tags.__class__ is dict:
            for key, value in tags.items():
                if key in WANTED_ATTRIBUTES or key in ("error", "otel.status_code") or key in named:
                    text = value if value.__class__ is str else str(value)
                    if len(text) > MAX_ATTRIBUTE_CHARS:
                        rejects.add(source, at(line, f"[{k}]"), f"{REASON_OVERSIZED}: {key} ({len(text)} characters)")
                        stats.oversized_attributes += 1
                        continue
                    found[key] = text
        name = span.get("name")
        name = name if name.__class__ is str else ""
        namespace, function, route, db_system, statement, destination, collection = semantic_columns(found)
        fingerprint = tables = None
        if statement is not None or collection is not None:
            name, fingerprint, tables = db_columns(name, statement, db_system, collection)
        start, duration = span.get("timestamp"), span.get("duration")
        start_ns = start * 1000 if start.__class__ is int and start > 0 else None
        end_ns = start_ns + duration * 1000 if start_ns is not None and duration.__class__ is int and duration >= 0 else None
        ratio = sampling_ratio_of_attributes(found)
        a["trace_id"](trace_id if trace_id is not None else span.get("traceId"))
        a["span_id"](span_id if span_id is not None else span.get("id"))
        a["parent_span_id"](parent if parent is not None or not span.get("parentId") else span.get("parentId"))
        a["name"](name)
        a["kind"](kind)
        a["service"](service)
        a["start"](start_ns)
        a["end"](end_ns)
        a["is_error"]("error" in found or found.get("otel.status_code") == "ERROR")
        a["code_namespace"](namespace)
        a["code_function"](function)
        a["http_route"](route)
        a["db_system"](db_system)
        a["db_fingerprint"](fingerprint)
        a["db_tables"](tables)
        a["messaging_destination"](destination)
        a["attributes"](named_attributes(found, named))
        a["link_count"](0)
        a["sampling_ratio"](_NAN if ratio is None else ratio)
        a["where"]("")
        a["line"](line)
        a["index"](k)


def _service(span: dict) -> str:
    endpoint = span.get("localEndpoint")
    name = endpoint.get("serviceName") if endpoint.__class__ is dict else None
    return name if name.__class__ is str and name else UNKNOWN_SERVICE
