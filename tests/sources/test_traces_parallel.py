"""OTLP/JSON lines parsed by worker processes give what the one-process reader gives."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pandas as pd

from analysis.core.config import TraceSource
from analysis.core.rejects import Rejects
from analysis.measures.runtime_stream import aggregate_traces
from analysis.sources.traces.formats import otlp_json
from analysis.sources.traces.formats.otlp_json import lines_layout, segments
from analysis.sources.traces.miner import iter_span_chunks, mine_traces

T0 = 1_700_000_000_000_000_000


def _line(trace: int, bad_span: bool = False) -> bytes:
    trace_id = f"{trace + 1:032x}"
    root = {"traceId": trace_id, "spanId": f"{trace + 1:016x}", "name": "GET /orders/{id}", "kind": 2,
            "startTimeUnixNano": str(T0 + trace), "endTimeUnixNano": str(T0 + trace + 4_000_000),
            "attributes": [{"key": "http.route", "value": {"stringValue": "/orders/{id}"}}]}
    child = {"traceId": trace_id, "spanId": "zz" if bad_span else f"{trace + 1:08x}{trace + 1:08x}",
             "parentSpanId": f"{trace + 1:016x}", "name": "handle", "kind": 1,
             "startTimeUnixNano": str(T0 + trace + 1), "endTimeUnixNano": str(T0 + trace + 2_000_000),
             "attributes": [{"key": "code.namespace", "value": {"stringValue": "shopfront.billing.api"}},
                            {"key": "code.function", "value": {"stringValue": "charge"}}]}
    message = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                                  "scopeSpans": [{"spans": [root, child]}]}]}
    return orjson.dumps(message) + b"\n"


def _file(tmp_path: Path) -> Path:
    lines = [_line(t, bad_span=(t == 7)) for t in range(20)]
    lines.insert(5, b'{"resourceSpans": [\n')  # truncated: line 6
    lines.insert(12, b"\n")  # blank: line 13, no reject
    lines.insert(15, b"[1, 2]\n")  # JSON, not OTLP: line 16
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_segments_cover_whole_lines_and_count_them(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"aaaa\nbb\ncccccc\nd")
    assert list(segments(path, 6)) == [(0, 5, 1), (5, 3, 2), (8, 7, 3), (15, 1, 4)]
    assert list(segments(path, 100)) == [(0, 15, 1), (15, 1, 4)]  # the unended last line apart
    path.write_bytes(b"")
    assert list(segments(path, 4)) == []


def test_only_plain_json_lines_are_parsed_in_parallel(tmp_path):
    lines = tmp_path / "a.jsonl"
    lines.write_bytes(_line(0) + _line(1))
    document = tmp_path / "b.json"
    document.write_bytes(b'{"resourceSpans": [\n]}\n')
    zipped = tmp_path / "c.jsonl.gz"
    zipped.write_bytes(gzip.compress(_line(0)))
    assert lines_layout(lines) and not lines_layout(document) and not lines_layout(zipped)


def test_workers_read_the_same_spans_rejects_and_counts(tmp_path, monkeypatch):
    path = _file(tmp_path)
    one, one_rejects = mine_traces(TraceSource(path), r1 := Rejects()), r1
    monkeypatch.setattr(otlp_json, "SEGMENT_BYTES", 700)  # a few lines per segment
    two, two_rejects = mine_traces(TraceSource(path), r2 := Rejects(), workers=2), r2
    pd.testing.assert_frame_equal(one.frames["spans"], two.frames["spans"])
    assert len(two.frames["spans"]) == 39  # 20 traces of 2 spans, one bad span id
    assert (one.records_read, one.records_rejected) == (two.records_read, two.records_rejected) == (40, 3)
    where = lambda rejects: sorted((r.location, r.reason) for r in rejects.records)  # noqa: E731
    assert where(one_rejects) == where(two_rejects)
    assert ("line 6", "invalid JSON: unexpected end of data") in where(two_rejects)
    assert any(loc.startswith("line 9 ") for loc, _ in where(two_rejects))  # trace 7 sits on line 9


def test_aggregates_with_workers_match_one_process(tmp_path, monkeypatch):
    path = _file(tmp_path)

    def context(spans):
        return spans["code_namespace"].map(lambda ns: "billing" if isinstance(ns, str) else None).astype("string")

    one_rejects, two_rejects = Rejects(), Rejects()
    one = aggregate_traces(iter_span_chunks(TraceSource(path), one_rejects), context, 5)
    monkeypatch.setattr(otlp_json, "SEGMENT_BYTES", 700)
    two = aggregate_traces(iter_span_chunks(TraceSource(path), two_rejects, workers=2), context, 5)
    pd.testing.assert_frame_equal(one.load_curves, two.load_curves)
    pd.testing.assert_frame_equal(one.context_calls, two.context_calls)
    assert repr(one.coverage) == repr(two.coverage)  # NaN shares alike
    assert two.spans_kept == 39 and one_rejects.count() == two_rejects.count() == 3


def test_a_file_of_no_otlp_lines_is_one_reject_with_workers(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n')
    rejects = Rejects()
    result = mine_traces(TraceSource(path, format="otlp-json"), rejects, workers=2)
    assert result.frames["spans"].empty
    assert [r.location for r in rejects.records] == ["line 1", "line 2", "file"]
