"""Jaeger JSON: the query API's trace model.

Shapes (one document, or one per line):

- the query API response ``{"data": [trace, …], "total": …, "errors": …}``;
- a bare trace ``{"traceID", "spans": [...], "processes": {"p1": {"serviceName", "tags"}}}``;
- an array of spans, or one span, each with its ``process`` embedded (the anonymizer's
  and Elasticsearch's span documents).

Per span: ``traceID`` (16 or 32 hex digits: a 64-bit id is left-padded) and ``spanID``;
``startTime`` and ``duration`` in microseconds; ``operationName``; the service from
``processes[processID]`` or the embedded ``process``. ``references``: the first
``CHILD_OF`` in the same trace is the parent (else the first same-trace
``FOLLOWS_FROM``); every other reference — ``FOLLOWS_FROM``, a reference into another
trace — is a span link (``link_count``, ``span_links``). Tags (``{"key", "type",
"value"}``; an int64 above 2^53 arrives as a string, a bool may be ``"true"``):
``span.kind`` gives the kind (``server`` …; none is UNSPECIFIED), ``error`` = true or
``otel.status_code`` = ERROR makes an error, and the semantic-convention tags of
:mod:`~analysis.sources.traces.formats.spans`, process tags included (sampler tags).

Rejected: the Jaeger UI's internal state (``{"data": {"services", "spans"}, "id",
"state"}``, saved from the browser's store) with a message saying so, a value of no
Jaeger shape, and the span-level reasons of the other formats.
"""

from __future__ import annotations

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
    attribute_text,
    db_columns,
    id_hex,
    named_attributes,
    sampling_ratio_of_attributes,
    semantic_columns,
)

UI_STATE = ("Jaeger UI state (the web UI's internal store, with UI-derived fields), not the "
            "query API's trace JSON: download the trace as JSON from the trace page or /api/traces")
NOT_JAEGER = "not Jaeger JSON (no data, spans or spanID)"
#: Every record of the format has this key once: the records a lost line held.
JAEGER_SPAN_KEY = b'"operationName"'
_NAN = float("nan")


def read_jaeger_json(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats,
                     chunk_spans: int, named: frozenset[str] = frozenset()) -> Iterator[SpanBatch]:
    """Batches of spans from a Jaeger JSON file (see the module docstring); ``named``: the
    tags the context map's rules name, kept in the ``attributes`` column."""
    batch = SpanBatch()
    for line, value in json_values(stream, source, rejects, stats, JAEGER_SPAN_KEY):
        stats.messages += 1
        for where, spans, processes in _traces(value, line, source, rejects):
            _spans(batch, spans, processes, where, line, source, rejects, stats, named)
            if len(batch) >= chunk_spans:
                yield batch
                batch = SpanBatch()
    if len(batch):
        yield batch


def _traces(value: object, line: int, source: str, rejects: Rejects) -> Iterator[tuple[str, list, dict]]:
    """(location, spans, processes) per trace of one JSON value."""
    if value.__class__ is dict and "data" in value:
        data = value["data"]
        if data.__class__ is dict and ("services" in data or "spans" in data) and ("state" in value or "id" in value or "services" in data):
            rejects.add(source, at(line, "document"), UI_STATE)
            return
        if data is None:
            return
        if data.__class__ is not list:
            rejects.add(source, at(line, "data"), "data is not a list of traces")
            return
        for n, trace in enumerate(data):
            if trace.__class__ is dict and trace.get("spans").__class__ is list:
                yield f"data[{n}]", trace["spans"], _processes(trace)
            else:
                rejects.add(source, at(line, f"data[{n}]"), "trace without a spans list")
    elif value.__class__ is dict and value.get("spans").__class__ is list:
        yield "", value["spans"], _processes(value)
    elif value.__class__ is dict and "spanID" in value:
        yield "", [value], {}
    elif value.__class__ is list and all(v.__class__ is dict and "spanID" in v for v in value[:10]):
        yield "", value, {}
    else:
        rejects.add(source, at(line, "document"), NOT_JAEGER)


def _processes(trace: dict) -> dict:
    processes = trace.get("processes")
    return processes if processes.__class__ is dict else {}


def _tags(tags: object, named: frozenset[str] = frozenset()) -> dict[str, str]:
    found: dict[str, str] = {}
    if tags.__class__ is list:
        for tag in tags:
            if tag.__class__ is dict:
                key = tag.get("key")
                if key in WANTED_ATTRIBUTES or key in ("span.kind", "error", "otel.status_code") or key in named:
                    text = attribute_text(tag.get("value"))
                    if text is not None:
                        found[key] = text
    return found


def _spans(batch: SpanBatch, spans: list, processes: dict, where: str, line: int, source: str,
           rejects: Rejects, stats: TraceReadStats, named: frozenset[str] = frozenset()) -> None:
    a = batch.append
    prefix = f"{where}." if where else ""
    stats.spans_read += len(spans)
    for k, span in enumerate(spans):
        if span.__class__ is not dict:
            rejects.add(source, at(line, f"{prefix}spans[{k}]"), REASON_NOT_OBJECT)
            continue
        trace_raw = span.get("traceID")
        trace_id = id_hex(trace_raw, 16, short_hex=True) or trace_raw
        process = span.get("process")
        if process.__class__ is not dict:
            process = processes.get(span.get("processID"))
        process = process if process.__class__ is dict else {}
        service = process.get("serviceName") if process.get("serviceName").__class__ is str and process.get("serviceName") else UNKNOWN_SERVICE
        found = _tags(process.get("tags"), named)
        found.update(_tags(span.get("tags"), named))
        for key in [key for key, text in found.items() if len(text) > MAX_ATTRIBUTE_CHARS]:
            rejects.add(source, at(line, f"{prefix}spans[{k}]"), f"{REASON_OVERSIZED}: {key} ({len(found[key])} characters)")
            stats.oversized_attributes += 1
            del found[key]
        parent, links = _references(span.get("references"), trace_id)
        position = len(batch)
        for linked_trace, linked_span in links:
            batch.links.append((position, linked_trace, linked_span))
        start = span.get("startTime")
        duration = span.get("duration")
        start_ns = start * 1000 if start.__class__ is int else None
        end_ns = start_ns + duration * 1000 if start_ns is not None and duration.__class__ is int and duration >= 0 else None
        name = span.get("operationName")
        name = name if name.__class__ is str else ""
        namespace, function, route, db_system, statement, destination, collection = semantic_columns(found)
        fingerprint = tables = None
        if statement is not None or collection is not None:
            name, fingerprint, tables = db_columns(name, statement, db_system, collection)
        ratio = sampling_ratio_of_attributes(found)
        a["trace_id"](trace_id)
        a["span_id"](id_hex(span.get("spanID"), 8, short_hex=True) or span.get("spanID"))
        a["parent_span_id"](parent)
        a["name"](name)
        a["kind"](found.get("span.kind", 0))
        a["service"](service)
        a["start"](start_ns)
        a["end"](end_ns)
        a["is_error"](found.get("error") == "true" or found.get("otel.status_code") == "ERROR")
        a["code_namespace"](namespace)
        a["code_function"](function)
        a["http_route"](route)
        a["db_system"](db_system)
        a["db_fingerprint"](fingerprint)
        a["db_tables"](tables)
        a["messaging_destination"](destination)
        a["attributes"](named_attributes(found, named))
        a["link_count"](len(links))
        a["sampling_ratio"](_NAN if ratio is None else ratio)
        a["where"](where)
        a["line"](line)
        a["index"](k)


def _references(references: object, trace_id: object) -> tuple[str | None, list[tuple[str, str]]]:
    """(parent span id, links): the first same-trace CHILD_OF (else FOLLOWS_FROM) is the
    parent; every other reference a link ``(trace id, span id)``."""
    if references.__class__ is not list:
        return None, []
    refs = []
    for ref in references:
        if ref.__class__ is dict:
            ref_trace = id_hex(ref.get("traceID"), 16, short_hex=True)
            ref_span = id_hex(ref.get("spanID"), 8, short_hex=True)
            if ref_trace is not None and ref_span is not None:
                refs.append((ref.get("refType") or "CHILD_OF", ref_trace, ref_span))
    parent_at = next((i for i, r in enumerate(refs) if r[0] == "CHILD_OF" and r[1] == trace_id), None)
    if parent_at is None:
        parent_at = next((i for i, r in enumerate(refs) if r[1] == trace_id), None)
    parent = refs[parent_at][2] if parent_at is not None else None
    links = [(t, s) for i, (_, t, s) in enumerate(refs) if i != parent_at]
    return parent, links
