"""OTLP protobuf files (``.binpb``): ``TracesData`` / ``ExportTraceServiceRequest``.

Two layouts:

- one serialized message filling the file (``.binpb`` fixtures, ``otlp`` dumps);
- the OpenTelemetry Collector ``file`` exporter with ``format: proto``: each message
  prefixed by its length as a 4-byte big-endian integer.

Told apart by trying the length-prefixed reading first: it must account for every byte
of the file with messages that parse. Messages are decoded with opentelemetry-proto's
generated classes and converted to the OTLP/JSON mapping
(:func:`google.protobuf.json_format.MessageToDict`), so every span rule of
:mod:`~analysis.sources.traces.formats.otlp_json` applies unchanged (ids arrive as base64).

Rejected: a message that does not parse (``message N`` / ``document``), a truncated
length-prefixed tail.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO

from analysis.core.rejects import Rejects
from analysis.sources.traces.formats.otlp_json import OtlpJsonReader, rest_of
from analysis.sources.traces.formats.spans import SpanBatch, TraceReadStats

NOT_OTLP_PROTO = "not an OTLP protobuf message"


def read_otlp_proto(stream: IO[bytes], source: str, rejects: Rejects, stats: TraceReadStats,
                    chunk_spans: int, named: frozenset[str] = frozenset()) -> Iterator[SpanBatch]:
    """Batches of spans from an OTLP protobuf file (see the module docstring)."""
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    data = rest_of(stream, source, rejects, 0)
    if not data:
        return
    reader = OtlpJsonReader(source, rejects, stats, named)
    messages = _length_prefixed(data)
    if messages is None:
        messages = [data]
    for n, payload in enumerate(messages, 1):
        message = TracesData()
        try:
            message.ParseFromString(payload)
        except DecodeError as exc:
            rejects.add(source, f"message {n}" if len(messages) > 1 else "document", f"{NOT_OTLP_PROTO}: {exc}")
            continue
        reader.add_message(reader.batch, MessageToDict(message), n if len(messages) > 1 else 0)
        if len(reader.batch) >= chunk_spans:
            yield reader.batch
            reader.batch = SpanBatch()
    if len(reader.batch):
        yield reader.batch


def _length_prefixed(data: bytes) -> list[bytes] | None:
    """The messages of a length-prefixed file, or None when the bytes are not one."""
    out, at = [], 0
    while at < len(data):
        if at + 4 > len(data):
            return None
        (size,) = struct.unpack_from(">I", data, at)
        at += 4
        if size == 0 or at + size > len(data):
            return None
        out.append(data[at: at + size])
        at += size
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    try:
        for payload in out:
            TracesData().ParseFromString(payload)
    except DecodeError:
        return None
    return out
