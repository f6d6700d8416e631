"""Trace formats besides OTLP/JSON, format detection, sampling ratios, bad input and the
streamed aggregation: small literal inputs with hand-computed answers."""

from __future__ import annotations

import gzip
import json
import math
import struct
from pathlib import Path

import orjson
import pandas as pd
import pytest

from analysis.core import frames
from analysis.core.config import ContextSpec, SpanRules, TraceSource
from analysis.core.rejects import Rejects
from analysis.mapping.contexts import ContextMap
from analysis.measures.runtime_stream import aggregate_traces
from analysis.sources.traces.formats import detect_format
from analysis.sources.traces.formats.jaeger_json import UI_STATE
from analysis.sources.traces.formats.spans import (
    MAX_ATTRIBUTE_CHARS,
    REASON_DUPLICATE,
    sampling_ratio_of_attributes,
    sampling_ratio_of_tracestate,
)
from analysis.sources.traces.formats.zipkin_json import shared_server_id
from analysis.sources.traces.miner import iter_span_chunks, mine_traces

TRACE = "5b8efff798038103d269b633813fc60c"
PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "public"
needs_public = pytest.mark.skipif(not PUBLIC.is_dir(), reason="public trace fixtures not present")


def mine(tmp_path: Path, content, name: str, fmt: str = "auto", sampling_ratio=None):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    rejects = Rejects()
    result = mine_traces(TraceSource(path, format=fmt, sampling_ratio=sampling_ratio), rejects)
    for name_, frame in result.frames.items():
        frames.check(frame, name_)
    return result, rejects


def otlp(*spans, service="shop", resource_attributes=()):
    attributes = [{"key": "service.name", "value": {"stringValue": service}}, *resource_attributes]
    return {"resourceSpans": [{"resource": {"attributes": attributes}, "scopeSpans": [{"spans": list(spans)}]}]}


def ospan(span_id, parent="", start=1_000_000_000, end=2_000_000_000, trace=TRACE, **fields):
    return {"traceId": trace, "spanId": span_id, "parentSpanId": parent, "name": "op",
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), **fields}


# --------------------------------------------------------------------------------------
# detection


@pytest.mark.parametrize("head, name, expected", [
    (b'{"resourceSpans": []}', "x.json", "otlp-json"),
    (b'{"result": {"resourceSpans": []}}', "x.json", "otlp-json"),
    (b'{"data": [{"traceID": "1", "spans": []}]}', "x.json", "jaeger-json"),
    (b'[{"traceID": "1", "spanID": "2"}]', "x.json", "jaeger-json"),
    (b'[{"parent": "a", "child": "b", "callCount": 3}]', "deps.json", "jaeger-dependencies"),
    (b'[{"traceId": "1", "id": "2", "name": "get"}]', "zipkin.json", "zipkin-json"),
    (b"\x0a\x8c\x01\x12\x00\x00\x01", "traces.bin", "otlp-proto"),
    (b"anything", "traces.binpb", "otlp-proto"),
    (b"anything", "traces.binpb.gz", "otlp-proto"),
    (b"", "empty.json", "otlp-json"),
    (b"2024-01-01 LOG: statement", "pg.log", None),
    (b'{"hello": "world"}', "x.json", None),
])
def test_detect_format(head, name, expected):
    assert detect_format(head, name) == expected


# --------------------------------------------------------------------------------------
# sampling


@pytest.mark.parametrize("state, ratio", [
    ("ot=th:8", 0.5), ("ot=th:0", 1.0), ("ot=th:c", 0.25), ("vendor=x,ot=th:8;rv:abc", 0.5),
    ("ot=p:3", 0.125), ("ot=p:0", 1.0), ("ot=p:63", None), ("congo=t61rcWkgMzE", None), ("ot=th:zz", None),
])
def test_sampling_ratio_of_tracestate(state, ratio):
    assert sampling_ratio_of_tracestate(state) == ratio


def test_sampling_ratio_of_attributes():
    assert sampling_ratio_of_attributes({"sampling.probability": "0.25"}) == 0.25
    assert sampling_ratio_of_attributes({"sampler.type": "probabilistic", "sampler.param": "0.1"}) == 0.1
    assert sampling_ratio_of_attributes({"sampler.type": "ratelimiting", "sampler.param": "5"}) is None
    assert sampling_ratio_of_attributes({"sampling.probability": "2"}) is None
    assert sampling_ratio_of_attributes({}) is None


def test_sampling_ratio_column_from_span_resource_or_config(tmp_path):
    content = orjson.dumps(otlp(
        ospan("0000000000000001", traceState="ot=th:8"),
        ospan("0000000000000002", attributes=[{"key": "sampling.probability", "value": {"doubleValue": 0.2}}]),
        ospan("0000000000000003"),
    ))
    result, _ = mine(tmp_path, content, "t.json")
    ratios = list(result.frames["spans"]["sampling_ratio"])
    assert ratios[:2] == [0.5, 0.2] and math.isnan(ratios[2])
    configured, _ = mine(tmp_path, content, "t2.json", sampling_ratio=0.1)
    assert list(configured.frames["spans"]["sampling_ratio"]) == [0.5, 0.2, 0.1]
    resource = orjson.dumps(otlp(ospan("0000000000000001"), resource_attributes=[
        {"key": "sampler.type", "value": {"stringValue": "probabilistic"}},
        {"key": "sampler.param", "value": {"doubleValue": 0.01}}]))
    result, _ = mine(tmp_path, resource, "t3.json")
    assert list(result.frames["spans"]["sampling_ratio"]) == [0.01]


# --------------------------------------------------------------------------------------
# Jaeger JSON


def jspan(span_id, refs=(), tags=(), start=1_600_000_000_000_000, duration=1000, trace="00000000000000a1", process="p1"):
    return {"traceID": trace, "spanID": span_id, "operationName": "op", "startTime": start, "duration": duration,
            "references": [{"refType": t, "traceID": tr, "spanID": s} for t, tr, s in refs],
            "tags": [{"key": k, "type": "string", "value": v} for k, v in tags], "processID": process}


def test_jaeger_query_api_shape(tmp_path):
    trace = {"traceID": "a1", "processes": {"p1": {"serviceName": "orders", "tags": []}, "p2": {"serviceName": "billing"}},
             "spans": [
                 jspan("00000000000000b1", tags=[("span.kind", "server"), ("http.route", "/orders/{id}")]),
                 jspan("b2", refs=[("CHILD_OF", "00000000000000a1", "00000000000000b1")], process="p2",
                       tags=[("span.kind", "client"), ("error", True), ("db.system", "postgresql"),
                             ("db.statement", "SELECT * FROM invoices WHERE id = 7")]),
                 jspan("00000000000000b3", refs=[("FOLLOWS_FROM", "00000000000000a1", "00000000000000b1")],
                       tags=[("span.kind", "consumer")]),
                 jspan("00000000000000b4", refs=[("CHILD_OF", "00000000000000ff", "00000000000000ff"),
                                                 ("CHILD_OF", "00000000000000a1", "00000000000000b1")]),
             ]}
    result, rejects = mine(tmp_path, {"data": [trace], "total": 0, "errors": None}, "jaeger.json")
    spans = result.frames["spans"]
    assert rejects.records == []
    assert list(spans["trace_id"].unique()) == ["00000000000000000000000000000a1"[-32:].rjust(32, "0")]
    assert list(spans["span_id"]) == ["00000000000000b1", "00000000000000b2", "00000000000000b3", "00000000000000b4"]
    assert list(spans["parent_span_id"].astype(object)) == [pd.NA, "00000000000000b1", "00000000000000b1", "00000000000000b1"]
    assert list(spans["kind"]) == ["SERVER", "CLIENT", "CONSUMER", "UNSPECIFIED"]
    assert list(spans["service"]) == ["orders", "billing", "orders", "orders"]
    assert list(spans["is_error"]) == [False, True, False, False]
    assert spans["http_route"].iloc[0] == "/orders/{id}" and spans["db_tables"].iloc[1] == "invoices:r"
    assert list(spans["link_count"]) == [0, 0, 0, 1]  # the cross-trace reference of b4
    assert spans["duration_ms"].iloc[0] == 1.0
    assert spans["start"].iloc[0] == pd.Timestamp(1_600_000_000_000_000_000, tz="UTC")
    links = result.frames["span_links"]
    assert links.values.tolist() == [["000000000000000000000000000000a1", "00000000000000b4",
                                      "000000000000000000000000000000ff", "00000000000000ff"]]


def test_jaeger_span_array_with_embedded_process_and_int64_as_string(tmp_path):
    spans = [dict(jspan("00000000000000b1", tags=[("sampler.type", "probabilistic")]),
                  process={"serviceName": "svc", "tags": [{"key": "sampler.param", "type": "float64", "value": 0.5}]}),
             dict(jspan("00000000000000b2", tags=[("big", "9223372036854775222")]), process={"serviceName": "svc"})]
    result, rejects = mine(tmp_path, spans, "spans.json")
    assert rejects.records == [] and list(result.frames["spans"]["service"]) == ["svc", "svc"]
    assert list(result.frames["spans"]["sampling_ratio"].fillna(-1)) == [0.5, -1]


def test_jaeger_ui_state_is_rejected_with_what_it_is(tmp_path):
    ui = {"data": {"services": [{"name": "a", "numberOfSpans": 1}], "spans": [jspan("00000000000000b1")]}, "id": "x", "state": "FETCHED"}
    result, rejects = mine(tmp_path, ui, "ui.json")
    assert result.frames["spans"].empty
    assert [(r.location, r.reason) for r in rejects.records] == [("document", UI_STATE)]


def test_jaeger_dependencies_are_service_level_coupling(tmp_path):
    deps = [{"parent": "a", "child": "b", "callCount": 3}, {"parent": "a", "child": "b", "callCount": 2},
            {"parent": "b", "child": "c", "callCount": 10}, {"parent": "x"}, {"parent": "a", "child": "c", "callCount": -1}]
    result, rejects = mine(tmp_path, deps, "deps.json")
    assert result.frames["service_dependencies"].values.tolist() == [["b", "c", 10], ["a", "b", 5]]
    assert result.frames["spans"].empty
    assert [r.location for r in rejects.records] == ["[3]", "[4]"]
    wrapped, _ = mine(tmp_path, {"data": deps[:1]}, "deps2.json", fmt="jaeger-dependencies")
    assert wrapped.frames["service_dependencies"].values.tolist() == [["a", "b", 3]]


# --------------------------------------------------------------------------------------
# Zipkin v2


def zspan(span_id, parent=None, kind=None, service="svc", trace="463ac35c9f6413ad", ts=1_600_000_000_000_000, duration=500, **extra):
    out = {"traceId": trace, "id": span_id, "name": "get", "timestamp": ts, "duration": duration,
           "localEndpoint": {"serviceName": service} if service else {"ipv4": "10.0.0.1"}}
    if parent:
        out["parentId"] = parent
    if kind:
        out["kind"] = kind
    out.update(extra)
    return out


def test_zipkin_shared_server_span_gets_its_own_id_under_the_client(tmp_path):
    client_id = "00000000000000c1"
    spans = [
        zspan("00000000000000a1", kind="SERVER", service="frontend"),
        zspan(client_id, parent="00000000000000a1", kind="CLIENT", service="frontend"),
        zspan(client_id, parent="00000000000000a1", kind="SERVER", service="backend", shared=True),
        zspan("00000000000000d1", parent=client_id, service="backend"),  # the server's own child
    ]
    result, rejects = mine(tmp_path, spans, "zipkin.json")
    s = result.frames["spans"]
    server_id = shared_server_id("0000000000000000463ac35c9f6413ad", client_id)
    assert rejects.records == []
    assert list(s["span_id"]) == ["00000000000000a1", client_id, server_id, "00000000000000d1"]
    assert list(s["parent_span_id"].astype(object)) == [pd.NA, "00000000000000a1", client_id, server_id]
    assert list(s["kind"]) == ["SERVER", "CLIENT", "SERVER", "INTERNAL"]


def test_zipkin_mixed_64_and_128_bit_trace_ids_and_missing_service_and_times(tmp_path):
    high_low = "48485a3953bb6124463ac35c9f6413ad"
    spans = [zspan("00000000000000a1", trace=high_low), zspan("00000000000000a2", parent="00000000000000a1", service=None,
                                                              tags={"error": "", "http.route": "/x"}),
             zspan("00000000000000a3", ts=None), zspan("00000000000000a4", duration=None)]
    spans[2].pop("timestamp")
    spans[3].pop("duration")
    result, rejects = mine(tmp_path, spans, "zipkin.json")
    s = result.frames["spans"]
    assert list(s["trace_id"]) == [high_low, high_low]
    assert list(s["service"]) == ["svc", "unknown_service"] and list(s["is_error"]) == [False, True]
    assert [(r.location, r.reason) for r in rejects.records] == [
        ("spans[2]", "missing or invalid start time"), ("spans[3]", "missing or invalid end time")]
    single, _ = mine(tmp_path, zspan("00000000000000a1"), "one.json")
    assert len(single.frames["spans"]) == 1


# --------------------------------------------------------------------------------------
# OTLP protobuf


def test_otlp_protobuf_single_and_length_prefixed(tmp_path):
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    message = otlp(ospan("00f067aa0ba902b7", kind=2, attributes=[{"key": "http.route", "value": {"stringValue": "/a"}}]),
                   ospan("00f067aa0ba902b8", parent="00f067aa0ba902b7", kind=3))
    payload = ParseDict(message, TracesData()).SerializeToString()
    single, rejects = mine(tmp_path, payload, "t.binpb")
    s = single.frames["spans"]
    assert rejects.records == [] and list(s["span_id"]) == ["00f067aa0ba902b7", "00f067aa0ba902b8"]
    assert list(s["trace_id"].unique()) == [TRACE] and list(s["kind"]) == ["SERVER", "CLIENT"]
    assert s["http_route"].iloc[0] == "/a" and s["duration_ms"].iloc[0] == 1000.0
    framed = b"".join(struct.pack(">I", len(payload)) + payload for _ in range(2))
    second = ParseDict(otlp(ospan("00000000000000a1")), TracesData()).SerializeToString()
    framed = struct.pack(">I", len(payload)) + payload + struct.pack(">I", len(second)) + second
    prefixed, _ = mine(tmp_path, gzip.compress(framed), "t.binpb.gz")
    assert list(prefixed.frames["spans"]["span_id"]) == ["00f067aa0ba902b7", "00f067aa0ba902b8", "00000000000000a1"]
    _, rejects = mine(tmp_path, b"\x0a\xff\xff\xff\x0f garbage", "bad.binpb")
    assert [r.location for r in rejects.records] == ["document"]


# --------------------------------------------------------------------------------------
# bad input


def test_bad_input_is_counted_and_the_rest_read(tmp_path):
    huge = "SELECT '" + "x" * (MAX_ATTRIBUTE_CHARS + 10) + "'"
    lines = [
        otlp(ospan("0000000000000001", kind=2, start=1_000, end=10_000),
             ospan("0000000000000002", parent="0000000000000001", start=500, end=11_000, kind=7),  # skewed, unknown kind
             ospan("0000000000000003", start=9_000, end=8_000),  # ends before it starts
             ospan("0000000000000001"),  # duplicate
             ospan("0000000000000004", attributes=[{"key": "db.statement", "value": {"stringValue": huge}}]),
             {k: v for k, v in ospan("0000000000000005").items() if k != "traceId"}),
    ]
    content = b"\n".join(orjson.dumps(m) for m in lines) + b'\n{"resourceSpans": [{"scopeSp'
    result, rejects = mine(tmp_path, content, "bad.jsonl")
    s = result.frames["spans"]
    assert list(s["span_id"]) == ["0000000000000001", "0000000000000002", "0000000000000004"]
    assert s["db_fingerprint"].isna().all()  # the oversized statement was dropped, the span kept
    reasons = sorted((r.location, r.reason.split(":")[0]) for r in rejects.records)
    assert reasons == [
        ("line 1", REASON_DUPLICATE),
        ("line 1 resourceSpans[0].scopeSpans[0].spans[2]", "end before start"),
        ("line 1 resourceSpans[0].scopeSpans[0].spans[4]", "attribute value over the size limit, ignored"),
        ("line 1 resourceSpans[0].scopeSpans[0].spans[5]", "missing or invalid trace id"),
        ("line 2", "invalid JSON"),
    ]
    assert result.records_read == 6 and result.records_rejected == 5
    assert any("1 spans start before or end after their parent" in n for n in result.notes)
    assert any("1 spans had an unrecognised kind" in n for n in result.notes)


def test_empty_files_of_every_format(tmp_path):
    for fmt in ("auto", "otlp-json", "otlp-proto", "jaeger-json", "zipkin-json", "jaeger-dependencies"):
        result, rejects = mine(tmp_path, b"", f"empty-{fmt}.json", fmt=fmt)
        assert result.frames["spans"].empty and rejects.records == [], fmt


# --------------------------------------------------------------------------------------
# streamed aggregation


CMAP = ContextMap((ContextSpec("orders", spans=SpanRules(services=("orders",))),
                   ContextSpec("billing", spans=SpanRules(services=("billing",)))))


def span_context(spans):
    return CMAP.assign_spans(spans)


def test_aggregate_equals_the_metrics_on_the_whole_frame(tmp_path):
    from analysis.measures.coupling import runtime
    from analysis.measures.metrics import load

    minute = 60 * 10**9
    lines = []
    for n in range(12):
        trace = f"{n + 1:032x}"
        start = 1_700_000_000 * 10**9 + n * 4 * minute
        root = ospan(f"{n + 1:08x}00000001", trace=trace, kind=2, start=start, end=start + 50_000_000)
        child = ospan(f"{n + 1:08x}00000002", parent=root["spanId"], trace=trace, kind=2,
                      start=start + 10_000_000, end=start + 30_000_000, status={"code": 2} if n % 3 == 0 else {})
        lines.append(orjson.dumps(otlp(root, service="orders")))
        lines.append(orjson.dumps(otlp(child, service="billing")))
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(lines))
    spans = mine_traces(TraceSource(path), Rejects()).frames["spans"]
    context = span_context(spans)
    aggregated = aggregate_traces(iter_span_chunks(TraceSource(path), Rejects(), chunk_spans=3), span_context, 5, window_spans=4)
    assert aggregated.groups > 1 and aggregated.spans_kept == 24 and aggregated.late_spans == 0
    pd.testing.assert_frame_equal(aggregated.load_curves, load.load_curves(spans, context, bucket_minutes=5))
    pd.testing.assert_frame_equal(aggregated.context_calls, runtime.context_calls(spans, context))
    calls = aggregated.context_calls
    assert calls[["caller", "callee", "mode", "calls"]].values.tolist() == [["orders", "billing", "sync", 12]]
    assert calls["total_ms"].item() == pytest.approx(240.0) and calls["error_share"].item() == pytest.approx(4 / 12)
    assert aggregated.coverage["spans"] == 24 and aggregated.coverage["orphan_spans"] == 0
    assert aggregated.coverage["traces"] == 12


def test_aggregate_counts_spans_arriving_after_their_trace_left_the_window(tmp_path):
    trace = "1".rjust(32, "0")
    first = otlp(ospan("00000000000000a1", trace=trace))
    others = otlp(*(ospan(f"{n:016x}", trace=f"{n + 100:032x}") for n in range(1, 5)))
    late = otlp(ospan("00000000000000a2", parent="00000000000000a1", trace=trace))
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(m) for m in (first, others, late)))
    aggregated = aggregate_traces(iter_span_chunks(TraceSource(path), Rejects(), chunk_spans=1), span_context, 5, window_spans=2)
    assert (aggregated.late_spans, aggregated.late_spans_with_parent) == (1, 1)
    assert aggregated.coverage["orphan_spans"] == 1 and aggregated.spans_kept == 6
    assert any("after their trace had left the window" in n for n in aggregated.notes)


def test_aggregate_of_an_empty_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"")
    aggregated = aggregate_traces(iter_span_chunks(TraceSource(path), Rejects()), span_context)
    assert aggregated.load_curves.empty and aggregated.context_calls.empty and aggregated.coverage["spans"] == 0


# --------------------------------------------------------------------------------------
# the public samples of each project


@needs_public
@pytest.mark.parametrize("folder", ["traces_otlp_json", "traces_jaeger_json", "traces_zipkin_json"])
def test_public_samples_detected_and_read(folder):
    for path in sorted((PUBLIC / folder).glob("*.json*")):
        rejects = Rejects()
        result = mine_traces(TraceSource(path, format="auto"), rejects)
        for name, frame in result.frames.items():
            frames.check(frame, name)
        if "dependencies" in path.name:
            assert len(result.frames["service_dependencies"]) > 0, path.name
        elif "UISTATE" in path.name:
            assert [r.reason for r in rejects.records] == [UI_STATE]
        elif not path.name.startswith("REDACTED") and "tracegraph" not in path.name and "GetTrace" not in path.name:
            assert len(result.frames["spans"]) > 0, path.name


@needs_public
def test_public_jaeger_and_otlp_of_the_same_trace_agree():
    otlp_spans = mine_traces(TraceSource(PUBLIC / "traces_otlp_json" / "jaegerui_otlp2jaeger-multi-in.jsonl", format="auto"), Rejects()).frames["spans"]
    jaeger = mine_traces(TraceSource(PUBLIC / "traces_jaeger_json" / "jaegerui_oltp2jaeger-multi-out.json", format="auto"), Rejects()).frames["spans"]
    columns = ["trace_id", "span_id", "parent_span_id", "service", "start", "kind"]
    key = ["trace_id", "span_id"]
    left = otlp_spans[columns].sort_values(key, ignore_index=True)
    right = jaeger[columns].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(left.drop(columns=["start"]), right.drop(columns=["start"]))
    # Jaeger keeps microseconds
    assert ((left["start"] - right["start"]).abs() < pd.Timedelta(microseconds=1)).all()


@needs_public
def test_public_zipkin_shared_and_skewed_trace():
    result = mine_traces(TraceSource(PUBLIC / "traces_zipkin_json" / "zipkinlens_skew.json", format="auto"), Rejects())
    s = result.frames["spans"]
    assert len(s) == 4 and s["span_id"].is_unique
    server = s[(s["kind"] == "SERVER") & (s["service"] == "serviceb")]
    assert server["parent_span_id"].item() == "74280ae0c10d8062"
    assert s.loc[s["name"] == "async", "parent_span_id"].item() == server["span_id"].item()
