"""The SYNTHETIC shop's traces as OTLP/JSON lines, as the OpenTelemetry Collector's file exporter writes them.

One ``ExportTraceServiceRequest`` per line::

    {"resourceSpans":[{"resource":{"attributes":[...]},
                       "scopeSpans":[{"scope":{"name":...,"version":...},"spans":[...]}]}]}

Spans are batched by the time they ended (a few seconds per batch, at most
:data:`MAX_SPANS_PER_LINE` per line, like the batch processor), grouped by service
(resource) and instrumentation scope. Ids are lower-case hex, ``kind`` is the integer
enum (1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER), times are nanoseconds as
strings, integer attribute values are strings (``intValue``), a root span has no
``parentSpanId``, errors have ``status.code`` 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from seams_sample.simulator import SCOPES, Span

#: Seconds of span end times per exported batch.
BATCH_SECONDS = 5
MAX_SPANS_PER_LINE = 400
SERVICES = ("shopfront-web", "shopfront-worker", "shopfront-ingest")
SERVICE_VERSION = "2026.10.2"


def _value(v) -> dict:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _resource(service: str) -> dict:
    attrs = [("service.name", service), ("service.namespace", "shopfront"), ("service.version", SERVICE_VERSION),
             ("deployment.environment", "production"), ("telemetry.sdk.language", "python"),
             ("telemetry.sdk.name", "opentelemetry"), ("telemetry.sdk.version", "1.24.0")]
    return {"attributes": [{"key": k, "value": _value(v)} for k, v in attrs]}


def span_json(s: Span) -> dict:
    out: dict[str, object] = {"traceId": s.trace_id, "spanId": s.span_id}
    if s.parent_id:
        out["parentSpanId"] = s.parent_id
    out["name"] = s.name
    out["kind"] = s.kind
    out["startTimeUnixNano"] = str(s.start)
    out["endTimeUnixNano"] = str(s.end)
    out["attributes"] = [{"key": k, "value": _value(v)} for k, v in s.attrs]
    if s.links:
        out["links"] = [{"traceId": t, "spanId": i} for t, i in s.links]
    out["status"] = {"code": 2, "message": s.status_message} if s.status == 2 else {}
    return out


def export_requests(spans: Iterable[Span]) -> Iterator[dict]:
    """Spans (sorted by end time) batched into ExportTraceServiceRequest objects."""
    batch: list[Span] = []
    window = None
    for s in spans:
        w = s.end // (BATCH_SECONDS * 10**9)
        if batch and (w != window or len(batch) >= MAX_SPANS_PER_LINE):
            yield _request(batch)
            batch = []
        window = w
        batch.append(s)
    if batch:
        yield _request(batch)


def _request(batch: list[Span]) -> dict:
    resource_spans = []
    for service in SERVICES:
        mine = [s for s in batch if s.service == service]
        if not mine:
            continue
        scope_spans = []
        for key, (name, version) in SCOPES.items():
            spans = [span_json(s) for s in mine if s.scope == key]
            if spans:
                scope_spans.append({"scope": {"name": name, "version": version}, "spans": spans})
        resource_spans.append({"resource": _resource(service), "scopeSpans": scope_spans})
    return {"resourceSpans": resource_spans}


def write_traces(spans: Iterable[Span], path: Path) -> int:
    """Write the OTLP/JSON lines file; returns the number of lines."""
    lines = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for request in export_requests(spans):
            fh.write(json.dumps(request, separators=(",", ":"), ensure_ascii=False))
            fh.write("\n")
            lines += 1
    return lines
