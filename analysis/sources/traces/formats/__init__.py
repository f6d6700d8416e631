"""Trace file formats: one reader per format, and telling them apart.

Every span reader has the signature ``read(stream, source, rejects, stats, chunk_spans)
-> Iterator[SpanBatch]`` (:class:`~analysis.sources.traces.formats.spans.SpanBatch`), so
:mod:`analysis.sources.traces.miner` streams any of them the same way.

==========================  =====================================================
format                      reader
==========================  =====================================================
``otlp-json``               :mod:`.otlp_json` (JSON lines, one document, api_v3)
``otlp-proto``              :mod:`.otlp_proto` (``.binpb``: one message, or the
                            Collector file exporter's length-prefixed messages)
``jaeger-json``             :mod:`.jaeger_json` (query API, bare trace, span array)
``zipkin-json``             :mod:`.zipkin_json` (Zipkin v2 span array or one span)
``jaeger-dependencies``     :mod:`.jaeger_dependencies` (``/api/dependencies``:
                            service-level calls, no spans)
==========================  =====================================================

:func:`detect_format` (``format: auto``) looks at the file's name and its first bytes
(after gzip decompression).
"""

from __future__ import annotations

import re

SPAN_FORMATS = ("otlp-json", "otlp-proto", "jaeger-json", "zipkin-json")
FORMATS = (*SPAN_FORMATS, "jaeger-dependencies")
PROTO_SUFFIXES = (".binpb", ".pb", ".protobuf", ".proto.bin")
#: bytes of the (decompressed) file looked at to tell the formats apart
HEAD_BYTES = 1 << 16

_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_.]*)"\s*:')


def detect_format(head: bytes, name: str = "") -> str | None:
    """The format of a trace file from its name and first bytes; None when none fits.

    - a name ending in ``.binpb`` (or ``.pb``, before an optional ``.gz``), or a head
      that is not JSON text: ``otlp-proto``;
    - JSON naming ``resourceSpans`` (or api_v3's ``result`` around it): ``otlp-json``;
    - ``operationName`` / ``spanID`` / ``traceID`` (Jaeger's capitalisation): ``jaeger-json``
      (the Jaeger UI state is recognised there, to be rejected with a message);
    - ``callCount`` next to ``parent`` and ``child``: ``jaeger-dependencies``;
    - ``traceId`` with ``id`` and no ``resourceSpans``: ``zipkin-json``.

    An empty head is ``otlp-json`` (an empty file reads as no spans in any format).
    """
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith(PROTO_SUFFIXES):
        return "otlp-proto"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return "otlp-json"
    if text[:1] not in (b"{", b"["):
        return "otlp-proto" if _binary(text) else None
    keys = set(_KEY.findall(text))
    if b"resourceSpans" in keys:
        return "otlp-json"
    if keys & {b"operationName", b"spanID", b"traceID"}:
        return "jaeger-json"
    if b"callCount" in keys and b"parent" in keys and b"child" in keys:
        return "jaeger-dependencies"
    if b"traceId" in keys and b"id" in keys:
        return "zipkin-json"
    if b"result" in keys or text.strip() in (b"{}", b"[]"):
        return "otlp-json"
    return None


def _binary(text: bytes) -> bool:
    sample = text[:512]
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in sample)
    return printable < 0.9 * len(sample)
