"""Damaged trace files keep every span that can be read, and count what is lost in spans.

Shapes built here as the real fixtures are (/work/shared/fixtures/public/traces_*): OTLP JSON
lines, Jaeger and Zipkin JSON lines, pretty-printed single documents of each, gzip-compressed
or not, with one bad byte, a syntax error inside one span, or a cut.
"""

from __future__ import annotations

import gzip
import json
import zlib

import orjson
import pytest

from analysis.core import frames
from analysis.core.config import TraceSource
from analysis.core.rejects import Rejects
from analysis.sources.traces.miner import mine_traces

TRACE = "5b8efff798038103d269b633813fc60c"
T0 = 1_700_000_000_000_000_000
BAD = b"\xff\xfe"  # not UTF-8


def otlp_span(n: int) -> dict:
    return {"traceId": TRACE, "spanId": f"{n + 1:016x}", "name": f"op {n % 7}", "kind": 2,
            "startTimeUnixNano": str(T0 + n), "endTimeUnixNano": str(T0 + n + 1000),
            "attributes": [{"key": "http.route", "value": {"stringValue": "/orders/{id}"}},
                           {"key": "user.note", "value": {"stringValue": "MARK"}}]}


def otlp_line(spans: list[dict]) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                               "scopeSpans": [{"spans": spans}]}]}


def jaeger_span(n: int) -> dict:
    return {"traceID": TRACE[16:], "spanID": f"{n + 1:016x}", "operationName": "MARK op", "startTime": 1_600_000_000_000_000 + n,
            "duration": 1000, "references": [], "tags": [{"key": "span.kind", "type": "string", "value": "server"}],
            "processID": "p1"}


def jaeger_trace(spans: list[dict]) -> dict:
    return {"traceID": TRACE[16:], "spans": spans, "processes": {"p1": {"serviceName": "shop", "tags": []}}}


def zipkin_span(n: int) -> dict:
    return {"traceId": TRACE, "id": f"{n + 1:016x}", "name": "MARK op", "kind": "SERVER", "timestamp": 1_600_000_000_000_000 + n,
            "duration": 1000, "localEndpoint": {"serviceName": "shop"}, "tags": {"http.route": "/x"}}


def mine(tmp_path, content: bytes, name: str, fmt: str = "auto"):
    path = tmp_path / name
    path.write_bytes(content)
    rejects = Rejects()
    result = mine_traces(TraceSource(path, format=fmt), rejects)
    frames.check(result.frames["spans"], "spans")
    return result, rejects


def with_bad_bytes(text: bytes, every: int = 1) -> bytes:
    """Each ``MARK`` (inside a JSON string) turned into invalid UTF-8, every ``every``-th one."""
    parts = text.split(b"MARK")
    out = [parts[0]]
    for n, part in enumerate(parts[1:]):
        out.append((b"M" + BAD + b"K" if n % every == 0 else b"MARK") + part)
    return b"".join(out)


# --------------------------------------------------------------------------------------
# one bad byte inside a string: decoded with a replacement character, counted, nothing lost


def test_a_bad_byte_in_an_attribute_loses_no_span_of_its_json_line(tmp_path):
    lines = b"".join(orjson.dumps(otlp_line([otlp_span(3 * k + i) for i in range(3)])) + b"\n" for k in range(20))
    result, rejects = mine(tmp_path, with_bad_bytes(lines, every=3), "traces.jsonl")
    assert len(result.frames["spans"]) == 60 and rejects.records == []
    assert (result.records_read, result.records_rejected) == (60, 0)
    assert result.counts["lines_not_utf8"] == 20
    assert any("not UTF-8" in note and "20" in note for note in result.notes)


@pytest.mark.parametrize("shape", ["jaeger", "zipkin", "otlp"])
def test_a_bad_byte_in_a_pretty_printed_document_loses_no_span(tmp_path, shape):
    if shape == "jaeger":
        document = {"data": [jaeger_trace([jaeger_span(n) for n in range(50)])]}
    elif shape == "zipkin":
        document = [zipkin_span(n) for n in range(50)]
    else:
        document = otlp_line([otlp_span(n) for n in range(50)])
    text = with_bad_bytes(json.dumps(document, indent=2).encode(), every=50)
    result, rejects = mine(tmp_path, text, f"{shape}.json")
    assert len(result.frames["spans"]) == 50 and rejects.records == []
    assert result.records_rejected == 0 and result.counts["lines_not_utf8"] == 1


# --------------------------------------------------------------------------------------
# a line or a document that is not JSON: counted in the spans it held


def test_an_invalid_json_line_counts_the_spans_it_held(tmp_path):
    good = [orjson.dumps(otlp_line([otlp_span(3 * k + i) for i in range(3)])) for k in range(4)]
    broken = good[2][: len(good[2]) - 5] + b"}}\n"  # damaged: not JSON
    content = good[0] + b"\n" + good[1] + b"\n" + broken + good[3] + b"\n"
    result, rejects = mine(tmp_path, content, "traces.jsonl")
    assert len(result.frames["spans"]) == 9
    assert [(r.location, r.records) for r in rejects.records] == [("line 3", 3)]
    assert (result.records_read, result.records_rejected) == (12, 3)


@pytest.mark.parametrize("shape", ["jaeger", "zipkin"])
def test_an_invalid_json_line_of_jaeger_or_zipkin_counts_its_spans(tmp_path, shape):
    make = (lambda k: jaeger_trace([jaeger_span(3 * k + i) for i in range(3)])) if shape == "jaeger" else (
        lambda k: [zipkin_span(3 * k + i) for i in range(3)])
    lines = [orjson.dumps(make(k)) for k in range(4)]
    lines[1] = lines[1][:-3]
    result, rejects = mine(tmp_path, b"\n".join(lines) + b"\n", f"{shape}.jsonl")
    assert len(result.frames["spans"]) == 9
    assert [(r.location, r.records) for r in rejects.records] == [("line 2", 3)]
    assert result.records_rejected == 3 and result.records_read == 12


@pytest.mark.parametrize("shape", ["jaeger", "zipkin", "otlp"])
def test_a_syntax_error_inside_one_span_of_a_document_loses_that_span_only(tmp_path, shape):
    n = 200
    if shape == "jaeger":
        spans = [jaeger_span(k) for k in range(n)]
        document, name = {"data": [jaeger_trace(spans)]}, "operationName"
    elif shape == "zipkin":
        spans = [zipkin_span(k) for k in range(n)]
        document, name = spans, "name"
    else:
        spans = [otlp_span(k) for k in range(n)]
        document, name = otlp_line(spans), "name"
    text = json.dumps(document, indent=2).encode()
    # the 101st span's name loses its colon: that span is not JSON any more
    at = -1
    for _ in range(101):
        at = text.index(f'"{name}": '.encode(), at + 1)
    text = text[:at] + f'"{name}" '.encode() + text[at + len(name) + 4:]
    result, rejects = mine(tmp_path, text, f"{shape}.json")
    assert len(result.frames["spans"]) == n - 1
    assert len(rejects.records) == 1 and rejects.records[0].records == 1
    assert rejects.records[0].location.startswith("line ")
    assert result.records_rejected == 1 and result.records_read == n


@pytest.mark.parametrize("shape", ["jaeger", "zipkin", "otlp"])
@pytest.mark.parametrize("packed", [False, True])
def test_a_cut_document_keeps_the_spans_before_the_cut(tmp_path, shape, packed):
    n = 300
    if shape == "jaeger":
        document = {"data": [jaeger_trace([jaeger_span(k) for k in range(n)])]}
    elif shape == "zipkin":
        document = [zipkin_span(k) for k in range(n)]
    else:
        document = otlp_line([otlp_span(k) for k in range(n)])
    text = json.dumps(document, indent=2).encode()
    if packed:
        whole = gzip.compress(text)
        content = whole[: len(whole) // 2]
        readable = zlib.decompressobj(wbits=31).decompress(content)
    else:
        content = readable = text[: len(text) // 2]
    complete = sum(1 for k in range(n) if f'"{k + 2:016x}"'.encode() in readable)  # the next span began: this one is whole
    result, rejects = mine(tmp_path, content, f"{shape}.json" + (".gz" if packed else ""))
    kept = len(result.frames["spans"])
    assert complete - 1 <= kept <= complete + 1 and kept > n // 3
    assert any("truncated" in r.reason or "ends" in r.reason for r in rejects.records)


@pytest.mark.parametrize("shape", ["jaeger", "zipkin"])
def test_a_truncated_gzip_of_json_lines_keeps_every_line_before_the_damage(tmp_path, shape):
    make = (lambda k: jaeger_trace([jaeger_span(6 * k + i) for i in range(6)])) if shape == "jaeger" else (
        lambda k: [zipkin_span(6 * k + i) for i in range(6)])
    lines = b"".join(orjson.dumps(make(k)) + b"\n" for k in range(121))  # 726 spans
    packed = gzip.compress(lines)
    cut = packed[: len(packed) * 2 // 3]
    readable = zlib.decompressobj(wbits=31).decompress(cut)
    whole_lines = readable.count(b"\n")
    result, rejects = mine(tmp_path, cut, f"{shape}.jsonl.gz")
    assert len(result.frames["spans"]) == 6 * whole_lines > 300
    assert any(r.reason.startswith("truncated or corrupt compressed stream") for r in rejects.records)


def test_a_document_that_is_no_json_at_all_is_one_reject_counting_its_spans(tmp_path):
    text = json.dumps([zipkin_span(k) for k in range(40)], indent=2).encode().replace(b"{", b"<")
    result, rejects = mine(tmp_path, text, "zipkin.json", fmt="zipkin-json")
    assert result.frames["spans"].empty
    assert len(rejects.records) == 1 and result.records_rejected == 40
